// What a reader of the dashboard needs beyond the numbers (issue: a readable and accessible dashboard): headers that
// are never cut short, columns from the hub's windows and a chooser that remembers, a watchlist with notifications,
// copying a row, the rows on screen as an accessible grid, and no serious or critical axe-core finding.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import { base, until } from './support.mjs';
import { collectErrors, launch } from './browser.mjs';
import { OiStreamClient } from '@oistream/client';

import { startHubOnStandaloneSimulator, startHubWithWindows } from './hubs.mjs';

const require = createRequire(import.meta.url);
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

const ask = (p, what, ...args) => p.evaluate(([w, a]) => window.oistream.ask(w, ...a), [what, args]);
const screen = (p) => ask(p, 'screen');

async function open(viewport = { width: 1440, height: 1000 }, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(options.url ?? `${base}/?hooks`);
  await until(async () => (await screen(page)).length > 0, 60000, 'rows drawn');
  // These tests read a Binance symbol as the one row of its name (dashboard.test.mjs covers the other venues).
  await page.selectOption('#exchange', 'binance');
  return { context, page, errors };
}

// Headers whose text does not fit their cell (the browser would cut them with an ellipsis).
const cutHeaders = (page) => page.$$eval('#head th', (ths) => ths.filter((th) => th.scrollWidth > th.clientWidth).map((th) => `${th.textContent} (${th.scrollWidth} > ${th.clientWidth})`));
const headerLabels = (page) => page.$$eval('#head th', (ths) => ths.map((th) => th.textContent));

async function windows() {
  const btc = await (await fetch(`${base}/api/v1/instruments/BTCUSDT`)).json();
  return Object.keys(btc.change);
}

