import { describe, expect, it } from 'vitest';
import type { Condition, Rep } from '../../../src/domain/model.js';
import {
  candidateTeams,
  detectHot,
  routeLead,
  whyYou,
  type RoutingConfig,
  type RoutingDecision,
  type RoutingResult,
} from '../../../src/domain/routing/index.js';
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

const inCountries = (...c: string[]): Condition => ({ kind: 'compare', field: 'country', op: 'in', value: c });
const bigCompany: Condition = { kind: 'compare', field: 'employees', op: 'gte', value: 1000 };

function offered(r: RoutingResult): Extract<RoutingDecision, { kind: 'offer' }> {
  if (r.decision.kind !== 'offer') throw new Error(`expected an offer, got unroutable: ${r.decision.reason}`);
  return r.decision;
}

function baseConfig(reps: Rep[] = []): RoutingConfig {
  return makeConfig({
    reps: [makeRep('alice'), makeRep('bruno'), makeRep('erin'), makeRep('gus'), makeRep('gail'), ...reps],
    teams: [
      makeTeam('enterprise', ['erin']),
      makeTeam('emea', ['alice', 'bruno']),
      makeTeam('global', ['gus', 'gail']),
    ],
    rules: [
      { name: 'Enterprise', when: bigCompany, team: 'enterprise' },
      { name: 'EMEA', when: inCountries('DE', 'FR', 'GB'), team: 'emea' },
    ],
  });
}

describe('rules', () => {
  it('takes the first matching rule and records why earlier ones did not match', () => {
    const r = routeLead(input(baseConfig(), { lead: makeLead({ fields: { country: 'DE', employees: 40 } }) }));
    const d = offered(r);
    expect(d).toMatchObject({ repId: 'alice', teamId: 'emea', via: 'rule', rule: 'EMEA', strategy: 'round-robin' });
    expect(r.trace.rules).toEqual([
      { name: 'Enterprise', team: 'enterprise', matched: false, detail: 'employees 40 ≥ 1000' },
      { name: 'EMEA', team: 'emea', matched: true, detail: 'country "DE" in ["DE", "FR", "GB"]' },
    ]);
    expect(r.trace.ruleMatched).toBe('EMEA');
    expect(r.rotation).toEqual([
      expect.objectContaining({ teamId: 'emea', repId: 'alice', served: 1, lastServedAt: NOW }),
    ]);
  });

  it('does not look past the first match even when a later rule would also match', () => {
    const r = routeLead(input(baseConfig(), { lead: makeLead({ fields: { country: 'DE', employees: 5000 } }) }));
    expect(offered(r)).toMatchObject({ repId: 'erin', rule: 'Enterprise' });
    expect(r.trace.rules).toHaveLength(1);
  });

  it('uses the fallback team when no rule matches', () => {
    const r = routeLead(input(baseConfig(), { lead: makeLead({ fields: { country: 'US' } }) }));
    expect(offered(r)).toMatchObject({ repId: 'gus', teamId: 'global', via: 'fallback', rule: null });
    expect(whyYou(r.trace)).toEqual({
      rule: 'fallback (no rule matched)',
      team: 'global',
      strategy: 'round-robin',
      ownerMatch: null,
    });
    expect(candidateTeams(makeLead({ fields: { country: 'FR' } }), false, baseConfig().routing)).toEqual([
      'emea',
      'global',
    ]);
  });
});

