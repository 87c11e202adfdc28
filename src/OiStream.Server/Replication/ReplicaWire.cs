using System.Buffers;
using System.Text.Json;
using MessagePack;
using MessagePack.Resolvers;
using OiStream.Contracts;
using OiStream.Core.Instruments;
using OiStream.Server.Pipeline;

namespace OiStream.Server.Replication;

/// <summary>
/// One message on the replication channel: a batch of the leader's publications (<c>type: "batch"</c>) or its
/// heartbeat (<c>type: "heartbeat"</c>, once a second). Both carry the leader's node name and term, so an edge knows
/// when the leader changed. JSON, the same shapes clients get.
/// </summary>
public sealed record ReplicaMessage(
    string Type,
    string Node,
    long Term,
    IReadOnlyList<InstrumentState>? Instruments = null,
    IReadOnlyList<CoinState>? Coins = null,
    IReadOnlyList<SignalEvent>? Signals = null,
    ReplicaHeartbeat? Heartbeat = null)
{
    /// <summary>A batch: when the leader sent it (Unix ms, its clock).</summary>
    public long SentAt { get; init; }

    /// <summary>A batch: how long the leader took to encode it (ms).</summary>
    public double EncodeMs { get; init; }
}

/// <summary>What the leader says of itself once a second.</summary>
/// <param name="Source"><c>binance</c> or <c>simulated</c>.</param>
/// <param name="Windows">The engine's window names (an edge with other windows says so).</param>
/// <param name="CatalogVersion">Changes when the instrument catalog does; an edge then reads it again.</param>
/// <param name="Feed">The leader's feed numbers, as its own <c>/api/v1/status</c> shows them.</param>
/// <param name="EngineReady">The leader's engine has its start-up history.</param>
/// <param name="Feeds">The leader's latest status of each feed.</param>
/// <param name="SentAt">When the heartbeat was sent (Unix ms).</param>
public sealed record ReplicaHeartbeat(string Source, IReadOnlyList<string> Windows, long CatalogVersion, FeedMetrics Feed, bool EngineReady,
    IReadOnlyList<FeedStatus> Feeds, long SentAt);

/// <summary>
/// How replication messages and the kept states are written and read. The hot path (batches, and the instrument and
/// coin states kept in hashes) is MessagePack, with the contracts' own <c>DataMember</c> names, as SignalR's MessagePack
/// protocol sends them; the heartbeat and the catalog are JSON. A message's first byte tells which: JSON opens with
/// <c>{</c>, a batch with a MessagePack array header.
/// </summary>
public static class ReplicaWire
{
    /// <summary>The hash of each instrument's latest state (field: symbol).</summary>
    public const string InstrumentsHash = "instruments";

    /// <summary>The hash of each coin's latest state (field: coin).</summary>
    public const string CoinsHash = "coins";

    /// <summary>The hash of the instrument catalog (field: symbol).</summary>
    public const string CatalogHash = "catalog";

    /// <summary>The key of the leader's latest heartbeat (expires when the leader goes quiet).</summary>
    public const string LeaderKey = "leader";

    private const int BatchFields = 8;

    /// <summary>The serializer options of the JSON payloads.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>The serializer options of the MessagePack payloads.</summary>
    public static MessagePackSerializerOptions Pack { get; } = MessagePackSerializerOptions.Standard
        .WithResolver(ContractlessStandardResolver.Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Serializes one value as JSON (the heartbeat, the catalog).</summary>
    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Json);

    /// <summary>Serializes an instrument's or a coin's state (for its hash entry and for batches).</summary>
    public static byte[] SerializeState<T>(T state) => MessagePackSerializer.Serialize(state, Pack);

    /// <summary>
    /// A batch message, written around states serialized already (each state is serialized once: for its hash entry and
    /// for the message).
    /// </summary>
    public static byte[] Batch(string node, long term, IReadOnlyList<byte[]> instruments, IReadOnlyList<byte[]> coins, IReadOnlyList<SignalEvent> signals,
        long sentAt, double encodeMs)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        ArgumentNullException.ThrowIfNull(coins);
        var buffer = new ArrayBufferWriter<byte>(256 + instruments.Sum(i => i.Length) + coins.Sum(c => c.Length));
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(BatchFields);
        w.Write("batch");
        w.Write(node);
        w.Write(term);
        w.Write(sentAt);
        w.Write(Math.Round(encodeMs, 3));
        w.WriteArrayHeader(instruments.Count);
        foreach (var s in instruments)
        {
            w.WriteRaw(s);
        }
        w.WriteArrayHeader(coins.Count);
        foreach (var c in coins)
        {
            w.WriteRaw(c);
        }
        MessagePackSerializer.Serialize(ref w, signals, Pack);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a message; null when it is not one (named in <paramref name="error"/>).</summary>
    public static ReplicaMessage? Read(ReadOnlyMemory<byte> payload, out string? error)
    {
        if (payload.Length == 0)
        {
            error = "an empty message";
            return null;
        }
        try
        {
            var message = payload.Span[0] == (byte)'{' ? JsonSerializer.Deserialize<ReplicaMessage>(payload.Span, Json) : ReadBatch(payload);
            error = message is { Type: "batch" or "heartbeat", Node: not null } ? null : "not a replication message (type batch or heartbeat, with node)";
            return error is null ? message : null;
        }
        catch (Exception ex) when (ex is JsonException or MessagePackSerializationException or EndOfStreamException)
        {
            error = ex.Message;
            return null;
        }
    }

    private static ReplicaMessage ReadBatch(ReadOnlyMemory<byte> payload)
    {
        var r = new MessagePackReader(payload);
        if (r.ReadArrayHeader() != BatchFields)
        {
            throw new MessagePackSerializationException($"a batch is an array of {BatchFields}");
        }
        var type = r.ReadString()!;
        var node = r.ReadString()!;
        var term = r.ReadInt64();
        var sentAt = r.ReadInt64();
        var encodeMs = r.ReadDouble();
        var instruments = new InstrumentState[r.ReadArrayHeader()];
        for (var i = 0; i < instruments.Length; i++)
        {
            instruments[i] = MessagePackSerializer.Deserialize<InstrumentState>(ref r, Pack);
        }
        var coins = new CoinState[r.ReadArrayHeader()];
        for (var i = 0; i < coins.Length; i++)
        {
            coins[i] = MessagePackSerializer.Deserialize<CoinState>(ref r, Pack);
        }
        var signals = MessagePackSerializer.Deserialize<SignalEvent[]>(ref r, Pack) ?? [];
        return new ReplicaMessage(type, node, term, instruments, coins, signals) { SentAt = sentAt, EncodeMs = encodeMs };
    }

    /// <summary>Reads one kept instrument or coin state; null when it cannot be read.</summary>
    public static T? ReadState<T>(ReadOnlyMemory<byte> payload) where T : class
    {
        try
        {
            return MessagePackSerializer.Deserialize<T>(payload, Pack);
        }
        catch (MessagePackSerializationException)
        {
            return null;
        }
    }

    /// <summary>Reads one catalog entry; null when it cannot be read.</summary>
    public static InstrumentInfo? ReadCatalogEntry(ReadOnlySpan<byte> payload)
    {
        try
        {
            return JsonSerializer.Deserialize<InstrumentInfo>(payload, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A catalog entry's value.</summary>
    public static byte[] CatalogEntry(InstrumentInfo info) => Serialize(info);
}
