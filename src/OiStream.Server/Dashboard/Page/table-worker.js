// The dashboard's table worker: it holds the page's hub connection (the OiStream JavaScript client), the model of every
// instrument, the sorted and filtered view, and draws the visible rows on the page's canvas (an OffscreenCanvas). It
// draws the coin panel's rows too, on a second canvas.
//
// Why a worker: with 600+ instruments changing every second, receiving the overview (about 120 KB a second), sorting
// it and drawing a screenful of changed numbers cost the page's main thread 28–38 ms a second even at its leanest as
// DOM rows, and about as much on a main-thread canvas (Chromium's software rasteriser draws and commits a canvas on the
// thread that owns it). Here all of that runs beside the page: the main thread keeps the header, the controls and the
// chart, and hears from this worker once per drawn batch (see app.js, "worker messages"). The coin panel is drawn here
// as well: as DOM cells, its dozen changing rows cost the main thread about 3.5 ms a batch, more than everything else
// it still does.
//
// A classic worker, not a module one: it loads signalr.min.js with importScripts (its global is handed to the client
// with useSignalR), then the client module with import().
importScripts('signalr.min.js');

// Bold at or beyond this move (percent), by window length in minutes: 1 % up to 5m, rising to 8 % at a day.
const bigMove = (minutes) => (minutes <= 5 ? 1 : minutes <= 15 ? 1.5 : minutes <= 30 ? 1.75 : minutes <= 60 ? 2 : minutes <= 240 ? 4 : 8);
const windowMinutes = (w) => parseFloat(w) * ({ m: 1, h: 60, d: 1440 }[w.slice(-1)] ?? 1);
const QUADRANT_LABEL = {
  strongBullish: 'strong bullish', weakeningRally: 'weakening rally',
  strongBearish: 'strong bearish', weakeningSelloff: 'weakening sell-off', neutral: 'neutral',
};
const FLASH_MS = 600;
const COINS_SHOWN = 12;
const STAR_WIDTH = 18; // the watchlist star at the left of the symbol cell

let lib; // the OiStream client module
let client;
let formatCompact;
let formatPercent;

