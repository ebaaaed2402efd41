// planOffer over the in-memory store and a fake Crm: state gathering, owner match, ledger round trip.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { planOffer, type PlannedRoute, type RoutingAppSettings } from '../../src/app/route-handoff.js';
import { emailDomain } from '../../src/domain/conditions.js';
import { isFreeEmailDomain } from '../../src/domain/free-email-domains.js';
import type { Handoff, Lead } from '../../src/domain/model.js';
import type { Crm, OwnerMatch } from '../../src/ports/crm.js';
import type { Store } from '../../src/ports/store.js';
import { createMemoryStore, openStore } from '../../src/store/index.js';
import { NOW, SLA, makeLead, makeRep, makeTeam } from '../helpers/routing-builders.js';

/** A Crm with contacts' owners by email and companies' owners by domain; only findOwnerMatch is real. */
function fakeCrm(opts: {
  contacts?: Record<string, string>;
  companies?: Record<string, string>;
  honourFreeMail?: boolean;
  fail?: Error;
}): Crm & { calls: number } {
  const crm = {
    kind: 'hubspot' as const,
    calls: 0,
    async resolveOwnerId() {
      return null;
    },
    async findOwnerMatch(lead: Lead, o: { skipFreeEmailDomains: boolean }): Promise<OwnerMatch | null> {
      crm.calls += 1;
      if (opts.fail) throw opts.fail;
      const contactOwner = lead.email ? opts.contacts?.[lead.email] : undefined;
      if (contactOwner) return { ownerId: contactOwner, via: 'contact', detail: `contact ${lead.email}` };
      const domain = emailDomain(lead.email);
      if (!domain) return null;
      if (opts.honourFreeMail !== false && o.skipFreeEmailDomains && isFreeEmailDomain(domain)) return null;
      const companyOwner = opts.companies?.[domain];
      return companyOwner ? { ownerId: companyOwner, via: 'company', detail: `company ${domain}` } : null;
    },
    async update() {
      return [];
    },
    async addNotes() {
      return [];
    },
  };
  return crm;
}

const settings = (): RoutingAppSettings => ({
  reps: [
    makeRep('alice', { crmOwnerId: '101', capacity: { open: 2, perDay: 3 } }),
    makeRep('bruno', { crmOwnerId: '102' }),
    makeRep('carla'),
    makeRep('olga', { crmOwnerId: '109', active: false }),
  ],
  teams: [makeTeam('emea', ['alice', 'bruno']), makeTeam('global', ['carla'])],
  routing: {
    ownerMatch: { enabled: true, skipFreeEmailDomains: true },
    rules: [{ name: 'EMEA', when: { kind: 'compare', field: 'country', op: 'eq', value: 'DE' }, team: 'emea' }],
    fallback: { team: 'global' },
  },
  sla: SLA,
  hot: null,
});

let store: Store;
let seq = 0;
const clock = { now: () => NOW };

async function newHandoff(lead: Partial<Lead> = {}): Promise<{ handoff: Handoff; lead: Lead }> {
  seq += 1;
  const l = makeLead({ externalId: `c-${seq}`, fields: { country: 'DE' }, ...lead });
  const r = await store.ingest({ lead: l, hot: false, imported: false }, NOW);
  return { handoff: r.handoff, lead: l };
}

async function offer(handoff: Handoff, plan: PlannedRoute): Promise<Handoff> {
  if (plan.kind !== 'offer') throw new Error(`unroutable: ${plan.why}`);
  const r = await store.applyChange(
    {
      handoffId: handoff.id,
      action: 'offer',
      expectVersion: handoff.version,
      set: {
        repId: plan.repId,
        teamId: plan.teamId,
        offerCount: handoff.offerCount + 1,
        dueAt: plan.dueAt,
      },
      insertOffers: [
        {
          repId: plan.repId,
          seq: handoff.offerCount + 1,
          state: 'open',
          offeredAt: NOW,
          dueAt: plan.dueAt,
          remindAt: plan.remindAt,
          ownerMatch: plan.ownerMatch,
          trace: plan.trace,
        },
      ],
      events: [{ type: 'offered', actor: null }],
      rotation: plan.rotation,
      expectLedger: plan.expectLedger ?? [],
    },
    NOW,
  );
  if (!r.ok) throw new Error('conflict');
  return r.handoff;
}

