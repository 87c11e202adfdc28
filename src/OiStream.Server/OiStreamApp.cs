using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;
using OiStream.Cluster;
using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Server.Api;
using OiStream.Server.Configuration;
using OiStream.Server.Dashboard;
using OiStream.Server.Fanout;
using OiStream.Server.Hubs;
using OiStream.Server.Pipeline;
using OiStream.Server.Replication;
using OiStream.Server.Security;
using OiStream.Server.Telemetry;
using OiStream.Storage;
using OiStream.Storage.Postgres;
using OiStream.Storage.Sqlite;

namespace OiStream.Server;

/// <summary>Builds the hub application (used by <c>Program</c> and by the integration tests).</summary>
public static class OiStreamApp
{
    /// <summary>
    /// Creates the application; <c>--simulate</c> turns on <see cref="OiStreamOptions.Simulate"/>.
    /// <paramref name="configure"/> may change the services before the app is built (tests inject faults through it).
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        // "--simulate" is a bare switch; configuration wants a key and a value.
        args = [.. args.Select(a => a == "--simulate" ? "--OiStream:Simulate=true" : a)];
        // The content root is where the hub was built or published, so its appsettings.json (log levels) is found
        // whatever directory it is started from; relative paths in settings (the store) stay relative to that directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddOptions<OiStreamOptions>().BindConfiguration(OiStreamOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<OiStreamOptions>, OiStreamOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHttpClient("binance");
        builder.Services.AddHttpClient("bybit", c => c.Timeout = TimeSpan.FromSeconds(15));
        builder.Services.AddHttpClient("okx", c => c.Timeout = TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<OiStreamOptions>>().Value;
            o.Engine.Source = o.Simulate ? "simulated" : "binance";
            return new MarketEngine(o.Engine, sp.GetRequiredService<TimeProvider>());
        });
        builder.Services.AddSingleton<MarketPipeline>();
        builder.Services.AddSingleton<SubscriptionRegistry>();
        builder.Services.AddSingleton<IHistoryStore>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<OiStreamOptions>>().Value;
            return o.Storage.IsPostgres
                ? new PostgresHistoryStore(o.Storage.ConnectionString!, o.Storage.ResolveSchema(o.Simulate))
                : new SqliteHistoryStore(o.Storage.ResolvePath(o.Simulate));
        });
        builder.Services.AddSingleton<IHistorySeed, StoreHistorySeed>();
        builder.Services.AddSingleton<ILeaderLease>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<OiStreamOptions>>().Value;
            // Contenders for one store's schema contend for one lease: the store is what one leader writes.
            return new PostgresLeaderLease(o.Storage.ConnectionString!, o.Storage.ResolveSchema(o.Simulate), sp.GetRequiredService<ILoggerFactory>().CreateLogger<PostgresLeaderLease>())
            {
                CheckInterval = o.Cluster.LeaseCheckInterval,
            };
        });
        builder.Services.AddSingleton<StatusBoard>();
        builder.Services.AddSingleton<PublishChannel>();
        builder.Services.AddSingleton<PublishedStates>();
        // The fields deltas index, for the engine's windows: the hub answers them, the publisher diffs by them.
        builder.Services.AddSingleton(sp => new InstrumentFields(sp.GetRequiredService<MarketEngine>().Windows.Names));
        builder.Services.AddSingleton<ConnectionFanout>();
        builder.Services.AddSingleton<IFanout>(sp => sp.GetRequiredService<ConnectionFanout>());
        builder.Services.AddSingleton<HistoryWriter>();
        builder.Services.AddSingleton<EngineService>();
        builder.Services.AddSingleton<Publisher>();
        builder.Services.AddSingleton(sp => new FeedHost(sp.GetRequiredService<MarketPipeline>(), sp.GetRequiredService<SubscriptionRegistry>(),
            sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<IHistorySeed>(), sp.GetRequiredService<StatusBoard>(),
            sp.GetRequiredService<IOptions<OiStreamOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<IOptions<OiStreamOptions>>().Value.Cluster.IsIngest ? sp.GetRequiredService<ILeaderLease>() : null,
            sp.GetRequiredService<MarketEngine>()));
        builder.Services.AddSingleton<HistoryImporter>();
        // The role decides which stages run. Read from configuration here, before the options exist; the options'
        // validation still names any bad value at start.
        var cluster = builder.Configuration.GetSection(OiStreamOptions.Section + ":Cluster").Get<ClusterOptions>() ?? new ClusterOptions();
        if (cluster.IsEdge)
        {
            // An edge serves the leader's publications (through Redis) and the shared store's history; it ingests nothing.
            builder.Services.AddSingleton(sp => new ReplicaState(sp.GetRequiredService<MarketEngine>().Windows.Names,
                sp.GetRequiredService<IOptions<OiStreamOptions>>().Value.Simulate ? "simulated" : "binance"));
            builder.Services.AddSingleton<IMarketView>(sp => sp.GetRequiredService<ReplicaState>());
            builder.Services.AddSingleton<ReplicaFollower>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<HistoryWriter>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Publisher>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ReplicaFollower>());
        }
        else
        {
            builder.Services.AddSingleton<IMarketView>(sp => sp.GetRequiredService<MarketEngine>());
            if (cluster.UsesRedis)
            {
                // A leader also publishes to the edges; a standby's writer waits for its term.
                builder.Services.AddSingleton<ReplicationChannel>();
                builder.Services.AddSingleton<ReplicationWriter>();
            }
            // Started in this order and stopped in reverse: the store opens first (a bad one stops the hub before any
            // feed starts) and closes last, after the engine loop has handed over its open minutes.
            builder.Services.AddHostedService(sp => sp.GetRequiredService<HistoryWriter>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<EngineService>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Publisher>());
            if (cluster.UsesRedis)
            {
                builder.Services.AddHostedService(sp => sp.GetRequiredService<ReplicationWriter>());
            }
            builder.Services.AddHostedService(sp => sp.GetRequiredService<FeedHost>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<HistoryImporter>());
        }
        builder.Services.AddSingleton<InvocationLogFilter>();
        // Hands each hub connection to the fan-out (a closed registration wins over AddSignalR's open generic one).
        builder.Services.AddSingleton<HubLifetimeManager<OiHub>, FanoutLifetimeManager>();
        builder.Services.AddSignalR(o =>
            {
                o.EnableDetailedErrors = false;
                o.AddFilter<InvocationLogFilter>();
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never)
            .AddMessagePackProtocol(o => o.SerializerOptions = o.SerializerOptions.WithResolver(
                MessagePack.Resolvers.CompositeResolver.Create([new OverviewTableFormatter()], [o.SerializerOptions.Resolver])));
        // Both protocols inside OiStream's checks (CheckedJsonHubProtocol, CheckedMessagePackHubProtocol), which also
        // enforce the size limit, so SignalR's own limit (which closes without a reason) is off.
        builder.Services.RemoveAll<IHubProtocol>();
        builder.Services.AddSingleton<IHubProtocol>(sp => new CheckedJsonHubProtocol(
            new JsonHubProtocol(sp.GetRequiredService<IOptions<JsonHubProtocolOptions>>()),
            sp.GetRequiredService<IOptions<OiStreamOptions>>().Value.MaxMessageBytes));
        builder.Services.AddSingleton<IHubProtocol>(sp => new CheckedMessagePackHubProtocol(
            new MessagePackHubProtocol(sp.GetRequiredService<IOptions<MessagePackHubProtocolOptions>>()),
            sp.GetRequiredService<IOptions<OiStreamOptions>>().Value.MaxMessageBytes));
        builder.Services.AddOptions<HubOptions>().Configure(o => o.MaximumReceiveMessageSize = null);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);

        builder.AddAccessControl();
        builder.AddOiStreamMetrics();
        builder.AddOiStreamHealthChecks();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "OiStream REST API";
            document.Info.Description = "Open interest of Binance, Bybit and OKX derivatives: live states, CoinGlass- and Binance-shaped history, health. Errors are {code, msg}. The SignalR hub at /hubs/oi is described in docs/protocol.md.";
            return Task.CompletedTask;
        }));
        configure?.Invoke(builder);
        var app = builder.Build();
        app.UseAccessControl();
        app.UseWebSockets();
        app.MapDashboard();
        app.UseClientLimits();
        var transports = app.Services.GetRequiredService<IOptions<OiStreamOptions>>().Value.Transports;
        app.MapHub<OiHub>("/hubs/oi", o => o.Transports = transports).RequireRateLimiting(AccessControl.HubPolicy);
        app.MapOiApi();
        app.MapOiStreamMetrics();
        // The API's description and its reference page describe the API, not its data: anyone may read them.
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference(o => o.WithTitle("OiStream REST API")).AllowAnonymous();
        return app;
    }
}
