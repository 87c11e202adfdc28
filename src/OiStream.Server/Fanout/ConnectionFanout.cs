using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using OiStream.Server.Configuration;
using OiStream.Server.Pipeline;

namespace OiStream.Server.Fanout;

/// <summary>
/// Who gets what: every connection's <see cref="Outbox"/> and the topics each one joined. The publisher hands it a
/// message per topic; it offers that message to each member's outbox, which writes it at once or, for a client that
/// cannot keep up, keeps the newest message of each key. So the publisher never waits on a client, a slow client gets
/// the newest state of what it subscribed to, and every other client is served as if it were not there.
/// </summary>
/// <remarks>
/// SignalR's group sends (<c>IHubContext.Clients.Group</c>) serialize once per protocol too, but a broadcast waits for
/// its slowest member's write and cannot coalesce per connection; these topics replace them for market data. SignalR
/// still owns the connections, the protocols and invocations.
/// </remarks>
public sealed partial class ConnectionFanout(StatusBoard status, IOptions<OiStreamOptions> options, TimeProvider time, ILogger<ConnectionFanout> logger) : IFanout
{
    private readonly ConcurrentDictionary<string, Outbox> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Topic> _topics = new(StringComparer.Ordinal);
    // Connections with messages offered this round, for Flush.
    private readonly List<Outbox> _dirty = [];

    internal TimeProvider Time => time;

    internal TimeSpan CutAfter { get; } = options.Value.SlowClientCutAfter;

    internal int MaxQueued { get; } = options.Value.MaxQueuedPerClient;

    /// <summary>A connection opened (SignalR's lifetime manager).</summary>
    public void Connected(HubConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connections[connection.ConnectionId] = new Outbox(connection, this);
    }

    /// <summary>A connection closed: it leaves every topic and nothing more is written to it.</summary>
    public void Disconnected(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var outbox))
        {
            return;
        }
        outbox.Close();
        string[] joined;
        lock (outbox.Topics)
        {
            joined = [.. outbox.Topics];
            outbox.Topics.Clear();
        }
        foreach (var name in joined)
        {
            if (_topics.TryGetValue(name, out var topic))
            {
                topic.Remove(outbox);
            }
        }
    }

    /// <summary>Adds a connection to a topic; false when the connection has gone.</summary>
    public bool Join(string connectionId, string topic)
    {
        if (!_connections.TryGetValue(connectionId, out var outbox))
        {
            return false;
        }
        lock (outbox.Topics)
        {
            if (!outbox.Topics.Add(topic))
            {
                return true;
            }
        }
        _topics.GetOrAdd(topic, _ => new Topic()).Add(outbox);
        // A disconnect that ran meanwhile saw the topic list before this join: undo it.
        if (!_connections.ContainsKey(connectionId))
        {
            _topics[topic].Remove(outbox);
            return false;
        }
        return true;
    }

    /// <summary>Removes a connection from a topic.</summary>
    public void Leave(string connectionId, string topic)
    {
        if (!_connections.TryGetValue(connectionId, out var outbox))
        {
            return;
        }
        lock (outbox.Topics)
        {
            outbox.Topics.Remove(topic);
        }
        if (_topics.TryGetValue(topic, out var t))
        {
            t.Remove(outbox);
        }
    }

    /// <inheritdoc />
    public bool HasMembers(string topic) => _topics.TryGetValue(topic, out var t) && t.Count > 0;

    /// <inheritdoc />
    public void Publish(string topic, Outgoing message)
    {
        if (_topics.TryGetValue(topic, out var t))
        {
            foreach (var outbox in t.Members())
            {
                Offer(outbox, message);
            }
        }
    }

    /// <inheritdoc />
    public void Publish(IEnumerable<string> topics, Outgoing message)
    {
        var seen = new HashSet<Outbox>(ReferenceEqualityComparer.Instance);
        foreach (var name in topics)
        {
            if (_topics.TryGetValue(name, out var t))
            {
                foreach (var outbox in t.Members())
                {
                    if (seen.Add(outbox))
                    {
                        Offer(outbox, message);
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    public void PublishAll(Outgoing message)
    {
        foreach (var outbox in _connections.Values)
        {
            Offer(outbox, message);
        }
    }

    /// <inheritdoc />
    public void Flush()
    {
        Outbox[] dirty;
        lock (_dirty)
        {
            dirty = [.. _dirty];
            _dirty.Clear();
        }
        foreach (var outbox in dirty)
        {
            outbox.Flush();
        }
    }

    private void Offer(Outbox outbox, Outgoing message)
    {
        if (outbox.Offer(message))
        {
            lock (_dirty)
            {
                _dirty.Add(outbox);
            }
        }
    }

    internal void CountCoalesced() => status.CountCoalesced();

    internal void Cut(HubConnectionContext connection, string reason, int dropped)
    {
        status.CountClientCut();
        LogCut(logger, connection.ConnectionId, reason, dropped);
        connection.Abort();
    }

    internal void WriteFailed(string connectionId, Exception exception) => LogWriteFailed(logger, connectionId, exception);

    [LoggerMessage(EventId = 403, EventName = "SlowClientCut", Level = LogLevel.Warning,
        Message = "Closed connection {ConnectionId}: {Reason}; {Dropped} waiting messages dropped. The client reconnects and subscribes again.")]
    private static partial void LogCut(ILogger logger, string connectionId, string reason, int dropped);

    [LoggerMessage(EventId = 404, EventName = "ClientWriteFailed", Level = LogLevel.Debug, Message = "A write to connection {ConnectionId} failed; it is closing")]
    private static partial void LogWriteFailed(ILogger logger, string connectionId, Exception exception);

    // Members in a set; a snapshot array, rebuilt only after a change, for the publisher to walk without a lock.
    private sealed class Topic
    {
        private readonly HashSet<Outbox> _members = new(ReferenceEqualityComparer.Instance);
        private Outbox[]? _snapshot;

        public int Count
        {
            get
            {
                lock (_members)
                {
                    return _members.Count;
                }
            }
        }

        public void Add(Outbox outbox)
        {
            lock (_members)
            {
                if (_members.Add(outbox))
                {
                    _snapshot = null;
                }
            }
        }

        public void Remove(Outbox outbox)
        {
            lock (_members)
            {
                if (_members.Remove(outbox))
                {
                    _snapshot = null;
                }
            }
        }

        public Outbox[] Members()
        {
            lock (_members)
            {
                return _snapshot ??= [.. _members];
            }
        }
    }
}
