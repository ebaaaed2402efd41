// Routing in batches: one read of the team's state per batch, kept current in memory as offers commit,
// and a fairness ledger that stays exact when two replicas route for the same team at the same time.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app/deps.js';
import { createJobHandlers } from '../../src/app/job-handlers.js';
import { routeHandoffs, type OfferResult } from '../../src/app/offer-handoff.js';
import { planOffer, routeBatch } from '../../src/app/route-handoff.js';
import type { AppSettings } from '../../src/app/settings.js';
import { chunk } from '../../src/domain/chunk.js';
import { silentLogger } from '../../src/ports/logger.js';
import type { Crm } from '../../src/ports/crm.js';
import type { Store } from '../../src/ports/store.js';
import { createMemoryStore, openStore } from '../../src/store/index.js';
import { baseSettings } from '../helpers/app-harness.js';
import { makeLead, makeRep, makeTeam } from '../helpers/builders.js';
import {
  createPostgresTestSchema,
  openSqliteTestStore,
  POSTGRES_SKIP_NOTICE,
  skipPostgres,
} from '../helpers/stores.js';

const T0 = Date.UTC(2026, 10, 25, 10, 0);
const REPS = ['alice', 'bruno', 'chen', 'dana', 'emil'];

function settings(overrides: Partial<AppSettings> = {}): AppSettings {
  return baseSettings({
    reps: REPS.map((id) => makeRep({ id })),
    teams: [makeTeam({ id: 'emea', members: REPS })],
    routing: { ownerMatch: { enabled: false, skipFreeEmailDomains: true }, rules: [], fallback: { team: 'emea' } },
    ...overrides,
  });
}

/** One app instance (a replica) over `store`, routing with the batch router as the worker does. */
function replica(store: Store, s: AppSettings, now = () => T0): AppDeps {
  const clock = { now };
  return {
    store,
    clock,
    settings: s,
    route: planOffer({ store, settings: s, clock }),
    routeBatch: routeBatch({ store, settings: s, clock }),
    logger: silentLogger,
    newId: () => randomUUID(),
    deadlineFor: (_repId, from) => ({ dueAt: from + s.sla.acceptWithin, remindAt: null }),
  };
}

let seq = 0;
async function detected(store: Store, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    seq += 1;
    const lead = makeLead({ externalId: `rb-${seq}`, mqlAt: T0 + i, modifiedAt: T0 + i });
    ids.push((await store.ingest({ lead, hot: false, imported: false }, T0)).handoff.id);
  }
  return ids;
}

/** Counts the store calls routing makes (to show a batch reads the team's state once). */
function counting(store: Store): { store: Store; calls: Record<string, number>; ledgerConflicts: number } {
  const calls: Record<string, number> = {};
  const out = { store, calls, ledgerConflicts: 0 };
  out.store = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (prop === 'applyChange' && (result as { ledgerConflict?: boolean }).ledgerConflict) out.ledgerConflicts += 1;
        return result;
      };
    },
  });
  return out;
}

/** Offers per rep over these hand-offs, checking each was offered exactly once. */
async function sharesOf(store: Store, ids: string[]): Promise<Record<string, number>> {
  const shares: Record<string, number> = {};
  for (const id of ids) {
    const offers = await store.listOffers(id);
    expect(offers, `hand-off ${id}`).toHaveLength(1);
    const repId = offers[0]!.repId;
    shares[repId] = (shares[repId] ?? 0) + 1;
  }
  return shares;
}

