using FluentAssertions;
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

        pauses.Should().Equal(1, 2, 4, 8, 16, 30, 30, 30);
        health.Failures.Should().Be(8);
        health.Consecutive.Should().Be(8);
        health.LastFailureAt.Should().Be(1007);
        health.LastError.Should().Be("InvalidOperationException: boom");

        health.Succeeded();
        health.Consecutive.Should().Be(0, "a good pass ends the run of failures");
        health.Failed(error, 2000).Should().Be(TimeSpan.FromSeconds(1), "the pauses start again from the first");
        health.Failures.Should().Be(9, "the total keeps counting");
    }

    [Fact]
    public void A_monitor_gives_one_account_per_name_so_a_loop_s_workers_share_it()
    {
        var monitor = new LoopMonitor();
        var poller = monitor.Register("poller");

        monitor.Register("poller").Should().BeSameAs(poller);
        monitor.Register("engine");
        monitor.Loops.Select(l => l.Name).Should().Equal("poller", "engine");
        FluentActions.Invoking(() => new LoopHealth("x", TimeSpan.Zero)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new LoopHealth("x", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public async Task Supervise_runs_the_body_again_after_a_failure_returns_when_it_returns_and_ends_on_stop()
    {
        var health = new LoopHealth("x", TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1));
        var runs = 0;
        var logged = new List<string>();

        await health.SuperviseAsync(_ => ++runs < 3 ? throw new FormatException("run " + runs) : Task.CompletedTask,
            TimeProvider.System, (ex, _) => logged.Add(ex.Message), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        runs.Should().Be(3);
        logged.Should().Equal("run 1", "run 2");
        health.Failures.Should().Be(2);

        using var stop = new CancellationTokenSource();
        var stopped = health.SuperviseAsync(async ct => await Task.Delay(Timeout.Infinite, ct), TimeProvider.System, (_, _) => logged.Add("stop"), stop.Token);
        await stop.CancelAsync();
        await stopped.WaitAsync(TimeSpan.FromSeconds(10));
        health.Failures.Should().Be(2, "being stopped is not a failure");
        logged.Should().HaveCount(2);
    }
}

public class BackoffTests
{
    [Fact]
    public void Pauses_double_up_to_the_longest_and_jitter_stays_in_the_upper_half()
    {
        var plain = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Enumerable.Range(1, 9).Select(a => plain.Delay(a).TotalSeconds).Should().Equal(1, 2, 4, 8, 16, 32, 60, 60, 60);
        plain.Delay(0).Should().Be(TimeSpan.FromSeconds(1), "an attempt before the first counts as the first");
        plain.Delay(10_000).Should().Be(TimeSpan.FromMinutes(1));

        var jittered = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), Jitter: true);
        var samples = Enumerable.Range(0, 2_000).Select(_ => jittered.Delay(3).TotalMilliseconds).ToList();
        samples.Should().OnlyContain(ms => ms >= 200 && ms <= 400, "the third pause is 400 ms, randomised within its upper half");
        samples.Distinct().Count().Should().BeGreaterThan(100, "clients must not retry in step");
        Enumerable.Range(0, 200).Select(_ => jittered.Delay(20).TotalMilliseconds).Should().OnlyContain(ms => ms >= 500 && ms <= 1000);
    }
}
