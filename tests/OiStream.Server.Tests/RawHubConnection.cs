using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace OiStream.Server.Tests;

/// <summary>
/// The hub's JSON protocol spoken by hand over a bare WebSocket (no negotiate): what a careless or hostile client
/// can send that no SignalR client would.
/// </summary>
internal sealed class RawHubConnection : IAsyncDisposable
{
    private const char Separator = '\u001e';
    private readonly ClientWebSocket _socket = new();
    private readonly StringBuilder _pending = new();

    public WebSocketState State => _socket.State;

    /// <summary>Every message received, in order.</summary>
    public List<string> Seen { get; } = [];

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public static async Task<RawHubConnection> ConnectAsync(Uri hubUri, Action<ClientWebSocketOptions>? configure = null)
    {
        var raw = new RawHubConnection();
        configure?.Invoke(raw._socket.Options);
        var ws = new UriBuilder(hubUri) { Scheme = hubUri.Scheme == "https" ? "wss" : "ws" }.Uri;
        await raw._socket.ConnectAsync(ws, CancellationToken.None);
        await raw.SendRawAsync("{\"protocol\":\"json\",\"version\":1}" + Separator);
        var handshake = await raw.ReceiveAsync(TimeSpan.FromSeconds(10));
        if (handshake is null || handshake.RootElement.EnumerateObject().Any())
        {
            throw new InvalidOperationException("handshake failed: " + handshake?.RootElement.GetRawText());
        }
        return raw;
    }

    public Task SendRawAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>Sends an invocation with these raw JSON arguments and returns its completion (pings skipped).</summary>
    public async Task<JsonDocument?> InvokeAsync(string target, string argumentsJson, TimeSpan timeout)
    {
        var id = Guid.NewGuid().ToString("N");
        await SendRawAsync($"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":{JsonSerializer.Serialize(target)},\"arguments\":{argumentsJson}}}{Separator}");
        return await ReceiveAsync(timeout, m => m.RootElement.TryGetProperty("invocationId", out var i) && i.GetString() == id);
    }

    /// <summary>The next message that <paramref name="accept"/> takes (default: any but a ping); null on close or timeout.</summary>
    public async Task<JsonDocument?> ReceiveAsync(TimeSpan timeout, Func<JsonDocument, bool>? accept = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var text = _pending.ToString();
            var end = text.IndexOf(Separator, StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.Remove(0, end + 1);
                Seen.Add(text[..end]);
                var doc = JsonDocument.Parse(text[..end]);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("type", out var type) && type.GetInt32() == 6)
                {
                    continue;
                }
                if (accept is null || accept(doc))
                {
                    return doc;
                }
                continue;
            }
            try
            {
                var result = await _socket.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }
                _pending.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                return null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }
            catch (WebSocketException)
            {
                // already gone
            }
        }
        _socket.Dispose();
    }
}
