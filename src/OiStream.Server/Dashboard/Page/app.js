// The OiStream dashboard: the whole instrument table over SignalR (the overview in table form), coin aggregates, an OI
// chart with history from the hub's REST API and the live tail appended. Uses the OiStream JavaScript client.
import { OiStreamClient, formatCompact, formatPercent, tableIndex } from './oistream-client.js';
import { createChart, LineSeries } from './lightweight-charts.js';

const $ = (id) => document.getElementById(id);
const WINDOWS = ['5m', '15m', '1h', '4h', '24h'];
const BIG_MOVE = { '5m': 1, '15m': 1.5, '1h': 2, '4h': 4, '24h': 8 }; // bold at or beyond (percent)
const QUADRANT_LABEL = {
  strongBullish: 'strong bullish', weakeningRally: 'weakening rally',
  strongBearish: 'strong bearish', weakeningSelloff: 'weakening sell-off', neutral: 'neutral',
};
const RANGES = { '1h': ['5m', 12], '4h': ['5m', 48], '24h': ['5m', 288], '7d': ['1h', 168], '30d': ['4h', 180] };
const COMPARE_COLOURS = ['#f0b90b', '#58a6ff', '#d2a8ff', '#3fb950', '#ff7b72', '#79c0ff'];

const formatPrice = (v) => (v == null ? '—' : v >= 1000 ? formatCompact(v, 2) : v >= 1 ? v.toFixed(2) : v.toPrecision(4));
const formatFunding = (v) => (v == null ? '—' : `${(v * 100).toFixed(4)} %`);
const sign = (v) => (v == null || v === 0 ? '' : v > 0 ? 'up' : 'down');

// Rows arrive as arrays (the hub's overview table: about a fifth of the bytes of InstrumentState objects, and no
// object per row to build): F maps a field name to its position, from the table's own field list.
let F = {};
let SIGNALS = [];
const quadrantOf = (r) => SIGNALS[r[F['signal.1h']]] ?? null;

const COLUMNS = [
  { key: 'symbol', label: 'Symbol', get: (r) => r[F.symbol], text: (r) => r[F.symbol], width: 112 },
  { key: 'markPrice', label: 'Mark', get: (r) => r[F.markPrice], text: (r) => formatPrice(r[F.markPrice]), width: 80 },
  { key: 'openInterestCoin', label: 'OI (coin)', get: (r) => r[F.openInterestCoin], text: (r) => formatCompact(r[F.openInterestCoin]), width: 85 },
  { key: 'openInterestUsd', label: 'OI (USD)', get: (r) => r[F.openInterestUsd], text: (r) => `$${formatCompact(r[F.openInterestUsd])}`, width: 88 },
  ...WINDOWS.map((w) => {
    const key = `change.${w}`; // built once: getters run for every row on every sort
    return { key, label: `OI ${w}`, window: w, get: (r) => r[F[key]], text: (r) => formatPercent(r[F[key]]) };
  }),
  { key: 'fundingRate', label: 'Funding', get: (r) => r[F.fundingRate], text: (r) => formatFunding(r[F.fundingRate]), signed: true, width: 82 },
  { key: 'signal', label: 'Signal 1h', get: (r) => quadrantOf(r) ?? '', text: null, width: 150 },
];

// ---- state -------------------------------------------------------------------------------------------------------
// The model holds every instrument; the DOM holds only a fixed pool of row elements, enough to fill the table's
// viewport. Each frame the pool shows view[first .. first + pool.length): sorting, filtering and scrolling change
// which symbol a row element shows, never how many elements there are or their order. With 600+ instruments
// changing every second, that keeps layout and paint to one screenful of rows.
// symbol → { state (a table row), shown[] / shownValue[] (text and value last drawn per column), drawnIn (draw id),
// flash: Int8Array per column (+1 up, −1 down), flashUntil }
const rows = new Map();
const pending = new Map(); // symbol → newest row not yet applied
const events = new Map(); // symbol → { kind, until }
let view = []; // symbols passing the filter, in table order
let first = 0; // index in view of the pool's first row
const pool = []; // { tr, cells, text[], cls[], symbol, seq, flags, top }
let rowHeight = 22; // the CSS --row-height
// Geometry is read in the scroll and resize handlers, never while drawing: reading scrollTop after writing text would
// force a synchronous layout in the middle of the frame.
let scrollTop = 0;
let bodyHeight = 0; // the table panel's height below the header
let sortKey = 'openInterestUsd';
let sortAsc = false;
let marketFilter = 'usdm-perp';
let query = '';
let frameRequested = false;
let newestData = 0;
let simulated = false;
const FLASH_MS = 600;
const perf = { overviewBatches: 0, batches: 0, rowsApplied: 0, totalMs: 0, maxMs: 0, samples: [] };

