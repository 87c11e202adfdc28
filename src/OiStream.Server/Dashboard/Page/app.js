// The OiStream dashboard: the whole instrument table over SignalR (overview), coin aggregates, an OI chart with
// history from the hub's REST API and the live tail appended. Uses the OiStream JavaScript client (clients/js).
import { OiStreamClient, formatCompact, formatPercent } from './oistream-client.js';
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

const COLUMNS = [
  { key: 'symbol', label: 'Symbol', get: (s) => s.symbol, text: (s) => s.symbol, width: 130 },
  { key: 'markPrice', label: 'Mark', get: (s) => s.markPrice, text: (s) => formatPrice(s.markPrice), width: 85 },
  { key: 'openInterestCoin', label: 'OI (coin)', get: (s) => s.openInterestCoin, text: (s) => formatCompact(s.openInterestCoin), width: 85 },
  { key: 'openInterestUsd', label: 'OI (USD)', get: (s) => s.openInterestUsd, text: (s) => `$${formatCompact(s.openInterestUsd)}`, width: 90 },
  ...WINDOWS.map((w) => ({
    key: `change.${w}`, label: `OI ${w}`, window: w,
    get: (s) => s.change[w], text: (s) => formatPercent(s.change[w]),
  })),
  { key: 'fundingRate', label: 'Funding', get: (s) => s.fundingRate, text: (s) => formatFunding(s.fundingRate), signed: true, width: 85 },
  { key: 'signal', label: 'Signal 1h', get: (s) => s.signal['1h'] ?? '', text: null, width: 150 },
];

// ---- state -------------------------------------------------------------------------------------------------------
const rows = new Map(); // symbol → { state, tr, cells, text[], visible }
const pending = new Map(); // symbol → newest state not yet drawn
const events = new Map(); // symbol → { kind, until }
let order = []; // symbols in table order
let sortKey = 'openInterestUsd';
let sortAsc = false;
let marketFilter = 'usdm-perp';
let query = '';
let frameRequested = false;
let newestData = 0;
let simulated = false;
const perf = { overviewBatches: 0, batches: 0, rowsApplied: 0, totalMs: 0, maxMs: 0, samples: [] };

// ---- table -------------------------------------------------------------------------------------------------------
function buildHead() {
  const head = $('head');
  for (const col of COLUMNS) {
    const th = document.createElement('th');
    th.textContent = col.label;
    th.dataset.key = col.key;
    if (col.width) th.style.width = `${col.width}px`;
    th.addEventListener('click', () => {
      if (sortKey === col.key) sortAsc = !sortAsc;
      else {
        sortKey = col.key;
        sortAsc = col.key === 'symbol';
      }
      markSorted();
      resort(true);
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

// Only rows on screen are drawn (and flashed): a row scrolled out of view keeps its newest state and is drawn when it
// scrolls back in. With 600+ rows changing every second this is most of the saving.
const rowOf = new WeakMap();
const onScreen = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const row = rowOf.get(entry.target);
    row.inView = entry.isIntersecting;
    if (row.inView && row.dirty) {
      row.dirty = false;
      drawRow(row, null);
    }
  }
}, { root: document.querySelector('.table-panel'), rootMargin: '200px 0px' });

function createRow(state) {
  const tr = document.createElement('tr');
  tr.dataset.symbol = state.symbol;
  const cells = COLUMNS.map(() => tr.appendChild(document.createElement('td')));
  tr.addEventListener('click', () => selectSymbol(state.symbol));
  const row = { state, tr, cells, text: new Array(COLUMNS.length).fill(null), visible: true, inView: false, dirty: false };
  rows.set(state.symbol, row);
  rowOf.set(tr, row);
  onScreen.observe(tr);
  const option = document.createElement('option');
  option.value = state.symbol;
  $('symbols').append(option);
  return row;
}

function matches(state) {
  if (query && !state.symbol.includes(query)) return false;
  switch (marketFilter) {
    case 'usdm-perp': return state.market === 'usdm' && state.contractType === 'PERPETUAL';
    case 'coinm': return state.market === 'coinm';
    case 'delivery': return state.market !== 'options' && state.contractType !== 'PERPETUAL';
    case 'options': return state.market === 'options';
    default: return true;
  }
}

// A flash is one class on, then off ~0.6 s later for the whole batch: two repaints, where an animation would repaint
// every frame (on a software-rendered page that was most of the main thread's time).
let flashed = [];
function endFlashes(cells) {
  for (const td of cells) td.classList.remove('flash-up', 'flash-down');
}

// Writes only the cells whose text changed, and flashes them in the direction of the change.
function drawRow(row, previous) {
  const s = row.state;
  const flash = previous !== null;
  for (let i = 0; i < COLUMNS.length; i++) {
    const col = COLUMNS[i];
    const td = row.cells[i];
    if (col.key === 'signal') {
      const q = s.signal['1h'] ?? 'neutral';
      const ev = events.get(s.symbol);
      const key = `${q}|${ev && ev.until > Date.now() ? ev.kind : ''}`;
      if (row.text[i] !== key) {
        row.text[i] = key;
        td.innerHTML = `<span class="badge ${q}">${QUADRANT_LABEL[q] ?? q}</span>` +
          (ev && ev.until > Date.now() ? `<span class="badge event">${ev.kind}</span>` : '');
      }
      continue;
    }
    const text = col.text(s);
    if (row.text[i] === text) continue;
    row.text[i] = text;
    td.textContent = text;
    const v = col.get(s);
    if (col.window) {
      td.className = `${sign(v)}${v != null && Math.abs(v) >= BIG_MOVE[col.window] ? ' big' : ''}`;
    } else if (col.signed) {
      td.className = sign(v);
    }
    if (flash && i > 0) {
      const old = previous ? col.get(previous) : null;
      if (typeof v === 'number' && typeof old === 'number' && v !== old) {
        td.classList.add(v > old ? 'flash-up' : 'flash-down');
        flashed.push(td);
      }
    }
  }
  row.tr.classList.toggle('stale', !!s.stale);
}

function compare(col, a, b) {
  const va = col.get(rows.get(a).state);
  const vb = col.get(rows.get(b).state);
  // Missing values sort last in both directions.
  if (va == null || va === '') return vb == null || vb === '' ? a.localeCompare(b) : 1;
  if (vb == null || vb === '') return -1;
  const d = typeof va === 'string' ? va.localeCompare(vb) : va - vb;
  return (sortAsc ? d : -d) || a.localeCompare(b);
}

// Re-orders the table; moves DOM rows only when the order actually changed.
function resort(force) {
  const col = COLUMNS.find((c) => c.key === sortKey); // once per sort, not once per comparison
  const next = [...rows.keys()].sort((a, b) => compare(col, a, b));
  if (!force && next.length === order.length && next.every((s, i) => s === order[i])) return;
  order = next;
  const body = $('rows');
  const fragment = document.createDocumentFragment();
  for (const symbol of order) fragment.append(rows.get(symbol).tr);
  body.append(fragment);
}

function applyFilter() {
  let shown = 0;
  for (const row of rows.values()) {
    const visible = matches(row.state);
    if (visible !== row.visible) {
      row.visible = visible;
      row.tr.hidden = !visible;
    }
    if (visible) shown++;
  }
  $('count').textContent = `${shown} of ${rows.size} instruments`;
}

// Every state goes through here; drawing waits for the next animation frame so a burst is drawn once.
function accept(state) {
  pending.set(state.symbol, state);
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(drawPending);
  }
}

