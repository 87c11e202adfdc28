using System.Collections.Concurrent;
using OiStream.Contracts;

namespace OiStream.Server.Pipeline;

/// <summary>The latest status of every feed, for <c>/api/v1/status</c> and <c>/readyz</c>.</summary>
public sealed class StatusBoard
{
    private readonly ConcurrentDictionary<string, FeedStatus> _feeds = new(StringComparer.Ordinal);

    /// <summary>Latest status per feed.</summary>
    public IReadOnlyDictionary<string, FeedStatus> Feeds => _feeds;

    /// <summary>Records a status change.</summary>
    public void Record(FeedStatus status) => _feeds[status.Feed] = status;
}
