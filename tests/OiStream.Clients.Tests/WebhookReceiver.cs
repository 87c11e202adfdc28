using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OiStream.Clients.Tests;

/// <summary>A local chat service: real Kestrel on 127.0.0.1:0 that records every POST and can fail on purpose.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly Dictionary<string, (int Times, int RetryAfter)> _throttle = [];
    private readonly WebApplication _app;
    private readonly Dictionary<string, int> _failuresLeft = [];

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>Every request, accepted or not: (path, status answered, JSON body).</summary>
    public ConcurrentQueue<(string Path, int Status, JsonElement Body)> Requests { get; } = new();

    public IEnumerable<JsonElement> Accepted(string path) => Requests.Where(r => r.Path == path && r.Status == 200).Select(r => r.Body);

    public int Count(string path) => Requests.Count(r => r.Path == path);

    /// <summary>When each request arrived (path, UTC time), in order.</summary>
    public ConcurrentQueue<(string Path, DateTime At)> Arrivals { get; } = new();

    /// <summary>The next <paramref name="times"/> requests to <paramref name="path"/> get a 429 asking to retry after <paramref name="retryAfterSeconds"/>.</summary>
    public void ThrottleNext(string path, int times, int retryAfterSeconds)
    {
        lock (_failuresLeft)
        {
            _throttle[path] = (times, retryAfterSeconds);
        }
    }

    /// <summary>The next <paramref name="times"/> requests to <paramref name="path"/> get a 500.</summary>
    public void FailNext(string path, int times)
    {
        lock (_failuresLeft)
        {
            _failuresLeft[path] = times;
        }
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            var path = context.Request.Path.Value!;
            receiver.Arrivals.Enqueue((path, DateTime.UtcNow));
            if (receiver.TakeThrottle(path) is { } retryAfter)
            {
                receiver.Requests.Enqueue((path, 429, body));
                context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.StatusCode(429);
            }
            var fail = receiver.TakeFailure(path);
            receiver.Requests.Enqueue((path, fail ? 500 : 200, body));
            return fail ? Results.StatusCode(500) : Results.Ok();
        });
        await app.StartAsync();
        receiver.BaseUri = new Uri(app.Urls.First());
        return receiver;
    }

    private int? TakeThrottle(string path)
    {
        lock (_failuresLeft)
        {
            if (_throttle.TryGetValue(path, out var t) && t.Times > 0)
            {
                _throttle[path] = (t.Times - 1, t.RetryAfter);
                return t.RetryAfter;
            }
            return null;
        }
    }

    private bool TakeFailure(string path)
    {
        lock (_failuresLeft)
        {
            if (_failuresLeft.TryGetValue(path, out var left) && left > 0)
            {
                _failuresLeft[path] = left - 1;
                return true;
            }
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
