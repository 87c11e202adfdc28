// @oistream/client (clients/js) against the running hub with the simulator: subscriptions, bad input, a dropped
// network (through a loopback proxy that cuts connections) and a missed update (the proxy drops one message).
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { OiStreamClient, hubUrl, WINDOWS, formatCompact, formatPercent, tableIndex, tableRowToState } from '@oistream/client';

import { base, until } from './support.mjs';
import { startProxy } from './proxy.mjs';

/** A client connected through the test proxy, collecting instrument updates and detected gaps. */
async function proxiedClient() {
  const proxy = await startProxy(base);
  const client = new OiStreamClient(proxy.url);
  const updates = [];
  const gaps = [];
  client.on('instrument', (s) => updates.push(s));
  client.on('gap', (g) => gaps.push(g));
  return { proxy, client, updates, gaps };
}

test('hubUrl accepts the hub address in any usual form and rejects what is not a URL', () => {
  assert.equal(hubUrl('http://127.0.0.1:5000'), 'http://127.0.0.1:5000/hubs/oi');
  assert.equal(hubUrl('http://127.0.0.1:5000/'), 'http://127.0.0.1:5000/hubs/oi');
  assert.equal(hubUrl('http://127.0.0.1:5000/hubs/oi'), 'http://127.0.0.1:5000/hubs/oi');
  assert.equal(hubUrl('https://oi.example/base/'), 'https://oi.example/base/hubs/oi');
  assert.throws(() => hubUrl('localhost:5000'), /not an http\(s\) URL/);
  assert.throws(() => hubUrl('not a url'), /not a URL.*http:\/\/127\.0\.0\.1:5000/);
  assert.throws(() => new OiStreamClient(base, { retryDelaysMs: [] }), /retryDelaysMs/);
});

test('formatting is for people', () => {
  assert.equal(formatCompact(1_234_567_890), '1.23B');
  assert.equal(formatCompact(-5_400), '-5.40K');
  assert.equal(formatCompact(0.000123456), '0.000123');
  assert.equal(formatCompact(null), '—');
  assert.equal(formatPercent(2.2671), '+2.27 %');
  assert.equal(formatPercent(-0.5), '−0.50 %');
  assert.equal(formatPercent(-0.001), '0.00 %');
  assert.equal(formatPercent(0.004), '0.00 %');
  assert.equal(formatPercent(0.005), '+0.01 %');
  assert.equal(formatPercent(undefined), '—');
});

test('subscribe resolves to snapshots, then live updates arrive in seq order', async () => {
  const client = new OiStreamClient(base);
  const updates = [];
  client.on('instrument', (s) => updates.push(s));
  await client.start();
  try {
    const snapshots = await client.subscribe(['btcusdt', 'ETHUSDT']);
    assert.deepEqual(snapshots.map((s) => s.symbol).sort(), ['BTCUSDT', 'ETHUSDT']);
    assert.deepEqual(Object.keys(snapshots[0].change), [...WINDOWS]);
    assert.deepEqual(client.symbols.sort(), ['BTCUSDT', 'ETHUSDT']);
    await until(() => updates.filter((u) => u.symbol === 'BTCUSDT').length >= 2, 30000, '2 BTCUSDT updates');
    const btc = updates.filter((u) => u.symbol === 'BTCUSDT');
    const snap = snapshots.find((s) => s.symbol === 'BTCUSDT');
    assert.equal(btc[0].seq, snap.seq + 1);
    assert.equal(btc[1].seq, btc[0].seq + 1);

    await client.unsubscribe(['BTCUSDT']);
    assert.deepEqual(client.symbols, ['ETHUSDT']);
  } finally {
    await client.stop();
  }
});

