// OiStream JavaScript client: protocol v1 of the OiStream hub (/hubs/oi) over @microsoft/signalr, for Node and the
// browser. It reconnects for as long as it lives, subscribes again to everything after a reconnect, and when an
// instrument's `seq` skips a number (an update was missed) it fetches that instrument's state again.
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
  subscribe: 'Subscribe', unsubscribe: 'Unsubscribe', subscribeCoins: 'SubscribeCoins', unsubscribeCoins: 'UnsubscribeCoins',
  subscribeOverview: 'SubscribeOverview', unsubscribeOverview: 'UnsubscribeOverview',
  subscribeOverviewTable: 'SubscribeOverviewTable', unsubscribeOverviewTable: 'UnsubscribeOverviewTable', getInfo: 'GetInfo',
});

/** The hub's event names (server → client) and the client's own lifecycle events. */
export const EVENTS = Object.freeze([
  'instrument', 'coin', 'overview', 'overviewTable', 'signal', 'feedStatus', // from the hub
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
    const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    if (!Array.isArray(delays) || delays.length === 0 || delays.some((d) => !(d >= 0))) {
      throw new TypeError('retryDelaysMs must be a non-empty array of delays in milliseconds (>= 0).');
    }
    /** @type {Map<string, Set<Function>>} */
    this._handlers = new Map(EVENTS.map((e) => [e, new Set()]));
    /** @type {Map<string, number>} symbol → last seq */
    this._lastSeq = new Map();
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
        nextRetryDelayInMilliseconds: (ctx) => delays[Math.min(ctx.previousRetryCount, delays.length - 1)],
      })
      .configureLogging(options.logLevel ?? signalR.LogLevel.None)
      .build();

    // Handlers must not return a value: SignalR would treat it as a client result.
    this._connection.on('instrument', (state) => {
      this._onInstrument(state);
    });
    this._connection.on('coin', (state) => {
      this._emit('coin', state);
    });
    this._connection.on('overview', (rows) => {
      this._emit('overview', rows);
    });
    this._connection.on('overviewTable', (table) => {
      this._emit('overviewTable', table);
    });
    this._connection.on('signal', (event) => {
      this._emit('signal', event);
    });
    this._connection.on('feedStatus', (status) => {
      this._emit('feedStatus', status);
    });
    this._connection.onreconnecting((error) => {
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
    return [...this._lastSeq.keys()];
  }

  /**
   * Connects. Rejects with a message naming the URL when the hub cannot be reached (the automatic reconnect only
   * covers connections that were up once).
   */
  async start() {
    this._stopped = false;
    try {
      await this._connection.start();
    } catch (error) {
      const reason = error && error.message ? error.message : String(error);
      const wrapped = (await this._refusedKey())
        ? new Error(
          `The OiStream hub at ${this.url} refused the connection (401): it requires an API key. ` +
            'Pass one of its keys as the apiKey option.',
        )
        : new Error(
          `Could not connect to the OiStream hub at ${this.url}: ${reason}. ` +
            'Check that the hub is running (dotnet run --project src/OiStream.Server -- --simulate) and that the URL is right.',
        );
      wrapped.cause = error;
      throw wrapped;
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
      if (!this._lastSeq.has(key) && !this._holding.has(key)) {
        held.set(key, []);
        this._holding.set(key, held.get(key));
      }
    }
    try {
      const states = await this._invoke(METHODS.subscribe, list);
      for (const s of states) {
        this._lastSeq.set(s.symbol, s.seq);
      }
      return states;
    } finally {
      for (const [key, updates] of held) {
        this._holding.delete(key);
        for (const update of updates) {
          this._onInstrument(update);
        }
      }
    }
  }

  /** @param {string[] | string} symbols */
  async unsubscribe(symbols) {
    const list = toList(symbols, 'symbols');
    await this._invoke(METHODS.unsubscribe, list);
    for (const s of list) {
      this._lastSeq.delete(s.toUpperCase());
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
    const table = await this._invoke(METHODS.subscribeOverviewTable);
    this._overviewTable = true;
    return table;
  }

  async unsubscribeOverviewTable() {
    await this._invoke(METHODS.unsubscribeOverviewTable);
    this._overviewTable = false;
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

  _onInstrument(state) {
    const holding = this._holding.get(state.symbol);
    if (holding) {
      holding.push(state); // its subscribe call has not answered yet
      return;
    }
    if (!this._lastSeq.has(state.symbol)) {
      return; // unsubscribed meanwhile
    }
    const last = this._lastSeq.get(state.symbol);
    if (state.seq <= last) {
      return; // older than what we have (e.g. after a resync)
    }
    this._lastSeq.set(state.symbol, state.seq);
    this._emit('instrument', state);
    if (last > 0 && state.seq > last + 1) {
      // A missed update: this state is complete, but refresh from the hub to be sure and say so.
      this.gapsDetected++;
      this._emit('gap', { symbol: state.symbol, expected: last + 1, got: state.seq });
      this._invoke(METHODS.subscribe, [state.symbol]).then(
        (states) => states.forEach((s) => this._onInstrument(s)),
        () => {}, // disconnected meanwhile: the reconnect renews every subscription anyway
      );
    }
  }

  async _renew() {
    // A restarted hub may still be loading its instruments: retry until it accepts every subscription.
    for (let attempt = 1; !this._stopped && this.state === signalR.HubConnectionState.Connected; attempt++) {
      try {
        const symbols = this.symbols;
        if (symbols.length > 0) {
          for (const s of symbols) {
            this._lastSeq.set(s, 0);
          }
          for (const s of await this._invoke(METHODS.subscribe, symbols)) {
            this._onInstrument(s);
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
          this._emit('overviewTable', await this._invoke(METHODS.subscribeOverviewTable));
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
