namespace OiStream.Server.Security;

/// <summary>
/// Configuration section <c>OiStream:Security</c>: who may use the hub, from which web origins, and how much each
/// client may ask. With no keys every endpoint is open, which suits a hub bound to loopback (the default); a hub
/// bound to another address without keys says so in a warning at start. See <c>docs/security.md</c>.
/// </summary>
public sealed class SecurityOptions
{
    /// <summary>The section name.</summary>
    public const string Section = "OiStream:Security";

    /// <summary>
    /// API keys (at least 16 characters each). When any is set, every endpoint but <c>/healthz</c> and the dashboard's
    /// static files requires one: <c>Authorization: Bearer KEY</c>, <c>X-Api-Key: KEY</c>, or <c>?access_token=KEY</c>
    /// (what browsers' WebSockets and SignalR clients send).
    /// </summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>Web origins other than the hub's own that may call it from a browser (CORS and the WebSocket <c>Origin</c> check), e.g. <c>https://desk.example.com</c>.</summary>
    public IList<string> CorsOrigins { get; } = [];

    /// <summary>REST requests one client (an API key, or an IP address without keys) may make per second, on average.</summary>
    public int RequestsPerSecond { get; set; } = 20;

    /// <summary>REST requests one client may make at once in a burst, above its rate.</summary>
    public int RequestBurst { get; set; } = 200;

    /// <summary>Hub connections one client may hold open at once.</summary>
    public int ConnectionsPerClient { get; set; } = 200;

    /// <summary>Whether API keys are required.</summary>
    public bool RequiresKeys => ApiKeys.Count > 0;
}
