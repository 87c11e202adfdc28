namespace OiStream.Server.Hubs;

/// <summary>What <see cref="SubscriptionRegistry.TryAdd"/> did.</summary>
public enum AddResult
{
    /// <summary>The symbols are the connection's now.</summary>
    Added,

    /// <summary>Nothing was added: the connection would hold more than its limit.</summary>
    OverLimit,

    /// <summary>Nothing was added: the connection has gone (a call that finished after its disconnect).</summary>
    Gone,
}

/// <summary>
/// Who subscribes to what: per connection (for the per-connection limit and clean-up on disconnect) and per symbol
/// (so the poll scheduler polls watched symbols first). One lock guards both, so a subscription that completes after
/// its connection's disconnect finds the connection gone and adds nothing.
/// </summary>
public sealed class SubscriptionRegistry
{
    private readonly object _gate = new();
    private readonly object _notifyGate = new();
    private readonly Dictionary<string, HashSet<string>> _byConnection = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _symbolCounts = new(StringComparer.Ordinal);

    /// <summary>Raised with the full set of watched symbols when it changes.</summary>
    public event Action<IReadOnlyCollection<string>>? WatchedChanged;

    /// <summary>Connected clients.</summary>
    public int Connections
    {
        get
        {
            lock (_gate)
            {
                return _byConnection.Count;
            }
        }
    }

    /// <summary>Symbols with at least one subscriber.</summary>
    public IReadOnlyCollection<string> Watched
    {
        get
        {
            lock (_gate)
            {
                return [.. _symbolCounts.Keys];
            }
        }
    }

    /// <summary>Symbols one connection holds.</summary>
    public int CountFor(string connectionId)
    {
        lock (_gate)
        {
            return _byConnection.TryGetValue(connectionId, out var set) ? set.Count : 0;
        }
    }

    /// <summary>A client connected.</summary>
    public void Connected(string connectionId)
    {
        lock (_gate)
        {
            _byConnection.TryAdd(connectionId, new HashSet<string>(StringComparer.Ordinal));
        }
    }

    /// <summary>A client disconnected: its subscriptions end, and later calls of it add nothing.</summary>
    public void Disconnected(string connectionId)
    {
        bool changed;
        lock (_gate)
        {
            if (!_byConnection.Remove(connectionId, out var set))
            {
                return;
            }
            changed = Change(set, [.. set], add: false);
        }
        Notify(changed);
    }

    /// <summary>
    /// Adds symbols to a connection, all or none: none if that would pass <paramref name="limit"/>, or if the
    /// connection has disconnected.
    /// </summary>
    public AddResult TryAdd(string connectionId, IReadOnlyList<string> symbols, int limit)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        bool changed;
        lock (_gate)
        {
            if (!_byConnection.TryGetValue(connectionId, out var set))
            {
                return AddResult.Gone;
            }
            if (set.Count + symbols.Count(s => !set.Contains(s)) > limit)
            {
                return AddResult.OverLimit;
            }
            changed = Change(set, symbols, add: true);
        }
        Notify(changed);
        return AddResult.Added;
    }

    /// <summary>Removes symbols from a connection.</summary>
    public void Remove(string connectionId, IReadOnlyList<string> symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        bool changed;
        lock (_gate)
        {
            if (!_byConnection.TryGetValue(connectionId, out var set))
            {
                return;
            }
            changed = Change(set, symbols, add: false);
        }
        Notify(changed);
    }

    // Under the lock: applies the change; true if the watched set changed.
    private bool Change(HashSet<string> owned, IReadOnlyList<string> symbols, bool add)
    {
        var changed = false;
        foreach (var s in symbols)
        {
            if (add ? owned.Add(s) : owned.Remove(s))
            {
                var count = _symbolCounts.GetValueOrDefault(s) + (add ? 1 : -1);
                if (count <= 0)
                {
                    changed |= _symbolCounts.Remove(s);
                }
                else
                {
                    changed |= !_symbolCounts.ContainsKey(s);
                    _symbolCounts[s] = count;
                }
            }
        }
        return changed;
    }

    // The set is read when it is handed out, one notification at a time, so the last one a listener gets is current.
    private void Notify(bool changed)
    {
        if (changed && WatchedChanged is { } handler)
        {
            lock (_notifyGate)
            {
                handler(Watched);
            }
        }
    }
}
