// The one way a test waits for something: poll `check` until it returns a value (anything but undefined,
// null or false), or fail after `timeoutMs` naming what it waited for and the last error `check` threw.
// Tests never sleep a fixed time hoping something happened; bounds come from the pace the product keeps.

export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  everyMs = 20,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last !== undefined ? ` (last error: ${String(last)})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Waits for work whose pace the product sets (cards at Slack's per-DM rate, leads at a poll period):
 * resolves once `count()` reaches `target`; fails only when the count stops growing for `stallMs`
 * (work was lost or stuck), or after the generous `capMs`. A slow, loaded machine makes it take
 * longer; it does not make it fail.
 */
export async function waitForCount(
  what: string,
  count: () => number | Promise<number>,
  target: number,
  options: { stallMs?: number; capMs?: number; everyMs?: number } = {},
): Promise<number> {
  const stallMs = options.stallMs ?? 20_000;
  const capMs = options.capMs ?? 240_000;
  const everyMs = options.everyMs ?? 100;
  const started = Date.now();
  let best = -1;
  let grewAt = started;
  for (;;) {
    const n = await count();
    if (n >= target) return n;
    const now = Date.now();
    if (n > best) {
      best = n;
      grewAt = now;
    }
    if (now - grewAt > stallMs)
      throw new Error(`waiting for ${what}: stuck at ${n} of ${target} for ${stallMs} ms (${now - started} ms in all)`);
    if (now - started > capMs) throw new Error(`waiting for ${what}: ${n} of ${target} after ${capMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
