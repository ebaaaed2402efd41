// A sleep that a shutdown can cut short.

/** setTimeout's largest delay; longer ones would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Resolves after `ms`, or as soon as `signal` aborts (at once when it already has). Never rejects.
 * Resolves `true` when the full time passed and `false` when the wait was cut short. Delays beyond
 * setTimeout's limit (about 24.8 days) are clamped to it; NaN and negative delays count as 0.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  const delay = Number.isNaN(ms) ? 0 : Math.min(Math.max(0, ms), MAX_TIMER_MS);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, delay);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
