// The dashboard at / in headless Chromium against the running hub with the simulator (OISTREAM_URL).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { base, until } from './support.mjs';
import { collectErrors, launch } from './browser.mjs';
import { startHubOnStandaloneSimulator } from './hubs.mjs';

const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
let browser;
let page;
let pageErrors = [];

before(async () => {
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  pageErrors = collectErrors(page);
  await page.goto(`${base}/?hooks`);
  await until(async () => (await screen()).length > 0, 60000, 'rows drawn on the table canvas');
  // The tests below read a Binance symbol (ETHUSDT) as the one row of its name; the exchange filter's own test shows
  // every venue, and goes back to Binance.
  await page.selectOption('#exchange', 'binance');
});

after(async () => {
  await browser?.close();
});

// The table is drawn on a canvas by the page's table worker; window.oistream.ask() reads the worker's state: 'view'
// (the whole filtered, sorted list of symbols), 'screen' (the rows as last drawn, optionally with the colour of each
// cell's corner pixels read back from the canvas), 'column' (a field's values along the view, and the rows on screen).
const ask = (p, what, ...args) => p.evaluate(([w, a]) => window.oistream.ask(w, ...a), [what, args]);
const screen = (p = page, pixels = false) => ask(p, 'screen', ...(pixels ? ['pixels'] : []));
const shownSymbols = async (p = page) => (await screen(p)).map((r) => r.symbol);
const viewSymbols = (p = page) => ask(p, 'view');

// Clicks the canvas on the row drawn at `y` (CSS pixels from the canvas top).
async function clickRow(p, y) {
  const box = await p.locator('#grid').boundingBox();
  await p.mouse.click(box.x + 40, box.y + y + 11);
}

test('the table fills with every instrument, linear perpetuals of every venue shown by default, and the simulated banner shows', async () => {
  await page.selectOption('#exchange', 'all'); // the page's default
  const response = await fetch(`${base}/api/v1/instruments`);
  const instruments = await response.json();
  await until(async () => (await ask(page, 'size')) === instruments.length, 10000, 'every instrument in the model');
  const perps = instruments.filter((i) => i.market === 'usdm' && i.contractType === 'PERPETUAL').map((i) => i.symbol).sort();
  assert.deepEqual([...(await viewSymbols())].sort(), perps);
  const shown = await shownSymbols();
  assert.ok(shown.length > 0);
  assert.deepEqual(shown, (await viewSymbols()).slice(0, shown.length), 'the rows on screen are the top of the view');
  await until(async () => (await page.textContent('#count')) === `${perps.length} of ${instruments.length} instruments`, 5000, 'the count');
  assert.equal(await page.isVisible('#sim-banner'), true);
  assert.match(await page.textContent('#sim-banner'), /SIMULATED DATA/);
  assert.equal(await page.textContent('#conn'), 'live');
  const btc = (await screen()).find((r) => r.symbol === 'BTCUSDT');
  assert.equal(btc.text[0], 'BTCUSDT');
  assert.match(btc.text[3], /^\$\d+(\.\d+)?[KMB]$/); // OI (USD), e.g. $9.00B
  assert.match(btc.text[4], /^([+−]\d+\.\d\d %|0\.00 %|—)$/);
  // The rows are really drawn (the flash test below reads the canvas's pixels): a canvas of text compresses poorly.
  const canvas = await page.locator('#grid').screenshot();
  assert.ok(canvas.length > 20000, `a canvas with text compresses poorly: ${canvas.length} bytes of PNG`);
  await page.selectOption('#exchange', 'binance');
});

test('the market filter and the search box narrow the rows', async () => {
  const only = async (predicate) => {
    const [view, shown] = [await viewSymbols(), await shownSymbols()];
    return view.length > 0 && view.every(predicate) && shown.length > 0 && shown.every(predicate);
  };
  await page.selectOption('#market', 'coinm');
  await until(() => only((s) => s.includes('USD_')), 5000, 'COIN-M rows only');
  await page.selectOption('#market', 'all');
  await page.fill('#search', 'btc');
  await until(() => only((s) => s.includes('BTC')), 5000, 'BTC rows only');
  const btcRows = await shownSymbols();
  assert.ok(btcRows.includes('BTCUSDT') && btcRows.includes('BTCUSD_PERP'), btcRows.join(','));
  await page.fill('#search', '');
  await page.selectOption('#market', 'usdm-perp');
});

