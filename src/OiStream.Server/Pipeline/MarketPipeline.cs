using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OiStream.Core.Engine;
using OiStream.Server.Configuration;

namespace OiStream.Server.Pipeline;

/// <summary>
/// The one merged, bounded channel between the sources and the engine (design section 1). Many writers (poller,
/// streams), one reader (the engine loop). When it is full the oldest event is dropped: a mark tick superseded a
/// second later, or an OI reading the next poll replaces. Drops are counted and shown in <c>/api/v1/status</c>.
/// </summary>
public sealed class MarketPipeline
{
    private long _dropped;

    /// <summary>Creates the channel.</summary>
    public MarketPipeline(IOptions<OiStreamOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Channel = System.Threading.Channels.Channel.CreateBounded<MarketEvent>(
            new BoundedChannelOptions(options.Value.ChannelCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,
            },
            _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>The channel.</summary>
    public Channel<MarketEvent> Channel { get; }

    /// <summary>Events dropped because the channel was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events waiting for the engine.</summary>
    public int Backlog => Channel.Reader.CanCount ? Channel.Reader.Count : -1;
}