test('Bybit and OKX instruments come by their ids, with their venue, and push updates; a coin splits per venue', async () => {
  const client = new OiStreamClient(base);
  const updates = [];
  client.on('instrument', (s) => updates.push(s));
  await client.start();
  try {
    const snapshots = await client.subscribe(['bybit:btcusdt', 'OKX:BTC-USD-SWAP']);
    assert.deepEqual(snapshots.map((s) => [s.symbol, s.exchange, s.market, s.margin]).sort(),
      [['BYBIT:BTCUSDT', 'bybit', 'usdm', 'stable'], ['OKX:BTC-USD-SWAP', 'okx', 'coinm', 'coin']]);
    const held = Object.fromEntries(snapshots.map((s) => [s.symbol, s.oiTime ?? 0]));
    await until(() => ['BYBIT:BTCUSDT', 'OKX:BTC-USD-SWAP'].every((id) => updates.some((u) => u.symbol === id && u.oiTime > held[id])), 30000,
      'newer OI of both venues');
    const [btc] = await client.subscribeCoins('BTC');
    assert.deepEqual(btc.exchanges.map((e) => e.exchange), ['binance', 'bybit', 'okx']);
    const sum = btc.exchanges.reduce((a, e) => a + e.openInterestUsd, 0);
    assert.ok(Math.abs(sum - btc.openInterestUsd) <= btc.openInterestUsd * 1e-9, `${sum} vs ${btc.openInterestUsd}`);
  } finally {
    await client.stop();
  }
});

test('an update that arrives before subscribe answers is delivered after the snapshot, with no gap', async () => {
  // SignalR may send a group message before the answer to the call that joined the group; the proxy makes that happen
  // every time by holding Subscribe's answer (a completion, type 3) until an ETHUSDT update has gone by.
  const { proxy, client, updates, gaps } = await proxiedClient();
  try {
    await client.start();
    proxy.holdUntil((m) => m?.type === 3, (m) => m?.type === 1 && m.target === 'instrumentDelta' && m.arguments[0].symbol === 'ETHUSDT');
    const [snapshot] = await client.subscribe(['ETHUSDT']);
    assert.equal(proxy.releasedBy, 'release', 'the answer came after an update');
    await until(() => updates.length >= 2, 30000, '2 ETHUSDT updates');
    assert.equal(updates[0].seq, snapshot.seq + 1, 'the update that overtook the answer is delivered, right after the snapshot');
    assert.equal(updates[1].seq, updates[0].seq + 1);
    assert.deepEqual(gaps, []);
  } finally {
    await client.stop();
    await proxy.close();
  }
});

test('coins and the overview deliver snapshots and updates', async () => {
  const client = new OiStreamClient(base);
  const coins = [];
  const batches = [];
  client.on('coin', (c) => coins.push(c));
  client.on('overview', (rows) => batches.push(rows));
  await client.start();
  try {
    const [btc] = await client.subscribeCoins('btc');
    assert.equal(btc.coin, 'BTC');
    assert.ok(btc.openInterestUsd > 0);
    const rows = await client.subscribeOverview();
    assert.ok(rows.length >= 30, `overview has ${rows.length} rows`);
    await until(() => coins.length >= 1 && batches.length >= 1, 30000, 'a coin update and an overview batch');
    assert.equal(coins[0].coin, 'BTC');
    assert.ok(batches[0].length >= 1 && typeof batches[0][0].symbol === 'string');
  } finally {
    await client.stop();
  }
});

test('bad input is rejected with a message that names the problem and the fix; the client stays usable', async () => {
  const client = new OiStreamClient(base);
  await client.start();
  try {
    // The hub's own message, without SignalR's "An unexpected error occurred invoking …" wrapper.
    await assert.rejects(client.subscribe(['NOPEUSDT']), (err) => {
      assert.match(err.message, /^Unknown symbol 'NOPEUSDT'.*\/api\/v1\/instruments/s);
      return true;
    });
    await assert.rejects(client.subscribe([]), /No symbols given/);
    assert.throws(() => client.on('instrumnet', () => {}), /Unknown event 'instrumnet'/);
    await assert.rejects(client.subscribe(42), /must be a string or an array of strings/);
    const [eth] = await client.subscribe('ethusdt');
    assert.equal(eth.symbol, 'ETHUSDT');
  } finally {
    await client.stop();
  }
});

test('a hub that is not there is reported with its URL and what to check', async () => {
  // A port that was free a moment ago: nothing listens on it.
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const client = new OiStreamClient(`http://127.0.0.1:${port}`);
  await assert.rejects(client.start(), (err) => {
    assert.match(err.message, new RegExp(`Could not connect to the OiStream hub at http://127\\.0\\.0\\.1:${port}/hubs/oi`));
    assert.match(err.message, /--simulate/);
    return true;
  });
});

