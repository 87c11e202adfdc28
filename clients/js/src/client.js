// OiStream JavaScript client: protocol v1 of the OiStream hub (/hubs/oi) over @microsoft/signalr, for Node and the
// browser. It reconnects for as long as it lives and subscribes again to everything after a reconnect. It takes
// instruments and the overview table as deltas (what changed since the update before) and hands its users full
// states; when a delta does not follow the state it holds (an update was lost) it fetches that state again.
//
// This module imports nothing, so browsers load it as it is (the hub serves it at /oistream-client.js): SignalR is
// handed to it with useSignalR — by the package entry (index.js) in Node and bundlers, and by a page or worker from
// the global of SignalR's browser build (signalr.min.js), since its ESM build does not load in browsers and import
// maps do not reach workers.

/** @type {typeof import('@microsoft/signalr') | null} */
let signalR = null;

/** Hands the client the @microsoft/signalr module (or the global of its browser build). */
export function useSignalR(module) {
  if (!module || typeof module.HubConnectionBuilder !== 'function') {
    throw new TypeError('useSignalR needs the @microsoft/signalr module (or the signalR global of signalr.min.js).');
  }
  signalR = module;
}

/** The change windows of protocol v1 by default, shortest first; a hub may compute others: ask it with info(). */
export const WINDOWS = Object.freeze(['5m', '15m', '30m', '1h', '4h', '24h']);

/** The hub's methods (client → hub) by their protocol v1 names. */
export const METHODS = Object.freeze({
  subscribe: 'Subscribe', subscribeDeltas: 'SubscribeDeltas', unsubscribe: 'Unsubscribe', subscribeCoins: 'SubscribeCoins', unsubscribeCoins: 'UnsubscribeCoins',
  subscribeOverview: 'SubscribeOverview', unsubscribeOverview: 'UnsubscribeOverview',
  subscribeOverviewTable: 'SubscribeOverviewTable', subscribeOverviewDeltas: 'SubscribeOverviewDeltas', unsubscribeOverviewTable: 'UnsubscribeOverviewTable', getInfo: 'GetInfo',
});

/** The hub's event names (server → client) and the client's own lifecycle events. */
export const EVENTS = Object.freeze([
  'instrument', 'instrumentDelta', 'coin', 'overview', 'overviewTable', 'overviewDelta', 'signal', 'feedStatus', // from the hub
  'reconnecting', 'reconnected', 'closed', 'gap', 'error', // from this client
]);

const DEFAULT_RETRY_DELAYS_MS = [0, 1000, 2000, 5000, 10000, 30000];
const isBrowser = typeof window !== 'undefined' && typeof window.document !== 'undefined';

/**
 * Turns `http://host:port`, `http://host:port/` or `http://host:port/hubs/oi` into the hub URL.
 * @param {string | URL} url
 * @returns {string}
 */
export function hubUrl(url) {
  let parsed;
  try {
    parsed = new URL(String(url), isBrowser ? window.location.href : undefined);
  } catch {
    throw new TypeError(`'${url}' is not a URL. Give the hub's address, e.g. http://127.0.0.1:5000`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`'${url}' is not an http(s) URL. Give the hub's address, e.g. http://127.0.0.1:5000`);
  }
  const path = parsed.pathname.replace(/\/+$/, '');
  parsed.pathname = path.endsWith('/hubs/oi') ? path : `${path}/hubs/oi`;
  return parsed.toString();
}

/**
 * A client of the OiStream hub. Create it, register handlers with `on`, `start` it, then subscribe.
 */
