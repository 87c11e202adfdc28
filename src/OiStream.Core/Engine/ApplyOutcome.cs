namespace OiStream.Core.Engine;

/// <summary>What the engine did with one <see cref="MarketEvent"/>. Every outcome but the first two is counted.</summary>
public enum ApplyOutcome : byte
{
    /// <summary>The event moved the instrument forward.</summary>
    Applied,

    /// <summary>The event had the same exchange time as the latest one and replaced its value (a correction).</summary>
    Replaced,

    /// <summary>Older than the instrument's latest sample of that kind: ignored (series only move forward).</summary>
    Late,

    /// <summary>NaN, infinite, negative (or zero mark price) value: ignored.</summary>
    Invalid,

    /// <summary>The symbol is not a tracked instrument: ignored.</summary>
    UnknownInstrument,

    /// <summary>Exchange time further in the future than the allowed clock skew: ignored, so that it cannot block later samples.</summary>
    FromFuture,

    /// <summary>The event does not apply to this instrument (e.g. history for an options expiry): ignored.</summary>
    NotApplicable,
}
