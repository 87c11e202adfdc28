using OiStream.LoadTests;

// dotnet build -c Release src/OiStream.Server && dotnet run -c Release --project tests/OiStream.LoadTests -- latency --seconds 30
if (args.Length > 0 && args[0] == "latency")
{
    await LatencyRun.RunAsync(args.Skip(1).ToArray());
    return 0;
}
Console.Error.WriteLine("usage: latency [--seconds N]   (tick-to-client latency with 100 clients × 20 symbols, and the hub's RSS)");
return 2;