export class OiStreamClient {
  /**
   * @param {string | URL} url the hub's address (`http://127.0.0.1:5000`) or its hub URL (`…/hubs/oi`)
   * @param {import('./index').OiStreamClientOptions} [options]
   */
  constructor(url, options = {}) {
    if (!signalR) {
      throw new Error('SignalR is not set: import @oistream/client (its entry sets it), or call useSignalR(signalR) first.');
    }
    this.url = hubUrl(url);
    const fallbacks = options.fallbackUrls ?? [];
    if (!Array.isArray(fallbacks)) {
      throw new TypeError('fallbackUrls must be an array of hub addresses, e.g. [\'http://127.0.0.1:5002\'].');
    }
    /** Every hub this client may use (the edges of a cluster): connects and reconnects move on when one is down. */
    this.urls = [this.url, ...fallbacks.map(hubUrl)];
    this._urlIndex = 0;
    const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    if (!Array.isArray(delays) || delays.length === 0 || delays.some((d) => !(d >= 0))) {
      throw new TypeError('retryDelaysMs must be a non-empty array of delays in milliseconds (>= 0).');
    }
    /** @type {Map<string, Set<Function>>} */
    this._handlers = new Map(EVENTS.map((e) => [e, new Set()]));
    /** @type {Map<string, any>} symbol → its state as last handed over (seq 0: none yet) */
    this._states = new Map();
    /** Deltas (the default) or protocol v1's full states on every update. */
    this._fullStates = options.fullStates === true;
    /** How to apply an instrumentDelta: one setter per field index (from SubscribeDeltas' answer). */
    this._setters = null;
    /** The overview table as held, for overviewDelta: { source, fields, signals, seqAt, rows: Map symbol → row }. */
    this._table = null;
    /** symbol → updates that arrived while its subscribe call was pending */
    this._holding = new Map();
    /** @type {Set<string>} */
    this._coins = new Set();
    this._overview = false;
    this._overviewTable = false;
    this._stopped = false;
    this.gapsDetected = 0;

    const webSocketsOnly = options.webSocketsOnly ?? !isBrowser;
    const connectionOptions = webSocketsOnly
      ? { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets }
      : {};
    if (options.apiKey != null) {
      if (typeof options.apiKey !== 'string' || options.apiKey.length === 0) {
        throw new TypeError('apiKey must be a non-empty string: one of the hub\'s OiStream:Security:ApiKeys.');
      }
      // SignalR sends it as a bearer header where it can, and as ?access_token= on browsers' WebSockets.
      const key = options.apiKey;
      connectionOptions.accessTokenFactory = () => key;
    }
    this._apiKey = options.apiKey ?? null;
    let builder = new signalR.HubConnectionBuilder().withUrl(this.url, connectionOptions);
    if (options.hubProtocol != null) {
      // e.g. new MessagePackHubProtocol() from @microsoft/signalr-protocol-msgpack: smaller messages than JSON.
      builder = builder.withHubProtocol(options.hubProtocol);
    }
    this._connection = builder
      // Never gives up: the last delay repeats until the hub is back or stop() is called.
      .withAutomaticReconnect({
        nextRetryDelayInMilliseconds: (ctx) => {
          // Asked before every attempt: with several hubs, each attempt goes to the next one.
          this._moveToNextUrl();
          return delays[Math.min(ctx.previousRetryCount, delays.length - 1)];
        },
      })
      .configureLogging(options.logLevel ?? signalR.LogLevel.None)
      .build();

    // Handlers must not return a value: SignalR would treat it as a client result.
    this._connection.on('instrument', (state) => {
      this._onUpdate(state);
    });
    this._connection.on('instrumentDelta', (delta) => {
      this._onUpdate(delta);
    });
    this._connection.on('coin', (state) => {
      this._emit('coin', state);
    });
    this._connection.on('overview', (rows) => {
      this._emit('overview', rows);
    });
    this._connection.on('overviewTable', (table) => {
      this._onTable(table);
    });
    this._connection.on('overviewDelta', (delta) => {
      this._onTableDelta(delta);
    });
    this._connection.on('signal', (event) => {
      this._emit('signal', event);
    });
    this._connection.on('feedStatus', (status) => {
      this._emit('feedStatus', status);
    });
    this._connection.onreconnecting((error) => {
      this._applyUrl();
      this._emit('reconnecting', error);
    });
    this._connection.onreconnected(() => {
      this._renew();
    });
    this._connection.onclose((error) => {
      this._emit('closed', error);
    });
  }

