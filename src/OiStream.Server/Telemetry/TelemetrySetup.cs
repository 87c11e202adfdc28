using OpenTelemetry.Metrics;

namespace OiStream.Server.Telemetry;

/// <summary>
/// Metrics in Prometheus's text format at <c>/metrics</c>, through OpenTelemetry: OiStream's meter and ASP.NET Core's,
/// Kestrel's, SignalR's and the runtime's built-in ones. OpenTelemetry's exporter reads <c>System.Diagnostics.Metrics</c>
/// as it is (one instrument definition, any exporter: an OTLP one is a line away), where prometheus-net would bridge
/// the same meters into its own registry.
/// </summary>
public static class TelemetrySetup
{
    /// <summary>The meters exported besides OiStream's.</summary>
    public static readonly string[] BuiltInMeters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing", "Microsoft.AspNetCore.RateLimiting", "Microsoft.AspNetCore.Authorization", "System.Runtime",
    ];

    /// <summary>Registers the meters and the Prometheus exporter.</summary>
    public static WebApplicationBuilder AddOiStreamMetrics(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<OiStreamMetrics>();
        var bytes = new ByteCounter();
        builder.Services.AddSingleton(bytes);
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Use(bytes.Wrap)));
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(OiStreamMetrics.MeterName)
            .AddMeter(BuiltInMeters)
            .AddPrometheusExporter());
        return builder;
    }

    /// <summary>Maps <c>/metrics</c> (with API keys set, Prometheus sends one: docs/monitoring.md).</summary>
    public static WebApplication MapOiStreamMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Observable instruments exist once their owner does.
        _ = app.Services.GetRequiredService<OiStreamMetrics>();
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
