using System.Collections.Concurrent;
using System.Threading.Channels;
using OiStream.Contracts;

namespace OiStream.Server.Pipeline;

/// <summary>
/// The status stage's read model: the latest status of every feed and stage (Binance feeds from the engine, the
/// history store from its writer), for <c>/api/v1/status</c> and <c>/readyz</c>, and the queue of changes the
/// publisher sends as <c>feedStatus</c>. Stages record into it; none reads another stage through it.
/// </summary>
public sealed class StatusBoard
{
    private readonly ConcurrentDictionary<string, FeedStatus> _feeds = new(StringComparer.Ordinal);
    private long _droppedChanges;

    /// <summary>Latest status per feed.</summary>
    public IReadOnlyDictionary<string, FeedStatus> Feeds => _feeds;

    /// <summary>Changes waiting to be broadcast; when nobody drains them the oldest go (the board keeps the latest anyway).</summary>
    public Channel<FeedStatus> Changes { get; } = Channel.CreateBounded<FeedStatus>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>Changes that were never broadcast because the queue was full.</summary>
    public long DroppedChanges => Interlocked.Read(ref _droppedChanges);

    /// <summary>Records a status change and queues it for broadcast.</summary>
    public void Record(FeedStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        _feeds[status.Feed] = status;
        if (Changes.Reader.Count >= 1024)
        {
            Interlocked.Increment(ref _droppedChanges);
        }
        Changes.Writer.TryWrite(status);
    }
}
