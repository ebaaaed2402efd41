import { afterEach, describe, expect, it } from 'vitest';
import { holdPartialBatch, WRITE_BACK_WINDOW_MS, writeBackAt } from '../../src/app/write-back.js';
import { ingestLeads } from '../../src/app/ingest-leads.js';
import { recordDecision } from '../../src/app/record-decision.js';
import { createMemoryStore } from '../../src/store/index.js';
import type { Store } from '../../src/ports/store.js';
import { openPostgresTestStore, openSqliteTestStore, postgresTestUrl } from '../helpers/stores.js';
import { makeLead } from '../helpers/builders.js';
import { baseSettings, createHarness, type Harness } from '../helpers/app-harness.js';

const W = WRITE_BACK_WINDOW_MS;
/** A window boundary: writes queued in (T0 - W, T0] are due at T0. */
const T0 = 1_000 * W;

describe('holdPartialBatch', () => {
  const base = { now: T0 + 50, size: 40, batchSize: 100, queuedAt: [T0 - 3_000, T0 - 20], pendingDueAt: [T0 + W] };

  it('holds a partial batch until the next boundary when writes are already queued for it', () => {
    expect(holdPartialBatch(base)).toBe(T0 + W);
  });

  it('writes a full batch at once', () => {
    expect(holdPartialBatch({ ...base, size: 100 })).toBeNull();
  });

  it('writes at once when nothing else is queued, or only for later windows', () => {
    expect(holdPartialBatch({ ...base, pendingDueAt: [] })).toBeNull();
    expect(holdPartialBatch({ ...base, pendingDueAt: [T0 + 2 * W, T0 + 5 * W] })).toBeNull();
  });

  it('writes at once when other writes are due now too (this batch is not the last of its window)', () => {
    expect(holdPartialBatch({ ...base, pendingDueAt: [T0] })).toBeNull();
    expect(holdPartialBatch({ ...base, pendingDueAt: [T0, T0 + W] })).toBeNull();
  });

  it('holds a write at most one window beyond its own boundary', () => {
    // Queued in the window before T0: its own boundary is T0, so it may wait until T0 + W and no longer.
    const held = holdPartialBatch({ ...base, queuedAt: [T0 - 1] });
    expect(held).toBe(T0 + W);
    expect(held! - writeBackAt(T0 - 1)).toBe(W);
    // Already held once (now past T0 + W): the next boundary would be a second extra window.
    expect(
      holdPartialBatch({ ...base, now: T0 + W + 30, queuedAt: [T0 - 1, T0 + 5_000], pendingDueAt: [T0 + 2 * W] }),
    ).toBeNull();
    // A batch run late (a retry, a slow outbox) is not held either once its bound has passed.
    expect(holdPartialBatch({ ...base, now: T0 + W + 1, queuedAt: [T0 - 1], pendingDueAt: [T0 + 2 * W] })).toBeNull();
  });
});

const engines: [string, () => Promise<{ store: Store; close(): Promise<void> }>][] = [
  [
    'memory',
    async () => {
      const store = createMemoryStore();
      await store.migrate();
      return { store, close: () => store.close() };
    },
  ],
  ['sqlite', () => openSqliteTestStore()],
  ...(postgresTestUrl() !== null
    ? [['postgres', () => openPostgresTestStore()] as [string, () => Promise<{ store: Store; close(): Promise<void> }>]]
    : []),
];

