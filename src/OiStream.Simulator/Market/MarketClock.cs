using OiStream.Simulator.Streams;
using OiStream.Simulator.Venues;

namespace OiStream.Simulator.Market;

/// <summary>Steps the market on every whole second of the wall clock and pushes that second's stream frames.</summary>
public sealed partial class MarketClock(SimMarket market, StreamHub hub, BybitSimulator bybit, OkxSimulator okx, TimeProvider time, ILogger<MarketClock> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                // The step's real time, as Binance stamps a reading with its transaction time (not a rounded second).
                var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                market.Step(now);
                hub.Tick(now);
                bybit.Tick(now);
                okx.Tick(now);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bad tick must not stop the market; log and go on with the next second.
                LogTickFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 9002, EventName = "SimulatorTickFailed", Level = LogLevel.Error, Message = "Simulator tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
