using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.Server.Tests;

/// <summary>The hub over SignalR's MessagePack protocol: the same states, updates, errors and overview as over JSON.</summary>
public class MessagePackTests(HubHost hub) : IClassFixture<HubHost>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_MessagePack_client_gets_the_same_snapshot_as_a_JSON_client_then_updates_with_seq_plus_one()
    {
        await using var json = new OiStreamClient(hub.HubUri);
        await using var packed = new OiStreamClient(hub.HubUri, new OiStreamClientOptions { Protocol = OiStreamProtocol.MessagePack });
        var updates = new ConcurrentQueue<InstrumentState>();
        packed.InstrumentReceived += updates.Enqueue;
        await json.StartAsync();
        await packed.StartAsync();

        var viaPack = Assert.Single(await packed.SubscribeAsync(["BTCUSDT"]));
        var viaJson = Assert.Single(await json.SubscribeAsync(["BTCUSDT"]));
        // Every field crosses MessagePack by its protocol name: compare what both protocols carried, seq for seq.
        await Wait.UntilAsync(() => updates.Any(u => u.Seq == viaPack.Seq + 1), Timeout, "an update over MessagePack");
        Assert.Equal("BTCUSDT", viaPack.Symbol);
        Assert.Equal(viaJson.Market, viaPack.Market);
        Assert.Equal(viaJson.Coin, viaPack.Coin);
        Assert.Equal(viaJson.ContractType, viaPack.ContractType);
        Assert.Equal(viaJson.Source, viaPack.Source);
        Assert.Equal(viaJson.Change.Keys.Order(), viaPack.Change.Keys.Order());
        Assert.Equal(viaJson.Signal.Keys.Order(), viaPack.Signal.Keys.Order());
        Assert.NotNull(viaPack.OpenInterestUsd);
        Assert.NotNull(viaPack.MarkPrice);
        Assert.Equal(0, packed.GapsDetected);

        var unknown = await Assert.ThrowsAsync<HubException>(() => packed.SubscribeAsync(["NOPEUSDT"]));
        Assert.StartsWith("Unknown symbol 'NOPEUSDT'", unknown.Message, StringComparison.Ordinal);

        var coins = await packed.SubscribeCoinsAsync(["BTC"]);
        Assert.Equal("BTC", Assert.Single(coins).Coin);
        var overview = await packed.SubscribeOverviewAsync();
        Assert.True(overview.Length > 30);
        Assert.All(overview, r => Assert.False(string.IsNullOrEmpty(r.Symbol)));
    }
}
