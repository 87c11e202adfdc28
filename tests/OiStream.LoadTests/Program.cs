using OiStream.LoadTests;

// dotnet build -c Release src/OiStream.Server src/OiStream.Simulator && dotnet run -c Release --project tests/OiStream.LoadTests -- latency --seconds 30
switch (args.FirstOrDefault())
{
    case "latency":
        await LatencyRun.RunAsync([.. args.Skip(1)]);
        return 0;
    case "import-latency":
        await HistoryLoadRun.ImportLatencyAsync([.. args.Skip(1)]);
        return 0;
    case "protocol":
        await ProtocolRun.RunAsync([.. args.Skip(1)]);
        return 0;
    case "overview-age":
        await OverviewAgeRun.RunAsync([.. args.Skip(1)]);
        return 0;
    case "fanout":
        await FanoutRun.RunAsync([.. args.Skip(1)]);
        return 0;
    case "failover":
        await FailoverRun.RunAsync([.. args.Skip(1)]);
        return 0;
    case "cluster":
        await ClusterRun.RunAsync([.. args.Skip(1)]);
        return 0;
    case "bare-hub":
        await BareHub.RunAsync([.. args.Skip(1)]);
        return 0;
    case "venues":
        await VenueRun.RunAsync([.. args.Skip(1)]);
        return 0;
    case "restart":
        await HistoryLoadRun.RestartAsync([.. args.Skip(1)]);
        return 0;
    default:
        Console.Error.WriteLine("""
            usage: latency [--seconds N]                       tick-to-client latency with 100 clients × 20 symbols, and the hub's RSS
                   venues [--seconds N]                        the three-venue universe: OI age held by a client per venue, engine events/s, hub RSS
                   import-latency [--seconds N] [--usdm-coins N] the same p99 with the history import running vs off, and the import's wall time
                   restart [--days N] [--binance-unreachable]  restart to ready on a store holding N days of the default universe (and with Binance out of reach)
                   protocol [--seconds N]                      JSON vs MessagePack: bytes per message, hub CPU per 1M delivered, same run
                   fanout [--seconds N] [--points 1000x20,5000x4,10000x2] [--full-states] [--client oistream] [--bare-timer]  OiStream vs a bare SignalR hub with the same traffic: p99, CPU per 1M delivered, connect time, ratios
                   failover [--kills N] [--leader-seconds S] [--edge]  kill -9 of the ingest leader N times (two nodes, PostgreSQL): lease handover and fresh OI at a client, median and max
                   cluster [--seconds N] [--rounds N]          leader → Redis → edge vs a standalone hub, same run: tick-to-client p50/p99, CPU per 1M delivered, Redis traffic
                   overview-age [--seconds N]                  age of overview batches from the tick, on the grid vs aligned to the burst, same run
            """);
        return 2;
}
