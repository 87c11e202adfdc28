using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OiStream.Client;
using OiStream.Server.Security;
using OiStream.Simulator.Admin;

namespace OiStream.Server.Tests;

/// <summary>Keys, limits, origins and headers on a real hub (docs/security.md).</summary>
public class SecurityTests(KeyedHubHost fixture) : IClassFixture<KeyedHubHost>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly HubHost _hub = fixture.Host;

    private async Task<HttpResponseMessage> GetAsync(string path, string? bearer = null, Action<HttpRequestMessage>? configure = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_hub.BaseUri, path));
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }
        configure?.Invoke(request);
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task Without_a_valid_key_every_endpoint_but_healthz_answers_401_with_how_to_send_one()
    {
        foreach (var path in new[] { "/api/v1/instruments", "/api/v1/status", "/readyz", "/api/v1/open-interest/history?symbol=BTCUSDT&period=5m", "/hubs/oi/negotiate?negotiateVersion=1" })
        {
            using var response = path.Contains("negotiate", StringComparison.Ordinal)
                ? await new HttpClient().PostAsync(new Uri(_hub.BaseUri, path), null)
                : await GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(-2015, body.GetProperty("code").GetInt32());
            Assert.StartsWith("This hub requires an API key: send it as 'Authorization: Bearer KEY'", body.GetProperty("msg").GetString(), StringComparison.Ordinal);
        }
        using (var wrong = await GetAsync("/api/v1/instruments", "not-a-key-of-this-hub"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.StartsWith("The API key is not valid", (await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("msg").GetString(), StringComparison.Ordinal);
        }
        using (var health = await GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        // The dashboard's files hold no data (the page asks for the key), nor do the API's description and reference page.
        foreach (var open in new[] { "/", "/openapi/v1.json", "/scalar/" })
        {
            using var page = await GetAsync(open);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
    }

    [Fact]
    public async Task A_key_is_taken_as_a_bearer_header_an_X_Api_Key_header_or_an_access_token_query()
    {
        using var bearer = await GetAsync("/api/v1/instruments/BTCUSDT", KeyKind.B);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        using var header = await GetAsync("/api/v1/instruments/BTCUSDT", configure: r => r.Headers.Add("X-Api-Key", KeyedHubHost.KeyB));
        Assert.Equal(HttpStatusCode.OK, header.StatusCode);
        using var query = await GetAsync("/api/v1/instruments/BTCUSDT?access_token=" + KeyedHubHost.KeyB);
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
    }

    [Fact]
    public async Task The_NET_client_connects_with_a_key_and_is_refused_without_one()
    {
        await using var refused = new OiStreamClient(_hub.HubUri, [TimeSpan.Zero]);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => refused.StartAsync(CancellationToken.None));
        Assert.Contains("401", error.ToString(), StringComparison.Ordinal);

        await using var client = new OiStreamClient(_hub.HubUri, apiKey: KeyedHubHost.KeyB);
        await client.StartAsync(CancellationToken.None);
        var states = await client.SubscribeAsync(["BTCUSDT"], CancellationToken.None);
        Assert.Equal("BTCUSDT", Assert.Single(states).Symbol);
    }

    [Fact]
    public async Task A_client_over_its_rate_gets_429_with_Retry_After_and_code_and_msg_while_another_client_is_served()
    {
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 200 && limited is null; i++)
        {
            var response = await GetAsync("/api/v1/open-interest/history?symbol=BTCUSDT&period=5m&limit=10", KeyedHubHost.KeyA);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                response.Dispose();
            }
        }
        Assert.NotNull(limited);
        using (limited)
        {
            var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 60);
            var body = await limited.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(-1003, body.GetProperty("code").GetInt32());
            Assert.StartsWith("Too many requests from this client: at most 5 a second (bursts of 20", body.GetProperty("msg").GetString(), StringComparison.Ordinal);
        }
        // Another client (key) is not held up by the first one's limit.
        using (var other = await GetAsync("/api/v1/open-interest/history?symbol=BTCUSDT&period=5m&limit=10", KeyedHubHost.KeyB))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }
        // And the first is served again once its tokens refill.
        await Wait.UntilAsync(async () =>
        {
            using var again = await GetAsync("/api/v1/coins", KeyedHubHost.KeyA);
            return again.StatusCode == HttpStatusCode.OK;
        }, Timeout, "the limited client served again");
    }

    [Fact]
    public async Task A_client_holds_at_most_its_number_of_hub_connections_and_a_closed_one_frees_a_place()
    {
        var open = new List<RawHubConnection>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(await RawHubConnection.ConnectAsync(_hub.HubUri, o => o.SetRequestHeader("Authorization", "Bearer " + KeyedHubHost.KeyB)));
            }
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => RawHubConnection.ConnectAsync(_hub.HubUri, o => o.SetRequestHeader("Authorization", "Bearer " + KeyedHubHost.KeyB)));
            Assert.Contains("429", refused.Message, StringComparison.Ordinal);
            // Another key is counted apart.
            await using (await RawHubConnection.ConnectAsync(_hub.HubUri, o => o.SetRequestHeader("Authorization", "Bearer " + KeyedHubHost.KeyA)))
            {
            }
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            await Wait.UntilAsync(async () =>
            {
                try
                {
                    open.Add(await RawHubConnection.ConnectAsync(_hub.HubUri, o => o.SetRequestHeader("Authorization", "Bearer " + KeyedHubHost.KeyB)));
                    return true;
                }
                catch (WebSocketException)
                {
                    return false;
                }
            }, Timeout, "a place freed by the closed connection");
        }
        finally
        {
            foreach (var c in open)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_page_of_another_origin_may_not_open_the_hub_but_the_hub_s_own_and_configured_origins_may()
    {
        void As(ClientWebSocketOptions o, string origin)
        {
            o.SetRequestHeader("Authorization", "Bearer " + KeyedHubHost.KeyA);
            o.SetRequestHeader("Origin", origin);
        }
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => RawHubConnection.ConnectAsync(_hub.HubUri, o => As(o, "http://evil.example")));
        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        await using (await RawHubConnection.ConnectAsync(_hub.HubUri, o => As(o, KeyedHubHost.Desk)))
        {
        }
        await using (await RawHubConnection.ConnectAsync(_hub.HubUri, o => As(o, _hub.BaseUri.GetLeftPart(UriPartial.Authority))))
        {
        }
        using var negotiate = new HttpRequestMessage(HttpMethod.Post, new Uri(_hub.BaseUri, "/hubs/oi/negotiate?negotiateVersion=1"));
        negotiate.Headers.Add("Origin", "http://evil.example");
        negotiate.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", KeyedHubHost.KeyA);
        using var http = new HttpClient();
        using var answer = await http.SendAsync(negotiate);
        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Contains("add it to OiStream:Security:CorsOrigins", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("msg").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task CORS_answers_the_configured_origin_only_and_the_dashboard_carries_security_headers()
    {
        async Task<HttpResponseMessage> Preflight(string origin)
        {
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Options, new Uri(_hub.BaseUri, "/api/v1/coins"));
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "GET");
            request.Headers.Add("Access-Control-Request-Headers", "authorization");
            return await http.SendAsync(request);
        }
        using (var desk = await Preflight(KeyedHubHost.Desk))
        {
            Assert.Equal(KeyedHubHost.Desk, desk.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }
        using (var evil = await Preflight("http://evil.example"))
        {
            Assert.False(evil.Headers.Contains("Access-Control-Allow-Origin"));
        }
        using var page = await GetAsync("/");
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
    }

    private static class KeyKind
    {
        public const string B = KeyedHubHost.KeyB;
    }
}

