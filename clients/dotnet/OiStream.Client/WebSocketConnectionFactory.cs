using System.IO.Pipelines;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace OiStream.Client;

/// <summary>
/// Connects a SignalR <c>HubConnection</c> over a plain <see cref="ClientWebSocket"/> with negotiation skipped.
/// The usual transport package (Microsoft.AspNetCore.SignalR.Client with Http.Connections.Client) cannot be restored
/// from this project's NuGet source, so this small factory pumps two pipes between the socket and the hub protocol.
/// The hub must be reachable by WebSockets directly, which OiStream's is (no sticky sessions needed either).
/// </summary>
public sealed class WebSocketConnectionFactory(string? apiKey = null) : IConnectionFactory
{
    /// <inheritdoc />
    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not UriEndPoint { Uri: var uri })
        {
            throw new ArgumentException("OiStream connects to a URI endpoint, e.g. ws://localhost:5000/hubs/oi.", nameof(endpoint));
        }
        var wsUri = uri.Scheme switch
        {
            "http" => new UriBuilder(uri) { Scheme = "ws" }.Uri,
            "https" => new UriBuilder(uri) { Scheme = "wss" }.Uri,
            _ => uri,
        };
        var socket = new ClientWebSocket();
        if (!string.IsNullOrEmpty(apiKey))
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + apiKey);
        }
        try
        {
            await socket.ConnectAsync(wsUri, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new WebSocketConnection(socket);
    }

    private sealed class WebSocketConnection : ConnectionContext
    {
        private readonly ClientWebSocket _socket;
        private readonly Pipe _toApp = new();
        private readonly Pipe _fromApp = new();
        private readonly CancellationTokenSource _closed = new();
        private readonly Task _receiving;
        private readonly Task _sending;

        public WebSocketConnection(ClientWebSocket socket)
        {
            _socket = socket;
            Transport = new DuplexPipe(_toApp.Reader, _fromApp.Writer);
            ConnectionClosed = _closed.Token;
            _receiving = ReceiveAsync();
            _sending = SendAsync();
        }

        public override string ConnectionId { get; set; } = Guid.NewGuid().ToString("N");

        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

        public override IDuplexPipe Transport { get; set; }

        public override void Abort(ConnectionAbortedException abortReason)
        {
            _socket.Abort();
            _closed.Cancel();
        }

        public override async ValueTask DisposeAsync()
        {
            _fromApp.Writer.Complete();
            try
            {
                await _sending.WaitAsync(TimeSpan.FromSeconds(5));
                await _receiving.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                _socket.Abort();
            }
            _socket.Dispose();
            _closed.Dispose();
            await base.DisposeAsync();
        }

        // Socket → hub protocol.
        private async Task ReceiveAsync()
        {
            var writer = _toApp.Writer;
            Exception? error = null;
            try
            {
                while (true)
                {
                    var memory = writer.GetMemory(4096);
                    var result = await _socket.ReceiveAsync(memory, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                    writer.Advance(result.Count);
                    if (result.EndOfMessage)
                    {
                        var flush = await writer.FlushAsync();
                        if (flush.IsCompleted)
                        {
                            break;
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                error = ex;
            }
            finally
            {
                await writer.CompleteAsync(error);
                await _closed.CancelAsync();
            }
        }

        // Hub protocol → socket.
        private async Task SendAsync()
        {
            var reader = _fromApp.Reader;
            try
            {
                while (true)
                {
                    var result = await reader.ReadAsync();
                    var buffer = result.Buffer;
                    foreach (var segment in buffer)
                    {
                        await _socket.SendAsync(segment, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                    }
                    reader.AdvanceTo(buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
                if (_socket.State == WebSocketState.Open)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "client closing", CancellationToken.None);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The socket is gone; the receive side reports it to the hub connection.
            }
            finally
            {
                await reader.CompleteAsync();
            }
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
