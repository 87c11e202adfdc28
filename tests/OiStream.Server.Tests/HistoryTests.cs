using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using OiStream.Server;
using OiStream.Server.Pipeline;
using OiStream.Storage;
using OiStream.Storage.Sqlite;

namespace OiStream.Server.Tests;

/// <summary>Durable history through the real hub: a restart on the same store, refusal of a store it must not use, a full disk.</summary>
public sealed class HistoryTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    private string StoreArg => "--OiStream:Storage:Path=" + _dir.File("h.db");

    public void Dispose() => _dir.Dispose();

    private static async Task WaitForImportAsync(HubHost host) => await Wait.UntilAsync(async () =>
        (await host.GetJsonAsync<JsonElement>("/api/v1/status")).GetProperty("historyImport").GetProperty("state").GetString() == "done",
        TimeSpan.FromSeconds(180), "the history import to finish");

    [Fact]
    public async Task A_restart_on_the_same_store_keeps_every_window_and_the_history_fetches_only_the_gap_and_refills_a_hole()
    {
        var args = HubHost.Args(StoreArg, "--OiStream:Storage:ImportDays=2");
        var first = new HubHost { Arguments = args };
        await first.InitializeAsync();
        var firstBackfill = first.Feeds.Feed!.BackfilledRows;
        await WaitForImportAsync(first);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var holeStart = now - (now % 3_600_000) - (30 * 3_600_000L); // 30 h back: older than the warm start, so only the import refills it
        var hole = $"/api/v1/open-interest/history?symbol=BTCUSDT&period=5m&startTime={holeStart}&limit=12";
        var holeBefore = await first.GetJsonAsync<JsonElement>(hole);
        Assert.Equal(12, holeBefore.GetArrayLength());
        var before = await first.GetJsonAsync<JsonElement>("/api/v1/open-interest/history?symbol=BTCUSDT&period=5m&limit=288");
        var coinBefore = await first.GetJsonAsync<JsonElement>("/api/v1/open-interest/aggregated-history?symbol=BTC&interval=1h&limit=20");
        var stateBefore = await first.GetJsonAsync<JsonElement>("/api/v1/instruments/ETHUSDT");

        // The import reached two days back, for instruments and for the coin, whose bucket is the sum of its instruments'.
        var deep = now - (now % 300_000) - (47 * 3_600_000L);
        var coinDeep = await first.GetJsonAsync<JsonElement>($"/api/v1/open-interest/aggregated-history?symbol=BTC&interval=5m&startTime={deep}&limit=1");
        var coinClose = coinDeep.GetProperty("data")[0];
        Assert.Equal(deep, coinClose.GetProperty("time").GetInt64());
        var instruments = (await first.GetJsonAsync<JsonElement>("/api/v1/instruments"))!.EnumerateArray()
            .Where(i => i.GetProperty("coin").GetString() == "BTC" && i.GetProperty("market").GetString() != "options")
            .Select(i => i.GetProperty("symbol").GetString()!).ToList();
        Assert.True(instruments.Count >= 2, "BTC has several futures");
        var sum = 0.0;
        foreach (var symbol in instruments)
        {
            var c = await first.GetJsonAsync<JsonElement>($"/api/v1/open-interest/ohlc-history?symbol={symbol}&interval=5m&startTime={deep}&endTime={deep}");
            sum += c.GetProperty("data").EnumerateArray().Select(x => x.GetProperty("close").GetDouble()).SingleOrDefault();
        }
        Assert.Equal(sum, coinClose.GetProperty("close").GetDouble(), 6);
        await first.DisposeAsync();

        // Cut a hole in the store, as a store that refused writes for an hour would leave.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_dir.File("h.db")};Pooling=false"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "DELETE FROM candles_5m WHERE series = (SELECT id FROM series WHERE kind = 0 AND name = 'BTCUSDT') AND t >= $a AND t < $b";
            cmd.Parameters.AddWithValue("$a", (holeStart - 300_000) / 60_000);
            cmd.Parameters.AddWithValue("$b", (holeStart + 3_300_000) / 60_000); // the buckets of the 12 rows at holeStart, +5m, …, +55m
            Assert.Equal(12, cmd.ExecuteNonQuery());
        }

        var second = new HubHost { Arguments = args };
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

            // The hole is refilled from the exchange: exactly what the (new) simulator serves for that hour. (Its
            // history ends where it starts, so it is not the first simulator's.)
            await WaitForImportAsync(second);
            var refilled = await second.GetJsonAsync<JsonElement>(hole);
            var truth = await second.Http.GetFromJsonAsync<JsonElement>(new Uri(second.Feeds.SimulatorUri!,
                $"/futures/data/openInterestHist?symbol=BTCUSDT&period=5m&startTime={holeStart}&endTime={holeStart + 3_300_000}&limit=500"));
            Assert.Equal(12, refilled.GetArrayLength());
            Assert.Equal(truth.EnumerateArray().Select(r => r.GetProperty("timestamp").GetInt64()), refilled.EnumerateArray().Select(r => r.GetProperty("timestamp").GetInt64()));
            foreach (var (t, r) in truth.EnumerateArray().Zip(refilled.EnumerateArray()))
            {
                foreach (var field in new[] { "sumOpenInterest", "sumOpenInterestValue" })
                {
                    Assert.Equal(double.Parse(t.GetProperty(field).GetString()!, CultureInfo.InvariantCulture), double.Parse(r.GetProperty(field).GetString()!, CultureInfo.InvariantCulture), 6);
                }
            }

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
            Assert.InRange(Base24h(stateAfter) / Base24h(stateBefore), 0.998, 1.002);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_store_that_cannot_be_used_stops_the_hub_with_its_path_and_is_left_as_it_was()
    {
        Directory.CreateDirectory(_dir.Path);
        var path = _dir.File("h.db");
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

    [Fact]
    public async Task A_hub_killed_while_importing_leaves_a_sound_store_and_the_next_one_fills_what_was_lost()
    {
        var args = new[] { StoreArg, "--OiStream:Storage:ImportDays=2" };
        var path = _dir.File("h.db");
        JsonElement stateBefore;
        await using (var first = await HubProcess.StartAsync(args))
        {
            await first.WaitReadyAsync();
            stateBefore = await first.Http.GetFromJsonAsync<JsonElement>(new Uri(first.BaseUri, "/api/v1/instruments/ETHUSDT"));
            await Wait.UntilAsync(async () =>
            {
                var import = (await first.Http.GetFromJsonAsync<JsonElement>(new Uri(first.BaseUri, "/api/v1/status"))).GetProperty("historyImport");
                return import.GetProperty("state").GetString() == "importing" && import.GetProperty("rows").GetInt64() > 0;
            }, TimeSpan.FromSeconds(120), "the import writing");
            await first.KillAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=false"))
        {
            db.Open();
            using var check = db.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", (string)check.ExecuteScalar()!);
            check.CommandText = "SELECT (SELECT count(*) FROM candles_5m) - (SELECT count(*) FROM (SELECT DISTINCT series, t FROM candles_5m))";
            Assert.Equal(0L, (long)check.ExecuteScalar()!);
        }

        await using var second = await HubProcess.StartAsync(args);
        await second.WaitReadyAsync();
        // The restarted process shows the 24h window the killed one did: its base, OI 24 hours ago, to within a minute's move.
        var stateAfter = await second.Http.GetFromJsonAsync<JsonElement>(new Uri(second.BaseUri, "/api/v1/instruments/ETHUSDT"));
        Assert.InRange(Base24h(stateAfter) / Base24h(stateBefore), 0.998, 1.002);
        await Wait.UntilAsync(async () =>
            (await second.Http.GetFromJsonAsync<JsonElement>(new Uri(second.BaseUri, "/api/v1/status"))).GetProperty("historyImport").GetProperty("state").GetString() == "done",
            TimeSpan.FromSeconds(180), "the second hub's import");
        // Two days of BTCUSDT without a missing five-minute bucket.
        var rows = (await second.Http.GetFromJsonAsync<JsonElement>(new Uri(second.BaseUri, "/api/v1/open-interest/history?symbol=BTCUSDT&period=5m&limit=500")))
            .EnumerateArray().Select(r => r.GetProperty("timestamp").GetInt64()).ToList();
        Assert.Equal(500, rows.Count);
        Assert.All(rows.Zip(rows.Skip(1)), p => Assert.Equal(300_000, p.Second - p.First));
    }

    [Fact]
    public async Task A_full_disk_degrades_history_while_updates_flow_and_the_queue_is_written_once_there_is_room()
    {
        Directory.CreateDirectory(_dir.Path);
        Run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", _dir.Path);
        try
        {
            var host = new HubHost { Arguments = HubHost.Args(StoreArg) };
            await host.InitializeAsync();
            try
            {
                var writer = host.Service<HistoryWriter>();
                await Wait.UntilAsync(() => writer.Status.Queued == 0 && writer.Status.Written > 0, TimeSpan.FromSeconds(30), "the backfill written");
                // Fold the WAL into the file and empty it, so the next write needs new room on the disk.
                await Wait.UntilAsync(() => Checkpoint(_dir.File("h.db")), TimeSpan.FromSeconds(30), "a complete checkpoint");
                var filler = _dir.File("filler");
                await using (var fill = File.Create(filler))
                {
                    var block = new byte[64 * 1024];
                    try
                    {
                        while (true)
                        {
                            await fill.WriteAsync(block);
                            await fill.FlushAsync();
                        }
                    }
                    catch (IOException)
                    {
                        // the disk is full
                    }
                }

                // The next minute's candles cannot be written: the status says so.
                var status = default(JsonElement);
                await Wait.UntilAsync(async () =>
                {
                    status = await host.GetJsonAsync<JsonElement>("/api/v1/status");
                    return status.GetProperty("history").GetProperty("state").GetString() == "degraded";
                }, TimeSpan.FromSeconds(120), "history degraded by the full disk");
                Assert.Contains(status.GetProperty("feeds").EnumerateArray(), f => f.GetProperty("feed").GetString() == "history" && f.GetProperty("state").GetString() == "degraded");
                var failedAt = status.GetProperty("history").GetProperty("degradedSince").GetInt64();

                // Live data goes on meanwhile.
                var seq = (await host.GetJsonAsync<JsonElement>("/api/v1/instruments/BTCUSDT")).GetProperty("seq").GetInt64();
                await Wait.UntilAsync(async () => (await host.GetJsonAsync<JsonElement>("/api/v1/instruments/BTCUSDT")).GetProperty("seq").GetInt64() > seq + 2,
                    TimeSpan.FromSeconds(30), "BTCUSDT updates while history is degraded");
                Assert.True((await host.GetJsonAsync<JsonElement>("/api/v1/status")).GetProperty("history").GetProperty("queued").GetInt32() > 0, "candles wait for the store");

                File.Delete(filler);
                await Wait.UntilAsync(async () =>
                {
                    status = await host.GetJsonAsync<JsonElement>("/api/v1/status");
                    return status.GetProperty("history") is var h && h.GetProperty("state").GetString() == "ok" && h.GetProperty("queued").GetInt32() == 0;
                }, TimeSpan.FromSeconds(60), "history written again");
                Assert.Equal(0, status.GetProperty("history").GetProperty("dropped").GetInt64());
                Assert.Contains(status.GetProperty("feeds").EnumerateArray(), f => f.GetProperty("feed").GetString() == "history" && f.GetProperty("state").GetString() == "connected");
                // The minute that could not be written when the disk filled is in the store now.
                var minutes = await host.GetJsonAsync<JsonElement>($"/api/v1/open-interest/ohlc-history?symbol=BTCUSDT&interval=1m&startTime={failedAt - 120_000}&limit=5");
                Assert.Contains(minutes.GetProperty("data").EnumerateArray(), c => c.GetProperty("time").GetInt64() >= failedAt - 120_000);
            }
            finally
            {
                await host.DisposeAsync();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Run("umount", "-l", _dir.Path);
        }
    }

    // OI 24 hours ago, as an instrument's 24h change implies it.
    private static double Base24h(JsonElement s) => s.GetProperty("openInterestCoin").GetDouble() / (1 + (s.GetProperty("change").GetProperty("24h").GetDouble() / 100));

    private static bool Checkpoint(string path)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=false");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        using var reader = cmd.ExecuteReader();
        return reader.Read() && reader.GetInt64(0) == 0; // not busy
    }

    private static void Run(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{command} {string.Join(' ', args)} failed: {error} (the full-disk test mounts a small tmpfs, which needs root)");
    }
}
