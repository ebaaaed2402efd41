// The routing book: planning a batch against one read, advanced in memory by each offer, decides exactly
// what routing each lead on a fresh read of the store would.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  candidateTeams,
  ledgerRowsOf,
  ledgerVersionsFor,
  recordOffer,
  repLoadOf,
  routeLead,
  type RoutingBook,
  type RoutingConfig,
} from '../../../src/domain/routing/index.js';
import type { TeamStrategy } from '../../../src/domain/model.js';
import { Ledger, emptyLoad, input, makeConfig, makeLead, makeRep, makeTeam } from '../../helpers/routing-builders.js';

const REPS = ['alice', 'bruno', 'chen', 'dana'];

function config(
  strategy: TeamStrategy,
  caps: { open: number | undefined; perDay: number | undefined }[],
  weights: number[],
): RoutingConfig {
  return makeConfig({
    reps: REPS.map((id, i) => {
      const c = caps[i] ?? { open: undefined, perDay: undefined };
      return makeRep(id, {
        weight: weights[i] ?? 1,
        capacity: {
          ...(c.open === undefined ? {} : { open: c.open }),
          ...(c.perDay === undefined ? {} : { perDay: c.perDay }),
        },
      });
    }),
    teams: [makeTeam('team', REPS, strategy)],
    fallback: 'team',
  });
}

describe('routing book', () => {
  it('plans a batch like routing each lead on a fresh read of the offers and ledger', () => {
    const cap = fc.record({
      open: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
      perDay: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom<TeamStrategy>('round-robin', 'weighted', 'least-loaded'),
        fc.array(cap, { minLength: 4, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 25 }),
        fc.record({ open: fc.nat(3), today: fc.nat(3) }),
        (strategy, caps, weights, hots, start) => {
          const settings = { ...config(strategy, caps, weights), hotLane: null };
          // What the store held before the batch: a few open offers and offers today per rep.
          const openOffers = Object.fromEntries(REPS.map((r, i) => [r, (start.open + i) % 4]));
          const offersToday = Object.fromEntries(
            REPS.map((r, i) => [r, ((start.today + i) % 4) + ((start.open + i) % 4)]),
          );
          const book: RoutingBook = {
            openOffers: { ...openOffers },
            offersToday: { ...offersToday },
            statuses: [],
            ledgers: { team: { teamId: 'team', version: 3, entries: [] } },
          };
          const truth = { open: { ...openOffers }, today: { ...offersToday }, ledger: new Ledger(), writes: 0 };
          for (const [i, hot] of hots.entries()) {
            const lead = makeLead({ externalId: `b-${i}` });
            const teams = candidateTeams(lead, hot, settings.routing);
            const fromBook = routeLead(
              input(settings, {
                lead,
                hot,
                state: repLoadOf(book, []),
                ledger: ledgerRowsOf(book, teams),
                ownerMatch: null,
              }),
            );
            const fresh = routeLead(
              input(settings, {
                lead,
                hot,
                state: emptyLoad({ openOffers: { ...truth.open }, offersToday: { ...truth.today } }),
                ledger: truth.ledger.list(),
                ownerMatch: null,
              }),
            );
            expect(fromBook.decision).toEqual(fresh.decision);
            expect(fromBook.rotation).toEqual(fresh.rotation);
            if (fromBook.decision.kind !== 'offer') continue;
            expect(ledgerVersionsFor(book, fromBook.rotation)).toEqual([{ teamId: 'team', version: 3 + truth.writes }]);
            recordOffer(book, fromBook.decision.repId, fromBook.rotation);
            const rep = fresh.decision.kind === 'offer' ? fresh.decision.repId : '';
            truth.open[rep] = (truth.open[rep] ?? 0) + 1;
            truth.today[rep] = (truth.today[rep] ?? 0) + 1;
            truth.ledger.apply(fresh.rotation);
            truth.writes += 1;
          }
          expect(book.ledgers.team?.version).toBe(3 + truth.writes);
          expect(book.openOffers).toEqual(truth.open);
        },
      ),
      { numRuns: 200 },
    );
  });
});
