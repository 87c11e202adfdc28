namespace OiStream.Testing;

/// <summary>A hub with two API keys, tight limits and one allowed web origin.</summary>
public sealed class KeyedHubHost : IAsyncLifetime
{
    public const string KeyA = "key-a-0123456789abcdef";
    public const string KeyB = "key-b-0123456789abcdef";
    public const string Desk = "http://desk.example";

    public HubHost Host { get; } = new()
    {
        ApiKey = KeyA,
        Arguments = HubHost.Args(
            "--OiStream:Security:ApiKeys:0=" + KeyA, "--OiStream:Security:ApiKeys:1=" + KeyB,
            "--OiStream:Security:RequestsPerSecond=5", "--OiStream:Security:RequestBurst=20",
            "--OiStream:Security:ConnectionsPerClient=3", "--OiStream:Security:CorsOrigins:0=" + Desk),
    };

    public Task InitializeAsync() => Host.InitializeAsync();

    public Task DisposeAsync() => Host.DisposeAsync();
}