  /**
   * Registers a handler; returns a function that removes it.
   * @param {string} event one of EVENTS
   * @param {Function} handler
   * @returns {() => void}
   */
  on(event, handler) {
    const set = this._handlers.get(event);
    if (!set) {
      throw new TypeError(`Unknown event '${event}'. Use one of: ${EVENTS.join(', ')}.`);
    }
    if (typeof handler !== 'function') {
      throw new TypeError(`The handler for '${event}' must be a function.`);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  /** The SignalR connection state: 'Disconnected', 'Connecting', 'Connected', 'Disconnecting' or 'Reconnecting'. */
  get state() {
    return this._connection.state;
  }

  /** The symbols currently subscribed (upper case). */
  get symbols() {
    return [...this._states.keys()];
  }

  /**
   * Connects. Rejects with a message naming the URL when the hub cannot be reached (the automatic reconnect only
   * covers connections that were up once).
   */
  async start() {
    this._stopped = false;
    try {
      for (let tried = 1; ; tried++) {
        try {
          await this._connection.start();
          break;
        } catch (error) {
          if (tried >= this.urls.length) {
            throw error;
          }
          this._moveToNextUrl(); // this hub is down: the next one
        }
      }
    } catch (error) {
      const reason = error && error.message ? error.message : String(error);
      const wrapped = (await this._refusedKey())
        ? new Error(
          `The OiStream hub at ${this.url} refused the connection (401): it requires an API key. ` +
            'Pass one of its keys as the apiKey option.',
        )
        : new Error(
          `Could not connect to the OiStream hub at ${this.urls.length > 1 ? `any of ${this.urls.join(', ')}` : this.url}: ${reason}. ` +
            'Check that the hub is running (dotnet run --project src/OiStream.Server -- --simulate) and that the URL is right.',
        );
      wrapped.cause = error;
      throw wrapped;
    }
  }

  _moveToNextUrl() {
    if (this.urls.length > 1) {
      this._urlIndex = (this._urlIndex + 1) % this.urls.length;
      this.url = this.urls[this._urlIndex];
      this._applyUrl();
    }
  }

  // SignalR takes a new URL only while disconnected or reconnecting; its first retry delay is asked for before it
  // says it is reconnecting, so the onreconnecting handler applies the URL too.
  _applyUrl() {
    const state = this._connection.state;
    if ((state === signalR.HubConnectionState.Disconnected || state === signalR.HubConnectionState.Reconnecting) && this._connection.baseUrl !== this.url) {
      this._connection.baseUrl = this.url;
    }
  }

  // A WebSocket refused at the upgrade does not say why (Node's and browsers' sockets hide the status), so after a
  // failed start the hub's negotiate endpoint is asked once: a 401 there means a key is missing or wrong.
  async _refusedKey() {
    try {
      const headers = this._apiKey ? { Authorization: `Bearer ${this._apiKey}` } : {};
      const response = await fetch(`${this.url}/negotiate?negotiateVersion=1`, { method: 'POST', headers });
      return response.status === 401;
    } catch {
      return false;
    }
  }

  /** Disconnects for good (no reconnect). */
  async stop() {
    this._stopped = true;
    await this._connection.stop();
  }

  /**
   * Subscribes to instruments (Binance symbols, any case); resolves to their current state.
   * Rejects with the hub's message for an unknown symbol, an empty list or too many symbols.
   * @param {string[] | string} symbols
   */
  async subscribe(symbols) {
    const list = toList(symbols, 'symbols');
    // The hub joins the symbols' groups before it reads their snapshots, so an update can arrive before this call's
    // answer. Updates of symbols not yet subscribed are held until the snapshot is known, then the newer ones are
    // delivered in order (dropping them would leave a gap after the snapshot).
    const held = new Map();
    for (const symbol of list) {
      const key = symbol.toUpperCase();
      if (!this._states.has(key) && !this._holding.has(key)) {
        held.set(key, []);
        this._holding.set(key, held.get(key));
      }
    }
    try {
      const states = await this._subscribeStates(list);
      for (const s of states) {
        const held = this._states.get(s.symbol);
        if (!held || held.seq < s.seq) this._states.set(s.symbol, s);
      }
      return states;
    } finally {
      for (const [key, updates] of held) {
        this._holding.delete(key);
        for (const update of updates) {
          this._onUpdate(update);
        }
      }
    }
  }

  // Snapshots of these symbols, by the subscription this client uses (deltas unless fullStates).
  async _subscribeStates(list) {
    if (this._fullStates) {
      return this._invoke(METHODS.subscribe, list);
    }
    const answer = await this._invoke(METHODS.subscribeDeltas, list);
    this._setters = deltaSetters(answer.fields, answer.signals);
    return answer.states;
  }

  /** @param {string[] | string} symbols */
  async unsubscribe(symbols) {
    const list = toList(symbols, 'symbols');
    await this._invoke(METHODS.unsubscribe, list);
    for (const s of list) {
      this._states.delete(s.toUpperCase());
    }
  }

  /**
   * Subscribes to coin aggregates (e.g. 'BTC'); resolves to their current state.
   * @param {string[] | string} coins
   */
  async subscribeCoins(coins) {
    const states = await this._invoke(METHODS.subscribeCoins, toList(coins, 'coins'));
    for (const s of states) {
      this._coins.add(s.coin);
    }
    return states;
  }

  /** @param {string[] | string} coins */
  async unsubscribeCoins(coins) {
    const list = toList(coins, 'coins');
    await this._invoke(METHODS.unsubscribeCoins, list);
    for (const c of list) {
      this._coins.delete(c.toUpperCase());
    }
  }

  /** Subscribes to the whole table: resolves to every instrument's state; changed rows then arrive as 'overview'. */
  async subscribeOverview() {
    const rows = await this._invoke(METHODS.subscribeOverview);
    this._overview = true;
    return rows;
  }

  async unsubscribeOverview() {
    await this._invoke(METHODS.unsubscribeOverview);
    this._overview = false;
  }

  /**
   * Subscribes to the overview in table form, for pages that draw every instrument every second: resolves to the
   * whole table `{ source, fields, signals, rows }` (each row an array in `fields` order; see tableIndex); the same
   * batches as 'overview' then arrive as 'overviewTable', at about a fifth of the bytes.
   */
  async subscribeOverviewTable() {
    const table = await this._subscribeTable();
    this._overviewTable = true;
    return table;
  }

  async unsubscribeOverviewTable() {
    await this._invoke(METHODS.unsubscribeOverviewTable);
    this._overviewTable = false;
    this._table = null;
  }

  async _subscribeTable() {
    if (this._fullStates) {
      return this._invoke(METHODS.subscribeOverviewTable);
    }
    const table = await this._invoke(METHODS.subscribeOverviewDeltas);
    this._table = {
      source: table.source, fields: table.fields, signals: table.signals, seqAt: table.fields.indexOf('seq'),
      rows: new Map(table.rows.map((row) => [row[0], row])),
    };
    return table;
  }

  // SignalR wraps the hub's message in "An unexpected error occurred invoking 'X' on the server. HubException: …";
  // users want the hub's message itself, which names the problem and the fix.
  /**
   * What the hub computes and allows: `{ protocol, windows, publishIntervalMs, maxSymbolsPerConnection, signals, source }`.
   * Read the windows from here rather than assuming WINDOWS.
   */
  async info() {
    return this._invoke(METHODS.getInfo);
  }

  async _invoke(method, ...args) {
    try {
      return await this._connection.invoke(method, ...args);
    } catch (error) {
      const match = /HubException: ([\s\S]*)$/.exec(error?.message ?? '');
      if (match) {
        const clean = new Error(match[1]);
        clean.cause = error;
        throw clean;
      }
      throw error;
    }
  }

  _emit(event, payload) {
    for (const handler of this._handlers.get(event)) {
      try {
        handler(payload);
      } catch (error) {
        // One faulty handler must not starve the others or break the connection.
        if (event !== 'error') {
          this._emit('error', error);
        }
      }
    }
  }

  // A full state (an 'instrument' event, or a snapshot) or a delta ('instrumentDelta', which has `base`).
  _onUpdate(update) {
    const holding = this._holding.get(update.symbol);
    if (holding) {
      holding.push(update); // its subscribe call has not answered yet
      return;
    }
    const held = this._states.get(update.symbol);
    if (!held) {
      return; // unsubscribed meanwhile
    }
    if (update.seq <= held.seq) {
      return; // older than what we have (e.g. after a resync)
    }
    if (update.base === undefined) {
      // A full state: whatever came between is in it (the hub coalesces a slow client's updates this way).
      this._states.set(update.symbol, update);
      this._emit('instrument', update);
      return;
    }
    if (update.base !== held.seq || !this._setters) {
      // This delta follows a state we never got: an update was lost. Fetch the state again and say so.
      this.gapsDetected++;
      this._emit('gap', { symbol: update.symbol, expected: held.seq, got: update.base });
      this._subscribeStates([update.symbol]).then(
        (states) => states.forEach((s) => this._onUpdate(s)),
        () => {}, // disconnected meanwhile: the reconnect renews every subscription anyway
      );
      return;
    }
    let state;
    try {
      state = applyDelta(held, update, this._setters);
    } catch (error) {
      this._emit('error', error);
      return;
    }
    this._states.set(update.symbol, state);
    this._emit('instrument', state);
  }

  // A whole table (a slow client's coalesced overview, or a resync): it replaces every row it holds newer.
  _onTable(table) {
    const held = this._table;
    if (held) {
      for (const row of table.rows) {
        const mine = held.rows.get(row[0]);
        if (!mine || mine[held.seqAt] <= row[held.seqAt]) held.rows.set(row[0], row);
      }
    }
    this._emit('overviewTable', table);
  }

  _onTableDelta(delta) {
    const table = this._table;
    if (!table) return;
    const changed = [];
    for (const entry of delta.rows) {
      const [symbol, base] = entry;
      const mine = table.rows.get(symbol);
      let seq = null;
      for (let k = 2; k < entry.length; k += 2) {
        if (entry[k] === table.seqAt) seq = entry[k + 1];
      }
      if (mine && seq !== null && mine[table.seqAt] >= seq) continue; // older than what we have
      if (base !== 0 && (!mine || mine[table.seqAt] !== base)) {
        // A row delta that does not follow the row we hold: a batch was lost. Take the whole table again.
        this.gapsDetected++;
        this._emit('gap', { symbol, expected: mine ? mine[table.seqAt] : null, got: base });
        this._subscribeTable().then((t) => this._emit('overviewTable', t), () => {});
        return;
      }
      const row = base === 0 || !mine ? new Array(table.fields.length).fill(null) : mine.slice();
      for (let k = 2; k < entry.length; k += 2) row[entry[k]] = entry[k + 1];
      table.rows.set(symbol, row);
      changed.push(row);
    }
    if (changed.length > 0) {
      this._emit('overviewTable', { source: table.source, fields: table.fields, signals: table.signals, rows: changed });
    }
  }

  async _renew() {
    // A restarted hub may still be loading its instruments: retry until it accepts every subscription.
    for (let attempt = 1; !this._stopped && this.state === signalR.HubConnectionState.Connected; attempt++) {
      try {
        const symbols = this.symbols;
        if (symbols.length > 0) {
          // A restarted hub counts seq from its own start: take its states whatever their seq. Another edge of a
          // cluster sends the leader's seq: the state held already is not handed over twice.
          const held = new Map(symbols.map((s) => [s, this._states.get(s)]));
          for (const s of symbols) {
            this._states.set(s, { symbol: s, seq: 0 });
          }
          for (const s of await this._subscribeStates(symbols)) {
            const before = held.get(s.symbol);
            if (before && before.seq === s.seq && before.source === s.source && this._states.get(s.symbol)?.seq === 0) {
              this._states.set(s.symbol, before);
              continue;
            }
            this._onUpdate(s);
          }
        }
        if (this._coins.size > 0) {
          for (const c of await this._invoke(METHODS.subscribeCoins, [...this._coins])) {
            this._emit('coin', c);
          }
        }
        if (this._overview) {
          this._emit('overview', await this._invoke(METHODS.subscribeOverview));
        }
        if (this._overviewTable) {
          this._emit('overviewTable', await this._subscribeTable());
        }
        this._emit('reconnected', undefined);
        return;
      } catch (error) {
        this._emit('error', error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * attempt)));
      }
    }
  }
}

