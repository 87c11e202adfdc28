// The test runner's own tally (tests/runner/tally.sh, used by test.sh): a suite that did not run, ran nothing, skipped
// or cancelled a test, or whose runner failed without saying so must turn the summary red.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tallyScript = path.join(root, 'tests/runner/tally.sh');
const dir = mkdtempSync(path.join(tmpdir(), 'oistream-tally-'));

function tally(kind, log, rc, ...projects) {
  const file = path.join(dir, `log-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, log);
  const r = spawnSync('bash', [tallyScript, kind, file, String(rc), ...projects], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [passed, failed] = r.stdout.trim().split(' ').map(Number);
  return { passed, failed, why: r.stderr };
}

const line = (failed, passed, skipped, name) =>
  `Passed!  - Failed:     ${failed}, Passed:    ${passed}, Skipped:     ${skipped}, Total:    ${failed + passed + skipped}, Duration: 2 s - ${name}.dll (net10.0)\n`;

test('dotnet: every project reporting, nothing skipped, exit 0 is green', () => {
  assert.deepEqual(tally('dotnet', line(0, 5, 0, 'A.Tests') + line(0, 7, 0, 'B.Tests'), 0, 'A.Tests', 'B.Tests'), { passed: 12, failed: 0, why: '' });
});

test('dotnet: a project that printed no summary counts as failed', () => {
  const r = tally('dotnet', line(0, 5, 0, 'A.Tests'), 0, 'A.Tests', 'B.Tests');
  assert.equal(r.failed, 1);
  assert.match(r.why, /B\.Tests printed no summary/);
});

test('dotnet: skipped tests, a project with no test, and a failing exit code count as failed', () => {
  assert.equal(tally('dotnet', line(0, 5, 2, 'A.Tests'), 0, 'A.Tests').failed, 2);
  assert.match(tally('dotnet', line(0, 0, 0, 'A.Tests'), 0, 'A.Tests').why, /ran no test/);
  const crashed = tally('dotnet', line(0, 5, 0, 'A.Tests'), 1, 'A.Tests');
  assert.equal(crashed.failed, 1);
  assert.match(crashed.why, /exited with code 1/);
});

// Runs node --test as test.sh does (outside this runner: NODE_TEST_CONTEXT would make the child report to us instead).
function node(target) {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--test', target], { encoding: 'utf8', env });
  return { log: r.stdout, rc: r.status };
}

test('node: a real suite with a cancelled test turns red', () => {
  const { log, rc } = node(path.join(root, 'tests/runner/fixtures/cancelled.mjs'));
  assert.match(log, /^# cancelled 1$/m);
  const r = tally('node', log, rc);
  assert.ok(r.failed >= 1, r.why);
  assert.match(r.why, /cancelled/);
});

test('node: a real run that finds no test turns red', () => {
  const { log, rc } = node(mkdtempSync(path.join(tmpdir(), 'oistream-empty-suite-')));
  assert.match(log, /^# tests 0$/m);
  const r = tally('node', log, rc);
  assert.equal(r.failed, 1);
  assert.match(r.why, /ran no test/);
});

test('node: no summary at all, or a runner killed by a timeout, turns red', () => {
  assert.match(tally('node', 'TAP version 13\n', 0).why, /no summary/);
  const killed = tally('node', '# tests 3\n# pass 3\n# fail 0\n# cancelled 0\n# skipped 0\n# todo 0\n', 124);
  assert.equal(killed.failed, 1);
  assert.match(killed.why, /exited with code 124/);
});
