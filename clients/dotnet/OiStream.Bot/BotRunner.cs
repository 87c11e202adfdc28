using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using OiStream.Bot.Views;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.Bot;

/// <summary>Exit codes of the bot.</summary>
public static class ExitCodes
{
    /// <summary>Stopped normally (Ctrl+C or --limit reached).</summary>
    public const int Ok = 0;

    /// <summary>Bad command line or input rejected by the hub (e.g. an unknown symbol).</summary>
    public const int Usage = 2;

    /// <summary>The hub could not be reached.</summary>
    public const int Unreachable = 3;
}

/// <summary>
/// Connects, subscribes, and hands every update to one view on one thread: hub callbacks only enqueue, so a slow
/// terminal never holds up the connection.
/// </summary>
public sealed class BotRunner(BotOptions options, TextWriter output, TextWriter errors)
{
    /// <summary>Runs until cancelled or the update limit is reached; returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // Bounded so a stalled terminal cannot grow memory without end; the oldest updates go first and are counted.
        var updates = Channel.CreateBounded<object>(new BoundedChannelOptions(10_000)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = false,
        }, _ => Interlocked.Increment(ref _dropped));
        IUpdateView view = options.Mode switch
        {
            OutputMode.Json => new JsonView(output),
            OutputMode.Plain => new LineView(output, options.Threshold),
            _ => new TableView(output, options.Threshold, options.Url),
        };

        await using var client = new OiStreamClient(options.Url, new OiStreamClientOptions { ApiKey = options.ApiKey, Protocol = options.Protocol });
        client.InstrumentReceived += s => updates.Writer.TryWrite(s);
        client.CoinReceived += s => updates.Writer.TryWrite(s);
        client.SignalReceived += s => updates.Writer.TryWrite(s);
        client.FeedStatusReceived += s => updates.Writer.TryWrite(s);
        client.Reconnecting += ex => updates.Writer.TryWrite(new Notice($"Connection to {options.Url} lost ({ex?.Message ?? "closed"}); reconnecting…"));
        client.Reconnected += () => updates.Writer.TryWrite(new Notice("Reconnected; subscriptions renewed."));
        try
        {
            await client.StartAsync(cancellationToken);
            if (options.Symbols.Count > 0)
            {
                foreach (var s in await client.SubscribeAsync(options.Symbols, cancellationToken))
                {
                    updates.Writer.TryWrite(s);
                }
            }
            if (options.Coins.Count > 0)
            {
                foreach (var c in await client.SubscribeCoinsAsync(options.Coins, cancellationToken))
                {
                    updates.Writer.TryWrite(c);
                }
            }
        }
        catch (HubUnreachableException ex)
        {
            await errors.WriteLineAsync(ex.Message);
            return ExitCodes.Unreachable;
        }
        catch (HubException ex)
        {
            await errors.WriteLineAsync(ex.Message);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }

        var seen = 0;
        try
        {
            while (await updates.Reader.WaitToReadAsync(cancellationToken))
            {
                while (updates.Reader.TryRead(out var item))
                {
                    if (item is Notice notice)
                    {
                        await errors.WriteLineAsync(notice.Text);
                        view.Notice(notice.Text);
                        continue;
                    }
                    view.Add(item);
                    if (options.Limit > 0 && item is InstrumentState or CoinState && ++seen >= options.Limit)
                    {
                        await view.FlushAsync(cancellationToken);
                        return ExitCodes.Ok;
                    }
                }
                var dropped = Interlocked.Exchange(ref _dropped, 0);
                if (dropped > 0)
                {
                    await errors.WriteLineAsync($"The output could not keep up: {dropped} updates skipped.");
                }
                await view.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        return ExitCodes.Ok;
    }

    private long _dropped;

    private sealed record Notice(string Text);
}
