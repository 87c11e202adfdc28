using Microsoft.AspNetCore.SignalR;
using OiStream.Server.Hubs;

namespace OiStream.Server.Fanout;

/// <summary>
/// SignalR's default lifetime manager for <see cref="OiHub"/>, which also hands each connection to
/// <see cref="ConnectionFanout"/> (SignalR shows a hub's connection context to its lifetime manager only).
/// </summary>
public sealed class FanoutLifetimeManager(ConnectionFanout fanout, ILogger<DefaultHubLifetimeManager<OiHub>> logger)
    : DefaultHubLifetimeManager<OiHub>(logger)
{
    /// <inheritdoc />
    public override Task OnConnectedAsync(HubConnectionContext connection)
    {
        fanout.Connected(connection);
        return base.OnConnectedAsync(connection);
    }

    /// <inheritdoc />
    public override Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        fanout.Disconnected(connection.ConnectionId);
        return base.OnDisconnectedAsync(connection);
    }
}
