// Protocol v1 from JavaScript: @microsoft/signalr against a running hub. test.sh starts one with --simulate and
// passes its address in OISTREAM_URL.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as signalR from '@microsoft/signalr';

import { base, until } from './support.mjs';

function connect() {
  return new signalR.HubConnectionBuilder()
    .withUrl(`${base}/hubs/oi`, { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
}

test('subscribe returns a snapshot, then updates arrive with seq increasing by one', async () => {
  const connection = connect();
  const updates = [];
  connection.on('instrument', (state) => {
    updates.push(state);
  });
  await connection.start();
  try {
    const [snapshot] = await connection.invoke('Subscribe', ['ethusdt']);
    assert.equal(snapshot.symbol, 'ETHUSDT');
    assert.equal(snapshot.market, 'usdm');
    assert.equal(snapshot.source, 'simulated');
    assert.equal(typeof snapshot.openInterest, 'number');
    assert.deepEqual(Object.keys(snapshot.change), ['5m', '15m', '30m', '1h', '4h', '24h']);
    assert.equal(typeof snapshot.change['24h'], 'number');

    await until(() => updates.length >= 3, 30000, '3 updates');
    assert.ok(updates.every((u) => u.symbol === 'ETHUSDT'));
    assert.equal(updates[0].seq, snapshot.seq + 1);
    for (let i = 1; i < updates.length; i++) {
      assert.equal(updates[i].seq, updates[i - 1].seq + 1);
    }
  } finally {
    await connection.stop();
  }
});

test('an unknown symbol is rejected with a message that names it, and the connection stays usable', async () => {
  const connection = connect();
  await connection.start();
  try {
    await assert.rejects(connection.invoke('Subscribe', ['NOPEUSDT']), (err) => {
      assert.match(err.message, /'NOPEUSDT'/);
      assert.match(err.message, /\/api\/v1\/instruments/);
      return true;
    });
    await assert.rejects(connection.invoke('Subscribe', []), /No symbols given/);
    const [btc] = await connection.invoke('SubscribeCoins', ['btc']);
    assert.equal(btc.coin, 'BTC');
    assert.equal(connection.state, signalR.HubConnectionState.Connected);
  } finally {
    await connection.stop();
  }
});
