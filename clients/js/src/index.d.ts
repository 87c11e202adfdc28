// Types of the OiStream JavaScript client and of protocol v1's payloads (see README "Hub protocol").

/** A change window of protocol v1 by default (a hub may be configured with others). */
export type Window = '5m' | '15m' | '30m' | '1h' | '4h' | '24h';

/**
 * Per-window values keyed by the hub's windows (protocol v1's defaults are `Window`; `info()` says which a hub
 * computes); null until the window has history that old.
 */
export type WindowValues<T> = Record<string, T | null>;

/** The price/OI quadrant of a window (design §5). */
export type Quadrant = 'strongBullish' | 'weakeningRally' | 'strongBearish' | 'weakeningSelloff' | 'neutral';

/** The venues OiStream ingests. */
export type Exchange = 'binance' | 'bybit' | 'okx';

/**
 * One instrument (a futures contract of Binance, Bybit or OKX, or a Binance options expiry). Times are Unix ms.
 * `symbol` is the id: Binance's symbol as is (`BTCUSDT`), another venue's behind its prefix (`BYBIT:BTCUSDT`,
 * `OKX:BTC-USDT-SWAP`); ids are case-insensitive. `market` is `usdm` for every linear contract, `coinm` for every inverse one.
 */
export interface InstrumentState {
  symbol: string;
  exchange: Exchange;
  market: 'usdm' | 'coinm' | 'options';
  coin: string;
  margin: 'stable' | 'coin';
  contractType: string;
  openInterest: number | null;
  openInterestCoin: number | null;
  openInterestUsd: number | null;
  markPrice: number | null;
  fundingRate: number | null;
  /** OI change in percent (contracts). */
  change: WindowValues<number>;
  /** OI change in percent, valued in USD. */
  changeUsd: WindowValues<number>;
  priceChange: WindowValues<number>;
  signal: WindowValues<Quadrant>;
  oiTime: number | null;
  priceTime: number | null;
  coverageStart: number | null;
  /** +1 for every update of this instrument. */
  seq: number;
  /** The venue the data came from, or `simulated`. */
  source: Exchange | 'simulated';
  stale: boolean;
}

/** One venue's part of a coin aggregate (the same sums over that venue's contracts only). */
export interface ExchangeShare {
  exchange: Exchange;
  openInterestUsd: number;
  openInterestCoin: number;
  openInterestUsdByStableMargin: number;
  openInterestCoinByStableMargin: number;
  openInterestCoinByCoinMargin: number;
  instruments: number;
  change: WindowValues<number>;
  time: number | null;
  /** None of the venue's readings of this coin is fresh: its figures are the last known. */
  stale: boolean;
}

/** A coin's aggregate over its instruments on every venue (design §4). */
export interface CoinState {
  coin: string;
  openInterestUsd: number;
  openInterestCoin: number;
  openInterestUsdByStableMargin: number;
  openInterestUsdByCoinMargin: number;
  openInterestCoinByStableMargin: number;
  openInterestCoinByCoinMargin: number;
  optionsOpenInterestCoin: number;
  optionsOpenInterestUsd: number;
  instruments: number;
  markPrice: number | null;
  change: WindowValues<number>;
  changeUsd: WindowValues<number>;
  priceChange: WindowValues<number>;
  signal: WindowValues<Quadrant>;
  time: number | null;
  seq: number;
  source: 'binance' | 'simulated';
  /** The per-venue split of the sums, in venue order. */
  exchanges: ExchangeShare[];
}

/** A signal event (design §5). */
export interface SignalEvent {
  kind: 'oiSpike' | 'oiFlush' | 'divergence' | 'fundingExtreme';
  symbol: string | null;
  coin: string;
  window: Window;
  change: number | null;
  priceChange: number | null;
  fundingRate: number | null;
  time: number;
  message: string;
  source: 'binance' | 'simulated';
}

/** A feed's health changed. */
export interface FeedStatus {
  feed: string;
  state: string;
  message: string | null;
  time: number;
  source: 'binance' | 'simulated';
}

export interface OiStreamClientOptions {
  /** Delays between reconnect attempts, in ms; the last one repeats for ever. Default [0, 1000, 2000, 5000, 10000, 30000]. */
  retryDelaysMs?: number[];
  /** WebSockets without negotiation (default in Node) instead of SignalR's negotiated transports (default in browsers). */
  webSocketsOnly?: boolean;
  /** A @microsoft/signalr LogLevel; default None (the client reports through its events instead). */
  logLevel?: number;
  /** An API key, for a hub that requires one (OiStream:Security:ApiKeys); sent as a bearer token. */
  apiKey?: string;
  /**
   * Take protocol v1's full state on every update (`Subscribe`, `SubscribeOverviewTable`) instead of deltas (the
   * default: `SubscribeDeltas`, `SubscribeOverviewDeltas`). Either way the client hands over full states.
   */
  fullStates?: boolean;
  /** A SignalR hub protocol instead of JSON, e.g. `new MessagePackHubProtocol()` from `@microsoft/signalr-protocol-msgpack`. */
  hubProtocol?: import('@microsoft/signalr').IHubProtocol;
  /**
   * Other hubs serving the same market (the edges of a cluster), tried in turn when the one in use cannot be reached:
   * at start and at every reconnect attempt, which then subscribes again there. Default none: one hub (or one load
   * balancer's URL).
   */
  fallbackUrls?: Array<string | URL>;
}

