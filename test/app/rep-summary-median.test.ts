// A rep's own summary (the Slack "my numbers" view) reports the median response time with the one
// definition of src/domain/metrics.ts — nearest rank, as `stats` and the dashboard do — not the mean of
// the middle two values of an even count.
import { describe, expect, it } from 'vitest';
import { createHandoffActions } from '../../src/app/handoff-actions.js';
import { ingestLeads } from '../../src/app/ingest-leads.js';
import { recordDecision } from '../../src/app/record-decision.js';
import { nearestRank } from '../../src/domain/metrics.js';
import { createMemoryStore } from '../../src/store/index.js';
import { baseSettings, createHarness } from '../helpers/app-harness.js';
import { makeLead, makeRep, makeTeam } from '../helpers/builders.js';

const MIN = 60_000;

describe('rep summary', () => {
  it('reports the nearest-rank median response time over an even number of decisions', async () => {
    const settings = baseSettings({
      reps: [makeRep({ id: 'alice' })],
      teams: [makeTeam({ id: 'emea', members: ['alice'], manager: 'maria', channel: 'C_EMEA' })],
    });
    const h = createHarness(createMemoryStore(), settings);
    await h.store.migrate();
    const start = h.clock.now();
    // Alice answers after 2, 4, 10 and 20 minutes: the mean of the middle two would be 7 minutes.
    const waits = [2, 4, 10, 20].map((m) => m * MIN);
    for (const [i, wait] of waits.entries()) {
      const summary = await ingestLeads(h.deps, [makeLead({ externalId: `m-${i}`, mqlAt: h.clock.now() })]);
      await h.drain();
      const [offer] = await h.store.listOffers(summary.handoffIds[0]!);
      expect(offer?.repId).toBe('alice');
      h.clock.advance(wait);
      const decided = await recordDecision(h.deps, {
        offerId: offer!.id,
        actorId: 'alice',
        decision: i % 2 === 0 ? 'accept' : 'reject',
        ...(i % 2 === 0 ? {} : { reasonId: 'not_icp' }),
      });
      expect(['accepted', 'rejected']).toContain(decided.kind);
    }
    const actions = createHandoffActions(h.deps);
    const mine = await actions.summary({ actor: { via: 'slack', userId: 'U_ALICE' }, since: start });
    expect(mine).toMatchObject({ offers: 4, accepted: 2, rejected: 2 });
    expect(mine?.medianResponseMs).toBe(nearestRank(waits, 50));
    expect(mine?.medianResponseMs).toBe(4 * MIN);
  });
});
