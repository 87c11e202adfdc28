using OiStream.Server;

// dotnet run --project src/OiStream.Server -- --simulate      (built-in simulator; every payload says "simulated")
// dotnet run --project src/OiStream.Server                    (real Binance)
var app = OiStreamApp.Build(args);
await app.RunAsync();
