// The OiStream dashboard: the whole instrument table, coin aggregates, an OI chart with history from the hub's REST
// API and the live tail appended.
//
// The page runs in two threads. table-worker.js holds the hub connection (the OiStream JavaScript client), the model
// of every instrument, sorting and filtering, and draws the visible rows on the table's canvas and the coin panel's.
// This main thread keeps what a reader touches: the headers, the controls, the chart and the status line; it hears
// from the worker once per drawn batch (the 'frame' message). Why: the overview of 600+ instruments changing every second cost
// this thread 28–38 ms a second as DOM rows; the budget is 8 (README, "Dashboard").
import { formatCompact, tableIndex } from './oistream-client.js';
import { CandlestickSeries, createChart, LineSeries } from './lightweight-charts.js';

const $ = (id) => document.getElementById(id);
// Range → [interval, candles]: the hub's store answers every range, as far back as it holds history.
const RANGES = {
  '1h': ['1m', 60], '4h': ['5m', 48], '24h': ['5m', 288], '7d': ['1h', 168], '30d': ['4h', 180], '90d': ['1d', 90], all: ['1d', 4500],
};
const INTERVAL_SECONDS = { '1m': 60, '5m': 300, '1h': 3600, '4h': 14400, '1d': 86400 };
const COMPARE_COLOURS = ['#f0b90b', '#58a6ff', '#d2a8ff', '#3fb950', '#ff7b72', '#79c0ff'];

// ---- access ------------------------------------------------------------------------------------------------------
// A hub with API keys (docs/security.md) is opened once as /?access_token=KEY: the key is kept for this tab only and
// taken out of the address bar, so it is not bookmarked, shared or sent as a referrer.
const apiKey = (() => {
  const url = new URL(location.href);
  const given = url.searchParams.get('access_token');
  if (given) {
    sessionStorage.setItem('oistream.apiKey', given);
    url.searchParams.delete('access_token');
    history.replaceState(null, '', url);
  }
  return sessionStorage.getItem('oistream.apiKey');
})();

function api(path) {
  return fetch(path, apiKey ? { headers: { Authorization: `Bearer ${apiKey}` } } : undefined);
}

// ---- state -------------------------------------------------------------------------------------------------------
const worker = new Worker('table-worker.js');
let F = {}; // field name → position in a table row (rows from the worker are the hub's arrays)
const known = new Set(); // every symbol the worker has seen
const watchedRows = new Map(); // symbol → newest row, for the symbols on the chart
let columns = [];
let sortKey = 'openInterestUsd';
let sortAsc = false;
let viewLength = 0;
let rowHeight = 22; // the CSS --row-height
// Geometry is read in the scroll, resize and pointer handlers only.
let scrollTop = 0;
let bodyHeight = 0; // the table panel's height below the header
let newestData = 0;
let simulated = false;
let reveal = false; // scroll the next selection into view (keys, ?symbol=)
const perf = { overviewBatches: 0, batches: 0, rowsApplied: 0, totalMs: 0, maxMs: 0, samples: [] };

// ---- table -------------------------------------------------------------------------------------------------------
// The worker builds the columns from the hub's windows and the column chooser's choice, and sends them here.
function buildHead() {
  const head = $('head');
  head.replaceChildren();
  for (const col of columns) {
    const th = document.createElement('th');
    th.textContent = col.label;
    th.title = col.title;
    th.dataset.key = col.key;
    th.addEventListener('click', () => {
      if (sortKey === col.key) sortAsc = !sortAsc;
      else {
        sortKey = col.key;
        sortAsc = col.key === 'symbol';
      }
      markSorted();
      worker.postMessage({ type: 'sort', key: sortKey, asc: sortAsc });
    });
    head.append(th);
  }
  // Each header at least as wide as its label and the sort arrow; wider than the panel, the panel scrolls sideways:
  // no header is cut short.
  head.style.minWidth = '';
  let minWidth = 0;
  for (const th of head.children) th.style.flex = '0 0 auto'; // shrink-wrapped to measure the label
  const needed = [...head.children].map((th) => th.offsetWidth + 12); // + the sort arrow
  [...head.children].forEach((th, i) => {
    const width = Math.max(columns[i].width, needed[i]);
    th.style.minWidth = `${width}px`;
    th.style.flex = '';
    minWidth += width;
  });
  head.style.minWidth = `${minWidth}px`;
  markSorted();
  buildHeadGrid();
}

