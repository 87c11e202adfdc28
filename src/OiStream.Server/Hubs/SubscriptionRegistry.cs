using System.Collections.Concurrent;

namespace OiStream.Server.Hubs;

/// <summary>
/// Who subscribes to what: per connection (for the per-connection limit and clean-up on disconnect) and per symbol
/// (so the poll scheduler polls watched symbols first).
/// </summary>
public sealed class SubscriptionRegistry
{
    private readonly ConcurrentDictionary<string, HashSet<string>> _byConnection = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _symbolCounts = new(StringComparer.Ordinal);
    private int _connections;

    /// <summary>Raised with the full set of watched symbols when it changes.</summary>
    public event Action<IReadOnlyCollection<string>>? WatchedChanged;

    /// <summary>Connected clients.</summary>
    public int Connections => Volatile.Read(ref _connections);

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
        _byConnection.TryAdd(connectionId, new HashSet<string>(StringComparer.Ordinal));
        Interlocked.Increment(ref _connections);
    }

    /// <summary>A client disconnected: its subscriptions end.</summary>
    public void Disconnected(string connectionId)
    {
        Interlocked.Decrement(ref _connections);
        if (_byConnection.TryRemove(connectionId, out var set))
        {
            List<string> held;
            lock (_gate)
            {
                held = [.. set];
            }
            Change(held, add: false, owned: set);
        }
    }

    /// <summary>Adds symbols to a connection; returns false (adding nothing) if that would pass <paramref name="limit"/>.</summary>
    public bool TryAdd(string connectionId, IReadOnlyList<string> symbols, int limit)
    {
        var set = _byConnection.GetOrAdd(connectionId, _ => new HashSet<string>(StringComparer.Ordinal));
        lock (_gate)
        {
            if (set.Count + symbols.Count(s => !set.Contains(s)) > limit)
            {
                return false;
            }
        }
        Change(symbols, add: true, owned: set);
        return true;
    }

    /// <summary>Removes symbols from a connection.</summary>
    public void Remove(string connectionId, IReadOnlyList<string> symbols)
    {
        if (_byConnection.TryGetValue(connectionId, out var set))
        {
            Change(symbols, add: false, owned: set);
        }
    }

    private void Change(IReadOnlyList<string> symbols, bool add, HashSet<string> owned)
    {
        var changed = false;
        lock (_gate)
        {
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
        }
        if (changed)
        {
            WatchedChanged?.Invoke(Watched);
        }
    }
}
