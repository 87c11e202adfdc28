using System.Text.Json;
using OiStream.Server;
using OiStream.Storage;
using OiStream.Storage.Sqlite;

namespace OiStream.Server.Tests;

/// <summary>Durable history through the real hub: a restart on the same store, and refusal of a store it must not use.</summary>
public sealed class HistoryTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oistream-history-" + Guid.NewGuid().ToString("N"));

    private string StoreArg => "--OiStream:Storage:Path=" + Path.Combine(_dir, "h.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_restart_on_the_same_store_keeps_every_window_and_the_history_and_fetches_only_the_gap()
    {
        var first = new HubHost { Arguments = HubHost.Args(StoreArg) };
        await first.InitializeAsync();
        var firstBackfill = first.Feeds.Feed!.BackfilledRows;
        var before = await first.GetJsonAsync<JsonElement>("/api/v1/open-interest/history?symbol=BTCUSDT&period=5m&limit=288");
        var coinBefore = await first.GetJsonAsync<JsonElement>("/api/v1/open-interest/aggregated-history?symbol=BTC&interval=1h&limit=20");
        var stateBefore = await first.GetJsonAsync<JsonElement>("/api/v1/instruments/ETHUSDT");
        await first.DisposeAsync();

        var second = new HubHost { Arguments = HubHost.Args(StoreArg) };
        await second.InitializeAsync();
        try
        {
            // The store held everything up to the stop: the exchange was asked only for the minutes since.
            Assert.True(firstBackfill >= 30 * 289, $"first start backfilled {firstBackfill} rows");
            Assert.True(second.Feeds.Feed!.BackfilledRows < firstBackfill / 20, $"second start backfilled {second.Feeds.Feed!.BackfilledRows} rows, first {firstBackfill}");

            var after = await second.GetJsonAsync<JsonElement>($"/api/v1/open-interest/history?symbol=BTCUSDT&period=5m&limit=288&endTime={before[287].GetProperty("timestamp").GetInt64()}");
            Assert.Equal(before.GetRawText(), after.GetRawText());
            var coinAfter = await second.GetJsonAsync<JsonElement>($"/api/v1/open-interest/aggregated-history?symbol=BTC&interval=1h&limit=19&endTime={coinBefore.GetProperty("data")[18].GetProperty("time").GetInt64()}");
            Assert.Equal(
                string.Join("\n", coinBefore.GetProperty("data").EnumerateArray().Take(19).Select(c => c.GetRawText())),
                string.Join("\n", coinAfter.GetProperty("data").EnumerateArray().Select(c => c.GetRawText())));

            // The minutes the first hub saw live were written (the open one at shutdown) and read back.
            var minutes = await second.GetJsonAsync<JsonElement>("/api/v1/open-interest/ohlc-history?symbol=ETHUSDT&interval=1m&limit=10");
            Assert.True(minutes.GetProperty("data").GetArrayLength() >= 1);

            // Every window is back at once, and the 24h base (OI 24 hours ago) is the one the first hub used, to within
            // a minute's move.
            var stateAfter = await second.GetJsonAsync<JsonElement>("/api/v1/instruments/ETHUSDT");
            foreach (var w in new[] { "5m", "15m", "30m", "1h", "4h", "24h" })
            {
                Assert.Equal(JsonValueKind.Number, stateAfter.GetProperty("change").GetProperty(w).ValueKind);
            }
            static double Base(JsonElement s) => s.GetProperty("openInterestCoin").GetDouble() / (1 + (s.GetProperty("change").GetProperty("24h").GetDouble() / 100));
            Assert.InRange(Base(stateAfter) / Base(stateBefore), 0.998, 1.002);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_store_that_cannot_be_used_stops_the_hub_with_its_path_and_is_left_as_it_was()
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "h.db");
        var junk = "not a database at all"u8.ToArray();
        await File.WriteAllBytesAsync(path, junk);
        await using (var app = OiStreamApp.Build(HubHost.Args(StoreArg)))
        {
            var ex = await Assert.ThrowsAsync<HistoryStoreException>(() => app.StartAsync());
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.Contains("OiStream:Storage:Path", ex.Message, StringComparison.Ordinal);
        }
        Assert.Equal(junk, await File.ReadAllBytesAsync(path));

        // A real store opened by a simulating hub: refused, never mixed.
        File.Delete(path);
        await using (var real = new SqliteHistoryStore(path))
        {
            await real.OpenAsync("binance", CancellationToken.None);
        }
        await using (var app = OiStreamApp.Build(HubHost.Args(StoreArg)))
        {
            var ex = await Assert.ThrowsAsync<HistoryStoreException>(() => app.StartAsync());
            Assert.Contains("binance history", ex.Message, StringComparison.Ordinal);
        }
    }
}
