namespace OiStream.Testing;

/// <summary>
/// A clock the test sets to any instant (Unix ms), backwards too: the engine and rule tests replay exchange times out
/// of order, which <c>FakeTimeProvider</c> refuses ("cannot go back in time"). Tests that only move forward and wait
/// on timers use <c>FakeTimeProvider</c>.
/// </summary>
public sealed class ManualClock(long unixMs) : TimeProvider
{
    /// <summary>The time, Unix ms.</summary>
    public long Now { get; set; } = unixMs;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(Now);
}
