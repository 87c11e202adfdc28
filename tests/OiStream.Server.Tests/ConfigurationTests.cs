using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace OiStream.Server.Tests;

/// <summary>A bad setting stops the hub at start with a message naming the key and the values it takes.</summary>
public class ConfigurationTests
{
    [Fact]
    public void The_attributes_of_nested_sections_are_checked_and_named_by_their_full_key()
    {
        var error = Assert.Throws<OptionsValidationException>(() => OiStreamApp.Build(HubHost.Args(
            "--OiStream:Binance:PollConcurrency=0", "--OiStream:Binance:BudgetShare=3", "--OiStream:MaxSymbolsPerConnection=20000")));
        Assert.Contains("OiStream:Binance:PollConcurrency: The field PollConcurrency must be between 1 and 64.", error.Failures);
        Assert.Contains("OiStream:Binance:BudgetShare: The field BudgetShare must be between 0.05 and 1.", error.Failures);
        Assert.Contains("OiStream:MaxSymbolsPerConnection is 20000; use 1 to 10000 (default 200).", error.Failures);
    }

    [Fact]
    public void A_store_provider_is_one_the_hub_has_and_postgres_needs_a_connection_string()
    {
        var unknown = Assert.Throws<OptionsValidationException>(() => OiStreamApp.Build(HubHost.Args("--OiStream:Storage:Provider=mysql")));
        Assert.Contains("OiStream:Storage:Provider is 'mysql'; use sqlite (the embedded store, the default) or postgres (a shared store, with OiStream:Storage:ConnectionString).", unknown.Failures);
        var bare = Assert.Throws<OptionsValidationException>(() => OiStreamApp.Build(HubHost.Args("--OiStream:Storage:Provider=postgres")));
        Assert.Contains(bare.Failures, f => f.StartsWith("OiStream:Storage:Provider is postgres but OiStream:Storage:ConnectionString is empty", StringComparison.Ordinal));
    }

    [Fact]
    public void Cluster_roles_need_the_shared_store_and_an_edge_needs_Redis()
    {
        var role = Assert.Throws<OptionsValidationException>(() => OiStreamApp.Build(HubHost.Args("--OiStream:Cluster:Role=relay")));
        Assert.Contains("OiStream:Cluster:Role is 'relay'; use standalone (the default), ingest (a leader or a standby, with OiStream:Storage:Provider=postgres) or edge (serves the leader's publications, with OiStream:Cluster:Redis).", role.Failures);
        var edge = Assert.Throws<OptionsValidationException>(() => OiStreamApp.Build(HubHost.Args("--OiStream:Cluster:Role=edge")));
        Assert.Contains(edge.Failures, f => f.StartsWith("OiStream:Cluster:Role is edge, which serves history from the leader's shared PostgreSQL store", StringComparison.Ordinal));
        Assert.Contains(edge.Failures, f => f.StartsWith("OiStream:Cluster:Role is edge, which follows the leader through Redis: set OiStream:Cluster:Redis", StringComparison.Ordinal));
        var sqlite = Assert.Throws<OptionsValidationException>(() => OiStreamApp.Build(HubHost.Args("--OiStream:Cluster:Role=ingest")));
        Assert.Contains(sqlite.Failures, f => f.StartsWith("OiStream:Cluster:Role is ingest, which needs the shared PostgreSQL store", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_hub_process_prints_what_is_wrong_without_a_stack_trace_and_exits_2()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(root, "src", "OiStream.Server", "bin", here.Parent!.Name, here.Name, "OiStream.Server.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, "--simulate", "--urls", "http://127.0.0.1:0", "--OiStream:Security:ApiKeys:0=short", "--OiStream:PublishInterval=00:00:05:00" })
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var err = await stderr;
        Assert.Equal(2, process.ExitCode);
        Assert.StartsWith("OiStream cannot start: ", err, StringComparison.Ordinal);
        Assert.Contains("OiStream:Security:ApiKeys:0 is shorter than 16 characters", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", err + await stdout, StringComparison.Ordinal);
    }
}
