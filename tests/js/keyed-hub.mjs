// A hub of the tests' own that requires an API key: the OiStream server built by `dotnet test` (Release), started
// with --simulate on a free loopback port, its store in a temporary directory. Stopped by stop().
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { until } from './support.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dll = path.join(root, 'src/OiStream.Server/bin/Release/net10.0/OiStream.Server.dll');

export const KEY = 'js-test-key-0123456789abcdef';

export async function startKeyedHub() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oistream-keyed-'));
  const hub = spawn('dotnet', [dll, '--simulate', '--urls', 'http://127.0.0.1:0',
    '--OiStream:Simulator:UsdmCoins=10', '--OiStream:Simulator:CoinmCoins=2', '--OiStream:Storage:ImportDays=0',
    `--OiStream:Storage:Path=${path.join(dir, 'history.db')}`, `--OiStream:Security:ApiKeys:0=${KEY}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  hub.stdout.on('data', (d) => { output += d; });
  hub.stderr.on('data', (d) => { output += d; });
  let url;
  try {
    await until(() => {
      if (hub.exitCode !== null) throw new Error(`the keyed hub exited (${hub.exitCode}): ${output}`);
      url = /Now listening on: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      return url !== undefined;
    }, 60000, 'the keyed hub listening');
    await until(async () => (await fetch(`${url}/readyz`, { headers: { Authorization: `Bearer ${KEY}` } }).catch(() => ({ ok: false }))).ok, 120000, 'the keyed hub ready');
  } catch (error) {
    hub.kill();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => hub.once('exit', resolve));
      hub.kill();
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
