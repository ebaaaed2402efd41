// The Store contract: one suite, run against the in-memory store, SQLite and Postgres.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HANDOFF_ACTIONS, nextState, type HandoffAction } from '../../src/domain/handoff-machine.js';
import { HANDOFF_STATES, type Handoff, type HandoffState, type Lead, type Offer } from '../../src/domain/model.js';
import type { HandoffChange, NewJob, NewOffer, Store } from '../../src/ports/store.js';
import { makeLead } from '../helpers/builders.js';

export interface StoreHarness {
  /** A fresh, empty, migrated store for one test. */
  open(): Promise<Store>;
  close(store: Store): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const MIN = 60_000;

let seq = 0;
function lead(overrides: Partial<Lead> = {}): Lead {
  seq += 1;
  return makeLead({ externalId: `ext-${seq}`, mqlAt: T0, modifiedAt: T0, ...overrides });
}

function job(key: string, overrides: Partial<NewJob> = {}): NewJob {
  return { kind: 'post_card', payload: { key }, idempotencyKey: key, runAt: T0, ...overrides };
}

function newOffer(repId: string, overrides: Partial<NewOffer> = {}): NewOffer {
  return {
    repId,
    seq: 1,
    state: 'open',
    offeredAt: T0,
    dueAt: T0 + 30 * MIN,
    remindAt: T0 + 15 * MIN,
    ownerMatch: false,
    trace: { rule: 'EMEA', skipped: [{ rep: 'bob', why: 'away' }] },
    ...overrides,
  };
}

export function storeContract(harness: StoreHarness): void {
  let store: Store;

  beforeEach(async () => {
    store = await harness.open();
  });
  afterEach(async () => {
    await harness.close(store);
  });

  async function ingested(overrides: Partial<Lead> = {}, hot = false): Promise<Handoff> {
    const result = await store.ingest({ lead: lead(overrides), hot, imported: false }, T0);
    return result.handoff;
  }

  /** Offers the hand-off to `repId` (detected → offered) and returns the hand-off and its offer. */
  async function offered(
    repId = 'alice',
    offer: Partial<NewOffer> = {},
    leadOverrides: Partial<Lead> = {},
    hot = false,
  ) {
    const h = await ingested(leadOverrides, hot);
    const result = await store.applyChange(
      {
        handoffId: h.id,
        action: 'offer',
        expectVersion: h.version,
        set: { teamId: 'emea', repId, offerCount: 1, dueAt: offer.dueAt ?? T0 + 30 * MIN },
        insertOffers: [newOffer(repId, offer)],
        events: [{ type: 'offered', actor: null, data: { repId } }],
      },
      T0,
    );
    if (!result.ok) throw new Error('offer failed');
    const o = result.offers[0];
    if (o === undefined) throw new Error('no offer returned');
    return { handoff: result.handoff, offer: o };
  }

  function acceptChange(h: Handoff, o: Offer, by: string): HandoffChange {
    return {
      handoffId: h.id,
      action: 'accept',
      expectVersion: h.version,
      set: { decidedAt: T0 + MIN, decidedBy: by, dueAt: null },
      updateOffers: [{ id: o.id, expectState: 'open', set: { state: 'accepted', decidedAt: T0 + MIN } }],
      events: [{ type: 'accepted', actor: by }],
      jobs: [job(`crm-accept:${h.id}`, { kind: 'crm_write' })],
    };
  }

  describe('migrations', () => {
    it('can run again on a migrated store', async () => {
      await store.migrate();
      await store.migrate();
      expect(await store.countJobs('pending')).toBe(0);
    });
  });

  describe('ingest', () => {
    it('creates a hand-off with the lead snapshot and denormalized columns', async () => {
      const l = lead({
        email: 'Jane@Acme.com',
        fields: { channel: 'PAID_SEARCH', campaign: 'q4', score: 91, company: 'Acme' },
      });
      const result = await store.ingest(
        {
          lead: l,
          hot: true,
          imported: false,
          events: [{ type: 'detected', actor: null, data: { score: 91 } }],
          jobs: [job('route:x')],
        },
        T0 + 5,
      );
      expect(result.created).toBe(true);
      const h = result.handoff;
      expect(h).toMatchObject({
        source: 'hubspot',
        externalId: l.externalId,
        mqlAt: T0,
        state: 'detected',
        version: 1,
        hot: true,
        imported: false,
        email: 'Jane@Acme.com',
        channel: 'PAID_SEARCH',
        campaign: 'q4',
        teamId: null,
        repId: null,
        offerCount: 0,
        dueAt: null,
        decidedAt: null,
        createdAt: T0 + 5,
        updatedAt: T0 + 5,
      });
      expect(await store.getHandoff(h.id)).toEqual(h);
      expect(await store.getLead(h.leadId)).toEqual(l);
      const events = await store.listEvents(h.id);
      expect(events).toEqual([
        { id: expect.any(String), handoffId: h.id, at: T0 + 5, type: 'detected', actor: null, data: { score: 91 } },
      ]);
      const jobs = await store.listJobs({ handoffId: h.id });
      expect(jobs.map((j) => [j.idempotencyKey, j.state, j.payload])).toEqual([
        ['route:x', 'pending', { key: 'route:x' }],
      ]);
    });

    it('is idempotent on (source, externalId, mqlAt): no second hand-off, events or jobs', async () => {
      const l = lead();
      const first = await store.ingest(
        { lead: l, hot: false, imported: false, events: [{ type: 'detected', actor: null }], jobs: [job('r1')] },
        T0,
      );
      const again = await store.ingest(
        {
          lead: { ...l, modifiedAt: T0 + MIN },
          hot: false,
          imported: false,
          events: [{ type: 'detected', actor: null }],
          jobs: [job('r2')],
        },
        T0 + MIN,
      );
      expect(again.created).toBe(false);
      expect(again.handoff.id).toBe(first.handoff.id);
      expect(await store.listEvents(first.handoff.id)).toHaveLength(1);
      expect((await store.listJobs({})).map((j) => j.idempotencyKey)).toEqual(['r1']);
    });

    it('keeps one lead per (source, externalId) and the newest snapshot of it', async () => {
      const l = lead({ firstName: 'Old' });
      const a = await store.ingest({ lead: l, hot: false, imported: false }, T0);
      const later = { ...l, mqlAt: T0 + 90 * 24 * 60 * MIN, modifiedAt: T0 + 90 * 24 * 60 * MIN, firstName: 'New' };
      const b = await store.ingest({ lead: later, hot: false, imported: false }, T0 + MIN);
      expect(b.created).toBe(true);
      expect(b.handoff.id).not.toBe(a.handoff.id);
      expect(b.handoff.leadId).toBe(a.handoff.leadId);
      expect((await store.getLead(a.handoff.leadId))?.firstName).toBe('New');
      // An older snapshot (a backfilled episode) does not overwrite the newer one.
      const older = { ...l, mqlAt: T0 - 60 * MIN, modifiedAt: T0 - 60 * MIN, firstName: 'Ancient' };
      const c = await store.ingest({ lead: older, hot: false, imported: true }, T0 + 2 * MIN);
      expect(c.created).toBe(true);
      expect(c.handoff.leadId).toBe(a.handoff.leadId);
      expect((await store.getLead(a.handoff.leadId))?.firstName).toBe('New');
    });

    it('stores imported history with its decided state', async () => {
      const r = await store.ingest(
        {
          lead: lead(),
          hot: false,
          imported: true,
          state: 'rejected',
          decidedAt: T0 + 10,
          reasonId: 'not_icp',
          decidedBy: 'alice',
        },
        T0 + 20,
      );
      expect(r.handoff).toMatchObject({
        state: 'rejected',
        imported: true,
        decidedAt: T0 + 10,
        reasonId: 'not_icp',
        decidedBy: 'alice',
      });
      expect(await store.listOpenHandoffs(10)).toEqual([]);
    });

    it('does not mix up two sources with the same external id', async () => {
      const a = await store.ingest(
        { lead: lead({ externalId: 'same', source: 'hubspot' }), hot: false, imported: false },
        T0,
      );
      const b = await store.ingest(
        { lead: lead({ externalId: 'same', source: 'salesforce' }), hot: false, imported: false },
        T0,
      );
      expect(b.created).toBe(true);
      expect(b.handoff.leadId).not.toBe(a.handoff.leadId);
    });
  });

  describe('applyChange', () => {
    it('sets columns, bumps the version, inserts offers, events, jobs and rotation in one go', async () => {
      const h = await ingested();
      const result = await store.applyChange(
        {
          handoffId: h.id,
          action: 'offer',
          expectVersion: 1,
          set: { teamId: 'emea', repId: 'alice', offerCount: 1, dueAt: T0 + 30 * MIN, hot: true },
          insertOffers: [newOffer('alice', { id: 'offer-fixed-id' })],
          events: [
            { type: 'routed', actor: null, data: { team: 'emea' } },
            { type: 'offered', actor: null, data: { repId: 'alice' } },
          ],
          jobs: [job('post:1', { payload: { offerId: 'offer-fixed-id' } })],
          rotation: [{ teamId: 'emea', repId: 'alice', pass: 1.5, served: 1, lastServedAt: T0 }],
          expectLedger: [{ teamId: 'emea', version: 0 }],
        },
        T0 + 7,
      );
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.handoff).toMatchObject({
        state: 'offered',
        version: 2,
        teamId: 'emea',
        repId: 'alice',
        offerCount: 1,
        dueAt: T0 + 30 * MIN,
        hot: true,
        updatedAt: T0 + 7,
        createdAt: T0,
      });
      expect(result.offers).toEqual([
        {
          id: 'offer-fixed-id',
          handoffId: h.id,
          repId: 'alice',
          seq: 1,
          state: 'open',
          offeredAt: T0,
          dueAt: T0 + 30 * MIN,
          remindAt: T0 + 15 * MIN,
          remindedAt: null,
          decidedAt: null,
          slackChannel: null,
          slackTs: null,
          ownerMatch: false,
          trace: { rule: 'EMEA', skipped: [{ rep: 'bob', why: 'away' }] },
        },
      ]);
      expect(await store.getHandoff(h.id)).toEqual(result.handoff);
      expect(await store.getOffer('offer-fixed-id')).toEqual(result.offers[0]);
      expect((await store.listEvents(h.id)).map((e) => [e.type, e.at])).toEqual([
        ['routed', T0 + 7],
        ['offered', T0 + 7],
      ]);
      const [j] = await store.listJobs({ handoffId: h.id });
      expect(j).toMatchObject({
        idempotencyKey: 'post:1',
        handoffId: h.id,
        payload: { offerId: 'offer-fixed-id' },
        state: 'pending',
        attempts: 0,
      });
      expect(await store.getRotation('emea')).toEqual([
        { teamId: 'emea', repId: 'alice', pass: 1.5, served: 1, lastServedAt: T0 },
      ]);
    });

    it('refuses a stale version and returns the current hand-off, writing nothing', async () => {
      const { handoff } = await offered('alice');
      const result = await store.applyChange(
        {
          handoffId: handoff.id,
          action: 'withdraw',
          expectVersion: handoff.version - 1,
          set: {},
          events: [{ type: 'withdrawn', actor: null }],
          jobs: [job('stale-job')],
        },
        T0 + MIN,
      );
      expect(result).toEqual({ ok: false, current: handoff });
      expect((await store.listEvents(handoff.id)).map((e) => e.type)).toEqual(['offered']);
      expect(await store.getJob('stale-job')).toBeNull();
      expect(await store.listJobs({})).toEqual([]);
    });

    it('returns current null for an unknown hand-off', async () => {
      const result = await store.applyChange(
        { handoffId: 'nope', action: 'offer', expectVersion: 1, set: {}, events: [] },
        T0,
      );
      expect(result).toEqual({ ok: false, current: null });
    });

    it('rolls everything back when an offer compare-and-set fails', async () => {
      const { handoff, offer } = await offered('alice');
      await store.putRotation([{ teamId: 'emea', repId: 'bob', pass: 3, served: 2, lastServedAt: T0 }]);
      const result = await store.applyChange(
        {
          handoffId: handoff.id,
          action: 'reoffer',
          expectVersion: handoff.version,
          set: { repId: 'bob', offerCount: 2 },
          insertOffers: [newOffer('bob', { id: 'never', seq: 2 })],
          updateOffers: [{ id: offer.id, expectState: 'escalated', set: { state: 'timed_out' } }],
          events: [{ type: 'reoffered', actor: null }],
          jobs: [job('never-job')],
          rotation: [{ teamId: 'emea', repId: 'bob', pass: 4, served: 3, lastServedAt: T0 + MIN }],
        },
        T0 + MIN,
      );
      expect(result).toEqual({ ok: false, current: handoff });
      expect(await store.getHandoff(handoff.id)).toEqual(handoff);
      expect(await store.getOffer('never')).toBeNull();
      expect(await store.getOffer(offer.id)).toEqual(offer);
      expect((await store.listEvents(handoff.id)).map((e) => e.type)).toEqual(['offered']);
      expect(await store.listJobs({})).toEqual([]);
      expect(await store.getRotation('emea')).toEqual([
        { teamId: 'emea', repId: 'bob', pass: 3, served: 2, lastServedAt: T0 },
      ]);
    });

    it('refuses to update an offer of another hand-off', async () => {
      const a = await offered('alice');
      const b = await offered('bob');
      const result = await store.applyChange(
        {
          handoffId: a.handoff.id,
          action: 'accept',
          expectVersion: a.handoff.version,
          set: {},
          updateOffers: [{ id: b.offer.id, expectState: 'open', set: { state: 'accepted' } }],
          events: [],
        },
        T0,
      );
      expect(result.ok).toBe(false);
      expect((await store.getOffer(b.offer.id))?.state).toBe('open');
    });

    it('re-offers: the old offer times out and a new one opens, both returned', async () => {
      const { handoff, offer } = await offered('alice');
      const result = await store.applyChange(
        {
          handoffId: handoff.id,
          action: 'reoffer',
          expectVersion: handoff.version,
          set: { repId: 'bob', offerCount: 2, dueAt: T0 + 60 * MIN },
          insertOffers: [newOffer('bob', { seq: 2, offeredAt: T0 + 30 * MIN, dueAt: T0 + 60 * MIN, remindAt: null })],
          updateOffers: [{ id: offer.id, expectState: 'open', set: { state: 'timed_out', decidedAt: T0 + 30 * MIN } }],
          events: [{ type: 'timed_out', actor: null }],
        },
        T0 + 30 * MIN,
      );
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.offers.map((o) => [o.repId, o.seq, o.state])).toEqual(
        expect.arrayContaining([
          ['bob', 2, 'open'],
          ['alice', 1, 'timed_out'],
        ]),
      );
      expect(result.offers).toHaveLength(2);
      expect((await store.listOffers(handoff.id)).map((o) => [o.repId, o.state])).toEqual([
        ['alice', 'timed_out'],
        ['bob', 'open'],
      ]);
      expect(result.handoff.state).toBe('offered');
      expect(result.handoff.version).toBe(handoff.version + 1);
    });

    it('keeps the first job when a change enqueues an existing idempotency key', async () => {
      const { handoff, offer } = await offered('alice');
      await store.enqueueJobs([job(`crm-accept:${handoff.id}`, { payload: { first: true } })], T0);
      const result = await store.applyChange(acceptChange(handoff, offer, 'alice'), T0 + MIN);
      expect(result.ok).toBe(true);
      const jobs = await store.listJobs({});
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.payload).toEqual({ first: true });
    });

