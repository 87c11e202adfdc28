// The chart: a symbol's OI history from the hub's store (line with the mark price, or candles), compared symbols as %
// change, and the live tail appended in bursts.
import { formatCompact } from './oistream-client.js';
import { CandlestickSeries, createChart, LineSeries } from './lightweight-charts.js';
import { $, api, state, ToWorker, worker } from './page-state.js';

// Range → [interval, candles]: the hub's store answers every range, as far back as it holds history.
const RANGES = {
  '1h': ['1m', 60], '4h': ['5m', 48], '24h': ['5m', 288], '7d': ['1h', 168], '30d': ['4h', 180], '90d': ['1d', 90], all: ['1d', 4500],
};
const INTERVAL_SECONDS = { '1m': 60, '5m': 300, '1h': 3600, '4h': 14400, '1d': 86400 };
const COMPARE_COLOURS = ['#f0b90b', '#58a6ff', '#d2a8ff', '#3fb950', '#ff7b72', '#79c0ff'];

let chart = null;
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
export function selectSymbol(symbol) {
  if (!state.known.has(symbol)) return;
  state.selected = symbol;
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

export async function loadChart() {
  if (!state.selected) return;
  ensureChart();
  const load = ++chartLoad;
  const symbols = [state.selected, ...compared.filter((s) => s !== state.selected)];
  const comparing = symbols.length > 1;
  if (comparing && chartKind === 'candles') setChartKind('line');
  $('chart-title').textContent = comparing ? `OI change, % (${range})` : `${state.selected} open interest${chartKind === 'candles' ? ' in coins' : ''} (${range})`;
  $('chart-note').textContent = 'loading history…';
  // The worker highlights the selection and sends the charted symbols' rows (the mark line and the live tail need
  // them), now and with every batch.
  const rowsArrived = watch();
  let histories;
  let held;
  try {
    [histories, held] = await Promise.all([Promise.all(symbols.map(fetchHistory)), fetchHeld(state.selected)]);
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
    const row = state.watchedRows.get(symbol);
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
    const base = points.length > 0 ? points[0].oi : row?.[state.F.openInterest];
    const oi = chart.addSeries(LineSeries, {
      color: COMPARE_COLOURS[i % COMPARE_COLOURS.length], lineWidth: 2, priceScaleId: 'right', title: comparing ? symbol : 'OI',
      priceFormat: comparing ? { type: 'custom', formatter: (v) => `${v.toFixed(2)} %` } : { type: 'custom', formatter: (v) => formatCompact(v) },
    });
    oi.setData(points.map((p) => ({ time: p.time, value: comparing ? (100 * (p.oi / base - 1)) : p.oi })));
    const line = { oi, mark: null, kind: 'line', base, lastTime: points.length ? points[points.length - 1].time : 0 };
    if (!comparing) {
      line.mark = chart.addSeries(LineSeries, { color: '#58a6ff', lineWidth: 1, priceScaleId: 'left', title: 'mark' });
      // USDⓈ-M history carries the USD value, so value / OI is the mark price of each bucket.
      const marks = row?.[state.F.market] === 'usdm' ? points.filter((p) => p.value > 0).map((p) => ({ time: p.time, value: p.value / p.oi })) : [];
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

export function setChartKind(kind) {
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

export function chartTail(r) {
  if (lines.size === 0) return;
  const line = lines.get(r[state.F.symbol]);
  const oiTime = r[state.F.oiTime];
  const openInterest = r[state.F.openInterest];
  if (!line || oiTime == null || openInterest == null) return;
  const time = Math.floor(Math.max(oiTime, r[state.F.priceTime] ?? 0) / 1000);
  if (time < line.lastTime) return;
  line.lastTime = time;
  const comparing = lines.size > 1;
  const mark = r[state.F.markPrice];
  if (line.kind === 'candles') {
    const coins = r[state.F.openInterestCoin];
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

export function addCompare() {
  const symbol = $('compare-input').value.trim().toUpperCase();
  if (!state.known.has(symbol)) {
    $('chart-note').textContent = `Unknown symbol '${symbol}': pick one from the list (the table's symbols).`;
    return;
  }
  if (symbol !== state.selected && !compared.includes(symbol)) compared.push(symbol);
  $('compare-input').value = '';
  loadChart();
}

// Tells the worker the selection and the charted symbols; resolves when their rows have arrived.
let watchedArrived = null;
function watch() {
  watchedArrived?.(); // a newer request supersedes an unanswered one
  return new Promise((resolve) => {
    watchedArrived = resolve;
    worker.postMessage({ type: ToWorker.Select, symbol: state.selected, watched: [state.selected, ...compared].filter(Boolean) });
  });
}

/** The charted symbols' rows have arrived (the worker's answer to a selection). */
export function rowsArrived() {
  watchedArrived?.();
  watchedArrived = null;
}

/** Wires the range buttons, the line/candles switch and compare. */
export function initChart() {
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
  $('compare-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') addCompare();
  });
}

/** For window.oistream: the chart's series. */
export const chartInfo = () => [...lines.entries()].map(([symbol, l]) => ({ symbol, kind: l.kind, points: l.oi.data().length, markPoints: l.mark ? l.mark.data().length : 0 }));