beforeEach(() => {
  store = createMemoryStore();
});

describe('planOffer', () => {
  it('rotates through the team and keeps the ledger in the store', async () => {
    const route = planOffer({ store, settings: settings(), clock });
    const got: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { handoff, lead } = await newHandoff();
      const plan = await route(handoff, lead);
      if (plan.kind === 'offer') got.push(plan.repId);
      await offer(handoff, plan);
      // each offer is decided at once so capacity does not interfere
      const offers = await store.listOffers(handoff.id);
      const h = (await store.getHandoff(handoff.id))!;
      await store.applyChange(
        {
          handoffId: h.id,
          action: 'accept',
          expectVersion: h.version,
          set: {},
          updateOffers: [{ id: offers[0]!.id, expectState: 'open', set: { state: 'accepted', decidedAt: NOW } }],
          events: [],
        },
        NOW,
      );
    }
    // alice's perDay is 3: the seventh lead goes to bruno out of turn
    expect(got).toEqual(['alice', 'bruno', 'alice', 'bruno', 'alice', 'bruno', 'bruno']);
    const ledger = await store.getRotation('emea');
    expect(ledger.map((e) => [e.repId, e.served]).sort()).toEqual([
      ['alice', 3],
      ['bruno', 4],
    ]);
  });

  it('reads open offers, offers today and statuses from the store, and skips reps already offered', async () => {
    const route = planOffer({ store, settings: settings(), clock });
    // alice gets two open offers: at her open capacity
    for (let i = 0; i < 2; i++) {
      const { handoff } = await newHandoff();
      const direct = {
        kind: 'offer',
        repId: 'alice',
        teamId: 'emea',
        dueAt: NOW + 1,
        remindAt: null,
        ownerMatch: false,
        trace: {},
        rotation: [],
      };
      await offer(handoff, direct as unknown as PlannedRoute);
    }
    const { handoff, lead } = await newHandoff();
    const plan = await route(handoff, lead);
    expect(plan.kind === 'offer' && plan.repId).toBe('bruno');
    expect(plan.trace.teams[0]!.candidates[0]).toMatchObject({
      repId: 'alice',
      skip: 'at_capacity_open',
      openOffers: 2,
      offersToday: 2,
    });

    const offered = await offer(handoff, plan);
    await store.setRepStatus('carla', { awayUntil: null, since: NOW - 1, note: 'vacation' });
    const again = await route(offered, lead);
    expect(again.kind).toBe('unroutable');
    expect(again.trace.teams.map((t) => t.candidates.map((c) => c.skip))).toEqual([
      ['at_capacity_open', 'already_offered'],
      ['away'],
    ]);
  });

  it('offers to an active account owner without using a rotation turn', async () => {
    const crm = fakeCrm({ companies: { 'acme.io': '102' } });
    const route = planOffer({ store, crm, settings: settings(), clock });
    const { handoff, lead } = await newHandoff({ email: 'ceo@acme.io' });
    const plan = await route(handoff, lead);
    expect(plan).toMatchObject({ kind: 'offer', repId: 'bruno', ownerMatch: true, rotation: [] });
    expect(plan.kind === 'offer' && plan.why).toEqual({
      rule: null,
      team: 'emea',
      strategy: null,
      ownerMatch: 'you own the company (company acme.io)',
    });
    expect(crm.calls).toBe(1);
  });

  it('maps an owner through the identities table when the rep has no crmOwnerId in config', async () => {
    await store.setIdentity('carla', 'crm', '555', NOW);
    const route = planOffer({
      store,
      crm: fakeCrm({ contacts: { 'jane@acme.io': '555' } }),
      settings: settings(),
      clock,
    });
    const { handoff, lead } = await newHandoff();
    const plan = await route(handoff, lead);
    expect(plan).toMatchObject({ kind: 'offer', repId: 'carla', ownerMatch: true, teamId: 'global' });
  });

  it('falls to the rules when the owner is inactive or not one of our reps', async () => {
    const route = planOffer({
      store,
      crm: fakeCrm({ companies: { 'acme.io': '109', 'other.io': '999' } }),
      settings: settings(),
      clock,
    });
    const a = await newHandoff({ email: 'x@acme.io' });
    const inactive = await route(a.handoff, a.lead);
    expect(inactive).toMatchObject({ kind: 'offer', repId: 'alice', ownerMatch: false });
    expect(inactive.trace.ownerMatch).toMatchObject({ status: 'ineligible', repId: 'olga', skip: 'inactive' });
    const b = await newHandoff({ email: 'x@other.io' });
    const stranger = await route(b.handoff, b.lead);
    expect(stranger.trace.ownerMatch).toMatchObject({ status: 'not_a_rep', ownerId: '999' });
  });

  it('skips the company match of a free-mail domain, even when the CRM adapter returns one', async () => {
    for (const honourFreeMail of [true, false]) {
      const route = planOffer({
        store,
        crm: fakeCrm({ companies: { 'gmail.com': '102' }, honourFreeMail }),
        settings: settings(),
        clock,
      });
      const { handoff, lead } = await newHandoff({ email: 'someone@gmail.com' });
      const plan = await route(handoff, lead);
      expect(plan).toMatchObject({ kind: 'offer', repId: 'alice', ownerMatch: false });
      expect(plan.trace.ownerMatch.status).toBe(honourFreeMail ? 'none' : 'skipped');
    }
    const s = settings();
    s.routing.ownerMatch.skipFreeEmailDomains = false;
    const route = planOffer({ store, crm: fakeCrm({ companies: { 'gmail.com': '102' } }), settings: s, clock });
    const { handoff, lead } = await newHandoff({ email: 'someone@gmail.com' });
    expect(await route(handoff, lead)).toMatchObject({ kind: 'offer', repId: 'bruno', ownerMatch: true });
  });

  it('routes by the rules when the CRM lookup fails, or there is no CRM', async () => {
    const failing = planOffer({ store, crm: fakeCrm({ fail: new Error('HubSpot 503') }), settings: settings(), clock });
    const { handoff, lead } = await newHandoff();
    const plan = await failing(handoff, lead);
    expect(plan).toMatchObject({ kind: 'offer', repId: 'alice' });
    expect(plan.trace.ownerMatch).toEqual({ status: 'skipped', reason: 'CRM lookup failed: HubSpot 503' });
    const none = await planOffer({ store, settings: settings(), clock })(handoff, lead);
    expect(none.trace.ownerMatch).toEqual({ status: 'skipped', reason: 'no CRM connected' });
  });

  it('uses the hand-off hot flag and the time it is given', async () => {
    const s = settings();
    s.hot = { when: { kind: 'compare', field: 'score', op: 'gte', value: 90 }, acceptWithin: 300_000 };
    const route = planOffer({ store, settings: s, clock });
    const { handoff, lead } = await newHandoff();
    const plan = await route({ ...handoff, hot: true }, lead, NOW + 1000);
    expect(plan).toMatchObject({ kind: 'offer', dueAt: NOW + 1000 + 300_000 });
    expect(plan.decision).toMatchObject({ priority: 'hot', offeredAt: NOW + 1000 });
  });
});