describe('all reps away', () => {
  it('falls to the fallback team, then is unroutable with every skip recorded', () => {
    const cfg = baseConfig();
    cfg.reps = cfg.reps.map((r) =>
      r.id === 'alice' || r.id === 'bruno' ? { ...r, away: [{ from: '2026-11-20', to: '2026-11-30' }] } : r,
    );
    const lead = makeLead({ fields: { country: 'GB' } });
    const first = routeLead(input(cfg, { lead }));
    expect(offered(first)).toMatchObject({ teamId: 'global', via: 'fallback', repId: 'gus' });
    const emea = first.trace.teams[0]!;
    expect(emea).toMatchObject({ teamId: 'emea', via: 'rule', chosen: null, why: 'no eligible rep (away ×2)' });
    expect(emea.candidates.map((c) => [c.repId, c.skip])).toEqual([
      ['alice', 'away'],
      ['bruno', 'away'],
    ]);
    expect(emea.candidates[0]!.detail).toContain('2026-11-20 to 2026-11-30');
    expect(whyYou(first.trace).rule).toBe('fallback (team of rule "EMEA" had no eligible rep)');

    // the fallback team is away too: one in config, one through a Slack status
    cfg.reps = cfg.reps.map((r) => (r.id === 'gus' ? { ...r, away: [{ from: '2026-11-25', to: '2026-11-25' }] } : r));
    const state = emptyLoad({ statuses: [{ repId: 'gail', awayUntil: null, since: NOW - 3_600_000 }] });
    const second = routeLead(input(cfg, { lead, state }));
    expect(second.decision.kind).toBe('unroutable');
    expect(second.rotation).toEqual([]);
    expect(second.trace.outcome).toBe('unroutable');
    expect(second.trace.teams.map((t) => t.teamId)).toEqual(['emea', 'global']);
    expect(second.trace.teams[1]!.candidates.map((c) => c.skip)).toEqual(['away', 'away']);
    expect(second.trace.teams[1]!.candidates[1]!.detail).toContain('set in Slack');
    expect(second.decision).toEqual({
      kind: 'unroutable',
      reason: 'rule "EMEA" → team emea: no eligible rep (away ×2); fallback → team global: no eligible rep (away ×2)',
    });
  });

  it('is unroutable with no rule match and no fallback', () => {
    const cfg = baseConfig();
    cfg.routing.fallback = null;
    const r = routeLead(input(cfg, { lead: makeLead({ fields: { country: 'US' } }) }));
    expect(r.decision).toEqual({ kind: 'unroutable', reason: 'no rule matched; no fallback team' });
  });

  it('reads away ranges in the rep time zone', () => {
    // 23:30 UTC on 24 Nov is already 25 Nov in Berlin
    const cfg = baseConfig();
    cfg.reps = cfg.reps.map((r) =>
      r.id === 'alice' ? { ...r, timezone: 'Europe/Berlin', away: [{ from: '2026-11-25', to: '2026-11-26' }] } : r,
    );
    const r = routeLead(
      input(cfg, { lead: makeLead({ fields: { country: 'DE' } }), now: Date.UTC(2026, 10, 24, 23, 30) }),
    );
    expect(offered(r).repId).toBe('bruno');
    expect(r.trace.teams[0]!.candidates[0]!.skip).toBe('away');
  });

  it('counts a Slack away status only while it lasts', () => {
    const cfg = baseConfig();
    const lead = makeLead({ fields: { country: 'DE' } });
    const ended = emptyLoad({ statuses: [{ repId: 'alice', awayUntil: NOW - 1, since: NOW - 86_400_000 }] });
    expect(offered(routeLead(input(cfg, { lead, state: ended }))).repId).toBe('alice');
    const running = emptyLoad({ statuses: [{ repId: 'alice', awayUntil: NOW + 1, since: NOW - 86_400_000 }] });
    expect(offered(routeLead(input(cfg, { lead, state: running }))).repId).toBe('bruno');
  });
});

describe('capacity', () => {
  it('skips a rep who reaches the daily capacity mid-day', () => {
    const cfg = baseConfig();
    cfg.reps = cfg.reps.map((r) => (r.id === 'alice' ? { ...r, capacity: { perDay: 2 } } : r));
    const lead = makeLead({ fields: { country: 'FR' } });
    const ledger = new Ledger();
    const today: Record<string, number> = {};
    const got: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = routeLead(
        input(cfg, {
          lead,
          now: NOW + i * 60_000,
          ledger: ledger.list(),
          state: emptyLoad({ offersToday: { ...today } }),
        }),
      );
      const d = offered(r);
      got.push(d.repId);
      ledger.apply(r.rotation);
      today[d.repId] = (today[d.repId] ?? 0) + 1;
      if (i === 7) {
        expect(r.trace.teams[0]!.candidates[0]).toMatchObject({
          repId: 'alice',
          skip: 'at_capacity_day',
          offersToday: 2,
          detail: '2 offers today, capacity 2/day',
        });
      }
    }
    expect(got).toEqual(['alice', 'bruno', 'alice', 'bruno', 'bruno', 'bruno', 'bruno', 'bruno']);
  });

  it('skips a rep at open capacity, even for a hot lead', () => {
    const cfg = baseConfig();
    cfg.reps = cfg.reps.map((r) => (r.id === 'alice' ? { ...r, capacity: { open: 3 } } : r));
    const state = emptyLoad({ openOffers: { alice: 3 } });
    for (const hot of [false, true]) {
      const r = routeLead(input(cfg, { lead: makeLead({ fields: { country: 'FR' } }), hot, state }));
      expect(offered(r).repId).toBe('bruno');
      expect(r.trace.teams[0]!.candidates[0]!.skip).toBe('at_capacity_open');
    }
  });

  it('lets a hot lead exceed perDay', () => {
    const cfg = baseConfig();
    cfg.reps = cfg.reps.map((r) => (r.id === 'erin' ? { ...r, capacity: { perDay: 5, open: 10 } } : r));
    const state = emptyLoad({ offersToday: { erin: 5 }, openOffers: { erin: 2 } });
    const lead = makeLead({ fields: { employees: 2000, score: 95 } });
    const cold = routeLead(input(cfg, { lead, hot: false, state }));
    expect(cold.trace.teams[0]!.candidates[0]!.skip).toBe('at_capacity_day');
    expect(offered(cold).teamId).toBe('global');

    const hot = routeLead(input(cfg, { lead, hot: detectHot(lead, cfg.hotLane), state }));
    const d = offered(hot);
    expect(d).toMatchObject({ repId: 'erin', hot: true, priority: 'hot' });
    expect(hot.trace.teams[0]!.candidates[0]!.detail).toBe('5 offers today, over 5/day: allowed for a hot lead');
    expect(d.dueAt).toBe(NOW + 5 * 60_000);
    expect(hot.trace.deadline).toMatchObject({ lane: 'hot', acceptWithin: 300_000 });
  });
});

