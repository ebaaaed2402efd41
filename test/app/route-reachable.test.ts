// A rep in Teams is offered leads only while the app is installed for them (their 1:1 conversation is kept);
// until then routing skips them with the reason in the trace, and the next rep gets the lead.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app/deps.js';
import { routeHandoffs } from '../../src/app/offer-handoff.js';
import { TEAMS_CONVERSATION } from '../../src/app/people.js';
import { planOffer, routeBatch } from '../../src/app/route-handoff.js';
import type { AppSettings } from '../../src/app/settings.js';
import { silentLogger } from '../../src/ports/logger.js';
import type { Store } from '../../src/ports/store.js';
import { createMemoryStore } from '../../src/store/index.js';
import { baseSettings } from '../helpers/app-harness.js';
import { makeLead, makeRep, makeTeam } from '../helpers/builders.js';

const T0 = Date.UTC(2026, 10, 25, 10, 0);

function deps(store: Store, s: AppSettings, batch: boolean): AppDeps {
  const clock = { now: () => T0 };
  return {
    store,
    clock,
    settings: s,
    route: planOffer({ store, settings: s, clock }),
    ...(batch ? { routeBatch: routeBatch({ store, settings: s, clock }) } : {}),
    logger: silentLogger,
    newId: () => randomUUID(),
    deadlineFor: (_repId, from) => ({ dueAt: from + s.sla.acceptWithin, remindAt: null }),
  };
}

const settings = (): AppSettings =>
  baseSettings({
    reps: [makeRep({ id: 'alice', chat: 'teams' }), makeRep({ id: 'bruno', chat: 'slack' })],
    teams: [makeTeam({ id: 'emea', members: ['alice', 'bruno'], strategy: 'round-robin' })],
    routing: { ownerMatch: { enabled: false, skipFreeEmailDomains: true }, rules: [], fallback: { team: 'emea' } },
  });

describe.each([
  ['one at a time', false],
  ['in a batch', true],
])('routing to Teams reps (%s)', (_name, batch) => {
  it('skips a Teams rep without the app installed, says why, and offers them once it is', async () => {
    const store = createMemoryStore();
    const d = deps(store, settings(), batch);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const lead = makeLead({ externalId: `t-${i}`, mqlAt: T0 + i, modifiedAt: T0 + i });
      ids.push((await store.ingest({ lead, hot: false, imported: false }, T0)).handoff.id);
    }
    const first = await routeHandoffs(d, ids.slice(0, 2));
    const offered = first.map((r) => (r.kind === 'offered' ? r.offer.repId : r.kind));
    expect(offered).toEqual(['bruno', 'bruno']);
    const offers = await store.listOffers(ids[0] as string);
    const trace = JSON.stringify(offers[0]?.trace);
    expect(trace).toContain('unreachable');
    expect(trace).toContain('the app is not installed for them');

    await store.setIdentity('alice', TEAMS_CONVERSATION, JSON.stringify({ conversationId: 'a:1' }), T0);
    const second = await routeHandoffs(d, ids.slice(2));
    expect(second.map((r) => (r.kind === 'offered' ? r.offer.repId : r.kind))).toContain('alice');
  });
});
