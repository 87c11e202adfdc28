namespace OiStream.Notifier.Rules;

/// <summary>A parsed, validated rules file.</summary>
public sealed record NotifierConfig
{
    /// <summary>The file it came from.</summary>
    public required string Path { get; init; }

    /// <summary>Where messages link to (the hub's dashboard); null for no link.</summary>
    public Uri? DashboardUrl { get; init; }

    /// <summary>At most this many messages per <see cref="RatePeriod"/> over all rules and sinks.</summary>
    public int RateMessages { get; init; } = 20;

    /// <summary>The period of the rate cap.</summary>
    public TimeSpan RatePeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How webhook deliveries are retried.</summary>
    public DeliveryOptions Delivery { get; init; } = new();

    /// <summary>Sinks by name.</summary>
    public required IReadOnlyDictionary<string, SinkConfig> Sinks { get; init; }

    /// <summary>The rules, in file order.</summary>
    public required IReadOnlyList<Rule> Rules { get; init; }
}

/// <summary>Retries of a failed delivery (with exponential backoff and jitter, honouring Retry-After).</summary>
public sealed record DeliveryOptions
{
    /// <summary>Retries after the first attempt.</summary>
    public int Retries { get; init; } = 5;

    /// <summary>Delay before the first retry; it doubles each time.</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Time limit of one attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>The kinds of sink.</summary>
public enum SinkKind
{
    /// <summary>Slack-compatible incoming webhook: <c>{"text":…}</c>.</summary>
    Slack,

    /// <summary>Discord webhook: <c>{"content":…}</c>.</summary>
    Discord,

    /// <summary>Telegram bot API <c>sendMessage</c>.</summary>
    Telegram,

    /// <summary>Any HTTP endpoint: the alert as JSON.</summary>
    Json,

    /// <summary>Standard output.</summary>
    Console,
}

/// <summary>Where messages go.</summary>
public sealed record SinkConfig
{
    /// <summary>The name rules refer to.</summary>
    public required string Name { get; init; }

    /// <summary>The kind.</summary>
    public required SinkKind Kind { get; init; }

    /// <summary>Webhook URL (Slack, Discord, JSON) or bot API base URL (Telegram, default https://api.telegram.org).</summary>
    public Uri? Url { get; init; }

    /// <summary>Telegram bot token.</summary>
    public string? Token { get; init; }

    /// <summary>Telegram chat id.</summary>
    public string? ChatId { get; init; }
}

/// <summary>One rule: whom it watches, what triggers it, where it goes.</summary>
public sealed record Rule
{
    /// <summary>A name for messages and logs.</summary>
    public required string Name { get; init; }

    /// <summary>Instrument symbols (upper case), or <c>*</c> for every instrument; empty for a coin rule.</summary>
    public IReadOnlyList<string> Symbols { get; init; } = [];

    /// <summary>Coins (upper case); empty for an instrument rule.</summary>
    public IReadOnlyList<string> Coins { get; init; } = [];

    /// <summary>A condition on the state (null for a signal rule).</summary>
    public Condition? When { get; init; }

    /// <summary>A hub signal event kind (null for a condition rule).</summary>
    public string? Signal { get; init; }

    /// <summary>After a message, the same rule stays quiet for the same symbol or coin this long.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Sink names.</summary>
    public required IReadOnlyList<string> Sinks { get; init; }

    /// <summary>True when the rule watches every instrument.</summary>
    public bool AllSymbols => Symbols.Count == 1 && Symbols[0] == "*";

    /// <summary>True when the rule applies to this instrument.</summary>
    public bool MatchesSymbol(string symbol) => AllSymbols || Symbols.Contains(symbol, StringComparer.Ordinal);

    /// <summary>True when the rule applies to this coin aggregate.</summary>
    public bool MatchesCoin(string coin) => Coins.Contains(coin, StringComparer.Ordinal);
}