// ---- table -------------------------------------------------------------------------------------------------------
function buildHead() {
  const head = $('head');
  for (const col of COLUMNS) {
    const th = document.createElement('th');
    th.textContent = col.label;
    th.dataset.key = col.key;
    if (col.width) th.style.flex = `0 0 ${col.width}px`;
    th.addEventListener('click', () => {
      if (sortKey === col.key) sortAsc = !sortAsc;
      else {
        sortKey = col.key;
        sortAsc = col.key === 'symbol';
      }
      markSorted();
      viewChanged();
    });
    head.append(th);
  }
  markSorted();
}

function markSorted() {
  for (const th of $('head').children) {
    th.classList.toggle('sorted', th.dataset.key === sortKey);
    th.classList.toggle('asc', th.dataset.key === sortKey && sortAsc);
  }
}

function matches(r) {
  if (query && !r[F.symbol].includes(query)) return false;
  const market = r[F.market];
  switch (marketFilter) {
    case 'usdm-perp': return market === 'usdm' && r[F.contractType] === 'PERPETUAL';
    case 'coinm': return market === 'coinm';
    case 'delivery': return market !== 'options' && r[F.contractType] !== 'PERPETUAL';
    case 'options': return market === 'options';
    default: return true;
  }
}

// Applies a newer row to the model (older ones, by seq, are dropped).
function applyState(state) {
  const symbol = state[F.symbol];
  let row = rows.get(symbol);
  if (!row) {
    row = { state, shown: new Array(COLUMNS.length).fill(null), shownValue: new Array(COLUMNS.length).fill(null), drawnIn: -1, flash: new Int8Array(COLUMNS.length), flashUntil: 0 };
    rows.set(symbol, row);
    const option = document.createElement('option');
    option.value = symbol;
    $('symbols').append(option);
    return;
  }
  if (state[F.seq] < row.state[F.seq]) return; // older than what is shown
  row.state = state;
}

// Sorts on keys read once per row (not once per comparison). Missing values sort last in both directions.
function rebuildView() {
  const col = COLUMNS.find((c) => c.key === sortKey);
  const keyed = [];
  for (const [symbol, row] of rows) {
    if (matches(row.state)) keyed.push({ symbol, v: col.get(row.state) });
  }
  const direction = sortAsc ? 1 : -1;
  keyed.sort((a, b) => {
    const am = a.v == null || a.v === '';
    const bm = b.v == null || b.v === '';
    if (am || bm) return am === bm ? (a.symbol < b.symbol ? -1 : 1) : am ? 1 : -1;
    const d = typeof a.v === 'string' ? (a.v < b.v ? -1 : a.v > b.v ? 1 : 0) : a.v - b.v;
    return direction * d || (a.symbol < b.symbol ? -1 : 1);
  });
  view = keyed.map((k) => k.symbol);
  setText($('count'), `${view.length} of ${rows.size} instruments`);
}

function setIfChanged(entry, i, td, text, cls) {
  if (entry.text[i] !== text) {
    entry.text[i] = text;
    td.textContent = text;
  }
  if (entry.cls[i] !== cls) {
    entry.cls[i] = cls;
    td.className = cls;
  }
}

