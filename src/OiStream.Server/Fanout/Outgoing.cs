using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace OiStream.Server.Fanout;

/// <summary>
/// One message for the clients of a topic, serialized at most once per protocol however many clients take it.
/// </summary>
/// <param name="Key">
/// What the message is the state of (<c>i:BTCUSDT</c>, <c>overview</c>): a client that cannot keep up gets only the
/// newest message of each key. Null for an event (a signal), which is never coalesced.
/// </param>
/// <param name="Message">The message itself.</param>
/// <param name="WhenCoalesced">
/// What a slow client gets instead when it missed an earlier message of the same key: a full state, since a delta
/// applies only to the state before it. Null: <paramref name="Message"/> is a full state already.
/// </param>
public sealed record Outgoing(string? Key, SerializedHubMessage Message, SerializedHubMessage? WhenCoalesced = null)
{
    /// <summary>An event with its arguments, serialized on first use.</summary>
    public static SerializedHubMessage Event(string name, params object?[] arguments) =>
        new(new InvocationMessage(name, arguments));
}
