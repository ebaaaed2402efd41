// A periodic loop for pollers and sweepers: never overlaps itself, survives a failed tick, stops
// promptly, and tells readiness checks when it last ticked.
import type { Logger } from '../ports/logger.js';
import { sleep } from './abortable-sleep.js';
import { isAbortError } from './errors.js';

export interface LoopOptions {
  name: string;
  /** Pause between the end of one tick and the start of the next (a function is asked each time). */
  intervalMs: number | (() => number);
  /** One unit of work. Receives a signal that aborts when the loop stops. */
  tick: (signal: AbortSignal) => Promise<void> | void;
  logger: Logger;
  /** Stops the loop when aborted (e.g. the process's shutdown signal). */
  signal?: AbortSignal;
  /** Tick at once on start (default) or wait one interval first. */
  immediate?: boolean;
  /** For lastTickAt/lastSuccessAt; default Date.now. */
  now?: () => number;
}

export interface Loop {
  readonly name: string;
  /** The pause it takes between ticks, asked now (it may change, e.g. a throttled poller slows down). */
  readonly intervalMs: number;
  /** When the last tick ended, successfully or not (null before the first one ends). */
  readonly lastTickAt: number | null;
  /** When the last successful tick ended. */
  readonly lastSuccessAt: number | null;
  /** Failed ticks in a row; 0 after a success. */
  readonly consecutiveFailures: number;
  /** Ticks completed so far. */
  readonly ticks: number;
  /** A tick is in progress. */
  readonly busy: boolean;
  readonly stopped: boolean;
  /** Resolves when the loop has ended (after stop and the last tick). Never rejects. */
  readonly done: Promise<void>;
  /** Ticks as soon as possible: now when idle, right after the current tick when busy. */
  runNow(): void;
  /** Stops the loop; resolves when the tick in progress (if any) has finished. Idempotent. */
  stop(): Promise<void>;
}

function intervalOf(intervalMs: number | (() => number)): number {
  const value = typeof intervalMs === 'function' ? intervalMs() : intervalMs;
  return Number.isFinite(value) && value > 0 ? value : 0;
}

export function startLoop(options: LoopOptions): Loop {
  const { name, tick, logger } = options;
  const now = options.now ?? Date.now;
  const log = logger.child({ loop: name });
  const stopping = new AbortController();
  let wake: AbortController | null = null;
  let pending = false;
  let busy = false;
  let lastTickAt: number | null = null;
  let lastSuccessAt: number | null = null;
  let consecutiveFailures = 0;
  let ticks = 0;
  let stopPromise: Promise<void> | null = null;

  const isStopping = (): boolean => stopping.signal.aborted;

  async function pause(): Promise<void> {
    if (pending || isStopping()) return;
    wake = new AbortController();
    try {
      await sleep(intervalOf(options.intervalMs), wake.signal);
    } finally {
      wake = null;
    }
  }

  async function runOnce(): Promise<void> {
    pending = false;
    busy = true;
    try {
      await tick(stopping.signal);
      if (consecutiveFailures > 0) log.info({ failuresBefore: consecutiveFailures }, 'loop recovered');
      consecutiveFailures = 0;
      lastSuccessAt = now();
    } catch (err) {
      if (isStopping() && isAbortError(err)) {
        log.debug('tick cut short by stop');
      } else {
        consecutiveFailures++;
        log.error({ err, consecutiveFailures }, 'loop tick failed');
      }
    } finally {
      busy = false;
      ticks++;
      lastTickAt = now();
    }
  }

  async function run(): Promise<void> {
    try {
      if (options.immediate === false) await pause();
      while (!isStopping()) {
        await runOnce();
        await pause();
      }
    } catch (err) {
      // Only a throwing logger or clock gets here; the loop ends rather than spin.
      try {
        log.error({ err }, 'loop crashed');
      } catch {
        // nothing left to report to
      }
    }
  }

  function stop(): Promise<void> {
    stopPromise ??= (async () => {
      stopping.abort();
      wake?.abort();
      await done;
    })();
    return stopPromise;
  }

  const onExternalAbort = (): void => {
    void stop();
  };
  if (options.signal?.aborted === true) stopping.abort();
  else options.signal?.addEventListener('abort', onExternalAbort, { once: true });

  const done = run().finally(() => {
    options.signal?.removeEventListener('abort', onExternalAbort);
  });

  return {
    name,
    get intervalMs() {
      return intervalOf(options.intervalMs);
    },
    get lastTickAt() {
      return lastTickAt;
    },
    get lastSuccessAt() {
      return lastSuccessAt;
    },
    get consecutiveFailures() {
      return consecutiveFailures;
    },
    get ticks() {
      return ticks;
    },
    get busy() {
      return busy;
    },
    get stopped() {
      return isStopping();
    },
    done,
    runNow() {
      if (isStopping()) return;
      pending = true;
      wake?.abort();
    },
    stop,
  };
}
