namespace OiStream.Bot.Views;

/// <summary>Shows updates. Called from one thread only (the bot's reader loop).</summary>
public interface IUpdateView
{
    /// <summary>An <c>InstrumentState</c>, <c>CoinState</c>, <c>SignalEvent</c> or <c>FeedStatus</c>.</summary>
    void Add(object update);

    /// <summary>A message about the connection (already written to standard error).</summary>
    void Notice(string text);

    /// <summary>Writes out what was added since the last flush.</summary>
    Task FlushAsync(CancellationToken cancellationToken);
}
