using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using OiStream.Simulator;

namespace OiStream.Binance.Tests;

/// <summary>The simulator's WebSocket protocol against the fact sheet (section 7), with a bare ClientWebSocket.</summary>
public class SimulatorProtocolTests
{
    private static async Task<string?> ReceiveAsync(ClientWebSocket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[1 << 20];
        var count = 0;
        try
        {
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(count), cts.Token) is var r ? new WebSocketReceiveResult(r.Count, r.MessageType, r.EndOfMessage) : null!;
                count += result.Count;
            }
            while (!result.EndOfMessage);
            return result.MessageType == WebSocketMessageType.Close ? null : Encoding.UTF8.GetString(buffer, 0, count);
        }
        catch (OperationCanceledException)
        {
            return "<timeout>";
        }
    }

    private static Task SendAsync(ClientWebSocket socket, string text)
        => socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    [Fact]
    public async Task Routed_combined_stream_delivers_wrapped_mark_prices_every_second()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { UsdmCoins = 10, CoinmCoins = 2 });
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(sim.WebSocketUri, "/market/stream?streams=btcusdt@markPrice@1s/btcusd@markPrice@1s"), CancellationToken.None);
        var seen = new HashSet<string>();
        while (seen.Count < 2)
        {
            var text = await ReceiveAsync(socket, TimeSpan.FromSeconds(5));
            Assert.NotEqual("<timeout>", text);
            using var doc = JsonDocument.Parse(text!);
            var stream = doc.RootElement.GetProperty("stream").GetString()!;
            seen.Add(stream);
            var data = doc.RootElement.GetProperty("data");
            if (stream == "btcusdt@markPrice@1s")
            {
                Assert.Equal("markPriceUpdate", data.GetProperty("e").GetString());
                Assert.Equal("BTCUSDT", data.GetProperty("s").GetString());
                Assert.Equal(JsonValueKind.String, data.GetProperty("p").ValueKind);
            }
            else
            {
                Assert.Equal(JsonValueKind.Array, data.ValueKind); // a pair stream carries every contract of the pair
                Assert.Contains(data.EnumerateArray(), e => e.GetProperty("s").GetString() == "BTCUSD_PERP");
            }
        }
    }

    [Fact]
    public async Task Legacy_unrouted_path_acknowledges_and_then_stays_silent()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { UsdmCoins = 10, CoinmCoins = 2 });
        using var legacy = new ClientWebSocket();
        await legacy.ConnectAsync(new Uri(sim.WebSocketUri, "/ws"), CancellationToken.None);
        await SendAsync(legacy, """{"method":"SUBSCRIBE","params":["btcusdt@markPrice@1s"],"id":7}""");
        Assert.Equal("""{"result":null,"id":7}""", await ReceiveAsync(legacy, TimeSpan.FromSeconds(5)));
        // A routed socket subscribed to the same stream receives within the same window; the legacy one never does.
        using var routed = new ClientWebSocket();
        await routed.ConnectAsync(new Uri(sim.WebSocketUri, "/market/ws/btcusdt@markPrice@1s"), CancellationToken.None);
        Assert.NotEqual("<timeout>", await ReceiveAsync(routed, TimeSpan.FromSeconds(5)));
        Assert.Equal("<timeout>", await ReceiveAsync(legacy, TimeSpan.FromSeconds(2.5)));
    }

    [Fact]
    public async Task Control_messages_follow_the_live_subscribe_protocol()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { UsdmCoins = 10, CoinmCoins = 2 });
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(sim.WebSocketUri, "/market/ws"), CancellationToken.None);
        await SendAsync(socket, """{"method":"SUBSCRIBE","params":["ethusdt@markPrice@1s","btcusdt@markPrice"],"id":1}""");
        Assert.Equal("""{"result":null,"id":1}""", await ReceiveAsync(socket, TimeSpan.FromSeconds(5)));
        await SendAsync(socket, """{"method":"LIST_SUBSCRIPTIONS","id":2}""");
        var list = await NextControlAsync(socket);
        Assert.Equal("""{"result":["ethusdt@markPrice@1s","btcusdt@markPrice"],"id":2}""", list);
        await SendAsync(socket, """{"method":"GET_PROPERTY","params":["combined"],"id":3}""");
        Assert.Equal("""{"result":false,"id":3}""", await NextControlAsync(socket));
        await SendAsync(socket, """{"method":"SET_PROPERTY","params":["combined","yes"],"id":4}""");
        Assert.Contains("\"code\":1", await NextControlAsync(socket), StringComparison.Ordinal);
        await SendAsync(socket, """{"method":"FLY","id":5}""");
        Assert.Contains("unknown variant FLY", await NextControlAsync(socket), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_JSON_gets_error_3_and_the_connection_is_closed()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { UsdmCoins = 10, CoinmCoins = 2 });
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(sim.WebSocketUri, "/market/ws"), CancellationToken.None);
        await SendAsync(socket, "{not json");
        Assert.Equal("""{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"}}""", await ReceiveAsync(socket, TimeSpan.FromSeconds(5)));
        Assert.Null(await ReceiveAsync(socket, TimeSpan.FromSeconds(5))); // the close frame
    }

    [Fact]
    public async Task More_than_10_messages_a_second_disconnects()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { UsdmCoins = 10, CoinmCoins = 2 });
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(sim.WebSocketUri, "/market/ws"), CancellationToken.None);
        for (var i = 0; i < 12; i++)
        {
            await SendAsync(socket, $$"""{"method":"LIST_SUBSCRIPTIONS","id":{{i}}}""");
        }
        string? last = "";
        for (var i = 0; i < 20 && last is not null; i++)
        {
            last = await ReceiveAsync(socket, TimeSpan.FromSeconds(5));
            Assert.NotEqual("<timeout>", last);
        }
        Assert.Null(last);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
    }

    // Skips data frames that may arrive between a request and its answer.
    private static async Task<string> NextControlAsync(ClientWebSocket socket)
    {
        while (true)
        {
            var text = await ReceiveAsync(socket, TimeSpan.FromSeconds(5));
            Assert.NotNull(text);
            Assert.NotEqual("<timeout>", text);
            if (!text!.Contains("\"e\":", StringComparison.Ordinal))
            {
                return text;
            }
        }
    }
}
