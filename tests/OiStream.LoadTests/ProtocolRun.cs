using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using MessagePack.Resolvers;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using OiStream.Client;
using OiStream.Contracts;
using OiStream.Server.Hubs;

namespace OiStream.LoadTests;

/// <summary>
/// JSON vs MessagePack, measured in one run against one hub process: the exact bytes of each kind of message (framed
/// as the hub writes them, from the hub's live states) and the hub's CPU time per million instrument updates delivered
/// to 100 clients × 20 symbols, JSON first, then MessagePack, then JSON again (the machine's drift shows as the gap
/// between the two JSON runs).
/// </summary>
internal static class ProtocolRun
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 1 && args[0] == "--seconds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
        await using var hub = await HubProcess.StartAsync(null, "--OiStream:Storage:ImportDays=0");
        await hub.WaitReadyAsync(TimeSpan.FromSeconds(120));

        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var states = (await hub.Http.GetFromJsonAsync<InstrumentState[]>(new Uri(hub.Url, "/api/v1/instruments"), web))!;
        var windows = states[0].Change.Keys.ToList();
        // The protocols as the hub configures them.
        var json = new JsonHubProtocol(Options.Create(new JsonHubProtocolOptions { PayloadSerializerOptions = { DefaultIgnoreCondition = JsonIgnoreCondition.Never, PropertyNamingPolicy = JsonNamingPolicy.CamelCase } }));
        var packOptions = new MessagePackHubProtocolOptions();
        packOptions.SerializerOptions = packOptions.SerializerOptions.WithResolver(CompositeResolver.Create([new OverviewTableFormatter()], [packOptions.SerializerOptions.Resolver]));
        var pack = new MessagePackHubProtocol(Options.Create(packOptions));
        int Bytes(IHubProtocol p, string target, object arg) => p.GetMessageBytes(new InvocationMessage(target, [arg])).Length;

        var perps = states.Where(s => s.Market == "usdm" && s.ContractType == "PERPETUAL").ToList();
        double Average(IHubProtocol p) => perps.Average(s => Bytes(p, "instrument", s));
        Console.WriteLine($"hub: {states.Length} instruments (simulator); sizes are whole SignalR frames");
        Console.WriteLine($"instrument update (mean over {perps.Count} USD-M perpetuals): JSON {Average(json):0} B, MessagePack {Average(pack):0} B ({Average(pack) / Average(json):P0})");
        var overviewJson = Bytes(json, "overview", states);
        var overviewPack = Bytes(pack, "overview", states);
        Console.WriteLine($"overview batch ({states.Length} rows): JSON {overviewJson:N0} B, MessagePack {overviewPack:N0} B ({(double)overviewPack / overviewJson:P0})");
        var table = new OverviewTable(windows, states);
        var tableJson = Bytes(json, "overviewTable", table);
        var tablePack = Bytes(pack, "overviewTable", table);
        Console.WriteLine($"overviewTable batch ({states.Length} rows): JSON {tableJson:N0} B, MessagePack {tablePack:N0} B ({(double)tablePack / tableJson:P0})");

        var runs = new List<(OiStreamProtocol Protocol, LatencyRun.Measurement M)>();
        foreach (var protocol in new[] { OiStreamProtocol.Json, OiStreamProtocol.MessagePack, OiStreamProtocol.Json })
        {
            var m = await LatencyRun.MeasureAsync(hub, seconds, protocol);
            runs.Add((protocol, m));
            Console.WriteLine($"{protocol,-11} {m.Delivered,9:N0} updates delivered in {seconds} s; hub CPU {m.HubCpu.TotalSeconds:0.00} s = {m.HubCpu.TotalSeconds / m.Delivered * 1e6:0.0} s per 1M delivered; tick-to-client p50 {m.P50:0} ms, p99 {m.P99:0} ms");
        }
        double PerMillion(LatencyRun.Measurement m) => m.HubCpu.TotalSeconds / m.Delivered * 1e6;
        var jsonMean = (PerMillion(runs[0].M) + PerMillion(runs[2].M)) / 2;
        Console.WriteLine($"MessagePack / JSON hub CPU per delivered update: {PerMillion(runs[1].M) / jsonMean:0.00} (JSON runs {PerMillion(runs[0].M):0.0} and {PerMillion(runs[2].M):0.0})");
    }
}
