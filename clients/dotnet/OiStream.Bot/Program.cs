using System.CommandLine;
using OiStream.Bot;
using OiStream.Client;

// dotnet run --project clients/dotnet/OiStream.Bot -- --url http://127.0.0.1:5000 BTCUSDT ETHUSDT --coin BTC
var symbols = new Argument<string[]>("symbols") { Description = "Binance symbols to watch, e.g. BTCUSDT ETHUSDT BTCUSD_PERP", Arity = ArgumentArity.ZeroOrMore };
var url = new Option<string>("--url", "-u")
{
    Description = "The hub's address (or its /hubs/oi URL). Default: $OISTREAM_URL, else http://127.0.0.1:5000",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("OISTREAM_URL") ?? "http://127.0.0.1:5000",
};
var apiKey = new Option<string?>("--api-key")
{
    Description = "The hub's API key, if it requires one. Default: $OISTREAM_API_KEY",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("OISTREAM_API_KEY"),
};
var protocol = new Option<OiStreamProtocol>("--protocol")
{
    Description = "The hub protocol: Json (default) or MessagePack (smaller messages)",
    DefaultValueFactory = _ => OiStreamProtocol.Json,
};
var coins = new Option<string[]>("--coin", "-c") { Description = "Coin aggregates to watch, e.g. --coin BTC --coin ETH", AllowMultipleArgumentsPerToken = true };
var plain = new Option<bool>("--plain") { Description = "One readable line per update instead of the live table (the default when output is redirected)" };
var json = new Option<bool>("--json") { Description = "One JSON object per line: {\"type\":\"instrument\"|\"coin\"|\"signal\"|\"feedStatus\",\"data\":{…}}" };
var threshold = new Option<double>("--threshold", "-t") { Description = "Highlight changes of at least this many percent", DefaultValueFactory = _ => 1.0 };
var limit = new Option<int>("--limit") { Description = "Exit after this many updates (default: run until Ctrl+C)" };

var root = new RootCommand("Watches open interest live from an OiStream hub.") { symbols, url, apiKey, protocol, coins, plain, json, threshold, limit };
root.Validators.Add(result =>
{
    if (result.GetValue(plain) && result.GetValue(json))
    {
        result.AddError("--plain and --json exclude each other: choose one.");
    }
    if ((result.GetValue(symbols)?.Length ?? 0) == 0 && (result.GetValue(coins)?.Length ?? 0) == 0)
    {
        result.AddError("Nothing to watch: give at least one symbol (e.g. BTCUSDT) or --coin BTC.");
    }
    if (result.GetValue(threshold) is var t && (t < 0 || !double.IsFinite(t)))
    {
        result.AddError($"--threshold must be a percentage of 0 or more, e.g. 1.5 (got {t}).");
    }
    if (result.GetValue(limit) < 0)
    {
        result.AddError("--limit must be 0 (no limit) or a positive number of updates.");
    }
});
root.SetAction(async (parse, cancellationToken) =>
{
    if (!OiStreamClient.TryParseHubUrl(parse.GetValue(url), out var hub, out var urlError))
    {
        await Console.Error.WriteLineAsync(urlError);
        return ExitCodes.Usage;
    }
    var mode = parse.GetValue(json) ? OutputMode.Json
        : parse.GetValue(plain) || Console.IsOutputRedirected ? OutputMode.Plain
        : OutputMode.Table;
    var options = new BotOptions
    {
        Url = hub,
        ApiKey = parse.GetValue(apiKey),
        Protocol = parse.GetValue(protocol),
        Symbols = parse.GetValue(symbols) ?? [],
        Coins = parse.GetValue(coins) ?? [],
        Mode = mode,
        Threshold = parse.GetValue(threshold),
        Limit = parse.GetValue(limit),
    };
    return await new BotRunner(options, Console.Out, Console.Error).RunAsync(cancellationToken);
});
return await root.Parse(args).InvokeAsync();