describe('routing a batch', () => {
  it('reads the team’s state once and plans each lead on the loads and ledger the earlier ones left', async () => {
    const base = createMemoryStore();
    const s = settings({
      reps: REPS.map((id) => makeRep({ id, capacity: id === 'alice' ? { perDay: 1 } : {} })),
    });
    const ids = await detected(base, 12);
    const c = counting(base);
    const results = await routeHandoffs(replica(c.store, s), ids);
    expect(results.every((r) => r.kind === 'offered')).toBe(true);
    expect(c.calls.getRotationLedgers).toBe(1);
    expect(c.calls.countOpenOffersByRep).toBe(1);
    expect(c.calls.countOffersByRepSince).toBe(1);
    expect(c.calls.getRepStatuses).toBe(1);
    const reps = results.map((r) => (r.kind === 'offered' ? r.offer.repId : null));
    // alice (1 a day) takes the first turn only; the rest rotate in order.
    expect(reps).toEqual([
      'alice',
      'bruno',
      'chen',
      'dana',
      'emil',
      'bruno',
      'chen',
      'dana',
      'emil',
      'bruno',
      'chen',
      'dana',
    ]);
    const ledger = (await base.getRotationLedgers(['emea']))[0]!;
    expect(ledger.version).toBe(12);
    expect(Object.fromEntries(ledger.entries.map((e) => [e.repId, e.served]))).toEqual({
      alice: 1,
      bruno: 3,
      chen: 3,
      dana: 3,
      emil: 2,
    });
    expect(await base.countOpenOffersByRep()).toEqual({ alice: 1, bruno: 3, chen: 3, dana: 3, emil: 2 });
  });

  it('routes again on a fresh read when another replica wrote the ledger first', async () => {
    const store = createMemoryStore();
    const s = settings();
    const mine = await detected(store, 5);
    const theirs = await detected(store, 3);
    let interfered = false;
    const c = counting(store);
    // Replica B routes its three leads after A read the ledger and before A's first offer commits.
    const a = replica(
      new Proxy(c.store, {
        get(target, prop, receiver) {
          if (prop !== 'applyChange') return Reflect.get(target, prop, receiver) as unknown;
          return async (...args: Parameters<Store['applyChange']>) => {
            if (!interfered) {
              interfered = true;
              await routeHandoffs(replica(store, s), theirs);
            }
            return target.applyChange(...args);
          };
        },
      }),
      s,
    );
    const results = await routeHandoffs(a, mine);
    expect(results.map((r) => r.kind)).toEqual(['offered', 'offered', 'offered', 'offered', 'offered']);
    expect(c.ledgerConflicts).toBe(1);
    expect(c.calls.getRotationLedgers).toBe(2);
    // Eight leads, five reps: nobody served twice before everybody was served once.
    const shares = await sharesOf(store, [...mine, ...theirs]);
    expect(Object.values(shares).sort()).toEqual([1, 1, 2, 2, 2]);
    const ledger = (await store.getRotationLedgers(['emea']))[0]!;
    expect(ledger.entries.reduce((n, e) => n + e.served, 0)).toBe(8);
  });

  it('reads the load of an owner-matched rep outside the team before offering them the lead', async () => {
    const store = createMemoryStore();
    // olga owns leads from @olga.example but is in no team; she takes one open offer at a time.
    const s = settings({
      reps: [
        ...REPS.map((id) => makeRep({ id })),
        makeRep({ id: 'olga', crmOwnerId: 'o-olga', capacity: { open: 1 } }),
      ],
      routing: { ownerMatch: { enabled: true, skipFreeEmailDomains: true }, rules: [], fallback: { team: 'emea' } },
    });
    const crm: Crm = {
      kind: 'hubspot',
      resolveOwnerId: () => Promise.resolve(null),
      findOwnerMatch: (lead) =>
        Promise.resolve(
          lead.email?.endsWith('@olga.example') ? { ownerId: 'o-olga', via: 'company', detail: 'olga.example' } : null,
        ),
      update: () => Promise.resolve([]),
      addNotes: () => Promise.resolve([]),
    };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      seq += 1;
      const lead = makeLead({
        externalId: `rb-${seq}`,
        email: `buyer${i}@olga.example`,
        mqlAt: T0 + i,
        modifiedAt: T0 + i,
      });
      ids.push((await store.ingest({ lead, hot: false, imported: false }, T0)).handoff.id);
    }
    const deps = {
      ...replica(store, s),
      routeBatch: routeBatch({ store, crm, settings: s, clock: { now: () => T0 } }),
    };
    // The first lead goes to olga; in a second batch she is at capacity (read from the store), so the team takes it.
    const [first] = await routeHandoffs(deps, ids.slice(0, 1));
    const rest = await routeHandoffs(deps, ids.slice(1));
    const reps = [first, ...rest].map((r) => (r?.kind === 'offered' ? r.offer.repId : r?.kind));
    expect(reps).toEqual(['olga', 'alice', 'bruno']);
    expect(await store.countOpenOffersByRep(['olga'])).toEqual({ olga: 1 });
  });

  it('answers each route job of a dispatch batch from one routing pass', async () => {
    const store = createMemoryStore();
    const deps = replica(store, settings());
    const ids = await detected(store, 7);
    const handlers = createJobHandlers(deps, { source: null, notifier: null, crm: null, mailer: null });
    expect(handlers['handoff.route'].batch).toBeGreaterThan(1);
    const jobs = await store.claimJobs({ now: T0, limit: 0, leaseMs: 1, workerId: 'w' });
    expect(jobs).toEqual([]);
    const now = T0;
    const fakeJobs = ids.map((handoffId, i) => ({
      id: String(i + 1),
      kind: 'handoff.route',
      payload: {},
      idempotencyKey: `route:${handoffId}`,
      runAt: now,
      handoffId,
      state: 'running' as const,
      attempts: 1,
      lastError: null,
      lockedBy: 'w',
      leaseUntil: now + 1,
      claimToken: 't',
      createdAt: now,
      updatedAt: now,
    }));
    const results = await handlers['handoff.route'].run([...fakeJobs, { ...fakeJobs[0]!, id: '99', handoffId: null }]);
    expect(results.slice(0, 7).every((r) => r.ok)).toBe(true);
    expect(results[7]).toMatchObject({ ok: false, failure: { kind: 'invalid' } });
    expect(await sharesOf(store, ids)).toEqual({ alice: 2, bruno: 2, chen: 1, dana: 1, emil: 1 });
  });
});

