using Microsoft.AspNetCore.SignalR;

namespace OiStream.Server.Fanout;

/// <summary>
/// What one connection has yet to be sent. While the connection keeps up, the messages the publisher offers in one
/// round (one engine batch) go out together at the round's end (<see cref="Flush"/>) as one write, so a client
/// subscribed to 20 symbols gets one WebSocket frame per burst, not 20. While a write is still pending (the client
/// reads slower than the hub writes), messages wait here, and a newer message of the same key replaces the waiting one
/// (by its full-state form, since a delta needs the state before it). Nothing here ever waits for the client:
/// <see cref="Offer"/> and <see cref="Flush"/> return at once, and a background drain writes what waits.
/// </summary>
internal sealed class Outbox
{
    private readonly HubConnectionContext _connection;
    private readonly ConnectionFanout _owner;
    private readonly object _gate = new();
    private readonly OrderedDictionary<string, Outgoing> _waiting = new(StringComparer.Ordinal);
    private readonly HashSet<string> _topics = new(StringComparer.Ordinal);
    private readonly List<Outgoing> _round = [];
    private long _writeStarted;
    private long _events;
    private bool _writing;
    private bool _closed;

    public Outbox(HubConnectionContext connection, ConnectionFanout owner)
    {
        _connection = connection;
        _owner = owner;
    }

    public string ConnectionId => _connection.ConnectionId;

    /// <summary>Topics this connection is in (under the fanout's topic locks, read on disconnect).</summary>
    public HashSet<string> Topics => _topics;

    /// <summary>Adds a message to this round's write, or queues it while a write is pending; never waits.</summary>
    /// <returns>True when it is the round's first message (the connection has something to flush).</returns>
    public bool Offer(Outgoing message)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }
            if (_writing)
            {
                Queue(message);
                return false;
            }
            _round.Add(message);
            return _round.Count == 1;
        }
    }

    /// <summary>Writes this round's messages as one write; never waits.</summary>
    public void Flush()
    {
        SerializedHubMessage write;
        lock (_gate)
        {
            if (_closed || _round.Count == 0)
            {
                _round.Clear();
                return;
            }
            if (_writing)
            {
                // Only offered while idle; should a write have started since, the round waits behind it.
                _round.ForEach(Queue);
                _round.Clear();
                return;
            }
            write = Combine(_round);
            _round.Clear();
            _writing = true;
            _writeStarted = _owner.Time.GetTimestamp();
        }
        Write(write);
    }

    // Several messages as one: their bytes for this connection's protocol, back to back (both SignalR protocols
    // delimit their messages, so a client reads them as if they had come one by one).
    private SerializedHubMessage Combine(List<Outgoing> messages)
    {
        if (messages.Count == 1)
        {
            return messages[0].Message;
        }
        var protocol = _connection.Protocol;
        var parts = new ReadOnlyMemory<byte>[messages.Count];
        var length = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = messages[i].Message.GetSerializedMessage(protocol);
            length += parts[i].Length;
        }
        var bytes = new byte[length];
        var at = 0;
        foreach (var part in parts)
        {
            part.Span.CopyTo(bytes.AsSpan(at));
            at += part.Length;
        }
        return new SerializedHubMessage([new SerializedMessage(protocol.Name, bytes)]);
    }

    /// <summary>No more messages: the connection has gone.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _waiting.Clear();
            _round.Clear();
        }
    }

    // Under the lock.
    private void Queue(Outgoing message)
    {
        if (_owner.Time.GetElapsedTime(_writeStarted) > _owner.CutAfter)
        {
            Cut($"it has not read a message for {_owner.Time.GetElapsedTime(_writeStarted).TotalSeconds:0} s (OiStream:SlowClientCutAfter {_owner.CutAfter.TotalSeconds:0} s)");
            return;
        }
        if (message.Key is { } key && _waiting.TryGetValue(key, out _))
        {
            _waiting[key] = message with { Message = message.WhenCoalesced ?? message.Message };
            _owner.CountCoalesced();
            return;
        }
        if (_waiting.Count >= _owner.MaxQueued)
        {
            Cut($"{_waiting.Count} messages wait for it after coalescing (OiStream:MaxQueuedPerClient {_owner.MaxQueued})");
            return;
        }
        _waiting.Add(message.Key ?? $"#{++_events}", message);
    }

    // Under the lock.
    private void Cut(string reason)
    {
        _closed = true;
        var dropped = _waiting.Count;
        _waiting.Clear();
        _owner.Cut(_connection, reason, dropped);
    }

    private void Write(SerializedHubMessage message)
    {
        ValueTask written;
        try
        {
            written = _connection.WriteAsync(message);
        }
        catch (Exception ex)
        {
            Fail(ex);
            return;
        }
        if (written.IsCompletedSuccessfully && TryIdle())
        {
            return;
        }
        _ = DrainAsync(written);
    }

    // After a write completed at once: idle unless something was queued meanwhile (by another thread).
    private bool TryIdle()
    {
        lock (_gate)
        {
            if (_waiting.Count == 0 || _closed)
            {
                _writing = false;
                return true;
            }
            return false;
        }
    }

    private async Task DrainAsync(ValueTask pending)
    {
        try
        {
            await pending;
            while (true)
            {
                SerializedHubMessage next;
                lock (_gate)
                {
                    if (_waiting.Count == 0 || _closed)
                    {
                        _writing = false;
                        return;
                    }
                    // Everything that waits, in one write.
                    _round.AddRange(_waiting.Values);
                    _waiting.Clear();
                    next = Combine(_round);
                    _round.Clear();
                    _writeStarted = _owner.Time.GetTimestamp();
                }
                await _connection.WriteAsync(next);
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    // A write that throws means the connection is closing: SignalR's own disconnect cleans up.
    private void Fail(Exception ex)
    {
        Close();
        _owner.WriteFailed(_connection.ConnectionId, ex);
    }
}
