// The outbox dispatcher: claims due jobs, hands them to their handlers in batches, and records the
// outcome — done, retried later (capped jittered backoff, Retry-After honoured), deferred to an exact
// moment (our own pacing: not a failure) or dead-lettered.
// Claims are short leases renewed by a heartbeat while the handlers run: a replica that dies loses its
// jobs within one lease, and a claimant whose lease was taken over settles nothing (the claim token fences).
import { chunk } from '../domain/chunk.js';
import { givingWay, nextTurn } from '../domain/next-turn.js';
import type { Millis } from '../domain/model.js';
import type { Clock } from '../ports/clock.js';
import { ConnectorError, isDeferral, type Failure } from '../ports/failure.js';
import type { Logger } from '../ports/logger.js';
import type { Job, Store } from '../ports/store.js';
import { computeBackoff } from './backoff.js';

export type DispatchResult =
  | { ok: true }
  | { ok: false; failure: Failure }
  /** Scheduled, not failed: back to pending until `runAt`, no attempt counted, no warning, no onFailure. */
  | { ok: false; deferred: { runAt: Millis; reason: string } };

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
  /** How long a claim lasts without a heartbeat: the longest a dead replica's jobs wait for another. */
  leaseMs?: Millis;
  /** Heartbeat period while handlers run (default a third of the lease). */
  heartbeatMs?: Millis;
  baseDelayMs?: Millis;
  maxDelayMs?: Millis;
  /** Called for every failed attempt (metrics, connector health); never for a deferral. */
  onFailure?: (job: Job, failure: Failure, dead: boolean) => void;
  /** Called once when a job is dead-lettered (admin alert). */
  onDead?: (job: Job, failure: Failure) => void | Promise<void>;
  onDone?: (job: Job) => void;
}

export interface Outbox {
  /** Claims and runs one round of due jobs; returns how many jobs it handled. */
  runOnce(): Promise<number>;
  /** Rounds until nothing is due (bounded). */
  drain(maxRounds?: number): Promise<number>;
  /**
   * Continuous mode (the worker's loop): claims what the free lanes of each kind can start now and
   * starts it; every batch that ends pumps again. Resolves once the claimed work has started.
   */
  pump(kinds?: string[]): Promise<number>;
  /** Stops claiming and waits for the batches in flight to settle. */
  close(): Promise<void>;
}

/** Rate limiting is the vendor telling us to wait, not a fault: it may take many more attempts. */
const RATE_LIMIT_ATTEMPT_FACTOR = 5;

/** The lane of jobs whose kind has no handler (dead-lettered in batches of this size). */
const UNHANDLED = '\u0000unhandled';
const UNHANDLED_BATCH = 50;
/** How soon after a batch ends every kind is looked at (what it queued runs then). */
const FOLLOW_UP_PUMP_MS = 5;

// A batch that does no I/O (a paced card deferred at once, a job already done) settles in microtasks
// only: topping up its lane from its own end would chain one such batch after another without ever
// reaching the event loop — a backlog of 10,000 deferred cards held it for over half a minute, with every
// Slack answer, heartbeat and /healthz waiting behind. So lanes are topped up on the next turn (nextTurn).

/** A job claim's lease; the heartbeat renews it while the handler runs. */
export const DEFAULT_JOB_LEASE_MS = 5_000;

