using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace OiStream.Server.Hubs;

/// <summary>
/// SignalR's JSON protocol with OiStream's answers to what a client should not send. The protocol alone closes the
/// connection with "Connection closed with an error." for an oversize or too deeply nested message, answers a wrong
/// argument with "Failed to invoke … due to an error on the server." and, after a message of a type it does not know,
/// stops reading the connection for good. Here: a message over <see cref="CheckedHubProtocol.MaxMessageBytes"/> closes the connection
/// with a reason that names the limit (it is never read whole); arguments of the wrong type or number, or nested
/// too deep, are answered with an error that names what the method takes, and the connection stays; a message of
/// unknown type closes the connection with a reason.
/// </summary>
public sealed class CheckedJsonHubProtocol(IHubProtocol inner, int maxMessageBytes) : CheckedHubProtocol(inner, maxMessageBytes)
{
    private const byte RecordSeparator = 0x1e;

    /// <inheritdoc />
    public override bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        message = null;
        var end = input.PositionOf(RecordSeparator);
        if (end is null)
        {
            // Not complete yet. A client that keeps sending without a separator past the limit is not read further.
            return input.Length > MaxMessageBytes ? throw HubInputChecks.TooLarge(MaxMessageBytes) : false;
        }
        var record = input.Slice(input.Start, input.GetPosition(1, end.Value));
        if (record.Length - 1 > MaxMessageBytes)
        {
            throw HubInputChecks.TooLarge(MaxMessageBytes);
        }
        var parsed = record;
        try
        {
            if (!Inner.TryParseMessage(ref parsed, binder, out message))
            {
                // A whole message the protocol has no type for: SignalR would leave it unread and stop reading.
                throw new HubException($"Unknown message type {Peek(record).Type ?? "(none)"}: this hub speaks SignalR's JSON hub protocol version 1 (message types 1 to 9); the connection is closed.");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or FormatException)
        {
            // The message could not be read, often its arguments (nested too deep, say). If it names a call, answer it.
            var (_, id, target) = Peek(record);
            if (id is null || target is null)
            {
                throw new HubException($"The message is not valid SignalR JSON ({ex.Message}); the connection is closed.", ex);
            }
            message = new InvocationBindingFailureMessage(id, target, ExceptionDispatchInfo.Capture(ex));
        }
        input = input.Slice(record.End);
        message = HubInputChecks.Explain(message)!;
        return true;
    }

    // The top-level "type", "invocationId" and "target" of a message, without reading its arguments.
    private static (string? Type, string? Id, string? Target) Peek(ReadOnlySequence<byte> record)
    {
        string? type = null, id = null, target = null;
        try
        {
            var reader = new Utf8JsonReader(record.Slice(0, record.Length - 1), new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (null, null, null);
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "type" when reader.TokenType == JsonTokenType.Number:
                        type = reader.TryGetInt64(out var t) ? t.ToString(System.Globalization.CultureInfo.InvariantCulture) : "(not an integer)";
                        break;
                    case "invocationId" when reader.TokenType == JsonTokenType.String:
                        id = reader.GetString();
                        break;
                    case "target" when reader.TokenType == JsonTokenType.String:
                        target = reader.GetString();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // What was read before the error is all there is.
        }
        return (type, id, target);
    }
}

/// <summary>
/// A SignalR protocol with the hub's input checks: writing is the inner protocol's; reading checks the size first and
/// explains binding failures (<see cref="HubInputChecks"/>).
/// </summary>
public abstract class CheckedHubProtocol(IHubProtocol inner, int maxMessageBytes) : IHubProtocol
{
    /// <summary>The protocol that reads and writes the messages.</summary>
    protected IHubProtocol Inner { get; } = inner;

    /// <summary>The largest message a client may send, in bytes.</summary>
    public int MaxMessageBytes { get; } = maxMessageBytes;

    /// <inheritdoc />
    public string Name => Inner.Name;

    /// <inheritdoc />
    public int Version => Inner.Version;

    /// <inheritdoc />
    public TransferFormat TransferFormat => Inner.TransferFormat;

    /// <inheritdoc />
    public bool IsVersionSupported(int version) => Inner.IsVersionSupported(version);

    /// <inheritdoc />
    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => Inner.WriteMessage(message, output);

    /// <inheritdoc />
    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => Inner.GetMessageBytes(message);

    /// <inheritdoc />
    public abstract bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message);
}

/// <summary>
/// What every protocol of the hub does with a client's input: a binding failure (arguments of the wrong type or
/// number, or nested too deep) becomes an answer that names what the method takes; an oversize message, a reason.
/// </summary>
internal static class HubInputChecks
{
    private static readonly Dictionary<string, string> Signatures = DescribeHubMethods();

    /// <summary>A binding failure of a hub method, explained; any other message as it is.</summary>
    public static HubMessage? Explain(HubMessage? message)
    {
        if (message is not InvocationBindingFailureMessage failure || !Signatures.TryGetValue(failure.Target, out var takes))
        {
            return message;
        }
        // SignalR answers "Failed to invoke 'X' due to an error on the server." plus a HubException's message.
        var source = failure.BindingFailure.SourceException;
        var problem = source switch
        {
            _ when TooDeep(source) => "the arguments are nested deeper than 64 levels.",
            InvalidDataException { InnerException: null } d => d.Message,
            _ => "an argument is not of the type it takes.",
        };
        return new InvocationBindingFailureMessage(failure.InvocationId, failure.Target,
            ExceptionDispatchInfo.Capture(new HubException($"{failure.Target} takes {takes}; {problem}")));
    }

    private static bool TooDeep(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception.Message.Contains("depth", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The reason a connection is closed for a message over <paramref name="maxMessageBytes"/>.</summary>
    public static HubException TooLarge(int maxMessageBytes) => new(
        $"A message of more than {maxMessageBytes} bytes: the hub reads at most {maxMessageBytes} bytes per message (OiStream:MaxMessageBytes), enough for OiStream:MaxSymbolsPerConnection symbols in one call; the connection is closed.");

    // "Subscribe" -> "one argument, symbols: an array of strings such as ["BTCUSDT"]", from the hub's own methods.
    private static Dictionary<string, string> DescribeHubMethods()
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var method in typeof(OiHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        {
            if (method.IsSpecialName || method.Name is nameof(OiHub.OnConnectedAsync) or nameof(OiHub.OnDisconnectedAsync))
            {
                continue;
            }
            var parameters = method.GetParameters();
            var text = new StringBuilder(parameters.Length switch { 0 => "no arguments", 1 => "one argument, ", _ => $"{parameters.Length} arguments, " });
            text.AppendJoin("; ", parameters.Select(p => $"{p.Name}: {Describe(p)}"));
            result[method.Name] = text.ToString();
        }
        return result;
    }

    private static string Describe(ParameterInfo parameter) => parameter.ParameterType switch
    {
        var t when t == typeof(string[]) => parameter.Name == "coins" ? "an array of strings such as [\"BTC\"]" : "an array of strings such as [\"BTCUSDT\"]",
        var t when t == typeof(string) => "a string",
        var t => t.Name,
    };
}
