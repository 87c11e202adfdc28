using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace OiStream.Server.Hubs;

/// <summary>
/// SignalR's MessagePack protocol with the hub's input checks (<see cref="CheckedJsonHubProtocol"/> does the same for
/// JSON): a message whose length prefix is over <see cref="CheckedHubProtocol.MaxMessageBytes"/> closes the connection with a reason before
/// it is read, and a binding failure is answered with what the method takes.
/// </summary>
public sealed class CheckedMessagePackHubProtocol(IHubProtocol inner, int maxMessageBytes) : CheckedHubProtocol(inner, maxMessageBytes)
{
    /// <inheritdoc />
    public override bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        // Each message is prefixed by its length: a variable-length integer, 7 bits a byte, at most 5 bytes.
        long length = 0;
        var shift = 0;
        var complete = false;
        foreach (var segment in input)
        {
            foreach (var b in segment.Span)
            {
                length |= (long)(b & 0x7f) << shift;
                shift += 7;
                if ((b & 0x80) == 0 || shift >= 35)
                {
                    complete = true;
                    break;
                }
            }
            if (complete)
            {
                break;
            }
        }
        if (complete && length > MaxMessageBytes)
        {
            throw HubInputChecks.TooLarge(MaxMessageBytes);
        }
        if (!Inner.TryParseMessage(ref input, binder, out message))
        {
            return false;
        }
        message = HubInputChecks.Explain(message)!;
        return true;
    }
}
