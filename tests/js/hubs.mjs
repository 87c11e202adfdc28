// Hubs of the tests' own: the OiStream server built by `dotnet test` (Release), on a free loopback port, its store in a
// temporary directory; one that requires an API key (with --simulate), and one whose "Binance" is a standalone
// simulator process (so its data is not labelled simulated). Stopped by stop().
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { until } from './support.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dll = path.join(root, 'src/OiStream.Server/bin/Release/net10.0/OiStream.Server.dll');
const simulatorDll = path.join(root, 'src/OiStream.Simulator/bin/Release/net10.0/OiStream.Simulator.dll');

export const KEY = 'js-test-key-0123456789abcdef';

export function startKeyedHub() {
  return startHub(['--simulate', '--OiStream:Simulator:UsdmCoins=10', '--OiStream:Simulator:CoinmCoins=2', `--OiStream:Security:ApiKeys:0=${KEY}`],
    { Authorization: `Bearer ${KEY}` });
}

/** A hub with the simulator that computes windows of its own (`windows`, e.g. ['10m', '2h']). */
export function startHubWithWindows(windows) {
  const [short, long] = [windows[0], windows[windows.length - 1]];
  return startHub(['--simulate', '--OiStream:Simulator:UsdmCoins=10', '--OiStream:Simulator:CoinmCoins=2',
    ...windows.map((w, i) => `--OiStream:Engine:Windows:${i}=${w}`),
    `--OiStream:Engine:Signals:SpikeWindow=${short}`, `--OiStream:Engine:Signals:FlushWindow=${short}`,
    `--OiStream:Engine:Signals:DivergenceWindow=${long}`, `--OiStream:Engine:Signals:FundingWindow=${long}`], {});
}

/** A hub (not --simulate) whose Binance endpoints are a standalone simulator on loopback (its URL: `simulator`, for /admin). */
export async function startHubOnStandaloneSimulator() {
  const simulator = await startProcess(simulatorDll, ['--urls', 'http://127.0.0.1:0', '--Simulator:UsdmCoins=10', '--Simulator:CoinmCoins=2', '--Simulator:BybitCoins=10', '--Simulator:OkxCoins=10'], 'the standalone simulator');
  const rest = simulator.url;
  const ws = rest.replace('http://', 'ws://');
  try {
    const hub = await startHub([
      `--OiStream:Binance:UsdmRest=${rest}`, `--OiStream:Binance:CoinmRest=${rest}`, `--OiStream:Binance:OptionsRest=${rest}`,
      `--OiStream:Binance:UsdmStream=${ws}`, `--OiStream:Binance:CoinmStream=${ws}`, `--OiStream:Binance:OptionsStream=${ws}`,
      // The simulator serves Bybit and OKX at the same address.
      `--OiStream:Exchanges:Bybit:Rest=${rest}`, `--OiStream:Exchanges:Bybit:Stream=${ws}/v5/public`,
      `--OiStream:Exchanges:Okx:Rest=${rest}`, `--OiStream:Exchanges:Okx:Stream=${ws}/ws/v5/public`,
    ], {});
    return { url: hub.url, simulator: rest, async stop() { await hub.stop(); await simulator.stop(); } };
  } catch (error) {
    await simulator.stop();
    throw error;
  }
}

async function startHub(args, headers) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oistream-hub-'));
  let hub;
  try {
    hub = await startProcess(dll, ['--urls', 'http://127.0.0.1:0', '--OiStream:Storage:ImportDays=0', `--OiStream:Storage:Path=${path.join(dir, 'history.db')}`, ...args], 'the hub');
    await until(async () => (await fetch(`${hub.url}/readyz`, { headers }).catch(() => ({ ok: false }))).ok, 120000, 'the hub ready');
  } catch (error) {
    await hub?.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { url: hub.url, async stop() { await hub.stop(); await rm(dir, { recursive: true, force: true }); } };
}

// Starts `dotnet <dll> args…` and resolves once it says where it listens.
async function startProcess(program, args, what) {
  const child = spawn('dotnet', [program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  let url;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  };
  try {
    await until(() => {
      if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}): ${output}`);
      url = /Now listening on: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      return url !== undefined;
    }, 60000, `${what} listening`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