test('no header is cut short at 1280 and 1440 px, and the OI change columns are the hub\'s windows, 30m included', async () => {
  const hubWindows = await windows();
  assert.ok(hubWindows.includes('30m'), hubWindows.join());
  for (const width of [1280, 1440]) {
    const { context, page, errors } = await open({ width, height: 900 });
    try {
      const labels = await headerLabels(page);
      assert.deepEqual(labels.filter((l) => l.startsWith('OI ') && !l.startsWith('OI (')), hubWindows.map((w) => `OI ${w}`));
      assert.deepEqual(await cutHeaders(page), [], `at ${width} px`);
      // Each drawn row has a cell per header.
      const row = (await screen(page))[0];
      assert.equal(row.text.length, labels.length);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  }
});

test('the column chooser adds OI-in-USD and price changes, drops columns, keeps the choice across a reload, and every header stays whole', async () => {
  const { context, page, errors } = await open({ width: 1280, height: 900 });
  try {
    await page.click('#column-chooser summary');
    await page.check('#column-list input[data-key="priceChange.1h"]');
    await page.check('#column-list input[data-key="changeUsd.1h"]');
    await page.uncheck('#column-list input[data-key="change.15m"]');
    await page.check('#column-list input[data-key="oiAge"]');
    await until(async () => (await headerLabels(page)).includes('Px 1h'), 5000, 'the price column');
    await page.keyboard.press('Escape');
    assert.equal(await page.$eval('#column-chooser', (d) => d.open), false, 'Escape closes the chooser');
    let labels = await headerLabels(page);
    assert.ok(labels.includes('OI$ 1h') && labels.includes('OI age') && !labels.includes('OI 15m'), labels.join());
    assert.deepEqual(await cutHeaders(page), []);

    // The drawn price cell is the hub's price change; the USD change is (1 + OI change) × (1 + price change) − 1.
    const px = labels.indexOf('Px 1h');
    const usd = labels.indexOf('OI$ 1h');
    const shown = async () => {
      const btc = (await screen(page)).find((r) => r.symbol === 'BTCUSDT');
      const [c, p] = [await ask(page, 'value', 'BTCUSDT', 'change.1h'), await ask(page, 'value', 'BTCUSDT', 'priceChange.1h')];
      return { btc, c, p };
    };
    await until(async () => (await shown()).btc?.text[px] !== undefined, 5000, 'BTCUSDT drawn with the new columns');
    const { btc, c, p } = await shown();
    const percent = (v) => Number(v.replace('−', '-').replace(' %', '').replace('+', ''));
    assert.ok(Math.abs(percent(btc.text[px]) - p) < 0.006, `${btc.text[px]} vs ${p}`);
    assert.ok(Math.abs(percent(btc.text[usd]) - ((1 + c / 100) * (1 + p / 100) - 1) * 100) < 0.006, `${btc.text[usd]} vs ${c}, ${p}`);
    const rest = await (await fetch(`${base}/api/v1/instruments/BTCUSDT`)).json();
    assert.ok(Math.abs(rest.priceChange['1h'] - p) < 0.5 && Math.abs(rest.changeUsd['1h'] - percent(btc.text[usd])) < 0.5, 'the hub agrees');

    // Sorting by a chosen column works like any other.
    await page.locator('#head th', { hasText: 'Px 1h' }).click();
    await until(async () => {
      const { values } = await ask(page, 'column', 'priceChange.1h');
      return values.filter((v) => v != null).every((v, i, a) => i === 0 || a[i - 1] >= v);
    }, 5000, 'sorted by the price change');

    await page.reload();
    await until(async () => (await screen(page)).length > 0, 60000, 'rows drawn again');
    labels = await headerLabels(page);
    assert.ok(labels.includes('Px 1h') && labels.includes('OI$ 1h') && !labels.includes('OI 15m'), `after a reload: ${labels.join()}`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a starred symbol joins the watchlist, which filters the table and survives a reload; S stars the selected row', async () => {
  const { context, page, errors } = await open();
  try {
    await page.fill('#search', 'ETHUSDT');
    await until(async () => (await screen(page)).map((r) => r.symbol).join() === 'ETHUSDT', 5000, 'ETHUSDT alone');
    const box = await page.locator('#grid').boundingBox();
    await page.mouse.click(box.x + 8, box.y + 11); // the star at the left of the symbol cell
    await until(async () => (await screen(page))[0].flags.includes('star'), 5000, 'ETHUSDT starred');
    assert.notEqual(await page.evaluate(() => window.oistream.selected()), 'ETHUSDT', 'the star does not select the row');
    assert.deepEqual(JSON.parse(await page.evaluate(() => localStorage.getItem('oistream.watchlist'))), ['ETHUSDT']);

    // S on the selected row stars it too.
    await page.fill('#search', 'SOLUSDT');
    await until(async () => (await screen(page)).map((r) => r.symbol).join() === 'SOLUSDT', 5000, 'SOLUSDT alone');
    await page.mouse.click(box.x + 60, box.y + 11);
    await until(async () => (await page.evaluate(() => window.oistream.selected())) === 'SOLUSDT', 5000, 'SOLUSDT selected');
    await page.focus('#table-panel');
    await page.keyboard.press('s');
    await until(async () => JSON.parse(await page.evaluate(() => localStorage.getItem('oistream.watchlist'))).includes('SOLUSDT'), 5000, 'SOLUSDT starred');

    await page.fill('#search', '');
    await page.selectOption('#market', 'watchlist');
    await until(async () => (await ask(page, 'view')).slice().sort().join() === 'ETHUSDT,SOLUSDT', 5000, 'the watchlist alone');
    await page.reload();
    await until(async () => (await screen(page)).length > 0, 60000, 'rows drawn again');
    await page.selectOption('#market', 'watchlist');
    await until(async () => (await ask(page, 'view')).slice().sort().join() === 'ETHUSDT,SOLUSDT', 5000, 'the watchlist after a reload');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('with alerts on, a signal event on a starred symbol becomes a browser notification, and one on another symbol does not', async () => {
  const hub = await startHubOnStandaloneSimulator();
  const { context, page, errors } = await open({ width: 1440, height: 1000 }, { url: `${hub.url}/?hooks`, permissions: ['notifications'] });
  try {
    await page.evaluate(() => localStorage.setItem('oistream.watchlist', JSON.stringify(['BTCUSDT'])));
    await page.reload();
    await until(async () => (await screen(page)).length > 0, 60000, 'rows drawn');
    await page.click('#notify');
    await until(async () => (await page.textContent('#notify')) === 'Alerts on', 5000, 'alerts on');
    // A 6 % jump of BTCUSDT's and ETHUSDT's OI at the exchange: the hub's spike events for both reach the page.
    for (const symbol of ['ETHUSDT', 'BTCUSDT']) {
      const r = await fetch(`${hub.simulator}/admin/shock?symbol=${symbol}&percent=6`, { method: 'POST' });
      assert.equal(r.status, 200);
    }
    await until(async () => (await page.evaluate(() => window.oistream.notifications.length)) > 0, 60000, 'a notification');
    await until(async () => (await ask(page, 'events')).includes('ETHUSDT'), 60000, 'ETHUSDT\'s event on the page too');
    const sent = await page.evaluate(() => [...window.oistream.notifications]);
    assert.ok(sent.every((n) => n.startsWith('BTCUSDT: ')), sent.join());
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await hub.stop();
  }
});

test('Ctrl+C on the table, or Copy row, copies the selected row\'s figures under their headers', async () => {
  const { context, page, errors } = await open({ width: 1440, height: 1000 }, { permissions: ['clipboard-read', 'clipboard-write'] });
  try {
    await page.fill('#search', 'BTCUSDT');
    await until(async () => (await screen(page)).map((r) => r.symbol).join() === 'BTCUSDT', 5000, 'BTCUSDT alone');
    const box = await page.locator('#grid').boundingBox();
    await page.mouse.click(box.x + 60, box.y + 11);
    await until(async () => (await page.evaluate(() => window.oistream.selected())) === 'BTCUSDT', 5000, 'BTCUSDT selected');
    await page.evaluate(() => navigator.clipboard.writeText(''));
    await page.focus('#table-panel');
    await page.keyboard.press('Control+c');
    await until(async () => (await page.evaluate(() => navigator.clipboard.readText())).startsWith('Symbol'), 5000, 'the row on the clipboard');
    const [headers, cells] = (await page.evaluate(() => navigator.clipboard.readText())).split('\n').map((line) => line.split('\t'));
    assert.deepEqual(headers, await headerLabels(page));
    assert.equal(cells[0], 'BTCUSDT');
    assert.match(cells[headers.indexOf('OI (USD)')], /^\$\d+(\.\d+)?[KMB]$/);
    assert.match(cells[headers.indexOf('OI 1h')], /^([+−]\d+\.\d\d %|0\.00 %|—)$/);
    await page.evaluate(() => navigator.clipboard.writeText(''));
    await page.click('#copy-row');
    await until(async () => (await page.evaluate(() => navigator.clipboard.readText())).includes('\nBTCUSDT\t'), 5000, 'Copy row');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('screen readers get the rows on screen as a grid, with the selected row marked and announced', async () => {
  const { context, page, errors } = await open();
  try {
    const grid = page.locator('#a11y-grid');
    assert.equal(await grid.getAttribute('role'), 'grid');
    // With the table focused the grid follows the canvas within a second (every 5 s otherwise).
    await page.focus('#table-panel');
    await until(async () => (await grid.locator('[role="row"]').count()) > 5, 5000, 'grid rows');
    const headers = await grid.locator('[role="columnheader"]').allTextContents();
    assert.equal(headers.length, (await headerLabels(page)).length);
    // The grid's rows are the rows drawn, cell for cell (up to a second behind a live change).
    await until(async () => {
      const drawn = (await screen(page)).slice(0, 5).map((r) => r.text[0]);
      const read = await grid.locator('[role="row"]').evaluateAll((rows) => rows.slice(1, 6).map((r) => r.querySelector('[role="gridcell"]').textContent.replace(' (starred)', '')));
      return drawn.join() === read.join();
    }, 10000, 'the grid matching the canvas');
    // The page opens with the top row selected; ArrowDown moves to the next one (in symbol order, which live
    // values do not reshuffle).
    await page.locator('#head th', { hasText: 'Symbol' }).click();
    await page.focus('#table-panel');
    await until(async () => (await page.evaluate(() => window.oistream.selected())) !== null, 5000, 'the first selection');
    const first = await page.evaluate(() => window.oistream.selected());
    const view = await ask(page, 'view');
    const next = view[view.indexOf(first) + 1];
    await page.keyboard.press('ArrowDown');
    await until(async () => (await page.evaluate(() => window.oistream.selected())) === next, 5000, `${next} selected`);
    await until(async () => (await page.textContent('#announce')).startsWith(`Symbol ${next}`), 5000, 'the selection announced');
    assert.match(await page.textContent('#announce'), /OI 1h [+−]?\d|OI 1h —|OI 1h 0\.00/);
    await until(async () => (await grid.locator('[aria-selected="true"]').count()) === 1
      && new RegExp(`^${next}`).test(await grid.locator('[aria-selected="true"] [role="gridcell"]').first().textContent()), 5000, 'the selected row marked');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('by keyboard alone: a header sorts with Enter, the market and search filter, arrows select and chart, a range button redraws the chart', async () => {
  const { context, page, errors } = await open();
  try {
    const header = page.locator('#head th', { hasText: 'OI 24h' });
    await header.focus();
    await page.keyboard.press('Enter');
    await until(async () => (await header.getAttribute('aria-sort')) === 'descending', 5000, 'sorted descending');
    await page.keyboard.press('Enter');
    await until(async () => (await header.getAttribute('aria-sort')) === 'ascending', 5000, 'sorted ascending');
    await until(async () => {
      const { values } = await ask(page, 'column', 'change.24h');
      return values.filter((v) => v != null).every((v, i, a) => i === 0 || a[i - 1] <= v);
    }, 5000, 'the view ascending by the 24h change');
    await page.focus('#market');
    await page.keyboard.press('ArrowDown'); // USD-M perpetuals → COIN-M
    await until(async () => (await ask(page, 'view')).every((s) => s.includes('USD_')), 5000, 'COIN-M rows by keyboard');
    await page.focus('#search');
    await page.keyboard.type('BTC');
    await until(async () => (await ask(page, 'view')).every((s) => s.startsWith('BTC')), 5000, 'BTC rows by keyboard');
    // In symbol order (live values do not reshuffle it), End selects the last row.
    const symbolHeader = page.locator('#head th', { hasText: 'Symbol' });
    await symbolHeader.focus();
    await page.keyboard.press('Enter');
    await until(async () => (await symbolHeader.getAttribute('aria-sort')) === 'ascending', 5000, 'sorted by symbol');
    await page.focus('#table-panel');
    const before = await page.evaluate(() => window.oistream.selected());
    await page.keyboard.press('End');
    const view = await ask(page, 'view');
    await until(async () => (await page.evaluate(() => window.oistream.selected())) === view[view.length - 1], 5000, 'End selects the last row');
    assert.notEqual(view[view.length - 1], before);
    await until(async () => (await page.evaluate(() => window.oistream.chartInfo()))[0]?.symbol === view[view.length - 1], 30000, 'the selection charted');
    await page.focus('#ranges button[data-range="4h"]');
    await page.keyboard.press('Enter');
    await until(async () => (await page.textContent('#chart-title')).includes('(4h)'), 30000, 'the 4h range by keyboard');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('axe-core finds no serious or critical accessibility violation on the dashboard', async () => {
  // axe is injected as an inline script, which the page's Content-Security-Policy forbids: this context bypasses it.
  const { context, page } = await open({ width: 1440, height: 1000 }, { bypassCSP: true });
  try {
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })));
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 1));
  } finally {
    await context.close();
  }
});

test('the price/OI scatter places every instrument of the table by its price and OI change, names the quadrants, and a click charts a dot', async () => {
  const { context, page, errors } = await open();
  try {
    let scatter;
    await until(async () => {
      scatter = await ask(page, 'scatter');
      return scatter.points.length > 10;
    }, 30000, 'dots on the scatter');
    assert.equal(scatter.window, '1h');
    // Every dot is an instrument of the view with both changes known, in the quadrant its signs give, on the side of
    // the axes its signs give (the canvas's y grows downwards).
    const view = new Set(await ask(page, 'view'));
    const { width, height } = await page.$eval('#scatter', (c) => ({ width: c.clientWidth, height: c.clientHeight }));
    for (const q of scatter.points) {
      assert.ok(view.has(q.symbol), q.symbol);
      const expected = q.x === 0 || q.y === 0 ? 'neutral' : q.x > 0 ? (q.y > 0 ? 'strongBullish' : 'weakeningRally') : (q.y > 0 ? 'strongBearish' : 'weakeningSelloff');
      assert.equal(q.quadrant, expected, `${q.symbol} ${q.x} ${q.y}`);
      if (q.x !== 0) assert.equal(Math.sign(q.px - width / 2), Math.sign(q.x), `${q.symbol} across`);
      if (q.y !== 0) assert.equal(Math.sign(height / 2 - q.py), Math.sign(q.y), `${q.symbol} up`);
    }
    // The biggest dot is the largest OI in USD.
    const usd = await Promise.all(scatter.points.map((q) => ask(page, 'value', q.symbol, 'openInterestUsd')));
    const biggest = scatter.points.reduce((a, b) => (b.r > a.r ? b : a));
    assert.equal(usd[scatter.points.indexOf(biggest)], Math.max(...usd));
    // It is really drawn: a canvas with shading, labels and dots compresses poorly.
    const png = await page.locator('#scatter').screenshot();
    assert.ok(png.length > 8000, `${png.length} bytes of PNG`);

    // Another window, then hover and click on a dot.
    await page.selectOption('#scatter-window', '5m');
    await until(async () => (await ask(page, 'scatter')).window === '5m', 5000, 'the 5m scatter');
    await until(async () => (await ask(page, 'scatter')).points.length > 0, 30000, 'dots at 5m');
    // Live batches move the dots every second: aim at a dot as drawn now, and aim again if it moved before the click.
    const box = await page.locator('#scatter').boundingBox();
    let hovered = null;
    for (let attempt = 1; attempt <= 5 && hovered === null; attempt++) {
      const dot = (await ask(page, 'scatter')).points.find((q) => q.r >= 3) ?? (await ask(page, 'scatter')).points[0];
      await page.mouse.move(box.x + dot.px, box.y + dot.py);
      await until(async () => (await page.isVisible('#scatter-tip')) && (await page.textContent('#scatter-tip')).includes(' (5m)'), 5000, 'a tooltip');
      const tip = await page.textContent('#scatter-tip');
      const symbol = tip.split('\n')[0];
      assert.ok(view.has(symbol), tip);
      await page.mouse.click(box.x + dot.px, box.y + dot.py);
      try {
        await until(async () => (await page.evaluate(() => window.oistream.selected())) === symbol, 2000, 'the dot charted');
        hovered = symbol;
      } catch {
        // the dot moved between the hover and the click: aim again
      }
    }
    assert.ok(hovered, 'a clicked dot is charted');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a reader\'s page exposes no test hooks; /?hooks does', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = collectErrors(page);
  try {
    await page.goto(`${base}/`);
    await until(async () => (await page.textContent('#count')).includes(' of '), 60000, 'the table counted');
    assert.equal(await page.evaluate(() => typeof window.oistream), 'undefined');
    await page.goto(`${base}/?hooks`);
    await until(async () => (await page.evaluate(() => typeof window.oistream)) === 'object', 60000, 'the hooks');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a hub with windows of its own: the client reads them with info(), the states carry them, the dashboard\'s columns and scatter follow', async () => {
  const hub = await startHubWithWindows(['10m', '2h']);
  const client = new OiStreamClient(hub.url);
  try {
    await client.start();
    const info = await client.info();
    assert.deepEqual(info.windows, ['10m', '2h']);
    assert.equal(info.protocol, 1);
    assert.equal(typeof info.publishIntervalMs, 'number');
    const [btc] = await client.subscribe('BTCUSDT');
    assert.deepEqual(Object.keys(btc.change), ['10m', '2h']);

    const { context, page, errors } = await open({ width: 1440, height: 1000 }, { url: `${hub.url}/?hooks` });
    try {
      const labels = await headerLabels(page);
      assert.deepEqual(labels.filter((l) => /^OI \d/.test(l)), ['OI 10m', 'OI 2h']);
      assert.ok(labels.includes('Signal 2h') || labels.includes('Signal 10m'), labels.join());
      assert.deepEqual(await page.$$eval('#scatter-window option', (o) => o.map((x) => x.value)), ['10m', '2h']);
      await until(async () => (await ask(page, 'scatter')).window !== undefined, 5000, 'the scatter');
      assert.ok(['10m', '2h'].includes((await ask(page, 'scatter')).window));
      assert.equal(await page.locator('#column-list input[data-key="priceChange.2h"]').count(), 1);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  } finally {
    await client.stop();
    await hub.stop();
  }
});
