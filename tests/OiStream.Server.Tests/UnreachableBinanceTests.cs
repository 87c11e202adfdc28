using System.Net;
using System.Text.Json;
using OiStream.Server;

namespace OiStream.Server.Tests;

/// <summary>Without --simulate and with Binance out of reach, the hub says so, keeps trying, and shows no data.</summary>
public class UnreachableBinanceTests
{
    [Fact]
    public async Task The_hub_reports_Binance_unreachable_stays_unready_and_invents_nothing()
    {
        // A closed port on loopback stands in for an unreachable Binance: nothing leaves 127.0.0.1.
        const string nowhere = "http://127.0.0.1:1";
        var app = OiStreamApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning",
            $"--OiStream:Binance:UsdmRest={nowhere}", $"--OiStream:Binance:CoinmRest={nowhere}", $"--OiStream:Binance:OptionsRest={nowhere}",
            "--OiStream:Binance:UsdmStream=ws://127.0.0.1:1", "--OiStream:Binance:CoinmStream=ws://127.0.0.1:1", "--OiStream:Binance:OptionsStream=ws://127.0.0.1:1",
        ]);
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
