// The outbox dispatcher on its own: a memory store, a hand-moved clock and handlers written for each case.
// What it promises: done jobs are completed once; failures are retried after a capped backoff or exactly
// the vendor's Retry-After; permanent failures and exhausted jobs are dead-lettered with one alert; kinds
// run side by side; a handler that throws or answers short never loses a job.
import { describe, expect, it } from 'vitest';
import {
  createOutbox,
  type DispatchHandler,
  type DispatchResult,
  type OutboxOptions,
} from '../../src/runtime/outbox.js';
import { createMemoryStore } from '../../src/store/index.js';
import { ConnectorError, Deferral, type Failure } from '../../src/ports/failure.js';
import { recordingLogger } from '../helpers/recording-logger.js';
import { waitFor } from '../helpers/wait.js';
import type { Job, Store } from '../../src/ports/store.js';
import { silentLogger } from '../../src/ports/logger.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);

interface Rig {
  store: Store;
  clock: { now: () => number; advance: (ms: number) => void };
  events: { done: string[]; failed: { key: string; kind: string; dead: boolean }[]; dead: string[] };
  outbox: ReturnType<typeof createOutbox>;
}

function rig(handlers: Record<string, DispatchHandler>, options: Partial<OutboxOptions> = {}): Rig {
  const store = createMemoryStore();
  let now = T0;
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  const events: Rig['events'] = { done: [], failed: [], dead: [] };
  const outbox = createOutbox({
    store,
    clock,
    logger: silentLogger,
    handlers,
    workerId: 'w1',
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
    onDone: (j) => events.done.push(j.idempotencyKey),
    onFailure: (j, f, dead) => events.failed.push({ key: j.idempotencyKey, kind: f.kind, dead }),
    onDead: (j) => void events.dead.push(j.idempotencyKey),
    ...options,
  });
  return { store, clock, events, outbox };
}

async function enqueue(store: Store, kind: string, keys: string[], runAt = T0): Promise<void> {
  await store.enqueueJobs(
    keys.map((k) => ({ kind, payload: { k }, idempotencyKey: k, runAt })),
    runAt,
  );
}

async function jobByKey(store: Store, key: string): Promise<Job> {
  const all = await store.listJobs({ limit: 1_000 });
  const found = all.find((j) => j.idempotencyKey === key);
  if (!found) throw new Error(`no job ${key}`);
  return found;
}

const ok = (): DispatchResult => ({ ok: true });
const fail = (failure: Failure): DispatchResult => ({ ok: false, failure });

/** A handler that answers each job with what `answer` says, and records the batches it was given. */
function handler(answer: (job: Job) => DispatchResult, batch = 1, concurrency = 1) {
  const batches: string[][] = [];
  const h: DispatchHandler = {
    batch,
    concurrency,
    run: async (jobs) => {
      batches.push(jobs.map((j) => j.idempotencyKey));
      return jobs.map(answer);
    },
  };
  return { h, batches };
}

