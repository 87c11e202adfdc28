namespace OiStream.Core.Engine;

/// <summary>
/// Counts of what the engine did with its input. Written by the engine thread only; read from any thread
/// (64-bit reads are atomic on the platforms we run on, and a slightly old figure is fine for status pages).
/// </summary>
public sealed class EngineCounters
{
    private readonly long[] _byOutcome = new long[Enum.GetValues<ApplyOutcome>().Length];
    private long _instrumentListChanges;
    private long _feedEvents;

    /// <summary>Events handled with the given outcome.</summary>
    public long this[ApplyOutcome outcome] => Volatile.Read(ref _byOutcome[(int)outcome]);

    /// <summary>Instrument list changes applied.</summary>
    public long InstrumentListChanges => Volatile.Read(ref _instrumentListChanges);

    /// <summary>Feed status events forwarded.</summary>
    public long FeedEvents => Volatile.Read(ref _feedEvents);

    /// <summary>All events ignored for any reason (late, invalid, unknown, from the future, not applicable).</summary>
    public long Ignored => this[ApplyOutcome.Late] + this[ApplyOutcome.Invalid] + this[ApplyOutcome.UnknownInstrument]
        + this[ApplyOutcome.FromFuture] + this[ApplyOutcome.NotApplicable];

    internal void Count(ApplyOutcome outcome) => _byOutcome[(int)outcome]++;

    internal void CountInstrumentListChange() => _instrumentListChanges++;

    internal void CountFeedEvent() => _feedEvents++;
}