// Draws one pool row for a symbol (or blank when the view is shorter than the pool). Only cells whose text or class
// changed are written. Returns whether a cell started to flash.
function drawPoolRow(entry, symbol, now) {
  const row = symbol === undefined ? undefined : rows.get(symbol);
  if (entry.tr.hidden !== (row === undefined)) entry.tr.hidden = row === undefined;
  if (row === undefined) {
    entry.symbol = undefined;
    return false;
  }
  const s = row.state;
  if (entry.symbol !== symbol) {
    entry.symbol = symbol;
    entry.tr.dataset.symbol = symbol;
  }
  const seq = s[F.seq];
  if (entry.seq !== seq) {
    entry.seq = seq;
    entry.tr.dataset.seq = seq;
  }
  // A cell flashes when the text it shows changed since this symbol was last drawn, if that was the previous frame
  // (a row scrolled or filtered back into view shows its news without a flash). Equal text is no news: a value that
  // moved within its display precision does not flash.
  const continued = row.drawnIn === drawId - 1 || row.drawnIn === drawId;
  row.drawnIn = drawId;
  let flashed = false;
  for (let i = 0; i < COLUMNS.length; i++) {
    const col = COLUMNS[i];
    const td = entry.cells[i];
    if (col.key === 'signal') {
      const q = quadrantOf(s) ?? 'neutral';
      const ev = events.get(symbol);
      const kind = ev && ev.until > now ? ev.kind : '';
      const key = `${q}|${kind}`;
      if (entry.text[i] !== key) {
        entry.text[i] = key;
        td.innerHTML = `<span class="badge ${q}">${QUADRANT_LABEL[q] ?? q}</span>` + (kind ? `<span class="badge event">${kind}</span>` : '');
      }
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
      if (col.window && v != null && Math.abs(v) >= BIG_MOVE[col.window]) cls += ' big';
    }
    if (row.flash[i] !== 0) cls += row.flash[i] > 0 ? ' flash-up' : ' flash-down';
    setIfChanged(entry, i, td, text, cls);
  }
  if (flashed) row.flashUntil = now + FLASH_MS;
  const flags = s[F.stale] ? (symbol === selected ? 'stale selected' : 'stale') : symbol === selected ? 'selected' : '';
  if (entry.flags !== flags) {
    entry.flags = flags;
    entry.tr.className = flags;
  }
  return flashed;
}

// Grows or shrinks the pool to fill the table's viewport (plus one row for a partly visible last row).
function sizePool() {
  const wanted = Math.max(1, Math.ceil(bodyHeight / rowHeight) + 1);
  const body = $('rows');
  while (pool.length < wanted) {
    const tr = document.createElement('tr');
    tr.hidden = true;
    const cells = COLUMNS.map((col) => {
      const td = tr.appendChild(document.createElement('td'));
      if (col.width) td.style.flex = `0 0 ${col.width}px`;
      return td;
    });
    pool.push({ tr, cells, text: new Array(COLUMNS.length).fill(null), cls: new Array(COLUMNS.length).fill(''), symbol: undefined, seq: undefined, flags: '', top: -1 });
    body.append(tr);
  }
  while (pool.length > wanted) pool.pop().tr.remove();
}

// Shows view[first ..] in the pool. The body is as tall as the whole view (so the scrollbar reflects it) and each
// pool row is positioned at its place in the view. Returns whether any cell started to flash.
function drawTable(now) {
  const maxFirst = Math.max(0, view.length - pool.length + 1);
  first = Math.min(maxFirst, Math.floor(scrollTop / rowHeight));
  let flashed = false;
  for (let i = 0; i < pool.length; i++) {
    const entry = pool[i];
    if (drawPoolRow(entry, view[first + i], now)) flashed = true;
    const top = (first + i) * rowHeight;
    if (entry.top !== top) {
      entry.top = top;
      entry.tr.style.transform = `translateY(${top}px)`;
    }
  }
  const height = `${view.length * rowHeight}px`;
  if ($('rows').style.height !== height) $('rows').style.height = height;
  return flashed;
}