// The column chooser: the basics, then a grid of windows × (OI, OI in USD, price) changes. The choice persists.
const COLUMN_STORE = 'oistream.columns';
function buildChooser(all) {
  const list = $('column-list');
  const boxes = [...list.querySelectorAll('input')];
  if (boxes.length === all.length - 1 && boxes.every((b) => all.some((c) => c.key === b.dataset.key))) {
    // The same catalogue: only the ticks change (rebuilding would take the keyboard focus away).
    for (const b of boxes) b.checked = all.find((c) => c.key === b.dataset.key).shown;
    return;
  }
  list.replaceChildren();
  const box = (col, text) => {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.checked = col.shown;
    input.dataset.key = col.key;
    input.addEventListener('change', chooseColumns);
    label.title = col.title;
    label.append(input, ` ${text}`);
    return label;
  };
  const group = (text) => Object.assign(document.createElement('div'), { className: 'group', textContent: text });
  list.append(group('Columns'));
  for (const col of all.filter((c) => !c.window && c.key !== 'symbol')) {
    const label = box(col, col.label);
    label.style.gridColumn = '1 / -1';
    list.append(label);
  }
  list.append(group('Change over each window: OI (coins), OI in USD, price'));
  for (const w of [...new Set(all.filter((c) => c.window).map((c) => c.window))]) {
    list.append(Object.assign(document.createElement('span'), { textContent: w }));
    for (const kind of ['change', 'changeUsd', 'priceChange']) {
      const col = all.find((c) => c.key === `${kind}.${w}`);
      list.append(box(col, { change: 'OI', changeUsd: 'OI $', priceChange: 'price' }[kind]));
    }
  }
}

function chooseColumns() {
  const keys = [...$('column-list').querySelectorAll('input:checked')].map((i) => i.dataset.key);
  localStorage.setItem(COLUMN_STORE, JSON.stringify(keys));
  worker.postMessage({ type: 'chooseColumns', keys });
}

function markSorted() {
  for (const th of $('head').children) {
    th.classList.toggle('sorted', th.dataset.key === sortKey);
    th.classList.toggle('asc', th.dataset.key === sortKey && sortAsc);
  }
}

function sendFilter() {
  worker.postMessage({ type: 'filter', market: $('market').value, query: $('search').value.trim().toUpperCase() });
}

// The body below the header is as tall as the whole view, so the panel's scrollbar, wheel and keys scroll it; the
// canvas is sticky inside it, as tall as the panel's viewport, and the worker draws the rows at scrollTop.
function setBodyHeight() {
  const height = `${Math.max(viewLength * rowHeight, bodyHeight)}px`;
  if ($('rows').style.height !== height) $('rows').style.height = height;
}

function geometry() {
  const panel = $('table-panel');
  const head = $('head');
  bodyHeight = Math.max(rowHeight, panel.clientHeight - head.offsetHeight);
  scrollTop = panel.scrollTop;
  const width = Math.max(panel.clientWidth, head.offsetWidth);
  $('rows').style.width = `${width}px`;
  const canvas = $('grid');
  canvas.style.width = `${width}px`;
  canvas.style.height = `${bodyHeight}px`;
  canvas.style.top = `${head.offsetHeight}px`;
  setBodyHeight();
  return {
    width, height: bodyHeight, dpr: window.devicePixelRatio || 1, rowHeight, scrollTop,
    cols: [...head.children].map((th) => ({ x: th.offsetLeft, w: th.offsetWidth })),
  };
}

