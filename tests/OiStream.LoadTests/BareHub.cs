using System.Globalization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OiStream.LoadTests;

/// <summary>
/// The baseline of the fan-out harness: the plainest ASP.NET Core SignalR hub that carries the same traffic as
/// OiStream: groups named like symbols, and once a second a message of the same size to every group (the market's
/// burst), sent the way SignalR's documentation shows (<c>Clients.Group(...).SendAsync</c>, all sends awaited together).
/// Nothing of OiStream runs in it.
/// </summary>
internal static class BareHub
{
    public static async Task RunAsync(string[] args)
    {
        var groups = int.Parse(Arg(args, "--groups") ?? "300", CultureInfo.InvariantCulture);
        var payload = int.Parse(Arg(args, "--payload") ?? "250", CultureInfo.InvariantCulture);
        var values = int.Parse(Arg(args, "--values") ?? "20", CultureInfo.InvariantCulture);
        var ticks = Arg(args, "--ticks") is { } t ? new Uri(t) : null;
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        builder.Services.AddSignalR();
        builder.Services.AddHostedService(sp => new Burst(sp.GetRequiredService<IHubContext<Groups>>(), groups, payload, values, ticks));
        var app = builder.Build();
        app.UseWebSockets();
        app.MapHub<Groups>("/hubs/oi");
        await app.RunAsync();
    }

    private static string? Arg(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    /// <summary>Group names of the bare hub: <c>S0</c>, <c>S1</c>, …</summary>
    public static string GroupName(int i) => "S" + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>The hub: joins the groups asked for.</summary>
    internal sealed class Groups : Hub
    {
        public async Task Subscribe(string[] names)
        {
            foreach (var name in names)
            {
                await base.Groups.AddToGroupAsync(Context.ConnectionId, name);
            }
        }
    }

    /// <summary>
    /// What a client receives: a symbol, a seq, the tick time, as many numbers as OiStream's delta carries (so a client
    /// parses as much), and padding to the measured size of OiStream's frame.
    /// </summary>
    internal sealed record Update(string Symbol, long Seq, long PriceTime, double?[] Set, string Pad);

    // With a ticks stream (the simulator's mark prices, as OiStream reads them), a burst follows each frame of it and
    // carries the frame's event time, so the bare hub's latency starts where OiStream's does: at the exchange's tick.
    // Without one, a timer sends a burst a second stamped with the send time.
    private sealed class Burst(IHubContext<Groups> hub, int groups, int payload, int values, Uri? ticks) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            // Index/value pairs like a delta's; the padding makes up the rest of the frame.
            var set = Enumerable.Range(0, values).Select(i => (double?)(i % 2 == 0 ? i : 1234.5678 + i)).ToArray();
            var bare = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Update(GroupName(0), 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), set, ""),
                System.Text.Json.JsonSerializerOptions.Web).Length;
            // The envelope around the argument: {"type":1,"target":"instrumentDelta","arguments":[…]} and the separator.
            var pad = new string('x', Math.Max(0, payload - bare - 53));
            long seq = 0;
            await foreach (var tick in TicksAsync(stoppingToken))
            {
                seq++;
                var sends = new Task[groups];
                for (var i = 0; i < groups; i++)
                {
                    sends[i] = hub.Clients.Group(GroupName(i)).SendAsync("instrumentDelta", new Update(GroupName(i), seq, tick, set, pad), stoppingToken);
                }
                try
                {
                    await Task.WhenAll(sends);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A send to a closing connection: the next burst goes on.
                }
            }
        }

        private async IAsyncEnumerable<long> TicksAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken stoppingToken)
        {
            if (ticks is null)
            {
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                while (await timer.WaitForNextTickAsync(stoppingToken))
                {
                    yield return DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                }
                yield break;
            }
            using var ws = new System.Net.WebSockets.ClientWebSocket();
            await ws.ConnectAsync(new Uri(ticks, "/market/stream?streams=!markPrice@arr@1s"), stoppingToken);
            var buffer = new byte[1 << 20];
            while (!stoppingToken.IsCancellationRequested)
            {
                var length = 0;
                System.Net.WebSockets.ValueWebSocketReceiveResult r;
                do
                {
                    r = await ws.ReceiveAsync(buffer.AsMemory(length), stoppingToken);
                    length += r.Count;
                }
                while (!r.EndOfMessage);
                if (r.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    yield break;
                }
                using var doc = System.Text.Json.JsonDocument.Parse(buffer.AsMemory(0, length));
                var data = doc.RootElement.GetProperty("data");
                if (data.GetArrayLength() > 0)
                {
                    yield return data[0].GetProperty("E").GetInt64();
                }
            }
        }
    }
}
