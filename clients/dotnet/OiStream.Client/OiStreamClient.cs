using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using OiStream.Contracts;

namespace OiStream.Client;

/// <summary>
/// A client of the OiStream hub (<c>/hubs/oi</c>, protocol v1). It reconnects by itself and subscribes again to
/// everything after a reconnect. It takes instruments as deltas (unless <see cref="OiStreamClientOptions.FullStates"/>)
/// and hands over full states; when a delta does not follow the state it holds (an update was lost) it fetches that
/// instrument's current state again and hands it over as an ordinary update.
/// </summary>
public sealed class OiStreamClient : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly FailoverConnectionFactory? _failover;
    private readonly ConcurrentDictionary<string, byte> _symbols = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> _coins = new(StringComparer.OrdinalIgnoreCase);
    // Each subscribed symbol's state as last handed over; deltas apply to it (under _stateGate).
    private readonly Dictionary<string, InstrumentState> _states = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _stateGate = new();
    // Symbols whose Subscribe has not answered yet, with the updates (states or deltas) that arrived meanwhile.
    private readonly Dictionary<string, List<(long Seq, object Update)>> _awaiting = new(StringComparer.OrdinalIgnoreCase);
    private readonly bool _fullStates;
    private volatile InstrumentFields? _fields;
    private readonly HashSet<(string, string, string, long)> _recentSignals = [];
    private readonly Queue<(string, string, string, long)> _recentSignalOrder = new();
    private volatile bool _overview;
    private long _gaps;

    /// <summary>
    /// Creates a client for a hub URL such as <c>http://localhost:5000/hubs/oi</c> (or the hub's address,
    /// <c>http://localhost:5000</c>). Call <see cref="StartAsync"/>.
    /// </summary>
    /// <param name="hubUrl">The hub.</param>
    /// <param name="reconnectDelays">Delays between reconnect attempts; the last one repeats until the hub is back.</param>
    /// <param name="apiKey">The API key of a hub that requires one (<c>OiStream:Security:ApiKeys</c>), sent as a bearer token.</param>
    public OiStreamClient(Uri hubUrl, TimeSpan[]? reconnectDelays = null, string? apiKey = null)
        : this(hubUrl, new OiStreamClientOptions { ReconnectDelays = reconnectDelays ?? OiStreamClientOptions.DefaultReconnectDelays, ApiKey = apiKey })
    {
    }

    /// <summary>Creates a client for <paramref name="hubUrl"/> with <paramref name="options"/> (transports, protocol, key, reconnects).</summary>
    public OiStreamClient(Uri hubUrl, OiStreamClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(hubUrl);
        ArgumentNullException.ThrowIfNull(options);
        HubUrl = NormalizeHubUrl(hubUrl);
        // SignalR's own client: negotiation and its transport fallbacks (WebSockets, then Server-Sent Events, then
        // long polling), or WebSockets straight away when negotiation is skipped.
        void Configure(HttpConnectionOptions o)
        {
            o.Transports = options.Transports;
            o.SkipNegotiation = options.SkipNegotiation;
            if (options.ApiKey is { Length: > 0 } key)
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(key);
            }
        }
        var builder = new HubConnectionBuilder()
            .WithUrl(HubUrl, Configure)
            .WithAutomaticReconnect(new ForeverRetryPolicy([.. options.ReconnectDelays]));
        if (options.Protocol == OiStreamProtocol.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }
        if (options.FallbackHubUrls is { Count: > 0 } fallbacks)
        {
            // Several hubs (the edges of a cluster): connects and reconnects go to the next when one is down.
            _failover = new FailoverConnectionFactory([HubUrl, .. fallbacks.Select(NormalizeHubUrl)], Configure,
                Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IConnectionFactory>(_failover);
        }
        _fullStates = options.FullStates;
        _connection = builder.Build();
        _connection.On<InstrumentState>(HubEvents.Instrument, OnInstrument);
        _connection.On<InstrumentDelta>(HubEvents.InstrumentDelta, OnDelta);
        _connection.On<CoinState>(HubEvents.Coin, s => CoinReceived?.Invoke(s));
        _connection.On<InstrumentState[]>(HubEvents.Overview, rows => OverviewReceived?.Invoke(rows));
        _connection.On<SignalEvent>(HubEvents.Signal, OnSignal);
        _connection.On<FeedStatus>(HubEvents.FeedStatus, s => FeedStatusReceived?.Invoke(s));
        _connection.Reconnecting += ex =>
        {
            Reconnecting?.Invoke(ex);
            return Task.CompletedTask;
        };
        _connection.Reconnected += connectionId =>
        {
            // A restarted hub may still be loading instruments: renew subscriptions in the background, with retries.
            _ = RenewAsync();
            return Task.CompletedTask;
        };
        _connection.Closed += ex =>
        {
            Closed?.Invoke(ex);
            return Task.CompletedTask;
        };
    }

    /// <summary>An instrument update (including a state fetched again after a seq gap).</summary>
    public event Action<InstrumentState>? InstrumentReceived;

    /// <summary>A coin aggregate update.</summary>
    public event Action<CoinState>? CoinReceived;

    /// <summary>A batch of changed overview rows.</summary>
    public event Action<IReadOnlyList<InstrumentState>>? OverviewReceived;

    /// <summary>A signal event.</summary>
    public event Action<SignalEvent>? SignalReceived;

    /// <summary>A feed status change.</summary>
    public event Action<FeedStatus>? FeedStatusReceived;

    /// <summary>The connection was lost; the client is reconnecting.</summary>
    public event Action<Exception?>? Reconnecting;

    /// <summary>The connection is back and every subscription is renewed (retried until the hub accepts them).</summary>
    public event Action? Reconnected;

    /// <summary>The connection is closed for good (stopped, or reconnecting gave up).</summary>
    public event Action<Exception?>? Closed;

    /// <summary>The hub URL this client connects to first (ends in <c>/hubs/oi</c>).</summary>
    public Uri HubUrl { get; }

    /// <summary>The hub URL of the connection made last: <see cref="HubUrl"/> or one of <see cref="OiStreamClientOptions.FallbackHubUrls"/>.</summary>
    public Uri ConnectedHubUrl => _failover?.Current ?? HubUrl;

    /// <summary>Connection state.</summary>
    public HubConnectionState State => _connection.State;

    /// <summary>Deltas that did not follow the state held, i.e. lost updates, seen so far (each one resynchronised).</summary>
    public long GapsDetected => Interlocked.Read(ref _gaps);

    /// <summary>
    /// Connects. A hub that cannot be reached throws <see cref="HubUnreachableException"/> naming the URL (the
    /// automatic reconnect only covers a connection that was up once).
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _connection.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or HttpRequestException or System.Net.Sockets.SocketException or IOException
            or AggregateException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            // SignalR reports a failure of every transport as an AggregateException, and no transport as InvalidOperationException.
            throw new HubUnreachableException(_failover is null ? HubUrl : ConnectedHubUrl, ex);
        }
    }

    /// <summary>Disconnects.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _connection.StopAsync(cancellationToken);

    /// <summary>Subscribes to instruments; returns their current state. Unknown symbols throw a <c>HubException</c> naming them.</summary>
    public async Task<InstrumentState[]> SubscribeAsync(IEnumerable<string> symbols, CancellationToken cancellationToken = default)
    {
        var list = symbols.Select(s => s.Trim()).ToArray();
        // The hub joins the topic, then reads the snapshot: an update can arrive before this answer, older or newer than
        // the snapshot. Such updates wait until the answer is in; then only those newer than the snapshot go out.
        lock (_awaiting)
        {
            foreach (var s in list)
            {
                _awaiting.TryAdd(s, []);
            }
        }
        InstrumentState[] states;
        var held = new List<(long Seq, object Update)>();
        try
        {
            states = await SubscribeStatesAsync(list, cancellationToken);
            lock (_stateGate)
            {
                foreach (var s in states)
                {
                    _symbols[s.Symbol] = 0;
                    if (!_states.TryGetValue(s.Symbol, out var mine) || mine.Seq < s.Seq)
                    {
                        _states[s.Symbol] = s;
                    }
                }
            }
        }
        finally
        {
            lock (_awaiting)
            {
                foreach (var s in list)
                {
                    if (_awaiting.Remove(s, out var waiting))
                    {
                        held.AddRange(waiting);
                    }
                }
            }
        }
        foreach (var (_, update) in held.OrderBy(h => h.Seq))
        {
            Dispatch(update);
        }
        return states;
    }

    // Snapshots by the subscription this client uses: deltas (the field layout comes with them) or full states.
    private async Task<InstrumentState[]> SubscribeStatesAsync(string[] list, CancellationToken cancellationToken)
    {
        if (_fullStates)
        {
            return await InvokeAsync<InstrumentState[]>(HubMethods.Subscribe, [list], cancellationToken);
        }
        var answer = await InvokeAsync<DeltaSubscription>(HubMethods.SubscribeDeltas, [list], cancellationToken);
        _fields = InstrumentFields.FromNames(answer.Fields);
        return [.. answer.States];
    }

    /// <summary>Unsubscribes from instruments.</summary>
    public async Task UnsubscribeAsync(IEnumerable<string> symbols, CancellationToken cancellationToken = default)
    {
        var list = symbols.ToArray();
        await InvokeAsync<object>(HubMethods.Unsubscribe, [list], cancellationToken);
        lock (_stateGate)
        {
            foreach (var s in list)
            {
                _symbols.TryRemove(s, out _);
                _states.Remove(s);
            }
        }
    }

    /// <summary>Subscribes to coin aggregates (e.g. BTC); returns their current state.</summary>
    public async Task<CoinState[]> SubscribeCoinsAsync(IEnumerable<string> coins, CancellationToken cancellationToken = default)
    {
        var states = await InvokeAsync<CoinState[]>(HubMethods.SubscribeCoins, [coins.ToArray()], cancellationToken);
        foreach (var s in states)
        {
            _coins[s.Coin] = 0;
        }
        return states;
    }

    /// <summary>Unsubscribes from coin aggregates.</summary>
    public async Task UnsubscribeCoinsAsync(IEnumerable<string> coins, CancellationToken cancellationToken = default)
    {
        var list = coins.ToArray();
        await InvokeAsync<object>(HubMethods.UnsubscribeCoins, [list], cancellationToken);
        foreach (var c in list)
        {
            _coins.TryRemove(c, out _);
        }
    }

    /// <summary>What the hub computes and allows (its windows, publish interval, symbol limit): read the windows from here.</summary>
    public Task<HubInfo> GetInfoAsync(CancellationToken cancellationToken = default) =>
        InvokeAsync<HubInfo>(HubMethods.GetInfo, [], cancellationToken);

    /// <summary>Subscribes to the whole table; returns every instrument's state, then batched <c>overview</c> updates.</summary>
    public async Task<InstrumentState[]> SubscribeOverviewAsync(CancellationToken cancellationToken = default)
    {
        var rows = await InvokeAsync<InstrumentState[]>(HubMethods.SubscribeOverview, [], cancellationToken);
        _overview = true;
        return rows;
    }

    /// <summary>
    /// Parses what a user typed for the hub (<c>http://127.0.0.1:5000</c> or its <c>/hubs/oi</c> URL); on failure,
    /// <paramref name="error"/> says what is wrong and what to give.
    /// </summary>
    public static bool TryParseHubUrl(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? hubUrl, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        try
        {
            hubUrl = NormalizeHubUrl(new Uri(text ?? "", UriKind.Absolute));
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException)
        {
            hubUrl = null;
            error = $"'{text}' is not a hub URL. Give the hub's address, e.g. --url http://127.0.0.1:5000";
            return false;
        }
    }

    /// <summary>
    /// <c>http://host:port</c> or <c>http://host:port/</c> → <c>http://host:port/hubs/oi</c>; a hub URL stays as it is.
    /// </summary>
    public static Uri NormalizeHubUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{url}' is not an http(s) URL. Give the hub's address, e.g. http://127.0.0.1:5000", nameof(url));
        }
        var path = url.AbsolutePath.TrimEnd('/');
        return path.EndsWith("/hubs/oi", StringComparison.OrdinalIgnoreCase) ? url : new UriBuilder(url) { Path = path + "/hubs/oi" }.Uri;
    }

    /// <summary>Stops overview updates.</summary>
    public async Task UnsubscribeOverviewAsync(CancellationToken cancellationToken = default)
    {
        await InvokeAsync<object>(HubMethods.UnsubscribeOverview, [], cancellationToken);
        _overview = false;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private void Dispatch(object update)
    {
        if (update is InstrumentDelta delta)
        {
            OnDelta(delta);
        }
        else
        {
            OnInstrument((InstrumentState)update);
        }
    }

    // True when the update waits for its Subscribe's answer.
    private bool Held(string symbol, long seq, object update)
    {
        lock (_awaiting)
        {
            if (_awaiting.TryGetValue(symbol, out var waiting))
            {
                waiting.Add((seq, update));
                return true;
            }
            return false;
        }
    }

    // A full state: whatever came between is in it (the hub coalesces a slow client's updates to full states).
    private void OnInstrument(InstrumentState state)
    {
        if (Held(state.Symbol, state.Seq, state))
        {
            return;
        }
        lock (_stateGate)
        {
            if (!_states.TryGetValue(state.Symbol, out var mine) || state.Seq <= mine.Seq)
            {
                return; // unsubscribed meanwhile, or older than what we have (e.g. after a resync)
            }
            _states[state.Symbol] = state;
        }
        InstrumentReceived?.Invoke(state);
    }

    private void OnDelta(InstrumentDelta delta)
    {
        if (Held(delta.Symbol, delta.Seq, delta))
        {
            return;
        }
        InstrumentState next;
        lock (_stateGate)
        {
            if (!_states.TryGetValue(delta.Symbol, out var mine) || delta.Seq <= mine.Seq)
            {
                return;
            }
            if (delta.Base != mine.Seq || _fields is not { } fields || !TryApply(fields, mine, delta, out next))
            {
                // It follows a state we never got: an update was lost. Fetch the state again.
                Interlocked.Increment(ref _gaps);
                _ = ResyncAsync(delta.Symbol);
                return;
            }
            _states[delta.Symbol] = next;
        }
        InstrumentReceived?.Invoke(next);
    }

    private static bool TryApply(InstrumentFields fields, InstrumentState state, InstrumentDelta delta, out InstrumentState next)
    {
        try
        {
            next = fields.Apply(state, delta);
            return true;
        }
        catch (FormatException)
        {
            next = state;
            return false;
        }
    }

    /// <summary>
    /// Invokes a hub method. SignalR prefixes the hub's message with "An unexpected error occurred invoking 'X' on the
    /// server. HubException: "; callers get the hub's own message, which names the problem and the fix.
    /// </summary>
    private async Task<T> InvokeAsync<T>(string method, object?[] args, CancellationToken cancellationToken)
    {
        try
        {
            return await _connection.InvokeCoreAsync<T>(method, args, cancellationToken);
        }
        catch (HubException ex)
        {
            const string marker = "HubException: ";
            var at = ex.Message.IndexOf(marker, StringComparison.Ordinal);
            throw at < 0 ? ex : new HubException(ex.Message[(at + marker.Length)..], ex);
        }
    }

    private void OnSignal(SignalEvent signal)
    {
        // A connection in both a symbol's group and the overview group hears a signal twice; hand it over once.
        var key = (signal.Kind, signal.Symbol ?? signal.Coin, signal.Window, signal.Time);
        lock (_recentSignals)
        {
            if (_recentSignals.Contains(key))
            {
                return;
            }
            _recentSignals.Add(key);
            _recentSignalOrder.Enqueue(key);
            if (_recentSignalOrder.Count > 256)
            {
                _recentSignals.Remove(_recentSignalOrder.Dequeue());
            }
        }
        SignalReceived?.Invoke(signal);
    }

    private async Task ResyncAsync(string symbol)
    {
        try
        {
            foreach (var s in await SubscribeStatesAsync([symbol], CancellationToken.None))
            {
                OnInstrument(s);
            }
        }
        catch (Exception ex) when (ex is HubException or InvalidOperationException or OperationCanceledException)
        {
            // Disconnected meanwhile: the reconnect renews every subscription anyway.
        }
    }

    private async Task RenewAsync()
    {
        for (var attempt = 1; _connection.State == HubConnectionState.Connected; attempt++)
        {
            try
            {
                await ResubscribeAsync(CancellationToken.None);
                Reconnected?.Invoke();
                return;
            }
            catch (Exception ex) when (ex is HubException or InvalidOperationException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 250 * attempt)));
            }
        }
    }

    private async Task ResubscribeAsync(CancellationToken cancellationToken)
    {
        if (!_symbols.IsEmpty)
        {
            // A restarted hub counts seq from its own start: its states replace ours whatever their seq. Another edge
            // of a cluster sends the leader's seq: the state held already is not handed over twice.
            foreach (var s in await SubscribeStatesAsync([.. _symbols.Keys], cancellationToken))
            {
                lock (_stateGate)
                {
                    if (!_symbols.ContainsKey(s.Symbol) || (_states.TryGetValue(s.Symbol, out var held) && held.Seq == s.Seq && held.Source == s.Source))
                    {
                        continue;
                    }
                    _states[s.Symbol] = s;
                }
                InstrumentReceived?.Invoke(s);
            }
        }
        if (!_coins.IsEmpty)
        {
            foreach (var c in await _connection.InvokeAsync<CoinState[]>(HubMethods.SubscribeCoins, _coins.Keys.ToArray(), cancellationToken))
            {
                CoinReceived?.Invoke(c);
            }
        }
        if (_overview)
        {
            // The whole table again: rows changed while the connection was down.
            OverviewReceived?.Invoke(await _connection.InvokeAsync<InstrumentState[]>(HubMethods.SubscribeOverview, cancellationToken));
        }
    }
}