// The index in the view of the row under a pointer event (or −1).
function indexAt(event) {
  const rect = $('grid').getBoundingClientRect();
  const index = Math.floor((event.clientY - rect.top + scrollTop) / rowHeight);
  return index >= 0 && index < viewLength ? index : -1;
}

function initTable() {
  const panel = $('table-panel');
  const canvas = $('grid');
  rowHeight = parseFloat(getComputedStyle(panel).getPropertyValue('--row-height')) || rowHeight;
  // The worker has no CSS: it gets the page's colours and fonts once.
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  const family = getComputedStyle(canvas).fontFamily;
  const colour = {
    bg: v('--bg'), panel: v('--panel'), text: v('--text'), muted: v('--muted'), up: v('--up'), down: v('--down'), accent: v('--accent'), blue: v('--blue'),
    line: '#21262d', hover: '#1c2128', selected: '#272115',
    flashUp: 'rgba(63,185,80,.28)', flashDown: 'rgba(248,81,73,.28)',
    badge: {
      neutral: ['#30363d', v('--text')], strongBullish: ['#1f6f3a', '#fff'], weakeningRally: ['#2d4a2f', '#b4e3b9'],
      strongBearish: ['#8e1519', '#fff'], weakeningSelloff: ['#4d2426', '#f2b8b5'], event: [v('--accent'), '#000'],
    },
  };
  const offscreen = canvas.transferControlToOffscreen();
  const coinCanvas = $('coin-grid').transferControlToOffscreen();
  const scatterCanvas = $('scatter').transferControlToOffscreen();
  const hub = new URL(location.pathname.replace(/[^/]*$/, ''), location.origin).href;
  // The reader's choices from earlier visits: columns and watchlist.
  const stored = (key) => {
    try {
      return JSON.parse(localStorage.getItem(key) ?? 'null');
    } catch {
      return null;
    }
  };
  const chosen = stored(COLUMN_STORE);
  if (Array.isArray(chosen)) worker.postMessage({ type: 'chooseColumns', keys: chosen });
  const starred = stored(STAR_STORE);
  if (Array.isArray(starred)) worker.postMessage({ type: 'stars', symbols: starred });
  worker.postMessage({
    type: 'init', canvas: offscreen, coinCanvas, hub, apiKey, protocol: new URL(location.href).searchParams.get('protocol') ?? 'json', colour, font: `13px ${family}`, bold: `700 13px ${family}`, badge: `600 11px ${family}`,
    small: `12px ${family}`, ...geometry(), coins: coinGeometry(), scatterCanvas, scatter: scatterGeometry(),
  }, [offscreen, coinCanvas, scatterCanvas]);
  initScatter();
  let hover = -1;
  canvas.addEventListener('click', (e) => {
    const index = indexAt(e);
    if (index < 0) return;
    // The star at the left of the symbol cell toggles the watchlist; the rest of the row charts it.
    const first = $('head').firstElementChild;
    const x = e.clientX - canvas.getBoundingClientRect().left;
    if (first && x >= first.offsetLeft && x < first.offsetLeft + 24) worker.postMessage({ type: 'toggleStar', index });
    else worker.postMessage({ type: 'click', index });
  });
  canvas.addEventListener('mousemove', (e) => {
    const index = indexAt(e);
    if (index !== hover) worker.postMessage({ type: 'hover', index: (hover = index) });
  });
  canvas.addEventListener('mouseleave', () => worker.postMessage({ type: 'hover', index: (hover = -1) }));
  // Up/Down (and Page Up/Down, Home/End) move the selection through the view when the table has focus.
  panel.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'c') {
      e.preventDefault();
      copyRow();
      return;
    }
    if (!e.ctrlKey && !e.metaKey && !e.altKey && (e.key === 's' || e.key === 'S' || e.key === '*')) {
      e.preventDefault();
      worker.postMessage({ type: 'toggleStar' });
      return;
    }
    const page = Math.floor(bodyHeight / rowHeight);
    const step = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -1e9, End: 1e9 }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    reveal = true;
    worker.postMessage({ type: 'key', step });
  });
  panel.addEventListener('focusin', () => worker.postMessage({ type: 'tableFocus', focused: true }));
  panel.addEventListener('focusout', () => worker.postMessage({ type: 'tableFocus', focused: false }));
  panel.addEventListener('scroll', () => {
    scrollTop = panel.scrollTop;
    worker.postMessage({ type: 'scroll', scrollTop });
  }, { passive: true });
  new ResizeObserver(() => worker.postMessage({ type: 'geometry', ...geometry() })).observe(panel);
  const coins = $('coin-grid');
  new ResizeObserver(() => worker.postMessage({ type: 'coinGeometry', ...coinGeometry() })).observe(coins);
  coins.addEventListener('click', (e) => {
    const { top } = coins.getBoundingClientRect();
    worker.postMessage({ type: 'coinClick', index: Math.floor((e.clientY - top) / coinRowHeight) });
  });
}