test('the overview in table form has the same rows as the overview, in under a third of the bytes, and is renewed after a drop', async () => {
  const proxy = await startProxy(base);
  const client = new OiStreamClient(proxy.url, { retryDelaysMs: [0, 200] });
  const tables = [];
  const batches = [];
  let reconnected = 0;
  client.on('reconnected', () => reconnected++);
  client.on('overviewTable', (t) => tables.push(t));
  client.on('overview', (rows) => batches.push(rows));
  await client.start();
  try {
    const table = await client.subscribeOverviewTable();
    const full = await client.subscribeOverview();
    const f = tableIndex(table);
    assert.deepEqual(table.fields.slice(0, 4), ['symbol', 'market', 'contractType', 'coin']);
    for (const w of WINDOWS) {
      assert.ok(f[`change.${w}`] >= 0 && f[`signal.${w}`] >= 0, `fields for ${w}`);
    }
    assert.equal(table.source, 'simulated');
    assert.deepEqual(table.rows.map((r) => r[f.symbol]).sort(), full.map((s) => s.symbol).sort());

    // The hub sends each batch both ways: find a table batch and its overview twin, and compare row for row (the
    // changes rounded to 4 decimals, quadrants by index).
    const key = (symbol, seq) => `${symbol}#${seq}`;
    let pair;
    await until(() => {
      const states = new Map(batches.flat().map((st) => [key(st.symbol, st.seq), st]));
      const t = tables.find((tb) => tb.rows.length > 0 && tb.rows.every((r) => states.has(key(r[f.symbol], r[f.seq]))));
      pair = t && { t, states };
      return !!pair;
    }, 30000, 'a table batch and the same overview batch');
    for (const row of pair.t.rows) {
      const state = pair.states.get(key(row[f.symbol], row[f.seq]));
      const decoded = tableRowToState(pair.t, row);
      assert.equal(decoded.market, state.market);
      assert.equal(decoded.stale, state.stale);
      assert.equal(decoded.openInterestUsd, state.openInterestUsd);
      assert.equal(decoded.markPrice, state.markPrice);
      assert.equal(decoded.priceTime, state.priceTime);
      for (const w of WINDOWS) {
        const v = state.change[w];
        assert.equal(decoded.change[w], v == null ? null : Number(v.toFixed(4)), `${state.symbol} ${w}`);
        const p = state.priceChange[w];
        assert.equal(decoded.priceChange[w], p == null ? null : Number(p.toFixed(4)), `${state.symbol} price ${w}`);
        assert.equal(decoded.signal[w], state.signal[w], `${state.symbol} signal ${w}`);
      }
    }
    const tableBytes = JSON.stringify(table).length;
    const fullBytes = JSON.stringify(full).length;
    // About a quarter with this test's 60 instruments (3.9× smaller measured, price changes included); docs/protocol.md.
    assert.ok(tableBytes * 3.5 < fullBytes, `table ${tableBytes} B, states ${fullBytes} B: not 3.5 times smaller`);

    await until(() => tables.length >= 1, 30000, 'a table batch');
    assert.ok(tables[0].rows.length >= 1 && tables[0].fields.length === table.fields.length);
    proxy.cutAll();
    const before = tables.length;
    // The connection was really lost and made again, and the renewal hands over the whole table again.
    await until(() => reconnected === 1, 30000, 'the reconnected event');
    await until(() => tables.slice(before).some((t) => t.rows.length === table.rows.length), 30000, 'the whole table after the reconnect');
  } finally {
    await client.stop();
    await proxy.close();
  }
});