// One setter per delta field index: 'markPrice' sets state.markPrice, 'change.5m' sets state.change['5m'] (the block
// copied once per delta), 'signal.5m' maps a quadrant index to its name, 'stale' maps 0/1 to a boolean.
function deltaSetters(fields, signals) {
  return fields.map((name) => {
    const dot = name.indexOf('.');
    if (dot < 0) {
      return name === 'stale' ? (state, v) => { state.stale = v === 1; } : (state, v) => { state[name] = v; };
    }
    const block = name.slice(0, dot);
    const window = name.slice(dot + 1);
    if (block === 'signal') return (state, v) => { state.signal[window] = v == null ? null : signals[v]; };
    return (state, v) => { state[block][window] = v; };
  });
}

function applyDelta(held, delta, setters) {
  const state = {
    ...held, seq: delta.seq,
    change: { ...held.change }, changeUsd: { ...held.changeUsd }, priceChange: { ...held.priceChange }, signal: { ...held.signal },
  };
  const set = delta.set;
  for (let k = 0; k < set.length; k += 2) {
    const setter = setters[set[k]];
    if (!setter) throw new Error(`A delta of ${delta.symbol} sets field ${set[k]}, which the hub did not list: update the client.`);
    setter(state, set[k + 1]);
  }
  return state;
}