describe('availability', () => {
  const berlinOffice = hours('Mon-Fri 09:00-17:30');
  // Wednesday 25 Nov 2026, 20:00 UTC = 21:00 in Berlin: after hours
  const evening = Date.UTC(2026, 10, 25, 20, 0);

  it('offers outside working hours by default and starts the clock at the next working minute', () => {
    const cfg = baseConfig();
    cfg.reps = cfg.reps.map((r) => (r.id === 'alice' ? { ...r, timezone: 'Europe/Berlin', hours: berlinOffice } : r));
    const r = routeLead(input(cfg, { lead: makeLead({ fields: { country: 'DE' } }), now: evening }));
    const d = offered(r);
    expect(d.repId).toBe('alice');
    // Thursday 09:00 Berlin = 08:00 UTC, plus 30 minutes; reminder at half of the span
    expect(d.dueAt).toBe(Date.UTC(2026, 10, 26, 8, 30));
    expect(d.remindAt).toBe(evening + Math.round((d.dueAt - evening) / 2));
    expect(r.trace.deadline).toMatchObject({ outsideHours: true, timezone: 'Europe/Berlin', lane: 'normal' });
  });

  it('skips reps outside working hours when routeOutsideHours is false', () => {
    const cfg = baseConfig();
    cfg.sla = { ...cfg.sla, routeOutsideHours: false, remindAt: null };
    cfg.reps = cfg.reps.map((r) => (r.id === 'alice' ? { ...r, timezone: 'Europe/Berlin', hours: berlinOffice } : r));
    const r = routeLead(input(cfg, { lead: makeLead({ fields: { country: 'DE' } }), now: evening }));
    expect(offered(r)).toMatchObject({ repId: 'bruno', dueAt: evening + 30 * 60_000, remindAt: null });
    expect(r.trace.teams[0]!.candidates[0]).toMatchObject({ skip: 'outside_hours' });
  });

  it('skips inactive reps, unknown members and reps already offered this hand-off', () => {
    const cfg = baseConfig();
    cfg.reps = cfg.reps.map((r) => (r.id === 'gus' ? { ...r, active: false } : r));
    cfg.teams = cfg.teams.map((t) => (t.id === 'global' ? { ...t, members: ['ghost', 'gus', 'gail', 'alice'] } : t));
    const state = emptyLoad({ alreadyOffered: ['gail'] });
    const r = routeLead(input(cfg, { lead: makeLead({ fields: { country: 'US' } }), state }));
    expect(offered(r).repId).toBe('alice');
    expect(r.trace.teams[0]!.candidates.map((c) => c.skip)).toEqual([
      'not_member',
      'inactive',
      'already_offered',
      null,
    ]);
  });
});

describe('strategies', () => {
  it('least-loaded picks the fewest open offers and breaks ties by the ledger', () => {
    const cfg = baseConfig();
    cfg.teams = cfg.teams.map((t) =>
      t.id === 'global' ? { ...t, members: ['gus', 'gail', 'alice'], strategy: 'least-loaded' } : t,
    );
    const lead = makeLead({ fields: { country: 'US' } });
    const loaded = routeLead(input(cfg, { lead, state: emptyLoad({ openOffers: { gus: 2, gail: 1, alice: 1 } }) }));
    expect(offered(loaded).repId).toBe('gail');
    const ledger = [
      { teamId: 'global', repId: 'gail', pass: 1_441_440, served: 2, lastServedAt: NOW - 10 },
      { teamId: 'global', repId: 'alice', pass: 720_720, served: 1, lastServedAt: NOW - 20 },
      { teamId: 'global', repId: 'gus', pass: 720_720, served: 1, lastServedAt: NOW - 30 },
    ];
    const tied = routeLead(
      input(cfg, { lead, ledger, state: emptyLoad({ openOffers: { gus: 2, gail: 1, alice: 1 } }) }),
    );
    expect(offered(tied).repId).toBe('alice');
    expect(tied.trace.teams[0]!.floor).toBe(720_720);
  });

  it('weighted follows weights 3:1 in a smooth order', () => {
    const cfg = makeConfig({
      reps: [makeRep('a', { weight: 3 }), makeRep('b', { weight: 1 })],
      teams: [makeTeam('global', ['a', 'b'], 'weighted')],
    });
    const ledger = new Ledger();
    const got: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = routeLead(input(cfg, { ledger: ledger.list() }));
      ledger.apply(r.rotation);
      got.push(offered(r).repId);
    }
    expect(got.filter((x) => x === 'a')).toHaveLength(6);
    expect(got.join('')).not.toMatch(/aaaa/);
  });
});