test('the exchange filter shows one venue\'s instruments, by their ids; All venues shows the three', async () => {
  const only = async (predicate) => {
    const [view, shown] = [await viewSymbols(), await shownSymbols()];
    return view.length > 0 && view.every(predicate) && shown.length > 0 && shown.every(predicate);
  };
  await page.selectOption('#exchange', 'bybit');
  await until(() => only((s) => s.startsWith('BYBIT:')), 5000, 'Bybit rows only');
  await page.selectOption('#exchange', 'okx');
  await until(() => only((s) => s.startsWith('OKX:') && s.endsWith('-SWAP')), 5000, 'OKX perpetual swaps only');
  await page.selectOption('#exchange', 'binance');
  await until(() => only((s) => !s.includes(':')), 5000, 'Binance rows only');
  await page.selectOption('#exchange', 'all');
  await until(async () => {
    const view = await viewSymbols();
    return view.some((s) => s.startsWith('BYBIT:')) && view.some((s) => s.startsWith('OKX:')) && view.some((s) => !s.includes(':'));
  }, 5000, 'every venue in the table');
  await page.selectOption('#exchange', 'binance');
});

test('clicking a change column sorts by it, and clicking again reverses', async () => {
  const header = page.locator('#head th', { hasText: 'OI 1h' });
  const sorted = (values, desc) => values.filter((v) => v != null).every((v, i, a) => i === 0 || (desc ? a[i - 1] >= v : a[i - 1] <= v));
  // The view and its values are read in one go (the table re-sorts as values change); the rows on screen are the
  // view's first ones.
  const check = async (desc) => {
    const { view, values, screen: shown } = await ask(page, 'column', 'change.1h');
    assert.ok(shown.length > 0 && shown.length <= view.length);
    assert.deepEqual(shown, view.slice(0, shown.length));
    assert.ok(sorted(values, desc), `view ${desc ? 'descending' : 'ascending'}: ${values.join(' ')}`);
  };
  await header.click();
  assert.equal(await header.getAttribute('class'), 'sorted');
  await until(async () => (await ask(page, 'column', 'change.1h')).screen[0] === (await ask(page, 'column', 'change.1h')).view[0], 5000, 'the sorted view drawn');
  await check(true);
  await header.click();
  assert.equal(await header.getAttribute('class'), 'sorted asc');
  await until(async () => {
    const { values } = await ask(page, 'column', 'change.1h');
    return sorted(values, false);
  }, 5000, 'the view reversed');
  await check(false);
});

test('values update live', async () => {
  await page.fill('#search', 'ETHUSDT');
  const seq = async () => (await screen()).find((r) => r.symbol === 'ETHUSDT')?.seq ?? 0;
  await until(async () => (await seq()) > 0, 5000, 'ETHUSDT on screen');
  const first = await seq();
  await until(async () => (await seq()) > first, 30000, 'a newer ETHUSDT update in the table');
  await until(async () => (await page.textContent('#age')).startsWith('data '), 5000, 'the data age');
  await page.fill('#search', '');
});

test('changed cells flash in the direction of the change, on the canvas, and stop flashing', async () => {
  // The canvas's pixels at a cell's corner: the flash colours over the background, or the background itself.
  const bg = [13, 17, 23]; // --bg
  const isBg = (p) => p && p.every((c, i) => Math.abs(c - bg[i]) <= 2);
  const seen = new Map(); // "symbol|column" → the flash class seen there
  let up = 0;
  let down = 0;
  let ended = 0;
  await until(async () => {
    for (const row of await screen(page, true)) {
      if (row.flags) continue; // selected, hovered or stale rows have another background
      row.cls.slice(1, 10).forEach((cls, k) => {
        const i = k + 1;
        const key = `${row.symbol}|${i}`;
        const pixel = row.pixels[i];
        if (!pixel) return;
        if (cls.includes('flash-up')) {
          assert.ok(pixel[1] > bg[1] + 20 && pixel[1] > pixel[0], `a green flash at ${key}: ${pixel}`);
          if (!seen.has(key)) up++;
          seen.set(key, 'up');
        } else if (cls.includes('flash-down')) {
          assert.ok(pixel[0] > bg[0] + 20 && pixel[0] > pixel[1], `a red flash at ${key}: ${pixel}`);
          if (!seen.has(key)) down++;
          seen.set(key, 'down');
        } else {
          assert.ok(isBg(pixel), `no flash, background at ${key}: ${pixel}`);
          if (seen.has(key)) {
            seen.delete(key);
            ended++;
          }
        }
      });
    }
    return up >= 3 && down >= 3 && ended >= 5;
  }, 30000, 'cells flashing green and red on the canvas, and flashes ending');
});

