using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using OiStream.Server.Api;

namespace OiStream.Server.Security;

/// <summary>
/// Who may use the hub and how much: optional API keys (<see cref="ApiKeyAuthenticationHandler"/>), CORS and the
/// WebSocket <c>Origin</c> check, security headers, and per-client limits with <c>Microsoft.AspNetCore.RateLimiting</c>
/// (REST: a token bucket per client; the hub: concurrent connections per client). A client is its API key, or its
/// IP address when the hub has no keys.
/// </summary>
public static partial class AccessControl
{
    /// <summary>The rate-limit policy of REST endpoints.</summary>
    public const string RestPolicy = "rest";

    /// <summary>The rate-limit policy of the hub's connections.</summary>
    public const string HubPolicy = "hub";

    // The dashboard is a page of the hub's own origin: scripts, workers and connections come from it alone. Styles may
    // also be inline, which the chart library sets on its elements; a style cannot run code.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

    private const string ReferencePagePolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

    /// <summary>Registers keys, CORS and the limits from <c>OiStream:Security</c>.</summary>
    public static WebApplicationBuilder AddAccessControl(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SecurityOptions>, SecurityOptionsValidator>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddOptions<AuthorizationOptions>().Configure<IOptions<SecurityOptions>>((o, security) =>
        {
            if (security.Value.RequiresKeys)
            {
                o.FallbackPolicy = new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build();
            }
        });
        builder.Services.AddCors();
        builder.Services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<SecurityOptions>>((o, security) =>
            o.AddDefaultPolicy(p =>
            {
                if (security.Value.CorsOrigins.Count > 0)
                {
                    p.WithOrigins([.. security.Value.CorsOrigins]).AllowAnyHeader().AllowAnyMethod().AllowCredentials();
                }
            }));
        builder.Services.AddRateLimiter(o =>
        {
            o.OnRejected = OnRejectedAsync;
            o.AddPolicy(RestPolicy, http =>
            {
                var s = Options(http);
                return RateLimitPartition.GetTokenBucketLimiter(Client(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = s.RequestBurst,
                    TokensPerPeriod = s.RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            // A WebSocket holds its request, and so its permit, for the life of the connection.
            o.AddPolicy(HubPolicy, http => RateLimitPartition.GetConcurrencyLimiter(Client(http), _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = Options(http).ConnectionsPerClient,
                QueueLimit = 0,
            }));
        });
        return builder;
    }

    /// <summary>
    /// Security headers and the origin check, first in the pipeline; call <see cref="UseClientLimits"/> after the
    /// dashboard's static files.
    /// </summary>
    public static WebApplication UseAccessControl(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var security = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            // The API reference page (Scalar) configures itself with an inline script.
            headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/scalar") ? ReferencePagePolicy : ContentSecurityPolicy;
            headers["Referrer-Policy"] = "no-referrer";
            return next(context);
        });
        if (security.CorsOrigins.Count > 0)
        {
            app.UseCors();
        }
        app.Use(async (context, next) =>
        {
            // Browsers send Origin with every WebSocket and cross-origin request; a page of another site must not be
            // able to read the hub through its visitors' browsers. Clients outside browsers send none.
            if (context.Request.Path.StartsWithSegments("/hubs") && context.Request.Headers.Origin.ToString() is { Length: > 0 } origin
                && !OriginAllowed(origin, context.Request.Host, security.CorsOrigins))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsJsonAsync(new ErrorResponse(-2014,
                    $"Origin '{origin}' may not use this hub: only pages of the hub's own origin may, and those of OiStream:Security:CorsOrigins: add it to OiStream:Security:CorsOrigins to allow it."),
                    context.RequestAborted);
                return;
            }
            await next(context);
        });
        return app;
    }

    /// <summary>Authentication, authorization and the per-client limits: after the static files, before the endpoints.</summary>
    public static WebApplication UseClientLimits(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        var security = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        app.Lifetime.ApplicationStarted.Register(() =>
            WarnIfExposed(app.Logger, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [], security));
        return app;
    }

