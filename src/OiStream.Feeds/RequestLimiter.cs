namespace OiStream.Feeds;

/// <summary>
/// A venue's REST budget on the client side: at most <c>limit</c> requests per key in any rolling window (waiting,
/// never refused), and a block on every request after the venue said stop (Bybit's 403 ban, OKX's 429), until the
/// time it gives or a safe default.
/// </summary>
public sealed class RequestLimiter(TimeProvider time)
{
    private readonly Dictionary<string, Queue<long>> _sent = new(StringComparer.Ordinal);
    private long _blockedUntil;
    private long _requests;
    private long _refused;

    /// <summary>Requests let through.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Answers that said stop (403, 429).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>No request goes out before then (Unix ms; 0 = none).</summary>
    public long BlockedUntil => Interlocked.Read(ref _blockedUntil);

    /// <summary>Blocks every request until <paramref name="until"/> (Unix ms) and counts the refusal.</summary>
    public void Block(long until)
    {
        Interlocked.Increment(ref _refused);
        long seen;
        do
        {
            seen = Interlocked.Read(ref _blockedUntil);
        }
        while (until > seen && Interlocked.CompareExchange(ref _blockedUntil, until, seen) != seen);
    }

    /// <summary>Waits until a request under <paramref name="key"/> fits in <paramref name="limit"/> per <paramref name="window"/>, then counts it.</summary>
    public async Task WaitAsync(string key, int limit, TimeSpan window, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        while (true)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var blocked = BlockedUntil;
            long wait;
            if (blocked > now)
            {
                wait = blocked - now;
            }
            else
            {
                lock (_sent)
                {
                    if (!_sent.TryGetValue(key, out var queue))
                    {
                        _sent[key] = queue = new Queue<long>();
                    }
                    var from = now - (long)window.TotalMilliseconds;
                    while (queue.Count > 0 && queue.Peek() <= from)
                    {
                        queue.Dequeue();
                    }
                    if (queue.Count < limit)
                    {
                        queue.Enqueue(now);
                        Interlocked.Increment(ref _requests);
                        return;
                    }
                    wait = queue.Peek() - from + 1;
                }
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(wait, 5_000)), time, cancellationToken);
        }
    }
}
