using System.Collections.Concurrent;
using FluentAssertions;
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

        var viaPack = (await packed.SubscribeAsync(["BTCUSDT"])).Should().ContainSingle().Subject;
        var viaJson = (await json.SubscribeAsync(["BTCUSDT"])).Should().ContainSingle().Subject;
        await Wait.UntilAsync(() => updates.Any(u => u.Seq == viaPack.Seq + 1), Timeout, "an update over MessagePack");

        // Every field crosses MessagePack by its protocol name: what both protocols carried agrees.
        viaPack.Symbol.Should().Be("BTCUSDT");
        viaPack.Should().BeEquivalentTo(viaJson, o => o
            .Including(s => s.Market).Including(s => s.Coin).Including(s => s.Margin).Including(s => s.ContractType).Including(s => s.Source));
        viaPack.Change.Keys.Should().BeEquivalentTo(viaJson.Change.Keys);
        viaPack.Signal.Keys.Should().BeEquivalentTo(viaJson.Signal.Keys);
        viaPack.OpenInterestUsd.Should().NotBeNull();
        viaPack.MarkPrice.Should().NotBeNull();
        packed.GapsDetected.Should().Be(0);

        await FluentActions.Awaiting(() => packed.SubscribeAsync(["NOPEUSDT"]))
            .Should().ThrowAsync<HubException>().WithMessage("Unknown symbol 'NOPEUSDT'*");
        (await packed.SubscribeCoinsAsync(["BTC"])).Should().ContainSingle().Which.Coin.Should().Be("BTC");
        var overview = await packed.SubscribeOverviewAsync();
        overview.Should().HaveCountGreaterThan(30).And.OnlyContain(r => !string.IsNullOrEmpty(r.Symbol));
    }
}
