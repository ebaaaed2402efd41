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
