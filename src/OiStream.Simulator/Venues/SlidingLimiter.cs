using System.Collections.Concurrent;

namespace OiStream.Simulator.Venues;

/// <summary>A count of requests per key in a rolling window (Bybit's 600 per 5 s per IP; OKX's per endpoint and instrument).</summary>
public sealed class SlidingLimiter(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Queue<long>> _hits = new(StringComparer.Ordinal);

    /// <summary>Counts one request under <paramref name="key"/>; false when it is over <paramref name="limit"/> in the window (a refused request is not counted).</summary>
    public bool TryTake(string key, int limit, TimeSpan window)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var queue = _hits.GetOrAdd(key, _ => new Queue<long>());
        lock (queue)
        {
            var from = now - (long)window.TotalMilliseconds;
            while (queue.Count > 0 && queue.Peek() <= from)
            {
                queue.Dequeue();
            }
            if (queue.Count >= limit)
            {
                return false;
            }
            queue.Enqueue(now);
            return true;
        }
    }
}
