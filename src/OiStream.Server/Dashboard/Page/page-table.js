// The instrument table's page side: the header (the worker's columns, each as wide as its label), the column chooser,
// the geometry and pointer/keyboard input the worker needs for its canvases (table, coins, scatter), the scatter's tooltip.
import { $, apiKey, state, ToWorker, worker } from './page-state.js';
import { buildHeadGrid, copyRow, STAR_STORE } from './page-reader.js';

let sortKey = 'openInterestUsd';
let sortAsc = false;
let rowHeight = 22; // the CSS --row-height
// Geometry is read in the scroll, resize and pointer handlers only.
let scrollTop = 0;
let bodyHeight = 0; // the table panel's height below the header

/** For window.oistream: the row height and the scroll position. */
export const tableGeometry = { rowHeight: () => rowHeight, scrollTop: () => scrollTop };

/** The worker's columns arrived (at start, when the hub's windows or the reader's choice change). */
export function setColumns(m) {
  state.columns = m.columns;
  if (!state.columns.some((c) => c.key === sortKey)) sortKey = 'openInterestUsd';
  buildHead();
  buildChooser(m.all);
  $('scatter-window').replaceChildren(...m.windows.map((w) => new Option(w, w, false, w === m.scatterWindow)));
  worker.postMessage({ type: ToWorker.Geometry, ...geometry() });
}

// The worker builds the state.columns from the hub's windows and the column chooser's choice, and sends them here.
function buildHead() {
  const head = $('head');
  head.replaceChildren();
  for (const col of state.columns) {
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
      worker.postMessage({ type: ToWorker.Sort, key: sortKey, asc: sortAsc });
    });
    // Sorting by keyboard: Tab to a header, Enter or Space sorts by it (again reverses).
    th.tabIndex = 0;
    th.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        th.click();
      }
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
    const width = Math.max(state.columns[i].width, needed[i]);
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
  worker.postMessage({ type: ToWorker.ChooseColumns, keys });
}

function markSorted() {
  for (const th of $('head').children) {
    const sorted = th.dataset.key === sortKey;
    th.classList.toggle('sorted', sorted);
    th.classList.toggle('asc', sorted && sortAsc);
    th.setAttribute('aria-sort', sorted ? (sortAsc ? 'ascending' : 'descending') : 'none');
  }
}

export function sendFilter() {
  worker.postMessage({ type: ToWorker.Filter, market: $('market').value, exchange: $('exchange').value, query: $('search').value.trim().toUpperCase() });
}

// The body below the header is as tall as the whole view, so the panel's scrollbar, wheel and keys scroll it; the
// canvas is sticky inside it, as tall as the panel's viewport, and the worker draws the rows at scrollTop.
export function setBodyHeight() {
  const height = `${Math.max(state.viewLength * rowHeight, bodyHeight)}px`;
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
  return index >= 0 && index < state.viewLength ? index : -1;
}

export function initTable() {
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
  // The reader's choices from earlier visits: state.columns and watchlist.
  const stored = (key) => {
    try {
      return JSON.parse(localStorage.getItem(key) ?? 'null');
    } catch {
      return null;
    }
  };
  const chosen = stored(COLUMN_STORE);
  if (Array.isArray(chosen)) worker.postMessage({ type: ToWorker.ChooseColumns, keys: chosen });
  const starred = stored(STAR_STORE);
  if (Array.isArray(starred)) worker.postMessage({ type: ToWorker.Stars, symbols: starred });
  worker.postMessage({
    type: ToWorker.Init, canvas: offscreen, coinCanvas, hub, apiKey, protocol: new URL(location.href).searchParams.get('protocol') ?? 'json', colour, font: `13px ${family}`, bold: `700 13px ${family}`, badge: `600 11px ${family}`,
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
    if (first && x >= first.offsetLeft && x < first.offsetLeft + 24) worker.postMessage({ type: ToWorker.ToggleStar, index });
    else worker.postMessage({ type: ToWorker.Click, index });
  });
  canvas.addEventListener('mousemove', (e) => {
    const index = indexAt(e);
    if (index !== hover) worker.postMessage({ type: ToWorker.Hover, index: (hover = index) });
  });
  canvas.addEventListener('mouseleave', () => worker.postMessage({ type: ToWorker.Hover, index: (hover = -1) }));
  // Up/Down (and Page Up/Down, Home/End) move the selection through the view when the table has focus.
  panel.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'c') {
      e.preventDefault();
      copyRow();
      return;
    }
    if (!e.ctrlKey && !e.metaKey && !e.altKey && (e.key === 's' || e.key === 'S' || e.key === '*')) {
      e.preventDefault();
      worker.postMessage({ type: ToWorker.ToggleStar });
      return;
    }
    const page = Math.floor(bodyHeight / rowHeight);
    const step = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -1e9, End: 1e9 }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    state.reveal = true;
    worker.postMessage({ type: ToWorker.Key, step });
  });
  panel.addEventListener('focusin', () => worker.postMessage({ type: ToWorker.TableFocus, focused: true }));
  panel.addEventListener('focusout', () => worker.postMessage({ type: ToWorker.TableFocus, focused: false }));
  panel.addEventListener('scroll', () => {
    scrollTop = panel.scrollTop;
    worker.postMessage({ type: ToWorker.Scroll, scrollTop });
  }, { passive: true });
  new ResizeObserver(() => worker.postMessage({ type: ToWorker.Geometry, ...geometry() })).observe(panel);
  const coins = $('coin-grid');
  new ResizeObserver(() => worker.postMessage({ type: ToWorker.CoinGeometry, ...coinGeometry() })).observe(coins);
  coins.addEventListener('click', (e) => {
    const { top } = coins.getBoundingClientRect();
    worker.postMessage({ type: ToWorker.CoinClick, index: Math.floor((e.clientY - top) / coinRowHeight) });
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
  canvas.addEventListener('mousemove', (e) => worker.postMessage({ type: ToWorker.ScatterHover, ...at(e) }));
  canvas.addEventListener('mouseleave', () => worker.postMessage({ type: ToWorker.ScatterHover, x: null, y: null }));
  canvas.addEventListener('click', (e) => worker.postMessage({ type: ToWorker.ScatterClick, ...at(e) }));
  new ResizeObserver(() => worker.postMessage({ type: ToWorker.ScatterGeometry, ...scatterGeometry() })).observe(canvas);
  $('scatter-window').addEventListener('change', () => worker.postMessage({ type: ToWorker.ScatterWindow, window: $('scatter-window').value }));
}

export function showTip(tip) {
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

export function scrollToIndex(index) {
  const top = index * rowHeight;
  if (top < scrollTop || top + rowHeight > scrollTop + bodyHeight) $('table-panel').scrollTop = Math.max(0, top - bodyHeight / 2);
}

