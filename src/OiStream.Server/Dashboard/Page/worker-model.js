// The table worker's model: the columns (built from the hub's windows and the page's choice), every instrument's newest
// row, the filter and the sort, and the view they give. Loaded into the worker's global scope by table-worker.js.

// Rows arrive as arrays (the hub's overview table): F maps a field name to its position, from the table's field list.
let F = {};
let SIGNALS = [];
let WINDOWS = []; // the hub's windows, read from the table's change.* fields
let signalWindow = '1h'; // the quadrant shown: 1h when the hub has it, else its middle window
let signalField = 'signal.1h';
const quadrantOf = (r) => SIGNALS[r[F[signalField]]] ?? null;
// OI in USD = coins × price, so its change follows from the two the table carries.
const usdChange = (c, p) => (c == null || p == null ? null : ((1 + c / 100) * (1 + p / 100) - 1) * 100);

// Every column the table can show, built from the hub's windows; `chosen` (the page's column chooser) picks which.
// The header (app.js) builds its cells from the same keys, labels, titles and widths ('columns' message).
function catalogue() {
  const perWindow = (kind, label, title, get) => WINDOWS.map((w) => {
    const key = `${kind}.${w}`;
    return { key, group: kind, label: `${label} ${w}`, title: `${title} over ${w}`, window: w, big: bigMove(windowMinutes(w)), get: get(w), text: null, width: 62 };
  });
  return [
    { key: 'symbol', label: 'Symbol', title: 'Symbol (★: on the watchlist)', get: (r) => r[F.symbol], text: (r) => r[F.symbol], width: 108, fixed: true },
    { key: 'markPrice', label: 'Mark', title: 'Mark price', get: (r) => r[F.markPrice], text: (r) => formatPrice(r[F.markPrice]), width: 72 },
    { key: 'openInterestCoin', label: 'OI (coin)', title: 'Open interest in coins', get: (r) => r[F.openInterestCoin], text: (r) => formatCompact(r[F.openInterestCoin]), width: 80 },
    { key: 'openInterestUsd', label: 'OI (USD)', title: 'Open interest in USD', get: (r) => r[F.openInterestUsd], text: (r) => `$${formatCompact(r[F.openInterestUsd])}`, width: 84 },
    ...perWindow('change', 'OI', 'Change of open interest in coins', (w) => { const k = `change.${w}`; return (r) => r[F[k]]; }),
    ...perWindow('changeUsd', 'OI$', 'Change of open interest in USD', (w) => { const c = `change.${w}`; const p = `priceChange.${w}`; return (r) => usdChange(r[F[c]], r[F[p]]); }),
    ...perWindow('priceChange', 'Px', 'Change of the mark price', (w) => { const k = `priceChange.${w}`; return (r) => r[F[k]]; }),
    { key: 'fundingRate', label: 'Funding', title: 'Funding rate', get: (r) => r[F.fundingRate], text: (r) => formatFunding(r[F.fundingRate]), signed: true, width: 78 },
    { key: 'oiAge', label: 'OI age', title: 'Time since the last open interest reading', get: (r) => (r[F.oiTime] == null ? null : Date.now() - r[F.oiTime]), text: (r) => formatAge(r[F.oiTime] == null ? null : Date.now() - r[F.oiTime]), width: 64 },
    { key: 'signal', label: `Signal ${signalWindow}`, title: `Price/OI quadrant over ${signalWindow}`, get: (r) => quadrantOf(r) ?? '', text: null, width: 120 },
  ];
}

// The columns shown by default: mark, OI in coins and USD, OI change over every window, funding, the signal.
const DEFAULT_HIDDEN = /^(changeUsd|priceChange)\.|^oiAge$/;
let chosen = null; // the page's choice of column keys (null: the default)
let COLUMNS = [];
let ALL_COLUMNS = [];

function buildColumns() {
  signalWindow = WINDOWS.includes('1h') ? '1h' : WINDOWS[Math.floor(WINDOWS.length / 2)] ?? '1h';
  signalField = `signal.${signalWindow}`;
  ALL_COLUMNS = catalogue();
  for (const c of ALL_COLUMNS) if (c.window && !c.text) c.text = (r) => formatPercent(c.get(r));
  const wanted = chosen ? new Set(chosen) : null;
  COLUMNS = ALL_COLUMNS.filter((c) => c.fixed || (wanted ? wanted.has(c.key) : !DEFAULT_HIDDEN.test(c.key)));
  for (const row of rows.values()) resetRow(row);
  slots.length = 0;
  grid.full = true;
  if (!WINDOWS.includes(scatter.window)) scatter.window = signalWindow;
  scatter.dirty = true;
  post({
    type: ToPage.Columns,
    windows: WINDOWS,
    scatterWindow: scatter.window,
    columns: COLUMNS.map(({ key, label, title, width, window }) => ({ key, label, title, width, window })),
    all: ALL_COLUMNS.map(({ key, label, title, group, window }) => ({ key, label, title, group: group ?? key, window, shown: COLUMNS.some((c) => c.key === key) })),
  });
  if (!COLUMNS.some((c) => c.key === sortKey)) sortKey = 'openInterestUsd';
  rebuildView();
  requestDraw();
}

