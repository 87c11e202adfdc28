using System.Threading.Channels;
using OiStream.Core.Engine;
using OiStream.Feeds;

namespace OiStream.Feeds.Testing;

/// <summary>What the Bybit and OKX feed tests share: reading the feed's channel, and a reconnect after which every event comes from the sockets.</summary>
internal static class PushFeedHarness
{
    /// <summary>The next event of <paramref name="kind"/> (others are skipped).</summary>
    public static async Task<MarketEvent> NextAsync(Channel<MarketEvent> channel, MarketEventKind kind, CancellationToken cancellationToken)
    {
        while (true)
        {
            var e = await channel.Reader.ReadAsync(cancellationToken);
            if (e.Kind == kind)
            {
                return e;
            }
        }
    }

    /// <summary>
    /// Waits for the feed's sockets (the REST seed comes before them) and empties the channel, then stands the market
    /// still (<paramref name="freeze"/>), drops the sockets (<paramref name="drop"/>, the simulator's fault) and waits
    /// until each has connected again: every event from here on comes from the sockets, and the new connections start
    /// with snapshots of the market as it stands.
    /// </summary>
    public static async Task FreezeAndReconnectAsync(PushFeed feed, Func<Task> freeze, Action drop, Channel<MarketEvent> channel, CancellationToken cancellationToken)
    {
        while (feed.Sockets.Count == 0 || feed.Sockets.Any(s => s.Connects == 0))
        {
            await Task.Delay(50, cancellationToken);
        }
        while (channel.Reader.TryRead(out _))
        {
        }
        await freeze();
        var connects = feed.Sockets.Sum(s => s.Connects);
        drop();
        while (feed.Sockets.Sum(s => s.Connects) < connects + feed.Sockets.Count)
        {
            await Task.Delay(50, cancellationToken);
        }
    }
}
