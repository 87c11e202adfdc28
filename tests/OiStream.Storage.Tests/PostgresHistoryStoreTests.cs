using Npgsql;
using OiStream.Core.Candles;
using OiStream.Storage.Postgres;
using OiStream.Testing;

namespace OiStream.Storage.Tests;

/// <summary>One PostgreSQL server of the tests' own for every test of this assembly that needs one.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition("postgres")]
public sealed class PostgresServerGroup : ICollectionFixture<PostgresFixture>;

/// <summary>
/// The PostgreSQL store on a real server: the contract (a named store is a schema of its own), plus what only a
/// shared, networked store can get wrong.
/// </summary>
[Collection("postgres")]
public sealed class PostgresHistoryStoreTests(PostgresFixture postgres) : HistoryStoreContract
{
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..10] + "_";

    protected override IHistoryStore Create(string name) => new PostgresHistoryStore(postgres.Server.ConnectionString, _prefix + name);

    private async Task ExecAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(postgres.Server.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_schema_holding_another_programs_tables_is_refused_and_left_as_it_was()
    {
        await ExecAsync($"CREATE SCHEMA {_prefix}app; CREATE TABLE {_prefix}app.customers (id integer PRIMARY KEY, name text); INSERT INTO {_prefix}app.customers VALUES (1, 'Ada');");
        await using var store = Create("app");
        var ex = await Assert.ThrowsAsync<HistoryStoreException>(() => store.OpenAsync("binance", CancellationToken.None));
        Assert.Contains("did not write", ex.Message, StringComparison.Ordinal);
        Assert.Contains("customers", ex.Message, StringComparison.Ordinal);
        Assert.Contains("OiStream:Storage:Schema", ex.Message, StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(postgres.Server.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT string_agg(table_name, ',') FROM information_schema.tables WHERE table_schema = '{_prefix}app'", connection);
        Assert.Equal("customers", await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_server_that_does_not_answer_is_named_with_the_setting_and_the_fix()
    {
        var port = Ports.Free(); // nobody listens there
        await using var store = new PostgresHistoryStore($"Host=127.0.0.1;Port={port};Username=oistream;Password=secret-word;Database=oistream;Timeout=2", "oistream");
        var ex = await Assert.ThrowsAsync<HistoryStoreException>(() => store.OpenAsync("binance", CancellationToken.None));
        Assert.Contains($"127.0.0.1:{port}/oistream", ex.Message, StringComparison.Ordinal);
        Assert.Contains("OiStream:Storage:ConnectionString", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-word", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Oistream")]
    [InlineData("oi-stream")]
    [InlineData("x; DROP TABLE y")]
    public void A_schema_name_that_is_not_a_plain_identifier_is_refused(string schema)
    {
        var ex = Assert.Throws<HistoryStoreException>(() => new PostgresHistoryStore(postgres.Server.ConnectionString, schema));
        Assert.Contains("OiStream:Storage:Schema", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_nodes_share_one_store_what_one_writes_the_other_reads()
    {
        var leader = await OpenAsync("shared");
        var edge = await OpenAsync("shared");
        await leader.WriteAsync([M("BTCUSDT", T0, 10, 12, 9, 11)], CancellationToken.None);
        Assert.Equal(11d, Assert.Single(await edge.ReadAsync(SeriesKey.Instrument("BTCUSDT"), Minute, T0, T0, 10, true, CancellationToken.None)).Close);
        // A new leader (the other node) goes on writing the same series: its minute merges into the stored one.
        await edge.WriteAsync([M("BTCUSDT", T0, 11.5, 13, 11, 12, samples: 2)], CancellationToken.None);
        var c = Assert.Single(await leader.ReadAsync(SeriesKey.Instrument("BTCUSDT"), Minute, T0, T0, 10, true, CancellationToken.None));
        Assert.Equal((10d, 13d, 9d, 12d, 5), (c.Open, c.High, c.Low, c.Close, c.Samples));
    }

    [Fact]
    public async Task Nodes_opening_one_store_at_once_create_it_once()
    {
        var stores = Enumerable.Range(0, 6).Select(_ => Create("race")).ToList();
        try
        {
            await Task.WhenAll(stores.Select(s => s.OpenAsync("simulated", CancellationToken.None)));
            await stores[3].WriteAsync([M("ETHUSDT", T0, 1, 1, 1, 1)], CancellationToken.None);
            Assert.Single(await stores[5].ReadAsync(SeriesKey.Instrument("ETHUSDT"), Minute, T0, T0, 10, true, CancellationToken.None));
        }
        finally
        {
            foreach (var s in stores)
            {
                await s.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_restarted_server_fails_the_writes_meanwhile_and_takes_them_after_without_reopening()
    {
        if (Environment.GetEnvironmentVariable("OISTREAM_TEST_POSTGRES") is { Length: > 0 })
        {
            // A server the tests did not start is not theirs to stop: this test then checks the write path alone.
            var s = await OpenAsync("restart");
            await s.WriteAsync([M("SOLUSDT", T0, 1, 1, 1, 1)], CancellationToken.None);
            Assert.Single(await s.ReadAsync(SeriesKey.Instrument("SOLUSDT"), Minute, T0, T0, 10, true, CancellationToken.None));
            return;
        }
        var store = await OpenAsync("restart");
        await store.WriteAsync([M("SOLUSDT", T0, 1, 1, 1, 1)], CancellationToken.None);
        await postgres.Server.StopAsync();
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => store.WriteAsync([M("SOLUSDT", T0 + Minute, 2, 2, 2, 2)], CancellationToken.None));
        }
        finally
        {
            await postgres.Server.StartServerAsync();
        }
        // The pool's broken connections are replaced: the writer's retry (the same candles) lands.
        await Wait.UntilAsync(async () =>
        {
            try
            {
                await store.WriteAsync([M("SOLUSDT", T0 + Minute, 2, 2, 2, 2)], CancellationToken.None);
                return true;
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "a write after the restart");
        var minutes = await store.ReadAsync(SeriesKey.Instrument("SOLUSDT"), Minute, T0, T0 + Minute, 10, true, CancellationToken.None);
        // Each minute once (3 samples each): nothing lost, nothing written twice.
        Assert.Equal([(T0, 1d, 3), (T0 + Minute, 2d, 3)], minutes.Select(c => (c.Time, c.Close, c.Samples)));
    }
}
