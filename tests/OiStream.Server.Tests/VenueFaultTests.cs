using System.Text.Json;
using OiStream.Server.Pipeline;

namespace OiStream.Server.Tests;

/// <summary>A hub whose Bybit and OKX sockets give up after 3 s of silence, poll REST every second meanwhile, and call data stale after 4 s.</summary>
public sealed class VenueFaultHost : IAsyncLifetime
{
    public HubHost Host { get; } = new()
    {
        Arguments = HubHost.Args("--OiStream:Engine:StaleAfter=00:00:04",
            "--OiStream:Exchanges:Bybit:StreamSilence=00:00:03", "--OiStream:Exchanges:Okx:StreamSilence=00:00:03",
            "--OiStream:Exchanges:Bybit:FallbackPoll=00:00:01", "--OiStream:Exchanges:Okx:FallbackPoll=00:00:01"),
    };

    public Task InitializeAsync() => Host.InitializeAsync();

    public Task DisposeAsync() => Host.DisposeAsync();
}

/// <summary>
/// Faults of one venue (a dropped socket, a silent socket, malformed frames, a ban, a venue down) are absorbed by that
/// venue's feed: it reconnects, falls back to REST, skips and counts, waits out the ban, and the All row says when a
/// venue is missing instead of shrinking silently. The other venues never notice.
/// </summary>
public class VenueFaultTests(VenueFaultHost fixture) : IClassFixture<VenueFaultHost>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private HubHost Host => fixture.Host;

    private async Task<JsonElement> StatusAsync() => await Host.GetJsonAsync<JsonElement>("/api/v1/status");

    private static JsonElement Stream(JsonElement status, string feed) => status.GetProperty("streams").EnumerateArray().Single(s => s.GetProperty("feed").GetString() == feed);

    private static JsonElement Venue(JsonElement status, string exchange) => status.GetProperty("venues").EnumerateArray().Single(s => s.GetProperty("exchange").GetString() == exchange);

    private async Task<long> OiTimeAsync(string id) => (await Host.GetJsonAsync<JsonElement>("/api/v1/instruments/" + id)).GetProperty("oiTime").GetInt64();

    [Fact]
    public async Task A_dropped_Bybit_socket_reconnects_and_starts_again_from_a_snapshot()
    {
        await Wait.UntilAsync(async () => Stream(await StatusAsync(), "bybit-linear-ws").GetProperty("frames").GetInt64() > 0, Timeout, "Bybit frames");
        var connects = Stream(await StatusAsync(), "bybit-linear-ws").GetProperty("connects").GetInt64();
        await Host.SimulatorAdminAsync("bybit/drop-sockets");
        await Wait.UntilAsync(async () => Stream(await StatusAsync(), "bybit-linear-ws").GetProperty("connects").GetInt64() > connects, Timeout, "a new Bybit connection");
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Wait.UntilAsync(async () => await OiTimeAsync("BYBIT:BTCUSDT") > after, Timeout, "Bybit OI read on the new connection");
        // The new connection's deltas apply to its own snapshots: nothing arrived that had no snapshot to apply to.
        var feed = (Bybit.BybitFeed)Host.Feeds.Venues.Single(v => v.Exchange == "bybit");
        Assert.Equal(0, feed.OrphanDeltas);
    }

    [Fact]
    public async Task A_silent_OKX_socket_is_replaced_and_REST_keeps_its_open_interest_moving_meanwhile()
    {
        await Wait.UntilAsync(async () => Venue(await StatusAsync(), "okx").GetProperty("live").GetBoolean(), Timeout, "OKX live");
        var before = await StatusAsync();
        var trips = Stream(before, "okx-ws").GetProperty("watchdogTrips").GetInt64();
        var polls = Venue(before, "okx").GetProperty("polls").GetInt64();
        var binanceFrames = Stream(before, "usdm-ws").GetProperty("frames").GetInt64();
        await Host.SimulatorAdminAsync("okx/silent?seconds=12");
        var silentFrom = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Wait.UntilAsync(async () => Stream(await StatusAsync(), "okx-ws").GetProperty("watchdogTrips").GetInt64() > trips, Timeout, "the OKX watchdog");
        // While the socket is silent, OKX's REST snapshot is polled and its OI still moves.
        await Wait.UntilAsync(async () => Venue(await StatusAsync(), "okx").GetProperty("polls").GetInt64() > polls + 1
            && await OiTimeAsync("OKX:BTC-USDT-SWAP") > silentFrom + 2000, Timeout, "OKX OI from REST during the silence");
        Assert.True(Stream(await StatusAsync(), "usdm-ws").GetProperty("frames").GetInt64() > binanceFrames, "Binance's stream went on");
        var feeds = (await StatusAsync()).GetProperty("feeds").EnumerateArray().ToList();
        Assert.Contains(feeds, f => f.GetProperty("feed").GetString() == "okx-rest");
    }

    [Fact]
    public async Task Malformed_OKX_frames_are_skipped_and_counted_and_data_flows_on()
    {
        await Wait.UntilAsync(async () => Stream(await StatusAsync(), "okx-ws").GetProperty("frames").GetInt64() > 0, Timeout, "OKX frames");
        var malformed = Stream(await StatusAsync(), "okx-ws").GetProperty("malformedFrames").GetInt64();
        await Host.SimulatorAdminAsync("okx/malformed?frames=5");
        await Wait.UntilAsync(async () => Stream(await StatusAsync(), "okx-ws").GetProperty("malformedFrames").GetInt64() >= malformed + 5, Timeout, "5 malformed frames counted");
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Wait.UntilAsync(async () => await OiTimeAsync("OKX:ETH-USDT-SWAP") > after, Timeout, "OKX OI after the malformed frames");
    }

    [Fact]
    public async Task A_Bybit_ban_stops_its_REST_until_the_ban_ends_and_its_stream_goes_on()
    {
        await Wait.UntilAsync(async () => Venue(await StatusAsync(), "bybit").GetProperty("live").GetBoolean(), Timeout, "Bybit live");
        var sim = Host.Feeds.SimulatorBybit!;
        await Host.SimulatorAdminAsync("bybit/ban?seconds=20");
        // A silent socket makes the feed fall back to REST, which meets the ban.
        await Host.SimulatorAdminAsync("bybit/silent?seconds=5");
        await Wait.UntilAsync(async () => Venue(await StatusAsync(), "bybit").GetProperty("refused").GetInt64() > 0, Timeout, "the 403 seen");
        var status = Venue(await StatusAsync(), "bybit");
        Assert.True(status.GetProperty("blockedUntil").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 60_000, "REST blocked for Bybit's 10 minutes");
        var answered = sim.Faults.Bans;
        // No request knocks on the banned door again: the 403s stop at the first.
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Wait.UntilAsync(async () => await OiTimeAsync("BYBIT:BTCUSDT") > after, Timeout, "Bybit OI from the stream once it speaks again");
        Assert.Equal(answered, sim.Faults.Bans);
        var feeds = (await StatusAsync()).GetProperty("feeds").EnumerateArray();
        Assert.Contains(feeds, f => f.GetProperty("feed").GetString() == "bybit-limit" && f.GetProperty("state").GetString() == "banned");
        await Host.SimulatorAdminAsync("bybit/reset");
    }

    [Fact]
    public async Task A_venue_that_goes_down_is_named_in_the_All_row_and_comes_back_by_itself()
    {
        await Wait.UntilAsync(async () => !(await ListAsync())[0].GetProperty("partial").GetBoolean(), Timeout, "a complete All row");
        await Host.SimulatorAdminAsync("okx/silent?seconds=15");
        await Host.SimulatorAdminAsync("okx/http5xx?seconds=15");
        await Wait.UntilAsync(async () => (await ListAsync()) is var rows && rows[0].GetProperty("partial").GetBoolean()
            && rows[0].GetProperty("missing_exchanges").EnumerateArray().Select(e => e.GetString()).SequenceEqual(["OKX"])
            && rows.Single(r => r.GetProperty("exchange").GetString() == "OKX").GetProperty("stale").GetBoolean(), Timeout, "OKX named missing");
        // Its last known figures stay in the sum: the All row does not shrink without saying so.
        var partial = await ListAsync();
        Assert.Equal(partial.Skip(1).Sum(r => r.GetProperty("open_interest_usd").GetDouble()), partial[0].GetProperty("open_interest_usd").GetDouble(), 0.05);
        await Host.SimulatorAdminAsync("okx/reset");
        await Wait.UntilAsync(async () => !(await ListAsync())[0].GetProperty("partial").GetBoolean(), Timeout, "OKX back in the All row");
    }

    private async Task<JsonElement[]> ListAsync() =>
        [.. (await Host.GetJsonAsync<JsonElement>("/api/v1/open-interest/exchange-list?symbol=BTC")).GetProperty("data").EnumerateArray()];
}
