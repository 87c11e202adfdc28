// The dashboard's page and its table worker talk through the messages messages.js defines, and only those: each one
// the page sends has a handler in the worker, each one the worker sends has a case in the page, and none is a bare string.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import vm from 'node:vm';

const dir = new URL('../../src/OiStream.Server/Dashboard/Page/', import.meta.url);
const read = (name) => readFile(new URL(name, dir), 'utf8');

test('every page ↔ worker message is defined once, sent by name, and handled on the other side', async () => {
  const context = { self: {} };
  vm.runInNewContext(await read('messages.js'), context);
  const { ToWorker, ToPage } = context.self.OiStreamMessages;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.js'));
  const pageFiles = files.filter((f) => f === 'app.js' || f.startsWith('page-'));
  const workerFiles = files.filter((f) => f.startsWith('worker-'));
  assert.ok(pageFiles.length >= 4 && workerFiles.length >= 6, files.join());
  const sources = Object.fromEntries(await Promise.all(files.map(async (f) => [f, await read(f)])));
  const used = (names, kind) => [...new Set(names.flatMap((f) => [...sources[f].matchAll(new RegExp(`\\b${kind}\\.(\\w+)`, 'g'))].map((m) => m[1])))];

  for (const f of [...pageFiles, ...workerFiles]) {
    assert.doesNotMatch(sources[f], /type: '[a-zA-Z0-9]+'(?!,? *formatter)/, `${f} sends a message by a bare string`);
  }
  // Sent by the page, handled by the worker.
  const toWorker = used(pageFiles, 'ToWorker');
  const handled = [...sources['worker-main.js'].matchAll(/^ {2}\[ToWorker\.(\w+)\]\(m\)/gm)].map((m) => m[1]);
  assert.deepEqual(toWorker.filter((n) => !(n in ToWorker)), [], 'undefined page → worker messages');
  assert.deepEqual(Object.keys(ToWorker).filter((n) => !handled.includes(n)), [], 'page → worker messages without a handler');
  assert.deepEqual(Object.keys(ToWorker).filter((n) => !toWorker.includes(n)), [], 'page → worker messages never sent');
  // Sent by the worker, handled by the page.
  const toPage = used(workerFiles, 'ToPage');
  const cases = [...sources['app.js'].matchAll(/case ToPage\.(\w+):/g)].map((m) => m[1]);
  assert.deepEqual(toPage.filter((n) => !(n in ToPage)), [], 'undefined worker → page messages');
  assert.deepEqual(Object.keys(ToPage).filter((n) => !cases.includes(n)), [], 'worker → page messages the page ignores');
  assert.deepEqual(Object.keys(ToPage).filter((n) => !toPage.includes(n)), [], 'worker → page messages never sent');
});