// The price/OI scatter, drawn by the worker; this thread passes the pointer and shows the tooltip.
function scatterGeometry() {
  const canvas = $('scatter');
  return { width: canvas.clientWidth, height: canvas.clientHeight, dpr: window.devicePixelRatio || 1 };
}

function initScatter() {
  const canvas = $('scatter');
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  canvas.addEventListener('mousemove', (e) => worker.postMessage({ type: 'scatterHover', ...at(e) }));
  canvas.addEventListener('mouseleave', () => worker.postMessage({ type: 'scatterHover', x: null, y: null }));
  canvas.addEventListener('click', (e) => worker.postMessage({ type: 'scatterClick', ...at(e) }));
  new ResizeObserver(() => worker.postMessage({ type: 'scatterGeometry', ...scatterGeometry() })).observe(canvas);
  $('scatter-window').addEventListener('change', () => worker.postMessage({ type: 'scatterWindow', window: $('scatter-window').value }));
}

function showTip(tip) {
  const el = $('scatter-tip');
  if (!tip) {
    el.hidden = true;
    return;
  }
  el.textContent = tip.text;
  el.hidden = false;
  const width = $('scatter').clientWidth;
  el.style.left = `${Math.min(tip.x + 10, width - el.offsetWidth - 2)}px`;
  el.style.top = `${Math.max(0, tip.y - el.offsetHeight - 8)}px`;
}

// The coin panel's canvas (drawn by the worker) under its header cells.
let coinRowHeight = 22;
function coinGeometry() {
  const canvas = $('coin-grid');
  coinRowHeight = parseFloat(getComputedStyle(canvas).getPropertyValue('--coin-row-height')) || coinRowHeight;
  const left = canvas.getBoundingClientRect().left;
  return {
    width: canvas.clientWidth, height: canvas.clientHeight, dpr: window.devicePixelRatio || 1, rowHeight: coinRowHeight,
    cols: [...document.querySelectorAll('#coins thead th')].map((th) => {
      const r = th.getBoundingClientRect();
      return { x: r.left - left, w: r.width };
    }),
  };
}

// ---- worker messages ---------------------------------------------------------------------------------------------
const replies = new Map(); // query id → resolve
let queryId = 0;
function ask(what, ...args) {
  return new Promise((resolve, reject) => {
    const id = ++queryId;
    const timer = setTimeout(() => {
      replies.delete(id);
      reject(new Error(`the table worker did not answer '${what}' within 10 s (see the console for its error)`));
    }, 10_000);
    replies.set(id, (result) => {
      clearTimeout(timer);
      resolve(result);
    });
    worker.postMessage({ type: 'query', id, what, args });
  });
}

let whenReady;
const ready = new Promise((resolve) => { whenReady = resolve; });

