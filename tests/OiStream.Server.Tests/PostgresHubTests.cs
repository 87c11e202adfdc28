using System.Text.Json;
using OiStream.Server.Pipeline;

namespace OiStream.Server.Tests;

/// <summary>One PostgreSQL server of the tests' own for the hub tests that store history in it.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// The hub with <c>OiStream:Storage:Provider=postgres</c> on a real PostgreSQL server: history written there, a
/// second hub on the same store starting from it, and a server restart lived through without losing a candle.
/// </summary>
public sealed class PostgresHubTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private readonly string _schema = "hub_" + Guid.NewGuid().ToString("N")[..10];

    private string[] Args(params string[] extra) => HubHost.Args([
        "--OiStream:Storage:Provider=postgres", "--OiStream:Storage:ConnectionString=" + postgres.Server.ConnectionString, "--OiStream:Storage:Schema=" + _schema, .. extra]);

    [Fact]
    public async Task A_second_hub_on_the_same_PostgreSQL_store_starts_from_what_the_first_wrote()
    {
        var first = new HubHost { Arguments = Args() };
        await first.InitializeAsync();
        long firstBackfill;
        JsonElement before;
        try
        {
            var writer = first.Service<HistoryWriter>();
            await Wait.UntilAsync(() => writer.Status.Queued == 0 && writer.Status.Written > 0, TimeSpan.FromSeconds(60), "the backfill written to PostgreSQL");
            var status = await first.GetJsonAsync<JsonElement>("/api/v1/status");
            Assert.Equal($"PostgreSQL 127.0.0.1:{postgres.Server.Port}/postgres, schema {_schema}", status.GetProperty("history").GetProperty("store").GetString());
            firstBackfill = first.Feeds.Feed!.BackfilledRows;
            before = (await first.GetJsonAsync<JsonElement>("/api/v1/open-interest/history?symbol=BTCUSDT&period=5m&limit=288"))!;
            Assert.Equal(288, before.GetArrayLength());
        }
        finally
        {
            await first.DisposeAsync();
        }

        var second = new HubHost { Arguments = Args() };
        await second.InitializeAsync();
        try
        {
            // The store held everything up to the first hub's stop: the exchange was asked only for the minutes since.
            Assert.True(firstBackfill >= 30 * 289, $"first start backfilled {firstBackfill} rows");
            Assert.True(second.Feeds.Feed!.BackfilledRows < firstBackfill / 20, $"second start backfilled {second.Feeds.Feed!.BackfilledRows} rows, first {firstBackfill}");
            var after = await second.GetJsonAsync<JsonElement>($"/api/v1/open-interest/history?symbol=BTCUSDT&period=5m&limit=288&endTime={before[287].GetProperty("timestamp").GetInt64()}");
            Assert.Equal(before.GetRawText(), after.GetRawText());
            var state = await second.GetJsonAsync<JsonElement>("/api/v1/instruments/ETHUSDT");
            Assert.Equal(JsonValueKind.Number, state.GetProperty("change").GetProperty("24h").ValueKind);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_PostgreSQL_restart_degrades_history_while_updates_flow_and_the_queue_is_written_after()
    {
        var host = new HubHost { Arguments = Args() };
        await host.InitializeAsync();
        try
        {
            var writer = host.Service<HistoryWriter>();
            await Wait.UntilAsync(() => writer.Status.Queued == 0 && writer.Status.Written > 0, TimeSpan.FromSeconds(60), "the backfill written to PostgreSQL");
            await postgres.Server.StopAsync();
            var status = default(JsonElement);
            long failedAt;
            try
            {
                // The next minute's candles cannot be written: the status says so, and names the store.
                await Wait.UntilAsync(async () =>
                {
                    status = await host.GetJsonAsync<JsonElement>("/api/v1/status");
                    return status.GetProperty("history").GetProperty("state").GetString() == "degraded";
                }, TimeSpan.FromSeconds(120), "history degraded by the stopped server");
                failedAt = status.GetProperty("history").GetProperty("degradedSince").GetInt64();
                Assert.Contains(status.GetProperty("feeds").EnumerateArray(), f => f.GetProperty("feed").GetString() == "history" && f.GetProperty("state").GetString() == "degraded"
                    && f.GetProperty("message").GetString()!.Contains("PostgreSQL 127.0.0.1", StringComparison.Ordinal));

                // Live data goes on meanwhile.
                var seq = (await host.GetJsonAsync<JsonElement>("/api/v1/instruments/BTCUSDT")).GetProperty("seq").GetInt64();
                await Wait.UntilAsync(async () => (await host.GetJsonAsync<JsonElement>("/api/v1/instruments/BTCUSDT")).GetProperty("seq").GetInt64() > seq + 2,
                    TimeSpan.FromSeconds(30), "BTCUSDT updates while history is degraded");
                Assert.True(writer.Status.Queued > 0, "candles wait for the store");
            }
            finally
            {
                await postgres.Server.StartServerAsync();
            }

            await Wait.UntilAsync(async () =>
            {
                status = await host.GetJsonAsync<JsonElement>("/api/v1/status");
                return status.GetProperty("history") is var h && h.GetProperty("state").GetString() == "ok" && h.GetProperty("queued").GetInt32() == 0;
            }, TimeSpan.FromSeconds(90), "history written again");
            Assert.Equal(0, status.GetProperty("history").GetProperty("dropped").GetInt64());
            // The minute that could not be written while the server was down is in the store now.
            var minutes = await host.GetJsonAsync<JsonElement>($"/api/v1/open-interest/ohlc-history?symbol=BTCUSDT&interval=1m&startTime={failedAt - 120_000}&limit=5");
            Assert.Contains(minutes.GetProperty("data").EnumerateArray(), c => c.GetProperty("time").GetInt64() >= failedAt - 120_000);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
