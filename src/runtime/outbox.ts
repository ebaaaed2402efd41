// The outbox dispatcher: claims due jobs, hands them to their handlers in batches, and records the
// outcome — done, retried later (capped jittered backoff, Retry-After honoured) or dead-lettered.
import { chunk } from '../domain/chunk.js';
import type { Millis } from '../domain/model.js';
import type { Clock } from '../ports/clock.js';
import { ConnectorError, type Failure } from '../ports/failure.js';
import type { Logger } from '../ports/logger.js';
import type { Job, Store } from '../ports/store.js';
import { computeBackoff } from './backoff.js';

export type DispatchResult = { ok: true } | { ok: false; failure: Failure };

export interface DispatchHandler {
  batch: number;
  /** Batches of this kind that may run at once (default 1). */
  concurrency?: number;
  run(jobs: Job[]): Promise<DispatchResult[]>;
}

export interface OutboxOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  handlers: Record<string, DispatchHandler>;
  workerId: string;
  /** Attempts before a job is dead-lettered (rate limiting counts less: see below). */
  maxAttempts?: number;
  /** Jobs claimed per round. */
  claimLimit?: number;
  leaseMs?: Millis;
  baseDelayMs?: Millis;
  maxDelayMs?: Millis;
  /** Called for every failed attempt (metrics, connector health). */
  onFailure?: (job: Job, failure: Failure, dead: boolean) => void;
  /** Called once when a job is dead-lettered (admin alert). */
  onDead?: (job: Job, failure: Failure) => void | Promise<void>;
  onDone?: (job: Job) => void;
}

export interface Outbox {
  /** Claims and runs one round of due jobs; returns how many jobs it handled. */
  runOnce(): Promise<number>;
  /** Rounds until nothing is due (bounded), for a loop tick. */
  drain(maxRounds?: number): Promise<number>;
}

/** Rate limiting is the vendor telling us to wait, not a fault: it may take many more attempts. */
const RATE_LIMIT_ATTEMPT_FACTOR = 5;

export function createOutbox(options: OutboxOptions): Outbox {
  const { store, clock, logger, handlers, workerId } = options;
  const maxAttempts = options.maxAttempts ?? 12;
  const claimLimit = options.claimLimit ?? 200;
  const leaseMs = options.leaseMs ?? 120_000;
  const baseMs = options.baseDelayMs ?? 1_000;
  const maxMs = options.maxDelayMs ?? 10 * 60_000;
  const log = logger.child({ component: 'outbox' });

  async function settle(job: Job, result: DispatchResult): Promise<void> {
    const now = clock.now();
    if (result.ok) {
      await store.completeJob(job.id, workerId, now);
      options.onDone?.(job);
      return;
    }
    const failure = result.failure;
    const limit = failure.kind === 'rate_limited' ? maxAttempts * RATE_LIMIT_ATTEMPT_FACTOR : maxAttempts;
    const permanent = failure.kind === 'invalid' || failure.kind === 'not_found';
    const dead = permanent || job.attempts >= limit;
    options.onFailure?.(job, failure, dead);
    if (dead) {
      await store.killJob(job.id, workerId, `${failure.kind}: ${failure.reason}`, now);
      log.error(
        { jobId: job.id, kind: job.kind, handoffId: job.handoffId, attempts: job.attempts, failure },
        'job dead-lettered',
      );
      await options.onDead?.(job, failure);
      return;
    }
    // Rate limiting is the vendor saying when: wait exactly that (plus a little spread), not a growing backoff.
    const delay =
      failure.kind === 'rate_limited' && failure.retryAfterMs !== undefined
        ? failure.retryAfterMs + Math.floor(Math.random() * 50)
        : computeBackoff({
            attempt: job.attempts,
            baseMs,
            maxMs,
            ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
          });
    await store.retryJob(job.id, workerId, { runAt: now + delay, error: `${failure.kind}: ${failure.reason}` }, now);
    log.warn(
      { jobId: job.id, kind: job.kind, handoffId: job.handoffId, attempts: job.attempts, failure, retryInMs: delay },
      'job failed, will retry',
    );
  }

  async function runBatch(kind: string, jobs: Job[]): Promise<void> {
    const handler = handlers[kind];
    if (!handler) {
      for (const job of jobs)
        await settle(job, { ok: false, failure: { kind: 'invalid', reason: `no handler for job kind "${kind}"` } });
      return;
    }
    let results: DispatchResult[];
    try {
      results = await handler.run(jobs);
    } catch (err) {
      const failure: Failure =
        err instanceof ConnectorError
          ? err.failure
          : { kind: 'transient', reason: err instanceof Error ? err.message : String(err) };
      if (!(err instanceof ConnectorError)) log.error({ err, kind }, 'job handler threw');
      results = jobs.map(() => ({ ok: false, failure }));
    }
    for (let i = 0; i < jobs.length; i++) {
      await settle(
        jobs[i] as Job,
        results[i] ?? { ok: false, failure: { kind: 'transient', reason: 'handler returned no result' } },
      );
    }
  }

  async function runOnce(): Promise<number> {
    const jobs = await store.claimJobs({ now: clock.now(), limit: claimLimit, leaseMs, workerId });
    if (jobs.length === 0) return 0;
    const byKind = new Map<string, Job[]>();
    for (const job of jobs) {
      const list = byKind.get(job.kind) ?? [];
      list.push(job);
      byKind.set(job.kind, list);
    }
    // Kinds run side by side (Slack and the CRM do not wait for each other); within a kind, batches run in
    // claim order, `concurrency` at a time.
    await Promise.all(
      [...byKind].map(async ([kind, list]) => {
        const size = Math.max(1, handlers[kind]?.batch ?? 1);
        const batches = chunk(list, size);
        let next = 0;
        const lanes = Math.max(1, Math.min(handlers[kind]?.concurrency ?? 1, batches.length));
        await Promise.all(
          Array.from({ length: lanes }, async () => {
            while (next < batches.length) await runBatch(kind, batches[next++] as Job[]);
          }),
        );
      }),
    );
    return jobs.length;
  }

  return {
    runOnce,
    async drain(maxRounds = 20) {
      let total = 0;
      for (let round = 0; round < maxRounds; round++) {
        const n = await runOnce();
        total += n;
        if (n === 0) break;
      }
      return total;
    },
  };
}
