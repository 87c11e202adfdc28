using OiStream.Core.Loops;
using Websocket.Client;

namespace OiStream.Feeds;

/// <summary>How every watched market socket (Binance's stream clients and the pushing venues' alike) reads a lost connection.</summary>
public static class SocketLoss
{
    /// <summary>
    /// Reads a disconnection: null for one this side asked for (stop, rotation). A silent socket (the watchdog) is
    /// replaced at once; any other loss waits the backoff's next step, set on <paramref name="client"/> for its next try.
    /// </summary>
    public static Loss? Read(WebsocketClient client, DisconnectionInfo info, TimeSpan silence, Backoff backoff, ref int attempt)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(backoff);
        if (info.Type is DisconnectionType.Exit or DisconnectionType.ByUser)
        {
            return null;
        }
        if (info.Type == DisconnectionType.NoMessageReceived)
        {
            return new Loss(true, $"no data for {silence.TotalSeconds:0} s", TimeSpan.Zero);
        }
        var reason = info.Type == DisconnectionType.ByServer
            ? $"server closed the connection ({info.CloseStatus} {info.CloseStatusDescription})"
            : info.Exception?.Message ?? info.Type.ToString();
        var delay = backoff.Delay(Interlocked.Increment(ref attempt));
        client.ErrorReconnectTimeout = delay;
        client.LostReconnectTimeout = delay;
        return new Loss(false, reason, delay);
    }
}

/// <summary>A lost connection, as <see cref="SocketLoss.Read"/> reads it.</summary>
/// <param name="Silent">The socket stayed open but silent: the watchdog declared it dead.</param>
/// <param name="Reason">Why, in words.</param>
/// <param name="Delay">The pause before the next attempt.</param>
public sealed record Loss(bool Silent, string Reason, TimeSpan Delay);
