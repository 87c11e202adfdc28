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
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length > 0, null, { timeout: 60000 });
});

after(async () => {
  await browser?.close();
});

const visibleSymbols = () => page.$$eval('#rows tr:not([hidden])', (trs) => trs.map((tr) => tr.dataset.symbol));

test('the table fills with every instrument, USDⓈ-M perpetuals shown by default, and the simulated banner shows', async () => {
  const all = await page.$$eval('#rows tr', (trs) => trs.length);
  const response = await fetch(`${base}/api/v1/instruments`);
  const instruments = await response.json();
  assert.equal(all, instruments.length);
  const perps = instruments.filter((i) => i.market === 'usdm' && i.contractType === 'PERPETUAL').map((i) => i.symbol).sort();
  assert.deepEqual((await visibleSymbols()).sort(), perps);
  assert.equal(await page.isVisible('#sim-banner'), true);
  assert.match(await page.textContent('#sim-banner'), /SIMULATED DATA/);
  assert.equal(await page.textContent('#conn'), 'live');
  const btc = await page.$$eval('#rows tr[data-symbol="BTCUSDT"] td', (tds) => tds.map((td) => td.textContent));
  assert.equal(btc[0], 'BTCUSDT');
  assert.match(btc[3], /^\$\d+(\.\d+)?[KMB]$/); // OI (USD), e.g. $9.00B
  assert.match(btc[4], /^([+−]\d+\.\d\d %|0\.00 %|—)$/);
});

test('the market filter and the search box narrow the rows', async () => {
  await page.selectOption('#market', 'coinm');
  await until(async () => (await visibleSymbols()).every((s) => s.includes('USD_')), 5000, 'COIN-M rows only');
  assert.ok((await visibleSymbols()).length > 0);
  await page.selectOption('#market', 'all');
  await page.fill('#search', 'btc');
  await until(async () => (await visibleSymbols()).every((s) => s.includes('BTC')), 5000, 'BTC rows only');
  const btcRows = await visibleSymbols();
  assert.ok(btcRows.includes('BTCUSDT') && btcRows.includes('BTCUSD_PERP'), btcRows.join(','));
  await page.fill('#search', '');
  await page.selectOption('#market', 'usdm-perp');
});

test('clicking a change column sorts by it, and clicking again reverses', async () => {
  const header = page.locator('#head th', { hasText: 'OI 1h' });
  const read = () => page.$$eval('#rows tr:not([hidden])', (trs) => trs.map((tr) => window.oistream.rows.get(tr.dataset.symbol).state.change['1h']));
  const sorted = (values, desc) => values.filter((v) => v != null).every((v, i, a) => i === 0 || (desc ? a[i - 1] >= v : a[i - 1] <= v));
  await header.click();
  assert.equal(await header.getAttribute('class'), 'sorted');
  // Read the order and the values in one go (the table re-sorts as values change).
  assert.ok(sorted(await read(), true), 'descending');
  await header.click();
  assert.equal(await header.getAttribute('class'), 'sorted asc');
  assert.ok(sorted(await read(), false), 'ascending');
});

test('values update live', async () => {
  const seq = () => page.getAttribute('#rows tr[data-symbol="ETHUSDT"]', 'data-seq').then(Number);
  const first = await seq();
  await until(async () => (await seq()) > first, 30000, 'a newer ETHUSDT update in the table');
  await until(async () => (await page.textContent('#age')).startsWith('data '), 5000, 'the data age');
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
