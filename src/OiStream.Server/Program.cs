using OiStream.Server;
using OiStream.Storage;

// dotnet run --project src/OiStream.Server -- --simulate      (built-in simulator; every payload says "simulated")
// dotnet run --project src/OiStream.Server                    (real Binance)
var app = OiStreamApp.Build(args);
try
{
    await app.RunAsync();
    return 0;
}
catch (HistoryStoreException ex)
{
    // The store named its path, the setting and the fix; a stack trace would bury that.
    await Console.Error.WriteLineAsync("OiStream cannot start: " + ex.Message);
    return 2;
}
