using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OiStream.Client;

/// <summary>
/// SignalR's HTTP connection factory over several hub URLs (the edges of a cluster): each connect, the first and every
/// automatic reconnect, starts with the URL that worked last and moves on to the next when one cannot be reached. So
/// a client whose edge dies reconnects to another edge by itself, and SignalR's reconnect (and the client's
/// resubscription) runs as for one hub.
/// </summary>
internal sealed class FailoverConnectionFactory(IReadOnlyList<Uri> urls, Action<HttpConnectionOptions> configure, ILoggerFactory loggers) : IConnectionFactory
{
    private int _current;

    /// <summary>The URL of the connection made last.</summary>
    public Uri Current => urls[Volatile.Read(ref _current)];

    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var start = Volatile.Read(ref _current);
        Exception? last = null;
        for (var i = 0; i < urls.Count; i++)
        {
            var index = (start + i) % urls.Count;
            var options = new HttpConnectionOptions();
            configure(options);
            var factory = new HttpConnectionFactory(Options.Create(options), loggers);
            try
            {
                var connection = await factory.ConnectAsync(new UriEndPoint(urls[index]), cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _current, index);
                return connection;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
            {
                last = ex; // this hub is down or refuses: the next one
            }
        }
        throw last!;
    }
}