describe('owner match', () => {
  const lead = makeLead({ fields: { country: 'DE' } });

  it('offers to an active owner first without consuming a rotation turn', () => {
    const cfg = baseConfig();
    const r = routeLead(
      input(cfg, { lead, ownerMatch: { repId: 'gail', ownerId: '77', via: 'company', detail: 'Acme (acme.io)' } }),
    );
    expect(offered(r)).toMatchObject({ repId: 'gail', via: 'owner', ownerMatch: true, teamId: 'global', rule: null });
    expect(r.rotation).toEqual([]);
    expect(r.trace.rules).toEqual([]);
    expect(r.trace.ownerMatch).toEqual({ status: 'matched', repId: 'gail', via: 'company', detail: 'Acme (acme.io)' });
    expect(whyYou(r.trace)).toEqual({
      rule: null,
      team: 'global',
      strategy: null,
      ownerMatch: 'you own the company (Acme (acme.io))',
    });
  });

  it('falls to the rules when the owner is inactive', () => {
    const cfg = baseConfig();
    cfg.reps = cfg.reps.map((r) => (r.id === 'gail' ? { ...r, active: false } : r));
    const r = routeLead(input(cfg, { lead, ownerMatch: { repId: 'gail', via: 'contact', detail: 'contact owner' } }));
    expect(offered(r)).toMatchObject({ repId: 'alice', via: 'rule', ownerMatch: false });
    expect(r.trace.ownerMatch).toMatchObject({ status: 'ineligible', repId: 'gail', skip: 'inactive' });
    expect(r.rotation).toHaveLength(1);
  });

  it('falls to the rules when the owner was already offered, is not a rep, or the lookup was skipped', () => {
    const cfg = baseConfig();
    const again = routeLead(
      input(cfg, {
        lead,
        state: emptyLoad({ alreadyOffered: ['gail'] }),
        ownerMatch: { repId: 'gail', via: 'contact', detail: '' },
      }),
    );
    expect(again.trace.ownerMatch).toMatchObject({ status: 'ineligible', skip: 'already_offered' });
    expect(offered(again).repId).toBe('alice');
    const stranger = routeLead(
      input(cfg, { lead, ownerMatch: { repId: null, ownerId: '999', via: 'contact', detail: 'owner 999' } }),
    );
    expect(stranger.trace.ownerMatch).toEqual({
      status: 'not_a_rep',
      ownerId: '999',
      via: 'contact',
      detail: 'owner 999',
    });
    const skipped = routeLead(input(cfg, { lead, ownerMatchSkipped: 'dry run' }));
    expect(skipped.trace.ownerMatch).toEqual({ status: 'skipped', reason: 'dry run' });
    cfg.routing.ownerMatch.enabled = false;
    const off = routeLead(input(cfg, { lead, ownerMatch: { repId: 'gail', via: 'contact', detail: '' } }));
    expect(off.trace.ownerMatch).toEqual({ status: 'disabled' });
    expect(offered(off).repId).toBe('alice');
  });
});

describe('trace', () => {
  it('is plain JSON', () => {
    const cfg = baseConfig();
    const r = routeLead(
      input(cfg, { lead: makeLead({ fields: { country: 'GB' } }), state: emptyLoad({ openOffers: { alice: 1 } }) }),
    );
    expect(JSON.parse(JSON.stringify(r.trace))).toEqual(r.trace);
    expect(r.trace.teams[0]!.candidates[0]).toEqual({
      repId: 'alice',
      eligible: true,
      skip: null,
      detail: 'eligible',
      openOffers: 1,
      offersToday: 0,
      storedPass: null,
      pass: 0,
      served: 0,
    });
    expect(r.trace.chosen).toEqual({
      repId: 'alice',
      teamId: 'emea',
      via: 'rule',
      rule: 'EMEA',
      strategy: 'round-robin',
    });
    expect(r.trace.deadline).toEqual({
      acceptWithin: 1_800_000,
      lane: 'normal',
      timezone: 'UTC',
      offeredAt: NOW,
      dueAt: NOW + 1_800_000,
      remindAt: NOW + 900_000,
      outsideHours: false,
    });
  });
});
