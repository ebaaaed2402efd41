// A page of detected leads and a batch of route jobs are one store transaction per lead. With a synchronous
// driver (SQLite) such a loop is one chain of microtasks; these use cases let the event loop take a turn
// between leads, so a Slack answer, a click's ack or /healthz never waits for the whole page or batch.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppDeps } from '../../src/app/deps.js';
import { ingestLeads } from '../../src/app/ingest-leads.js';
import { TURN_BUDGET_MS, turnTaker } from '../../src/domain/next-turn.js';
import { routeHandoffs } from '../../src/app/offer-handoff.js';
import { planOffer, routeBatch } from '../../src/app/route-handoff.js';
import { silentLogger } from '../../src/ports/logger.js';
import type { Store } from '../../src/ports/store.js';
import { createMemoryStore } from '../../src/store/index.js';
import { baseSettings } from '../helpers/app-harness.js';
import { makeLead, makeRep, makeTeam } from '../helpers/builders.js';

const T0 = Date.UTC(2026, 10, 25, 10, 0);
const REPS = ['alice', 'bruno', 'chen'];
const N = 20;

function app(store: Store): AppDeps {
  const s = baseSettings({
    reps: REPS.map((id) => makeRep({ id })),
    teams: [makeTeam({ id: 'emea', members: REPS })],
    routing: { ownerMatch: { enabled: false, skipFreeEmailDomains: true }, rules: [], fallback: { team: 'emea' } },
  });
  const clock = { now: () => T0 };
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

/** Counts the store writes a use case makes; `atNextTurn` is how many it had made when the event loop got a turn. */
function countWrites(store: Store, method: 'ingest' | 'applyChange'): { count: () => number } {
  let n = 0;
  const original = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>;
  (store as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    n += 1;
    return original(...args);
  };
  return { count: () => n };
}

function atNextTurn(count: () => number): Promise<number> {
  return new Promise((resolve) => setImmediate(() => resolve(count())));
}

describe('turnTaker', () => {
  it('takes a turn once the budget is spent since the last one, not before', async () => {
    let t = 0;
    const take = turnTaker(10, () => t);
    let turns = 0;
    const nextTurnSeen = (): Promise<void> =>
      new Promise((resolve) =>
        setImmediate(() => {
          turns += 1;
          resolve();
        }),
      );
    // Within the budget: no turn, the loop goes on in the same chain.
    t = 9;
    const seen = nextTurnSeen();
    await take();
    expect(turns).toBe(0);
    // Budget spent: the event loop runs (the immediate queued before fires) before take() resolves.
    t = 10;
    await take();
    expect(turns).toBe(1);
    await seen;
    // The budget starts again from that turn.
    t = 15;
    const again = nextTurnSeen();
    await take();
    expect(turns).toBe(1);
    await again;
  });
});

describe('event-loop turns in long use cases', () => {
  // A clock that moves a whole budget per reading: every item spends the budget, so a turn is due each time.
  beforeEach(() => {
    let t = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (t += TURN_BUDGET_MS));
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('ingesting a page of leads lets the event loop in between leads, and stores them all', async () => {
    const store = createMemoryStore();
    const deps = app(store);
    const writes = countWrites(store, 'ingest');
    const leads = Array.from({ length: N }, (_, i) => makeLead({ externalId: `turn-i${i}`, mqlAt: T0 - 1_000 + i }));
    const ingesting = ingestLeads(deps, leads);
    expect(await atNextTurn(writes.count)).toBeLessThan(N);
    const summary = await ingesting;
    expect(summary.created).toBe(N);
  });

  it('routing a batch lets the event loop in between leads, and offers every one', async () => {
    const store = createMemoryStore();
    const deps = app(store);
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const lead = makeLead({ externalId: `turn-r${i}`, mqlAt: T0 + i, modifiedAt: T0 + i });
      ids.push((await store.ingest({ lead, hot: false, imported: false }, T0)).handoff.id);
    }
    const writes = countWrites(store, 'applyChange');
    const routing = routeHandoffs(deps, ids);
    expect(await atNextTurn(writes.count)).toBeLessThan(N);
    const results = await routing;
    expect(results.map((r) => r.kind)).toEqual(Array.from({ length: N }, () => 'offered'));
  });
});
