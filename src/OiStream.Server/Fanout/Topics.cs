namespace OiStream.Server.Fanout;

/// <summary>The topics clients subscribe to; what each one's messages are is the publisher's business.</summary>
public static class Topics
{
    /// <summary>Full <c>instrument</c> states of one symbol (protocol v1's <c>Subscribe</c>).</summary>
    public static string Instrument(string symbol) => "i:" + symbol;

    /// <summary><c>instrumentDelta</c> updates of one symbol (<c>SubscribeDeltas</c>).</summary>
    public static string InstrumentDeltas(string symbol) => "d:" + symbol;

    /// <summary>One coin aggregate.</summary>
    public static string Coin(string coin) => "c:" + coin;

    /// <summary>Overview batches of full states.</summary>
    public const string Overview = "overview";

    /// <summary>Overview batches in table form.</summary>
    public const string OverviewTable = "overview-table";

    /// <summary>Overview batches as table row deltas.</summary>
    public const string OverviewDeltas = "overview-deltas";
}
