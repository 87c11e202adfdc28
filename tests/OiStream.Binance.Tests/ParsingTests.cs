using System.Text;
using System.Text.Json;
using OiStream.Binance.Rest;
using OiStream.Binance.Streams;
using OiStream.Core.Engine;

namespace OiStream.Binance.Tests;

public class ParsingTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    [Fact]
    public void Documented_openInterestHist_parses_with_its_string_timestamp()
    {
        var rows = JsonSerializer.Deserialize(Fixture("fapi-openInterestHist.json"), BinanceJson.Default.OpenInterestHistWireArray)!;
        Assert.Equal(2, rows.Length);
        Assert.Equal("BTCUSDT", rows[0].Symbol);
        Assert.Equal(20403.12345678, rows[0].SumOpenInterest);
        Assert.Equal(176196512.12345678, rows[0].SumOpenInterestValue);
        Assert.Equal(1583127900000, rows[0].Timestamp);
    }

    [Fact]
    public void Real_openInterestHist_with_a_numeric_timestamp_parses_too()
    {
        var rows = JsonSerializer.Deserialize("""[{"symbol":"BTCUSDT","sumOpenInterest":"94570.93300000","sumOpenInterestValue":"8133186783.42422100","CMCCirculatingSupply":"20094037.00000000","timestamp":1791284100000}]""", BinanceJson.Default.OpenInterestHistWireArray)!;
        Assert.Equal(1791284100000, Assert.Single(rows).Timestamp);
    }

    [Fact]
    public void Documented_COINM_openInterest_parses_in_contracts()
    {
        var r = JsonSerializer.Deserialize(Fixture("dapi-openInterest.json"), BinanceJson.Default.OpenInterestWire)!;
        Assert.Equal("BTCUSD_200626", r.Symbol);
        Assert.Equal(15004, r.OpenInterest);
        Assert.Equal(1591261042378, r.Time);
    }

    [Fact]
    public void Documented_options_openInterest_parses_with_all_fields_as_strings()
    {
        var r = Assert.Single(JsonSerializer.Deserialize(Fixture("eapi-openInterest.json"), BinanceJson.Default.OptionsOpenInterestWireArray)!);
        Assert.Equal("ETH-221119-1175-P", r.Symbol);
        Assert.Equal(4.01, r.SumOpenInterest);
        Assert.Equal(4880.2985615624, r.SumOpenInterestUsd);
        Assert.Equal(1668754020000, r.Timestamp);
        Assert.Equal("ETH-221119", BinanceRestClient.ExpiryKey(r.Symbol));
    }

    [Fact]
    public void Empty_funding_of_a_COINM_delivery_contract_reads_as_none()
    {
        var rows = JsonSerializer.Deserialize("""[{"symbol":"BTCUSD_261225","pair":"BTCUSD","markPrice":"95123.1","indexPrice":"95000","estimatedSettlePrice":"95000","lastFundingRate":"","interestRate":"","nextFundingTime":0,"time":1}]""", BinanceJson.Default.PremiumIndexWireArray)!;
        Assert.True(double.IsNaN(Assert.Single(rows).LastFundingRate));
    }

    [Fact]
    public void Combined_mark_price_array_yields_one_event_per_known_symbol()
    {
        var table = new SymbolTable(["BTCUSDT", "ETHUSDT"]);
        var frame = """{"stream":"!markPrice@arr@1s","data":[{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","ap":"11794.1","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000},{"e":"markPriceUpdate","E":1562305380001,"s":"ETHUSDT","p":"3500.5","i":"3500","P":"3500","r":"","T":0},{"e":"markPriceUpdate","E":1562305380000,"s":"NOPEUSDT","p":"1","r":"0"}]}""";
        var events = new List<MarketEvent>();
        var stats = FrameParser.Parse(Encoding.UTF8.GetBytes(frame), table, e => { events.Add(e); return true; });
        Assert.Equal(2, stats.Events);
        Assert.Equal(1, stats.UnknownSymbols);
        Assert.Equal(MarketEventKind.MarkPrice, events[0].Kind);
        Assert.Same("BTCUSDT", events[0].Symbol);
        Assert.Equal(11794.15, events[0].Value);          // "p", not the settle estimate "P"
        Assert.Equal(0.00038167, events[0].Extra);
        Assert.Equal(1562305380000, events[0].Time);
        Assert.True(double.IsNaN(events[1].Extra));
    }

    [Fact]
    public void Raw_single_object_frame_parses()
    {
        var table = new SymbolTable(["BTCUSD_PERP"]);
        var frame = """{"e":"markPriceUpdate","E":5,"s":"BTCUSD_PERP","p":"95000.5","P":"1","i":"1","r":"0.0001","T":9}""";
        var events = new List<MarketEvent>();
        FrameParser.Parse(Encoding.UTF8.GetBytes(frame), table, e => { events.Add(e); return true; });
        Assert.Equal(95000.5, Assert.Single(events).Value);
    }

    [Fact]
    public void Options_open_interest_entries_are_summed_per_expiry()
    {
        var table = new SymbolTable(["ETH-221125"]);
        var frame = """{"stream":"ethusdt@openInterest@221125","data":[{"e":"openInterest","E":100,"s":"ETH-221125-2700-C","o":"1.5","h":"3000.5"},{"e":"openInterest","E":101,"s":"ETH-221125-2800-P","o":"2.5","h":"4000"}]}""";
        var events = new List<MarketEvent>();
        FrameParser.Parse(Encoding.UTF8.GetBytes(frame), table, e => { events.Add(e); return true; });
        var e = Assert.Single(events);
        Assert.Equal("ETH-221125", e.Symbol);
        Assert.Equal(4.0, e.Value);
        Assert.Equal(7000.5, e.Extra);
        Assert.Equal(101, e.Time);
    }

    [Fact]
    public void Subscription_acknowledgements_yield_nothing()
    {
        var stats = FrameParser.Parse("""{"result":null,"id":1}"""u8, new SymbolTable(["BTCUSDT"]), _ => throw new InvalidOperationException("no event expected"));
        Assert.Equal(0, stats.Events);
    }

    [Theory]
    [InlineData("{\"stream\":\"x\",\"data\":[{\"e\":\"markPriceUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"p\":")]
    [InlineData("""{"stream":"x","data":[{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"abc","r":"0"}]}""")]
    [InlineData("not json")]
    [InlineData("")]
    public void Malformed_frames_throw_JsonException(string frame)
    {
        Assert.ThrowsAny<JsonException>(() => FrameParser.Parse(Encoding.UTF8.GetBytes(frame), new SymbolTable(["BTCUSDT"]), _ => true));
    }

    [Fact]
    public void Entries_after_an_unusual_one_are_parsed_once_by_the_reader_without_duplicates()
    {
        // The second entry holds an escaped value the fast scan does not take: the reader finishes the frame.
        var frame = "{\"stream\":\"!markPrice@arr@1s\",\"data\":["
            + "{\"e\":\"markPriceUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"p\":\"1\",\"r\":\"0\"},"
            + "{\"e\":\"markPriceUpdate\",\"E\":2,\"s\":\"ETHUSDT\",\"p\":\"2\",\"r\":\"0\",\"x\":\"a\\u0041\"},"
            + "{\"e\":\"markPriceUpdate\",\"E\":3,\"s\":\"SOLUSDT\",\"p\":\"3\",\"r\":\"0\"}]}";
        var events = new List<MarketEvent>();
        var stats = FrameParser.Parse(Encoding.UTF8.GetBytes(frame), new SymbolTable(["BTCUSDT", "ETHUSDT", "SOLUSDT"]), e => { events.Add(e); return true; });
        Assert.Equal(3, stats.Events);
        Assert.Equal(["BTCUSDT", "ETHUSDT", "SOLUSDT"], events.Select(e => e.Symbol));
        Assert.Equal([1.0, 2.0, 3.0], events.Select(e => e.Value));
    }

    [Fact]
    public void Whitespace_and_key_order_do_not_matter()
    {
        var frame = " { \"data\" : [ { \"s\" : \"BTCUSDT\" , \"p\" : \"7.5\" , \"E\" : 9 , \"r\" : \"0.1\" , \"e\" : \"markPriceUpdate\" } ] , \"stream\" : \"x\" } ";
        var events = new List<MarketEvent>();
        FrameParser.Parse(Encoding.UTF8.GetBytes(frame), new SymbolTable(["BTCUSDT"]), e => { events.Add(e); return true; });
        var e = Assert.Single(events);
        Assert.Equal(7.5, e.Value);
        Assert.Equal(9, e.Time);
        Assert.Equal(0.1, e.Extra);
    }

    [Fact]
    public void A_full_channel_is_counted_as_dropped()
    {
        var frame = """[{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1","r":"0"}]"""u8;
        var stats = FrameParser.Parse(frame, new SymbolTable(["BTCUSDT"]), _ => false);
        Assert.Equal(1, stats.Dropped);
        Assert.Equal(0, stats.Events);
    }
}

