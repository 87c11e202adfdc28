namespace OiStream.Testing;

/// <summary>A clock the test moves by hand (Unix ms).</summary>
internal sealed class ManualClock(long unixMs) : TimeProvider
{
    public long Now { get; set; } = unixMs;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(Now);
}
