// A hub that requires an API key (OiStream:Security:ApiKeys): @oistream/client and the dashboard with and without one.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { OiStreamClient } from '@oistream/client';

import { until } from './support.mjs';
import { collectErrors, launch } from './browser.mjs';
import { KEY, startKeyedHub } from './hubs.mjs';

let hub;
let browser;

before(async () => {
  hub = await startKeyedHub();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

test('the JavaScript client subscribes with apiKey and is refused without it', async () => {
  const refused = new OiStreamClient(hub.url, { retryDelaysMs: [0] });
  await assert.rejects(refused.start(), /401/);
  await refused.stop();
  assert.throws(() => new OiStreamClient(hub.url, { apiKey: '' }), /apiKey must be a non-empty string/);

  const client = new OiStreamClient(hub.url, { apiKey: KEY });
  try {
    await client.start();
    const [btc] = await client.subscribe(['BTCUSDT']);
    assert.equal(btc.symbol, 'BTCUSDT');
  } finally {
    await client.stop();
  }
});

test('the dashboard opened with ?access_token= streams the table, keeps the key out of the address bar, and says so without a key', async () => {
  const page = await browser.newPage();
  const errors = collectErrors(page, /401/);
  try {
    await page.goto(`${hub.url}/?hooks&access_token=${KEY}&symbol=BTCUSDT`);
    await until(async () => (await page.evaluate(() => window.oistream.ask('size'))) > 0, 60000, 'rows in the table');
    const address = new URL(page.url());
    assert.equal(address.searchParams.get('access_token'), null);
    assert.equal(address.searchParams.get('symbol'), 'BTCUSDT');
    // The chart's history comes over REST with the key as a bearer header.
    await until(async () => (await page.evaluate(() => window.oistream.chartInfo()))[0]?.points > 0, 60000, 'history charted');
    assert.deepEqual(errors, []);

    const bare = await browser.newPage();
    try {
      await bare.goto(`${hub.url}/`);
      await until(async () => /requires an API key/.test(await bare.textContent('#conn')), 30000, 'the page says a key is needed');
    } finally {
      await bare.close();
    }
  } finally {
    await page.close();
  }
});
