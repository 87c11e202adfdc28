using Microsoft.Data.Sqlite;
using OiStream.Core.Candles;
using OiStream.Storage.Sqlite;

namespace OiStream.Storage.Tests;

/// <summary>The SQLite store: the contract, plus what only a file can get wrong.</summary>
public sealed class SqliteHistoryStoreTests : HistoryStoreContract
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oistream-store-" + Guid.NewGuid().ToString("N"));

    protected override IHistoryStore Create(string name) => new SqliteHistoryStore(Path.Combine(_dir, name + ".db"));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private string FileOf(string name) => Path.Combine(_dir, name + ".db");

    [Fact]
    public async Task A_file_that_is_not_SQLite_is_refused_by_name_and_left_as_it_was()
    {
        Directory.CreateDirectory(_dir);
        var bytes = "{\"this\":\"is somebody's JSON, not a database\"}"u8.ToArray();
        await File.WriteAllBytesAsync(FileOf("foreign"), bytes);
        await using var store = Create("foreign");
        var ex = await Assert.ThrowsAsync<HistoryStoreException>(() => store.OpenAsync("binance", CancellationToken.None));
        Assert.Contains(FileOf("foreign"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("OiStream:Storage:Path", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not an SQLite database", ex.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(FileOf("foreign")));
    }

    [Fact]
    public async Task Another_programs_SQLite_database_is_refused_and_left_as_it_was()
    {
        Directory.CreateDirectory(_dir);
        await using (var other = new SqliteConnection($"Data Source={FileOf("app")};Pooling=false"))
        {
            other.Open();
            using var cmd = other.CreateCommand();
            cmd.CommandText = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada');";
            cmd.ExecuteNonQuery();
        }
        var before = await File.ReadAllBytesAsync(FileOf("app"));
        await using var store = Create("app");
        var ex = await Assert.ThrowsAsync<HistoryStoreException>(() => store.OpenAsync("binance", CancellationToken.None));
        Assert.Contains("did not write", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(FileOf("app")));
    }

    [Fact]
    public async Task A_corrupt_store_is_refused_with_its_path()
    {
        var store = await OpenAsync("corrupt");
        await store.WriteAsync(Enumerable.Range(0, 2000).Select(i => M("BTCUSDT", T0 + (i * Minute), 1, 2, 0.5, 1.5)).ToList(), CancellationToken.None);
        await store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        // Keep the header, overwrite the pages after it with noise.
        await using (var file = File.Open(FileOf("corrupt"), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 4096;
            var noise = new byte[file.Length - 4096];
            new Random(7).NextBytes(noise);
            await file.WriteAsync(noise);
        }
        var reopened = Create("corrupt");
        var ex = await Record.ExceptionAsync(async () =>
        {
            await reopened.OpenAsync("simulated", CancellationToken.None);
            await reopened.ReadAsync(SeriesKey.Instrument("BTCUSDT"), Minute, T0, long.MaxValue / 2, 10, true, CancellationToken.None);
        });
        await reopened.DisposeAsync();
        var refused = Assert.IsType<HistoryStoreException>(ex);
        Assert.Contains(FileOf("corrupt"), refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_or_an_uncreatable_path_is_refused_with_the_setting_named()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "adir.db"));
        await using var dir = Create("adir");
        Assert.Contains("is a directory", (await Assert.ThrowsAsync<HistoryStoreException>(() => dir.OpenAsync("binance", CancellationToken.None))).Message, StringComparison.Ordinal);

        Directory.CreateDirectory(_dir);
        var blocker = Path.Combine(_dir, "plainfile");
        await File.WriteAllTextAsync(blocker, "x");
        await using var under = new SqliteHistoryStore(Path.Combine(blocker, "sub", "h.db"));
        var ex = await Assert.ThrowsAsync<HistoryStoreException>(() => under.OpenAsync("binance", CancellationToken.None));
        Assert.Contains("cannot be created", ex.Message, StringComparison.Ordinal);
        Assert.Contains("OiStream:Storage:Path", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_written_by_an_older_schema_opens_upgraded_with_its_data()
    {
        var old = new SqliteHistoryStore(FileOf("old"));
        await old.OpenAsync("binance", schemaVersion: 1, CancellationToken.None);
        await old.WriteAsync([M("BTCUSDT", T0, 1, 2, 0.5, 1.5)], CancellationToken.None);
        await old.DisposeAsync();
        Assert.Equal(1L, UserVersion(FileOf("old")));

        var store = await OpenAsync("old", source: "binance");
        Assert.Equal((long)SqliteSchema.Latest, UserVersion(FileOf("old")));
        Assert.Equal(1.5, Assert.Single(await store.ReadAsync(SeriesKey.Instrument("BTCUSDT"), Minute, T0, T0, 10, true, CancellationToken.None)).Close);
    }

    [Fact]
    public async Task A_store_from_a_newer_OiStream_is_refused()
    {
        var store = await OpenAsync("newer");
        await store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        await using (var c = new SqliteConnection($"Data Source={FileOf("newer")};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"PRAGMA user_version = {SqliteSchema.Latest + 1}";
            cmd.ExecuteNonQuery();
        }
        await using var again = Create("newer");
        Assert.Contains("newer OiStream", (await Assert.ThrowsAsync<HistoryStoreException>(() => again.OpenAsync("simulated", CancellationToken.None))).Message, StringComparison.Ordinal);
    }

    private static long UserVersion(string path)
    {
        SqliteConnection.ClearAllPools();
        using var c = new SqliteConnection($"Data Source={path};Pooling=false");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA user_version";
        return (long)cmd.ExecuteScalar()!;
    }
}
