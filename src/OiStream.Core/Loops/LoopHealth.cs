namespace OiStream.Core.Loops;

/// <summary>
/// One background loop's account of the failures it did not expect, and the pause before it tries again. A loop
/// catches every exception but its own stop, calls <see cref="Failed"/> (which counts it, keeps its message for
/// <c>/api/v1/status</c> and returns how long to wait), and <see cref="Succeeded"/> after a good pass. The pause
/// doubles from <see cref="FirstDelay"/> to <see cref="MaxDelay"/> while failures repeat, so a failure that recurs
/// on every pass costs one pass per <see cref="MaxDelay"/>, not a core.
/// </summary>
public sealed class LoopHealth
{
    private readonly object _gate = new();
    private readonly Backoff _backoff;
    private long _failures;
    private int _consecutive;
    private string? _lastError;
    private long _lastFailureAt;

    /// <summary>Creates the account of loop <paramref name="name"/>.</summary>
    public LoopHealth(string name, TimeSpan? firstDelay = null, TimeSpan? maxDelay = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        FirstDelay = firstDelay ?? TimeSpan.FromSeconds(1);
        MaxDelay = maxDelay ?? TimeSpan.FromSeconds(30);
        if (FirstDelay <= TimeSpan.Zero || MaxDelay < FirstDelay)
        {
            throw new ArgumentException($"A loop's first delay must be positive and at most its longest ({FirstDelay}, {MaxDelay}).", nameof(firstDelay));
        }
        _backoff = new Backoff(FirstDelay, MaxDelay);
    }

    /// <summary>The loop's name in status and logs, e.g. <c>engine</c> or <c>usdm-ws</c>.</summary>
    public string Name { get; }

    /// <summary>The pause after a first failure.</summary>
    public TimeSpan FirstDelay { get; }

    /// <summary>The longest pause, reached when failures keep repeating.</summary>
    public TimeSpan MaxDelay { get; }

    /// <summary>Unexpected failures since start.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Failures since the last good pass (0: the loop works).</summary>
    public int Consecutive => Volatile.Read(ref _consecutive);

    /// <summary>The last failure, as exception type and message; null if none.</summary>
    public string? LastError
    {
        get
        {
            lock (_gate)
            {
                return _lastError;
            }
        }
    }

    /// <summary>When the last failure happened (Unix ms); 0 if never.</summary>
    public long LastFailureAt => Interlocked.Read(ref _lastFailureAt);

    /// <summary>
    /// Counts a failure at <paramref name="nowMs"/> and returns the pause before the next pass:
    /// <see cref="FirstDelay"/> doubled for each failure in a row, at most <see cref="MaxDelay"/>.
    /// </summary>
    public TimeSpan Failed(Exception exception, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(exception);
        int consecutive;
        lock (_gate)
        {
            _lastError = $"{exception.GetType().Name}: {exception.Message}";
            consecutive = ++_consecutive;
        }
        Interlocked.Increment(ref _failures);
        Interlocked.Exchange(ref _lastFailureAt, nowMs);
        return _backoff.Delay(consecutive);
    }

    /// <summary>A pass went well: the next failure starts again from <see cref="FirstDelay"/>.</summary>
    public void Succeeded()
    {
        if (Volatile.Read(ref _consecutive) != 0)
        {
            lock (_gate)
            {
                _consecutive = 0;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="run"/> until it returns or <paramref name="stoppingToken"/> stops it; when it throws
    /// anything else, counts the failure, tells <paramref name="onFailure"/> (to log it) and runs it again after the
    /// pause <see cref="Failed"/> gives. The body calls <see cref="Succeeded"/> after each good pass.
    /// </summary>
    public async Task SuperviseAsync(Func<CancellationToken, Task> run, TimeProvider time, Action<Exception, TimeSpan> onFailure, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(onFailure);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan pause;
            try
            {
                await run(stoppingToken);
                return;
            }
            catch (Exception ex) when (IsStop(ex, stoppingToken))
            {
                return;
            }
            catch (Exception ex)
            {
                pause = Failed(ex, time.GetUtcNow().ToUnixTimeMilliseconds());
                onFailure(ex, pause);
            }
            try
            {
                await Task.Delay(pause, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>True when <paramref name="exception"/> is the loop being stopped, which ends it rather than counting as a failure.</summary>
    public static bool IsStop(Exception exception, CancellationToken stoppingToken)
        => exception is OperationCanceledException && stoppingToken.IsCancellationRequested;
}

/// <summary>The loops of one process, as status shows them. Each stage registers its loops when it builds them.</summary>
public sealed class LoopMonitor
{
    private readonly object _gate = new();
    private readonly List<LoopHealth> _loops = [];

    /// <summary>The account of loop <paramref name="name"/>: one per name, so the workers of one loop share it.</summary>
    public LoopHealth Register(string name, TimeSpan? firstDelay = null, TimeSpan? maxDelay = null)
    {
        lock (_gate)
        {
            var existing = _loops.Find(l => l.Name == name);
            if (existing is not null)
            {
                return existing;
            }
            var health = new LoopHealth(name, firstDelay, maxDelay);
            _loops.Add(health);
            return health;
        }
    }

    /// <summary>Every registered loop, in order of registration.</summary>
    public IReadOnlyList<LoopHealth> Loops
    {
        get
        {
            lock (_gate)
            {
                return [.. _loops];
            }
        }
    }
}