worker.onmessage = ({ data: m }) => {
  switch (m.type) {
    case 'loaded':
      initTable();
      break;
    case 'columns':
      columns = m.columns;
      if (!columns.some((c) => c.key === sortKey)) sortKey = 'openInterestUsd';
      buildHead();
      buildChooser(m.all);
      $('scatter-window').replaceChildren(...m.windows.map((w) => new Option(w, w, false, w === m.scatterWindow)));
      worker.postMessage({ type: 'geometry', ...geometry() });
      break;
    case 'stars':
      localStorage.setItem(STAR_STORE, JSON.stringify(m.symbols));
      break;
    case 'notify': notify(m); break;
    case 'scatterTip': showTip(m.tip); break;
    case 'a11y': updateGrid(m); break;
    case 'fields':
      F = tableIndex(m);
      break;
    case 'frame': onFrame(m); break;
    case 'watched':
      for (const r of m.rows) watchedRows.set(r[F.symbol], r);
      if (reveal && m.index >= 0) scrollToIndex(m.index);
      reveal = false;
      watchedArrived?.();
      watchedArrived = null;
      break;
    case 'pick': selectSymbol(m.symbol); break;
    case 'status': setConnection(m.text, m.kind); break;
    case 'ready': whenReady(m.first); break;
    case 'coinPick':
      $('search').value = m.coin;
      sendFilter();
      break;
    case 'coinsFailed':
      $('coin-note').textContent = `Coins unavailable: ${m.message}`;
      $('coin-note').hidden = false;
      break;
    case 'reply':
      replies.get(m.id)?.(m.result);
      replies.delete(m.id);
      break;
    default: break;
  }
};
worker.onerror = (e) => setConnection(`table worker failed: ${e.message}`, 'down');

// A batch was drawn (or the view changed): the count, data age, new symbols and the chart's rows.
function onFrame(m) {
  Object.assign(perf, m.perf);
  if (m.sample !== null && perf.samples.length < 10000) perf.samples.push(m.sample);
  if (m.simulated && !simulated) {
    simulated = true;
    $('sim-banner').hidden = false;
  }
  if (m.added.length > 0) {
    const list = $('symbols');
    for (const symbol of m.added) {
      known.add(symbol);
      const option = document.createElement('option');
      option.value = symbol;
      list.append(option);
    }
  }
  if (viewLength !== m.viewLength) {
    viewLength = m.viewLength;
    setBodyHeight();
  }
  setText($('count'), `${m.viewLength} of ${m.total} instruments`);
  for (const r of m.watched) {
    watchedRows.set(r[F.symbol], r);
    chartTail(r);
  }
  if (m.newestData > newestData) {
    newestData = m.newestData;
    drawAge(Date.now());
  }
}

function scrollToIndex(index) {
  const top = index * rowHeight;
  if (top < scrollTop || top + rowHeight > scrollTop + bodyHeight) $('table-panel').scrollTop = Math.max(0, top - bodyHeight / 2);
}

// ---- chart -------------------------------------------------------------------------------------------------------
let chart = null;
let selected = null;
let range = '24h';
let chartKind = 'line'; // or 'candles' (one symbol; OI in coins)
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

// Selects a symbol for the chart: the worker highlights its row and hands over the rows of the charted symbols.
function selectSymbol(symbol) {
  if (!known.has(symbol)) return;
  selected = symbol;
  const url = new URL(location.href);
  url.searchParams.set('symbol', symbol);
  history.replaceState(null, '', url);
  loadChart();
}

// Line points from the Binance-shaped history (OI in Binance's unit, and its USD value for the mark line), or candles
// of OI in coins. The Binance shape starts at 5m, so the 1h range's line asks for 5m points.
async function fetchHistory(symbol) {
  const [interval, limit] = RANGES[range];
  const candles = chartKind === 'candles';
  const url = candles
    ? `api/v1/open-interest/ohlc-history?symbol=${encodeURIComponent(symbol)}&interval=${interval}&limit=${limit}`
    : `api/v1/open-interest/history?symbol=${encodeURIComponent(symbol)}&period=${interval === '1m' ? '5m' : interval}&limit=${Math.min(500, interval === '1m' ? 12 : limit)}`;
  const response = await api(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.msg ?? `history answered ${response.status}`);
  if (candles) {
    return body.data.map((c) => ({ time: Math.floor(c.time / 1000), open: c.open, high: c.high, low: c.low, close: c.close }));
  }
  return body
    .map((r) => ({ time: Math.floor(r.timestamp / 1000), oi: Number(r.sumOpenInterest), value: Number(r.sumOpenInterestValue) }))
    .filter((p) => Number.isFinite(p.oi) && p.oi > 0)
    .sort((a, b) => a.time - b.time);
}