export function createOutbox(options: OutboxOptions): Outbox {
  const { store, clock, logger, handlers, workerId } = options;
  const maxAttempts = options.maxAttempts ?? 12;
  const claimLimit = options.claimLimit ?? 200;
  const leaseMs = options.leaseMs ?? DEFAULT_JOB_LEASE_MS;
  const heartbeatMs = Math.max(50, options.heartbeatMs ?? Math.floor(leaseMs / 3));
  const baseMs = options.baseDelayMs ?? 1_000;
  const maxMs = options.maxDelayMs ?? 10 * 60_000;
  const log = logger.child({ component: 'outbox' });

  /** Logs a settle that found the claim gone: the lease ran out and another claimant has the job now. */
  function fenced(job: Job, what: string): void {
    log.info(
      { jobId: job.id, kind: job.kind, handoffId: job.handoffId, what },
      'job lease lost: left to its new claimant',
    );
  }

  async function settle(job: Job, result: DispatchResult): Promise<void> {
    const now = clock.now();
    const token = job.claimToken ?? '';
    if (result.ok) {
      if (await store.completeJob(job.id, token, now)) options.onDone?.(job);
      else fenced(job, 'done');
      return;
    }
    if ('deferred' in result) {
      const { runAt, reason } = result.deferred;
      if (await store.deferJob(job.id, token, runAt, now))
        log.debug(
          { jobId: job.id, kind: job.kind, handoffId: job.handoffId, runInMs: runAt - now, reason },
          'job deferred',
        );
      else fenced(job, 'deferred');
      return;
    }
    const failure = result.failure;
    const limit = failure.kind === 'rate_limited' ? maxAttempts * RATE_LIMIT_ATTEMPT_FACTOR : maxAttempts;
    const permanent = failure.kind === 'invalid' || failure.kind === 'not_found';
    const dead = permanent || job.attempts >= limit;
    if (dead) {
      if (!(await store.killJob(job.id, token, `${failure.kind}: ${failure.reason}`, now))) return fenced(job, 'dead');
      options.onFailure?.(job, failure, true);
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
    const error = `${failure.kind}: ${failure.reason}`;
    if (!(await store.retryJob(job.id, token, { runAt: now + delay, error }, now))) return fenced(job, 'retry');
    options.onFailure?.(job, failure, false);
    log.warn(
      { jobId: job.id, kind: job.kind, handoffId: job.handoffId, attempts: job.attempts, failure, retryInMs: delay },
      'job failed, will retry',
    );
  }

  /**
   * Renews the claims of a round every `heartbeatMs` until `stop` is called. A renewal that fails (the
   * store is down) is tried again on the next beat; if none gets through within the lease, the jobs go to
   * whichever replica claims them next and this one's settles change nothing.
   */
  function heartbeat(liveTokens: () => string[]): () => Promise<void> {
    let beating: Promise<unknown> = Promise.resolve();
    let busy = false;
    const timer = setInterval(() => {
      const tokens = liveTokens();
      if (busy || tokens.length === 0) return;
      busy = true;
      const now = clock.now();
      beating = store
        .renewJobLeases(tokens, now + leaseMs, now)
        .catch((err: unknown) => log.warn({ err }, 'job lease renewal failed'))
        .finally(() => {
          busy = false;
        });
    }, heartbeatMs);
    timer.unref?.();
    return async () => {
      clearInterval(timer);
      await beating;
    };
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
      if (isDeferral(err)) {
        const deferred = { runAt: clock.now() + err.waitMs, reason: err.message };
        results = jobs.map(() => ({ ok: false, deferred }));
        for (let i = 0; i < jobs.length; i++) await settle(jobs[i] as Job, results[i] as DispatchResult);
        return;
      }
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
    const tokens = [...new Set(jobs.map((j) => j.claimToken).filter((t): t is string => t !== null))];
    const stopBeating = heartbeat(() => tokens);
    try {
      await runClaimed(jobs);
    } finally {
      await stopBeating();
    }
    return jobs.length;
  }

  async function runClaimed(jobs: Job[]): Promise<void> {
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
  }

  // --- continuous mode ---------------------------------------------------------------------------
  // The worker's loop: claims only what free lanes can start now (so a claimed job is a running job,
  // and a replica that dies leaves at most its in-flight jobs behind), starts it without waiting for the
  // rest, and claims again as soon as a batch ends — a step of the hot path never waits for another
  // kind's slow batch or for the next tick.
  const busyLanes = new Map<string, number>();
  /** Claim token → jobs of that claim not settled yet (what the heartbeat renews). */
  const liveClaims = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let stopHeartbeat: (() => Promise<void>) | null = null;
  let pumping = false;
  let closed = false;

  function release(jobs: Job[]): void {
    for (const job of jobs) {
      const token = job.claimToken;
      if (token === null) continue;
      const left = (liveClaims.get(token) ?? 1) - 1;
      if (left <= 0) liveClaims.delete(token);
      else liveClaims.set(token, left);
    }
  }

  function start(kind: string, batch: Job[]): void {
    const lane = handlers[kind] ? kind : UNHANDLED;
    busyLanes.set(lane, (busyLanes.get(lane) ?? 0) + 1);
    const run = runBatch(kind, batch)
      .catch((err: unknown) => log.error({ err, kind }, 'job batch could not be settled'))
      .finally(() => {
        busyLanes.set(lane, (busyLanes.get(lane) ?? 1) - 1);
        release(batch);
        inFlight.delete(run);
        afterBatch(kind);
      });
    inFlight.add(run);
  }

  /** Free lanes × batch size of a kind. */
  function room(kind: string): number {
    const handler = handlers[kind];
    if (!handler) return 0;
    const lanes = Math.max(1, handler.concurrency ?? 1) - (busyLanes.get(kind) ?? 0);
    return lanes > 0 ? lanes * Math.max(1, handler.batch) : 0;
  }

  let pumps = 0;
  async function pumpOnce(kinds: string[], all: boolean): Promise<number> {
    let claimed = 0;
    const take = async (kind: string | null, limit: number): Promise<void> => {
      const jobs = await store.claimJobs({
        now: clock.now(),
        limit,
        leaseMs,
        workerId,
        ...(kind !== null ? { kinds: [kind] } : { notKinds: Object.keys(handlers) }),
      });
      claimed += jobs.length;
      for (const job of jobs)
        if (job.claimToken !== null) liveClaims.set(job.claimToken, (liveClaims.get(job.claimToken) ?? 0) + 1);
      const byKind = new Map<string, Job[]>();
      for (const job of jobs) byKind.set(job.kind, [...(byKind.get(job.kind) ?? []), job]);
      for (const [k, list] of byKind)
        for (const batch of chunk(list, Math.max(1, handlers[k]?.batch ?? UNHANDLED_BATCH))) start(k, batch);
    };
    const withRoom = kinds.filter((k) => room(k) > 0);
    if (withRoom.length > 0) {
      for (const kind of await store.dueKinds(clock.now(), withRoom)) {
        if (closed) break;
        const limit = room(kind);
        if (limit > 0) await take(kind, limit);
      }
    }
    // Jobs of a kind nobody handles (queued by another version) are dead-lettered, now and then.
    if (all && !closed && pumps++ % 20 === 0 && (busyLanes.get(UNHANDLED) ?? 0) === 0)
      await take(null, UNHANDLED_BATCH);
    return claimed;
  }

  /** Kinds asked for since the last pass; null: every kind. */
  let wanted: Set<string> | null = new Set();
  let fullPumpTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * After a batch ends: its own kind is topped up at once; every kind is looked at shortly after (what the
   * batch queued, e.g. a route job's card), once for all the batches that end in that moment.
   */
  function afterBatch(kind: string): void {
    if (closed) return;
    // On the next turn of the event loop, not in this microtask chain (see above).
    void nextTurn()
      .then(() => (closed ? 0 : pump([kind])))
      .catch((err: unknown) => log.error({ err }, 'outbox pump failed'));
    fullPumpTimer ??= setTimeout(() => {
      fullPumpTimer = null;
      void pump().catch((err: unknown) => log.error({ err }, 'outbox pump failed'));
    }, FOLLOW_UP_PUMP_MS);
    fullPumpTimer.unref?.();
  }

  /** Claims and starts what free lanes can take (of `kinds`, or of every kind); resolves once started. */
  async function pump(kinds?: string[]): Promise<number> {
    if (closed) return 0;
    stopHeartbeat ??= heartbeat(() => [...liveClaims.keys()]);
    if (kinds === undefined) wanted = null;
    else if (wanted !== null) for (const k of kinds) wanted.add(k);
    if (pumping) return 0;
    pumping = true;
    let total = 0;
    try {
      let rounds = 0;
      while (!closed && (wanted === null || wanted.size > 0)) {
        // Every round after the first waits for a turn; the first too while requests are arriving (next-turn.ts).
        if (rounds++ > 0 || givingWay()) await nextTurn();
        if (closed) break;
        const all = wanted === null;
        const these = all ? Object.keys(handlers) : [...(wanted as Set<string>)];
        wanted = new Set();
        total += await pumpOnce(these, all);
      }
    } finally {
      pumping = false;
    }
    return total;
  }

  return {
    runOnce,
    pump,
    async close() {
      closed = true;
      if (fullPumpTimer !== null) clearTimeout(fullPumpTimer);
      fullPumpTimer = null;
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      await stopHeartbeat?.();
    },
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