/// <summary>Reconnects for as long as the client lives: the given delays, then the last one again and again.</summary>
internal sealed class ForeverRetryPolicy(TimeSpan[] delays) : IRetryPolicy
{
    private readonly TimeSpan[] _delays = delays.Length > 0 ? delays : throw new ArgumentException("Give at least one reconnect delay.", nameof(delays));

    public TimeSpan? NextRetryDelay(RetryContext retryContext) => _delays[(int)Math.Min(retryContext.PreviousRetryCount, _delays.Length - 1)];
}

/// <summary>The hub could not be reached at all (wrong URL, hub down).</summary>
public sealed class HubUnreachableException(Uri hubUrl, Exception inner)
    : Exception(Describe(hubUrl, inner), inner)
{
    /// <summary>True when the hub answered 401: it requires an API key, and none or a wrong one was sent.</summary>
    public bool Unauthorized { get; } = IsUnauthorized(inner);

    private static bool IsUnauthorized(Exception? inner)
    {
        for (; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException { StatusCode: System.Net.HttpStatusCode.Unauthorized }
                || inner.Message.Contains("'401'", StringComparison.Ordinal) || inner.Message.Contains("401 (Unauthorized)", StringComparison.Ordinal))
            {
                return true;
            }
            if (inner is AggregateException { InnerExceptions: var all } && all.Any(IsUnauthorized))
            {
                return true;
            }
        }
        return false;
    }

    private static string Describe(Uri hubUrl, Exception inner) => IsUnauthorized(inner)
        ? $"The OiStream hub at {hubUrl} refused the connection (401): it requires an API key. Pass one of its keys (--api-key KEY, or OISTREAM_API_KEY)."
        : $"Could not connect to the OiStream hub at {hubUrl}: {inner?.Message}. Check that the hub is running (dotnet run --project src/OiStream.Server -- --simulate) and that the URL is right.";

    /// <summary>The URL that was tried.</summary>
    public Uri HubUrl { get; } = hubUrl;
}

