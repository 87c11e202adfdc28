using System.Threading.Channels;
using OiStream.Contracts;

namespace OiStream.Server.Pipeline;

/// <summary>
/// The bounded channel between the engine loop (its one writer) and the publisher (its one reader). When the publisher
/// falls behind, the oldest batch leaves the channel but is not lost: it is merged into a side batch that keeps the
/// newest state of each instrument and coin and every signal, which the publisher takes before the channel's next
/// batch. So a publisher that falls behind sends newer states later, never a hole.
/// </summary>
public class PublishChannel
{
    /// <summary>Signals kept while merged batches wait; more are counted and dropped (a flood the publisher cannot send).</summary>
    public const int MaxMergedSignals = 10_000;

    private readonly object _gate = new();
    private readonly Dictionary<string, InstrumentState> _instruments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CoinState> _coins = new(StringComparer.Ordinal);
    private readonly List<SignalEvent> _signals = [];
    private long _merged;
    private long _droppedSignals;

    /// <summary>Creates the channel.</summary>
    public PublishChannel()
    {
        Channel = System.Threading.Channels.Channel.CreateBounded<PublishBatch>(
            new BoundedChannelOptions(32) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            Merge);
    }

    /// <summary>The channel.</summary>
    public Channel<PublishBatch> Channel { get; }

    /// <summary>Batches that left the channel unread and were merged (their newest states went out later).</summary>
    public long Merged => Interlocked.Read(ref _merged);

    /// <summary>Signals lost because more than <see cref="MaxMergedSignals"/> waited in merged batches.</summary>
    public long DroppedSignals => Interlocked.Read(ref _droppedSignals);

    /// <summary>Takes what merged batches hold, oldest first; false when there is none.</summary>
    public bool TryTakeMerged(out PublishBatch batch)
    {
        lock (_gate)
        {
            if (_instruments.Count == 0 && _coins.Count == 0 && _signals.Count == 0)
            {
                batch = null!;
                return false;
            }
            batch = new PublishBatch([.. _instruments.Values], [.. _coins.Values], [.. _signals]);
            _instruments.Clear();
            _coins.Clear();
            _signals.Clear();
            return true;
        }
    }

    private void Merge(PublishBatch batch)
    {
        lock (_gate)
        {
            foreach (var s in batch.Instruments)
            {
                if (!_instruments.TryGetValue(s.Symbol, out var held) || held.Seq < s.Seq)
                {
                    _instruments[s.Symbol] = s;
                }
            }
            foreach (var c in batch.Coins)
            {
                if (!_coins.TryGetValue(c.Coin, out var held) || held.Seq < c.Seq)
                {
                    _coins[c.Coin] = c;
                }
            }
            var room = Math.Max(0, MaxMergedSignals - _signals.Count);
            _signals.AddRange(batch.Signals.Take(room));
            if (batch.Signals.Count > room)
            {
                Interlocked.Add(ref _droppedSignals, batch.Signals.Count - room);
            }
        }
        Interlocked.Increment(ref _merged);
    }
}