describe.each(engines)('write-back batches across window boundaries (%s store)', (_name, open) => {
  let closeStore: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await closeStore?.();
    closeStore = null;
  });

  /** `n` offered leads (round-robin over the team's three reps); returns their offers. */
  async function offered(n: number): Promise<{ h: Harness; offers: { offerId: string; repId: string }[] }> {
    const opened = await open();
    closeStore = () => opened.close();
    const h = createHarness(opened.store, baseSettings());
    const summary = await ingestLeads(
      h.deps,
      Array.from({ length: n }, (_, i) => makeLead({ externalId: `c${i}`, email: `lead${i}@acme.example` })),
    );
    await h.drain();
    const offers: { offerId: string; repId: string }[] = [];
    for (const id of summary.handoffIds) {
      const [offer] = await h.store.listOffers(id);
      if (offer) offers.push({ offerId: offer.id, repId: offer.repId });
    }
    expect(offers).toHaveLength(n);
    return { h, offers };
  }

  async function accept(h: Harness, offers: { offerId: string; repId: string }[]): Promise<void> {
    for (const { offerId, repId } of offers) {
      const r = await recordDecision(h.deps, { offerId, actorId: repId, decision: 'accept' });
      expect(r.kind).toBe('accepted');
    }
  }

  it('decisions that straddle two boundaries cost ceil(n / 100) update calls, each write at most one window late', async () => {
    const { h, offers } = await offered(250);
    const start = writeBackAt(h.clock.now());
    // 130 decisions before the first boundary, 80 between it and the next, 40 before the third.
    h.clock.set(start - 2_000);
    await accept(h, offers.slice(0, 130));
    await h.drain(); // the cards change at once; the CRM writes wait for the boundary
    expect(h.crm.calls).toBe(0);
    // The outbox reaches the first boundary while decisions keep coming: 60 are queued for the next one already.
    h.clock.set(start + 100);
    await accept(h, offers.slice(130, 190));
    await h.drain();
    expect(h.crm.calls).toBe(1); // 100 written, 30 held for the next window
    expect(h.crm.updates).toHaveLength(100);
    await accept(h, offers.slice(190, 210));
    await h.drain();
    h.clock.set(start + W + 100);
    await accept(h, offers.slice(210, 250));
    await h.drain();
    // 30 held + 80 = 110: one full call, and 10 of this window's newest held again.
    expect(h.crm.calls).toBe(2);
    expect(h.crm.updates).toHaveLength(200);
    // The 30 held at the first boundary are written now, one window late (not held a second time).
    const firstWritten = new Set(h.crm.updates.map((u) => u.record.externalId));
    expect(firstWritten.size).toBe(200);
    h.clock.set(start + 2 * W + 100);
    await h.drain();
    // The rest (10 + 40 = 50): nothing more is queued, so the partial batch goes at once.
    expect(h.crm.calls).toBe(3);
    expect(h.crm.updates).toHaveLength(250);
    expect(new Set(h.crm.updates.map((u) => u.record.externalId)).size).toBe(250);
    expect(await h.store.listJobs({ kind: 'crm.update', state: 'pending' })).toEqual([]);
    expect(await h.store.listJobs({ kind: 'crm.update', state: 'dead' })).toEqual([]);
  }, 90_000); // 250 decisions through the whole app on Postgres: a generous cap for a loaded 2-core machine

  it('a lone decision is written at its boundary, not held', async () => {
    const { h, offers } = await offered(1);
    h.clock.set(writeBackAt(h.clock.now()) - 500);
    await accept(h, offers);
    h.clock.advance(W);
    await h.drain();
    expect(h.crm.calls).toBe(1);
    expect(h.crm.updates).toHaveLength(1);
  });

  it('a held write is never held beyond one extra window, even while decisions keep coming', async () => {
    const { h, offers } = await offered(40);
    const start = writeBackAt(h.clock.now());
    h.clock.set(start - 1_000);
    await accept(h, offers.slice(0, 10));
    h.clock.set(start + 100);
    await accept(h, offers.slice(10, 20));
    await h.drain();
    expect(h.crm.calls).toBe(0); // 10 held: 10 more are queued for the next boundary
    h.clock.set(start + W + 100);
    await accept(h, offers.slice(20, 40)); // more keep coming, for the boundary after
    await h.drain();
    // The first 10 reached their bound: written with the 10 due now, in one call, though 20 more are queued.
    expect(h.crm.calls).toBe(1);
    expect(h.crm.updates).toHaveLength(20);
    h.clock.set(start + 2 * W + 100);
    await h.drain();
    expect(h.crm.calls).toBe(2);
    expect(h.crm.updates).toHaveLength(40);
  });
});