/// <summary>How an <see cref="OiStreamClient"/> connects.</summary>
public sealed class OiStreamClientOptions
{
    /// <summary>0 s, 1 s, 2 s, 5 s, 10 s, then 30 s for ever.</summary>
    public static IReadOnlyList<TimeSpan> DefaultReconnectDelays { get; } =
        [TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)];

    /// <summary>Delays between reconnect attempts; the last one repeats until the hub is back.</summary>
    public IReadOnlyList<TimeSpan> ReconnectDelays { get; init; } = DefaultReconnectDelays;

    /// <summary>The API key of a hub that requires one, sent as a bearer token.</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// The transports to try, in SignalR's order (WebSockets, Server-Sent Events, long polling); default all, so the
    /// client gets through proxies that do not pass WebSockets.
    /// </summary>
    public HttpTransportType Transports { get; init; } = HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling;

    /// <summary>Connect by WebSockets without the negotiate request (one round trip less; WebSockets only).</summary>
    public bool SkipNegotiation { get; init; }

    /// <summary>
    /// Take protocol v1's full state on every update (<c>Subscribe</c>) instead of deltas (the default,
    /// <c>SubscribeDeltas</c>: a fifth of the bytes). Either way the client hands over full states.
    /// </summary>
    public bool FullStates { get; init; }

    /// <summary>The hub protocol: JSON (default) or MessagePack (smaller messages; docs/protocol.md has the figures).</summary>
    public OiStreamProtocol Protocol { get; init; } = OiStreamProtocol.Json;

    /// <summary>
    /// Other hubs serving the same market (the edges of a cluster), tried in turn when the one in use cannot be
    /// reached: at start and at every reconnect, which then subscribes again there. Empty: one hub (or one load
    /// balancer's URL).
    /// </summary>
    public IReadOnlyList<Uri> FallbackHubUrls { get; init; } = [];
}

/// <summary>A SignalR hub protocol the OiStream hub speaks.</summary>
public enum OiStreamProtocol
{
    /// <summary>SignalR's JSON protocol.</summary>
    Json,

    /// <summary>SignalR's MessagePack protocol.</summary>
    MessagePack,
}
