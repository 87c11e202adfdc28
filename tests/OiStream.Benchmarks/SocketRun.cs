using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OiStream.Binance.Streams;
using Websocket.Client;

namespace OiStream.Benchmarks;

/// <summary>
/// The cost of receiving a market-data frame: Websocket.Client (what the streams use) against a bare ClientWebSocket
/// loop (what they used before), in one run. A local Kestrel endpoint sends the same 600-entry markPrice frame as fast
/// as a client takes it; each client receives it and hands it to the frame parser. Per frame: the process's CPU time
/// (sender included, the same for both) and the bytes allocated. Runs alternate (bare, library, bare, library).
/// </summary>
internal static class SocketRun
{
    public static async Task RunAsync(int frames)
    {
        var (frame, symbols) = FrameParseBenchmarks.MarkPriceFrame();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.UseWebSockets();
        app.Map("/blast", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var count = int.Parse(context.Request.Query["n"]!, System.Globalization.CultureInfo.InvariantCulture);
            for (var i = 0; i < count; i++)
            {
                await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, context.RequestAborted);
            }
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", context.RequestAborted);
        });
        await app.StartAsync();
        var uri = new Uri(app.Urls.First().Replace("http://", "ws://", StringComparison.Ordinal) + "/blast?n=" + frames);
        long events = 0;
        bool Write(OiStream.Core.Engine.MarketEvent e)
        {
            events++;
            return true;
        }

        Console.WriteLine($"{frames:N0} frames of {frame.Length:N0} B (600 entries) per run, over loopback");
        var results = new List<(string Name, double CpuUs, double Bytes, double WallUs)>();
        for (var round = 0; round < 2; round++)
        {
            results.Add(await MeasureAsync("bare ClientWebSocket", frames, () => BareAsync(uri, symbols, Write)));
            results.Add(await MeasureAsync("Websocket.Client", frames, () => LibraryAsync(uri, frames, symbols, Write)));
        }
        foreach (var r in results)
        {
            Console.WriteLine($"{r.Name,-21} CPU {r.CpuUs,6:0.0} µs/frame, allocated {r.Bytes,9:N0} B/frame, wall {r.WallUs,6:0.0} µs/frame");
        }
        double Mean(string name, Func<(string Name, double CpuUs, double Bytes, double WallUs), double> f) => results.Where(r => r.Name == name).Average(f);
        Console.WriteLine($"Websocket.Client / bare: CPU {Mean("Websocket.Client", r => r.CpuUs) / Mean("bare ClientWebSocket", r => r.CpuUs):0.00}, " +
            $"allocations +{Mean("Websocket.Client", r => r.Bytes) - Mean("bare ClientWebSocket", r => r.Bytes):N0} B/frame; {events:N0} events parsed");
        await app.StopAsync();
    }

    private static async Task<(string, double, double, double)> MeasureAsync(string name, int frames, Func<Task> run)
    {
        await run(); // warm-up on the same frames
        GC.Collect();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.StartNew();
        await run();
        wall.Stop();
        process.Refresh();
        return (name, (process.TotalProcessorTime - cpu).TotalMicroseconds / frames, (double)(GC.GetTotalAllocatedBytes(precise: true) - bytes) / frames,
            wall.Elapsed.TotalMicroseconds / frames);
    }

    // What MarketStreamClient did before Websocket.Client: one pooled buffer, grown when a frame is bigger.
    private static async Task BareAsync(Uri uri, SymbolTable symbols, Func<OiStream.Core.Engine.MarketEvent, bool> write)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, CancellationToken.None);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                FrameParser.Parse(buffer.AsSpan(0, count), symbols, write);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // What MarketStreamClient does now: Websocket.Client with frames kept as bytes.
    private static async Task LibraryAsync(Uri uri, int frames, SymbolTable symbols, Func<OiStream.Core.Engine.MarketEvent, bool> write)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = 0;
        using var client = new WebsocketClient(uri) { IsTextMessageConversionEnabled = false, IsReconnectionEnabled = false };
        using var subscription = client.MessageReceived.Subscribe(m =>
        {
            if (m.Stream is { } stream)
            {
                FrameParser.Parse(stream.GetBuffer().AsSpan(0, (int)stream.Length), symbols, write);
            }
            else if (m.Binary is { } bytes)
            {
                FrameParser.Parse(bytes, symbols, write);
            }
            if (++received == frames)
            {
                done.TrySetResult();
            }
        });
        await client.Start();
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
    }
}
