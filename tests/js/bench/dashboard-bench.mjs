// Dashboard performance: main-thread time per overview batch in headless Chromium, with the hub's default universe
// (every simulated instrument, 600+ rows) updating every second.
//   dotnet build -c Release src/OiStream.Server && node tests/js/bench/dashboard-bench.mjs [--seconds 30] [--usdm-coins 600] [--bybit-coins 350] [--okx-coins 350] [--breakdown] [--trace-out trace.json]
// Starts its own hub (--simulate) on a free loopback port and measures the page in two windows of --seconds each:
//  1. untraced: the renderer main thread's task time per batch (script, parsing, style, layout, paint, compositing:
//     everything) as Chromium accounts it (CDP Performance.getMetrics TaskDuration), in wall and in thread time;
//  2. traced (a Chromium trace, which itself loads the machine): the same per batch from the trace, and the CPU of the
//     page's table worker (connection, model, canvas), which runs on its own thread, so the page's whole cost stays
//     in view.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '../browser.mjs';

const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const seconds = arg('--seconds', 30);
// 600 USDⓈ-M coins and the default 20 COIN-M ones: 646 instruments, more than Binance lists today.
const usdmCoins = arg('--usdm-coins', 600);
// Bybit's and OKX's contracts of the simulator: 600 + 350 + 350 coins make the three-venue universe of about 1,400 instruments.
const bybitCoins = arg('--bybit-coins', 350);
const okxCoins = arg('--okx-coins', 350);
// A fresh history store per run, so every run starts the same way (from the simulator's history).
const store = path.join(os.tmpdir(), `oistream-bench-${process.pid}-${Date.now()}`, 'history.db');
const extra = [`--OiStream:Simulator:UsdmCoins=${usdmCoins}`, `--OiStream:Simulator:BybitCoins=${bybitCoins}`, `--OiStream:Simulator:OkxCoins=${okxCoins}`, `--OiStream:Storage:Path=${store}`];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dll = path.join(root, 'src/OiStream.Server/bin/Release/net10.0/OiStream.Server.dll');

