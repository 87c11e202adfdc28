using System.Buffers;
using System.Text.Json;
using OiStream.Contracts;
using OiStream.Core.Instruments;
using OiStream.Server.Pipeline;

namespace OiStream.Server.Replication;

/// <summary>
/// One message on the replication channel: a batch of the leader's publications (<c>type: "batch"</c>) or its
/// heartbeat (<c>type: "heartbeat"</c>, once a second). Both carry the leader's node name and term, so an edge knows
/// when the leader changed. JSON, the same shapes clients get.
/// </summary>
public sealed record ReplicaMessage(
    string Type,
    string Node,
    long Term,
    IReadOnlyList<InstrumentState>? Instruments = null,
    IReadOnlyList<CoinState>? Coins = null,
    IReadOnlyList<SignalEvent>? Signals = null,
    ReplicaHeartbeat? Heartbeat = null);

/// <summary>What the leader says of itself once a second.</summary>
/// <param name="Source"><c>binance</c> or <c>simulated</c>.</param>
/// <param name="Windows">The engine's window names (an edge with other windows says so).</param>
/// <param name="CatalogVersion">Changes when the instrument catalog does; an edge then reads it again.</param>
/// <param name="Feed">The leader's feed numbers, as its own <c>/api/v1/status</c> shows them.</param>
/// <param name="EngineReady">The leader's engine has its start-up history.</param>
/// <param name="Feeds">The leader's latest status of each feed.</param>
/// <param name="SentAt">When the heartbeat was sent (Unix ms).</param>
public sealed record ReplicaHeartbeat(string Source, IReadOnlyList<string> Windows, long CatalogVersion, FeedMetrics Feed, bool EngineReady,
    IReadOnlyList<FeedStatus> Feeds, long SentAt);

/// <summary>How replication messages and the kept states are written and read.</summary>
public static class ReplicaWire
{
    /// <summary>The hash of each instrument's latest state (field: symbol).</summary>
    public const string InstrumentsHash = "instruments";

    /// <summary>The hash of each coin's latest state (field: coin).</summary>
    public const string CoinsHash = "coins";

    /// <summary>The hash of the instrument catalog (field: symbol).</summary>
    public const string CatalogHash = "catalog";

    /// <summary>The key of the leader's latest heartbeat (expires when the leader goes quiet).</summary>
    public const string LeaderKey = "leader";

    /// <summary>The serializer options of every replication payload.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Serializes one value.</summary>
    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Json);

    /// <summary>
    /// A batch message, written around states serialized already (each state is serialized once: for its hash entry and
    /// for the message).
    /// </summary>
    public static byte[] Batch(string node, long term, IReadOnlyList<byte[]> instruments, IReadOnlyList<byte[]> coins, IReadOnlyList<SignalEvent> signals)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        ArgumentNullException.ThrowIfNull(coins);
        var buffer = new ArrayBufferWriter<byte>(256 + (instruments.Count * 700));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "batch");
            w.WriteString("node", node);
            w.WriteNumber("term", term);
            w.WriteStartArray("instruments");
            foreach (var s in instruments)
            {
                w.WriteRawValue(s, skipInputValidation: true);
            }
            w.WriteEndArray();
            w.WriteStartArray("coins");
            foreach (var c in coins)
            {
                w.WriteRawValue(c, skipInputValidation: true);
            }
            w.WriteEndArray();
            w.WritePropertyName("signals");
            JsonSerializer.Serialize(w, signals, Json);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a message; null when it is not one (named in <paramref name="error"/>).</summary>
    public static ReplicaMessage? Read(ReadOnlySpan<byte> payload, out string? error)
    {
        try
        {
            var message = JsonSerializer.Deserialize<ReplicaMessage>(payload, Json);
            error = message is { Type: "batch" or "heartbeat", Node: not null } ? null : "not a replication message (type batch or heartbeat, with node)";
            return error is null ? message : null;
        }
        catch (JsonException ex)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <summary>Reads one kept state; null when it cannot be read.</summary>
    public static T? ReadState<T>(ReadOnlySpan<byte> payload) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(payload, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A catalog entry's value.</summary>
    public static byte[] CatalogEntry(InstrumentInfo info) => Serialize(info);
}
