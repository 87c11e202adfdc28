#!/usr/bin/env node
// Prints live updates of the symbols given on the command line:
//   node clients/js/examples/watch.js BTCUSDT ETHUSDT
// The hub's address comes from OISTREAM_URL (default http://127.0.0.1:5000).
import { OiStreamClient, WINDOWS, formatCompact, formatPercent } from '../src/index.js';

const symbols = process.argv.slice(2);
if (symbols.length === 0) {
  console.error('Usage: node clients/js/examples/watch.js SYMBOL [SYMBOL ...]   e.g. BTCUSDT ETHUSDT');
  process.exit(2);
}
const url = process.env.OISTREAM_URL ?? 'http://127.0.0.1:5000';
const client = new OiStreamClient(url);

const line = (s) =>
  `${new Date(Math.max(s.oiTime ?? 0, s.priceTime ?? 0) || Date.now()).toISOString().slice(11, 19)} ${s.symbol.padEnd(14)} ` +
  `mark ${formatCompact(s.markPrice).padStart(9)}  OI ${formatCompact(s.openInterest).padStart(8)}  ` +
  `OI$ ${formatCompact(s.openInterestUsd).padStart(8)}  ` +
  WINDOWS.map((w) => `${w} ${formatPercent(s.change[w]).padStart(9)}`).join(' ') +
  (s.source === 'simulated' ? '  [SIMULATED]' : '') + (s.stale ? '  [STALE]' : '');

client.on('instrument', (s) => console.log(line(s)));
client.on('signal', (e) => console.log(`SIGNAL ${e.message}`));
client.on('reconnecting', () => console.error('connection lost; reconnecting…'));
client.on('reconnected', () => console.error('reconnected; subscriptions renewed'));

try {
  await client.start();
  for (const s of await client.subscribe(symbols)) {
    console.log(line(s));
  }
} catch (error) {
  console.error(error.message);
  await client.stop().catch(() => {});
  process.exit(1);
}
process.on('SIGINT', () => client.stop().finally(() => process.exit(0)));
