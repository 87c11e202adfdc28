using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using OiStream.Contracts;

namespace OiStream.Notifier.Rules;

/// <summary>
/// Reads a rules file (JSON; comments and trailing commas allowed). Collects every problem instead of stopping at
/// the first, each with the file, line and column, so one run of the notifier shows everything to fix.
/// <c>${NAME}</c> in a sink's url, token or chatId is replaced by the environment variable NAME (keep secrets out of
/// the file).
/// </summary>
public static partial class RuleFileParser
{
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The signal event kinds a rule can name.</summary>
    public static readonly IReadOnlyList<string> SignalKinds = [SignalNames.OiSpike, SignalNames.OiFlush, SignalNames.Divergence, SignalNames.FundingExtreme];

    /// <summary>Loads and validates a rules file.</summary>
    public static NotifierConfig Load(string path, Func<string, string?>? environment = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RuleFileException([$"{path}: cannot read the rules file: {ex.Message}. Pass an existing file with --rules (see clients/dotnet/OiStream.Notifier/rules.example.json)."]);
        }
        return Parse(bytes, path, environment ?? Environment.GetEnvironmentVariable);
    }

    /// <summary>Validates rules-file content; <paramref name="path"/> is only used in messages.</summary>
    public static NotifierConfig Parse(ReadOnlySpan<byte> json, string path, Func<string, string?> environment)
    {
        if (json.StartsWith("\uFEFF"u8))
        {
            json = json[3..];
        }
        JsonPositions positions;
        JsonDocument document;
        try
        {
            positions = new JsonPositions(json, ReaderOptions);
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            // The reader's numbers are 0-based; editors count from 1.
            var line = (ex.LineNumber ?? 0) + 1;
            var column = (ex.BytePositionInLine ?? 0) + 1;
            var reason = ex.Message.Split(" LineNumber:", 2)[0].Split(" Path:", 2)[0].TrimEnd('.', ' ');
            throw new RuleFileException([$"{path}:{line}:{column}: not valid JSON: {reason}."]);
        }
        using (document)
        {
            return new Reader(path, positions, environment).Read(document.RootElement);
        }
    }

    /// <summary>"15m", "30s", "1h", "2d", "500ms" or a TimeSpan ("00:15:00").</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        var m = DurationShape().Match(text);
        if (m.Success)
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            duration = m.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
            return true;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }

    [GeneratedRegex(@"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d)\s*$")]
    private static partial Regex DurationShape();

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex EnvironmentReference();

    private sealed class Reader(string file, JsonPositions positions, Func<string, string?> environment)
    {
        private readonly List<string> _problems = [];

        public NotifierConfig Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                Problem("", "the file must hold one JSON object with \"sinks\" and \"rules\" (see rules.example.json).");
                throw new RuleFileException(_problems);
            }
            Known(root, "", "dashboardUrl", "rateLimit", "delivery", "sinks", "rules");

            Uri? dashboard = null;
            if (root.TryGetProperty("dashboardUrl", out var d))
            {
                dashboard = HttpUrl(d, "dashboardUrl", "the hub's address, e.g. \"http://127.0.0.1:5000/\"");
            }

            int rateMessages = 20;
            var ratePeriod = TimeSpan.FromMinutes(1);
            if (Object(root, "rateLimit") is { } rate)
            {
                Known(rate, "rateLimit", "messages", "per");
                if (rate.TryGetProperty("messages", out var m))
                {
                    rateMessages = PositiveInt(m, "rateLimit.messages") ?? rateMessages;
                }
                if (rate.TryGetProperty("per", out var p))
                {
                    ratePeriod = Duration(p, "rateLimit.per", positive: true) ?? ratePeriod;
                }
            }

            var delivery = new DeliveryOptions();
            if (Object(root, "delivery") is { } del)
            {
                Known(del, "delivery", "retries", "firstDelay", "timeout");
                if (del.TryGetProperty("retries", out var r))
                {
                    if (r.ValueKind == JsonValueKind.Number && r.TryGetInt32(out var n) && n is >= 0 and <= 20)
                    {
                        delivery = delivery with { Retries = n };
                    }
                    else
                    {
                        Problem("delivery.retries", "must be a whole number from 0 to 20.");
                    }
                }
                if (del.TryGetProperty("firstDelay", out var fd) && Duration(fd, "delivery.firstDelay", positive: true) is { } first)
                {
                    delivery = delivery with { FirstDelay = first };
                }
                if (del.TryGetProperty("timeout", out var to) && Duration(to, "delivery.timeout", positive: true) is { } timeout)
                {
                    delivery = delivery with { Timeout = timeout };
                }
            }

            var sinks = new Dictionary<string, SinkConfig>(StringComparer.Ordinal);
            if (Object(root, "sinks") is { } sinksElement)
            {
                foreach (var s in sinksElement.EnumerateObject())
                {
                    if (Sink(s.Name, s.Value, "sinks." + s.Name) is { } sink)
                    {
                        sinks[s.Name] = sink;
                    }
                }
                if (!sinksElement.EnumerateObject().Any())
                {
                    Problem("sinks", "no sinks: add one, e.g. \"sinks\": { \"team\": { \"type\": \"slack\", \"url\": \"${SLACK_WEBHOOK_URL}\" } }.");
                }
            }
            else if (!root.TryGetProperty("sinks", out _))
            {
                Problem("", "\"sinks\" is missing: name where messages go, e.g. \"sinks\": { \"log\": { \"type\": \"console\" } }.");
            }

            var rules = new List<Rule>();
            if (!root.TryGetProperty("rules", out var rulesElement))
            {
                Problem("", "\"rules\" is missing: add a list of rules, e.g. \"rules\": [ { \"symbol\": \"BTCUSDT\", \"when\": \"change.5m >= 1.5\" } ].");
            }
            else if (rulesElement.ValueKind != JsonValueKind.Array || rulesElement.GetArrayLength() == 0)
            {
                Problem("rules", "must be a non-empty list of rules, e.g. [ { \"symbol\": \"BTCUSDT\", \"when\": \"change.5m >= 1.5\" } ].");
            }
            else
            {
                var i = 0;
                foreach (var r in rulesElement.EnumerateArray())
                {
                    if (RuleAt(r, $"rules[{i}]", i, sinks) is { } rule)
                    {
                        rules.Add(rule);
                    }
                    i++;
                }
            }

            if (_problems.Count > 0)
            {
                throw new RuleFileException(_problems);
            }
            return new NotifierConfig
            {
                Path = file,
                DashboardUrl = dashboard,
                RateMessages = rateMessages,
                RatePeriod = ratePeriod,
                Delivery = delivery,
                Sinks = sinks,
                Rules = rules,
            };
        }

        private SinkConfig? Sink(string name, JsonElement e, string path)
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                Problem(path, $"sink '{name}' must be an object, e.g. {{ \"type\": \"slack\", \"url\": \"https://hooks.slack.com/services/…\" }}.");
                return null;
            }
            Known(e, path, "type", "url", "token", "chatId");
            var typeText = e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            SinkKind kind;
            switch (typeText)
            {
                case "slack": kind = SinkKind.Slack; break;
                case "discord": kind = SinkKind.Discord; break;
                case "telegram": kind = SinkKind.Telegram; break;
                case "json": kind = SinkKind.Json; break;
                case "console": kind = SinkKind.Console; break;
                default:
                    Problem(typeText is null ? path : path + ".type", $"sink '{name}' needs \"type\": one of slack, discord, telegram, json, console{(typeText is null ? "" : $" (not '{typeText}')")}.");
                    return null;
            }
            Uri? url = null;
            if (e.TryGetProperty("url", out var u))
            {
                url = HttpUrl(u, path + ".url", kind == SinkKind.Telegram ? "the bot API's base URL, e.g. \"https://api.telegram.org\"" : "the webhook's URL");
            }
            else if (kind is SinkKind.Slack or SinkKind.Discord or SinkKind.Json)
            {
                Problem(path, $"sink '{name}' ({typeText}) needs \"url\": the webhook's URL (\"${{NAME}}\" reads it from the environment).");
            }
            string? token = null, chatId = null;
            if (kind == SinkKind.Telegram)
            {
                token = RequiredText(e, path, "token", $"sink '{name}' (telegram) needs \"token\": the bot token from @BotFather (e.g. \"${{TELEGRAM_BOT_TOKEN}}\").");
                chatId = RequiredText(e, path, "chatId", $"sink '{name}' (telegram) needs \"chatId\": the chat to post to (e.g. \"-1001234567890\").");
                url ??= new Uri("https://api.telegram.org");
            }
            return new SinkConfig { Name = name, Kind = kind, Url = url, Token = token, ChatId = chatId };
        }

        private Rule? RuleAt(JsonElement e, string path, int index, Dictionary<string, SinkConfig> sinks)
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                Problem(path, "a rule must be an object, e.g. { \"symbol\": \"BTCUSDT\", \"when\": \"change.5m >= 1.5\" }.");
                return null;
            }
            var before = _problems.Count;
            Known(e, path, "name", "symbol", "coin", "when", "signal", "cooldown", "sinks");
            var name = e.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : $"rule {index + 1}";

            var symbols = e.TryGetProperty("symbol", out var sym) ? Names(sym, path + ".symbol", "BTCUSDT") : null;
            var coins = e.TryGetProperty("coin", out var coin) ? Names(coin, path + ".coin", "BTC") : null;
            if (symbols is null && coins is null && !e.TryGetProperty("symbol", out _) && !e.TryGetProperty("coin", out _))
            {
                Problem(path, $"rule '{name}' needs \"symbol\" (e.g. \"BTCUSDT\", a list, or \"*\" for every instrument) or \"coin\" (e.g. \"BTC\").");
            }
            else if (e.TryGetProperty("symbol", out _) && e.TryGetProperty("coin", out _))
            {
                Problem(path + ".coin", $"rule '{name}' has both \"symbol\" and \"coin\": a rule watches instruments or coin aggregates; split it in two.");
            }
            if (symbols is { Count: > 1 } && symbols.Contains("*"))
            {
                Problem(path + ".symbol", "\"*\" already means every instrument: use it alone.");
            }
            if (coins is not null && coins.Contains("*"))
            {
                Problem(path + ".coin", "coins are named one by one (e.g. [\"BTC\", \"ETH\"]); \"*\" is only for symbols.");
            }

            Condition? when = null;
            string? signal = null;
            var hasWhen = e.TryGetProperty("when", out var w);
            var hasSignal = e.TryGetProperty("signal", out var sg);
            if (hasWhen == hasSignal)
            {
                Problem(path, hasWhen
                    ? $"rule '{name}' has both \"when\" and \"signal\": give one (split the rule in two)."
                    : $"rule '{name}' needs a trigger: \"when\": \"change.5m >= 1.5\" (a condition) or \"signal\": \"oiSpike\" (a hub event).");
            }
            if (hasWhen)
            {
                if (w.ValueKind != JsonValueKind.String)
                {
                    Problem(path + ".when", "must be a string, e.g. \"change.5m >= 1.5\".");
                }
                else if (!Condition.TryParse(w.GetString()!, out when, out var error))
                {
                    Problem(path + ".when", error!);
                }
            }
            if (hasSignal)
            {
                signal = sg.ValueKind == JsonValueKind.String ? sg.GetString() : null;
                if (signal is null || !SignalKinds.Contains(signal))
                {
                    Problem(path + ".signal", $"unknown signal {(signal is null ? sg.GetRawText() : $"'{signal}'")}: use one of {string.Join(", ", SignalKinds)}.");
                }
            }

            var cooldown = TimeSpan.FromMinutes(15);
            if (e.TryGetProperty("cooldown", out var c) && Duration(c, path + ".cooldown", positive: false) is { } cd)
            {
                cooldown = cd;
            }

            IReadOnlyList<string> sinkNames = [.. sinks.Keys];
            if (e.TryGetProperty("sinks", out var rs))
            {
                var list = Names(rs, path + ".sinks", "team", upperCase: false);
                if (list is not null)
                {
                    foreach (var (s, i) in list.Select((s, i) => (s, i)))
                    {
                        if (!sinks.ContainsKey(s))
                        {
                            Problem($"{path}.sinks" + (rs.ValueKind == JsonValueKind.Array ? $"[{i}]" : ""), $"no sink named '{s}'; the file defines {(sinks.Count == 0 ? "none" : string.Join(", ", sinks.Keys))}.");
                        }
                    }
                    sinkNames = list;
                }
            }

            if (_problems.Count > before)
            {
                return null;
            }
            return new Rule
            {
                Name = name,
                Symbols = symbols ?? [],
                Coins = coins ?? [],
                When = when,
                Signal = signal,
                Cooldown = cooldown,
                Sinks = sinkNames,
            };
        }

        private List<string>? Names(JsonElement e, string path, string example, bool upperCase = true)
        {
            string Norm(string s) => upperCase ? s.Trim().ToUpperInvariant() : s.Trim();
            if (e.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(e.GetString()))
            {
                return [Norm(e.GetString()!)];
            }
            if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0 && e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(x.GetString())))
            {
                return [.. e.EnumerateArray().Select(x => Norm(x.GetString()!))];
            }
            Problem(path, $"must be a name or a non-empty list of names, e.g. \"{example}\" or [\"{example}\"].");
            return null;
        }

        private JsonElement? Object(JsonElement parent, string name)
        {
            if (!parent.TryGetProperty(name, out var e))
            {
                return null;
            }
            if (e.ValueKind != JsonValueKind.Object)
            {
                Problem(name, "must be an object.");
                return null;
            }
            return e;
        }

        private int? PositiveInt(JsonElement e, string path)
        {
            if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var n) && n > 0)
            {
                return n;
            }
            Problem(path, $"must be a whole number above 0 (not {e.GetRawText()}).");
            return null;
        }

        private TimeSpan? Duration(JsonElement e, string path, bool positive)
        {
            if (e.ValueKind == JsonValueKind.String && TryParseDuration(e.GetString()!, out var d) && (!positive || d > TimeSpan.Zero))
            {
                return d;
            }
            Problem(path, $"{e.GetRawText()} is not a {(positive ? "positive " : "")}duration: write e.g. \"30s\", \"15m\", \"1h\", \"500ms\" or \"00:15:00\".");
            return null;
        }

        private Uri? HttpUrl(JsonElement e, string path, string what)
        {
            var text = e.ValueKind == JsonValueKind.String ? Expand(e.GetString()!, path) : null;
            if (text is null)
            {
                if (e.ValueKind != JsonValueKind.String)
                {
                    Problem(path, $"must be a string: {what}.");
                }
                return null;
            }
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                return uri;
            }
            Problem(path, $"'{text}' is not an http(s) URL: give {what}.");
            return null;
        }

        private string? RequiredText(JsonElement parent, string path, string name, string missing)
        {
            if (!parent.TryGetProperty(name, out var e) || e.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(e.GetString()))
            {
                Problem(parent.TryGetProperty(name, out _) ? path + "." + name : path, missing);
                return null;
            }
            return Expand(e.GetString()!, path + "." + name);
        }

        /// <summary>Replaces ${NAME} with the environment variable; a missing one is a problem, never an empty string.</summary>
        private string? Expand(string text, string path)
        {
            var ok = true;
            var result = EnvironmentReference().Replace(text, m =>
            {
                var value = environment(m.Groups[1].Value);
                if (string.IsNullOrEmpty(value))
                {
                    Problem(path, $"the environment variable {m.Groups[1].Value} is not set: export it, or write the value into the file.");
                    ok = false;
                    return "";
                }
                return value;
            });
            return ok ? result : null;
        }

        private void Known(JsonElement e, string path, params string[] names)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (!names.Contains(p.Name, StringComparer.Ordinal))
                {
                    var near = names.FirstOrDefault(n => string.Equals(n, p.Name, StringComparison.OrdinalIgnoreCase) || Distance(n, p.Name) <= 2);
                    Problem(JsonPositions.Join(path, p.Name), $"unknown property \"{p.Name}\"{(near is null ? "" : $" (did you mean \"{near}\"?)")}; {(path.Length == 0 ? "the file" : path)} takes {string.Join(", ", names)}.", atName: true);
                }
            }
        }

        private void Problem(string path, string message, bool atName = false)
        {
            var (line, column) = atName ? positions.Name(path) : positions.Value(path);
            _problems.Add($"{file}:{line}:{column}: {(path.Length == 0 ? "" : path + ": ")}{message}");
        }

        private static int Distance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
            for (var j = 0; j <= b.Length; j++) d[0, j] = j;
            for (var i = 1; i <= a.Length; i++)
            {
                for (var j = 1; j <= b.Length; j++)
                {
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1));
                }
            }
            return d[a.Length, b.Length];
        }
    }
}