/// <summary>The decisions behind the access rules, case by case.</summary>
public class AccessRuleTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://127.0.0.2:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://0.0.0.0:5000", false)]
    [InlineData("http://[::]:5000", false)]
    [InlineData("http://+:80", false)]
    [InlineData("http://*:80", false)]
    [InlineData("https://10.1.2.3:443", false)]
    [InlineData("http://oi.example.com:5000", false)]
    public void A_listening_address_is_loopback_only_when_nothing_beyond_this_machine_reaches_it(string address, bool loopback)
        => Assert.Equal(loopback, AccessControl.IsLoopback(address));

    [Theory]
    [InlineData("http://127.0.0.1:5000", "127.0.0.1:5000", true)]
    [InlineData("http://desk.example", "127.0.0.1:5000", true)]
    [InlineData("http://desk.example/", "127.0.0.1:5000", true)]
    [InlineData("http://evil.example", "127.0.0.1:5000", false)]
    [InlineData("http://127.0.0.1:5001", "127.0.0.1:5000", false)]
    [InlineData("null", "127.0.0.1:5000", false)]
    public void An_origin_is_allowed_when_it_is_the_hub_s_own_or_configured(string origin, string host, bool allowed)
        => Assert.Equal(allowed, AccessControl.OriginAllowed(origin, new HostString(host), ["http://desk.example"]));

    [Fact]
    public void A_hub_listening_beyond_loopback_without_keys_warns_at_start_and_with_keys_or_on_loopback_does_not()
    {
        using var logs = new ListLoggerProvider();
        var logger = logs.CreateLogger("test");
        var open = new SecurityOptions();
        Assert.True(AccessControl.WarnIfExposed(logger, ["http://127.0.0.1:5000", "http://0.0.0.0:5000"], open));
        var (id, text) = Assert.Single(logs.Entries);
        Assert.Equal(901, id);
        Assert.Equal("The hub listens on http://0.0.0.0:5000, beyond this machine, and no API key is set: anyone who can reach it can use it. Set OiStream:Security:ApiKeys (docs/security.md), or bind to 127.0.0.1.", text);

        Assert.False(AccessControl.WarnIfExposed(logger, ["http://127.0.0.1:5000", "http://[::1]:5000"], open));
        var keyed = new SecurityOptions();
        keyed.ApiKeys.Add("0123456789abcdef0123");
        Assert.False(AccessControl.WarnIfExposed(logger, ["http://0.0.0.0:5000"], keyed));
        Assert.Single(logs.Entries);
    }

    [Fact]
    public async Task The_simulator_s_admin_routes_refuse_a_caller_from_another_machine()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        var called = false;
        var result = await AdminEndpoints.LoopbackOnlyAsync(new DefaultEndpointFilterInvocationContext(context), _ =>
        {
            called = true;
            return ValueTask.FromResult<object?>(null);
        });
        Assert.False(called);
        var json = Assert.IsAssignableFrom<IStatusCodeHttpResult>(result);
        Assert.Equal(403, json.StatusCode);

        context.Connection.RemoteIpAddress = IPAddress.Parse("::ffff:127.0.0.1");
        await AdminEndpoints.LoopbackOnlyAsync(new DefaultEndpointFilterInvocationContext(context), _ =>
        {
            called = true;
            return ValueTask.FromResult<object?>(null);
        });
        Assert.True(called);
    }

    [Fact]
    public void Short_keys_bad_origins_and_limits_out_of_range_stop_the_hub_with_the_setting_named()
    {
        var args = HubHost.Args("--OiStream:Security:ApiKeys:0=short", "--OiStream:Security:CorsOrigins:0=desk.example/path",
            "--OiStream:Security:RequestsPerSecond=0");
        var error = Assert.Throws<OptionsValidationException>(() => OiStreamApp.Build(args));
        Assert.Contains("OiStream:Security:ApiKeys:0 is shorter than 16 characters", error.Message, StringComparison.Ordinal);
        Assert.Contains("OiStream:Security:CorsOrigins has 'desk.example/path'", error.Message, StringComparison.Ordinal);
        Assert.Contains("OiStream:Security:RequestsPerSecond is 0", error.Message, StringComparison.Ordinal);
    }
}