// Since when the hub holds history of a symbol (its store), for the chart's note.
async function fetchHeld(symbol) {
  const response = await api(`api/v1/open-interest/held?symbol=${encodeURIComponent(symbol)}`);
  if (!response.ok) return null;
  const body = await response.json();
  return body.from == null ? null : new Date(body.from);
}

async function loadChart() {
  if (!selected) return;
  ensureChart();
  const load = ++chartLoad;
  const symbols = [selected, ...compared.filter((s) => s !== selected)];
  const comparing = symbols.length > 1;
  if (comparing && chartKind === 'candles') setChartKind('line');
  $('chart-title').textContent = comparing ? `OI change, % (${range})` : `${selected} open interest${chartKind === 'candles' ? ' in coins' : ''} (${range})`;
  $('chart-note').textContent = 'loading history…';
  // The worker highlights the selection and sends the charted symbols' rows (the mark line and the live tail need
  // them), now and with every batch.
  const rowsArrived = watch();
  let histories;
  let held;
  try {
    [histories, held] = await Promise.all([Promise.all(symbols.map(fetchHistory)), fetchHeld(selected)]);
    await rowsArrived;
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
    const state = watchedRows.get(symbol);
    if (chartKind === 'candles') {
      const oi = chart.addSeries(CandlestickSeries, {
        upColor: '#3fb950', downColor: '#f85149', borderVisible: false, wickUpColor: '#3fb950', wickDownColor: '#f85149',
        priceScaleId: 'right', title: 'OI', priceFormat: { type: 'custom', formatter: (v) => formatCompact(v) },
      });
      oi.setData(points);
      const last = points.length ? { ...points[points.length - 1] } : null;
      lines.set(symbol, { oi, mark: null, kind: 'candles', step: INTERVAL_SECONDS[RANGES[range][0]], candle: last, lastTime: last ? last.time : 0 });
      return;
    }
    const base = points.length > 0 ? points[0].oi : state?.[F.openInterest];
    const oi = chart.addSeries(LineSeries, {
      color: COMPARE_COLOURS[i % COMPARE_COLOURS.length], lineWidth: 2, priceScaleId: 'right', title: comparing ? symbol : 'OI',
      priceFormat: comparing ? { type: 'custom', formatter: (v) => `${v.toFixed(2)} %` } : { type: 'custom', formatter: (v) => formatCompact(v) },
    });
    oi.setData(points.map((p) => ({ time: p.time, value: comparing ? (100 * (p.oi / base - 1)) : p.oi })));
    const line = { oi, mark: null, kind: 'line', base, lastTime: points.length ? points[points.length - 1].time : 0 };
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
  const since = held ? `; history held since ${held.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '';
  $('chart-note').textContent = `${total} history ${chartKind === 'candles' ? 'candles' : 'points'}${comparing ? ` for ${symbols.length} symbols, as % change from the first point` : ''}${since}; live updates are appended.`;
  drawChips();
}

function setChartKind(kind) {
  chartKind = kind;
  $('chart-kind').textContent = kind === 'candles' ? 'Line' : 'Candles';
  $('chart-kind').setAttribute('aria-pressed', String(kind === 'candles'));
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
  const mark = r[F.markPrice];
  if (line.kind === 'candles') {
    const coins = r[F.openInterestCoin];
    if (coins != null) tail.push([line, { time, value: coins }, null]);
  } else {
    line.base ??= openInterest;
    tail.push([line, { time, value: comparing ? 100 * (openInterest / line.base - 1) : openInterest }, line.mark && mark != null ? { time, value: mark } : null]);
  }
  if (!tailTimer) tailTimer = setTimeout(flushTail, Math.max(0, lastTailFlush + CHART_TAIL_MS - performance.now()));
}

function flushTail() {
  tailTimer = 0;
  lastTailFlush = performance.now();
  for (const [line, point, markPoint] of tail) {
    line.oi.update(line.kind === 'candles' ? candleTail(line, point) : point);
    if (markPoint) line.mark.update(markPoint);
  }
  tail.length = 0;
}

// A live point folded into the open candle of its bucket (a new candle once the bucket has passed).
function candleTail(line, point) {
  const start = point.time - (point.time % line.step);
  const c = line.candle;
  if (!c || start > c.time) {
    line.candle = { time: start, open: point.value, high: point.value, low: point.value, close: point.value };
  } else {
    c.high = Math.max(c.high, point.value);
    c.low = Math.min(c.low, point.value);
    c.close = point.value;
  }
  return { ...line.candle };
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
  if (!known.has(symbol)) {
    $('chart-note').textContent = `Unknown symbol '${symbol}': pick one from the list (the table's symbols).`;
    return;
  }
  if (symbol !== selected && !compared.includes(symbol)) compared.push(symbol);
  $('compare-input').value = '';
  loadChart();
}

// Tells the worker the selection and the charted symbols; resolves when their rows have arrived.
let watchedArrived = null;
function watch() {
  watchedArrived?.(); // a newer request supersedes an unanswered one
  return new Promise((resolve) => {
    watchedArrived = resolve;
    worker.postMessage({ type: 'select', symbol: selected, watched: [selected, ...compared].filter(Boolean) });
  });
}

// ---- watchlist, copy, screen readers -----------------------------------------------------------------------------
const STAR_STORE = 'oistream.watchlist';
let alerts = false;
const notifications = []; // what was notified, for the page's tests

function notify(m) {
  if (!alerts || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const text = `${m.symbol}: ${m.kind}`;
  notifications.push(text);
  // eslint-disable-next-line no-new
  new Notification(text, { body: m.message, tag: `${m.symbol}-${m.kind}` });
}

async function toggleAlerts() {
  if (!alerts && typeof Notification !== 'undefined' && Notification.permission !== 'granted') {
    await Notification.requestPermission();
  }
  alerts = !alerts && typeof Notification !== 'undefined' && Notification.permission === 'granted';
  $('notify').textContent = alerts ? 'Alerts on' : 'Alerts off';
  $('notify').setAttribute('aria-pressed', String(alerts));
  if (!alerts && typeof Notification !== 'undefined' && Notification.permission === 'denied') {
    $('notify').title = 'Notifications are blocked for this site in the browser\'s settings';
  }
}

// The selected row's figures, tab-separated under their headers (pastes into a spreadsheet as two rows).
async function copyRow() {
  if (!selected) return;
  const row = await ask('rowText', selected);
  if (!row) return;
  const text = `${row.headers.join('\t')}\n${row.cells.join('\t')}`;
  try {
    await navigator.clipboard.writeText(text);
    announce(`Copied ${selected}'s figures.`);
  } catch (error) {
    announce(`Copying was refused by the browser: ${error.message}`);
  }
}

function announce(text) {
  setText($('announce'), text);
}

// The rows on screen as an ARIA grid (the canvas is hidden from screen readers): the header row, then one row per
// drawn row, its cells' text as drawn; the selected row is marked and announced.
function buildHeadGrid() {
  const grid = $('a11y-grid');
  const header = document.createElement('div');
  header.setAttribute('role', 'row');
  for (const col of columns) {
    const cell = document.createElement('span');
    cell.setAttribute('role', 'columnheader');
    cell.textContent = col.title;
    header.append(cell);
  }
  grid.replaceChildren(header);
}

function updateGrid(m) {
  const grid = $('a11y-grid');
  grid.setAttribute('aria-rowcount', String(m.viewLength + 1));
  const rowsShown = grid.children.length - 1;
  for (let i = 0; i < m.rows.length; i++) {
    const r = m.rows[i];
    let row = grid.children[i + 1];
    if (!row) {
      row = document.createElement('div');
      row.setAttribute('role', 'row');
      grid.append(row);
    }
    row.setAttribute('aria-rowindex', String(r.index + 2));
    row.setAttribute('aria-selected', String(r.symbol === selected));
    for (let k = 0; k < r.cells.length; k++) {
      let cell = row.children[k];
      if (!cell) {
        cell = document.createElement('span');
        cell.setAttribute('role', 'gridcell');
        row.append(cell);
      }
      setText(cell, r.cells[k]);
    }
    while (row.children.length > r.cells.length) row.lastChild.remove();
  }
  for (let i = rowsShown; i > m.rows.length; i--) grid.lastChild.remove();
  if (m.selected && m.selected.symbol !== lastAnnounced) {
    lastAnnounced = m.selected.symbol;
    announce(`${m.selected.cells.map((c, k) => `${columns[k]?.label ?? ''} ${c}`).join(', ')}. Row ${m.selected.index + 1} of ${m.viewLength}.`);
  }
}
let lastAnnounced = null;

// ---- status ------------------------------------------------------------------------------------------------------
function setConnection(text, kind) {
  const pill = $('conn');
  pill.textContent = text;
  pill.className = `pill pill-${kind}`;
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

// The age is drawn with every batch; this timer, pushed back by each draw, only fires when batches stop (a stalled
// feed must show), then every 1.5 s.
let ageTimer = 0;
function tickAge() {
  drawAge(Date.now());
}

function drawAge(now) {
  if (!newestData) return;
  clearTimeout(ageTimer);
  ageTimer = setTimeout(tickAge, 1500);
  const age = $('age');
  const seconds = Math.max(0, (now - newestData) / 1000);
  setText(age, `data ${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s old`);
  const old = seconds > 10;
  if (age.classList.contains('old') !== old) age.classList.toggle('old', old);
}

// ---- start -------------------------------------------------------------------------------------------------------
async function main() {
  $('market').addEventListener('change', sendFilter);
  $('search').addEventListener('input', sendFilter);
  const rangeButtons = [...$('ranges').querySelectorAll('button[data-range]')];
  for (const button of rangeButtons) {
    button.addEventListener('click', () => {
      range = button.dataset.range;
      for (const b of rangeButtons) b.classList.toggle('active', b === button);
      loadChart();
    });
  }
  $('chart-kind').addEventListener('click', () => {
    setChartKind(chartKind === 'candles' ? 'line' : 'candles');
    if (chartKind === 'candles') compared.length = 0; // candles chart one symbol
    loadChart();
  });
  $('compare-add').addEventListener('click', addCompare);
  $('copy-row').addEventListener('click', copyRow);
  // The column chooser closes on a click elsewhere or Escape, like a menu.
  document.addEventListener('click', (e) => {
    if (!$('column-chooser').contains(e.target)) $('column-chooser').open = false;
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && $('column-chooser').open) $('column-chooser').open = false;
  });
  $('notify').addEventListener('click', toggleAlerts);
  $('compare-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') addCompare();
  });
  // For tests and benches only (/?hooks): the page's own state, and the worker's through ask() (view, size, column,
  // value, screen, scatter…). A reader's page exposes nothing.
  if (new URL(location.href).searchParams.has('hooks')) window.oistream = {
    perf, ask, rowHeight: () => rowHeight, selected: () => selected, scrollTop: () => scrollTop, notifications,
    chartInfo: () => [...lines.entries()].map(([symbol, l]) => ({ symbol, kind: l.kind, points: l.oi.data().length, markPoints: l.mark ? l.mark.data().length : 0 })),
  };

  const first = await ready;
  const params = new URL(location.href).searchParams;
  const wanted = params.get('symbol')?.toUpperCase();
  reveal = Boolean(wanted && known.has(wanted));
  selectSymbol(reveal ? wanted : first);
  const coin = params.get('coin');
  if (coin) {
    $('search').value = coin.toUpperCase();
    sendFilter();
  }
}

main();
