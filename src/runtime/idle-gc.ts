// One full garbage collection when the worker goes quiet after busy work. V8 collects only when code allocates, so
// after a burst (a backlog drained, a list imported) the heap keeps the size it grew to, garbage included, for as
// long as the worker stays quiet: a heap snapshot of the idle worker after a 1,000-MQL burst held 39 MB of live
// objects in a heap of 117 MB (87 MB "used", the rest garbage and free pages), RSS 200 MB. A full collection gives
// the free pages back. Quiet is read from the event loop's utilisation (the share of time it ran code): a worker that
// only polls and sweeps stays well under 30% even on a crowded machine; a drain keeps it near 100%.
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { givingWay, nextTurn } from '../domain/next-turn.js';
import type { Logger } from '../ports/logger.js';

export interface IdleCollectorOptions {
  logger: Logger;
  /** How often the event loop's utilisation is read (default 10 s). */
  everyMs?: number;
  /** An interval below this utilisation is quiet (default 0.3: a drain keeps it near 1). */
  quietBelow?: number;
  /** Collect once the heap has grown this much since the last collection (default 32 MB)… */
  growthBytes?: number;
  /** …and this many intervals in a row were quiet (default 2: not at the first lull, when reps start clicking). */
  quietIntervals?: number;
  /** For tests: the heap's current size (default: V8's heapTotal). */
  heapBytes?: () => number;
  /** For tests: the collector to call (default: V8's full collection). */
  collect?: () => void;
  /** For tests: the utilisation of the interval that just ended (default: the event loop's). */
  utilisation?: () => number;
}

/** Full GCs one collection may run in a row while each still shrinks the heap by SHRINK_BYTES. */
const MAX_PASSES = 4;
const SHRINK_BYTES = 1024 * 1024;

export interface IdleCollector {
  /** Collections run so far (each of one to MAX_PASSES full GCs). */
  readonly runs: number;
  /** Reads the utilisation once, as the timer does (for tests). */
  tick(): void;
  stop(): void;
}

/** V8's full collection as a function, or null when it cannot be reached. */
export function fullCollection(): (() => void) | null {
  const existing = (globalThis as { gc?: unknown }).gc;
  let gc: (() => void) | null = typeof existing === 'function' ? (existing as () => void) : null;
  if (gc === null) {
    try {
      // The flag makes new contexts carry gc(); the main context is left as it is.
      v8.setFlagsFromString('--expose-gc');
      const fn: unknown = vm.runInNewContext('gc');
      gc = typeof fn === 'function' ? (fn as () => void) : null;
    } catch {
      gc = null;
    }
  }
  if (gc === null) return null;
  const full = gc;
  // A compacting collection: V8 compacts only pages it judges fragmented enough, and after a burst the old space
  // keeps many half-empty pages (heap 54–58 MB with 37–42 MB live after the 1,000-MQL burst). Compacting every page
  // for this one collection gives them back (heap 43 MB, 8–15 MB less resident in that bench); the flag is set only
  // around it, so collections during work keep V8's own choice.
  return () => {
    v8.setFlagsFromString('--compact-on-every-full-gc');
    try {
      full();
    } finally {
      v8.setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}

function eventLoopUtilisation(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const share = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return share;
  };
}

/**
 * Starts watching: after `quietIntervals` quiet intervals in a row, when the heap has grown by `growthBytes` since
 * the last collection (or since start), collects once. A heap that V8 keeps in check by itself never triggers it.
 */
export function startIdleCollector(options: IdleCollectorOptions): IdleCollector {
  const log = options.logger.child({ component: 'idle-gc' });
  const collect = options.collect ?? fullCollection();
  const utilisation = options.utilisation ?? eventLoopUtilisation();
  const heapBytes = options.heapBytes ?? ((): number => process.memoryUsage().heapTotal);
  const quietBelow = options.quietBelow ?? 0.3;
  const growth = options.growthBytes ?? 32 * 1024 * 1024;
  const quietNeeded = Math.max(1, options.quietIntervals ?? 2);
  let base = 0;
  let runs = 0;
  let stopped = false;
  let quietInARow = 0;
  /**
   * One collection: a full GC, then more while the heap keeps shrinking by a megabyte or more (up to MAX_PASSES),
   * each on its own turn of the event loop so a click arriving meanwhile is not kept waiting behind all of them. A
   * fragmented heap gives its pages back over several passes: after a 1,000-MQL burst a second full GC returned
   * about as much as the first (a test heap: 163 → 124 → 91 → 50 MB with 17 MB live).
   */
  const run = (pass: number, rssBefore: number, heapBefore: number, started: number): void => {
    if (stopped || collect === null) return;
    const before = heapBytes();
    collect();
    base = heapBytes();
    if (pass < MAX_PASSES && before - base >= SHRINK_BYTES) {
      // After requests arriving meanwhile (a burst of clicks) have been accepted and acked.
      void nextTurn().then(() => run(pass + 1, rssBefore, heapBefore, started));
      return;
    }
    const mb = (n: number): number => Math.round(n / 104_857.6) / 10;
    log.debug(
      {
        passes: pass,
        ms: Math.round(performance.now() - started),
        heapMb: [mb(heapBefore), mb(base)],
        rssMb: [mb(rssBefore), mb(process.memoryUsage().rss)],
      },
      'quiet: heap collected',
    );
  };
  const tick = (): void => {
    const share = utilisation();
    quietInARow = share < quietBelow ? quietInARow + 1 : 0;
    if (quietInARow < quietNeeded || collect === null || givingWay()) return;
    const heap = heapBytes();
    if (heap < base + growth) return;
    runs++;
    run(1, process.memoryUsage().rss, heap, performance.now());
  };
  const timer = setInterval(tick, options.everyMs ?? 10_000);
  timer.unref();
  if (collect === null) log.debug('full collection not available; idle heap is left to V8');
  return {
    get runs() {
      return runs;
    },
    tick,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