test('after the network drops, the client reconnects by itself and renews every subscription', async () => {
  const proxy = await startProxy(base);
  const client = new OiStreamClient(proxy.url, { retryDelaysMs: [0, 200] });
  const updates = [];
  const coins = [];
  let reconnecting = 0;
  let reconnected = 0;
  client.on('instrument', (s) => updates.push(s));
  client.on('coin', (c) => coins.push(c));
  client.on('reconnecting', () => reconnecting++);
  client.on('reconnected', () => reconnected++);
  await client.start();
  try {
    await client.subscribe(['SOLUSDT']);
    await client.subscribeCoins(['ETH']);
    await until(() => updates.length >= 1, 30000, 'a first update');

    assert.ok(proxy.cutAll() >= 1);
    await until(() => reconnecting === 1, 10000, 'the reconnecting event');
    await until(() => reconnected === 1, 30000, 'the reconnected event');
    assert.equal(client.state, 'Connected');

    // The renewed subscription hands over the current state, then live updates go on.
    const before = updates.length;
    const coinsBefore = coins.length;
    await until(() => updates.length >= before + 2 && coins.length > coinsBefore, 30000, 'updates after the reconnect');
    const after = updates.slice(before);
    assert.ok(after.every((u) => u.symbol === 'SOLUSDT'));
    for (let i = 1; i < after.length; i++) {
      assert.ok(after[i].seq > after[i - 1].seq, 'seq increases after the reconnect');
    }
  } finally {
    await client.stop();
    await proxy.close();
  }
});

test('given several hubs, the client skips one that is down and moves to the next when its hub goes, with no update twice', async () => {
  // Two ways to the hub (as two edges of a cluster serve the same states with the same seq), and a dead address first.
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const edgeA = await startProxy(base);
  const edgeB = await startProxy(base);
  const client = new OiStreamClient(`http://127.0.0.1:${port}`, { fallbackUrls: [edgeA.url, edgeB.url], retryDelaysMs: [0, 200] });
  const updates = [];
  let reconnected = 0;
  client.on('instrument', (s) => updates.push(s));
  client.on('reconnected', () => reconnected++);
  try {
    await client.start();
    assert.equal(client.url, hubUrl(edgeA.url));
    await client.subscribe(['SOLUSDT']);
    await until(() => updates.length >= 1, 30000, 'a first update through edge A');

    await edgeA.close(); // edge A is gone: its connection cut and nothing listens there any more
    await until(() => reconnected === 1, 30000, 'the reconnected event');
    assert.equal(client.url, hubUrl(edgeB.url));
    const before = updates.length;
    await until(() => updates.length >= before + 2, 30000, 'updates through edge B');
    for (let i = 1; i < updates.length; i++) {
      assert.ok(updates[i].seq > updates[i - 1].seq, `seq ${updates[i].seq} after ${updates[i - 1].seq}: an update twice or out of order`);
    }
  } finally {
    await client.stop();
    await edgeB.close();
  }
});

test('deltas rebuild the full states protocol v1 sends (changes to 4 decimals)', async () => {
  const deltas = new OiStreamClient(base);
  const full = new OiStreamClient(base, { fullStates: true });
  const seen = { deltas: new Map(), full: new Map() };
  deltas.on('instrument', (s) => seen.deltas.set(`${s.symbol}@${s.seq}`, s));
  full.on('instrument', (s) => seen.full.set(`${s.symbol}@${s.seq}`, s));
  try {
    await deltas.start();
    await full.start();
    await deltas.subscribe(['BTCUSDT', 'ETHUSDT']);
    await full.subscribe(['BTCUSDT', 'ETHUSDT']);
    const both = () => [...seen.deltas.keys()].filter((k) => seen.full.has(k));
    await until(() => both().length >= 12, 30000, '12 updates seen both ways');
    for (const key of both()) {
      const d = seen.deltas.get(key);
      const f = seen.full.get(key);
      for (const name of Object.keys(f)) {
        if (['change', 'changeUsd', 'priceChange'].includes(name)) {
          assert.deepEqual(Object.keys(d[name]), Object.keys(f[name]));
          for (const w of Object.keys(f[name])) {
            if (f[name][w] === null) assert.equal(d[name][w], null, `${key} ${name}.${w}`);
            else assert.ok(Math.abs(d[name][w] - f[name][w]) <= 0.0001, `${key} ${name}.${w}: ${d[name][w]} vs ${f[name][w]}`);
          }
        } else {
          assert.deepEqual(d[name], f[name], `${key} ${name}`);
        }
      }
    }
    assert.equal(deltas.gapsDetected, 0);
  } finally {
    await deltas.stop();
    await full.stop();
  }
});

