using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OiStream.Server;
using OiStream.Simulator;

namespace OiStream.Server.Tests;

/// <summary>
/// Without --simulate and with Binance out of reach, the hub says so and keeps trying; it shows nothing when it holds
/// nothing, and what its store holds (stale, and said to be) when it was running before.
/// </summary>
public sealed class UnreachableBinanceTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // A hub on "Binance" at rest/ws (a standalone simulator, or a closed port), with this test's store.
    private string[] HubArgs(string rest, string ws) =>
    [
        "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning",
        $"--OiStream:Binance:UsdmRest={rest}", $"--OiStream:Binance:CoinmRest={rest}", $"--OiStream:Binance:OptionsRest={rest}",
        $"--OiStream:Binance:UsdmStream={ws}", $"--OiStream:Binance:CoinmStream={ws}", $"--OiStream:Binance:OptionsStream={ws}",
        "--OiStream:Storage:Path=" + _dir.File("h.db"), "--OiStream:Storage:ImportDays=0", "--OiStream:Engine:StaleAfter=00:00:02",
        // This test is about Binance alone; the other venues are covered by VenueTests.
        "--OiStream:Exchanges:Bybit:Enabled=false", "--OiStream:Exchanges:Okx:Enabled=false",
    ];

    private static readonly SimulatorOptions Market = new() { UsdmCoins = 30, CoinmCoins = 4 };

    [Fact]
    public async Task A_restart_while_Binance_is_out_of_reach_serves_the_stored_state_as_stale_and_goes_live_when_Binance_returns()
    {
        var port = Ports.Free();
        JsonElement[] instrumentsBefore;
        JsonElement ethBefore;
        JsonElement historyBefore;
        long until;
        await using (var sim = await SimulatorServer.StartAsync(Market, port))
        {
            var first = OiStreamApp.Build(HubArgs(sim.BaseUri.ToString().TrimEnd('/'), sim.WebSocketUri.ToString().TrimEnd('/')));
            await first.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri(first.Urls.First()) };
            await Wait.UntilAsync(async () => (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the first hub ready");
            instrumentsBefore = (await http.GetFromJsonAsync<JsonElement[]>(new Uri("/api/v1/instruments", UriKind.Relative)))!;
            ethBefore = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/instruments/ETHUSDT", UriKind.Relative));
            until = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            historyBefore = await http.GetFromJsonAsync<JsonElement>(new Uri($"/api/v1/open-interest/history?symbol=BTCUSDT&period=5m&limit=200&endTime={until - 600_000}", UriKind.Relative));
            await first.StopAsync();
            await first.DisposeAsync();
        }

        // Binance gone (the port closed): the hub serves what the store holds.
        var url = $"http://127.0.0.1:{port}";
        var second = OiStreamApp.Build(HubArgs(url, $"ws://127.0.0.1:{port}"));
        await second.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(second.Urls.First()) };
            await Wait.UntilAsync(async () => (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "ready on the stored state");
            var report = await http.GetFromJsonAsync<JsonElement>(new Uri("/readyz", UriKind.Relative));
            Assert.Equal("Degraded", report.GetProperty("status").GetString());
            var checks = report.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
            Assert.Equal("Healthy", checks["engine"].GetProperty("status").GetString());
            Assert.Equal("Degraded", checks["binance-usdm"].GetProperty("status").GetString());
            Assert.StartsWith("Not live, serving what the store holds: Cannot reach Binance", checks["binance-usdm"].GetProperty("description").GetString(), StringComparison.Ordinal);
            var status = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/status", UriKind.Relative));
            Assert.True(status.GetProperty("servingStored").GetBoolean());
            Assert.False(status.GetProperty("live").GetBoolean());
            var discovery = status.GetProperty("feeds").EnumerateArray().Single(f => f.GetProperty("feed").GetString() == "discovery");
            Assert.Equal("disconnected", discovery.GetProperty("state").GetString());

            // The same instruments, the same history, the last OI held, and every window the first hub had.
            var instruments = (await http.GetFromJsonAsync<JsonElement[]>(new Uri("/api/v1/instruments", UriKind.Relative)))!;
            Assert.Equal(instrumentsBefore.Select(i => i.GetProperty("symbol").GetString()).Order(), instruments.Select(i => i.GetProperty("symbol").GetString()).Order());
            var history = await http.GetFromJsonAsync<JsonElement>(new Uri($"/api/v1/open-interest/history?symbol=BTCUSDT&period=5m&limit=200&endTime={until - 600_000}", UriKind.Relative));
            Assert.Equal(historyBefore.GetRawText(), history.GetRawText());
            JsonElement eth = default;
            await Wait.UntilAsync(async () =>
            {
                eth = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/instruments/ETHUSDT", UriKind.Relative));
                return eth.GetProperty("stale").GetBoolean();
            }, TimeSpan.FromSeconds(30), "ETHUSDT flagged stale");
            Assert.Equal(ethBefore.GetProperty("openInterestCoin").GetDouble(), eth.GetProperty("openInterestCoin").GetDouble(), 0.005 * ethBefore.GetProperty("openInterestCoin").GetDouble());
            foreach (var window in new[] { "5m", "1h", "24h" })
            {
                Assert.Equal(JsonValueKind.Number, eth.GetProperty("change").GetProperty(window).ValueKind);
            }
            Assert.Equal(ethBefore.GetProperty("change").GetProperty("24h").GetDouble(), eth.GetProperty("change").GetProperty("24h").GetDouble(), 0.5);

            // Binance back on the same address: discovery succeeds, the feed goes live and the figures are fresh.
            await using var back = await SimulatorServer.StartAsync(Market, port);
            await Wait.UntilAsync(async () =>
            {
                var s = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/status", UriKind.Relative));
                return s.GetProperty("live").GetBoolean() && !s.GetProperty("servingStored").GetBoolean();
            }, TimeSpan.FromSeconds(90), "live again once Binance answers");
            await Wait.UntilAsync(async () =>
                !(await http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/instruments/ETHUSDT", UriKind.Relative))).GetProperty("stale").GetBoolean(),
                TimeSpan.FromSeconds(60), "ETHUSDT fresh again");
            var ready = await http.GetFromJsonAsync<JsonElement>(new Uri("/readyz", UriKind.Relative));
            var usdm = ready.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "binance-usdm");
            Assert.NotEqual("Unhealthy", usdm.GetProperty("status").GetString());
            Assert.DoesNotContain("serving what the store holds", usdm.GetProperty("description").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await second.StopAsync();
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_hub_reports_Binance_unreachable_stays_unready_and_invents_nothing()
    {
        // A closed port on loopback stands in for an unreachable Binance: nothing leaves 127.0.0.1.
        var app = OiStreamApp.Build(HubArgs("http://127.0.0.1:1", "ws://127.0.0.1:1"));
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            JsonElement discovery = default;
            await Wait.UntilAsync(async () =>
            {
                var status = JsonSerializer.Deserialize<JsonElement>(await http.GetStringAsync(new Uri("/api/v1/status", UriKind.Relative)));
                discovery = status.GetProperty("feeds").EnumerateArray().FirstOrDefault(f => f.GetProperty("feed").GetString() == "discovery");
                return discovery.ValueKind == JsonValueKind.Object;
            }, TimeSpan.FromSeconds(30), "a discovery status");

            Assert.Equal("disconnected", discovery.GetProperty("state").GetString());
            Assert.Contains("Cannot reach Binance", discovery.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Contains("Retrying", discovery.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal("binance", discovery.GetProperty("source").GetString());

            using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            // The body says which checks fail and why.
            var report = JsonSerializer.Deserialize<JsonElement>(await ready.Content.ReadAsStringAsync());
            Assert.Equal("Unhealthy", report.GetProperty("status").GetString());
            var checks = report.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
            Assert.Equal("Unhealthy", checks["engine"].GetProperty("status").GetString());
            Assert.Equal("Unhealthy", checks["binance-usdm"].GetProperty("status").GetString());
            Assert.StartsWith("Not live yet: Cannot reach Binance", checks["binance-usdm"].GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.Equal("Healthy", checks["history-store"].GetProperty("status").GetString());
            using var live = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            var instruments = JsonSerializer.Deserialize<JsonElement>(await http.GetStringAsync(new Uri("/api/v1/instruments", UriKind.Relative)));
            Assert.Equal(0, instruments.GetArrayLength());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
