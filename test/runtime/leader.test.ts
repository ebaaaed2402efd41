// The lease protocol on the memory store with fake timers: only the holder runs leader loops and
// cron jobs, a replica that takes the lease over runs its loops at once, and a stopping holder gives
// the lease up so another replica need not wait out the period.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLeader, type Leader } from '../../src/runtime/leader.js';
import type { Store } from '../../src/ports/store.js';
import { createMemoryStore } from '../../src/store/index.js';
import { recordingLogger } from '../helpers/recording-logger.js';

const LEASE_MS = 3_000; // renewed every 1 s
const LEASE = 'poller:hubspot';

describe('startLeader', () => {
  let store: Store;
  const running: Array<{ leader: Leader; stopping: AbortController }> = [];
  const start = (workerId: string, via: Pick<Store, 'tryAcquireLease' | 'releaseLease'> = store) => {
    const logger = recordingLogger();
    const stopping = new AbortController();
    const leader = startLeader({
      store: via,
      leaseName: LEASE,
      workerId,
      leaseMs: LEASE_MS,
      now: () => Date.now(),
      logger,
      signal: stopping.signal,
    });
    running.push({ leader, stopping });
    return { leader, logger, stopping };
  };

  beforeEach(() => {
    vi.useFakeTimers();
    store = createMemoryStore();
  });
  afterEach(async () => {
    for (const r of running.splice(0)) {
      r.stopping.abort();
      await r.leader.stop();
    }
    vi.useRealTimers();
  });

  it('runs leader loops on the holder only', async () => {
    await store.tryAcquireLease(LEASE, 'other', LEASE_MS, Date.now());
    const { leader } = start('me');
    let ticks = 0;
    const loop = leader.startLoop({ name: 'sweeper', intervalMs: 500, tick: () => void ticks++ });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(leader.held).toBe(false);
    expect(loop.ticks).toBeGreaterThan(1);
    expect(ticks).toBe(0);

    // The other replica keeps renewing: this one never runs the work.
    for (let i = 0; i < 5; i++) {
      await store.tryAcquireLease(LEASE, 'other', LEASE_MS, Date.now());
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(ticks).toBe(0);
  });

  it('runs a takeover loop at once when the lease is taken, not one interval later', async () => {
    await store.tryAcquireLease(LEASE, 'other', LEASE_MS, Date.now());
    const { leader, logger } = start('me');
    const at: number[] = [];
    const late: number[] = [];
    leader.startLoop({ name: 'poller', intervalMs: 60_000, runOnTakeover: true, tick: () => void at.push(Date.now()) });
    leader.startLoop({ name: 'withdrawal-check', intervalMs: 60_000, tick: () => void late.push(Date.now()) });
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(at).toEqual([]);

    // The other holder died at t0: its lease lapses at t0 + 3 s and the next lease tick (every 1 s) takes it.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(leader.held).toBe(true);
    expect(at).toHaveLength(1);
    expect(at[0]! - t0).toBeLessThanOrEqual(LEASE_MS + 1_000);
    expect(late).toEqual([]); // without runOnTakeover it waits for its own interval
    expect(logger.records).toContainEqual(
      expect.objectContaining({
        level: 'info',
        msg: 'lease acquired: this replica polls and sweeps',
        fields: expect.objectContaining({ lease: LEASE, held: true, workerId: 'me' }),
      }),
    );
  });

  it('runs wrapped cron jobs only while holding the lease', async () => {
    await store.tryAcquireLease(LEASE, 'other', LEASE_MS, Date.now());
    const { leader } = start('me');
    const ran: string[] = [];
    const job = leader.only(async (what: string) => void ran.push(what));
    await vi.advanceTimersByTimeAsync(0);
    await job('before');
    await vi.advanceTimersByTimeAsync(LEASE_MS + 1_000);
    expect(leader.held).toBe(true);
    await job('after');
    expect(ran).toEqual(['after']);
  });

  it('logs a lost lease and stops running the work', async () => {
    const { leader, logger } = start('me');
    let ticks = 0;
    leader.startLoop({ name: 'sweeper', intervalMs: 500, tick: () => void ticks++ });
    await vi.advanceTimersByTimeAsync(0);
    expect(leader.held).toBe(true);
    // Another replica took the row (this one stalled past the period).
    await store.releaseLease(LEASE, 'me');
    await store.tryAcquireLease(LEASE, 'other', 60_000, Date.now());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(leader.held).toBe(false);
    expect(logger.records.map((r) => r.msg)).toContain('lease lost');
    const before = ticks;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(ticks).toBe(before);
  });

  it('gives the lease up on stop, so another replica takes it at once', async () => {
    const first = start('me');
    await vi.advanceTimersByTimeAsync(0);
    expect(first.leader.held).toBe(true);
    expect(await store.tryAcquireLease(LEASE, 'other', LEASE_MS, Date.now())).toBe(false);
    first.stopping.abort();
    await first.leader.stop();
    expect(first.leader.held).toBe(false);
    expect(await store.tryAcquireLease(LEASE, 'other', LEASE_MS, Date.now())).toBe(true);
  });

  it('stops the loops it started', async () => {
    const { leader } = start('me');
    const loop = leader.startLoop({ name: 'sweeper', intervalMs: 500, tick: () => undefined });
    await vi.advanceTimersByTimeAsync(0);
    await leader.stop();
    expect(loop.stopped).toBe(true);
    expect(leader.loop.stopped).toBe(true);
  });

  it('stops acting as holder when its period ends without a renewal (store unreachable), and resumes after', async () => {
    let down = false;
    const flaky: Pick<Store, 'tryAcquireLease' | 'releaseLease'> = {
      tryAcquireLease: (...args) =>
        down ? Promise.reject(new Error('connection refused')) : store.tryAcquireLease(...args),
      releaseLease: (...args) => store.releaseLease(...args),
    };
    const { leader, logger } = start('me', flaky);
    let ticks = 0;
    leader.startLoop({ name: 'sweeper', intervalMs: 200, tick: () => void ticks++ });
    await vi.advanceTimersByTimeAsync(0);
    expect(leader.held).toBe(true);
    down = true;
    // Within the period bought by the last renewal it still holds…
    await vi.advanceTimersByTimeAsync(LEASE_MS - 1_100);
    expect(leader.held).toBe(true);
    // …and not a moment after it: another replica may have the lease by then.
    await vi.advanceTimersByTimeAsync(1_100);
    expect(leader.held).toBe(false);
    const before = ticks;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(ticks).toBe(before);
    expect(logger.records.map((r) => r.msg)).toContain('lease lost: could not renew it in time');
    down = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(leader.held).toBe(true);
    expect(ticks).toBeGreaterThan(before);
  });
});
