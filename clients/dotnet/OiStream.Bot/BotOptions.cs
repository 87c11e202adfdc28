using OiStream.Client;

namespace OiStream.Bot;

/// <summary>How the bot shows updates.</summary>
public enum OutputMode
{
    /// <summary>A redrawing terminal table.</summary>
    Table,

    /// <summary>One readable line per update (for pipes and logs).</summary>
    Plain,

    /// <summary>One JSON object per line: <c>{"type":"instrument","data":{…}}</c>.</summary>
    Json,
}

/// <summary>What the user asked for on the command line.</summary>
public sealed record BotOptions
{
    /// <summary>The hub's address or hub URL.</summary>
    public required Uri Url { get; init; }

    /// <summary>The hub protocol.</summary>
    public OiStreamProtocol Protocol { get; init; } = OiStreamProtocol.Json;

    /// <summary>The hub's API key, if it requires one.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Instruments to watch (Binance symbols).</summary>
    public IReadOnlyList<string> Symbols { get; init; } = [];

    /// <summary>Coin aggregates to watch.</summary>
    public IReadOnlyList<string> Coins { get; init; } = [];

    /// <summary>Output mode.</summary>
    public OutputMode Mode { get; init; } = OutputMode.Table;

    /// <summary>Changes whose size is at least this many percent are highlighted.</summary>
    public double Threshold { get; init; } = 1.0;

    /// <summary>Stop after this many updates (0: run until Ctrl+C).</summary>
    public int Limit { get; init; }
}