public class FastDecimalTests
{
    [Theory]
    [InlineData("11794.15000000")]
    [InlineData("-0.00010000")]
    [InlineData("0.00038167")]
    [InlineData("94570.93300000")]
    [InlineData("8133186783.42422100")]
    [InlineData("1")]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("1e5")]
    [InlineData("12345678901234567890.5")]
    [InlineData("0.1234567890123456789012345")]
    public void Gives_exactly_what_double_Parse_gives(string text)
    {
        Assert.True(Streams.FastDecimal.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out var value));
        Assert.Equal(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Fact]
    public void Random_Binance_style_decimals_round_exactly_like_double_Parse()
    {
        var random = new Random(11);
        for (var i = 0; i < 200_000; i++)
        {
            var whole = random.NextInt64(0, 10_000_000_000);
            var places = random.Next(0, 12);
            var frac = places == 0 ? "" : "." + random.NextInt64(0, (long)Math.Pow(10, places)).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(places, '0');
            var text = (random.Next(4) == 0 ? "-" : "") + whole.ToString(System.Globalization.CultureInfo.InvariantCulture) + frac;
            Assert.True(Streams.FastDecimal.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out var value), text);
            Assert.Equal(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture), value);
        }
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.2.3")]
    [InlineData("-")]
    [InlineData("")]
    public void Rejects_what_is_not_a_number(string text)
    {
        Assert.False(Streams.FastDecimal.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out _));
    }
}

public class BinanceOptionsTests
{
    [Fact]
    public void PointedAt_moves_every_endpoint_and_keeps_every_other_setting()
    {
        var original = new BinanceOptions { BudgetShare = 0.5, MaxOiAge = TimeSpan.FromSeconds(7), CoinM = false, Symbols = ["BTCUSDT"] };
        var moved = original.PointedAt(new Uri("http://127.0.0.1:9"), new Uri("ws://127.0.0.1:9"));
        Assert.All(new[] { moved.UsdmRest, moved.CoinmRest, moved.OptionsRest }, u => Assert.Equal(new Uri("http://127.0.0.1:9"), u));
        Assert.All(new[] { moved.UsdmStream, moved.CoinmStream, moved.OptionsStream }, u => Assert.Equal(new Uri("ws://127.0.0.1:9"), u));
        Assert.Equal(0.5, moved.BudgetShare);
        Assert.Equal(TimeSpan.FromSeconds(7), moved.MaxOiAge);
        Assert.False(moved.CoinM);
        Assert.Equal(["BTCUSDT"], moved.Symbols);
        Assert.Equal(new Uri("https://fapi.binance.com"), original.UsdmRest); // the original is untouched
        Assert.NotSame(original.Symbols, moved.Symbols);
    }
}
