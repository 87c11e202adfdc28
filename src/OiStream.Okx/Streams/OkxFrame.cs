using System.Text.Json;
using OiStream.Okx.Wire;

namespace OiStream.Okx.Streams;

/// <summary>
/// A frame of OKX's public WebSocket (fact sheet §3.5): the text <c>pong</c>, an event (<c>subscribe</c>,
/// <c>unsubscribe</c>, <c>error</c>, <c>notice</c>), or a push <c>{"arg":{"channel","instId"},"data":[…]}</c>.
/// </summary>
public abstract record OkxFrame
{
    /// <summary>Reads one text frame.</summary>
    /// <exception cref="JsonException">Neither <c>pong</c> nor a JSON object OKX sends; the message says what it was.</exception>
    public static OkxFrame Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "pong")
        {
            return OkxPong.Instance;
        }
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"An OKX frame is 'pong' or a JSON object; got {root.ValueKind}.");
        }
        if (root.TryGetProperty("event", out var ev))
        {
            string? channel = null, instId = null;
            if (root.TryGetProperty("arg", out var arg))
            {
                channel = arg.TryGetProperty("channel", out var c) ? c.GetString() : null;
                instId = arg.TryGetProperty("instId", out var i) ? i.GetString() : null;
            }
            return new OkxEvent(ev.GetString() ?? "", Text(root, "code"), Text(root, "msg"), channel, instId);
        }
        if (root.TryGetProperty("arg", out var pushArg) && pushArg.TryGetProperty("channel", out var ch) && root.TryGetProperty("data", out var data))
        {
            return ch.GetString() switch
            {
                "open-interest" => new OkxOpenInterestPush(data.Deserialize<OkxOpenInterest[]>(OkxJson.Options) ?? []),
                "mark-price" => new OkxMarkPricePush(data.Deserialize<OkxMarkPrice[]>(OkxJson.Options) ?? []),
                var other => new OkxOtherPush(other ?? ""),
            };
        }
        throw new JsonException("An OKX frame with neither 'event' nor 'arg' and 'data'.");
    }

    private static string? Text(JsonElement root, string name) => root.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;
}

/// <summary>The answer to a <c>ping</c>.</summary>
public sealed record OkxPong : OkxFrame
{
    /// <summary>The one pong.</summary>
    public static OkxPong Instance { get; } = new();
}

/// <summary>An event: a subscription answered, an error (<c>60018</c>: no such channel or instrument), a notice (<c>64008</c>: closing for an upgrade).</summary>
public sealed record OkxEvent(string Event, string? Code, string? Msg, string? Channel, string? InstId) : OkxFrame;

/// <summary>A push of the <c>open-interest</c> channel.</summary>
public sealed record OkxOpenInterestPush(IReadOnlyList<OkxOpenInterest> Data) : OkxFrame;

/// <summary>A push of the <c>mark-price</c> channel.</summary>
public sealed record OkxMarkPricePush(IReadOnlyList<OkxMarkPrice> Data) : OkxFrame;

/// <summary>A push of a channel OiStream does not read.</summary>
public sealed record OkxOtherPush(string Channel) : OkxFrame;