// The sort or filter changed: the order is recomputed at once (so the page's state is consistent right after the
// click), the rows are drawn with the next frame.
function viewChanged() {
  rebuildView();
  requestDraw();
}

function requestDraw() {
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(draw);
  }
}

// Every state goes through here; drawing waits for the next animation frame so a burst is drawn once. The chart's tail
// is appended here, before the frame, so the chart redraws in the same frame as the table rather than in one more.
function accept(state) {
  pending.set(state[F.symbol], state);
  chartTail(state);
  requestDraw();
}

// A table (the subscription's answer, or a batch): its field list and source, then its rows.
function acceptTable(table) {
  if (table.fields.length !== Object.keys(F).length || table.fields.some((name, i) => F[name] !== i)) F = tableIndex(table);
  SIGNALS = table.signals;
  if (table.source === 'simulated' && !simulated) {
    simulated = true;
    $('sim-banner').hidden = false;
  }
  for (const row of table.rows) accept(row);
}

// One frame a second draws the batch (table, coins, data age); one more, FLASH_MS later, takes the flashes off if
// any cell flashed. Nothing else draws while batches keep coming.
let flashTimer = 0;
let drawId = 0; // rows drawn in the previous draw may flash (see drawPoolRow)
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
  pending.clear();
  // A live table re-sorts as values change (a sort or filter change re-sorts at once, in viewChanged).
  if (n > 0) rebuildView();
  const flashed = drawTable(now);
  drawCoins();
  if (n > 0) drawAge(now); // the flash-off frame leaves the header alone
  // Take the flashes off once they are over: one more draw, of the pool only.
  if (flashed) {
    clearTimeout(flashTimer);
    flashTimer = setTimeout(requestDraw, FLASH_MS + 20);
  }
  if (n > 0) {
    const ms = performance.now() - started;
    perf.batches++;
    perf.rowsApplied += n;
    perf.totalMs += ms;
    perf.maxMs = Math.max(perf.maxMs, ms);
    if (perf.samples.length < 10000) perf.samples.push(ms);
  }
}

function scrollToSymbol(symbol) {
  const index = view.indexOf(symbol);
  if (index < 0) return;
  const top = index * rowHeight;
  if (top < scrollTop || top + rowHeight > scrollTop + bodyHeight) $('table-panel').scrollTop = Math.max(0, top - bodyHeight / 2);
}

function initTable() {
  const panel = $('table-panel');
  rowHeight = parseFloat(getComputedStyle(panel).getPropertyValue('--row-height')) || rowHeight;
  $('rows').addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (tr?.dataset.symbol && !tr.hidden) selectSymbol(tr.dataset.symbol);
  });
  panel.addEventListener('scroll', () => {
    scrollTop = panel.scrollTop;
    requestDraw();
  }, { passive: true });
  new ResizeObserver(() => {
    bodyHeight = panel.clientHeight - $('head').offsetHeight;
    scrollTop = panel.scrollTop;
    sizePool();
    requestDraw();
  }).observe(panel);
  bodyHeight = panel.clientHeight - $('head').offsetHeight;
  sizePool();
}

// ---- coins -------------------------------------------------------------------------------------------------------
// Coin updates arrive with every publish (4 a second); they are drawn with the table, at most once a frame, and only
// the cells whose text changed are written.
const coinRows = new Map(); // coin → { tr, cells, text[] }
const pendingCoins = new Map();

function acceptCoin(c) {
  pendingCoins.set(c.coin, c);
}

function drawCoins() {
  for (const c of pendingCoins.values()) drawCoin(c);
  pendingCoins.clear();
}

