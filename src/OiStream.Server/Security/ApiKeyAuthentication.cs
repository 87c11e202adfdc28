using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OiStream.Server.Api;

namespace OiStream.Server.Security;

/// <summary>
/// API keys as an ASP.NET Core authentication scheme. A key is read from <c>Authorization: Bearer</c>, then
/// <c>X-Api-Key</c>, then the <c>access_token</c> query parameter (browsers cannot set headers on a WebSocket, so
/// SignalR clients send it there). Keys are compared by their SHA-256 in constant time. The client's name (for
/// rate limits and logs) is <c>key-</c> and the first 8 hex digits of the key's hash: never the key.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IOptions<SecurityOptions> security) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "ApiKey";

    private readonly byte[][] _hashes = [.. security.Value.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];

    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Read(Request);
        if (key is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        var known = false;
        foreach (var h in _hashes)
        {
            known |= CryptographicOperations.FixedTimeEquals(h, hash);
        }
        if (!known)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not one of OiStream:Security:ApiKeys."));
        }
        var name = ClientName(hash);
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.NameIdentifier, name)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var msg = Read(Request) is null
            ? "This hub requires an API key: send it as 'Authorization: Bearer KEY', as 'X-Api-Key: KEY', or as ?access_token=KEY (browsers and WebSockets). Ask the hub's operator for one."
            : "The API key is not valid: it is not one of the hub's keys. Check it, or ask the hub's operator for a new one.";
        await Response.WriteAsJsonAsync(new ErrorResponse(-2015, msg), Context.RequestAborted);
    }

    /// <summary>The name a key is known by in limits and logs.</summary>
    public static string ClientName(byte[] keyHash) => "key-" + Convert.ToHexStringLower(keyHash.AsSpan(0, 4));

    private static string? Read(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }
        if (request.Headers.TryGetValue("X-Api-Key", out var header) && header.Count > 0)
        {
            return header.ToString();
        }
        return request.Query.TryGetValue("access_token", out var query) && query.Count > 0 ? query.ToString() : null;
    }
}
