using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;

namespace OiStream.Core.Tests;

/// <summary>An engine with a few well-known instruments and helpers to feed it.</summary>
internal sealed class EngineHarness
{
    public const long T0 = 1_763_712_000_000; // 2025-11-21T08:00:00Z

    public static readonly InstrumentInfo BtcUsdt = new("BTCUSDT", Market.UsdM, "BTC", "PERPETUAL");
    public static readonly InstrumentInfo BtcUsdc = new("BTCUSDC", Market.UsdM, "BTC", "PERPETUAL", QuoteAsset: "USDC");
    public static readonly InstrumentInfo BtcUsdPerp = new("BTCUSD_PERP", Market.CoinM, "BTC", "PERPETUAL", ContractSize: 100, QuoteAsset: "USD");
    public static readonly InstrumentInfo EthUsdt = new("ETHUSDT", Market.UsdM, "ETH", "PERPETUAL");
    public static readonly InstrumentInfo BtcOptions = new("BTC-251226", Market.Options, "BTC", "OPTIONS", ContractSize: 1, QuoteAsset: "USDT");

    public EngineHarness(EngineOptions? options = null, params InstrumentInfo[] instruments)
    {
        Clock = new ManualClock(T0 + (30L * 24 * 3_600_000));
        Engine = new MarketEngine(options ?? new EngineOptions(), Clock);
        var list = instruments.Length > 0 ? instruments : [BtcUsdt, BtcUsdPerp, EthUsdt, BtcOptions];
        Assert.Equal(ApplyOutcome.Applied, Engine.Apply(MarketEvent.Instruments(new InstrumentListChange(list))));
    }

    public ManualClock Clock { get; }

    public MarketEngine Engine { get; }

    public List<InstrumentState> Published { get; } = [];

    public List<CoinState> PublishedCoins { get; } = [];

    public ApplyOutcome Oi(string symbol, long time, double oi, double usd = double.NaN)
        => Engine.Apply(MarketEvent.OpenInterest(symbol, time, oi, usd));

    public ApplyOutcome Mark(string symbol, long time, double price, double funding = 0.0001)
        => Engine.Apply(MarketEvent.MarkPrice(symbol, time, price, funding));

    public int Publish()
    {
        Published.Clear();
        PublishedCoins.Clear();
        return Engine.PublishChanges(Published, PublishedCoins);
    }

    public InstrumentState State(string symbol)
    {
        Assert.True(Engine.TryGetInstrument(symbol, out var state), $"{symbol} has a snapshot");
        return state;
    }

    public CoinState Coin(string coin)
    {
        Assert.True(Engine.TryGetCoin(coin, out var state), $"{coin} has a snapshot");
        return state;
    }

    public List<SignalEvent> Signals()
    {
        var list = new List<SignalEvent>();
        Engine.DrainSignals(list);
        return list;
    }
}