function drawCoin(c) {
  let row = coinRows.get(c.coin);
  if (!row) {
    const tr = document.createElement('tr');
    tr.dataset.coin = c.coin;
    tr.addEventListener('click', () => {
      $('search').value = c.coin;
      setQuery(c.coin);
    });
    const cells = Array.from({ length: 7 }, () => tr.appendChild(document.createElement('td')));
    cells[3].innerHTML = '<span class="split"><span class="stable"></span><span class="coin"></span></span> <span></span>';
    row = { tr, cells, text: new Array(7).fill(null) };
    coinRows.set(c.coin, row);
    $('coin-rows').append(tr);
  }
  const futures = c.openInterestUsdByStableMargin + c.openInterestUsdByCoinMargin;
  const stable = futures > 0 ? (100 * c.openInterestUsdByStableMargin) / futures : 0;
  const h1 = c.change['1h'];
  const h24 = c.change['24h'];
  const texts = [
    c.coin, `$${formatCompact(c.openInterestUsd)}`, formatCompact(c.openInterestCoin), `${stable.toFixed(0)}%`,
    c.optionsOpenInterestUsd > 0 ? '$' + formatCompact(c.optionsOpenInterestUsd) : '—', formatPercent(h1), formatPercent(h24),
  ];
  for (let i = 0; i < texts.length; i++) {
    if (row.text[i] === texts[i]) continue;
    row.text[i] = texts[i];
    const td = row.cells[i];
    if (i === 3) {
      const [bar, label] = td.children;
      bar.children[0].style.width = `${stable}%`;
      bar.children[1].style.width = `${100 - stable}%`;
      label.textContent = texts[i];
      td.title = `${stable.toFixed(1)} % stablecoin-margined, ${(100 - stable).toFixed(1)} % coin-margined`;
    } else {
      td.textContent = texts[i];
      if (i >= 5) td.className = sign(i === 5 ? h1 : h24);
    }
  }
}

async function loadCoins(client) {
  const response = await fetch('api/v1/coins');
  if (!response.ok) throw new Error(`GET /api/v1/coins answered ${response.status}`);
  const all = await response.json();
  const top = all.sort((a, b) => b.openInterestUsd - a.openInterestUsd).slice(0, 12).map((c) => c.coin);
  for (const c of await client.subscribeCoins(top)) acceptCoin(c);
  requestDraw();
}

// ---- chart -------------------------------------------------------------------------------------------------------
let chart = null;
let selected = null;
let range = '24h';
const compared = []; // extra symbols in compare mode
let lines = new Map(); // symbol → { oi: series, mark?: series, base, lastTime }
let chartLoad = 0;

function ensureChart() {
  if (chart) return;
  chart = createChart($('chart'), {
    autoSize: true,
    layout: { background: { color: '#161b22' }, textColor: '#c9d1d9' },
    grid: { vertLines: { color: '#21262d' }, horzLines: { color: '#21262d' } },
    leftPriceScale: { visible: true, borderColor: '#30363d' },
    rightPriceScale: { visible: true, borderColor: '#30363d' },
    timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#30363d' },
  });
}

function selectSymbol(symbol) {
  if (!rows.has(symbol)) return;
  selected = symbol;
  requestDraw();
  const url = new URL(location.href);
  url.searchParams.set('symbol', symbol);
  history.replaceState(null, '', url);
  loadChart();
}

async function fetchHistory(symbol) {
  const [period, limit] = RANGES[range];
  const response = await fetch(`api/v1/open-interest/history?symbol=${encodeURIComponent(symbol)}&period=${period}&limit=${limit}`);
  const body = await response.json();
  if (!response.ok) throw new Error(body.msg ?? `history answered ${response.status}`);
  return body
    .map((r) => ({ time: Math.floor(r.timestamp / 1000), oi: Number(r.sumOpenInterest), value: Number(r.sumOpenInterestValue) }))
    .filter((p) => Number.isFinite(p.oi) && p.oi > 0)
    .sort((a, b) => a.time - b.time);
}

