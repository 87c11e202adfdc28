using Microsoft.Extensions.Logging.Abstractions;
using OiStream.Notifier.Alerts;
using OiStream.Notifier.Rules;
using OiStream.Notifier.Sinks;

namespace OiStream.Clients.Tests;

/// <summary>A sink's outbox against a real local webhook: how it waits before it tries again.</summary>
public class DeliveryTests
{
    [Fact]
    public async Task A_429_with_Retry_After_is_waited_out_rather_than_retried_on_the_outbox_own_backoff()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var http = new HttpClient();
        var sink = new WebhookSink(new SinkConfig { Name = "hook", Kind = SinkKind.Slack, Url = new Uri(receiver.BaseUri, "/throttled") }, http);
        // The outbox's own backoff would try again after about 50 ms; the webhook asks for 2 s.
        await using var outbox = new SinkOutbox(sink, new DeliveryOptions { Retries = 3, FirstDelay = TimeSpan.FromMilliseconds(50) }, NullLogger.Instance);
        receiver.ThrottleNext("/throttled", times: 1, retryAfterSeconds: 2);

        outbox.Enqueue(new Alert("rule", "BTCUSDT", "when", "5m", 1, "BTCUSDT OI +1 %", 0, "simulated", null, ["hook"]));
        await Wait.UntilAsync(() => outbox.Delivered == 1, TimeSpan.FromSeconds(15), "the alert delivered after the 429");

        var arrivals = receiver.Arrivals.Where(a => a.Path == "/throttled").Select(a => a.At).ToList();
        Assert.Equal(2, arrivals.Count);
        Assert.True(arrivals[1] - arrivals[0] >= TimeSpan.FromSeconds(1.9), $"retried after {(arrivals[1] - arrivals[0]).TotalMilliseconds:0} ms");
        Assert.Equal([429, 200], receiver.Requests.Where(r => r.Path == "/throttled").Select(r => r.Status));
    }
}