function drawPending() {
  frameRequested = false;
  const started = performance.now();
  let created = false;
  let filterChanged = false;
  for (const state of pending.values()) {
    let row = rows.get(state.symbol);
    let previous = null;
    if (!row) {
      row = createRow(state);
      created = true;
    } else {
      previous = row.state;
      if (state.seq < previous.seq) continue; // older than what is shown
      row.state = state;
    }
    row.tr.dataset.seq = state.seq;
    if (row.inView || !previous) {
      drawRow(row, previous);
    } else {
      row.dirty = true;
    }
    if (matches(state) !== row.visible) filterChanged = true;
    newestData = Math.max(newestData, state.oiTime ?? 0, state.priceTime ?? 0);
    if (state.source === 'simulated' && !simulated) {
      simulated = true;
      $('sim-banner').hidden = false;
    }
    chartTail(state);
  }
  const n = pending.size;
  pending.clear();
  if (flashed.length > 0) {
    setTimeout(endFlashes, 600, flashed);
    flashed = [];
  }
  resort(created);
  if (created || filterChanged) applyFilter();
  const ms = performance.now() - started;
  perf.batches++;
  perf.rowsApplied += n;
  perf.totalMs += ms;
  perf.maxMs = Math.max(perf.maxMs, ms);
  if (perf.samples.length < 10000) perf.samples.push(ms);
}

// ---- coins -------------------------------------------------------------------------------------------------------
const coinRows = new Map();

function drawCoin(c) {
  let tr = coinRows.get(c.coin);
  if (!tr) {
    tr = document.createElement('tr');
    tr.dataset.coin = c.coin;
    tr.addEventListener('click', () => {
      $('search').value = c.coin;
      setQuery(c.coin);
    });
    coinRows.set(c.coin, tr);
    $('coin-rows').append(tr);
  }
  const futures = c.openInterestUsdByStableMargin + c.openInterestUsdByCoinMargin;
  const stable = futures > 0 ? (100 * c.openInterestUsdByStableMargin) / futures : 0;
  const h1 = c.change['1h'];
  const h24 = c.change['24h'];
  tr.innerHTML = `<td>${c.coin}</td><td>$${formatCompact(c.openInterestUsd)}</td><td>${formatCompact(c.openInterestCoin)}</td>` +
    `<td title="${stable.toFixed(1)} % stablecoin-margined, ${(100 - stable).toFixed(1)} % coin-margined"><span class="split"><span class="stable" style="width:${stable}%"></span><span class="coin" style="width:${100 - stable}%"></span></span> ${stable.toFixed(0)}%</td>` +
    `<td>${c.optionsOpenInterestUsd > 0 ? '$' + formatCompact(c.optionsOpenInterestUsd) : '—'}</td>` +
    `<td class="${sign(h1)}">${formatPercent(h1)}</td><td class="${sign(h24)}">${formatPercent(h24)}</td>`;
}

