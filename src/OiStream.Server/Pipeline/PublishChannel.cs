using System.Threading.Channels;

namespace OiStream.Server.Pipeline;

/// <summary>
/// The bounded channel between the engine loop (its one writer) and the publisher (its one reader). When the publisher
/// falls behind, the oldest batch is dropped and counted: clients then see a <c>seq</c> gap and resync.
/// </summary>
public sealed class PublishChannel
{
    private long _dropped;

    /// <summary>Creates the channel.</summary>
    public PublishChannel()
    {
        Channel = System.Threading.Channels.Channel.CreateBounded<PublishBatch>(
            new BoundedChannelOptions(32) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>The channel.</summary>
    public Channel<PublishBatch> Channel { get; }

    /// <summary>Batches dropped because the publisher fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);
}
