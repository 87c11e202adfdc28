using System.Diagnostics;
using System.Text.Json;
using OiStream.Core.Candles;
using OiStream.Storage;
using OiStream.Storage.Sqlite;

namespace OiStream.Benchmarks;

/// <summary>
/// The history store's figures (README, docs/history.md): writer throughput against the live rate, query latency for
/// long ranges served as JSON, and disk per series per day with a projection for Binance's universe.
///   dotnet run -c Release --project tests/OiStream.Benchmarks -- history
/// </summary>
internal static class HistoryRun
{
    private const long Minute = OiCandle.OneMinute;
    private const long T0 = 1_735_689_600_000; // 2025-01-01 00:00 UTC
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static async Task RunAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "oistream-history-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            await ThroughputAsync(Path.Combine(dir, "throughput.db"));
            await DiskAsync(dir);
            await QueriesAsync(Path.Combine(dir, "query.db"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    // One minute of the simulated universe at default settings: 346 instruments and 300 coins close a candle each.
    private const int LiveSeries = 346 + 300;

    private static async Task ThroughputAsync(string path)
    {
        await using var store = new SqliteHistoryStore(path);
        await store.OpenAsync("simulated", CancellationToken.None);
        var random = new Random(1);
        var minutes = 120;
        var written = 0L;
        var sw = Stopwatch.StartNew();
        for (var m = 0; m < minutes; m++)
        {
            // The engine loop hands over a minute's candles at once; the writer takes up to 20,000 per transaction.
            var batch = new List<OiCandle>(LiveSeries);
            for (var s = 0; s < LiveSeries; s++)
            {
                batch.Add(Candle(SeriesKey.Instrument("S" + s), T0 + (m * Minute), random, distinct: true));
            }
            await store.WriteAsync(batch, CancellationToken.None);
            written += batch.Count;
        }
        sw.Stop();
        var perSecond = written / sw.Elapsed.TotalSeconds;
        var live = LiveSeries / 60.0;
        Console.WriteLine($"writer: {written:N0} one-minute candles (each also rolled into its five-minute bucket) in {sw.Elapsed.TotalSeconds:F2} s = {perSecond:N0} candles/s");
        Console.WriteLine($"live rate of the simulated universe: {LiveSeries} series close a candle a minute = {live:F1} candles/s; writer = {perSecond / live:N0}x the live rate");

        // The first-start import's shape: five-minute rows, one series at a time, 30 days each.
        var rows = new List<OiCandle>();
        for (var s = 0; s < 20; s++)
        {
            for (var i = 0; i < 8_640; i++)
            {
                var v = 1000 + random.NextDouble();
                rows.Add(new OiCandle(SeriesKey.Instrument("I" + s), OiCandle.FiveMinutes, T0 + (i * OiCandle.FiveMinutes), v, v, v, v, v * 100, 100, 1));
            }
        }
        sw.Restart();
        foreach (var chunk in rows.Chunk(20_000))
        {
            await store.WriteAsync(chunk, CancellationToken.None);
        }
        sw.Stop();
        Console.WriteLine($"import: {rows.Count:N0} five-minute rows (20 series x 30 days) in {sw.Elapsed.TotalSeconds:F2} s = {rows.Count / sw.Elapsed.TotalSeconds:N0} rows/s");
    }

    private static async Task DiskAsync(string dir)
    {
        const int series = 200;
        // Minutes whose OI moved within the minute (every COIN-M minute, a polled USDⓈ-M one), and minutes where it did
        // not (open = high = low = close: stored as the close alone), one day of each, per series.
        foreach (var distinct in new[] { true, false })
        {
            var path = Path.Combine(dir, $"disk-{distinct}.db");
            var random = new Random(2);
            await using (var store = new SqliteHistoryStore(path))
            {
                await store.OpenAsync("simulated", CancellationToken.None);
                for (var m = 0; m < 1440; m++)
                {
                    var batch = new List<OiCandle>(series);
                    for (var s = 0; s < series; s++)
                    {
                        batch.Add(Candle(SeriesKey.Instrument("S" + s), T0 + (m * Minute), random, distinct));
                    }
                    await store.WriteAsync(batch, CancellationToken.None);
                }
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var total = new FileInfo(path).Length;
            var minuteBytes = await TableBytesAsync(path, "candles_1m");
            var fiveBytes = await TableBytesAsync(path, "candles_5m");
            Console.WriteLine($"disk ({(distinct ? "OI moved within each minute" : "OI flat within each minute")}): file {total / 1024.0 / series:F1} KiB per series per day; 1m table {minuteBytes / 1024.0 / series:F1} KiB, 5m table {fiveBytes / 1024.0 / series:F1} KiB per series per day");
            if (distinct)
            {
                // Binance today: about 550 USDⓈ-M and 35 COIN-M contracts, 40 options expiries and 450 coin aggregates.
                const int universe = 1_075;
                var year = universe * ((30 * minuteBytes / (double)series) + (365 * fiveBytes / (double)series));
                Console.WriteLine($"projection: {universe} series, 30 days of 1m kept and 365 days of 5m = {year / 1024 / 1024 / 1024:F2} GiB after a year (worst case: every minute moved)");
            }
        }
    }

    // Bytes a table takes, packed (VACUUM): the size of a copy holding only it, less that of a copy holding neither.
    // (The file as written carries part-filled pages on top: see the file figure.)
    private static async Task<long> TableBytesAsync(string path, string table)
    {
        var other = table == "candles_1m" ? "candles_5m" : "candles_1m";
        return await SizeWithout(path, [other]) - await SizeWithout(path, ["candles_1m", "candles_5m"]);
    }

    private static async Task<long> SizeWithout(string path, string[] drop)
    {
        var copy = path + ".copy";
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=false"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = $"VACUUM INTO '{copy}'";
            await cmd.ExecuteNonQueryAsync();
        }
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={copy};Pooling=false"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = string.Concat(drop.Select(t => $"DROP TABLE {t}; ")) + "VACUUM;";
            await cmd.ExecuteNonQueryAsync();
        }
        var bytes = new FileInfo(copy).Length;
        File.Delete(copy);
        return bytes;
    }

    private static async Task QueriesAsync(string path)
    {
        var random = new Random(3);
        await using var store = new SqliteHistoryStore(path);
        await store.OpenAsync("simulated", CancellationToken.None);
        var key = SeriesKey.Instrument("BTCUSDT");
        // 90 days of minutes (129,600), written a day at a time.
        for (var d = 0; d < 90; d++)
        {
            var day = new List<OiCandle>(1440);
            for (var m = 0; m < 1440; m++)
            {
                day.Add(Candle(key, T0 + (((d * 1440L) + m) * Minute), random, distinct: true));
            }
            await store.WriteAsync(day, CancellationToken.None);
        }
        // A year of five-minute buckets for another series (imported history), for 1h candles.
        var other = SeriesKey.Instrument("ETHUSDT");
        var year = new List<OiCandle>();
        for (var i = 0; i < 365 * 288; i++)
        {
            var v = 1000 + random.NextDouble();
            year.Add(new OiCandle(other, OiCandle.FiveMinutes, T0 + (i * OiCandle.FiveMinutes), v, v, v, v, v * 100, 100, 1));
        }
        foreach (var chunk in year.Chunk(20_000))
        {
            await store.WriteAsync(chunk, CancellationToken.None);
        }

        await Measure("90 days of 1m candles (129,600)", () => store.ReadAsync(key, Minute, T0, long.MaxValue / 2, 129_600, true, CancellationToken.None), 129_600);
        await Measure("1 year of 1h candles (8,760, rolled up from 105,120 five-minute rows)", () => store.ReadAsync(other, 3_600_000, T0, long.MaxValue / 2, 8_760, true, CancellationToken.None), 8_760);
        await Measure("1 day of 1m candles (1,440)", () => store.ReadAsync(key, Minute, T0, long.MaxValue / 2, 1_440, false, CancellationToken.None), 1_440);
    }

    private static async Task Measure(string what, Func<Task<IReadOnlyList<OiCandle>>> read, int expected)
    {
        var times = new List<double>();
        long bytes = 0;
        for (var i = 0; i < 25; i++)
        {
            var sw = Stopwatch.StartNew();
            var candles = await read();
            // Served as the OHLC endpoint serves them.
            var json = JsonSerializer.SerializeToUtf8Bytes(candles.Select(c => new { time = c.Time, open = c.Open, high = c.High, low = c.Low, close = c.Close }), Web);
            sw.Stop();
            if (candles.Count != expected)
            {
                throw new InvalidOperationException($"{what}: read {candles.Count}, expected {expected}");
            }
            bytes = json.Length;
            if (i >= 5)
            {
                times.Add(sw.Elapsed.TotalMilliseconds); // the first five warm the JIT and the page cache
            }
        }
        times.Sort();
        Console.WriteLine($"query {what}: p50 {times[times.Count / 2]:F1} ms, p99 {times[^1]:F1} ms (max of {times.Count}), {bytes / 1024.0:F0} KiB of JSON");
    }

    private static OiCandle Candle(SeriesKey key, long time, Random random, bool distinct)
    {
        var close = 1000 + (random.NextDouble() * 10);
        return distinct
            ? new OiCandle(key, Minute, time, close - 1, close + 2, close - 2, close, close * 65_000.123, 65_000.123 + random.NextDouble(), 12)
            : new OiCandle(key, Minute, time, close, close, close, close, close * 65_000.123, 65_000.123 + random.NextDouble(), 3);
    }
}
