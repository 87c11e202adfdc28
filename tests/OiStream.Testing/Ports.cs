using System.Net;
using System.Net.Sockets;

namespace OiStream.Testing;

/// <summary>Loopback ports for tests that need a port number before the server exists (or one nobody listens on).</summary>
public static class Ports
{
    /// <summary>A port that was free a moment ago.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
