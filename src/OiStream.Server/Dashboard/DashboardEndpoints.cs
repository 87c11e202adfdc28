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
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            // Embedded files carry the assembly's timestamp; make browsers revalidate so an upgraded hub serves its page.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }
}