    /// <summary>Logs a warning (event 901) when the hub listens beyond loopback without keys; returns whether it did.</summary>
    public static bool WarnIfExposed(ILogger logger, IEnumerable<string> addresses, SecurityOptions security)
    {
        ArgumentNullException.ThrowIfNull(security);
        var exposed = addresses.Where(a => !IsLoopback(a)).ToList();
        if (exposed.Count == 0 || security.RequiresKeys)
        {
            return false;
        }
        LogExposed(logger, string.Join(", ", exposed));
        return true;
    }

    /// <summary>True when <paramref name="origin"/> is the hub's own (<paramref name="host"/>) or one of <paramref name="allowed"/>.</summary>
    public static bool OriginAllowed(string origin, HostString host, IEnumerable<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (allowed.Any(a => string.Equals(a.TrimEnd('/'), origin.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) && host.HasValue
            && string.Equals(uri.Authority, host.Value, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>True when a listening address (e.g. <c>http://127.0.0.1:5000</c>) can be reached only from this machine.</summary>
    public static bool IsLoopback(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        // Kestrel's wildcards (http://+:80, http://*:80) do not parse as URIs; they listen everywhere.
        if (!Uri.TryCreate(address.Replace("://+", "://any", StringComparison.Ordinal).Replace("://*", "://any", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return false;
        }
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    private static SecurityOptions Options(HttpContext http) => http.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value;

    // The client a limit counts against: its API key's name, or its IP address when the hub has no keys.
    private static string Client(HttpContext http) =>
        http.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var s = Options(http);
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        string msg;
        if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            msg = $"Too many requests from this client: at most {s.RequestsPerSecond} a second (bursts of {s.RequestBurst}; OiStream:Security:RequestsPerSecond, RequestBurst). Retry after {seconds} s.";
        }
        else
        {
            http.Response.Headers.RetryAfter = "5";
            msg = $"Too many hub connections from this client: at most {s.ConnectionsPerClient} at once (OiStream:Security:ConnectionsPerClient). Close one, or share a connection between subscriptions.";
        }
        await http.Response.WriteAsJsonAsync(new ErrorResponse(-1003, msg), cancellationToken);
    }

    [LoggerMessage(EventId = 901, EventName = "ExposedWithoutKeys", Level = LogLevel.Warning,
        Message = "The hub listens on {Addresses}, beyond this machine, and no API key is set: anyone who can reach it can use it. Set OiStream:Security:ApiKeys (docs/security.md), or bind to 127.0.0.1.")]
    private static partial void LogExposed(ILogger logger, string addresses);
}

/// <summary>Checks <c>OiStream:Security</c> at start; a bad value stops the hub with a message naming the key.</summary>
internal sealed class SecurityOptionsValidator : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions options)
    {
        var errors = new List<string>();
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            if (options.ApiKeys[i] is not { Length: >= 16 } key || key.Any(char.IsWhiteSpace))
            {
                errors.Add($"OiStream:Security:ApiKeys:{i} is shorter than 16 characters or holds a space; use a long random key, e.g. from 'openssl rand -hex 24'.");
            }
        }
        foreach (var origin in options.CorsOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
            {
                errors.Add($"OiStream:Security:CorsOrigins has '{origin}'; use an origin: scheme, host and port only, e.g. https://desk.example.com.");
            }
        }
        if (options.RequestsPerSecond is < 1 or > 100_000)
        {
            errors.Add($"OiStream:Security:RequestsPerSecond is {options.RequestsPerSecond}; use 1 to 100000 (default 20).");
        }
        if (options.RequestBurst < options.RequestsPerSecond || options.RequestBurst > 1_000_000)
        {
            errors.Add($"OiStream:Security:RequestBurst is {options.RequestBurst}; use RequestsPerSecond ({options.RequestsPerSecond}) to 1000000 (default 200).");
        }
        if (options.ConnectionsPerClient is < 1 or > 1_000_000)
        {
            errors.Add($"OiStream:Security:ConnectionsPerClient is {options.ConnectionsPerClient}; use 1 to 1000000 (default 200).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