test('the overview table kept from deltas equals the table of whole rows', async () => {
  const deltas = new OiStreamClient(base);
  const full = new OiStreamClient(base, { fullStates: true });
  const rows = { deltas: new Map(), full: new Map() };
  const keep = (map) => (table) => table.rows.forEach((r) => map.set(`${r[0]}@${r[table.fields.indexOf('seq')]}`, r));
  deltas.on('overviewTable', keep(rows.deltas));
  full.on('overviewTable', keep(rows.full));
  try {
    await deltas.start();
    await full.start();
    const a = await deltas.subscribeOverviewTable();
    const b = await full.subscribeOverviewTable();
    assert.deepEqual(a.fields, b.fields);
    const both = () => [...rows.deltas.keys()].filter((k) => rows.full.has(k));
    await until(() => both().length >= 200, 30000, '200 rows seen both ways');
    for (const key of both()) {
      assert.deepEqual(rows.deltas.get(key), rows.full.get(key), key);
    }
    assert.equal(deltas.gapsDetected, 0);
  } finally {
    await deltas.stop();
    await full.stop();
  }
});

test('a missed update (a gap in seq) is detected and the state fetched again', async () => {
  const { proxy, client, updates, gaps } = await proxiedClient();
  await client.start();
  try {
    const [snap] = await client.subscribe(['XRPUSDT']);
    await until(() => updates.length >= 1, 30000, 'a first update');
    // Drop the next instrument message on the wire, as a lossy path would.
    proxy.dropNextMessage((m) => m.type === 1 && m.target === 'instrumentDelta');
    await until(() => gaps.length === 1, 30000, 'the gap');
    assert.equal(proxy.dropped, 1);
    assert.equal(client.gapsDetected, 1);
    assert.equal(gaps[0].symbol, 'XRPUSDT');
    assert.equal(gaps[0].got, gaps[0].expected + 1);
    // Every update the client handed over is newer than the one before, from the snapshot on.
    const seqs = [snap.seq, ...updates.map((u) => u.seq)];
    for (let i = 1; i < seqs.length; i++) {
      assert.ok(seqs[i] > seqs[i - 1]);
    }
  } finally {
    await client.stop();
    await proxy.close();
  }
});

test('over MessagePack the client gets the same fields by their protocol names, then an update with seq + 1', async () => {
  const { MessagePackHubProtocol } = await import('@microsoft/signalr-protocol-msgpack');
  const json = new OiStreamClient(base);
  const packed = new OiStreamClient(base, { hubProtocol: new MessagePackHubProtocol() });
  const updates = [];
  packed.on('instrument', (s) => updates.push(s));
  try {
    await json.start();
    await packed.start();
    const [viaPack] = await packed.subscribe(['BTCUSDT']);
    const [viaJson] = await json.subscribe(['BTCUSDT']);
    // Every key a JSON state has, with the same name (camelCase) and kind of value.
    assert.deepEqual(Object.keys(viaPack).sort(), Object.keys(viaJson).sort());
    assert.equal(viaPack.symbol, 'BTCUSDT');
    assert.equal(viaPack.market, viaJson.market);
    assert.equal(typeof viaPack.openInterestUsd, 'number');
    assert.equal(typeof viaPack.oiTime, 'number');
    assert.deepEqual(Object.keys(viaPack.change).sort(), Object.keys(viaJson.change).sort());
    await until(() => updates.some((u) => u.seq === viaPack.seq + 1), 30000, 'an update over MessagePack');
    await assert.rejects(packed.subscribe(['NOPEUSDT']), /Unknown symbol 'NOPEUSDT'/);
    // The table form crosses MessagePack in the same shape as JSON.
    const table = await packed.subscribeOverviewTable();
    assert.deepEqual(Object.keys(table).sort(), ['fields', 'rows', 'signals', 'source']);
    assert.equal(table.rows[0].length, table.fields.length);
  } finally {
    await packed.stop();
    await json.stop();
  }
});
