using System.Text.Json;
using OiStream.Okx.Streams;
using OiStream.Okx.Wire;

namespace OiStream.Okx.Tests;

/// <summary>
/// OKX's wire read from the fact sheet's own examples (Fixtures/, verbatim from ../shared/exchanges-bybit-okx.md
/// §3.2–§3.7): string numbers with 20 and more digits, linear vs inverse from <c>ctType</c> (not the id), <c>oiUsd</c>
/// present or missing, history rows as arrays, the channels' pushes and events, and the 429 body.
/// </summary>
public sealed class OkxWireTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    private static OkxInstrument[] Instruments() =>
        [.. Fixture("instruments-swap.jsonl").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<OkxInstrument>(l, OkxJson.Options)!)];

    [Fact]
    public void Linear_or_inverse_comes_from_ctType_so_a_USD_margined_UM_contract_is_linear()
    {
        var (inverse, usdt, um) = (Instruments()[0], Instruments()[1], Instruments()[2]);
        Assert.True(inverse.IsInverse);
        Assert.Equal(("BTC", 100m), (inverse.Coin, inverse.ContractSize)); // a contract is 100 USD
        Assert.False(usdt.IsInverse);
        Assert.Equal(("BTC", 0.01m), (usdt.Coin, usdt.ContractSize)); // a contract is 0.01 BTC
        Assert.Equal("BTC-USD_UM-261030", um.InstId);
        Assert.False(um.IsInverse, "BTC-USD_UM is USD-margined and linear, though its id reads like the inverse BTC-USD");
        Assert.Equal(1_793_347_200_000, OkxJson.Millis(um.ExpTime));
        Assert.Null(OkxJson.Millis(inverse.ExpTime)); // "" for a perpetual
    }

    [Fact]
    public void Open_interest_takes_OKXs_coin_and_USD_figures_when_sent()
    {
        var oi = Assert.Single(JsonSerializer.Deserialize<OkxResponse<OkxOpenInterest>>(Fixture("open-interest-doc.json"), OkxJson.Options)!.EnsureSuccess("open-interest"));
        var units = OkxOpenInterestUnits.From(oi, Instruments()[1], markPrice: null);
        Assert.Equal((5000m, 555.55m, 50000m, false), (units.Contracts!.Value, units.Coin!.Value, units.Usd!.Value, units.Computed));
        Assert.Equal(1_597_026_383_085, OkxJson.Millis(oi.Ts));
    }

    [Fact]
    public void An_inverse_answer_without_oiUsd_gets_it_from_contracts_times_100_USD()
    {
        var oi = Assert.Single(JsonSerializer.Deserialize<OkxResponse<OkxOpenInterest>>(Fixture("open-interest-inverse-2025.json"), OkxJson.Options)!.EnsureSuccess("open-interest"));
        var units = OkxOpenInterestUnits.From(oi, Instruments()[0], markPrice: 93_371m);
        Assert.True(units.Computed);
        Assert.Equal(882_402_800m, units.Usd);
        Assert.Equal(9450.4815189266069195m, units.Coin); // OKX's own coin figure is kept
        // The fact sheet's check: 882,402,800 USD ÷ 9,450.48 BTC is that day's price, about 93,371 USD.
        Assert.Equal(93_371m, Math.Round(units.Usd!.Value / units.Coin!.Value));
    }

    [Fact]
    public void A_linear_reading_without_coin_or_USD_is_computed_from_contracts_ctVal_and_the_mark_price()
    {
        var oi = new OkxOpenInterest("SWAP", "BTC-USDT-SWAP", "2216113.01000000309", null, null, "1743041250440");
        var units = OkxOpenInterestUnits.From(oi, Instruments()[1], markPrice: 87_506.9m);
        Assert.True(units.Computed);
        Assert.Equal(22_161.1301000000309m, units.Coin); // 2,216,113.01 × 0.01, as OKX's own oiCcy says
        Assert.Equal(1_939_251_795.5m, Math.Round(units.Usd!.Value, 1));
        // With no mark price, the USD value stays unknown rather than zero.
        Assert.Null(OkxOpenInterestUnits.From(oi, Instruments()[1], markPrice: null).Usd);
    }

    [Fact]
    public void History_rows_are_arrays_of_strings_newest_first()
    {
        var rows = JsonSerializer.Deserialize<OkxResponse<string[]>>(Fixture("open-interest-history.json"), OkxJson.Options)!
            .EnsureSuccess("open-interest-history").Select(OkxOpenInterestHistoryRow.From).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(new OkxOpenInterestHistoryRow(1_701_417_600_000, 731_377.57500501m, 111m, 8_888_888m), rows[0]);
        Assert.True(rows[0].Time > rows[1].Time);
        var ex = Assert.Throws<FormatException>(() => OkxOpenInterestHistoryRow.From(["soon"]));
        Assert.Contains("[ts, oi, oiCcy, oiUsd]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_429_body_names_the_rate_limit_and_what_to_do()
    {
        var response = JsonSerializer.Deserialize<OkxResponse<JsonElement>>(Fixture("rate-limited.json"), OkxJson.Options)!;
        var ex = Assert.Throws<OkxApiException>(() => response.EnsureSuccess("open-interest of SWAP"));
        Assert.Equal("50011", ex.Code);
        Assert.Contains("\"Too Many Requests\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("slow down", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Channel_frames_read_as_pushes_events_and_pong_with_their_long_decimals_intact()
    {
        var frames = Fixture("ws-frames.jsonl").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(OkxFrame.Read).ToList();
        var oi = Assert.Single(Assert.IsType<OkxOpenInterestPush>(frames[0]).Data);
        Assert.Equal(1_939_251_795.54769270396321m, OkxJson.Number(oi.OiUsd));
        Assert.Equal(1_743_041_250_440, OkxJson.Millis(oi.Ts));
        Assert.Equal("0.1", Assert.Single(Assert.IsType<OkxMarkPricePush>(frames[1]).Data).MarkPx);
        Assert.Equal(new OkxEvent("subscribe", null, null, "open-interest", "LTC-USD-SWAP"), frames[2]);
        var error = Assert.IsType<OkxEvent>(frames[3]);
        Assert.Equal(("error", "60018"), (error.Event, error.Code));
        Assert.Equal("64008", Assert.IsType<OkxEvent>(frames[4]).Code);
        Assert.Equal("funding-rate", Assert.IsType<OkxOtherPush>(frames[5]).Channel);
        Assert.Same(OkxPong.Instance, OkxFrame.Read("pong"));
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("{\"arg\":{\"channel\":\"open-interest\"}}")]
    [InlineData("{\"data\":")]
    public void A_frame_OKX_does_not_send_is_refused(string text) => Assert.ThrowsAny<JsonException>(() => OkxFrame.Read(text));
}