function resetRow(row) {
  row.shown = new Array(COLUMNS.length).fill(null);
  row.shownValue = new Array(COLUMNS.length).fill(null);
  row.flash = new Int8Array(COLUMNS.length);
}

// ---- model -------------------------------------------------------------------------------------------------------
// symbol → { state (a table row), shown[] / shownValue[] (text and value last drawn per column), drawnIn (draw id),
// flash: Int8Array per column (+1 up, −1 down), flashUntil }
const rows = new Map();
const pending = new Map(); // symbol → newest row not yet applied
const events = new Map(); // symbol → { kind, until }
const pendingCoins = new Map(); // coin → newest aggregate not yet drawn
const coinOrder = []; // the coins shown, largest OI first (as of loading)
const coinStates = new Map(); // coin → newest aggregate drawn
let view = []; // symbols passing the filter, in table order
let sortKey = 'openInterestUsd';
let sortAsc = false;
let marketFilter = 'usdm-perp';
let exchangeFilter = 'all';
let query = '';
let selected = null;
let watched = new Set(); // symbols on the page's chart: their rows go to the page with every batch
let stars = new Set(); // the watchlist (the page keeps it in localStorage)
let hoverIndex = -1;
let newestData = 0;
let simulated = false;
let added = []; // symbols new since the last message to the page
let viewSent = -1; // the view length the page last heard
let lastCoinDraw = 0; // when the coin panel was last drawn (Date.now())
const perf = { overviewBatches: 0, batches: 0, rowsApplied: 0, totalMs: 0, maxMs: 0 };

// The venue of an instrument id (docs/protocol.md): BYBIT:… and OKX:… carry theirs; Binance's symbols are bare.
function exchangeOf(symbol) {
  const colon = symbol.indexOf(':');
  return colon > 0 ? symbol.slice(0, colon).toLowerCase() : 'binance';
}

function matches(r) {
  if (query && !r[F.symbol].includes(query)) return false;
  if (exchangeFilter !== 'all' && exchangeOf(r[F.symbol]) !== exchangeFilter) return false;
  const market = r[F.market];
  switch (marketFilter) {
    case 'usdm-perp': return market === 'usdm' && r[F.contractType] === 'PERPETUAL';
    case 'coinm': return market === 'coinm';
    case 'delivery': return market !== 'options' && r[F.contractType] !== 'PERPETUAL';
    case 'options': return market === 'options';
    case 'watchlist': return stars.has(r[F.symbol]);
    default: return true;
  }
}

// Applies a newer row to the model (older ones, by seq, are dropped).
function applyState(state) {
  const symbol = state[F.symbol];
  const row = rows.get(symbol);
  if (!row) {
    const row = { state, drawnIn: -1, flashUntil: 0 };
    resetRow(row);
    rows.set(symbol, row);
    added.push(symbol);
    return;
  }
  if (state[F.seq] < row.state[F.seq]) return; // older than what is shown
  row.state = state;
}

// Sorts on keys read once per row (not once per comparison). Missing values sort last in both directions. The keyed
// entries are reused from one sort to the next (a sort a second over 600+ rows would otherwise feed the GC).
const keyed = [];
function rebuildView() {
  const col = ALL_COLUMNS.find((c) => c.key === sortKey) ?? ALL_COLUMNS[0];
  if (!col) return; // no table yet
  let n = 0;
  for (const [symbol, row] of rows) {
    if (!matches(row.state)) continue;
    const entry = keyed[n] ?? (keyed[n] = { symbol: '', v: null });
    entry.symbol = symbol;
    entry.v = col.get(row.state);
    n++;
  }
  const sorted = keyed.slice(0, n);
  const direction = sortAsc ? 1 : -1;
  sorted.sort((a, b) => {
    const am = a.v == null || a.v === '';
    const bm = b.v == null || b.v === '';
    if (am || bm) return am === bm ? (a.symbol < b.symbol ? -1 : 1) : am ? 1 : -1;
    const d = typeof a.v === 'string' ? (a.v < b.v ? -1 : a.v > b.v ? 1 : 0) : a.v - b.v;
    return direction * d || (a.symbol < b.symbol ? -1 : 1);
  });
  view.length = n;
  for (let i = 0; i < n; i++) view[i] = sorted[i].symbol;
}