const formatPrice = (v) => (v == null ? '—' : v >= 1000 ? formatCompact(v, 2) : v >= 1 ? v.toFixed(2) : v.toPrecision(4));
const formatFunding = (v) => (v == null ? '—' : `${(v * 100).toFixed(4)} %`);
const formatAge = (ms) => (ms == null ? '—' : ms < 60_000 ? `${Math.round(ms / 1000)} s` : ms < 3_600_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 3_600_000)} h`);
const sign = (v) => (v == null || v === 0 ? '' : v > 0 ? 'up' : 'down');

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
    type: 'columns',
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

function matches(r) {
  if (query && !r[F.symbol].includes(query)) return false;
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

// ---- canvas ------------------------------------------------------------------------------------------------------
// The canvas is as tall as the table's viewport; the page scrolls a body as tall as the whole view and tells this
// worker its scrollTop. slots[i] is what the i-th row position of the canvas shows, to skip a row whose text, colours
// and place did not change, and for the page's screen() query.
const grid = { canvas: null, ctx: null, width: 0, height: 0, dpr: 1, rowHeight: 22, scrollTop: 0, cols: [], full: true, font: '', bold: '', badge: '', colour: null };
const slots = [];

function newSlot() {
  return { symbol: undefined, seq: undefined, text: new Array(COLUMNS.length).fill(''), cls: new Array(COLUMNS.length).fill(''), flags: '', dirty: true, y: NaN };
}

function setCell(slot, i, text, cls) {
  if (slot.text[i] !== text || slot.cls[i] !== cls) {
    slot.text[i] = text;
    slot.cls[i] = cls;
    slot.dirty = true;
  }
}

// Works out what a row shows: its cells' text and colour class, into the slot. A cell flashes when the text it shows
// changed since this symbol was last drawn, if that was the previous draw (a row scrolled or filtered back into view
// shows its news without a flash). Equal text is no news: a value that moved within its display precision does not
// flash. Returns whether a cell started to flash.
function layoutRow(slot, symbol, index, now) {
  const row = rows.get(symbol);
  const s = row.state;
  if (slot.symbol !== symbol) {
    slot.symbol = symbol;
    slot.dirty = true;
  }
  slot.seq = s[F.seq];
  const continued = row.drawnIn === drawId - 1 || row.drawnIn === drawId;
  row.drawnIn = drawId;
  let flashed = false;
  for (let i = 0; i < COLUMNS.length; i++) {
    const col = COLUMNS[i];
    if (col.key === 'signal') {
      const ev = events.get(symbol);
      setCell(slot, i, quadrantOf(s) ?? 'neutral', ev && ev.until > now ? ev.kind : '');
      continue;
    }
    const v = col.get(s);
    const text = col.text(s);
    if (row.shown[i] !== text) {
      const old = row.shownValue[i];
      if (continued && i > 0 && row.shown[i] !== null && typeof v === 'number' && typeof old === 'number' && v !== old) {
        row.flash[i] = v > old ? 1 : -1;
        flashed = true;
      } else {
        row.flash[i] = 0;
      }
      row.shown[i] = text;
      row.shownValue[i] = v;
    } else if (row.flashUntil <= now) {
      row.flash[i] = 0; // its flash is over
    }
    let cls = '';
    if (col.window || col.signed) {
      cls = sign(v);
      if (col.window && v != null && Math.abs(v) >= col.big) cls += ' big';
    }
    if (row.flash[i] !== 0) cls += row.flash[i] > 0 ? ' flash-up' : ' flash-down';
    setCell(slot, i, text, cls);
  }
  if (flashed) row.flashUntil = now + FLASH_MS;
  const flags = (s[F.stale] ? 'stale ' : '') + (stars.has(symbol) ? 'star ' : '') + (symbol === selected ? 'selected ' : '') + (index === hoverIndex ? 'hover' : '');
  if (slot.flags !== flags) {
    slot.flags = flags;
    slot.dirty = true;
  }
  return flashed;
}

// Draws one row at y (CSS pixels from the canvas top) from its slot.
function paintRow(slot, y) {
  const { ctx, cols, colour, width, rowHeight } = grid;
  ctx.globalAlpha = 1;
  ctx.fillStyle = slot.flags.includes('selected') ? colour.selected : slot.flags.includes('hover') ? colour.hover : colour.bg;
  ctx.fillRect(0, y, width, rowHeight);
  ctx.fillStyle = colour.line;
  ctx.fillRect(0, y + rowHeight - 1, width, 1);
  if (slot.symbol === undefined) return;
  if (slot.flags.includes('stale')) ctx.globalAlpha = 0.5;
  const middle = y + rowHeight / 2;
  for (let i = 0; i < COLUMNS.length; i++) {
    const { x, w } = cols[i] ?? { x: 0, w: 0 };
    const cls = slot.cls[i];
    if (COLUMNS[i].key === 'signal') {
      // An event (spike, flush, divergence, extreme funding) is the news: it comes first, the quadrant after it if
      // it fits.
      let left = x + 6;
      if (cls) left = badge(cls, colour.badge.event, left, middle, x + w, true) + 4;
      badge(QUADRANT_LABEL[slot.text[i]] ?? slot.text[i], colour.badge[slot.text[i]] ?? colour.badge.neutral, left, middle, x + w, !cls);
      continue;
    }
    if (cls.includes('flash-')) {
      ctx.fillStyle = cls.includes('flash-up') ? colour.flashUp : colour.flashDown;
      ctx.fillRect(x, y, w, rowHeight - 1);
    }
    ctx.fillStyle = cls.startsWith('up') ? colour.up : cls.startsWith('down') ? colour.down : colour.text;
    const font = cls.includes('big') ? grid.bold : grid.font;
    if (ctx.font !== font) ctx.font = font;
    if (i === 0) {
      // The watchlist star: filled for a starred symbol, an outline to click otherwise.
      const starred = slot.flags.includes('star');
      ctx.fillStyle = starred ? colour.accent : colour.muted;
      ctx.textAlign = 'left';
      ctx.fillText(starred ? '★' : '☆', x + 4, middle);
      ctx.fillStyle = cls.startsWith('up') ? colour.up : cls.startsWith('down') ? colour.down : colour.text;
      ctx.fillText(slot.text[i], x + 4 + STAR_WIDTH, middle, Math.max(1, w - 10 - STAR_WIDTH));
      continue;
    }
    ctx.textAlign = 'right';
    ctx.fillText(slot.text[i], x + w - 6, middle, Math.max(1, w - 12));
  }
  if (ctx.font !== grid.font) ctx.font = grid.font;
}

// A rounded badge with its label, left edge at x, drawn if it fits before `limit`; a column's first badge is squeezed
// to fit instead. Returns its right edge.
const badgeWidths = new Map();
function badge(label, [bg, fg], x, middle, limit, first) {
  const { ctx } = grid;
  ctx.font = grid.badge;
  let w = badgeWidths.get(label);
  if (w === undefined) badgeWidths.set(label, (w = Math.ceil(ctx.measureText(label).width) + 12));
  if (x + w > limit - 2) w = first ? limit - x - 2 : 0;
  if (w > 12) {
    ctx.fillStyle = bg;
    ctx.beginPath();
    ctx.roundRect(x, middle - 8, w, 16, 8);
    ctx.fill();
    ctx.fillStyle = fg;
    ctx.textAlign = 'left';
    ctx.fillText(label, x + 6, middle + 0.5, w - 12);
  }
  ctx.font = grid.font;
  return x + w;
}

// Draws the rows of the view that are on screen; a slot whose content and place are unchanged is left as drawn.
// Returns whether any cell started to flash.
function drawTable(now) {
  const { ctx, dpr, rowHeight } = grid;
  if (!ctx || grid.cols.length === 0) return false;
  const firstIndex = Math.max(0, Math.floor(grid.scrollTop / rowHeight));
  const count = Math.ceil(grid.height / rowHeight) + 1;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.textBaseline = 'middle';
  if (grid.full) {
    ctx.fillStyle = grid.colour.bg;
    ctx.fillRect(0, 0, grid.width, grid.height);
  }
  let flashed = false;
  for (let i = 0; i < count; i++) {
    const slot = slots[i] ?? (slots[i] = newSlot());
    const index = firstIndex + i;
    const y = index * rowHeight - grid.scrollTop;
    const symbol = view[index];
    if (symbol === undefined) {
      if (slot.symbol !== undefined) slot.dirty = true;
      slot.symbol = undefined;
    } else if (layoutRow(slot, symbol, index, now)) {
      flashed = true;
    }
    if (grid.full || slot.dirty || y !== slot.y) {
      slot.dirty = false;
      slot.y = y;
      paintRow(slot, y);
    }
  }
  slots.length = count;
  grid.full = false;
  return flashed;
}

// ---- coin panel --------------------------------------------------------------------------------------------------
// One row per coin under the page's header cells: coin, OI in USD and in coins, the stable- vs coin-margined split as a
// bar and a percentage, options OI, 1h and 24h change. A row is drawn again only when its text changed.
const coinGrid = { canvas: null, ctx: null, width: 0, height: 0, dpr: 1, rowHeight: 22, cols: [], full: true, drawn: [] };

function coinTexts(c) {
  const futures = c.openInterestUsdByStableMargin + c.openInterestUsdByCoinMargin;
  const stable = futures > 0 ? (100 * c.openInterestUsdByStableMargin) / futures : 0;
  return {
    stable,
    text: [
      c.coin, `$${formatCompact(c.openInterestUsd)}`, formatCompact(c.openInterestCoin), `${stable.toFixed(0)}%`,
      c.optionsOpenInterestUsd > 0 ? `$${formatCompact(c.optionsOpenInterestUsd)}` : '—',
      formatPercent(c.change['1h']), formatPercent(c.change['24h']),
    ],
    sign: [null, null, null, null, null, sign(c.change['1h']), sign(c.change['24h'])],
  };
}

function drawCoins() {
  const { ctx, dpr, rowHeight, cols, width } = coinGrid;
  if (!ctx || cols.length === 0) return;
  const colour = grid.colour;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.textBaseline = 'middle';
  if (coinGrid.full) {
    ctx.fillStyle = colour.panel;
    ctx.fillRect(0, 0, coinGrid.width, coinGrid.height);
    coinGrid.drawn = [];
  }
  coinGrid.full = false;
  const rowsShown = Math.min(coinOrder.length, Math.floor(coinGrid.height / rowHeight));
  for (let i = 0; i < rowsShown; i++) {
    const c = coinStates.get(coinOrder[i]);
    if (!c) continue;
    const { stable, text, sign: signs } = coinTexts(c);
    const key = text.join('|');
    if (coinGrid.drawn[i]?.key === key) continue;
    coinGrid.drawn[i] = { key, text };
    const y = i * rowHeight;
    const middle = y + rowHeight / 2;
    ctx.fillStyle = colour.panel;
    ctx.fillRect(0, y, width, rowHeight);
    ctx.fillStyle = colour.line;
    ctx.fillRect(0, y + rowHeight - 1, width, 1);
    ctx.font = grid.small;
    for (let k = 0; k < text.length; k++) {
      const { x, w } = cols[k] ?? { x: 0, w: 0 };
      if (k === 3) {
        // The split: a 44 px bar, stablecoin-margined share in blue, coin-margined in amber, then the percentage.
        const bx = x + 4;
        ctx.save();
        ctx.beginPath();
        ctx.roundRect(bx, middle - 4, 44, 8, 4);
        ctx.clip();
        ctx.fillStyle = colour.accent;
        ctx.fillRect(bx, middle - 4, 44, 8);
        ctx.fillStyle = colour.blue;
        ctx.fillRect(bx, middle - 4, (44 * stable) / 100, 8);
        ctx.restore();
        ctx.font = grid.small;
      }
      ctx.fillStyle = signs[k] === 'up' ? colour.up : signs[k] === 'down' ? colour.down : colour.text;
      ctx.textAlign = k === 0 ? 'left' : 'right';
      ctx.fillText(text[k], k === 0 ? x + 4 : x + w - 4, middle, Math.max(1, k === 3 ? w - 56 : w - 8));
    }
  }
}

// ---- price/OI scatter ---------------------------------------------------------------------------------------------
// Every instrument of the table's view as a dot: price change across, OI change up, for one window; the quadrants of
// the signal table shaded and named, dot size by OI in USD. Drawn with the table's batches.
const scatter = { canvas: null, ctx: null, width: 0, height: 0, dpr: 1, window: '1h', points: [], hover: null };
const SCATTER_PAD = 28;
const QUADRANTS = [
  // [x sign, y sign, name, label]
  [1, 1, 'strongBullish', 'strong bullish'], [1, -1, 'weakeningRally', 'weakening rally'],
  [-1, 1, 'strongBearish', 'strong bearish'], [-1, -1, 'weakeningSelloff', 'weakening sell-off'],
];

// A scale that keeps the bulk readable: the 95th percentile of the absolute values (at least 0.5 %), outliers pinned
// to the edge.
function span(values) {
  const abs = values.map(Math.abs).sort((a, b) => a - b);
  return Math.max(0.5, abs[Math.floor(abs.length * 0.95)] ?? 0) * 1.1;
}

function drawScatter() {
  const { ctx, dpr, width, height } = scatter;
  if (!ctx || width === 0 || !grid.colour) return;
  const colour = grid.colour;
  const c = F[`change.${scatter.window}`];
  const p = F[`priceChange.${scatter.window}`];
  const points = [];
  let maxUsd = 0;
  for (const symbol of view) {
    const s = rows.get(symbol).state;
    const y = s[c];
    const x = s[p];
    if (x == null || y == null) continue;
    const usd = s[F.openInterestUsd] ?? 0;
    maxUsd = Math.max(maxUsd, usd);
    points.push({ symbol, x, y, usd });
  }
  const sx = span(points.map((q) => q.x));
  const sy = span(points.map((q) => q.y));
  const cx = width / 2;
  const cy = height / 2;
  const kx = (cx - SCATTER_PAD) / sx;
  const ky = (cy - SCATTER_PAD) / sy;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = colour.panel;
  ctx.fillRect(0, 0, width, height);
  for (const [qx, qy, name, label] of QUADRANTS) {
    const [bg, fg] = colour.badge[name];
    ctx.globalAlpha = 0.16;
    ctx.fillStyle = bg;
    ctx.fillRect(qx > 0 ? cx : 0, qy > 0 ? 0 : cy, cx, cy);
    ctx.globalAlpha = 1;
    ctx.fillStyle = fg === '#fff' ? bg : fg;
    ctx.font = grid.small;
    ctx.textAlign = qx > 0 ? 'right' : 'left';
    ctx.textBaseline = qy > 0 ? 'top' : 'bottom';
    ctx.fillText(label, qx > 0 ? width - 6 : 6, qy > 0 ? 6 : height - 6);
  }
  ctx.fillStyle = colour.line;
  ctx.fillRect(0, Math.round(cy), width, 1);
  ctx.fillRect(Math.round(cx), 0, 1, height);
  ctx.fillStyle = colour.text;
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'right';
  ctx.fillText(`price ${scatter.window} → ±${sx.toFixed(1)} %`, width - 6, cy - 3);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(`OI ${scatter.window} ↑ ±${sy.toFixed(1)} %`, cx + 4, SCATTER_PAD - 18);
  const pin = (v, k, centre, half) => centre + Math.max(-half, Math.min(half, v * k));
  scatter.points = points.map((q) => {
    const quadrant = q.x === 0 || q.y === 0 ? 'neutral' : q.x > 0 ? (q.y > 0 ? 'strongBullish' : 'weakeningRally') : (q.y > 0 ? 'strongBearish' : 'weakeningSelloff');
    return {
      symbol: q.symbol, x: q.x, y: q.y, quadrant,
      px: pin(q.x, kx, cx, cx - 4), py: pin(-q.y, ky, cy, cy - 4), r: 2 + 9 * Math.sqrt(maxUsd > 0 ? q.usd / maxUsd : 0),
    };
  });
  // Largest first, so small dots stay visible on top.
  const order = [...scatter.points].sort((a, b) => b.r - a.r);
  for (const q of order) {
    const [bg] = colour.badge[q.quadrant] ?? colour.badge.neutral;
    ctx.globalAlpha = 0.75;
    ctx.fillStyle = q.quadrant === 'neutral' ? colour.text : bg === '#2d4a2f' ? '#6fbf73' : bg === '#4d2426' ? '#e07b74' : bg;
    ctx.beginPath();
    ctx.arc(q.px, q.py, q.r, 0, Math.PI * 2);
    ctx.fill();
    if (q.symbol === selected || q.symbol === scatter.hover) {
      ctx.globalAlpha = 1;
      ctx.strokeStyle = colour.accent;
      ctx.lineWidth = 2;
      ctx.stroke();
    }
  }
  ctx.globalAlpha = 1;
}

// The dot nearest to a point of the canvas (CSS pixels), within a few pixels of its edge.
function dotAt(x, y) {
  let best = null;
  let bestDistance = Infinity;
  for (const q of scatter.points) {
    const d = Math.hypot(q.px - x, q.py - y) - q.r;
    if (d < bestDistance) {
      best = q;
      bestDistance = d;
    }
  }
  return bestDistance <= 6 ? best : null;
}

// ---- frames ------------------------------------------------------------------------------------------------------
let frameRequested = false;
const nextFrame = self.requestAnimationFrame ? (f) => self.requestAnimationFrame(f) : (f) => setTimeout(f, 16);

function requestDraw() {
  if (!frameRequested) {
    frameRequested = true;
    nextFrame(draw);
  }
}

// The sort, filter or geometry changed: the order is recomputed at once, the rows drawn with the next frame.
function viewChanged() {
  rebuildView();
  scatter.dirty = true;
  requestDraw();
}

// A table (the subscription's answer, or a batch): its field list and source, then its rows.
function acceptTable(table) {
  if (table.fields.length !== Object.keys(F).length || table.fields.some((name, i) => F[name] !== i)) {
    F = lib.tableIndex(table);
    post({ type: 'fields', fields: table.fields });
    const windows = table.fields.filter((f) => f.startsWith('change.')).map((f) => f.slice('change.'.length));
    if (windows.join() !== WINDOWS.join()) {
      WINDOWS = windows;
      buildColumns();
    }
  }
  SIGNALS = table.signals;
  if (table.source === 'simulated') simulated = true;
  for (const row of table.rows) pending.set(row[F.symbol], row);
  requestDraw();
}

// One frame a second draws the batch; one more, FLASH_MS later, takes the flashes off if any cell flashed. After
// each, the page hears what it shows: the count, the data age, new symbols, the chart's rows, the coins.
let flashTimer = 0;
let drawId = 0; // rows drawn in the previous draw may flash (see layoutRow)
function draw() {
  frameRequested = false;
  const started = performance.now();
  const now = Date.now();
  drawId++;
  for (const state of pending.values()) {
    applyState(state);
    newestData = Math.max(newestData, state[F.oiTime] ?? 0, state[F.priceTime] ?? 0);
  }
  const n = pending.size;
  const batch = []; // the charted symbols' new rows (a handful), picked without copying the whole batch
  for (const symbol of watched) {
    const row = pending.get(symbol);
    if (row) batch.push(row);
  }
  pending.clear();
  // A live table re-sorts as values change (a sort or filter change re-sorts at once, in viewChanged).
  if (n > 0) rebuildView();
  const flashed = drawTable(now);
  if (flashed) {
    clearTimeout(flashTimer);
    flashTimer = setTimeout(requestDraw, FLASH_MS + 20);
  }
  // Coins are drawn with the batches (they arrive 4 times a second, and every canvas frame costs the compositor), or
  // alone when no batch came for a second.
  if (pendingCoins.size > 0 && (n > 0 || now - lastCoinDraw >= 1000)) {
    for (const [coin, c] of pendingCoins) coinStates.set(coin, c);
    pendingCoins.clear();
    lastCoinDraw = now;
    drawCoins();
  } else if (coinGrid.full) {
    drawCoins();
  }
  if (n > 0 || scatter.dirty) {
    scatter.dirty = false;
    drawScatter();
  }
  postA11y(now);
  let sample = null;
  if (n > 0) {
    const ms = performance.now() - started;
    perf.batches++;
    perf.rowsApplied += n;
    perf.totalMs += ms;
    perf.maxMs = Math.max(perf.maxMs, ms);
    sample = ms;
  }
  if (n > 0 || added.length > 0 || view.length !== viewSent) {
    viewSent = view.length;
    post({ type: 'frame', viewLength: view.length, total: rows.size, newestData, simulated, added, watched: batch, perf, sample });
    added = [];
  }
}

// The rows on screen, as text, for the page's accessible grid: at once after the reader did something (scroll, sort,
// filter, select); else, while the table has focus, at most once a second, and every 5 s otherwise. Each refresh
// costs the page's main thread about a millisecond of layout, and a screen reader reads slower than the table changes.
let a11ySent = 0;
let a11yUrgent = true;
let a11yEvery = 5000;
function cellText(col, slot, k) {
  if (col.key !== 'signal') return k === 0 && stars.has(slot.symbol) ? `${slot.text[k]} (starred)` : slot.text[k];
  const quadrant = QUADRANT_LABEL[slot.text[k]] ?? slot.text[k];
  return slot.cls[k] ? `${slot.cls[k]}, ${quadrant}` : quadrant;
}
function postA11y(now) {
  if (!a11yUrgent && now - a11ySent < a11yEvery) return;
  a11yUrgent = false;
  a11ySent = now;
  const first = Math.max(0, Math.floor(grid.scrollTop / grid.rowHeight));
  const out = [];
  let chosenRow = null;
  slots.forEach((slot, i) => {
    if (slot.symbol === undefined) return;
    const r = { index: first + i, symbol: slot.symbol, cells: COLUMNS.map((col, k) => cellText(col, slot, k)) };
    out.push(r);
    if (slot.symbol === selected) chosenRow = r;
  });
  post({ type: 'a11y', rows: out, viewLength: view.length, selected: chosenRow });
}

// ---- the page's messages -----------------------------------------------------------------------------------------
const post = (message) => self.postMessage(message);

const handlers = {
  // The canvas, its geometry and the page's colours and fonts (a worker has no CSS), then the hub's URL.
  init(m) {
    grid.canvas = m.canvas;
    grid.ctx = m.canvas.getContext('2d', { alpha: false });
    coinGrid.canvas = m.coinCanvas;
    coinGrid.ctx = m.coinCanvas.getContext('2d', { alpha: false });
    scatter.canvas = m.scatterCanvas;
    scatter.ctx = m.scatterCanvas.getContext('2d', { alpha: false });
    resize(scatter, m.scatter);
    Object.assign(grid, { font: m.font, bold: m.bold, badge: m.badge, small: m.small, colour: m.colour });
    handlers.geometry(m);
    handlers.coinGeometry(m.coins);
    start(m.hub, m.apiKey, m.protocol).catch((error) => post({ type: 'status', text: `failed: ${error.message}`, kind: 'down' }));
  },
  geometry(m) {
    resize(grid, m);
    grid.scrollTop = m.scrollTop;
    requestDraw();
  },
  coinGeometry(m) {
    resize(coinGrid, m);
    requestDraw();
  },
  tableFocus(m) {
    a11yEvery = m.focused ? 1000 : 5000;
  },
  scatterGeometry(m) {
    resize(scatter, m);
    scatter.dirty = true;
    requestDraw();
  },
  scatterWindow(m) {
    scatter.window = m.window;
    scatter.dirty = true;
    requestDraw();
  },
  scatterHover(m) {
    const q = m.x === null ? null : dotAt(m.x, m.y);
    if ((q?.symbol ?? null) === scatter.hover) return;
    scatter.hover = q?.symbol ?? null;
    scatter.dirty = true;
    requestDraw();
    post({ type: 'scatterTip', tip: q ? { x: q.px, y: q.py, text: `${q.symbol}\nprice ${formatPercent(q.x)}, OI ${formatPercent(q.y)} (${scatter.window})\n${QUADRANT_LABEL[q.quadrant]}` } : null });
  },
  scatterClick(m) {
    const q = dotAt(m.x, m.y);
    if (q) post({ type: 'pick', symbol: q.symbol });
  },
  coinClick(m) {
    if (coinOrder[m.index] !== undefined) post({ type: 'coinPick', coin: coinOrder[m.index] });
  },
  scroll(m) {
    grid.scrollTop = m.scrollTop;
    requestDraw();
  },
  sort(m) {
    sortKey = m.key;
    sortAsc = m.asc;
    viewChanged();
  },
  filter(m) {
    marketFilter = m.market;
    query = m.query;
    viewChanged();
  },
  // The column chooser's choice (keys of the catalogue), or null for the default.
  chooseColumns(m) {
    chosen = m.keys;
    if (WINDOWS.length > 0) buildColumns();
  },
  stars(m) {
    stars = new Set(m.symbols);
    grid.full = true;
    viewChanged();
  },
  // A click on a row's star (its index in the view), or the star key on the selected row.
  toggleStar(m) {
    const symbol = m.index === undefined ? selected : view[m.index];
    if (!symbol) return;
    if (!stars.delete(symbol)) stars.add(symbol);
    post({ type: 'stars', symbols: [...stars] });
    grid.full = true;
    viewChanged();
  },
  hover(m) {
    hoverIndex = m.index;
    requestDraw();
  },
  // A click on the canvas (the row's index in the view) or a key on the table: the page selects the symbol.
  click(m) {
    if (view[m.index] !== undefined) post({ type: 'pick', symbol: view[m.index] });
  },
  key(m) {
    if (view.length === 0) return;
    const at = selected === null ? -1 : view.indexOf(selected);
    const next = Math.max(0, Math.min(view.length - 1, at < 0 ? 0 : at + m.step));
    post({ type: 'pick', symbol: view[next] });
  },
  select(m) {
    selected = m.symbol;
    scatter.dirty = true;
    watched = new Set(m.watched);
    requestDraw();
    // Rows for a newly watched symbol go out at once (the chart needs its latest state), then with every batch.
    post({ type: 'watched', rows: m.watched.map((s) => rows.get(s)?.state).filter(Boolean), index: view.indexOf(m.symbol) });
  },
  // Questions from the page's window.oistream (tests, benches): answered with the worker's own state.
  query(m) {
    let result;
    try {
      result = answer(m.what, m.args ?? []);
    } catch (error) {
      result = { error: error.message };
    }
    post({ type: 'reply', id: m.id, result });
  },
};

// Takes a canvas's new geometry (CSS pixels, device pixel ratio, row height, columns) and redraws it whole. The canvas
// is resized only when its device-pixel size changed: resizing clears it.
function resize(target, m) {
  const width = Math.round(m.width * m.dpr);
  const height = Math.round(m.height * m.dpr);
  if (width !== target.canvas.width || height !== target.canvas.height) {
    target.canvas.width = width;
    target.canvas.height = height;
  }
  Object.assign(target, { width: m.width, height: m.height, dpr: m.dpr, rowHeight: m.rowHeight, cols: m.cols, full: true });
}

function answer(what, args) {
  switch (what) {
    case 'view': return view.slice();
    case 'size': return rows.size;
    case 'column': return { view: view.slice(), values: view.map((s) => rows.get(s).state[F[args[0]]]), screen: slots.filter((s) => s.symbol !== undefined).map((s) => s.symbol) };
    case 'value': return rows.get(args[0])?.state[F[args[1]]];
    case 'screen': return screen(args[0] === 'pixels');
    case 'coins': return coinGrid.drawn.filter(Boolean).map((d) => d.text);
    case 'rowText': {
      const row = rows.get(args[0]);
      if (!row) return null;
      return {
        headers: COLUMNS.map((c) => c.label),
        cells: COLUMNS.map((c) => (c.key === 'signal' ? QUADRANT_LABEL[quadrantOf(row.state) ?? 'neutral'] : c.text(row.state))),
      };
    }
    case 'columns': return COLUMNS.map((c) => c.key);
    case 'events': return [...events.keys()];
    case 'scatter': return { window: scatter.window, points: scatter.points.map(({ symbol, x, y, px, py, r, quadrant }) => ({ symbol, x, y, px, py, r, quadrant })) };
    default: throw new Error(`unknown query '${what}'`);
  }
}

// The rows on the canvas as last drawn: symbol, seq, y (CSS pixels from the canvas top), flags, each cell's text and
// colour class (up, down, big, flash-up, flash-down; the signal column holds the quadrant and any event) and, on
// request, the colour of each cell's top-left pixels as drawn.
function screen(pixels) {
  const image = pixels ? grid.ctx.getImageData(0, 0, grid.canvas.width, grid.canvas.height) : null;
  return slots.filter((s) => s.symbol !== undefined).map((s) => ({
    symbol: s.symbol, seq: s.seq, y: s.y, text: [...s.text], cls: [...s.cls], flags: s.flags.trim(),
    pixels: image ? grid.cols.map(({ x }) => {
      const px = Math.round((x + 2) * grid.dpr);
      const py = Math.round((s.y + 2) * grid.dpr);
      if (py < 0 || py >= image.height) return null;
      const at = (py * image.width + px) * 4;
      return [image.data[at], image.data[at + 1], image.data[at + 2]];
    }) : undefined,
  }));
}

// ---- the hub -----------------------------------------------------------------------------------------------------
async function start(hubUrl, apiKey, protocol) {
  const options = apiKey ? { apiKey } : {};
  if (protocol === 'messagepack') {
    // SignalR's MessagePack protocol (its browser build defines signalR.protocols.msgpack), loaded only when asked for.
    importScripts('signalr-protocol-msgpack.min.js');
    options.hubProtocol = new self.signalR.protocols.msgpack.MessagePackHubProtocol();
  }
  client = new lib.OiStreamClient(hubUrl, options);
  client.on('overviewTable', (table) => {
    perf.overviewBatches++;
    acceptTable(table);
  });
  client.on('coin', (c) => {
    pendingCoins.set(c.coin, c);
    if (Date.now() - lastCoinDraw >= 1000) requestDraw();
  });
  client.on('signal', (e) => {
    if (!e.symbol) return;
    events.set(e.symbol, { kind: e.kind, until: Date.now() + 60_000 });
    if (stars.has(e.symbol)) post({ type: 'notify', symbol: e.symbol, kind: e.kind, message: e.message ?? '' });
  });
  client.on('reconnecting', () => post({ type: 'status', text: 'reconnecting…', kind: 'wait' }));
  client.on('reconnected', () => post({ type: 'status', text: 'live', kind: 'live' }));
  client.on('closed', () => post({ type: 'status', text: 'disconnected', kind: 'down' }));
  // The first connection is retried too (the hub may be starting); later drops are the client's job.
  for (let attempt = 1; ; attempt++) {
    try {
      post({ type: 'status', text: 'connecting…', kind: 'wait' });
      await client.start();
      break;
    } catch (error) {
      if (/\b401\b/.test(String(error?.message))) {
        // Retrying cannot help: the hub wants a key this page does not have.
        post({ type: 'status', text: apiKey ? 'API key refused: open this page as /?access_token=KEY with a valid key' : 'this hub requires an API key: open this page as /?access_token=KEY', kind: 'down' });
        return;
      }
      post({ type: 'status', text: `hub unreachable — retrying (${attempt})`, kind: 'down' });
      // The hub's reconnect backoff: 1 s doubled each time, at most 10 s, a random point in its upper half.
      const delay = Math.min(10_000, 1000 * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * delay / 2));
    }
  }
  post({ type: 'status', text: 'live', kind: 'live' });
  acceptTable(await client.subscribeOverviewTable());
  draw();
  post({ type: 'ready', first: view[0] ?? null });
  try {
    const response = await fetch(new URL('api/v1/coins', hubUrl), apiKey ? { headers: { Authorization: `Bearer ${apiKey}` } } : undefined);
    if (!response.ok) throw new Error(`GET /api/v1/coins answered ${response.status}`);
    const all = await response.json();
    const top = all.sort((a, b) => b.openInterestUsd - a.openInterestUsd).slice(0, COINS_SHOWN).map((c) => c.coin);
    coinOrder.push(...top);
    for (const c of await client.subscribeCoins(top)) pendingCoins.set(c.coin, c);
    lastCoinDraw = 0; // draw them with the next frame
    requestDraw();
  } catch (error) {
    post({ type: 'coinsFailed', message: error.message });
  }
}

// Messages that arrive before the client module has loaded wait for it.
const inbox = [];
self.onmessage = (e) => {
  if (e.data.type !== 'hover' && e.data.type !== 'query') a11yUrgent = true;
  if (lib) handlers[e.data.type]?.(e.data);
  else inbox.push(e.data);
};
import('./oistream-client.js').then((module) => {
  module.useSignalR(self.signalR);
  lib = module;
  ({ formatCompact, formatPercent } = module);
  post({ type: 'loaded' });
  for (const m of inbox.splice(0)) handlers[m.type]?.(m);
}, (error) => post({ type: 'status', text: `failed to load the client: ${error.message}`, kind: 'down' }));
