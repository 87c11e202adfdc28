using System.Text;
using Microsoft.Extensions.FileProviders;

namespace OiStream.Server.Dashboard;

/// <summary>The live dashboard at <c>/</c>: static files embedded in the hub's assembly (see the project file).</summary>
public static class DashboardEndpoints
{
    /// <summary>Serves the dashboard's page, scripts and browser packages.</summary>
    public static WebApplication MapDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var files = new EmbeddedFileProvider(typeof(DashboardEndpoints).Assembly, "OiStream.Dashboard");
        var client = BrowserClient();
        app.MapGet("/oistream-client.js", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-cache";
            return Results.Text(client, "text/javascript", Encoding.UTF8);
        }).ExcludeFromDescription().AllowAnonymous(); // public code, like the page's other static files
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            // Embedded files carry the assembly's timestamp; make browsers revalidate so an upgraded hub serves its page.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }

    // The OiStream JavaScript client (clients/js/src/client.js) imports nothing, so it is served as it is: pages and the
    // table worker hand it the global of SignalR's browser build with useSignalR.
    private static string BrowserClient()
    {
        const string Name = "OiStream.Client.oistream-client.js";
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream(Name)
            ?? throw new InvalidOperationException($"The hub's assembly lacks the embedded resource {Name}; rebuild it.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
