using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.Server.Tests;

/// <summary>
/// Overview batches, aligned to the market's once-a-second burst (how soon after it they go out is measured by
/// <c>tests/OiStream.LoadTests -- overview-age</c>, not asserted here: timings on this machine are noisy).
/// </summary>
public class OverviewAlignmentTests(HubHost hub) : IClassFixture<HubHost>
{
    [Fact]
    public async Task Each_overview_batch_carries_a_newer_burst_of_many_instruments()
    {
        var batches = new List<IReadOnlyList<InstrumentState>>();
        await using var client = new OiStreamClient(hub.BaseUri);
        client.OverviewReceived += rows =>
        {
            lock (batches)
            {
                batches.Add(rows);
            }
        };
        await client.StartAsync();
        var all = await client.SubscribeOverviewAsync();
        await Wait.UntilAsync(() => { lock (batches) { return batches.Count >= 4; } }, TimeSpan.FromSeconds(30), "four overview batches");
        List<IReadOnlyList<InstrumentState>> first;
        lock (batches)
        {
            first = [.. batches.Take(4)];
        }
        // Each batch holds a burst (the mark prices of a quarter of the instruments or more, at one exchange time),
        // and each a newer one than the batch before.
        var ticks = first.Select(b => b.Max(r => r.PriceTime ?? 0)).ToList();
        Assert.All(first.Zip(ticks), p => Assert.True(p.First.Count(r => r.PriceTime == p.Second) >= all.Length / 4,
            $"{p.First.Count(r => r.PriceTime == p.Second)} of {all.Length} rows at the batch's newest tick"));
        Assert.Equal(ticks.Order(), ticks);
        Assert.Equal(4, ticks.Distinct().Count());
    }
}
