namespace OiStream.Simulator.Rest;

/// <summary>Faults injected over the admin endpoint; read by the REST and WebSocket handlers.</summary>
public sealed class Faults
{
    private long _http5xxUntil;
    private long _stormUntil;
    private long _silentUntil;
    private int _latencyMs;
    private int _malformedFrames;

    /// <summary>Every REST request answers 503 until then (Unix ms).</summary>
    public long Http5xxUntil { get => Volatile.Read(ref _http5xxUntil); set => Volatile.Write(ref _http5xxUntil, value); }

    /// <summary>Every REST request answers 429 until then (a rate-limit storm).</summary>
    public long StormUntil { get => Volatile.Read(ref _stormUntil); set => Volatile.Write(ref _stormUntil, value); }

    /// <summary>Sockets stay open but send nothing until then.</summary>
    public long SilentUntil { get => Volatile.Read(ref _silentUntil); set => Volatile.Write(ref _silentUntil, value); }

    /// <summary>Added latency of every REST response.</summary>
    public int LatencyMs { get => Volatile.Read(ref _latencyMs); set => Volatile.Write(ref _latencyMs, value); }

    /// <summary>Frames still to be sent malformed (one per socket per tick).</summary>
    public int MalformedFrames { get => Volatile.Read(ref _malformedFrames); set => Volatile.Write(ref _malformedFrames, value); }

    /// <summary>Takes one malformed frame from the budget; true when this frame should be malformed.</summary>
    public bool TakeMalformed()
    {
        while (true)
        {
            var left = Volatile.Read(ref _malformedFrames);
            if (left <= 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _malformedFrames, left - 1, left) == left)
            {
                return true;
            }
        }
    }

    private long _requests;
    private long _tooManyRequests;
    private long _bans;
    private long _lastBanUntil;

    /// <summary>When the latest ban the simulator imposed ends (Unix ms; 0 = none yet).</summary>
    public long LastBanUntil { get => Volatile.Read(ref _lastBanUntil); internal set => Volatile.Write(ref _lastBanUntil, value); }

    /// <summary>REST requests received.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>429 responses sent.</summary>
    public long TooManyRequests => Interlocked.Read(ref _tooManyRequests);

    /// <summary>418 responses sent.</summary>
    public long Bans => Interlocked.Read(ref _bans);

    internal void CountRequest() => Interlocked.Increment(ref _requests);

    internal void CountTooManyRequests() => Interlocked.Increment(ref _tooManyRequests);

    internal void CountBan() => Interlocked.Increment(ref _bans);
}
