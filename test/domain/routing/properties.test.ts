// Property-based tests of the routing engine (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Rep, Team } from '../../../src/domain/model.js';
import { routeLead, type RepLoad, type RoutingConfig } from '../../../src/domain/routing/index.js';
import {
  Ledger,
  NOW,
  emptyLoad,
  hours,
  input,
  makeConfig,
  makeLead,
  makeRep,
  makeTeam,
} from '../../helpers/routing-builders.js';

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'];
const OFFICE = hours('Mon-Fri 09:00-17:30');

/** Local date of an instant in a zone, computed independently of the engine. */
function localDateOf(at: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
/** Whether an instant is inside Mon-Fri 09:00-17:30 in the zone, computed independently. */
function inOffice(at: number, timeZone: string): boolean {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  const minutes = Number(get('hour')) * 60 + Number(get('minute'));
  return !['Sat', 'Sun'].includes(get('weekday')) && minutes >= 540 && minutes < 1050;
}

interface World {
  cfg: RoutingConfig;
  state: RepLoad;
  now: number;
  hot: boolean;
}

const repArb = (id: string) =>
  fc
    .record({
      active: fc.boolean(),
      timezone: fc.constantFrom(...ZONES),
      office: fc.boolean(),
      weight: fc.integer({ min: 1, max: 4 }),
      open: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      perDay: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      away: fc.option(fc.integer({ min: -3, max: 3 }), { nil: undefined }),
      status: fc.option(fc.integer({ min: -2, max: 2 }), { nil: undefined }),
      openNow: fc.integer({ min: 0, max: 4 }),
      todayNow: fc.integer({ min: 0, max: 4 }),
    })
    .map((x) => ({ id, ...x }));

const worldArb: fc.Arbitrary<World> = fc
  .record({
    reps: fc.tuple(...['r0', 'r1', 'r2', 'r3', 'r4', 'r5'].map(repArb)),
    teamA: fc.subarray(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'ghost'], { minLength: 0 }),
    teamB: fc.subarray(['r0', 'r1', 'r2', 'r3', 'r4', 'r5'], { minLength: 0 }),
    strategyA: fc.constantFrom<Team['strategy']>('round-robin', 'weighted', 'least-loaded'),
    strategyB: fc.constantFrom<Team['strategy']>('round-robin', 'weighted', 'least-loaded'),
    routeOutsideHours: fc.boolean(),
    hot: fc.boolean(),
    hourOffset: fc.integer({ min: 0, max: 24 * 7 }),
    offered: fc.subarray(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']),
  })
  .map((w) => {
    const now = NOW + w.hourOffset * 3_600_000;
    const day = (n: number) => new Date(now + n * 86_400_000).toISOString().slice(0, 10);
    const reps: Rep[] = w.reps.map((r) =>
      makeRep(r.id, {
        active: r.active,
        timezone: r.timezone,
        hours: r.office ? OFFICE : hours('24/7'),
        weight: r.weight,
        capacity: {
          ...(r.open !== undefined ? { open: r.open } : {}),
          ...(r.perDay !== undefined ? { perDay: r.perDay } : {}),
        },
        away: r.away === undefined ? [] : [{ from: day(r.away - 1), to: day(r.away + 1) }],
      }),
    );
    const cfg = makeConfig({
      reps,
      teams: [makeTeam('a', w.teamA, w.strategyA), makeTeam('global', w.teamB, w.strategyB)],
      rules: [{ name: 'A', when: { kind: 'compare', field: 'country', op: 'eq', value: 'DE' }, team: 'a' }],
    });
    cfg.sla = { ...cfg.sla, routeOutsideHours: w.routeOutsideHours };
    const state = emptyLoad({
      openOffers: Object.fromEntries(w.reps.map((r) => [r.id, r.openNow])),
      offersToday: Object.fromEntries(w.reps.map((r) => [r.id, r.todayNow])),
      statuses: w.reps
        .filter((r) => r.status !== undefined)
        .map((r) => ({
          repId: r.id,
          since: now - 3_600_000,
          awayUntil: r.status === 0 ? null : now + (r.status as number) * 3_600_000,
        })),
      alreadyOffered: w.offered,
    });
    return { cfg, state, now, hot: w.hot };
  });

/** The eligibility rules of the issue, written out independently of the engine. */
function oracleEligible(w: World, repId: string): boolean {
  const rep = w.cfg.reps.find((r) => r.id === repId);
  if (!rep || !rep.active) return false;
  if (w.state.alreadyOffered.includes(repId)) return false;
  const today = localDateOf(w.now, rep.timezone);
  if (rep.away.some((a) => a.from <= today && today <= a.to)) return false;
  const st = w.state.statuses.find((s) => s.repId === repId);
  if (st && st.since <= w.now && (st.awayUntil === null || st.awayUntil > w.now)) return false;
  if (!w.cfg.sla.routeOutsideHours && rep.hours === OFFICE && !inOffice(w.now, rep.timezone)) return false;
  const open = w.state.openOffers[repId] ?? 0;
  if (rep.capacity.open !== undefined && open >= rep.capacity.open) return false;
  const today_ = w.state.offersToday[repId] ?? 0;
  if (!w.hot && rep.capacity.perDay !== undefined && today_ >= rep.capacity.perDay) return false;
  return true;
}

describe('routing properties', () => {
  it('never offers to an ineligible rep, and is unroutable only when no candidate is eligible', () => {
    fc.assert(
      fc.property(worldArb, fc.constantFrom('DE', 'US'), (w, country) => {
        const r = routeLead(
          input(w.cfg, { lead: makeLead({ fields: { country } }), now: w.now, hot: w.hot, state: w.state }),
        );
        const teams = country === 'DE' ? ['a', 'global'] : ['global'];
        const candidates = w.cfg.teams.filter((t) => teams.includes(t.id)).flatMap((t) => t.members);
        if (r.decision.kind === 'offer') {
          expect(oracleEligible(w, r.decision.repId)).toBe(true);
          expect(candidates).toContain(r.decision.repId);
          // the trace agrees with the oracle for every candidate it lists
          for (const t of r.trace.teams)
            for (const c of t.candidates) expect(c.eligible).toBe(oracleEligible(w, c.repId));
        } else {
          expect(candidates.filter((id) => oracleEligible(w, id))).toEqual([]);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('never offers a hand-off twice to the same rep', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const offeredTo: string[] = [];
        const ledger = new Ledger();
        for (let step = 0; step < 20; step++) {
          const state = { ...w.state, alreadyOffered: [...offeredTo] };
          const r = routeLead(
            input(w.cfg, {
              lead: makeLead({ fields: { country: 'DE' } }),
              now: w.now + step * 60_000,
              hot: w.hot,
              state,
              ledger: ledger.list(),
            }),
          );
          if (r.decision.kind === 'unroutable') break;
          expect(offeredTo).not.toContain(r.decision.repId);
          offeredTo.push(r.decision.repId);
          ledger.apply(r.rotation);
        }
        expect(new Set(offeredTo).size).toBe(offeredTo.length);
      }),
      { numRuns: 200 },
    );
  });

  it('weighted rotation over 10,000 leads stays within ±2% of the weights', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 5 }), (weights) => {
        const reps = weights.map((w, i) => makeRep(`r${i}`, { weight: w }));
        const cfg = makeConfig({
          reps,
          teams: [
            makeTeam(
              'global',
              reps.map((r) => r.id),
              'weighted',
            ),
          ],
        });
        const ledger = new Ledger();
        const counts = new Map<string, number>();
        for (let i = 0; i < 10_000; i++) {
          const r = routeLead(input(cfg, { ledger: ledger.list() }));
          if (r.decision.kind !== 'offer') throw new Error('unroutable');
          ledger.apply(r.rotation);
          counts.set(r.decision.repId, (counts.get(r.decision.repId) ?? 0) + 1);
        }
        const total = weights.reduce((a, b) => a + b, 0);
        weights.forEach((w, i) => {
          expect(Math.abs((counts.get(`r${i}`) ?? 0) / 10_000 - w / total)).toBeLessThanOrEqual(0.02);
        });
      }),
      { numRuns: 8 },
    );
  });

  it('round-robin counts differ by at most 1 among always-eligible reps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 300 }),
        (steady, availability) => {
          // reps s0..s(steady-1) are always eligible; f0..f2 come and go (away in Slack)
          const reps = [
            ...Array.from({ length: steady }, (_, i) => makeRep(`s${i}`)),
            makeRep('f0'),
            makeRep('f1'),
            makeRep('f2'),
          ];
          const members = ['f0', ...reps.slice(0, steady).map((r) => r.id), 'f1', 'f2'];
          const cfg = makeConfig({ reps, teams: [makeTeam('global', members)] });
          const ledger = new Ledger();
          const counts = new Map<string, number>();
          availability.forEach((avail, i) => {
            const statuses = avail.flatMap((up, k) =>
              up ? [] : [{ repId: `f${k}`, awayUntil: null, since: NOW - 1 }],
            );
            const r = routeLead(input(cfg, { ledger: ledger.list(), now: NOW + i, state: emptyLoad({ statuses }) }));
            if (r.decision.kind !== 'offer') throw new Error('unroutable');
            ledger.apply(r.rotation);
            counts.set(r.decision.repId, (counts.get(r.decision.repId) ?? 0) + 1);
          });
          const steadyCounts = reps.slice(0, steady).map((r) => counts.get(r.id) ?? 0);
          expect(Math.max(...steadyCounts) - Math.min(...steadyCounts)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('survives a config edit: a new rep gets a fair start, removing a rep leaves the others alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 500 }),
        fc.constantFrom<Team['strategy']>('round-robin', 'weighted'),
        (weights, newWeight, warmup, strategy) => {
          const reps = weights.map((w, i) => makeRep(`r${i}`, { weight: w }));
          const ledger = new Ledger();
          const run = (cfg: RoutingConfig, n: number) => {
            const got: string[] = [];
            for (let i = 0; i < n; i++) {
              const r = routeLead(input(cfg, { ledger: ledger.list() }));
              if (r.decision.kind !== 'offer') throw new Error('unroutable');
              ledger.apply(r.rotation);
              got.push(r.decision.repId);
            }
            return got;
          };
          const before = makeConfig({
            reps,
            teams: [
              makeTeam(
                'global',
                reps.map((r) => r.id),
                strategy,
              ),
            ],
          });
          run(before, warmup);

          // add a rep: no burst, and a fair share over the next leads
          const newcomer = makeRep('new', { weight: newWeight });
          const added = makeConfig({
            reps: [...reps, newcomer],
            teams: [makeTeam('global', [...reps.map((r) => r.id), 'new'], strategy)],
          });
          const eff = (w: number) => (strategy === 'weighted' ? w : 1);
          const total = weights.reduce((a, w) => a + eff(w), 0) + eff(newWeight);
          const share = eff(newWeight) / total;
          const next = run(added, 2_000);
          for (const window of [5, 10, 20, 50]) {
            const got = next.slice(0, window).filter((x) => x === 'new').length;
            expect(got).toBeLessThanOrEqual(Math.ceil(window * share) + 1);
          }
          const n = next.filter((x) => x === 'new').length;
          expect(Math.abs(n / next.length - share)).toBeLessThanOrEqual(0.02);

          // remove r0: the others' ledger rows are untouched by the edit itself
          const kept = reps.slice(1);
          const rowsBefore = kept.map((r) => ledger.get('global', r.id));
          const removed = makeConfig({
            reps: [...kept, newcomer],
            teams: [makeTeam('global', [...kept.map((r) => r.id), 'new'], strategy)],
          });
          const first = routeLead(input(removed, { ledger: ledger.list() }));
          expect(first.rotation).toHaveLength(1);
          kept.forEach((r, i) => {
            if (r.id !== first.rotation[0]!.repId) expect(ledger.get('global', r.id)).toEqual(rowsBefore[i]);
          });
          ledger.apply(first.rotation);
          const after = run(removed, 2_000);
          const total2 = kept.reduce((a, r) => a + eff(r.weight), 0) + eff(newWeight);
          for (const r of [...kept, newcomer]) {
            const got = after.filter((x) => x === r.id).length / after.length;
            expect(Math.abs(got - eff(r.weight) / total2)).toBeLessThanOrEqual(0.02);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('does not flood a rep returning from a long absence', () => {
    const reps = ['a', 'b', 'c', 'd'].map((id) => makeRep(id));
    const cfg = makeConfig({ reps, teams: [makeTeam('global', ['a', 'b', 'c', 'd'])] });
    const ledger = new Ledger();
    const away = [{ repId: 'd', awayUntil: null, since: NOW - 1 }];
    for (let i = 0; i < 300; i++) {
      const r = routeLead(input(cfg, { ledger: ledger.list(), state: emptyLoad({ statuses: away }) }));
      expect(r.decision.kind === 'offer' && r.decision.repId).not.toBe('d');
      ledger.apply(r.rotation);
    }
    const got: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = routeLead(input(cfg, { ledger: ledger.list() }));
      ledger.apply(r.rotation);
      got.push(r.decision.kind === 'offer' ? r.decision.repId : '-');
    }
    expect(got.filter((x) => x === 'd')).toHaveLength(3);
    expect(got[0]).toBe('d');
    expect(got.slice(0, 4).sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});