describe('planOffer over SQLite', () => {
  it('keeps the rotation across a restart and a config edit', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'handoff-ledger-'));
    const url = `sqlite:${path.join(dir, 'ledger.db')}`;
    const s = settings();
    s.reps = s.reps.map((r) => ({ ...r, capacity: {} }));
    s.teams = [makeTeam('emea', ['alice', 'bruno', 'carla'])];
    const got: string[] = [];
    const routeSome = async (n: number, cfg: RoutingAppSettings) => {
      const sql = await openStore(url);
      try {
        await sql.migrate();
        store = sql;
        const route = planOffer({ store: sql, settings: cfg, clock });
        for (let i = 0; i < n; i++) {
          const { handoff, lead } = await newHandoff();
          const plan = await route(handoff, lead);
          await offer(handoff, plan);
          if (plan.kind === 'offer') got.push(plan.repId);
        }
      } finally {
        await sql.close();
      }
    };
    try {
      await routeSome(4, s);
      await routeSome(2, s); // a restart: the ledger comes back from the file
      expect(got).toEqual(['alice', 'bruno', 'carla', 'alice', 'bruno', 'carla']);
      // bruno leaves the team, dave joins: dave starts fair (next turn, not a burst), alice and carla keep their order
      s.reps.push(makeRep('dave'));
      s.teams = [makeTeam('emea', ['alice', 'carla', 'dave'])];
      await routeSome(6, s);
      expect(got.slice(6)).toEqual(['dave', 'alice', 'carla', 'dave', 'alice', 'carla']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