    it('lets exactly one of 20 concurrent accepts of one offer win', async () => {
      const { handoff, offer } = await offered('alice');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.applyChange(acceptChange(handoff, offer, `clicker-${i}`), T0 + MIN)),
      );
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const losers = results.filter((r) => !r.ok);
      expect(losers).toHaveLength(19);
      for (const loser of losers) {
        if (loser.ok) continue;
        expect(loser.current?.state).toBe('accepted');
        expect(loser.current?.version).toBe(handoff.version + 1);
      }
      const after = await store.getHandoff(handoff.id);
      expect(after?.version).toBe(handoff.version + 1);
      expect(after?.decidedBy).toMatch(/^clicker-\d+$/);
      expect((await store.getOffer(offer.id))?.state).toBe('accepted');
      expect((await store.listEvents(handoff.id)).filter((e) => e.type === 'accepted')).toHaveLength(1);
      expect(await store.listJobs({ kind: 'crm_write' })).toHaveLength(1);
    });
  });

  describe('the transition table as the compare-and-set guard', () => {
    /** A way into each state by legal moves, written out by hand from DESIGN §2. */
    const PATH: Record<HandoffState, HandoffAction[]> = {
      detected: [],
      offered: ['offer'],
      escalated: ['escalate'],
      accepted: ['offer', 'accept'],
      rejected: ['offer', 'reject'],
      withdrawn: ['withdraw'],
    };

    async function inState(state: HandoffState): Promise<Handoff> {
      let h = await ingested();
      for (const action of PATH[state]) {
        const r = await store.applyChange(
          { handoffId: h.id, action, expectVersion: h.version, set: {}, events: [] },
          T0,
        );
        if (!r.ok) throw new Error(`cannot reach ${state}: ${action} was refused`);
        h = r.handoff;
      }
      expect(h.state).toBe(state);
      return h;
    }

    it.each(HANDOFF_STATES)('from %s, every action moves as the table says or changes nothing', async (from) => {
      for (const action of HANDOFF_ACTIONS) {
        const before = await inState(from);
        const events = await store.listEvents(before.id);
        const result = await store.applyChange(
          {
            handoffId: before.id,
            action,
            expectVersion: before.version,
            set: { note: action },
            events: [{ type: 'probe', actor: null }],
            jobs: [job(`probe:${before.id}`)],
          },
          T0 + MIN,
        );
        const move = nextState(from, action);
        const after = await store.getHandoff(before.id);
        if (move.ok) {
          expect(result.ok, `${from} + ${action}`).toBe(true);
          expect(after, `${from} + ${action}`).toMatchObject({
            state: move.to,
            version: before.version + 1,
            note: action,
          });
          expect(await store.listEvents(before.id)).toHaveLength(events.length + 1);
        } else {
          expect(result, `${from} + ${action}`).toEqual({ ok: false, current: before });
          expect(after, `${from} + ${action}`).toEqual(before);
          expect(await store.listEvents(before.id)).toEqual(events);
          expect(await store.listJobs({ handoffId: before.id })).toEqual([]);
        }
      }
    });

    it('keeps the state on a change without an action, still guarded by the version', async () => {
      for (const state of HANDOFF_STATES) {
        const before = await inState(state);
        const kept = await store.applyChange(
          { handoffId: before.id, action: null, expectVersion: before.version, set: { note: 'kept' }, events: [] },
          T0 + MIN,
        );
        expect(kept.ok && kept.handoff).toMatchObject({ state, version: before.version + 1, note: 'kept' });
        const stale = await store.applyChange(
          { handoffId: before.id, action: null, expectVersion: before.version, set: { note: 'stale' }, events: [] },
          T0 + 2 * MIN,
        );
        expect(stale.ok).toBe(false);
        expect((await store.getHandoff(before.id))?.note).toBe('kept');
      }
    });
  });

  describe('queries over hand-offs', () => {
    it('finds every MQL episode of one record, newest first', async () => {
      const first = await ingested({ source: 'hubspot', externalId: 'rec-1', mqlAt: T0 - 10 * MIN });
      const second = await ingested({ source: 'hubspot', externalId: 'rec-1', mqlAt: T0 });
      await ingested({ source: 'salesforce', externalId: 'rec-1', mqlAt: T0 });
      const found = await store.findHandoffsByRecord('hubspot', 'rec-1');
      expect(found.map((h) => h.id)).toEqual([second.id, first.id]);
      expect(await store.findHandoffsByRecord('hubspot', 'missing')).toEqual([]);
    });

    it('finds hand-offs by email, case-insensitively, newest first', async () => {
      const older = await ingested({ email: 'Pat@Example.com', mqlAt: T0 - MIN });
      const newer = await ingested({ email: 'pat@example.com', mqlAt: T0 + MIN });
      await ingested({ email: 'someone@else.com' });
      const found = await store.findHandoffsByEmail('PAT@example.COM');
      expect(found.map((h) => h.id)).toEqual([newer.id, older.id]);
      expect(await store.findHandoffsByEmail('nobody@example.com')).toEqual([]);
    });

    it('lists open live hand-offs oldest MQL first, up to the limit (imported history left out)', async () => {
      const b = await ingested({ mqlAt: T0 + 2 * MIN });
      const a = await ingested({ mqlAt: T0 + MIN });
      const { handoff: c } = await offered('alice', {}, { mqlAt: T0 + 3 * MIN });
      await store.ingest(
        { lead: lead({ mqlAt: T0 }), hot: false, imported: true, state: 'accepted', decidedAt: T0 },
        T0,
      );
      await store.ingest({ lead: lead({ mqlAt: T0 - MIN }), hot: false, imported: true, state: 'detected' }, T0);
      expect((await store.listOpenHandoffs(10)).map((h) => h.id)).toEqual([a.id, b.id, c.id]);
      expect((await store.listOpenHandoffs(2)).map((h) => h.id)).toEqual([a.id, b.id]);
      expect(await store.listOpenHandoffs(0)).toEqual([]);
    });

    it('lists open live hand-offs matching a team, source, campaign and hot filter, oldest first', async () => {
      const fields = (channel: string, campaign?: string) => ({ channel, ...(campaign ? { campaign } : {}) });
      const a = await ingested({ mqlAt: T0 + MIN, fields: fields('PAID', 'fall') }, true);
      const b = await ingested({ mqlAt: T0 + 2 * MIN, fields: fields('PAID') });
      const { handoff: c } = await offered('alice', {}, { mqlAt: T0 + 3 * MIN, fields: fields('PAID', 'fall') }, true);
      const d = await ingested({ mqlAt: T0 + 4 * MIN, fields: fields('ORGANIC', 'fall') });
      // Left out whatever the filter: imported history and closed hand-offs.
      await store.ingest(
        { lead: lead({ mqlAt: T0, fields: fields('PAID', 'fall') }), hot: true, imported: true, state: 'detected' },
        T0,
      );
      const { handoff: e, offer } = await offered('bob', {}, { mqlAt: T0, fields: fields('PAID', 'fall') }, true);
      expect((await store.applyChange(acceptChange(e, offer, 'bob'), T0)).ok).toBe(true);
      const ids = async (filter: Parameters<Store['listOpenHandoffs']>[1], limit = 10) =>
        (await store.listOpenHandoffs(limit, filter)).map((h) => h.id);
      expect(await ids({})).toEqual([a.id, b.id, c.id, d.id]);
      expect(await ids({ source: 'PAID' })).toEqual([a.id, b.id, c.id]);
      expect(await ids({ source: 'PAID' }, 2)).toEqual([a.id, b.id]);
      expect(await ids({ campaign: 'fall' })).toEqual([a.id, c.id, d.id]);
      expect(await ids({ hot: true })).toEqual([a.id, c.id]);
      expect(await ids({ hot: false, campaign: 'fall' })).toEqual([d.id]);
      expect(await ids({ team: 'emea' })).toEqual([c.id]);
      expect(await ids({ team: 'emea', source: 'PAID', campaign: 'fall', hot: true })).toEqual([c.id]);
      expect(await ids({ team: 'us' })).toEqual([]);
      expect(await ids({ source: 'PAID' }, 0)).toEqual([]);
    });

    it('lists hand-offs by MQL time in [from, to), paged by (mqlAt, id)', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push((await ingested({ mqlAt: T0 + i * MIN })).id);
      // Two on the same millisecond: paging must not lose or repeat either.
      const twinA = await ingested({ mqlAt: T0 + 2 * MIN });
      const all = await store.listHandoffsByMqlTime(T0 + MIN, T0 + 4 * MIN, 100);
      expect(all.map((h) => h.mqlAt)).toEqual([T0 + MIN, T0 + 2 * MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
      expect(all.map((h) => h.id)).toEqual(expect.arrayContaining([ids[1], ids[2], twinA.id, ids[3]]));
      const paged: string[] = [];
      let after: { mqlAt: number; id: string } | undefined;
      for (;;) {
        const page = await store.listHandoffsByMqlTime(T0 + MIN, T0 + 4 * MIN, 1, after);
        if (page.length === 0) break;
        const last = page[page.length - 1]!;
        paged.push(last.id);
        after = { mqlAt: last.mqlAt, id: last.id };
      }
      expect(paged).toEqual(all.map((h) => h.id));
    });
  });

  describe('offers', () => {
    it('lists a rep’s open offers and counts open offers per rep', async () => {
      const a1 = await offered('alice');
      const a2 = await offered('alice', { offeredAt: T0 + MIN });
      await offered('bob');
      const accepted = await store.applyChange(acceptChange(a1.handoff, a1.offer, 'alice'), T0 + MIN);
      expect(accepted.ok).toBe(true);
      expect((await store.listOpenOffersForRep('alice')).map((o) => o.id)).toEqual([a2.offer.id]);
      expect(await store.listOpenOffersForRep('carol')).toEqual([]);
      expect(await store.countOpenOffersByRep()).toEqual({ alice: 1, bob: 1 });
    });

    it('counts offers per rep since each rep’s own moment, zero included', async () => {
      await offered('alice', { offeredAt: T0 - 60 * MIN });
      await offered('alice', { offeredAt: T0 });
      await offered('alice', { offeredAt: T0 + MIN });
      await offered('bob', { offeredAt: T0 - MIN });
      const counts = await store.countOffersByRepSince({ alice: T0, bob: T0 - 2 * MIN, carol: T0 });
      expect(counts).toEqual({ alice: 2, bob: 1, carol: 0 });
      expect(await store.countOffersByRepSince({})).toEqual({});
    });

    it('lists due offers: timeouts and unsent reminders, oldest first, with their hand-off', async () => {
      const late = await offered('alice', { dueAt: T0 + 10 * MIN, remindAt: T0 + 5 * MIN });
      const remind = await offered('bob', { dueAt: T0 + 60 * MIN, remindAt: T0 + 8 * MIN });
      const reminded = await offered('carol', { dueAt: T0 + 60 * MIN, remindAt: T0 + 2 * MIN });
      await offered('dave', { dueAt: T0 + 60 * MIN, remindAt: T0 + 50 * MIN });
      await offered('erin', { dueAt: T0 + 60 * MIN, remindAt: null });
      const markReminded = await store.applyChange(
        {
          handoffId: reminded.handoff.id,
          action: null,
          expectVersion: reminded.handoff.version,
          set: {},
          updateOffers: [{ id: reminded.offer.id, expectState: 'open', set: { remindedAt: T0 + 2 * MIN } }],
          events: [{ type: 'reminded', actor: null }],
        },
        T0 + 2 * MIN,
      );
      expect(markReminded.ok).toBe(true);
      const due = await store.listDueOffers(T0 + 20 * MIN, 10);
      expect(due.map((d) => [d.offer.repId, d.due])).toEqual([
        ['bob', 'remind'],
        ['alice', 'timeout'],
      ]);
      expect(due[1]?.handoff.id).toBe(late.handoff.id);
      expect(due[0]?.handoff.id).toBe(remind.handoff.id);
      expect((await store.listDueOffers(T0 + 20 * MIN, 1)).map((d) => d.offer.repId)).toEqual(['bob']);
      expect(await store.listDueOffers(T0, 10)).toEqual([]);
      // A decided offer is never due.
      const accepted = await store.applyChange(acceptChange(late.handoff, late.offer, 'alice'), T0 + 20 * MIN);
      expect(accepted.ok).toBe(true);
      expect((await store.listDueOffers(T0 + 20 * MIN, 10)).map((d) => d.offer.repId)).toEqual(['bob']);
    });

    it('lists due deadlines of hot hand-offs first (a takeover finds many due at once), then the oldest', async () => {
      const cold1 = await offered('alice', { dueAt: T0 + MIN, remindAt: null });
      const cold2 = await offered('bob', { dueAt: T0 + 2 * MIN, remindAt: null });
      const hotLate = await offered('chen', { dueAt: T0 + 5 * MIN, remindAt: null }, {}, true);
      const hotRemind = await offered('dana', { dueAt: T0 + 60 * MIN, remindAt: T0 + 3 * MIN }, {}, true);
      const hotEarly = await offered('erin', { dueAt: T0 + 4 * MIN, remindAt: null }, {}, true);
      const now = T0 + 10 * MIN;
      expect((await store.listDueOffers(now, 10)).map((d) => [d.offer.id, d.due])).toEqual([
        [hotRemind.offer.id, 'remind'],
        [hotEarly.offer.id, 'timeout'],
        [hotLate.offer.id, 'timeout'],
        [cold1.offer.id, 'timeout'],
        [cold2.offer.id, 'timeout'],
      ]);
      // A short page holds the hot ones, however old the cold deadlines are.
      expect((await store.listDueOffers(now, 2)).map((d) => d.offer.repId)).toEqual(['dana', 'erin']);
      expect((await store.listDueOffers(now, 3)).every((d) => d.handoff.hot)).toBe(true);
    });

    it('records where the card went without touching state or version', async () => {
      const { handoff, offer } = await offered('alice');
      await store.setOfferMessage(offer.id, { channel: 'D123', ts: '1700000000.000100' });
      const after = await store.getOffer(offer.id);
      expect(after).toEqual({ ...offer, slackChannel: 'D123', slackTs: '1700000000.000100' });
      expect(await store.getHandoff(handoff.id)).toEqual(handoff);
      expect(await store.getOffer('missing')).toBeNull();
      expect(await store.listOffers('missing')).toEqual([]);
    });

    it('notes the channel a card is about to go to, and never over a posted card', async () => {
      const { offer } = await offered('alice');
      await store.setOfferChannel(offer.id, 'D123');
      expect(await store.getOffer(offer.id)).toEqual({ ...offer, slackChannel: 'D123', slackTs: null });
      await store.setOfferMessage(offer.id, { channel: 'D123', ts: '1700000000.000100' });
      await store.setOfferChannel(offer.id, 'D999');
      expect(await store.getOffer(offer.id)).toMatchObject({ slackChannel: 'D123', slackTs: '1700000000.000100' });
    });
  });

  describe('channel messages', () => {
    it('keeps one message per hand-off and channel: the first note, its ts, and each step once', async () => {
      const a = await ingested();
      const b = await ingested();
      expect(await store.listChannelMessages(a.id)).toEqual([]);
      await store.noteChannelMessage(a.id, 'C_TEAM', T0 + 1);
      await store.noteChannelMessage(a.id, 'C_TEAM', T0 + 5);
      expect(await store.listChannelMessages(a.id)).toEqual([
        { handoffId: a.id, channel: 'C_TEAM', ts: null, notedAt: T0 + 1, steps: [], shown: null },
      ]);
      await store.setChannelMessageTs(a.id, 'C_TEAM', '1700000000.000100', T0 + 2, 'print-1');
      await store.setChannelMessageShown(a.id, 'C_TEAM', 'print-2', T0 + 2);
      await store.setChannelMessageTs(a.id, 'C_MGRS', '1700000000.000200', T0 + 3);
      await store.noteChannelMessage(a.id, 'C_MGRS', T0 + 4);
      await store.addChannelMessageStep(a.id, 'C_TEAM', 'escalated', T0 + 6);
      await store.addChannelMessageStep(a.id, 'C_TEAM', 'escalated', T0 + 7);
      await store.addChannelMessageStep(a.id, 'C_TEAM', 'claimed', T0 + 8);
      await store.addChannelMessageStep(a.id, 'C_NONE', 'claimed', T0 + 8);
      const rows = await store.listChannelMessages(a.id);
      expect(rows).toHaveLength(2);
      expect(rows.find((r) => r.channel === 'C_TEAM')).toEqual({
        handoffId: a.id,
        channel: 'C_TEAM',
        ts: '1700000000.000100',
        notedAt: T0 + 1,
        steps: ['escalated', 'claimed'],
        shown: 'print-2',
      });
      expect(rows.find((r) => r.channel === 'C_MGRS')).toMatchObject({
        ts: '1700000000.000200',
        notedAt: null,
        shown: null,
      });
      expect(await store.listChannelMessages(b.id)).toEqual([]);
    });
  });

  describe('audit', () => {
    it('appends events in order and lists them per hand-off', async () => {
      const a = await ingested();
      const b = await ingested();
      await store.appendEvent(a.id, { type: 'note', actor: 'maria', data: { text: 'called' } }, T0 + 1);
      await store.appendEvent(b.id, { type: 'note', actor: null }, T0 + 2);
      await store.appendEvent(a.id, { type: 'note', actor: 'maria', data: { text: 'again' } }, T0 + 3);
      const events = await store.listEvents(a.id);
      expect(events.map((e) => [e.at, e.actor, e.data])).toEqual([
        [T0 + 1, 'maria', { text: 'called' }],
        [T0 + 3, 'maria', { text: 'again' }],
      ]);
      expect((await store.listEvents(b.id))[0]?.data).toEqual({});
      expect(new Set([...events, ...(await store.listEvents(b.id))].map((e) => e.id)).size).toBe(3);
    });

    it('refuses an event for a hand-off that does not exist', async () => {
      await expect(store.appendEvent('no-such-handoff', { type: 'note', actor: null }, T0)).rejects.toThrow();
      expect(await store.listEvents('no-such-handoff')).toEqual([]);
    });
  });

  describe('outbox', () => {
    it('requeues jobs left running (a crashed single-process owner) and leaves the rest alone', async () => {
      await store.enqueueJobs([job('orphan-a'), job('orphan-b'), job('later', { runAt: T0 + 10 * MIN })], T0);
      const claimed = await store.claimJobs({ now: T0, limit: 2, leaseMs: 10 * MIN, workerId: 'dead-worker' });
      expect(claimed).toHaveLength(2);
      expect(await store.requeueRunningJobs(T0 + MIN)).toBe(2);
      const again = await store.claimJobs({ now: T0 + MIN, limit: 10, leaseMs: MIN, workerId: 'new-worker' });
      expect(again.map((j) => j.idempotencyKey).sort()).toEqual(['orphan-a', 'orphan-b']);
      expect(await store.requeueRunningJobs(T0 + MIN)).toBe(2);
      expect(await store.countJobs('pending')).toBe(3);
    });

    it('enqueues jobs idempotently and reads them back', async () => {
      await store.enqueueJobs(
        [job('a', { runAt: T0 + 2 }), job('b', { runAt: T0 + 1, kind: 'email' }), job('a', { payload: { dup: true } })],
        T0,
      );
      await store.enqueueJobs([job('b', { runAt: T0 + 99 })], T0);
      await store.enqueueJobs([], T0);
      const jobs = await store.listJobs({});
      expect(jobs.map((j) => j.idempotencyKey)).toEqual(['b', 'a']);
      const a = jobs[1]!;
      expect(a).toEqual({
        id: a.id,
        kind: 'post_card',
        payload: { key: 'a' },
        idempotencyKey: 'a',
        runAt: T0 + 2,
        handoffId: null,
        state: 'pending',
        attempts: 0,
        lastError: null,
        lockedBy: null,
        leaseUntil: null,
        claimToken: null,
        createdAt: T0,
        updatedAt: T0,
      });
      expect(await store.getJob(a.id)).toEqual(a);
      expect(await store.getJob('999999')).toBeNull();
      expect(await store.getJob('not-a-number')).toBeNull();
      // Finishing a job that does not exist is a no-op, whatever the id looks like.
      expect(await store.completeJob('not-a-number', 'w', T0)).toBe(false);
      expect(await store.killJob('', 'w', 'x', T0)).toBe(false);
      expect(await store.retryJob('1.5', 'w', { runAt: T0, error: 'x' }, T0)).toBe(false);
      expect(await store.deferJob('999999', 'w', T0, T0)).toBe(false);
      expect((await store.listJobs({ kind: 'email' })).map((j) => j.idempotencyKey)).toEqual(['b']);
      expect(await store.listJobs({ limit: 1 })).toHaveLength(1);
      expect(await store.countJobs('pending')).toBe(2);
      expect(await store.countJobs('dead')).toBe(0);
    });

    it('claims due pending jobs in run order, up to the limit, with a lease', async () => {
      await store.enqueueJobs(
        [
          job('late', { runAt: T0 + 5 }),
          job('first', { runAt: T0 - 5 }),
          job('future', { runAt: T0 + MIN }),
          job('second', { runAt: T0 }),
        ],
        T0 - 10,
      );
      const claimed = await store.claimJobs({ now: T0 + 5, limit: 2, leaseMs: 30_000, workerId: 'w1' });
      expect(claimed.map((j) => j.idempotencyKey)).toEqual(['first', 'second']);
      for (const j of claimed) {
        expect(j).toMatchObject({
          state: 'running',
          lockedBy: 'w1',
          leaseUntil: T0 + 5 + 30_000,
          attempts: 1,
          updatedAt: T0 + 5,
        });
      }
      const next = await store.claimJobs({ now: T0 + 5, limit: 10, leaseMs: 30_000, workerId: 'w2' });
      expect(next.map((j) => j.idempotencyKey)).toEqual(['late']);
      expect(await store.claimJobs({ now: T0 + 5, limit: 10, leaseMs: 30_000, workerId: 'w3' })).toEqual([]);
      expect(await store.claimJobs({ now: T0 + 5, limit: 0, leaseMs: 30_000, workerId: 'w3' })).toEqual([]);
      expect(await store.countJobs('running')).toBe(3);
    });

    it('claims only the kinds asked for', async () => {
      await store.enqueueJobs(
        [job('slack-1', { kind: 'slack' }), job('crm-1', { kind: 'crm' }), job('mail-1', { kind: 'mail' })],
        T0,
      );
      const claimed = await store.claimJobs({
        now: T0,
        limit: 10,
        leaseMs: 1000,
        workerId: 'w',
        kinds: ['crm', 'mail'],
      });
      expect(claimed.map((j) => j.idempotencyKey).sort()).toEqual(['crm-1', 'mail-1']);
      expect(await store.claimJobs({ now: T0, limit: 10, leaseMs: 1000, workerId: 'w', kinds: [] })).toEqual([]);
    });

    it('reclaims a running job once its lease expired; the old claimant can no longer settle or renew it', async () => {
      await store.enqueueJobs([job('j')], T0);
      const [first] = await store.claimJobs({ now: T0, limit: 1, leaseMs: 1000, workerId: 'w1' });
      expect(first?.claimToken).toEqual(expect.any(String));
      expect(await store.claimJobs({ now: T0 + 999, limit: 1, leaseMs: 1000, workerId: 'w2' })).toEqual([]);
      const [again] = await store.claimJobs({ now: T0 + 1000, limit: 1, leaseMs: 1000, workerId: 'w2' });
      expect(again).toMatchObject({ id: first!.id, lockedBy: 'w2', attempts: 2, leaseUntil: T0 + 2000 });
      expect(again!.claimToken).not.toBe(first!.claimToken);
      const old = first!.claimToken!;
      expect(await store.renewJobLeases([old], T0 + 9000, T0 + 1001)).toBe(0);
      expect(await store.completeJob(first!.id, old, T0 + 1001)).toBe(false);
      expect(await store.killJob(first!.id, old, 'late', T0 + 1001)).toBe(false);
      expect(await store.retryJob(first!.id, old, { runAt: T0, error: 'late' }, T0 + 1001)).toBe(false);
      expect(await store.deferJob(first!.id, old, T0 + 5000, T0 + 1001)).toBe(false);
      expect(await store.getJob(first!.id)).toMatchObject({
        state: 'running',
        lockedBy: 'w2',
        leaseUntil: T0 + 2000,
        attempts: 2,
        lastError: null,
      });
      expect(await store.completeJob(first!.id, again!.claimToken!, T0 + 1002)).toBe(true);
      expect(await store.getJob(first!.id)).toMatchObject({
        state: 'done',
        lockedBy: 'w2',
        leaseUntil: null,
        claimToken: null,
        updatedAt: T0 + 1002,
      });
      // A finished job is never claimed again.
      expect(await store.claimJobs({ now: T0 + 10_000, limit: 1, leaseMs: 1000, workerId: 'w3' })).toEqual([]);
    });

    it('retries a job later and dead-letters it, only for the worker holding it', async () => {
      await store.enqueueJobs([job('r'), job('k')], T0);
      const claimed = await store.claimJobs({ now: T0, limit: 2, leaseMs: 60_000, workerId: 'w1' });
      const r = claimed.find((j) => j.idempotencyKey === 'r')!;
      const k = claimed.find((j) => j.idempotencyKey === 'k')!;
      const token = r.claimToken!;
      expect(k.claimToken).toBe(token); // one claim, one fence
      expect(await store.retryJob(r.id, 'intruder', { runAt: T0 + 5000, error: 'nope' }, T0 + 1)).toBe(false);
      expect(await store.getJob(r.id)).toMatchObject({ state: 'running', lastError: null });
      expect(
        await store.retryJob(r.id, token, { runAt: T0 + 5000, error: 'rate_limited: retry after 5s' }, T0 + 1),
      ).toBe(true);
      expect(await store.getJob(r.id)).toMatchObject({
        state: 'pending',
        runAt: T0 + 5000,
        lastError: 'rate_limited: retry after 5s',
        lockedBy: null,
        leaseUntil: null,
        attempts: 1,
      });
      expect(await store.claimJobs({ now: T0 + 4999, limit: 5, leaseMs: 1000, workerId: 'w2' })).toEqual([]);
      expect((await store.claimJobs({ now: T0 + 5000, limit: 5, leaseMs: 1000, workerId: 'w2' }))[0]).toMatchObject({
        id: r.id,
        attempts: 2,
      });
      expect(await store.killJob(k.id, 'intruder', 'x', T0 + 2)).toBe(false);
      expect((await store.getJob(k.id))?.state).toBe('running');
      expect(await store.killJob(k.id, token, 'invalid: channel_not_found', T0 + 2)).toBe(true);
      expect(await store.getJob(k.id)).toMatchObject({
        state: 'dead',
        lastError: 'invalid: channel_not_found',
        leaseUntil: null,
      });
      expect(await store.countJobs('dead')).toBe(1);
      expect((await store.listJobs({ state: 'dead' })).map((j) => j.id)).toEqual([k.id]);
      expect(await store.completeJob(k.id, token, T0 + 3)).toBe(false);
      expect((await store.getJob(k.id))?.state).toBe('dead');
    });

    it('says which kinds have claimable jobs, and claims around the kinds left out', async () => {
      await store.enqueueJobs(
        [
          job('o1', { kind: 'offer' }),
          job('o2', { kind: 'offer' }),
          job('l1', { kind: 'later', runAt: T0 + MIN }),
          job('w1', { kind: 'write' }),
          job('z1', { kind: 'unknown' }),
        ],
        T0,
      );
      expect((await store.dueKinds(T0, ['offer', 'later', 'write', 'nothing'])).sort()).toEqual(['offer', 'write']);
      expect((await store.dueKinds(T0 + MIN, ['later'])).sort()).toEqual(['later']);
      expect(await store.dueKinds(T0, [])).toEqual([]);
      const [held] = await store.claimJobs({ now: T0, limit: 1, leaseMs: 1000, workerId: 'w', kinds: ['write'] });
      expect(held?.idempotencyKey).toBe('w1');
      // Running under a live lease: not claimable; once the lease lapsed: claimable again.
      expect(await store.dueKinds(T0, ['write'])).toEqual([]);
      expect(await store.dueKinds(T0 + 1000, ['write'])).toEqual(['write']);
      const others = await store.claimJobs({
        now: T0,
        limit: 10,
        leaseMs: 1000,
        workerId: 'w',
        notKinds: ['offer', 'write'],
      });
      expect(others.map((j) => j.idempotencyKey)).toEqual(['z1']);
    });

    it('fences a claimant even against itself: the same worker reclaiming its own expired job gets a new token', async () => {
      await store.enqueueJobs([job('self')], T0);
      const [first] = await store.claimJobs({ now: T0, limit: 1, leaseMs: 1000, workerId: 'w1' });
      const [second] = await store.claimJobs({ now: T0 + 1000, limit: 1, leaseMs: 1000, workerId: 'w1' });
      expect(second).toMatchObject({ id: first!.id, lockedBy: 'w1' });
      expect(await store.completeJob(first!.id, first!.claimToken!, T0 + 1001)).toBe(false);
      expect(await store.getJob(first!.id)).toMatchObject({ state: 'running', claimToken: second!.claimToken });
      expect(await store.completeJob(first!.id, second!.claimToken!, T0 + 1001)).toBe(true);
    });

    it('renews the leases of a claim while it is held, so nobody else claims the job', async () => {
      await store.enqueueJobs([job('slow-1'), job('slow-2'), job('other')], T0);
      const claimed = await store.claimJobs({ now: T0, limit: 2, leaseMs: 1000, workerId: 'w1' });
      const token = claimed[0]!.claimToken!;
      const [other] = await store.claimJobs({ now: T0, limit: 1, leaseMs: 1000, workerId: 'w2' });
      // A heartbeat before the lease ran out: both jobs of the claim are extended, the other claim's job is not.
      expect(await store.renewJobLeases([token], T0 + 900 + 1000, T0 + 900)).toBe(2);
      expect(await store.renewJobLeases([], T0 + 5000, T0 + 900)).toBe(0);
      for (const j of claimed) expect(await store.getJob(j.id)).toMatchObject({ leaseUntil: T0 + 1900 });
      expect(await store.getJob(other!.id)).toMatchObject({ leaseUntil: T0 + 1000 });
      // At T0 + 1000 only the job whose lease was not renewed can be taken over.
      const stolen = await store.claimJobs({ now: T0 + 1000, limit: 10, leaseMs: 1000, workerId: 'w3' });
      expect(stolen.map((j) => j.id)).toEqual([other!.id]);
      // A settled job is not renewed.
      expect(await store.completeJob(claimed[0]!.id, token, T0 + 1100)).toBe(true);
      expect(await store.renewJobLeases([token], T0 + 3000, T0 + 1200)).toBe(1);
      expect(await store.getJob(claimed[0]!.id)).toMatchObject({ state: 'done', leaseUntil: null });
    });

    it('defers a job to an exact time without counting the attempt or touching its last error', async () => {
      await store.enqueueJobs([job('paced')], T0);
      const [first] = await store.claimJobs({ now: T0, limit: 1, leaseMs: 1000, workerId: 'w1' });
      expect(await store.retryJob(first!.id, first!.claimToken!, { runAt: T0, error: 'transient: reset' }, T0)).toBe(
        true,
      );
      const [second] = await store.claimJobs({ now: T0 + 1, limit: 1, leaseMs: 1000, workerId: 'w1' });
      expect(second!.attempts).toBe(2);
      expect(await store.deferJob(second!.id, second!.claimToken!, T0 + 1_234, T0 + 2)).toBe(true);
      expect(await store.getJob(second!.id)).toMatchObject({
        state: 'pending',
        runAt: T0 + 1_234,
        attempts: 1,
        lastError: 'transient: reset',
        lockedBy: null,
        leaseUntil: null,
        claimToken: null,
        updatedAt: T0 + 2,
      });
      expect(await store.claimJobs({ now: T0 + 1_233, limit: 1, leaseMs: 1000, workerId: 'w1' })).toEqual([]);
      const [third] = await store.claimJobs({ now: T0 + 1_234, limit: 1, leaseMs: 1000, workerId: 'w1' });
      expect(third).toMatchObject({ id: first!.id, attempts: 2 });
      // Deferred over and over, it never runs out of attempts: each claim counts one, each deferral gives it back.
      let current = third!;
      for (let i = 0; i < 5; i++) {
        expect(await store.deferJob(current.id, current.claimToken!, T0 + 2_000 + i, T0 + 1_500 + i)).toBe(true);
        const [again] = await store.claimJobs({ now: T0 + 2_000 + i, limit: 1, leaseMs: 1000, workerId: 'w1' });
        current = again!;
      }
      expect(current).toMatchObject({ id: first!.id, attempts: 2 });
    });

    it('never gives the same job to two concurrent claimers', async () => {
      await store.enqueueJobs(
        Array.from({ length: 40 }, (_, i) => job(`c${i}`, { runAt: T0 - i })),
        T0 - 100,
      );
      const batches = await Promise.all(
        Array.from({ length: 8 }, (_, w) => store.claimJobs({ now: T0, limit: 7, leaseMs: 60_000, workerId: `w${w}` })),
      );
      const ids = batches.flat().map((j) => j.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(40);
      for (const [w, batch] of batches.entries())
        for (const j of batch) expect((await store.getJob(j.id))?.lockedBy).toBe(`w${w}`);
    });
  });

  describe('cursors and leases', () => {
    it('stores cursors per name', async () => {
      expect(await store.getCursor('hubspot')).toBeNull();
      await store.setCursor('hubspot', '1700000000000', T0);
      await store.setCursor('salesforce', 'abc', T0);
      await store.setCursor('hubspot', '1700000000500', T0 + 1);
      expect(await store.getCursor('hubspot')).toBe('1700000000500');
      expect(await store.getCursor('salesforce')).toBe('abc');
    });

    it('grants a lease to one holder, renews it for that holder, and hands it over on expiry', async () => {
      expect(await store.tryAcquireLease('poller', 'a', 10_000, T0)).toBe(true);
      expect(await store.tryAcquireLease('poller', 'b', 10_000, T0 + 1)).toBe(false);
      expect(await store.tryAcquireLease('sweeper', 'b', 10_000, T0 + 1)).toBe(true);
      expect(await store.tryAcquireLease('poller', 'a', 10_000, T0 + 5000)).toBe(true); // renew: now until T0 + 15000
      expect(await store.tryAcquireLease('poller', 'b', 10_000, T0 + 14_999)).toBe(false);
      expect(await store.tryAcquireLease('poller', 'b', 10_000, T0 + 15_000)).toBe(true);
      expect(await store.tryAcquireLease('poller', 'a', 10_000, T0 + 15_001)).toBe(false);
    });

    it('releases a lease only for its holder', async () => {
      expect(await store.tryAcquireLease('poller', 'a', 10_000, T0)).toBe(true);
      await store.releaseLease('poller', 'b');
      expect(await store.tryAcquireLease('poller', 'b', 10_000, T0 + 1)).toBe(false);
      await store.releaseLease('poller', 'a');
      expect(await store.tryAcquireLease('poller', 'b', 10_000, T0 + 2)).toBe(true);
    });

    it('drops every lease at once for a new owner of the store, whoever held them', async () => {
      expect(await store.tryAcquireLease('poller:hubspot', 'crashed', 30_000, T0)).toBe(true);
      expect(await store.tryAcquireLease('sweeper', 'crashed', 30_000, T0)).toBe(true);
      expect(await store.tryAcquireLease('poller:hubspot', 'restarted', 30_000, T0 + 1)).toBe(false);
      expect(await store.dropLeases()).toBe(2);
      expect(await store.tryAcquireLease('poller:hubspot', 'restarted', 30_000, T0 + 2)).toBe(true);
      expect(await store.dropLeases()).toBe(1);
    });

    it('gives a free lease to exactly one of many concurrent candidates', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.tryAcquireLease('sweeper', `r${i}`, 10_000, T0)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('rotation, rep status, identities, alerts', () => {
    it('upserts rotation rows per team and lists them lowest pass first', async () => {
      await store.putRotation([
        { teamId: 'emea', repId: 'alice', pass: 2, served: 2, lastServedAt: T0 },
        { teamId: 'emea', repId: 'bruno', pass: 1, served: 1, lastServedAt: null },
        { teamId: 'us', repId: 'alice', pass: 0.5, served: 1, lastServedAt: T0 },
      ]);
      await store.putRotation([{ teamId: 'emea', repId: 'bruno', pass: 3.25, served: 2, lastServedAt: T0 + 1 }]);
      await store.putRotation([]);
      expect(await store.getRotation('emea')).toEqual([
        { teamId: 'emea', repId: 'alice', pass: 2, served: 2, lastServedAt: T0 },
        { teamId: 'emea', repId: 'bruno', pass: 3.25, served: 2, lastServedAt: T0 + 1 },
      ]);
      expect(await store.getRotation('us')).toHaveLength(1);
      expect(await store.getRotation('none')).toEqual([]);
    });

    it('sets and clears rep status', async () => {
      await store.setRepStatus('alice', { awayUntil: T0 + 3600_000, since: T0, note: 'dentist' });
      await store.setRepStatus('bruno', { awayUntil: null, since: T0, note: null });
      await store.setRepStatus('alice', { awayUntil: T0 + 7200_000, since: T0 + 1, note: null });
      expect(await store.getRepStatuses()).toEqual([
        { repId: 'alice', awayUntil: T0 + 7200_000, since: T0 + 1, note: null },
        { repId: 'bruno', awayUntil: null, since: T0, note: null },
      ]);
      await store.setRepStatus('alice', null);
      await store.setRepStatus('nobody', null);
      expect((await store.getRepStatuses()).map((s) => s.repId)).toEqual(['bruno']);
    });

    it('caches identities per rep and kind', async () => {
      expect(await store.getIdentity('alice', 'slack')).toBeNull();
      await store.setIdentity('alice', 'slack', 'U01', T0);
      await store.setIdentity('alice', 'crm', '123', T0);
      await store.setIdentity('alice', 'slack', 'U02', T0 + 1);
      expect(await store.getIdentity('alice', 'slack')).toBe('U02');
      expect(await store.getIdentity('alice', 'crm')).toBe('123');
      expect(await store.getIdentity('bruno', 'crm')).toBeNull();
    });

    it('stores alerts by key and lists them by state', async () => {
      expect(await store.getAlert('backlog')).toBeNull();
      await store.putAlert({
        key: 'backlog',
        state: 'firing',
        firedAt: T0,
        lastNotifiedAt: T0,
        resolvedAt: null,
        data: { pending: 25 },
      });
      await store.putAlert({
        key: 'lull',
        state: 'resolved',
        firedAt: T0 - 5,
        lastNotifiedAt: null,
        resolvedAt: T0,
        data: {},
      });
      await store.putAlert({
        key: 'backlog',
        state: 'firing',
        firedAt: T0,
        lastNotifiedAt: T0 + 7200_000,
        resolvedAt: null,
        data: { pending: 31 },
      });
      expect(await store.getAlert('backlog')).toEqual({
        key: 'backlog',
        state: 'firing',
        firedAt: T0,
        lastNotifiedAt: T0 + 7200_000,
        resolvedAt: null,
        data: { pending: 31 },
      });
      expect((await store.listAlerts()).map((a) => a.key)).toEqual(['lull', 'backlog']);
      expect((await store.listAlerts('firing')).map((a) => a.key)).toEqual(['backlog']);
      expect((await store.listAlerts('resolved')).map((a) => a.key)).toEqual(['lull']);
    });
  });

  describe('load counters and ledger versions', () => {
    const REPS = ['alice', 'bob', 'carol'] as const;
    const SLOT = 15 * MIN;
    type Op =
      | { kind: 'offer'; rep: number; at: number }
      | { kind: 'accept' | 'reject' | 'withdraw' | 'escalate'; pick: number; at: number }
      | { kind: 'timeout'; pick: number; rep: number; at: number }
      | { kind: 'claim'; pick: number; rep: number; at: number };
    const at = fc.integer({ min: -30 * 60, max: 30 * 60 }).map((m) => T0 + m * MIN);
    const rep = fc.integer({ min: 0, max: REPS.length - 1 });
    const pick = fc.nat();
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('offer' as const), rep, at }),
      fc.record({ kind: fc.constantFrom('accept' as const, 'reject' as const, 'withdraw' as const), pick, at }),
      fc.record({ kind: fc.constant('escalate' as const), pick, at }),
      fc.record({ kind: fc.constant('timeout' as const), pick, rep, at }),
      fc.record({ kind: fc.constant('claim' as const), pick, rep, at }),
    );

    /** Runs one operation through applyChange, as the use cases would; returns nothing (a refused move is fine). */
    async function run(o: Op, handoffIds: string[]): Promise<void> {
      if (o.kind === 'offer') {
        const { handoff } = await offered(REPS[o.rep]!, { offeredAt: o.at, dueAt: o.at + 30 * MIN });
        handoffIds.push(handoff.id);
        return;
      }
      if (handoffIds.length === 0) return;
      const h = await store.getHandoff(handoffIds[o.pick % handoffIds.length]!);
      if (h === null) throw new Error('hand-off vanished');
      const offers = await store.listOffers(h.id);
      const open = offers.find((x) => x.state === 'open');
      const base = { handoffId: h.id, expectVersion: h.version, events: [] };
      if (o.kind === 'claim') {
        if (h.state !== 'escalated') return;
        const r = REPS[o.rep]!;
        await store.applyChange(
          {
            ...base,
            action: 'claim',
            set: { repId: r, offerCount: h.offerCount + 1 },
            insertOffers: [newOffer(r, { seq: h.offerCount + 1, state: 'accepted', offeredAt: o.at, decidedAt: o.at })],
          },
          o.at,
        );
        return;
      }
      if (open === undefined) return;
      const close = (state: Offer['state']) => [
        { id: open.id, expectState: 'open' as const, set: { state, decidedAt: o.at } },
      ];
      if (o.kind === 'timeout') {
        await store.applyChange(
          {
            ...base,
            action: 'reoffer',
            set: { repId: REPS[o.rep]!, offerCount: h.offerCount + 1 },
            updateOffers: close('timed_out'),
            insertOffers: [newOffer(REPS[o.rep]!, { seq: h.offerCount + 1, offeredAt: o.at })],
          },
          o.at,
        );
        return;
      }
      const to = { accept: 'accepted', reject: 'rejected', withdraw: 'withdrawn', escalate: 'escalated' } as const;
      await store.applyChange({ ...base, action: o.kind, set: {}, updateOffers: close(to[o.kind]) }, o.at);
    }

    /** The same figures counted from the offers themselves. */
    async function scan(handoffIds: string[], since: Record<string, number>) {
      const open: Record<string, number> = {};
      const today: Record<string, number> = Object.fromEntries(Object.keys(since).map((r) => [r, 0]));
      for (const id of handoffIds) {
        for (const o of await store.listOffers(id)) {
          if (o.state === 'open') open[o.repId] = (open[o.repId] ?? 0) + 1;
          const from = since[o.repId];
          if (from !== undefined && o.offeredAt >= from) today[o.repId] = (today[o.repId] ?? 0) + 1;
        }
      }
      return { open, today };
    }

    it('equal a fresh scan of the offers after random offer / decide / time-out / withdraw / claim sequences', async () => {
      const handoffIds: string[] = [];
      await fc.assert(
        fc.asyncProperty(
          fc.array(op, { minLength: 1, maxLength: 12 }),
          fc.array(fc.integer({ min: -40, max: 40 }), { minLength: 3, maxLength: 3 }),
          fc.boolean(),
          async (ops, sinceSlots, aligned) => {
            for (const o of ops) await run(o, handoffIds);
            // A `since` on a slot boundary is summed from the slot counters, any other is counted from the offers.
            const since = Object.fromEntries(
              REPS.map((r, i) => [r, T0 + (sinceSlots[i] ?? 0) * SLOT + (aligned ? 0 : 7 * MIN + 13)]),
            );
            const expected = await scan(handoffIds, since);
            expect(await store.countOpenOffersByRep()).toEqual(expected.open);
            expect(await store.countOpenOffersByRep(['alice', 'bob'])).toEqual(
              Object.fromEntries(Object.entries(expected.open).filter(([r]) => r !== 'carol')),
            );
            expect(await store.countOffersByRepSince(since)).toEqual(expected.today);
          },
        ),
        { numRuns: 12 },
      );
    });

    it('keeps a version per team ledger: a change planned on an older version fails and writes nothing', async () => {
      expect(await store.getRotationLedgers(['emea', 'us'])).toEqual([
        { teamId: 'emea', version: 0, entries: [] },
        { teamId: 'us', version: 0, entries: [] },
      ]);
      const row = (repId: string, pass: number) => ({ teamId: 'emea', repId, pass, served: 1, lastServedAt: T0 });
      const offerWith = async (h: Handoff, repId: string, version: number) =>
        store.applyChange(
          {
            handoffId: h.id,
            action: 'offer',
            expectVersion: h.version,
            set: { repId, offerCount: 1 },
            insertOffers: [newOffer(repId)],
            events: [],
            rotation: [row(repId, version + 1)],
            expectLedger: [{ teamId: 'emea', version }],
          },
          T0,
        );
      const a = await ingested();
      const b = await ingested();
      // Two replicas read version 0; the first to commit wins, the other is told the ledger moved on.
      expect((await offerWith(a, 'alice', 0)).ok).toBe(true);
      const lost = await offerWith(b, 'alice', 0);
      expect(lost).toEqual({ ok: false, current: b, ledgerConflict: true });
      expect(await store.listOffers(b.id)).toEqual([]);
      expect(await store.countOpenOffersByRep()).toEqual({ alice: 1 });
      const [emea] = await store.getRotationLedgers(['emea']);
      expect(emea).toEqual({ teamId: 'emea', version: 1, entries: [row('alice', 1)] });
      // Planned again on version 1, it goes through.
      expect((await offerWith(b, 'bob', 1)).ok).toBe(true);
      expect((await store.getRotationLedgers(['emea']))[0]?.version).toBe(2);
      // A hand-off conflict is not a ledger conflict.
      const stale = await offerWith({ ...a, version: a.version }, 'carol', 2);
      expect(stale.ok).toBe(false);
      expect(stale).not.toHaveProperty('ledgerConflict');
      // Tools writing the ledger directly move the version too.
      await store.putRotation([row('carol', 9)]);
      expect((await store.getRotationLedgers(['emea']))[0]?.version).toBe(3);
    });

    it('refuses ledger rows without the version they were planned on', async () => {
      const h = await ingested();
      await expect(
        store.applyChange(
          {
            handoffId: h.id,
            action: 'offer',
            expectVersion: h.version,
            set: { repId: 'alice', offerCount: 1 },
            insertOffers: [newOffer('alice')],
            events: [],
            rotation: [{ teamId: 'emea', repId: 'alice', pass: 1, served: 1, lastServedAt: T0 }],
          },
          T0,
        ),
      ).rejects.toThrow(/expectLedger/);
      expect(await store.listOffers(h.id)).toEqual([]);
      expect(await store.countOpenOffersByRep()).toEqual({});
    });
  });
}