test('a long table scrolls through the whole view, and rows are selected by click and by keys', async () => {
  const small = await browser.newPage({ viewport: { width: 1600, height: 500 } });
  try {
    await small.goto(`${base}/?hooks&symbol=ETHUSDT`);
    await small.selectOption('#market', 'all');
    await until(async () => (await viewSymbols(small)).length > 40 && (await screen(small)).length > 5, 30000, 'a long view drawn');
    const total = (await viewSymbols(small)).length;
    const rowsOnScreen = (await screen(small)).length;
    assert.ok(rowsOnScreen < total, `${rowsOnScreen} rows drawn for ${total} in the view`);
    await small.$eval('#table-panel', (panel) => { panel.scrollTop = panel.scrollHeight; });
    await until(async () => {
      const [view, shown] = [await viewSymbols(small), await shownSymbols(small)];
      return shown.length > 0 && shown[shown.length - 1] === view[view.length - 1];
    }, 5000, 'the last row of the view on screen after scrolling to the bottom');
    const middle = Math.floor(total / 2);
    await small.$eval('#table-panel', (panel, index) => { panel.scrollTop = index * window.oistream.rowHeight(); }, middle);
    await until(async () => {
      const [view, rows] = [await viewSymbols(small), await screen(small)];
      return rows.length > 0 && rows[0].symbol === view[middle] && rows[0].y === 0;
    }, 5000, 'the middle of the view at the top after scrolling there');
    await small.locator('#head th', { hasText: 'Symbol' }).click();
    await until(async () => {
      const view = await viewSymbols(small);
      return view.every((s, i) => i === 0 || view[i - 1] < s);
    }, 5000, 'sorted by symbol');
    const third = (await screen(small))[2];
    await clickRow(small, third.y);
    await until(async () => (await small.evaluate(() => window.oistream.selected())) === third.symbol, 5000, 'the clicked row selected');
    await until(async () => (await screen(small)).find((r) => r.symbol === third.symbol)?.flags.includes('selected'), 5000, 'the selected row highlighted');
    await small.keyboard.press('ArrowDown');
    const view = await viewSymbols(small);
    const next = view[view.indexOf(third.symbol) + 1];
    await until(async () => (await small.evaluate(() => window.oistream.selected())) === next, 5000, 'ArrowDown selects the next row');
  } finally {
    await small.close();
  }
});

test('the chart draws history for a range, and compare adds a second series', async () => {
  await page.fill('#search', 'BTCUSDT');
  await until(async () => (await shownSymbols()).join() === 'BTCUSDT', 5000, 'BTCUSDT alone in the table');
  await clickRow(page, 0);
  await until(async () => (await page.evaluate(() => window.oistream.selected())) === 'BTCUSDT', 5000, 'BTCUSDT selected');
  await page.fill('#search', '');
  await page.click('#ranges button[data-range="4h"]');
  await until(async () => {
    const info = await page.evaluate(() => window.oistream.chartInfo());
    return info.length === 1 && info[0].symbol === 'BTCUSDT' && info[0].points >= 40 && info[0].markPoints >= 40;
  }, 30000, '4h of BTCUSDT history (5m points) with the mark price');
  assert.match(await page.textContent('#chart-title'), /BTCUSDT open interest \(4h\)/);
  assert.ok(new URL(page.url()).searchParams.get('symbol') === 'BTCUSDT');
  // The note says since when the hub's store holds history (the start-up backfill: about 25 hours back). It is
  // written when the 4h load finishes, which may be after an earlier range's points already satisfied the wait above.
  const heldPattern = /history held since (\d{4}-\d\d-\d\d \d\d:\d\d) UTC/;
  await until(async () => heldPattern.test(await page.textContent('#chart-note')), 30000, 'the note says since when history is held');
  const since = heldPattern.exec(await page.textContent('#chart-note'));
  const heldHours = (Date.now() - Date.parse(since[1].replace(' ', 'T') + 'Z')) / 3_600_000;
  assert.ok(heldHours > 20, `history held for ${heldHours} h`);

  // Candles: OI in coins from the store's candles, 48 five-minute candles for 4h; and back to a line.
  await page.click('#chart-kind');
  await until(async () => {
    const info = await page.evaluate(() => window.oistream.chartInfo());
    return info.length === 1 && info[0].kind === 'candles' && info[0].points >= 40;
  }, 30000, '4h of BTCUSDT candles');
  assert.match(await page.textContent('#chart-title'), /BTCUSDT open interest in coins \(4h\)/);
  await page.click('#chart-kind');
  await until(async () => (await page.evaluate(() => window.oistream.chartInfo()))[0]?.kind === 'line', 30000, 'a line again');

  await page.fill('#compare-input', 'ethusdt');
  await page.click('#compare-add');
  await until(async () => {
    const info = await page.evaluate(() => window.oistream.chartInfo());
    return info.length === 2 && info[1].symbol === 'ETHUSDT' && info[1].points >= 40;
  }, 30000, 'a second series for ETHUSDT');
  assert.match(await page.textContent('#chart-title'), /OI change, %/);
  assert.match(await page.textContent('#compare-chips'), /ETHUSDT/);

  await page.fill('#compare-input', 'NOPE');
  await page.click('#compare-add');
  assert.match(await page.textContent('#chart-note'), /Unknown symbol 'NOPE'/);
});

