using OiStream.Core.Loops;

namespace OiStream.Core.Tests;

public class LoopHealthTests
{
    [Fact]
    public void Pauses_double_from_the_first_to_the_longest_and_a_good_pass_starts_them_again()
    {
        var health = new LoopHealth("engine", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        var error = new InvalidOperationException("boom");
        var pauses = Enumerable.Range(0, 8).Select(i => health.Failed(error, 1000 + i).TotalSeconds).ToArray();
        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], pauses);
        Assert.Equal(8, health.Failures);
        Assert.Equal(8, health.Consecutive);
        Assert.Equal(1007, health.LastFailureAt);
        Assert.Equal("InvalidOperationException: boom", health.LastError);

        health.Succeeded();
        Assert.Equal(0, health.Consecutive);
        Assert.Equal(TimeSpan.FromSeconds(1), health.Failed(error, 2000));
        Assert.Equal(9, health.Failures);
    }

    [Fact]
    public void A_monitor_gives_one_account_per_name_so_a_loop_s_workers_share_it()
    {
        var monitor = new LoopMonitor();
        var a = monitor.Register("poller");
        Assert.Same(a, monitor.Register("poller"));
        monitor.Register("engine");
        Assert.Equal(["poller", "engine"], monitor.Loops.Select(l => l.Name));
        Assert.Throws<ArgumentException>(() => new LoopHealth("x", TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => new LoopHealth("x", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Supervise_runs_the_body_again_after_a_failure_returns_when_it_returns_and_ends_on_stop()
    {
        var health = new LoopHealth("x", TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1));
        var runs = 0;
        var logged = new List<string>();
        await health.SuperviseAsync(_ => ++runs < 3 ? throw new FormatException("run " + runs) : Task.CompletedTask,
            TimeProvider.System, (ex, _) => logged.Add(ex.Message), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, runs);
        Assert.Equal(["run 1", "run 2"], logged);
        Assert.Equal(2, health.Failures);

        using var stop = new CancellationTokenSource();
        var stopped = health.SuperviseAsync(async ct => await Task.Delay(Timeout.Infinite, ct), TimeProvider.System, (_, _) => logged.Add("stop"), stop.Token);
        await stop.CancelAsync();
        await stopped.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, health.Failures);
        Assert.Equal(2, logged.Count);
    }
}
