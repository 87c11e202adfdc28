using Microsoft.Extensions.Options;
using OiStream.Server;
using OiStream.Storage;

// dotnet run --project src/OiStream.Server -- --simulate      (built-in simulator; every payload says "simulated")
// dotnet run --project src/OiStream.Server                    (real Binance)
WebApplication app;
try
{
    app = OiStreamApp.Build(args);
}
catch (OptionsValidationException ex)
{
    // Each failure names the setting and the values it takes.
    await Console.Error.WriteLineAsync("OiStream cannot start: " + string.Join(Environment.NewLine + "  ", ex.Failures.Prepend("")));
    return 2;
}
try
{
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    await Console.Error.WriteLineAsync("OiStream cannot start: " + string.Join(Environment.NewLine + "  ", ex.Failures.Prepend("")));
    return 2;
}
catch (HistoryStoreException ex)
{
    // The store named its path, the setting and the fix; a stack trace would bury that.
    await Console.Error.WriteLineAsync("OiStream cannot start: " + ex.Message);
    return 2;
}
