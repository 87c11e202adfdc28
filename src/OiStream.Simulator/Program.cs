using OiStream.Simulator;

// Standalone: dotnet run --project src/OiStream.Simulator [-- --urls http://127.0.0.1:5099 --Simulator:Seed 7]
var builder = WebApplication.CreateSlimBuilder(args);
var options = builder.Configuration.GetSection("Simulator").Get<SimulatorOptions>() ?? new SimulatorOptions();
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5099");
}
SimulatorServer.Configure(builder, options);
var app = builder.Build();
SimulatorServer.MapAll(app);
var urls = builder.Configuration["urls"] ?? "http://127.0.0.1:5099";
SimulatorLog.Started(app.Logger, options.Seed, urls);
await app.RunAsync();

/// <summary>Log messages of the standalone simulator.</summary>
internal static partial class SimulatorLog
{
    [LoggerMessage(EventId = 9001, EventName = "SimulatorStarted", Level = LogLevel.Information, Message = "Binance simulator (seed {Seed}) on {Urls}: every figure it serves is simulated.")]
    public static partial void Started(ILogger logger, int seed, string urls);
}
