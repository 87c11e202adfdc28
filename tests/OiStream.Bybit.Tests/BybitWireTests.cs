using System.Text.Json;
using OiStream.Bybit;
using OiStream.Bybit.Streams;
using OiStream.Bybit.Wire;

namespace OiStream.Bybit.Tests;

/// <summary>
/// Bybit's wire read from the fact sheet's own examples (Fixtures/, verbatim from ../shared/exchanges-bybit-okx.md
/// §2.2–§2.5): numbers in strings, <c>""</c> for "not applicable", the newer single-side fields present or not, the
/// tickers stream's snapshot and delta, and one side's OI in coin and USD.
/// </summary>
public sealed class BybitWireTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    private static BybitResponse<T> Read<T>(string name) => JsonSerializer.Deserialize<BybitResponse<T>>(Fixture(name), BybitJson.Options)!;

    [Fact]
    public void Instruments_info_gives_the_contract_its_class_from_contractType_and_an_empty_cursor_ends_the_list()
    {
        var page = Read<BybitInstrumentPage>("instruments-info-linear.json").EnsureSuccess("instruments-info");
        var btc = Assert.Single(page.List);
        Assert.Equal(("BTCUSDT", "BTC", "USDT", "Trading"), (btc.Symbol, btc.BaseCoin, btc.SettleCoin, btc.Status));
        Assert.False(btc.IsInverse);
        Assert.True(btc.IsPerpetual);
        Assert.Equal(1_585_526_400_000, BybitJson.Millis(btc.LaunchTime));
        Assert.Null(BybitJson.Millis(btc.DeliveryTime)); // "0" for a perpetual
        Assert.Equal("", page.NextPageCursor);
    }

    [Fact]
    public void An_inverse_ticker_before_the_single_side_fields_is_halved_quantity_in_USD_value_in_coin()
    {
        var page = Read<BybitTickerPage>("tickers-inverse.json").EnsureSuccess("tickers");
        var ticker = BybitTicker.From(Assert.Single(page.List));
        Assert.Equal("BTCUSD", ticker.Symbol);
        Assert.Equal(114_898.43m, ticker.MarkPrice);
        Assert.Equal(240_113_967m, ticker.OpenInterest);
        Assert.Null(ticker.SingleOpenInterest);
        Assert.Equal(0.0001m, ticker.FundingRate);
        Assert.Equal(1_760_371_200_000, ticker.NextFundingTime);
        Assert.Equal("", ticker["basis"]); // "not applicable" stays empty, never 0

        var oi = BybitOpenInterest.From(ticker, inverse: true);
        Assert.True(oi.FromHalf);
        Assert.Equal(120_056_983.5m, oi.Usd);
        Assert.Equal(1_044.895m, oi.Coin);
        // Bybit's own value agrees with its quantity and mark price: 240,113,967 USD ÷ 114,898.43 = 2,089.79 BTC.
        Assert.Equal(2_089.79m, Math.Round(ticker.OpenInterest!.Value / ticker.MarkPrice!.Value, 2));
    }

    [Fact]
    public void A_refusal_names_the_request_the_code_and_Bybits_text()
    {
        var response = Read<JsonElement>("tickers-not-supported.json");
        var ex = Assert.Throws<BybitApiException>(() => response.EnsureSuccess("tickers of NOTASYMBOL"));
        Assert.Equal(10001, ex.RetCode);
        Assert.Contains("tickers of NOTASYMBOL", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"Not supported symbols\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("uppercase", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_interest_history_rows_are_one_side_newest_first_with_string_times_and_the_cursor_kept_as_sent()
    {
        var page = Read<BybitOpenInterestPage>("open-interest-inverse.json").EnsureSuccess("open-interest");
        Assert.Equal(5, page.List.Count);
        Assert.Equal(31_955_346m, page.List[0].SingleSide);
        Assert.Equal(1_780_963_200_000, page.List[0].Time);
        Assert.True(page.List[0].Time > page.List[^1].Time, "newest first");
        Assert.Equal("lastid%3D19408935%26lasttime%3D1780617600", page.NextPageCursor);
        // A row from before 2026-06-11 has no single-side field: half of both sides.
        Assert.Equal(31_955_345.5m, new BybitOpenInterestRow("63910691.00000000", null, "1780963200000").SingleSide);
    }

    [Fact]
    public void The_stream_keeps_the_snapshot_and_applies_a_delta_field_by_field_and_a_delta_without_OI_is_not_an_OI_sample()
    {
        var book = new TickerBook();
        var frames = Fixture("ws-tickers-btcusdt.jsonl").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var snapshot = book.Apply(frames[0])!;
        Assert.True(snapshot.OpenInterestChanged);
        Assert.Equal(1_786_659_827_683, snapshot.Time);
        var oi = BybitOpenInterest.From(snapshot.Ticker, inverse: false);
        Assert.False(oi.FromHalf);
        Assert.Equal((29_986.128m, 1_905_942_284.58m), (oi.Coin!.Value, oi.Usd!.Value));

        var delta = book.Apply(frames[1])!;
        Assert.False(delta.OpenInterestChanged, "the delta carried only indexPrice");
        Assert.False(delta.MarkPriceChanged);
        Assert.Equal("63585.74", delta.Ticker["indexPrice"]);
        Assert.Equal(29_986.128m, delta.Ticker.SingleOpenInterest); // kept from the snapshot, not read as 0
        Assert.Equal(63_560.80m, delta.Ticker.MarkPrice);
        Assert.Equal(1_786_659_827_983, delta.Time);

        // After a reconnect the state is gone: a delta before the next snapshot is ignored, not applied to nothing.
        book.Clear();
        Assert.Null(book.Apply(frames[1]));
        Assert.Equal(1, book.OrphanDeltas);
        Assert.NotNull(book.Apply(frames[0]));
    }

    [Fact]
    public void A_linear_futures_snapshot_without_single_fields_and_with_empty_funding_is_halved_in_coin_and_USD()
    {
        var book = new TickerBook();
        var update = book.Apply(Fixture("ws-tickers-futures-snapshot.json"))!;
        Assert.Equal("BTC-26DEC25", update.Ticker.Symbol);
        Assert.Null(update.Ticker.FundingRate);
        Assert.Null(update.Ticker.NextFundingTime);
        Assert.Equal("2025-12-26T08:00:00Z", update.Ticker["deliveryTime"]); // an ISO time on the stream, ms on REST
        var oi = BybitOpenInterest.From(update.Ticker, inverse: false);
        Assert.True(oi.FromHalf);
        Assert.Equal(3.311m, oi.Coin);
        Assert.Equal(401_109.87m, oi.Usd);
        // Bybit values linear OI at the mark price (6.622 × 121,144.63 = 802,219.74), not the last price.
        Assert.Equal(802_219.74m, Math.Round(6.622m * update.Ticker.MarkPrice!.Value, 2));
    }

    [Theory]
    [InlineData("{\"op\":\"pong\"}")]
    [InlineData("{\"success\":true,\"ret_msg\":\"pong\",\"conn_id\":\"465772b1\",\"req_id\":\"\",\"op\":\"ping\"}")]
    [InlineData("{\"success\":false,\"ret_msg\":\"error:handler not found,topic:tickers.NOTASYMBOL\",\"conn_id\":\"x\",\"req_id\":\"\",\"op\":\"subscribe\"}")]
    public void Frames_that_are_not_tickers_change_nothing(string frame)
    {
        var book = new TickerBook();
        Assert.Null(book.Apply(frame));
        Assert.Equal(0, book.Count);
    }

    [Fact]
    public void A_malformed_frame_or_number_is_refused_with_what_was_wrong()
    {
        var book = new TickerBook();
        Assert.ThrowsAny<JsonException>(() => book.Apply("{\"topic\":\"tickers.BTCUSDT\",\"type\":\"snapshot\",\"data\":"));
        var ex = Assert.Throws<FormatException>(() => BybitJson.Number("12,5"));
        Assert.Contains("'12,5'", ex.Message, StringComparison.Ordinal);
        Assert.Null(BybitJson.Number(""));
        Assert.Null(BybitJson.Number(null));
    }
}
