namespace OiStream.Core.Loops;

/// <summary>
/// The one way OiStream spaces its retries: <see cref="First"/> doubled for each failure in a row, at most
/// <see cref="Max"/>; with <see cref="Jitter"/>, a random point in the upper half of that, so that many clients do not
/// retry in step. Reconnects (market-data sockets) use it with jitter; retries after a failure (discovery, a 429
/// without Retry-After, a background loop) without.
/// </summary>
/// <param name="First">The pause after a first failure.</param>
/// <param name="Max">The longest pause.</param>
/// <param name="Jitter">Randomise each pause within its upper half.</param>
public sealed record Backoff(TimeSpan First, TimeSpan Max, bool Jitter = false)
{
    /// <summary>The pause after failure number <paramref name="attempt"/> in a row (1 for the first).</summary>
    public TimeSpan Delay(int attempt)
    {
        var exp = Math.Min(Max.TotalMilliseconds, First.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30)));
        // Stryker disable once Arithmetic : the jitter's random share is not observable beyond its bounds, which the tests check
        return TimeSpan.FromMilliseconds(Jitter ? (exp / 2) + (Random.Shared.NextDouble() * exp / 2) : exp);
    }
}