async function loadChart() {
  if (!selected) return;
  ensureChart();
  const load = ++chartLoad;
  const symbols = [selected, ...compared.filter((s) => s !== selected)];
  const comparing = symbols.length > 1;
  $('chart-title').textContent = comparing ? `OI change, % (${range})` : `${selected} open interest (${range})`;
  $('chart-note').textContent = 'loading history…';
  let histories;
  try {
    histories = await Promise.all(symbols.map(fetchHistory));
  } catch (error) {
    if (load === chartLoad) $('chart-note').textContent = `History unavailable: ${error.message}`;
    return;
  }
  if (load !== chartLoad) return; // a newer selection won
  for (const line of lines.values()) {
    chart.removeSeries(line.oi);
    if (line.mark) chart.removeSeries(line.mark);
  }
  lines = new Map();
  tail.length = 0; // points for the series just removed
  symbols.forEach((symbol, i) => {
    const points = histories[i];
    const state = rows.get(symbol)?.state;
    const base = points.length > 0 ? points[0].oi : state?.[F.openInterest];
    const oi = chart.addSeries(LineSeries, {
      color: COMPARE_COLOURS[i % COMPARE_COLOURS.length], lineWidth: 2, priceScaleId: 'right', title: comparing ? symbol : 'OI',
      priceFormat: comparing ? { type: 'custom', formatter: (v) => `${v.toFixed(2)} %` } : { type: 'custom', formatter: (v) => formatCompact(v) },
    });
    oi.setData(points.map((p) => ({ time: p.time, value: comparing ? (100 * (p.oi / base - 1)) : p.oi })));
    const line = { oi, mark: null, base, lastTime: points.length ? points[points.length - 1].time : 0 };
    if (!comparing) {
      line.mark = chart.addSeries(LineSeries, { color: '#58a6ff', lineWidth: 1, priceScaleId: 'left', title: 'mark' });
      // USDⓈ-M history carries the USD value, so value / OI is the mark price of each bucket.
      const marks = state?.[F.market] === 'usdm' ? points.filter((p) => p.value > 0).map((p) => ({ time: p.time, value: p.value / p.oi })) : [];
      line.mark.setData(marks);
    }
    lines.set(symbol, line);
  });
  chart.timeScale().fitContent();
  const total = histories.reduce((n, h) => n + h.length, 0);
  $('chart-note').textContent = `${total} history points${comparing ? ` for ${symbols.length} symbols, as % change from the first point` : ''}; live updates are appended.`;
  drawChips();
}

// Live updates are appended to the chart's series (the time scale is in seconds; a repeat of the last second replaces
// it). They are handed to the chart in bursts, at most every CHART_TAIL_MS: every hand-over redraws the whole chart,
// which costs more than drawing the table, and a second's move is below a pixel on any range but 1h.
const CHART_TAIL_MS = 5000;
const tail = []; // [line, point, markPoint?] not yet handed to the chart
let tailTimer = 0;
let lastTailFlush = 0;

function chartTail(r) {
  if (lines.size === 0) return;
  const line = lines.get(r[F.symbol]);
  const oiTime = r[F.oiTime];
  const openInterest = r[F.openInterest];
  if (!line || oiTime == null || openInterest == null) return;
  const time = Math.floor(Math.max(oiTime, r[F.priceTime] ?? 0) / 1000);
  if (time < line.lastTime) return;
  line.lastTime = time;
  const comparing = lines.size > 1;
  line.base ??= openInterest;
  const mark = r[F.markPrice];
  tail.push([line, { time, value: comparing ? 100 * (openInterest / line.base - 1) : openInterest }, line.mark && mark != null ? { time, value: mark } : null]);
  if (!tailTimer) tailTimer = setTimeout(flushTail, Math.max(0, lastTailFlush + CHART_TAIL_MS - performance.now()));
}

function flushTail() {
  tailTimer = 0;
  lastTailFlush = performance.now();
  for (const [line, point, markPoint] of tail) {
    line.oi.update(point);
    if (markPoint) line.mark.update(markPoint);
  }
  tail.length = 0;
}

function drawChips() {
  const chips = $('compare-chips');
  chips.replaceChildren(...compared.map((symbol) => {
    const chip = document.createElement('span');
    chip.className = 'chip';
    chip.textContent = symbol;
    const remove = document.createElement('button');
    remove.textContent = '×';
    remove.title = `Stop comparing ${symbol}`;
    remove.addEventListener('click', () => {
      compared.splice(compared.indexOf(symbol), 1);
      loadChart();
    });
    chip.append(remove);
    return chip;
  }));
}