describe('outbox dispatcher', () => {
  it('completes a job whose handler succeeds, once, and reports it done', async () => {
    const a = handler(ok);
    const r = rig({ a: a.h });
    await enqueue(r.store, 'a', ['a1']);
    expect(await r.outbox.drain()).toBe(1);
    expect((await jobByKey(r.store, 'a1')).state).toBe('done');
    expect(r.events.done).toEqual(['a1']);
    expect(await r.outbox.drain()).toBe(0);
    expect(a.batches).toEqual([['a1']]);
  });

  it('does not run a job before its run_at', async () => {
    const a = handler(ok);
    const r = rig({ a: a.h });
    await enqueue(r.store, 'a', ['later'], T0 + 5_000);
    expect(await r.outbox.drain()).toBe(0);
    r.clock.advance(5_000);
    expect(await r.outbox.drain()).toBe(1);
    expect(a.batches).toEqual([['later']]);
  });

  it('retries a transient failure after a backoff within [base/2, base] for the first attempt', async () => {
    let calls = 0;
    const a = handler(() => (++calls === 1 ? fail({ kind: 'transient', reason: 'socket hang up' }) : ok()));
    const r = rig({ a: a.h });
    await enqueue(r.store, 'a', ['t1']);
    await r.outbox.runOnce();
    const waiting = await jobByKey(r.store, 't1');
    expect(waiting.state).toBe('pending');
    expect(waiting.lastError).toBe('transient: socket hang up');
    expect(waiting.runAt - T0).toBeGreaterThanOrEqual(500);
    expect(waiting.runAt - T0).toBeLessThanOrEqual(1_000);
    expect(r.events.failed).toEqual([{ key: 't1', kind: 'transient', dead: false }]);
    // Not before its time…
    r.clock.advance(waiting.runAt - T0 - 1);
    expect(await r.outbox.runOnce()).toBe(0);
    // …and then it runs and is done.
    r.clock.advance(1);
    expect(await r.outbox.runOnce()).toBe(1);
    expect((await jobByKey(r.store, 't1')).state).toBe('done');
  });

  it('waits exactly the Retry-After a rate-limited vendor asks for (plus under 50 ms of spread)', async () => {
    let calls = 0;
    const a = handler(() =>
      ++calls === 1 ? fail({ kind: 'rate_limited', retryAfterMs: 7_000, reason: 'ratelimited' }) : ok(),
    );
    const r = rig({ a: a.h });
    await enqueue(r.store, 'a', ['rl']);
    await r.outbox.runOnce();
    const waiting = await jobByKey(r.store, 'rl');
    expect(waiting.runAt - T0).toBeGreaterThanOrEqual(7_000);
    expect(waiting.runAt - T0).toBeLessThan(7_050);
  });

  it.each(['invalid', 'not_found'] as const)('dead-letters a %s failure at once, with one dead alert', async (kind) => {
    const a = handler(() => fail({ kind, reason: 'nope' }));
    const r = rig({ a: a.h });
    await enqueue(r.store, 'a', ['p1']);
    await r.outbox.drain();
    const dead = await jobByKey(r.store, 'p1');
    expect(dead.state).toBe('dead');
    expect(dead.lastError).toBe(`${kind}: nope`);
    expect(r.events.dead).toEqual(['p1']);
    expect(r.events.failed).toEqual([{ key: 'p1', kind, dead: true }]);
  });

  it('dead-letters a job that keeps failing after maxAttempts, and rate limits get five times as many', async () => {
    const t = handler(() => fail({ kind: 'transient', reason: 'down' }));
    const rl = handler(() => fail({ kind: 'rate_limited', retryAfterMs: 1, reason: 'slow down' }));
    const r = rig({ t: t.h, rl: rl.h }, { maxAttempts: 3 });
    await enqueue(r.store, 't', ['t']);
    await enqueue(r.store, 'rl', ['rl']);
    for (let i = 0; i < 40; i++) {
      await r.outbox.runOnce();
      r.clock.advance(120_000);
    }
    expect(t.batches).toHaveLength(3);
    expect(rl.batches).toHaveLength(15);
    expect((await jobByKey(r.store, 't')).state).toBe('dead');
    expect((await jobByKey(r.store, 'rl')).state).toBe('dead');
    expect(r.events.dead.sort()).toEqual(['rl', 't']);
  });

  it('treats a thrown ConnectorError as its classified failure and any other throw as transient', async () => {
    const classified: DispatchHandler = {
      batch: 1,
      run: async () => {
        throw new ConnectorError('crm', { kind: 'auth', reason: 'token expired' });
      },
    };
    const crashing: DispatchHandler = {
      batch: 1,
      run: async () => {
        throw new TypeError('cannot read properties of undefined');
      },
    };
    const r = rig({ c: classified, x: crashing });
    await enqueue(r.store, 'c', ['c1']);
    await enqueue(r.store, 'x', ['x1']);
    await r.outbox.runOnce();
    expect((await jobByKey(r.store, 'c1')).lastError).toBe('auth: token expired');
    expect((await jobByKey(r.store, 'x1')).lastError).toBe('transient: cannot read properties of undefined');
    expect((await jobByKey(r.store, 'c1')).state).toBe('pending');
    expect((await jobByKey(r.store, 'x1')).state).toBe('pending');
  });

  it('dead-letters a job of a kind nobody handles instead of retrying it forever', async () => {
    const r = rig({});
    await enqueue(r.store, 'mystery', ['m1']);
    await r.outbox.drain();
    const dead = await jobByKey(r.store, 'm1');
    expect(dead.state).toBe('dead');
    expect(dead.lastError).toBe('invalid: no handler for job kind "mystery"');
  });

  it('hands jobs of one kind over in batches of the handler size and settles each job by its own result', async () => {
    const a = handler((j) => (j.idempotencyKey === 'b3' ? fail({ kind: 'transient', reason: 'one bad' }) : ok()), 2);
    const r = rig({ a: a.h });
    await enqueue(r.store, 'a', ['b1', 'b2', 'b3', 'b4', 'b5']);
    await r.outbox.runOnce();
    expect(a.batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(a.batches.flat().sort()).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
    const states = await Promise.all(
      ['b1', 'b2', 'b3', 'b4', 'b5'].map(async (k) => (await jobByKey(r.store, k)).state),
    );
    expect(states).toEqual(['done', 'done', 'pending', 'done', 'done']);
  });

  it('retries the jobs a handler left without a result', async () => {
    const short: DispatchHandler = { batch: 3, run: async () => [{ ok: true }] };
    const r = rig({ s: short });
    await enqueue(r.store, 's', ['s1', 's2', 's3']);
    await r.outbox.runOnce();
    const states = await Promise.all(['s1', 's2', 's3'].map(async (k) => (await jobByKey(r.store, k)).state));
    expect(states.filter((s) => s === 'done')).toHaveLength(1);
    expect(states.filter((s) => s === 'pending')).toHaveLength(2);
    for (const k of ['s1', 's2', 's3']) {
      const j = await jobByKey(r.store, k);
      if (j.state === 'pending') expect(j.lastError).toBe('transient: handler returned no result');
    }
  });

  it('runs different kinds side by side: a stuck kind does not hold another back', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowStarted: string[] = [];
    const slow: DispatchHandler = {
      batch: 1,
      run: async (jobs) => {
        slowStarted.push(...jobs.map((j) => j.idempotencyKey));
        await gate;
        return jobs.map(ok);
      },
    };
    const fast = handler(ok);
    const r = rig({ slow, fast: fast.h });
    await enqueue(r.store, 'slow', ['s1']);
    await enqueue(r.store, 'fast', ['f1']);
    const round = r.outbox.runOnce();
    // The fast kind finishes while the slow one is still waiting on its gate.
    for (let i = 0; i < 100 && (await jobByKey(r.store, 'f1')).state !== 'done'; i++) await Promise.resolve();
    expect((await jobByKey(r.store, 'f1')).state).toBe('done');
    expect(slowStarted).toEqual(['s1']);
    expect((await jobByKey(r.store, 's1')).state).toBe('running');
    release();
    await round;
    expect((await jobByKey(r.store, 's1')).state).toBe('done');
  });

  it('runs up to `concurrency` batches of one kind at once, never more', async () => {
    let inFlight = 0;
    let peak = 0;
    const lanes: DispatchHandler = {
      batch: 1,
      concurrency: 3,
      run: async (jobs) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return jobs.map(ok);
      },
    };
    const r = rig({ l: lanes });
    await enqueue(
      r.store,
      'l',
      Array.from({ length: 10 }, (_, i) => `l${i}`),
    );
    expect(await r.outbox.runOnce()).toBe(10);
    expect(peak).toBe(3);
  });

  it('drain stops as soon as a round finds nothing due, and at maxRounds otherwise', async () => {
    let made = 0;
    // A handler that queues a follow-up job each time: drain must stop at its round limit.
    const store = createMemoryStore();
    const chain: DispatchHandler = {
      batch: 1,
      run: async (jobs) => {
        made++;
        await store.enqueueJobs([{ kind: 'chain', payload: {}, idempotencyKey: `c${made}`, runAt: T0 }], T0);
        return jobs.map(ok);
      },
    };
    const r = rig({ chain }, { store });
    await enqueue(store, 'chain', ['c0']);
    expect(await r.outbox.drain(4)).toBe(4);
    expect(made).toBe(4);
  });

  it('defers a paced job to its exact slot: no attempt counted, no warning, no failure reported', async () => {
    let calls = 0;
    const paced: DispatchHandler = {
      batch: 1,
      run: async (jobs) => {
        if (++calls <= 3) throw new Deferral('slack', 1_234, 'next slot in D1');
        return jobs.map(ok);
      },
    };
    const logger = recordingLogger();
    const r = rig({ paced }, { logger, maxAttempts: 2 });
    await enqueue(r.store, 'paced', ['p1']);
    for (let i = 0; i < 3; i++) {
      expect(await r.outbox.runOnce()).toBe(1);
      const waiting = await jobByKey(r.store, 'p1');
      expect(waiting).toMatchObject({ state: 'pending', attempts: 0, lastError: null, runAt: r.clock.now() + 1_234 });
      // Not a moment earlier than the slot.
      r.clock.advance(1_233);
      expect(await r.outbox.runOnce()).toBe(0);
      r.clock.advance(1);
    }
    // Three deferrals with maxAttempts 2: still alive, and then done on its first real attempt.
    expect(await r.outbox.runOnce()).toBe(1);
    expect(await jobByKey(r.store, 'p1')).toMatchObject({ state: 'done', attempts: 1 });
    expect(r.events.failed).toEqual([]);
    expect(r.events.dead).toEqual([]);
    expect(r.events.done).toEqual(['p1']);
    expect(logger.records.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('accepts a deferral answered as a result, per job, beside done and failed jobs of the same batch', async () => {
    const mixed = handler(
      (j): DispatchResult =>
        j.idempotencyKey === 'd'
          ? { ok: false, deferred: { runAt: T0 + 500, reason: 'paced' } }
          : j.idempotencyKey === 'f'
            ? fail({ kind: 'transient', reason: 'reset' })
            : ok(),
      3,
    );
    const r = rig({ m: mixed.h });
    await enqueue(r.store, 'm', ['d', 'f', 'o']);
    await r.outbox.runOnce();
    expect(await jobByKey(r.store, 'd')).toMatchObject({ state: 'pending', attempts: 0, runAt: T0 + 500 });
    expect(await jobByKey(r.store, 'f')).toMatchObject({ state: 'pending', attempts: 1 });
    expect((await jobByKey(r.store, 'o')).state).toBe('done');
    expect(r.events.failed.map((f) => f.key)).toEqual(['f']);
  });

  it('renews the claim while a slow handler runs, so another replica cannot take the job over', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const slow: DispatchHandler = {
      batch: 1,
      run: async (jobs) => {
        started++;
        await gate;
        return jobs.map(ok);
      },
    };
    const r = rig({ slow }, { leaseMs: 300, heartbeatMs: 20 });
    const other = createOutbox({
      store: r.store,
      clock: r.clock,
      logger: silentLogger,
      handlers: { slow },
      workerId: 'w2',
    });
    await enqueue(r.store, 'slow', ['s1']);
    const round = r.outbox.runOnce();
    await waitFor('the handler started', () => started === 1);
    const leased = (await jobByKey(r.store, 's1')).leaseUntil as number;
    // Time passes beyond the first lease; the heartbeat keeps pushing it further out.
    r.clock.advance(1_000);
    await waitFor('a renewed lease', async () => ((await jobByKey(r.store, 's1')).leaseUntil as number) > leased + 900);
    expect(await other.runOnce()).toBe(0);
    release();
    await round;
    expect(await jobByKey(r.store, 's1')).toMatchObject({ state: 'done', attempts: 1, lockedBy: 'w1' });
    expect(started).toBe(1);
  });

  it('settles nothing for a claim that was taken over: the new claimant decides', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const stalled: DispatchHandler = {
      batch: 1,
      run: async (jobs) => {
        if (++started === 1) await gate; // the first claimant hangs (a stalled replica)
        return jobs.map(() => fail({ kind: 'invalid', reason: 'only the first claimant says this' }));
      },
    };
    const other = { done: [] as string[] };
    // No heartbeat gets through for the first claimant: its lease runs out.
    const r = rig({ stalled }, { leaseMs: 1_000, heartbeatMs: 60_000 });
    const second = createOutbox({
      store: r.store,
      clock: r.clock,
      logger: silentLogger,
      handlers: { stalled: handler(ok).h },
      workerId: 'w2',
      onDone: (j) => void other.done.push(j.idempotencyKey),
    });
    await enqueue(r.store, 'stalled', ['x']);
    const round = r.outbox.runOnce();
    await waitFor('the first claim running', () => started === 1);
    r.clock.advance(1_000);
    expect(await second.runOnce()).toBe(1);
    expect(other.done).toEqual(['x']);
    release();
    await round;
    // The late answer of the first claimant (a permanent failure) changed nothing and reported nothing.
    expect(await jobByKey(r.store, 'x')).toMatchObject({ state: 'done', lockedBy: 'w2', lastError: null });
    expect(r.events.failed).toEqual([]);
    expect(r.events.dead).toEqual([]);
  });

  describe('continuous mode (pump)', () => {
    function gated() {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      return { gate, release: () => release() };
    }

    it('claims only what free lanes can start: the rest stays pending for any replica', async () => {
      const g = gated();
      let started = 0;
      const lanes: DispatchHandler = {
        batch: 1,
        concurrency: 2,
        run: async (jobs) => {
          started++;
          await g.gate;
          return jobs.map(ok);
        },
      };
      const r = rig({ l: lanes });
      await enqueue(
        r.store,
        'l',
        Array.from({ length: 10 }, (_, i) => `l${i}`),
      );
      expect(await r.outbox.pump()).toBe(2);
      expect(await r.store.countJobs('running')).toBe(2);
      expect(await r.store.countJobs('pending')).toBe(8);
      // Busy lanes: another pump claims nothing more.
      expect(await r.outbox.pump()).toBe(0);
      g.release();
      // Each batch that ends pumps again, so the rest runs without another tick.
      await waitFor('all done', async () => (await r.store.countJobs('done')) === 10);
      expect(started).toBe(10);
      await r.outbox.close();
    });

    it('runs a follow-up job as soon as the job that queued it ends, while a slow kind is still busy', async () => {
      const g = gated();
      const store = createMemoryStore();
      const slow: DispatchHandler = {
        batch: 1,
        run: async (jobs) => {
          await g.gate;
          return jobs.map(ok);
        },
      };
      const first: DispatchHandler = {
        batch: 1,
        run: async (jobs) => {
          await store.enqueueJobs([{ kind: 'second', payload: {}, idempotencyKey: 'next', runAt: T0 }], T0);
          return jobs.map(ok);
        },
      };
      const second = handler(ok);
      const r = rig({ slow, first, second: second.h }, { store });
      await enqueue(store, 'slow', ['s1']);
      await r.outbox.pump();
      await enqueue(store, 'first', ['f1']);
      await r.outbox.pump(); // what a wake does
      await waitFor('the follow-up done', async () => (await jobByKey(store, 'next')).state === 'done');
      expect((await jobByKey(store, 's1')).state).toBe('running');
      expect(second.batches).toEqual([['next']]);
      g.release();
      await r.outbox.close();
      expect((await jobByKey(store, 's1')).state).toBe('done');
    });

    it('renews the claims in flight and stops claiming once closed', async () => {
      const g = gated();
      const slow: DispatchHandler = {
        batch: 1,
        run: async (jobs) => {
          await g.gate;
          return jobs.map(ok);
        },
      };
      const r = rig({ slow }, { leaseMs: 300, heartbeatMs: 20 });
      await enqueue(r.store, 'slow', ['s1']);
      await r.outbox.pump();
      const leased = (await jobByKey(r.store, 's1')).leaseUntil as number;
      r.clock.advance(1_000);
      await waitFor(
        'a renewed lease',
        async () => ((await jobByKey(r.store, 's1')).leaseUntil as number) > leased + 900,
      );
      const closing = r.outbox.close();
      await enqueue(r.store, 'slow', ['s2']);
      expect(await r.outbox.pump()).toBe(0);
      g.release();
      await closing;
      expect((await jobByKey(r.store, 's1')).state).toBe('done');
      expect((await jobByKey(r.store, 's2')).state).toBe('pending');
    });

    it('lets the event loop take a turn between batches that do no I/O (a backlog of deferrals)', async () => {
      // Deferred at once, without I/O: each batch settles in microtasks. The lane is topped up on the next
      // turn of the event loop, so timers and I/O answers are not held until the whole backlog is through.
      let handled = 0;
      const paced: DispatchHandler = {
        batch: 1,
        concurrency: 2,
        run: async (jobs) => {
          handled += jobs.length;
          return jobs.map(() => ({ ok: false, deferred: { runAt: T0 + 60_000, reason: 'paced' } }));
        },
      };
      const r = rig({ paced });
      const keys = Array.from({ length: 40 }, (_, i) => `p${i}`);
      await enqueue(r.store, 'paced', keys);
      await r.outbox.pump();
      const seenByNextTurn = await new Promise<number>((resolve) => setImmediate(() => resolve(handled)));
      expect(seenByNextTurn).toBeLessThan(keys.length);
      await waitFor('every job deferred', async () => handled === keys.length);
      await waitFor('all pending again', async () => (await r.store.countJobs('pending')) === keys.length);
      expect(r.events.failed).toEqual([]);
      await r.outbox.close();
    });

    it('dead-letters jobs of a kind nobody handles', async () => {
      const r = rig({ a: handler(ok).h });
      await enqueue(r.store, 'mystery', ['m1']);
      await r.outbox.pump();
      await waitFor('dead', async () => (await jobByKey(r.store, 'm1')).state === 'dead');
      await r.outbox.close();
    });
  });
});