test('the coin panel shows aggregates with the margin split, and a click filters the table; a screenshot is saved', async () => {
  // The coin rows are drawn by the worker too: 'coins' answers each drawn row's cells.
  await until(async () => (await ask(page, 'coins')).length >= 5, 30000, 'coin rows drawn');
  const coins = await ask(page, 'coins');
  const btc = coins.find((row) => row[0] === 'BTC');
  assert.ok(btc, coins.map((row) => row[0]).join(','));
  assert.match(btc[1], /^\$\d+(\.\d+)?[KMB]$/);
  assert.match(btc[3], /^\d+%$/); // the stablecoin-margined share
  assert.ok(Number(btc[3].slice(0, -1)) > 0 && Number(btc[3].slice(0, -1)) < 100, `BTC has both margins: ${btc[3]}`);
  assert.match(btc[5], /^([+−]\d+\.\d\d %|0\.00 %|—)$/);
  // The per-venue split: Binance / Bybit / OKX shares of the coin's USD, which add up to 100 % (rounded).
  assert.match(btc[7], /^\d+ \/ \d+ \/ \d+$/, btc[7]);
  const shares = btc[7].split(' / ').map(Number);
  assert.ok(shares.every((v) => v > 0) && Math.abs(shares.reduce((a, b) => a + b) - 100) <= 2, btc[7]);
  // The rows are really drawn: with their text, the panel's PNG is tens of KB (row lines alone compress to a few).
  const png = await page.locator('#coin-grid').screenshot();
  assert.ok(png.length > 10000, `the coin panel drawn with its text: ${png.length} bytes of PNG`);
  // A click on the coin's row filters the table by it.
  const box = await page.locator('#coin-grid').boundingBox();
  const rowHeight = await page.$eval('#coin-grid', (c) => parseFloat(getComputedStyle(c).getPropertyValue('--coin-row-height')));
  await page.mouse.click(box.x + 20, box.y + coins.findIndex((row) => row[0] === 'BTC') * rowHeight + rowHeight / 2);
  await until(async () => (await page.inputValue('#search')) === 'BTC', 5000, 'the search box set to BTC');
  await until(async () => (await viewSymbols()).every((s) => s.includes('BTC')), 5000, 'BTC rows only');
  await page.fill('#search', '');
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'dashboard.png') });
  assert.deepEqual(pageErrors, []);
});

test('the hub serves the JavaScript client for browsers as the package holds it: it imports nothing, SignalR is handed to it', async () => {
  // Workers get no import maps: a bare '@microsoft/signalr' would fail to load in the table worker.
  const response = await fetch(`${base}/oistream-client.js`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/javascript/);
  const source = await response.text();
  const packaged = await readFile(new URL('../../clients/js/src/client.js', import.meta.url), 'utf8');
  assert.equal(source, packaged);
  assert.doesNotMatch(source, /^\s*import\s/m);
  assert.match(source, /export function useSignalR/);
  assert.match(source, /export class OiStreamClient/);
});

test('data that is not simulated carries no SIMULATED banner: a hub whose Binance is a standalone simulator', async () => {
  const hub = await startHubOnStandaloneSimulator();
  const other = await browser.newPage();
  try {
    await other.goto(`${hub.url}/?hooks`);
    await until(async () => (await screen(other)).length > 0, 60000, 'rows drawn');
    // The hub was not started with --simulate: to it this is Binance, and the page must not say otherwise.
    const btc = await (await fetch(`${hub.url}/api/v1/instruments/BTCUSDT`)).json();
    assert.equal(btc.source, 'binance');
    assert.equal(await other.isVisible('#sim-banner'), false);
  } finally {
    await other.close();
    await hub.stop();
  }
});

test('with ?protocol=messagepack the table worker takes the hub\'s MessagePack protocol and the table still streams', async () => {
  const packed = await browser.newPage();
  const errors = collectErrors(packed);
  try {
    await packed.goto(`${base}/?hooks&protocol=messagepack`);
    await until(async () => (await screen(packed)).length > 0, 60000, 'rows drawn over MessagePack');
    const batches = await packed.evaluate(() => window.oistream.perf.overviewBatches);
    await until(async () => (await packed.evaluate(() => window.oistream.perf.overviewBatches)) >= batches + 2, 30000, 'overview batches over MessagePack');
    assert.equal(await packed.textContent('#conn'), 'live');
    assert.deepEqual(errors, []);
  } finally {
    await packed.close();
  }
});