function addCompare() {
  const symbol = $('compare-input').value.trim().toUpperCase();
  if (!rows.has(symbol)) {
    $('chart-note').textContent = `Unknown symbol '${symbol}': pick one from the list (the table's symbols).`;
    return;
  }
  if (symbol !== selected && !compared.includes(symbol)) compared.push(symbol);
  $('compare-input').value = '';
  loadChart();
}

// ---- status ------------------------------------------------------------------------------------------------------
function setConnection(text, kind) {
  const pill = $('conn');
  pill.textContent = text;
  pill.className = `pill pill-${kind}`;
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

// The age is drawn with every batch; this timer only draws it when batches stop (a stalled feed must show).
function tickAge() {
  if (Date.now() - lastAgeDraw > 1500) drawAge(Date.now());
}

let lastAgeDraw = 0;
function drawAge(now) {
  if (!newestData) return;
  lastAgeDraw = now;
  const age = $('age');
  const seconds = Math.max(0, (now - newestData) / 1000);
  setText(age, `data ${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s old`);
  const old = seconds > 10;
  if (age.classList.contains('old') !== old) age.classList.toggle('old', old);
}

function setQuery(text) {
  query = text.trim().toUpperCase();
  viewChanged();
}

// ---- start -------------------------------------------------------------------------------------------------------
async function main() {
  buildHead();
  initTable();
  $('market').addEventListener('change', (e) => {
    marketFilter = e.target.value;
    viewChanged();
  });
  $('search').addEventListener('input', (e) => setQuery(e.target.value));
  for (const button of $('ranges').querySelectorAll('button')) {
    button.addEventListener('click', () => {
      range = button.dataset.range;
      for (const b of $('ranges').children) b.classList.toggle('active', b === button);
      loadChart();
    });
  }
  $('compare-add').addEventListener('click', addCompare);
  $('compare-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') addCompare();
  });
  setInterval(tickAge, 1000);

  const client = new OiStreamClient(location.origin + location.pathname.replace(/[^/]*$/, ''));
  client.on('overviewTable', (table) => {
    perf.overviewBatches++;
    acceptTable(table);
  });
  client.on('coin', acceptCoin);
  client.on('signal', (e) => {
    if (e.symbol) events.set(e.symbol, { kind: e.kind, until: Date.now() + 60_000 });
  });
  client.on('reconnecting', () => setConnection('reconnecting…', 'wait'));
  client.on('reconnected', () => setConnection('live', 'live'));
  client.on('closed', () => setConnection('disconnected', 'down'));
  window.oistream = {
    client, perf, rows, view: () => view, rowHeight: () => rowHeight, selected: () => selected,
    value: (symbol, name) => rows.get(symbol)?.state[F[name]],
    chartInfo: () => [...lines.entries()].map(([symbol, l]) => ({ symbol, points: l.oi.data().length, markPoints: l.mark ? l.mark.data().length : 0 })),
  };

  // The first connection is retried too (the hub may be starting); later drops are the client's job.
  for (let attempt = 1; ; attempt++) {
    try {
      setConnection('connecting…', 'wait');
      await client.start();
      break;
    } catch (error) {
      setConnection(`hub unreachable — retrying (${attempt})`, 'down');
      await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * attempt)));
    }
  }
  setConnection('live', 'live');
  acceptTable(await client.subscribeOverviewTable());
  draw();
  const wanted = new URL(location.href).searchParams.get('symbol')?.toUpperCase();
  selectSymbol(wanted && rows.has(wanted) ? wanted : view[0]);
  if (wanted) scrollToSymbol(wanted);
  const coin = new URL(location.href).searchParams.get('coin');
  if (coin) {
    $('search').value = coin.toUpperCase();
    setQuery(coin);
  }
  loadCoins(client).catch((error) => {
    $('coin-rows').innerHTML = `<tr><td colspan="7">Coins unavailable: ${error.message}</td></tr>`;
  });
}

main();