async function loadCoins(client) {
  const response = await fetch('api/v1/coins');
  if (!response.ok) throw new Error(`GET /api/v1/coins answered ${response.status}`);
  const all = await response.json();
  const top = all.sort((a, b) => b.openInterestUsd - a.openInterestUsd).slice(0, 12).map((c) => c.coin);
  for (const c of await client.subscribeCoins(top)) drawCoin(c);
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
  if (selected) rows.get(selected)?.tr.classList.remove('selected');
  selected = symbol;
  rows.get(symbol).tr.classList.add('selected');
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
  symbols.forEach((symbol, i) => {
    const points = histories[i];
    const state = rows.get(symbol)?.state;
    const base = points.length > 0 ? points[0].oi : state?.openInterest;
    const oi = chart.addSeries(LineSeries, {
      color: COMPARE_COLOURS[i % COMPARE_COLOURS.length], lineWidth: 2, priceScaleId: 'right', title: comparing ? symbol : 'OI',
      priceFormat: comparing ? { type: 'custom', formatter: (v) => `${v.toFixed(2)} %` } : { type: 'custom', formatter: (v) => formatCompact(v) },
    });
    oi.setData(points.map((p) => ({ time: p.time, value: comparing ? (100 * (p.oi / base - 1)) : p.oi })));
    const line = { oi, mark: null, base, lastTime: points.length ? points[points.length - 1].time : 0 };
    if (!comparing) {
      line.mark = chart.addSeries(LineSeries, { color: '#58a6ff', lineWidth: 1, priceScaleId: 'left', title: 'mark' });
      // USDⓈ-M history carries the USD value, so value / OI is the mark price of each bucket.
      const marks = state?.market === 'usdm' ? points.filter((p) => p.value > 0).map((p) => ({ time: p.time, value: p.value / p.oi })) : [];
      line.mark.setData(marks);
    }
    lines.set(symbol, line);
  });
  chart.timeScale().fitContent();
  const total = histories.reduce((n, h) => n + h.length, 0);
  $('chart-note').textContent = `${total} history points${comparing ? ` for ${symbols.length} symbols, as % change from the first point` : ''}; live updates are appended.`;
  drawChips();
}

// Appends a live update to the chart (the time scale is in seconds; a repeat of the last second replaces it).
function chartTail(state) {
  const line = lines.get(state.symbol);
  if (!line || state.oiTime == null || state.openInterest == null) return;
  const time = Math.floor(Math.max(state.oiTime, state.priceTime ?? 0) / 1000);
  if (time < line.lastTime) return;
  line.lastTime = time;
  const comparing = lines.size > 1;
  line.base ??= state.openInterest;
  line.oi.update({ time, value: comparing ? 100 * (state.openInterest / line.base - 1) : state.openInterest });
  if (line.mark && state.markPrice != null) line.mark.update({ time, value: state.markPrice });
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

function tickAge() {
  const age = $('age');
  if (!newestData) return;
  const seconds = Math.max(0, (Date.now() - newestData) / 1000);
  age.textContent = `data ${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s old`;
  age.classList.toggle('old', seconds > 10);
}

function setQuery(text) {
  query = text.trim().toUpperCase();
  applyFilter();
}

// ---- start -------------------------------------------------------------------------------------------------------
async function main() {
  buildHead();
  $('market').addEventListener('change', (e) => {
    marketFilter = e.target.value;
    applyFilter();
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
  client.on('overview', (states) => {
    perf.overviewBatches++;
    states.forEach(accept);
  });
  client.on('coin', drawCoin);
  client.on('signal', (e) => {
    if (e.symbol) events.set(e.symbol, { kind: e.kind, until: Date.now() + 60_000 });
  });
  client.on('reconnecting', () => setConnection('reconnecting…', 'wait'));
  client.on('reconnected', () => setConnection('live', 'live'));
  client.on('closed', () => setConnection('disconnected', 'down'));
  window.oistream = {
    client, perf, rows, order: () => order, selected: () => selected,
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
  for (const s of await client.subscribeOverview()) accept(s);
  drawPending();
  const wanted = new URL(location.href).searchParams.get('symbol')?.toUpperCase();
  selectSymbol(wanted && rows.has(wanted) ? wanted : order[0]);
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
