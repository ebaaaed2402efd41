// Teams' rate limits for bots, per bot per conversation (thread), and our pacing under them.

/** A sliding window: at most `max` operations in any `ms`. */
export interface PaceWindow {
  ms: number;
  max: number;
}

/**
 * "Per bot per thread limit" of the Teams docs (bots/how-to/rate-limit): sends, updates and roster reads in one
 * conversation. The emulator enforces exactly these; the client paces a little under them.
 */
export const TEAMS_THREAD_LIMITS: readonly PaceWindow[] = [
  { ms: 1_000, max: 7 },
  { ms: 2_000, max: 8 },
  { ms: 30_000, max: 60 },
  { ms: 3_600_000, max: 1_800 },
];

/** "The global limit per app per tenant is 50 requests per second" (same page): all calls of the bot. */
export const TEAMS_APP_LIMITS: readonly PaceWindow[] = [{ ms: 1_000, max: 50 }];

/** Our pace: Teams' windows stretched by 10 % (+50 ms), so clock and network jitter do not turn it into 429s. */
export function underLimits(limits: readonly PaceWindow[]): PaceWindow[] {
  return limits.map((w) => ({ ms: Math.ceil(w.ms * 1.1) + 50, max: w.max }));
}
export const TEAMS_PACE: readonly PaceWindow[] = underLimits(TEAMS_THREAD_LIMITS);
export const TEAMS_APP_PACE: readonly PaceWindow[] = underLimits(TEAMS_APP_LIMITS);

export interface SlidingWindows {
  /** How many ms until `key` has a free slot (0: now); takes nothing. */
  wait(key: string): number;
  /**
   * Takes a slot for one operation on `key` now and answers 0, or answers how many ms until a slot is free
   * (nothing taken).
   */
  take(key: string): number;
  /** Nothing goes to `key` for `ms` (Teams answered 429 with this Retry-After). */
  block(key: string, ms: number): void;
}

export function createSlidingWindows(windows: readonly PaceWindow[], now: () => number): SlidingWindows {
  const longest = windows.reduce((m, w) => Math.max(m, w.ms), 0);
  const biggest = windows.reduce((m, w) => Math.max(m, w.max), 0);
  /** Per key: the times of the operations still inside the longest window, oldest first. */
  const log = new Map<string, number[]>();
  const blockedUntil = new Map<string, number>();

  function prune(at: number): void {
    if (log.size > 10_000) for (const [k, times] of log) if ((times.at(-1) ?? 0) <= at - longest) log.delete(k);
    if (blockedUntil.size > 10_000) for (const [k, until] of blockedUntil) if (until <= at) blockedUntil.delete(k);
  }

  function waitAt(key: string, at: number): number {
    const until = blockedUntil.get(key);
    if (until !== undefined) {
      if (until > at) return until - at;
      blockedUntil.delete(key);
    }
    const times = log.get(key);
    if (times === undefined) return 0;
    while (times.length > 0 && (times[0] as number) <= at - longest) times.shift();
    let wait = 0;
    for (const w of windows) {
      // Operations inside this window, newest last; the (count - max)-th oldest of them must leave first.
      let first = times.length;
      while (first > 0 && (times[first - 1] as number) > at - w.ms) first -= 1;
      const inside = times.length - first;
      if (inside >= w.max) {
        const leaving = times[first + inside - w.max] as number;
        wait = Math.max(wait, leaving + w.ms - at);
      }
    }
    return wait;
  }

  return {
    wait: (key) => waitAt(key, now()),
    take(key) {
      const at = now();
      const wait = waitAt(key, at);
      if (wait > 0) return wait;
      if (windows.length === 0) return 0;
      const times = log.get(key) ?? [];
      times.push(at);
      if (times.length > biggest) times.splice(0, times.length - biggest);
      log.set(key, times);
      prune(at);
      return 0;
    },
    block(key, ms) {
      const at = now();
      blockedUntil.set(key, Math.max(blockedUntil.get(key) ?? 0, at + ms));
      prune(at);
    },
  };
}
