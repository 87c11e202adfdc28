// Shared by the JavaScript tests: the hub under test and waiting on a condition (never a fixed sleep).
export const base = process.env.OISTREAM_URL;
if (!base) {
  throw new Error('Set OISTREAM_URL to a running hub, e.g. http://127.0.0.1:5000 (./test.sh does this).');
}

/** Resolves when predicate() holds (it may be async); rejects after timeoutMs naming what it waited for. */
export async function until(predicate, timeoutMs, what) {
  const started = Date.now();
  for (;;) {
    if (await predicate()) return;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
