// The table worker's loop and its messages: a frame per batch (apply, sort, draw the canvases, tell the page), the page's
// messages (messages.js names them), the page's queries, and the hub connection. Loaded last by table-worker.js.

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
    post({ type: ToPage.Fields, fields: table.fields });
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
    post({ type: ToPage.Frame, viewLength: view.length, total: rows.size, newestData, simulated, added, watched: batch, perf, sample });
    added = [];
  }
}

// ---- the page's messages -----------------------------------------------------------------------------------------
const { ToWorker, ToPage } = self.OiStreamMessages;
let lib; // the OiStream client module
let client;
const post = (message) => self.postMessage(message);

const handlers = {
  // The canvas, its geometry and the page's colours and fonts (a worker has no CSS), then the hub's URL.
  [ToWorker.Init](m) {
    grid.canvas = m.canvas;
    grid.ctx = m.canvas.getContext('2d', { alpha: false });
    coinGrid.canvas = m.coinCanvas;
    coinGrid.ctx = m.coinCanvas.getContext('2d', { alpha: false });
    scatter.canvas = m.scatterCanvas;
    scatter.ctx = m.scatterCanvas.getContext('2d', { alpha: false });
    resize(scatter, m.scatter);
    Object.assign(grid, { font: m.font, bold: m.bold, badge: m.badge, small: m.small, colour: m.colour });
    handlers[ToWorker.Geometry](m);
    handlers[ToWorker.CoinGeometry](m.coins);
    start(m.hub, m.apiKey, m.protocol).catch((error) => post({ type: ToPage.Status, text: `failed: ${error.message}`, kind: 'down' }));
  },
  [ToWorker.Geometry](m) {
    resize(grid, m);
    grid.scrollTop = m.scrollTop;
    requestDraw();
  },
  [ToWorker.CoinGeometry](m) {
    resize(coinGrid, m);
    requestDraw();
  },
  [ToWorker.TableFocus](m) {
    a11yEvery = m.focused ? 1000 : 5000;
  },
  [ToWorker.ScatterGeometry](m) {
    resize(scatter, m);
    scatter.dirty = true;
    requestDraw();
  },
  [ToWorker.ScatterWindow](m) {
    scatter.window = m.window;
    scatter.dirty = true;
    requestDraw();
  },
  [ToWorker.ScatterHover](m) {
    const q = m.x === null ? null : dotAt(m.x, m.y);
    if ((q?.symbol ?? null) === scatter.hover) return;
    scatter.hover = q?.symbol ?? null;
    scatter.dirty = true;
    requestDraw();
    post({ type: ToPage.ScatterTip, tip: q ? { x: q.px, y: q.py, text: `${q.symbol}\nprice ${formatPercent(q.x)}, OI ${formatPercent(q.y)} (${scatter.window})\n${QUADRANT_LABEL[q.quadrant]}` } : null });
  },
  [ToWorker.ScatterClick](m) {
    const q = dotAt(m.x, m.y);
    if (q) post({ type: ToPage.Pick, symbol: q.symbol });
  },
  [ToWorker.CoinClick](m) {
    if (coinOrder[m.index] !== undefined) post({ type: ToPage.CoinPick, coin: coinOrder[m.index] });
  },
  [ToWorker.Scroll](m) {
    grid.scrollTop = m.scrollTop;
    requestDraw();
  },
  [ToWorker.Sort](m) {
    sortKey = m.key;
    sortAsc = m.asc;
    viewChanged();
  },
  [ToWorker.Filter](m) {
    marketFilter = m.market;
    exchangeFilter = m.exchange ?? 'all';
    query = m.query;
    viewChanged();
  },
  // The column chooser's choice (keys of the catalogue), or null for the default.
  [ToWorker.ChooseColumns](m) {
    chosen = m.keys;
    if (WINDOWS.length > 0) buildColumns();
  },
  [ToWorker.Stars](m) {
    stars = new Set(m.symbols);
    grid.full = true;
    viewChanged();
  },
  // A click on a row's star (its index in the view), or the star key on the selected row.
  [ToWorker.ToggleStar](m) {
    const symbol = m.index === undefined ? selected : view[m.index];
    if (!symbol) return;
    if (!stars.delete(symbol)) stars.add(symbol);
    post({ type: ToPage.Stars, symbols: [...stars] });
    grid.full = true;
    viewChanged();
  },
  [ToWorker.Hover](m) {
    hoverIndex = m.index;
    requestDraw();
  },
  // A click on the canvas (the row's index in the view) or a key on the table: the page selects the symbol.
  [ToWorker.Click](m) {
    if (view[m.index] !== undefined) post({ type: ToPage.Pick, symbol: view[m.index] });
  },
  [ToWorker.Key](m) {
    if (view.length === 0) return;
    // From the selected row; with none in view, from just before the first row (or after the last, going up), so that
    // End reaches the last row and Home the first either way.
    const at = selected === null ? -1 : view.indexOf(selected);
    const from = at >= 0 ? at : m.step > 0 ? -1 : view.length;
    const next = Math.max(0, Math.min(view.length - 1, from + m.step));
    post({ type: ToPage.Pick, symbol: view[next] });
  },
  [ToWorker.Select](m) {
    selected = m.symbol;
    scatter.dirty = true;
    watched = new Set(m.watched);
    requestDraw();
    // Rows for a newly watched symbol go out at once (the chart needs its latest state), then with every batch.
    post({ type: ToPage.Watched, rows: m.watched.map((s) => rows.get(s)?.state).filter(Boolean), index: view.indexOf(m.symbol) });
  },
  // Questions from the page's window.oistream (tests, benches): answered with the worker's own state.
  [ToWorker.Query](m) {
    let result;
    try {
      result = answer(m.what, m.args ?? []);
    } catch (error) {
      result = { error: error.message };
    }
    post({ type: ToPage.Reply, id: m.id, result });
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
    if (stars.has(e.symbol)) post({ type: ToPage.Notify, symbol: e.symbol, kind: e.kind, message: e.message ?? '' });
  });
  client.on('reconnecting', () => post({ type: ToPage.Status, text: 'reconnecting…', kind: 'wait' }));
  client.on('reconnected', () => post({ type: ToPage.Status, text: 'live', kind: 'live' }));
  client.on('closed', () => post({ type: ToPage.Status, text: 'disconnected', kind: 'down' }));
  // The first connection is retried too (the hub may be starting); later drops are the client's job.
  for (let attempt = 1; ; attempt++) {
    try {
      post({ type: ToPage.Status, text: 'connecting…', kind: 'wait' });
      await client.start();
      break;
    } catch (error) {
      if (/\b401\b/.test(String(error?.message))) {
        // Retrying cannot help: the hub wants a key this page does not have.
        post({ type: ToPage.Status, text: apiKey ? 'API key refused: open this page as /?access_token=KEY with a valid key' : 'this hub requires an API key: open this page as /?access_token=KEY', kind: 'down' });
        return;
      }
      post({ type: ToPage.Status, text: `hub unreachable — retrying (${attempt})`, kind: 'down' });
      // The hub's reconnect backoff: 1 s doubled each time, at most 10 s, a random point in its upper half.
      const delay = Math.min(10_000, 1000 * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * delay / 2));
    }
  }
  post({ type: ToPage.Status, text: 'live', kind: 'live' });
  acceptTable(await client.subscribeOverviewTable());
  draw();
  post({ type: ToPage.Ready, first: view[0] ?? null });
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
    post({ type: ToPage.CoinsFailed, message: error.message });
  }
}

// Messages that arrive before the client module has loaded wait for it.
const inbox = [];
self.onmessage = (e) => {
  if (e.data.type !== ToWorker.Hover && e.data.type !== ToWorker.Query) a11yUrgent = true;
  if (lib) handlers[e.data.type]?.(e.data);
  else inbox.push(e.data);
};
import('./oistream-client.js').then((module) => {
  module.useSignalR(self.signalR);
  lib = module;
  ({ formatCompact, formatPercent } = module);
  post({ type: ToPage.Loaded });
  for (const m of inbox.splice(0)) handlers[m.type]?.(m);
}, (error) => post({ type: ToPage.Status, text: `failed to load the client: ${error.message}`, kind: 'down' }));
