using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OiStream.Cluster;

namespace OiStream.Server.Tests;

/// <summary>The leader lease on a real PostgreSQL server: one holder at a time, handed over on release and on a dead session.</summary>
public sealed class LeaderLeaseTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private readonly string _name = "lease-" + Guid.NewGuid().ToString("N");

    private PostgresLeaderLease Lease() => new(postgres.Server.ConnectionString, _name, NullLogger.Instance) { CheckInterval = TimeSpan.FromMilliseconds(200) };

    // Whether the contender gets the lease within the time given (it keeps trying until then).
    private static async Task<bool> GetsItWithinAsync(PostgresLeaderLease lease, TimeSpan time)
    {
        using var cts = new CancellationTokenSource(time);
        try
        {
            await lease.AcquireAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [Fact]
    public async Task One_node_holds_the_lease_and_a_standby_takes_it_when_the_holder_lets_go()
    {
        await using var a = Lease();
        await using var b = Lease();
        var lostA = await a.AcquireAsync(CancellationToken.None);
        Assert.True(a.IsHeld);
        Assert.False(await GetsItWithinAsync(b, TimeSpan.FromSeconds(2)));
        Assert.False(b.IsHeld);

        await a.ReleaseAsync();
        Assert.True(lostA.IsCancellationRequested);
        Assert.True(await GetsItWithinAsync(b, TimeSpan.FromSeconds(10)));
        Assert.False(await GetsItWithinAsync(a, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_holder_whose_session_dies_learns_it_has_lost_and_the_standby_takes_over()
    {
        await using var a = Lease();
        await using var b = Lease();
        var lostA = await a.AcquireAsync(CancellationToken.None);
        var takeover = GetsItWithinAsync(b, TimeSpan.FromSeconds(30));

        // The holder's session ends as it does when its process dies: the server closes it.
        await using (var admin = new NpgsqlConnection(postgres.Server.ConnectionString))
        {
            await admin.OpenAsync();
            // Only the holder's session holds an advisory lock on this server (each test class has a server of its own).
            await using var cmd = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted", admin);
            Assert.Equal(1L, await cmd.ExecuteScalarAsync());
        }

        Assert.True(await takeover, "the standby took the lease");
        Assert.True(b.IsHeld);
        await Wait.UntilAsync(() => lostA.IsCancellationRequested, TimeSpan.FromSeconds(10), "the old holder to learn it lost the lease");
        Assert.False(a.IsHeld);
    }

    [Fact]
    public async Task A_server_restart_ends_the_lease_and_one_node_holds_it_again_after()
    {
        await using var a = Lease();
        await using var b = Lease();
        var lostA = await a.AcquireAsync(CancellationToken.None);
        await postgres.Server.StopAsync();
        try
        {
            await Wait.UntilAsync(() => lostA.IsCancellationRequested, TimeSpan.FromSeconds(10), "the holder to learn the server is gone");
            Assert.False(await GetsItWithinAsync(b, TimeSpan.FromSeconds(1)));
        }
        finally
        {
            await postgres.Server.StartServerAsync();
        }
        var got = await Task.WhenAll(GetsItWithinAsync(a, TimeSpan.FromSeconds(10)), GetsItWithinAsync(b, TimeSpan.FromSeconds(10)));
        Assert.Contains(true, got);
        Assert.False(a.IsHeld && b.IsHeld);
    }
}