/**
 * The overview in table form: each row an array in `fields` order (`symbol`, `market`, `contractType`, `coin`, `seq`,
 * `stale`, `oiTime`, `priceTime`, `openInterest`, `openInterestCoin`, `openInterestUsd`, `markPrice`, `fundingRate`,
 * then `change.<window>` for every window, rounded to 4 decimals, `priceChange.<window>` likewise, then `signal.<window>`,
 * an index into `signals`). The windows are the hub's own (read them from `fields`). `null` is a missing value.
 */
export interface OverviewTable {
  source: 'binance' | 'simulated' | null;
  fields: string[];
  signals: Quadrant[];
  rows: (string | number | boolean | null)[][];
}

/** What changed in one instrument from the update numbered `base` to the one numbered `seq` (the client applies it). */
export interface InstrumentDelta {
  symbol: string;
  base: number;
  seq: number;
  /** Pairs of a field index (into DeltaSubscription.fields) and its value: [index, value, index, value, …]. */
  set: (number | null)[];
}

/** SubscribeDeltas' answer. */
export interface DeltaSubscription {
  fields: string[];
  signals: Quadrant[];
  states: InstrumentState[];
}

/** An overview batch as row deltas: each row [symbol, base, index, value, …] (base 0: a new row). */
export interface OverviewDelta {
  rows: (string | number | boolean | null)[][];
}

export interface EventMap {
  instrument: InstrumentState;
  /** Handled by the client, which emits 'instrument' with the full state. */
  instrumentDelta: InstrumentDelta;
  coin: CoinState;
  overview: InstrumentState[];
  overviewTable: OverviewTable;
  /** Handled by the client, which emits 'overviewTable' with the changed rows whole. */
  overviewDelta: OverviewDelta;
  signal: SignalEvent;
  feedStatus: FeedStatus;
  reconnecting: Error | undefined;
  reconnected: undefined;
  closed: Error | undefined;
  /** A delta that did not follow the state held (an update was lost): the client fetches the state again. */
  gap: { symbol: string; expected: number | null; got: number };
  error: unknown;
}

/** What a hub computes and allows (`info()`). */
export interface HubInfo {
  protocol: number;
  windows: string[];
  publishIntervalMs: number;
  maxSymbolsPerConnection: number;
  signals: Quadrant[];
  source: 'binance' | 'simulated';
}

export declare const WINDOWS: readonly Window[];
export declare const METHODS: Readonly<{
  subscribe: 'Subscribe'; subscribeDeltas: 'SubscribeDeltas'; unsubscribe: 'Unsubscribe'; subscribeCoins: 'SubscribeCoins'; unsubscribeCoins: 'UnsubscribeCoins';
  subscribeOverview: 'SubscribeOverview'; unsubscribeOverview: 'UnsubscribeOverview';
  subscribeOverviewTable: 'SubscribeOverviewTable'; subscribeOverviewDeltas: 'SubscribeOverviewDeltas'; unsubscribeOverviewTable: 'UnsubscribeOverviewTable'; getInfo: 'GetInfo';
}>;
export declare const EVENTS: readonly (keyof EventMap)[];

/** `http://host:port` → `http://host:port/hubs/oi`. */
export declare function hubUrl(url: string | URL): string;

export declare class OiStreamClient {
  constructor(url: string | URL, options?: OiStreamClientOptions);
  /** The hub URL in use: the one given, or one of fallbackUrls after a move. */
  readonly url: string;
  /** Every hub URL this client may use, the one given first. */
  readonly urls: string[];
  readonly state: 'Disconnected' | 'Connecting' | 'Connected' | 'Disconnecting' | 'Reconnecting';
  readonly symbols: string[];
  gapsDetected: number;
  on<E extends keyof EventMap>(event: E, handler: (payload: EventMap[E]) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
  subscribe(symbols: string | string[]): Promise<InstrumentState[]>;
  unsubscribe(symbols: string | string[]): Promise<void>;
  subscribeCoins(coins: string | string[]): Promise<CoinState[]>;
  unsubscribeCoins(coins: string | string[]): Promise<void>;
  subscribeOverview(): Promise<InstrumentState[]>;
  unsubscribeOverview(): Promise<void>;
  subscribeOverviewTable(): Promise<OverviewTable>;
  unsubscribeOverviewTable(): Promise<void>;
  info(): Promise<HubInfo>;
}

/** Field positions of a table: `tableIndex(t).markPrice` is the mark price's index in each row. */
export declare function tableIndex(table: OverviewTable): Record<string, number>;
/** One table row as an InstrumentState-shaped object (change and signal blocks rebuilt). */
export declare function tableRowToState(table: OverviewTable, row: OverviewTable['rows'][number]): Partial<InstrumentState>;

/** 1234567 → '1.23M'. */
export declare function formatCompact(value: number | null | undefined, digits?: number): string;
/** 2.2671 → '+2.27 %'. */
export declare function formatPercent(value: number | null | undefined, digits?: number): string;