function toList(value, what) {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : null;
  if (!list || list.some((v) => typeof v !== 'string')) {
    throw new TypeError(`${what} must be a string or an array of strings, e.g. ['BTCUSDT', 'ETHUSDT'].`);
  }
  return list;
}

/**
 * Formats a number for people: 1234567 → '1.23M', 0.000123 → '0.000123'.
 * @param {number | null | undefined} value
 * @param {number} [digits=2]
 */
export function formatCompact(value, digits = 2) {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '—';
  }
  const abs = Math.abs(value);
  for (const [limit, suffix] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']]) {
    if (abs >= limit) {
      return `${(value / limit).toFixed(digits)}${suffix}`;
    }
  }
  if (abs >= 1) {
    return value.toFixed(digits);
  }
  return abs === 0 ? '0' : value.toPrecision(3);
}

/**
 * Field positions of an overview table: `tableIndex(table).markPrice` is the index of the mark price in each row.
 * @param {{ fields: string[] }} table
 * @returns {Record<string, number>}
 */
export function tableIndex(table) {
  return Object.fromEntries(table.fields.map((name, i) => [name, i]));
}

/**
 * One table row as an InstrumentState-shaped object (the change, priceChange and signal blocks rebuilt, `source` from
 * the table; changeUsd is not in the table: it is (1 + change) × (1 + priceChange) − 1).
 * Convenient, not fast: a page drawing every row every second should read the arrays.
 */
export function tableRowToState(table, row) {
  const state = { source: table.source, change: {}, priceChange: {}, signal: {} };
  table.fields.forEach((name, i) => {
    const dot = name.indexOf('.');
    if (dot < 0) state[name] = row[i];
    else if (name.startsWith('change.')) state.change[name.slice(dot + 1)] = row[i];
    else if (name.startsWith('priceChange.')) state.priceChange[name.slice(dot + 1)] = row[i];
    else state.signal[name.slice(dot + 1)] = row[i] == null ? null : table.signals[row[i]];
  });
  return state;
}

/**
 * Formats a change in percent with its sign: 2.2671 → '+2.27 %'.
 * @param {number | null | undefined} value
 */
export function formatPercent(value, digits = 2) {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '—';
  }
  // The sign follows the rounded figure: -0.001 reads "0.00 %", not "−0.00 %".
  const text = Math.abs(value).toFixed(digits);
  const sign = Number(text) === 0 ? '' : value > 0 ? '+' : '−';
  return `${sign}${text} %`;
}
