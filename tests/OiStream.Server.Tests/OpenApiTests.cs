using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace OiStream.Server.Tests;

/// <summary>The OpenAPI document at /openapi/v1.json describes every REST endpoint with its answers, and the reference page serves.</summary>
public class OpenApiTests(HubHost hub) : IClassFixture<HubHost>
{
    [Fact]
    public async Task Every_REST_endpoint_and_each_of_its_answers_is_in_the_OpenAPI_document()
    {
        using var doc = JsonDocument.Parse(await hub.Http.GetStringAsync(new Uri(hub.BaseUri, "/openapi/v1.json")));
        var paths = doc.RootElement.GetProperty("paths");
        var endpoints = hub.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null)
            .Where(e => e.RoutePattern.RawText is { } p && (p.StartsWith("/api/", StringComparison.Ordinal) || p is "/healthz" or "/readyz"))
            .ToList();
        Assert.Equal(11, endpoints.Count);
        foreach (var endpoint in endpoints)
        {
            var path = endpoint.RoutePattern.RawText!;
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is not in the document");
            var operation = item.GetProperty("get");
            Assert.False(string.IsNullOrEmpty(operation.GetProperty("summary").GetString()), $"{path} has no summary");
            var responses = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
            var declared = endpoint.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>().Select(m => m.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
            Assert.Contains("200", responses);
            Assert.Subset(responses, declared);
        }
        // The errors are {code, msg}: 400 and 404 for bad and unknown input, 401 without a key, 429 over the rate.
        string Ref(string path, string status) =>
            paths.GetProperty(path).GetProperty("get").GetProperty("responses").GetProperty(status).GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString()!;
        foreach (var path in new[] { "/api/v1/open-interest/history", "/api/v1/open-interest/ohlc-history", "/api/v1/open-interest/aggregated-history", "/api/v1/open-interest/held", "/api/v1/open-interest/exchange-list" })
        {
            foreach (var status in new[] { "400", "404", "401", "429" })
            {
                Assert.EndsWith("/ErrorResponse", Ref(path, status), StringComparison.Ordinal);
            }
        }
        Assert.EndsWith("/ErrorResponse", Ref("/api/v1/instruments/{symbol}", "404"));
        Assert.EndsWith("/HealthResponse", Ref("/readyz", "503"));
        Assert.EndsWith("/StatusResponse", Ref("/api/v1/status", "200"));
        // REST answers with protocol v1's payloads: the document's schemas have exactly the hub's JSON fields (the
        // TypeScript types are held to the same names by ProtocolDriftTests).
        var schemas = doc.RootElement.GetProperty("components").GetProperty("schemas");
        foreach (var type in new[] { typeof(OiStream.Contracts.InstrumentState), typeof(OiStream.Contracts.CoinState), typeof(OiStream.Contracts.FeedStatus) })
        {
            var json = JsonSerializerOptions.Web.GetTypeInfo(type).Properties.Select(p => p.Name).Order(StringComparer.Ordinal);
            Assert.Equal(json, schemas.GetProperty(type.Name).GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        }
        Assert.EndsWith("/InstrumentState", Ref("/api/v1/instruments/{symbol}", "200"));
        var parameters = paths.GetProperty("/api/v1/open-interest/history").GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Equal(["symbol", "period", "limit", "startTime", "endTime"], parameters);
    }

    [Fact]
    public async Task The_API_reference_page_and_its_script_are_served_by_the_hub_itself()
    {
        using var page = await hub.Http.GetAsync(new Uri(hub.BaseUri, "/scalar/"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"scalar.js\"></script>", html, StringComparison.Ordinal);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        using var script = await hub.Http.GetAsync(new Uri(hub.BaseUri, "/scalar/scalar.js"));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000, "the reference page's script, served locally");
    }
}
