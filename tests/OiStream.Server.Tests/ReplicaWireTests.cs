using OiStream.Contracts;
using OiStream.Server.Replication;

namespace OiStream.Server.Tests;

/// <summary>The replication wire (a batch out and back) and the edge's rule for taking states.</summary>
public sealed class ReplicaWireTests
{
    private static InstrumentState State(string symbol, long seq, double oi) => new()
    {
        Symbol = symbol, Market = "usdm", Coin = "BTC", Margin = "stable", ContractType = "PERPETUAL", OpenInterest = oi, OpenInterestUsd = oi * 95_000,
        MarkPrice = 95_000.5, Change = new Dictionary<string, double?> { ["5m"] = 0.25, ["1h"] = null }, ChangeUsd = new Dictionary<string, double?> { ["5m"] = 0.3 },
        PriceChange = new Dictionary<string, double?>(), Signal = new Dictionary<string, string?> { ["5m"] = "longs-entering" }, OiTime = 1_764_000_000_000,
        PriceTime = 1_764_000_000_500, Seq = seq, Source = "simulated",
    };

    [Fact]
    public void A_batch_comes_back_as_it_went_state_for_state()
    {
        var states = new[] { State("BTCUSDT", 1_764_000_000_000_007, 81_000.5), State("ETHUSDT", 42, 1_200_000) };
        var coin = new CoinState
        {
            Coin = "BTC", OpenInterestUsd = 1e10, Change = new Dictionary<string, double?> { ["5m"] = 1.5 }, ChangeUsd = new Dictionary<string, double?>(),
            PriceChange = new Dictionary<string, double?>(), Signal = new Dictionary<string, string?>(), Seq = 9, Source = "simulated",
        };
        var signal = new SignalEvent { Kind = "oi-spike", Coin = "BTC", Symbol = "BTCUSDT", Window = "5m", Message = "OI +5 % in 5m", Source = "simulated" };
        var bytes = ReplicaWire.Batch("leader-1", 1_764_000_000_000, [.. states.Select(ReplicaWire.SerializeState)], [ReplicaWire.SerializeState(coin)], [signal], 1_764_000_001_000, 0.75);

        var message = ReplicaWire.Read(bytes, out var error);

        Assert.Null(error);
        Assert.NotNull(message);
        Assert.Equal(("batch", "leader-1", 1_764_000_000_000L, 1_764_000_001_000L, 0.75), (message.Type, message.Node, message.Term, message.SentAt, message.EncodeMs));
        Assert.Equal(2, message.Instruments!.Count);
        for (var i = 0; i < states.Length; i++)
        {
            var back = message.Instruments[i];
            Assert.Equal(states[i] with { Change = back.Change, ChangeUsd = back.ChangeUsd, PriceChange = back.PriceChange, Signal = back.Signal }, back);
            Assert.Equal(states[i].Change, back.Change);
            Assert.Equal(states[i].Signal, back.Signal);
        }
        Assert.Equal(coin.Seq, Assert.Single(message.Coins!).Seq);
        Assert.Equal(coin.Change, message.Coins![0].Change);
        Assert.Equal("OI +5 % in 5m", Assert.Single(message.Signals!).Message);
        // A kept state reads back on its own too (the hashes an edge reads at a resync).
        Assert.Equal(states[0].Seq, ReplicaWire.ReadState<InstrumentState>(ReplicaWire.SerializeState(states[0]))!.Seq);
    }

    [Theory]
    [InlineData(new byte[0], "an empty message")]
    [InlineData(new byte[] { 0x93, 0x01, 0x02, 0x03 }, "a batch is an array of 8")]
    [InlineData(new byte[] { (byte)'{', (byte)'x' }, "")]
    [InlineData(new byte[] { (byte)'{', (byte)'}' }, "not a replication message")]
    public void A_message_that_is_not_one_is_refused_with_the_reason(byte[] payload, string reason)
    {
        Assert.Null(ReplicaWire.Read(payload, out var error));
        Assert.NotNull(error);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Null(ReplicaWire.ReadState<InstrumentState>(payload));
    }

    [Fact]
    public void An_edge_takes_a_state_only_when_its_seq_is_newer_and_finds_it_whatever_the_case()
    {
        var replica = new ReplicaState(["5m", "1h"], "binance");
        Assert.True(replica.Offer(State("BTCUSDT", 5, 100)));
        Assert.False(replica.Offer(State("BTCUSDT", 5, 101)), "the same seq again");
        Assert.False(replica.Offer(State("BTCUSDT", 4, 99)), "an older state");
        Assert.True(replica.Offer(State("BTCUSDT", 1_764_000_000_000_001, 102)), "a new leader's state");
        Assert.True(replica.TryGetInstrument(" btcusdt ", out var held));
        Assert.Equal(102, held.OpenInterest);
        Assert.Equal("simulated", replica.Source);
        Assert.False(replica.TryGetInfo("BTCUSDT", out _), "no catalog yet");
        replica.SetCatalog([new OiStream.Core.Instruments.InstrumentInfo("ETHUSDT", OiStream.Core.Instruments.Market.UsdM, "ETH", "PERPETUAL")]);
        Assert.False(replica.TryGetInstrument("BTCUSDT", out _), "an instrument the catalog no longer holds is dropped");
        Assert.True(replica.TryGetInfo("ethusdt", out var info));
        Assert.Equal("ETH", info.Coin);
    }
}
