// The dashboard at / in headless Chromium against the running hub with the simulator (OISTREAM_URL).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { base, until } from './support.mjs';
import { launch } from './browser.mjs';

const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
let browser;
let page;
const pageErrors = [];

before(async () => {
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.goto(`${base}/`);
  await page.waitForFunction(() => document.querySelectorAll('#rows tr[data-symbol]:not([hidden])').length > 0, null, { timeout: 60000 });
});

after(async () => {
  await browser?.close();
});

// The table is virtualised: the DOM holds only the rows on screen; window.oistream.view() is the whole filtered,
// sorted list of symbols.
const shownSymbols = (p = page) => p.$$eval('#rows tr[data-symbol]:not([hidden])', (trs) => trs.map((tr) => tr.dataset.symbol));
const viewSymbols = (p = page) => p.evaluate(() => [...window.oistream.view()]);

test('the table fills with every instrument, USDⓈ-M perpetuals shown by default, and the simulated banner shows', async () => {
  const response = await fetch(`${base}/api/v1/instruments`);
  const instruments = await response.json();
  await until(async () => (await page.evaluate(() => window.oistream.rows.size)) === instruments.length, 10000, 'every instrument in the model');
  const perps = instruments.filter((i) => i.market === 'usdm' && i.contractType === 'PERPETUAL').map((i) => i.symbol).sort();
  assert.deepEqual([...(await viewSymbols())].sort(), perps);
  const shown = await shownSymbols();
  assert.ok(shown.length > 0);
  assert.deepEqual(shown, (await viewSymbols()).slice(0, shown.length), 'the rows on screen are the top of the view');
  assert.match(await page.textContent('#count'), new RegExp(`^${perps.length} of ${instruments.length} instruments$`));
  assert.equal(await page.isVisible('#sim-banner'), true);
  assert.match(await page.textContent('#sim-banner'), /SIMULATED DATA/);
  assert.equal(await page.textContent('#conn'), 'live');
  const btc = await page.$$eval('#rows tr[data-symbol="BTCUSDT"] td', (tds) => tds.map((td) => td.textContent));
  assert.equal(btc[0], 'BTCUSDT');
  assert.match(btc[3], /^\$\d+(\.\d+)?[KMB]$/); // OI (USD), e.g. $9.00B
  assert.match(btc[4], /^([+−]\d+\.\d\d %|0\.00 %|—)$/);
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

test('clicking a change column sorts by it, and clicking again reverses', async () => {
  const header = page.locator('#head th', { hasText: 'OI 1h' });
  // The rows on screen, and the whole view behind them.
  const read = () => page.$$eval('#rows tr[data-symbol]:not([hidden])', (trs) => [
    trs.map((tr) => window.oistream.value(tr.dataset.symbol, 'change.1h')),
    window.oistream.view().map((symbol) => window.oistream.value(symbol, 'change.1h')),
  ]);
  const sorted = (values, desc) => values.filter((v) => v != null).every((v, i, a) => i === 0 || (desc ? a[i - 1] >= v : a[i - 1] <= v));
  await header.click();
  assert.equal(await header.getAttribute('class'), 'sorted');
  // Read the order and the values in one go (the table re-sorts as values change, so a value may have moved since
  // the last draw: the model's view is checked as drawn, the screen rows as they read now).
  const check = async (desc) => {
    const [shown, view] = await read();
    assert.ok(shown.length > 0 && shown.length <= view.length);
    assert.ok(sorted(view, desc), `view ${desc ? 'descending' : 'ascending'}: ${view.join(' ')}`);
    return shown;
  };
  await check(true);
  await header.click();
  assert.equal(await header.getAttribute('class'), 'sorted asc');
  await check(false);
});

test('values update live', async () => {
  await page.fill('#search', 'ETHUSDT');
  const seq = () => page.getAttribute('#rows tr[data-symbol="ETHUSDT"]', 'data-seq').then(Number);
  await until(async () => (await seq()) > 0, 5000, 'ETHUSDT on screen');
  const first = await seq();
  await until(async () => (await seq()) > first, 30000, 'a newer ETHUSDT update in the table');
  await until(async () => (await page.textContent('#age')).startsWith('data '), 5000, 'the data age');
  await page.fill('#search', '');
});

test('changed cells flash in the direction of the change, briefly', async () => {
  // Count, in the page, cells that gain a flash class and cells that lose it again.
  await page.evaluate(() => {
    window.flashes = { on: 0, off: 0, up: 0, down: 0 };
    new MutationObserver((records) => {
      for (const r of records) {
        const was = /flash-/.test(r.oldValue ?? '');
        const is = /flash-/.test(r.target.className);
        if (!was && is) {
          window.flashes.on++;
          if (r.target.classList.contains('flash-up')) window.flashes.up++;
          else window.flashes.down++;
        }
        if (was && !is) window.flashes.off++;
      }
    }).observe(document.getElementById('rows'), { subtree: true, attributes: true, attributeFilter: ['class'], attributeOldValue: true });
  });
  await until(async () => {
    const f = await page.evaluate(() => window.flashes);
    return f.on >= 5 && f.off >= 5;
  }, 30000, 'cells flashing on and off again');
  const f = await page.evaluate(() => window.flashes);
  assert.equal(f.on, f.up + f.down);
});

test('a long table keeps a fixed pool of row elements and shows any part of the view when scrolled', async () => {
  const small = await browser.newPage({ viewport: { width: 1600, height: 500 } });
  try {
    await small.goto(`${base}/?symbol=ETHUSDT`);
    await small.selectOption('#market', 'all');
    await small.waitForFunction(() => window.oistream && window.oistream.view().length > 40, null, { timeout: 30000 });
    const elements = () => small.$$eval('#rows tr:not(.pad)', (trs) => trs.length);
    const pool = await elements();
    const total = (await viewSymbols(small)).length;
    assert.ok(pool > 5 && pool < total, `${pool} row elements for ${total} rows`);
    await small.$eval('#table-panel', (panel) => { panel.scrollTop = panel.scrollHeight; });
    await until(async () => {
      const [view, shown] = [await viewSymbols(small), await shownSymbols(small)];
      return shown.length > 0 && shown[shown.length - 1] === view[view.length - 1];
    }, 5000, 'the last row of the view on screen after scrolling to the bottom');
    const middle = Math.floor(total / 2);
    await small.$eval('#table-panel', (panel, index) => { panel.scrollTop = index * window.oistream.rowHeight(); }, middle);
    await until(async () => {
      const [view, shown] = [await viewSymbols(small), await shownSymbols(small)];
      return shown.length > 0 && shown[0] === view[middle];
    }, 5000, 'the middle of the view at the top after scrolling there');
    await small.locator('#head th', { hasText: 'Symbol' }).click();
    await until(async () => {
      const view = await viewSymbols(small);
      return view.every((s, i) => i === 0 || view[i - 1] < s);
    }, 5000, 'sorted by symbol');
    assert.equal(await elements(), pool, 'sorting and scrolling reuse the same row elements');
    const row = small.locator('#rows tr[data-symbol]:not([hidden])').nth(2);
    const symbol = await row.getAttribute('data-symbol');
    await row.click();
    await until(async () => (await small.evaluate(() => window.oistream.selected())) === symbol, 5000, 'the clicked row selected');
    assert.equal(await small.getAttribute(`#rows tr[data-symbol="${symbol}"]`, 'class'), 'selected');
  } finally {
    await small.close();
  }
});

test('the chart draws history for a range, and compare adds a second series', async () => {
  await page.click('#rows tr[data-symbol="BTCUSDT"]');
  await page.click('#ranges button[data-range="4h"]');
  await until(async () => {
    const info = await page.evaluate(() => window.oistream.chartInfo());
    return info.length === 1 && info[0].symbol === 'BTCUSDT' && info[0].points >= 40 && info[0].markPoints >= 40;
  }, 30000, '4h of BTCUSDT history (5m points) with the mark price');
  assert.match(await page.textContent('#chart-title'), /BTCUSDT open interest \(4h\)/);
  assert.ok(new URL(page.url()).searchParams.get('symbol') === 'BTCUSDT');

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

test('the coin panel shows aggregates with the margin split; a screenshot is saved', async () => {
  await until(async () => (await page.$$('#coin-rows tr[data-coin]')).length >= 5, 30000, 'coin rows');
  const btc = await page.$$eval('#coin-rows tr[data-coin="BTC"] td', (tds) => tds.map((td) => td.textContent));
  assert.equal(btc[0], 'BTC');
  assert.match(btc[1], /^\$\d/);
  assert.match(btc[3], /\d+%$/);
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'dashboard.png') });
  assert.deepEqual(pageErrors, []);
});