// Two replicas route the same 60 leads for one team at once, in batches, each in its own order, retrying
// what conflicted like the outbox retries a job: every lead is offered once and the shares stay fair.
const skipPg = skipPostgres();
const engines: {
  name: string;
  skip: boolean;
  open: () => Promise<{ a: Store; b: Store; close(): Promise<void> }>;
}[] = [
  {
    name: 'memory (one store, two app instances)',
    skip: false,
    open: async () => {
      const store = createMemoryStore();
      return { a: store, b: store, close: () => Promise.resolve() };
    },
  },
  {
    // One process owns a SQLite file: two app instances share its handle and interleave at every await.
    name: 'sqlite (one file, two app instances)',
    skip: false,
    open: async () => {
      const t = await openSqliteTestStore({ file: true });
      return { a: t.store, b: t.store, close: () => t.close() };
    },
  },
  {
    name: skipPg ? `postgres (${POSTGRES_SKIP_NOTICE})` : 'postgres (two store handles on one schema)',
    skip: skipPg,
    open: async () => {
      const target = await createPostgresTestSchema();
      const a = await openStore(target.url, { maxConnections: 4 });
      await a.migrate();
      const b = await openStore(target.url, { maxConnections: 4 });
      return {
        a,
        b,
        async close() {
          await a.close();
          await b.close();
          await target.drop();
        },
      };
    },
  },
];

describe.each(engines)('two replicas routing for one team on $name', ({ skip, open }) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it.skipIf(skip)('offer every lead once and keep every rep’s share within ±1 of the ideal', async () => {
    const stores = await open();
    close = stores.close;
    const s = settings();
    const N = 60;
    const ids = await detected(stores.a, N);
    const a = counting(stores.a);
    const b = counting(stores.b);

    async function drain(deps: AppDeps, order: string[]): Promise<void> {
      let todo = order;
      for (let round = 0; todo.length > 0; round++) {
        if (round > 50) throw new Error(`still ${todo.length} conflicting after 50 rounds`);
        const retry: string[] = [];
        for (const batch of chunk(todo, 10)) {
          const results: OfferResult[] = await routeHandoffs(deps, batch);
          results.forEach((r, i) => {
            if (r.kind === 'conflict') retry.push(batch[i]!);
            else if (r.kind !== 'offered' && r.kind !== 'skipped') throw new Error(`unexpected ${r.kind}`);
          });
        }
        todo = retry;
      }
    }
    await Promise.all([drain(replica(a.store, s), ids), drain(replica(b.store, s), [...ids].reverse())]);

    const shares = await sharesOf(stores.a, ids);
    const ideal = N / REPS.length;
    for (const rep of REPS) {
      expect(shares[rep] ?? 0, rep).toBeGreaterThanOrEqual(ideal - 1);
      expect(shares[rep] ?? 0, rep).toBeLessThanOrEqual(ideal + 1);
    }
    const ledger = (await stores.a.getRotationLedgers(['emea']))[0]!;
    expect(Object.fromEntries(ledger.entries.map((e) => [e.repId, e.served]))).toEqual(shares);
    expect(await stores.a.countOpenOffersByRep()).toEqual(shares);
    // Printed, not asserted: how often a replica found the ledger moved on and planned again.
    console.log(`ledger conflicts re-planned: replica A ${a.ledgerConflicts}, replica B ${b.ledgerConflicts}`);
  });
});
