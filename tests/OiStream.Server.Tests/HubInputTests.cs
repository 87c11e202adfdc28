using System.Net.WebSockets;
using System.Text.Json;

namespace OiStream.Server.Tests;

/// <summary>
/// What a client can send the hub by hand over the JSON protocol: every call is answered with an error that names
/// the problem and the connection stays, or, for what cannot be read (too large, an unknown message type), the
/// connection is closed with a reason. The host allows 6 symbols per connection.
/// </summary>
public class HubInputTests(HubHost hub) : IClassFixture<HubHost>
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(10);

    public static TheoryData<string, string, string> BadCalls => new()
    {
        { "Subscribe", "[" + JsonSerializer.Serialize(Enumerable.Range(0, 10_000).Select(i => "SYM" + i + "USDT")) + "]",
            "Too many symbols in one call: 10000, at most 6 (OiStream:MaxSymbolsPerConnection)." },
        { "Subscribe", "[[\"" + new string('A', 100_000) + "\"]]", "A symbol of 100000 characters: at most 40." },
        { "SubscribeCoins", "[[\"" + new string('B', 500) + "\"]]", "A coin of 500 characters: at most 40." },
        { "Subscribe", "[42]", "Subscribe takes one argument, symbols: an array of strings such as [\"BTCUSDT\"]; an argument is not of the type it takes." },
        { "Subscribe", "[{\"a\":1}]", "Subscribe takes one argument, symbols: an array of strings such as [\"BTCUSDT\"]; an argument is not of the type it takes." },
        { "Subscribe", "[]", "Subscribe takes one argument, symbols: an array of strings such as [\"BTCUSDT\"]; Invocation provides 0 argument(s) but target expects 1." },
        { "Subscribe", "[[\"BTCUSDT\"], 1]", "Subscribe takes one argument, symbols: an array of strings such as [\"BTCUSDT\"]; Invocation provides 2 argument(s) but target expects 1." },
        { "SubscribeCoins", "[[[\"BTC\"]]]", "SubscribeCoins takes one argument, coins: an array of strings such as [\"BTC\"]; an argument is not of the type it takes." },
        { "Subscribe", "[" + new string('[', 100) + new string(']', 100) + "]", "Subscribe takes one argument, symbols: an array of strings such as [\"BTCUSDT\"]; the arguments are nested deeper than 64 levels." },
        { "SubscribeOverview", "[1]", "SubscribeOverview takes no arguments; Invocation provides 1 argument(s) but target expects 0." },
    };

    [Theory]
    [MemberData(nameof(BadCalls))]
    public async Task A_bad_call_is_answered_with_what_the_method_takes_and_the_connection_stays_usable(string target, string arguments, string expected)
    {
        await using var raw = await RawHubConnection.ConnectAsync(hub.HubUri);
        using var answer = await raw.InvokeAsync(target, arguments, Answer);
        Assert.True(answer is not null, "no answer; the connection is " + raw.State + "; it received: " + string.Join(" | ", raw.Seen));
        var error = answer.RootElement.GetProperty("error").GetString()!;
        Assert.True(error.Contains(expected, StringComparison.Ordinal), error);

        using var ok = await raw.InvokeAsync("Subscribe", "[[\"BTCUSDT\"]]", Answer);
        Assert.NotNull(ok);
        Assert.Equal("BTCUSDT", ok.RootElement.GetProperty("result")[0].GetProperty("symbol").GetString());
    }

    [Fact]
    public async Task A_message_over_the_size_limit_closes_the_connection_with_a_reason_that_names_the_limit()
    {
        await using var raw = await RawHubConnection.ConnectAsync(hub.HubUri);
        // Over the default 1 MiB, without ever ending the message: the hub stops reading at the limit.
        var big = "{\"type\":1,\"target\":\"Subscribe\",\"arguments\":[[\"" + new string('x', 1_100_000);
        await raw.SendRawAsync(big);
        using var close = await raw.ReceiveAsync(Answer, m => m.RootElement.GetProperty("type").GetInt32() == 7);
        Assert.NotNull(close);
        Assert.Contains("A message of more than 1048576 bytes: the hub reads at most 1048576 bytes per message (OiStream:MaxMessageBytes)", close.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        // Then the socket itself closes: nothing more arrives.
        Assert.Null(await raw.ReceiveAsync(Answer));
        Assert.NotEqual(WebSocketState.Open, raw.State);
    }

    [Fact]
    public async Task A_message_of_unknown_type_closes_the_connection_with_a_reason()
    {
        await using var raw = await RawHubConnection.ConnectAsync(hub.HubUri);
        await raw.SendRawAsync("{\"type\":99}\u001e");
        using var close = await raw.ReceiveAsync(Answer, m => m.RootElement.GetProperty("type").GetInt32() == 7);
        Assert.True(close is not null, "no close message; the connection is " + raw.State);
        Assert.Contains("Unknown message type 99: this hub speaks SignalR's JSON hub protocol version 1", close.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
