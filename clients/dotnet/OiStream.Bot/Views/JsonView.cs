using System.Text.Json;
using OiStream.Contracts;

namespace OiStream.Bot.Views;

/// <summary>One JSON object per line, the hub's own camelCase payload wrapped as <c>{"type":…,"data":…}</c>.</summary>
public sealed class JsonView(TextWriter output) : IUpdateView
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public void Add(object update)
    {
        var type = update switch
        {
            InstrumentState => "instrument",
            CoinState => "coin",
            SignalEvent => "signal",
            FeedStatus => "feedStatus",
            _ => throw new ArgumentException($"Not an update: {update.GetType().Name}", nameof(update)),
        };
        output.WriteLine(JsonSerializer.Serialize(new { type, data = update }, Options));
    }

    /// <inheritdoc />
    public void Notice(string text)
    {
        // Standard output stays pure data; the runner already wrote the notice to standard error.
    }

    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);
}
