using System.Collections.Concurrent;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.Server.Tests;

/// <summary>The .NET client survives a hub restart: it reconnects, subscribes again, and updates flow.</summary>
public class ReconnectTests
{
    [Fact]
    public async Task After_a_hub_restart_the_client_reconnects_resubscribes_and_receives_again()
    {
        var port = Ports.Free();
        string[] Args() => [.. HubHost.Args().Select(a => a == "http://127.0.0.1:0" ? $"http://127.0.0.1:{port}" : a)];
        var first = new HubHost { Arguments = Args() };
        await first.InitializeAsync();

        var delays = Enumerable.Repeat(TimeSpan.FromMilliseconds(500), 120).ToArray();
        await using var client = new OiStreamClient(first.HubUri, delays);
        var updates = new ConcurrentQueue<InstrumentState>();
        var reconnecting = 0;
        var reconnected = 0;
        client.InstrumentReceived += updates.Enqueue;
        client.Reconnecting += _ => Interlocked.Increment(ref reconnecting);
        client.Reconnected += () => Interlocked.Increment(ref reconnected);
        await client.StartAsync();
        await client.SubscribeAsync(["BTCUSDT"]);
        await Wait.UntilAsync(() => updates.Count >= 2, TimeSpan.FromSeconds(30), "updates from the first hub");

        await first.DisposeAsync();
        await Wait.UntilAsync(() => Volatile.Read(ref reconnecting) >= 1, TimeSpan.FromSeconds(30), "the client to notice");
        var second = new HubHost { Arguments = Args() };
        await second.InitializeAsync();
        try
        {
            await Wait.UntilAsync(() => Volatile.Read(ref reconnected) >= 1, TimeSpan.FromSeconds(60), "reconnected and resubscribed");
            updates.Clear();
            // The new hub's seq starts again; the client takes it as a fresh start, not as stale data.
            await Wait.UntilAsync(() => updates.Count >= 2, TimeSpan.FromSeconds(30), "updates from the second hub without subscribing by hand");
            Assert.All(updates, u => Assert.Equal("BTCUSDT", u.Symbol));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }
}