const hub = spawn('dotnet', [dll, '--simulate', ...extra, '--urls', 'http://127.0.0.1:0', '--Logging:LogLevel:Default=Warning', '--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information'], { cwd: root });
const url = await new Promise((resolve, reject) => {
  let out = '';
  hub.stdout.on('data', (d) => {
    out += d;
    const m = /Now listening on: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m) resolve(m[1]);
  });
  hub.on('exit', (code) => reject(new Error(`the hub exited (${code}); build it first: dotnet build -c Release src/OiStream.Server`)));
});
for (;;) {
  const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
  if (ok) break;
  await new Promise((r) => setTimeout(r, 200));
}

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  // --protocol messagepack: the page's table worker takes the hub's MessagePack protocol instead of JSON.
  const protocol = process.argv.includes('--protocol') ? process.argv[process.argv.indexOf('--protocol') + 1] : 'json';
  await page.goto(`${url}/?hooks&protocol=${protocol}`);
  console.log(`protocol: ${protocol}`);
  await page.waitForFunction(() => window.oistream && window.oistream.perf.overviewBatches >= 3, null, { timeout: 120000 });
  const rows = await page.evaluate(() => window.oistream.ask('size'));

  // Window 1, untraced. One CDP session per time domain (it is a session's setting).
  const sessions = {};
  for (const domain of ['timeTicks', 'threadTicks']) {
    sessions[domain] = await page.context().newCDPSession(page);
    await sessions[domain].send('Performance.enable', { timeDomain: domain });
  }
  const taskDuration = async (domain) => (await sessions[domain].send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value * 1000;
  const batchesNow = () => page.evaluate(() => window.oistream.perf.overviewBatches);
  const [wall0, cpu0, b0] = [await taskDuration('timeTicks'), await taskDuration('threadTicks'), await batchesNow()];
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const [wall1, cpu1, b1] = [await taskDuration('timeTicks'), await taskDuration('threadTicks'), await batchesNow()];
  const untracedWall = (wall1 - wall0) / Math.max(1, b1 - b0);
  const untracedCpu = (cpu1 - cpu0) / Math.max(1, b1 - b0);
  console.log(`rows in the table: ${rows}`);
  console.log(`untraced: overview batches in ${seconds} s: ${b1 - b0}; main thread ${untracedWall.toFixed(2)} ms per batch (target ≤ 8 ms: ${untracedWall <= 8 ? 'met' : 'NOT met'}; ratio ${(untracedWall / 8).toFixed(2)}), of which CPU (thread time) ${untracedCpu.toFixed(2)} ms`);

  // Window 2, traced.
  const before = await page.evaluate(() => ({ ...window.oistream.perf, samples: window.oistream.perf.samples.length }));
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const raw = await browser.stopTracing();
  if (process.argv.includes('--trace-out')) await writeFile(process.argv[process.argv.indexOf('--trace-out') + 1], raw);
  const trace = JSON.parse(raw.toString('utf8'));
  const after = await page.evaluate(() => window.oistream.perf);

  const events = trace.traceEvents ?? trace;
  const threads = (name) => new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === name).map((e) => `${e.pid}:${e.tid}`));
  const mains = threads('CrRendererMain');
  const workers = threads('DedicatedWorker thread');
  const taskTime = (set, field) => events.filter((e) => e.ph === 'X' && e.name === 'RunTask' && set.has(`${e.pid}:${e.tid}`))
    .reduce((sum, e) => sum + (e[field] ?? e.dur ?? 0), 0) / 1000;
  const busyMs = taskTime(mains, 'dur');
  // Wall time includes moments the renderer waited for a core (the hub and its simulator share the machine); thread
  // time is what the thread itself computed.
  const threadMs = taskTime(mains, 'tdur');
  const workerMs = taskTime(workers, 'tdur');
  if (process.argv.includes('--breakdown')) {
    // Trace events by name on one kind of thread (inclusive times: a function call contains what it calls).
    const breakdown = (label, set) => {
      const byName = new Map();
      for (const e of events) {
        if (e.ph !== 'X' || !set.has(`${e.pid}:${e.tid}`) || e.name === 'RunTask') continue;
        const entry = byName.get(e.name) ?? { ms: 0, count: 0 };
        entry.ms += (e.dur ?? 0) / 1000;
        entry.count++;
        byName.set(e.name, entry);
      }
      console.log(`${label}:\n` + [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)
        .map(([n, { ms, count }]) => `  ${n}: ${ms.toFixed(0)} ms in ${count} (inclusive)`).join('\n'));
    };
    breakdown('main thread', mains);
    breakdown('table worker', workers);
  }
  const batches = after.overviewBatches - before.overviewBatches;
  const rowsPerBatch = (after.rowsApplied - before.rowsApplied) / Math.max(1, after.batches - before.batches);
  const draws = after.samples.slice(before.samples).sort((a, b) => a - b);
  const perBatchOf = (ms) => (ms / Math.max(1, batches)).toFixed(2);
  const q = (p) => draws[Math.min(draws.length - 1, Math.floor(p * draws.length))] ?? NaN;
  const perBatch = busyMs / Math.max(1, batches);
  console.log(`traced: overview batches in ${seconds} s: ${batches}; rows changed per batch: ${rowsPerBatch.toFixed(0)}`);
  console.log(`traced: main thread busy ${busyMs.toFixed(0)} ms = ${perBatch.toFixed(2)} ms per batch (target ≤ 8 ms: ${perBatch <= 8 ? 'met' : 'NOT met'}), of which CPU (thread time) ${perBatchOf(threadMs)} ms`);
  console.log(`traced: table worker CPU (thread time; receiving, sorting, drawing the canvas) ${perBatchOf(workerMs)} ms per batch`);
  console.log(`traced: of which the worker's batch draw (script only): median ${q(0.5).toFixed(2)} ms, p95 ${q(0.95).toFixed(2)} ms, max ${Math.max(...draws).toFixed(2)} ms`);
} finally {
  await browser.close();
  hub.kill();
}
