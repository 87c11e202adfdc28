using System.CommandLine;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using OiStream.Client;
using OiStream.Notifier;
using OiStream.Notifier.Rules;

// dotnet run --project clients/dotnet/OiStream.Notifier -- --rules rules.json --url http://127.0.0.1:5000 [--dry-run]
var rules = new Option<FileInfo>("--rules", "-r") { Description = "The rules file (JSON); see clients/dotnet/OiStream.Notifier/rules.example.json", Required = true };
var url = new Option<string>("--url", "-u")
{
    Description = "The hub's address. Default: $OISTREAM_URL, else http://127.0.0.1:5000",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("OISTREAM_URL") ?? "http://127.0.0.1:5000",
};
var apiKey = new Option<string?>("--api-key")
{
    Description = "The hub's API key, if it requires one. Default: $OISTREAM_API_KEY",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("OISTREAM_API_KEY"),
};
var dryRun = new Option<bool>("--dry-run") { Description = "Print every message to the console instead of sending it" };
var check = new Option<bool>("--check") { Description = "Only validate the rules file, then exit (0: valid)" };
var root = new RootCommand("Posts open-interest alerts from an OiStream hub to Slack, Discord, Telegram or any webhook.") { rules, url, apiKey, dryRun, check };
root.SetAction(async (parse, cancellationToken) =>
{
    NotifierConfig config;
    try
    {
        config = RuleFileParser.Load(parse.GetValue(rules)!.FullName);
    }
    catch (RuleFileException ex)
    {
        await Console.Error.WriteLineAsync(ex.Message);
        return 2;
    }
    if (parse.GetValue(check))
    {
        Console.WriteLine($"{config.Path}: {config.Rules.Count} rules, {config.Sinks.Count} sinks: valid.");
        return 0;
    }
    if (!OiStreamClient.TryParseHubUrl(parse.GetValue(url), out var hub, out var urlError))
    {
        await Console.Error.WriteLineAsync(urlError);
        return 2;
    }
    using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss ";
    }).SetMinimumLevel(LogLevel.Information));
    await using var runner = new NotifierRunner(config, hub, parse.GetValue(dryRun), loggers, Console.Out, apiKey: parse.GetValue(apiKey));
    try
    {
        await runner.RunAsync(cancellationToken);
        return 0;
    }
    catch (HubUnreachableException ex)
    {
        await Console.Error.WriteLineAsync(ex.Message);
        return 3;
    }
    catch (RuleFileException ex)
    {
        // The rules do not fit the hub (a window it does not compute).
        await Console.Error.WriteLineAsync(ex.Message);
        return 2;
    }
    catch (HubException ex)
    {
        // e.g. a symbol the hub does not track (the client hands over the hub's own message).
        await Console.Error.WriteLineAsync($"{config.Path}: the hub refused a subscription: {ex.Message}");
        return 2;
    }
});
return await root.Parse(args).InvokeAsync();
