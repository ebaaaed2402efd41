// Which replica does the work that must happen once: polling, sweeping deadlines, alerts, digests.
// The holder of a lease row in the store does it. Every replica asks for the lease every second (or a
// third of the period, if shorter): the holder renews it, the others take it over once the period has
// run out — with the default 5-second lease, a dead holder's work moves within about 6 s. A holder that
// cannot renew (the store is unreachable) stops acting as holder when its period ends; a holder that
// stops gives the lease up at once. Loops and cron jobs say "holder only" through this module instead
// of each checking a flag of their own.
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { startLoop, type Loop, type LoopOptions } from './loop.js';

export interface LeaderOptions {
  store: Pick<Store, 'tryAcquireLease' | 'releaseLease'>;
  /** The lease row, e.g. "poller:hubspot". */
  leaseName: string;
  workerId: string;
  /** How long a lease lasts without renewal: the longest a dead holder keeps the others waiting. */
  leaseMs: number;
  now: () => number;
  /** Root logger: the loops log under it; lease changes are logged with this worker's id. */
  logger: Logger;
  /** Aborting it stops the lease loop and every loop started here. */
  signal: AbortSignal;
}

export interface LeaderLoopOptions extends Omit<LoopOptions, 'logger' | 'signal'> {
  /** Tick at once when this replica takes the lease, not one interval later. */
  runOnTakeover?: boolean;
}

export interface Leader {
  /** This replica holds the lease now. */
  readonly held: boolean;
  /** The loop that takes and renews the lease (readiness watches it like any other). */
  readonly loop: Loop;
  /** A loop whose ticks run only while this replica holds the lease; the others skip them. */
  startLoop(options: LeaderLoopOptions): Loop;
  /** `fn` made to run only while this replica holds the lease (cron jobs). */
  only<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void>;
  /** Stops the lease loop and the loops started here, then gives the lease up if held. Idempotent. */
  stop(): Promise<void>;
}

export function startLeader(options: LeaderOptions): Leader {
  const { store, leaseName, workerId, leaseMs, logger, signal } = options;
  const log = logger.child({ component: 'worker', workerId });
  const loops: Loop[] = [];
  const onTakeover: Loop[] = [];
  let holds = false;
  /** The end of the period the last successful renewal bought. */
  let heldUntil = 0;
  let stopped: Promise<void> | null = null;
  const held = (): boolean => holds && options.now() < heldUntil;

  const leaseLoop = startLoop({
    name: 'lease',
    intervalMs: Math.max(100, Math.min(1_000, Math.floor(leaseMs / 3))),
    logger,
    signal,
    tick: async () => {
      const had = holds;
      const askedAt = options.now();
      try {
        holds = await store.tryAcquireLease(leaseName, workerId, leaseMs, askedAt);
      } catch (err) {
        // Unreachable store: keep acting on the period already bought, never beyond it.
        if (holds && options.now() >= heldUntil) {
          holds = false;
          log.warn({ lease: leaseName, held: false }, 'lease lost: could not renew it in time');
        }
        throw err;
      }
      if (holds) heldUntil = askedAt + leaseMs;
      if (holds === had) return;
      log.info(
        { lease: leaseName, held: holds },
        holds ? 'lease acquired: this replica polls and sweeps' : 'lease lost',
      );
      if (holds) for (const loop of onTakeover) loop.runNow();
    },
  });

  return {
    get held() {
      return held();
    },
    loop: leaseLoop,
    startLoop({ runOnTakeover, tick, ...rest }) {
      const loop = startLoop({
        ...rest,
        logger,
        signal,
        tick: async (loopSignal) => {
          if (held()) await tick(loopSignal);
        },
      });
      loops.push(loop);
      if (runOnTakeover === true) onTakeover.push(loop);
      return loop;
    },
    only(fn) {
      return async (...args) => {
        if (held()) await fn(...args);
      };
    },
    stop() {
      stopped ??= (async () => {
        await Promise.all([leaseLoop, ...loops].map((l) => l.stop()));
        if (!holds) return;
        holds = false;
        await store.releaseLease(leaseName, workerId).catch(() => undefined);
      })();
      return stopped;
    },
  };
}
