using Microsoft.AspNetCore.Http.Connections;
using OiStream.Client;

namespace OiStream.Server.Tests;

/// <summary>A hub that accepts long polling only (as behind a proxy that passes no WebSocket and no stream).</summary>
public sealed class LongPollingHubHost : IAsyncLifetime
{
    public HubHost Host { get; } = new() { Arguments = HubHost.Args("--OiStream:Transports=LongPolling") };

    public Task InitializeAsync() => Host.InitializeAsync();

    public Task DisposeAsync() => Host.DisposeAsync();
}

/// <summary>A hub that accepts Server-Sent Events only.</summary>
public sealed class ServerSentEventsHubHost : IAsyncLifetime
{
    public HubHost Host { get; } = new() { Arguments = HubHost.Args("--OiStream:Transports=ServerSentEvents") };

    public Task InitializeAsync() => Host.InitializeAsync();

    public Task DisposeAsync() => Host.DisposeAsync();
}

/// <summary>The .NET client negotiates and falls back to what the hub accepts.</summary>
public static class TransportChecks
{
    public static async Task FallsBackAndStreamsAsync(HubHost hub, HttpTransportType only)
    {
        // A client that insists on WebSockets is turned away: the hub really accepts nothing else.
        await using (var websocketsOnly = new OiStreamClient(hub.HubUri, new OiStreamClientOptions { Transports = HttpTransportType.WebSockets, ReconnectDelays = [TimeSpan.Zero] }))
        {
            await Assert.ThrowsAsync<HubUnreachableException>(() => websocketsOnly.StartAsync());
        }

        await using var client = new OiStreamClient(hub.HubUri);
        var updates = new System.Collections.Concurrent.ConcurrentQueue<Contracts.InstrumentState>();
        client.InstrumentReceived += updates.Enqueue;
        await client.StartAsync();
        var snapshot = Assert.Single(await client.SubscribeAsync(["BTCUSDT"]));
        await Wait.UntilAsync(() => updates.Any(u => u.Seq == snapshot.Seq + 1), TimeSpan.FromSeconds(30), $"a live update over {only}");
        Assert.Equal(0, client.GapsDetected);
    }
}

public class LongPollingTests(LongPollingHubHost fixture) : IClassFixture<LongPollingHubHost>
{
    [Fact]
    public Task The_client_falls_back_to_long_polling_and_streams_updates() => TransportChecks.FallsBackAndStreamsAsync(fixture.Host, HttpTransportType.LongPolling);
}

public class ServerSentEventsTests(ServerSentEventsHubHost fixture) : IClassFixture<ServerSentEventsHubHost>
{
    [Fact]
    public Task The_client_falls_back_to_server_sent_events_and_streams_updates() => TransportChecks.FallsBackAndStreamsAsync(fixture.Host, HttpTransportType.ServerSentEvents);
}
