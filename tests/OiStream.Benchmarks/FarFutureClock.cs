namespace OiStream.Benchmarks;

/// <summary>A clock far ahead of the benchmark's sample times, so no sample counts as "from the future".</summary>
internal sealed class FarFutureClock : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);
}
