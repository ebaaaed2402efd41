import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestLeads } from '../../src/app/ingest-leads.js';
import { offerHandoff } from '../../src/app/offer-handoff.js';
import { HANDOFF_STATES, type HandoffState } from '../../src/domain/model.js';
import { nextState, type HandoffAction } from '../../src/domain/handoff-machine.js';
import { ensureLiveFrom } from '../../src/app/poll-source.js';
import { WRITE_BACK_WINDOW_MS } from '../../src/app/write-back.js';
import { recordDecision } from '../../src/app/record-decision.js';
import { sweepDeadlines } from '../../src/app/sweep-deadlines.js';
import { claimHandoff, assignHandoff } from '../../src/app/claim-handoff.js';
import { withdrawHandoff } from '../../src/app/withdraw-handoff.js';
import { createHandoffActions } from '../../src/app/handoff-actions.js';
import { createMemoryStore } from '../../src/store/index.js';
import type { Store } from '../../src/ports/store.js';
import type { AppSettings } from '../../src/app/settings.js';
import { openSqliteTestStore } from '../helpers/stores.js';
import { makeLead } from '../helpers/builders.js';
import { baseSettings, createHarness, type Harness } from '../helpers/app-harness.js';

const MIN = 60_000;

async function detectOne(h: Harness, overrides: Parameters<typeof makeLead>[0] = {}, { drain = true } = {}) {
  const lead = makeLead(overrides);
  const summary = await ingestLeads(h.deps, [lead]);
  if (drain) await h.drain();
  const id = summary.handoffIds[0] as string;
  const handoff = (await h.store.getHandoff(id))!;
  const offers = await h.store.listOffers(id);
  return { lead, handoff, offers, id };
}

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
];

describe.each(engines)('the hand-off lifecycle (%s store)', (_name, open) => {
  let h: Harness;
  let closers: (() => Promise<void>)[] = [];
  async function fresh(settings?: AppSettings): Promise<Harness> {
    const opened = await open();
    closers.push(() => opened.close());
    h = createHarness(opened.store, settings);
    return h;
  }
  beforeEach(async () => {
    await fresh();
  });
  afterEach(async () => {
    for (const close of closers) await close();
    closers = [];
  });

  it('detects an MQL once, offers it to a rep and posts one card', async () => {
    const lead = makeLead();
    const first = await ingestLeads(h.deps, [lead, lead]);
    expect(first).toMatchObject({ created: 1, duplicates: 1 });
    const again = await ingestLeads(h.deps, [lead]);
    expect(again.created).toBe(0);
    await h.drain();
    const handoff = (await h.store.getHandoff(first.handoffIds[0] as string))!;
    expect(handoff.state).toBe('offered');
    expect(handoff.repId).toBe('alice');
    expect(h.slack.posted).toHaveLength(1);
    const [offer] = await h.store.listOffers(handoff.id);
    expect(offer?.slackTs).toBe(h.slack.posted[0]?.ref.ts);
    expect(offer?.dueAt).toBe(h.clock.now() + 30 * MIN);
  });

  it('accepts exactly once and writes the outcome and owner back in one batch', async () => {
    const { id, offers } = await detectOne(h);
    const offerId = offers[0]!.id;
    const results = await Promise.all([
      recordDecision(h.deps, { offerId, actorId: 'alice', decision: 'accept' }),
      recordDecision(h.deps, { offerId, actorId: 'alice', decision: 'accept' }),
    ]);
    expect(results.map((r) => r.kind).sort()).toEqual(['accepted', 'already_decided']);
    await h.drain();
    expect(h.crm.calls).toBe(0); // CRM writes wait for the write-back window, so close decisions share a batch
    h.clock.advance(WRITE_BACK_WINDOW_MS);
    await h.drain();
    const handoff = (await h.store.getHandoff(id))!;
    expect(handoff).toMatchObject({ state: 'accepted', decidedBy: 'alice' });
    expect(h.slack.closed.map((c) => c.outcome.kind)).toEqual(['accepted']);
    const props = Object.assign({}, ...h.crm.updates.map((u) => u.properties));
    expect(props).toEqual({ hs_lead_status: 'OPEN', hubspot_owner_id: '101' });
    expect(h.crm.calls).toBe(1);
  });

  it('refuses a decision from someone who is not the offered rep or a manager', async () => {
    const { offers } = await detectOne(h);
    const result = await recordDecision(h.deps, { offerId: offers[0]!.id, actorId: 'bruno', decision: 'accept' });
    expect(result).toEqual({ kind: 'not_yours', offeredTo: 'Alice' });
    const byManager = await recordDecision(h.deps, { offerId: offers[0]!.id, actorId: 'maria', decision: 'accept' });
    expect(byManager.kind).toBe('accepted');
  });

  it('rejects with a reason, writes the reason, a note and the recycle step', async () => {
    const { id, offers } = await detectOne(h);
    const reject = (reasonId: string, note: string | null = null) =>
      recordDecision(h.deps, { offerId: offers[0]!.id, actorId: 'alice', decision: 'reject', reasonId, note });
    expect((await reject('other', '  ')).kind).toBe('invalid'); // this reason needs a note
    expect((await reject('nope')).kind).toBe('invalid');
    const ok = await reject('bad_timing', 'Q3');
    expect(ok.kind).toBe('rejected');
    h.clock.advance(WRITE_BACK_WINDOW_MS);
    await h.drain();
    expect((await h.store.getHandoff(id))!).toMatchObject({ state: 'rejected', reasonId: 'bad_timing', note: 'Q3' });
    const props = Object.assign({}, ...h.crm.updates.map((u) => u.properties));
    expect(props).toEqual({
      hs_lead_status: 'UNQUALIFIED',
      handoff_rejection_reason: 'bad_timing',
      lifecyclestage: 'lead',
    });
    expect(h.crm.notes).toHaveLength(1);
    expect(h.crm.notes[0]?.body).toContain('Reason: Bad timing');
    expect(h.crm.notes[0]?.body).toContain('Note: Q3');
  });

  it('catches up every deadline that fell due while nobody swept, page after page, in one sweep', async () => {
    for (let i = 0; i < 5; i++) await detectOne(h, { externalId: `gap-${i}` });
    h.clock.advance(60 * MIN); // no sweeper ran for an hour (a takeover after a crash)
    expect(await sweepDeadlines(h.deps, { limit: 2 })).toMatchObject({ reoffered: 5, conflicts: 0 });
    expect(await sweepDeadlines(h.deps, { limit: 2 })).toMatchObject({ reoffered: 0, reminded: 0, escalated: 0 });
  });

  it('reminds at half time, times out to the next rep, never a previous one, then escalates', async () => {
    const { id } = await detectOne(h);
    h.clock.advance(15 * MIN);
    expect(await sweepDeadlines(h.deps)).toMatchObject({ reminded: 1 });
    expect(await sweepDeadlines(h.deps)).toMatchObject({ reminded: 0 });
    await h.drain();
    expect(h.slack.reminded).toHaveLength(1);

    h.clock.advance(15 * MIN);
    expect(await sweepDeadlines(h.deps)).toMatchObject({ reoffered: 1 });
    await h.drain();
    let handoff = (await h.store.getHandoff(id))!;
    expect(handoff).toMatchObject({ state: 'offered', repId: 'bruno', offerCount: 2 });
    expect(h.slack.closed[0]?.outcome).toMatchObject({ kind: 'timed_out', next: { id: 'bruno' } });

    h.clock.advance(30 * MIN);
    await sweepDeadlines(h.deps);
    h.clock.advance(30 * MIN);
    expect(await sweepDeadlines(h.deps)).toMatchObject({ escalated: 1 });
    await h.drain();
    handoff = (await h.store.getHandoff(id))!;
    expect(handoff).toMatchObject({ state: 'escalated', escalationReason: 'max_offers', offerCount: 3 });
    const reps = (await h.store.listOffers(id)).map((o) => o.repId);
    expect(new Set(reps).size).toBe(reps.length);
    expect(h.slack.escalations).toHaveLength(1);
    expect(h.slack.escalations[0]?.reason).toBe('max_offers');
    expect(h.mailer.sent[0]?.to).toEqual(['maria@example.com']);
    expect(h.mailer.sent[0]?.doc.subject).toMatch(/^\[handoff\] Escalated lead: /);
    expect(h.mailer.sent[0]?.doc.facts).toContainEqual({
      label: 'Reason',
      value: 'every offer timed out or was passed on (maximum offers reached) (3 offer(s) made)',
    });
    expect(h.mailer.sent[0]?.doc.facts).toContainEqual({ label: 'Offers so far', value: '3' });
  });

  /** One lead offered once (maxOffers 1) whose offer timed out: escalated, its posts sent. */
  async function escalatedOne(): Promise<string> {
    await fresh(baseSettings({ sla: { ...baseSettings().sla, maxOffers: 1 } }));
    const { id } = await detectOne(h);
    h.clock.advance(31 * MIN);
    await sweepDeadlines(h.deps);
    await h.drain();
    return id;
  }

  it('lets one team member claim an escalated lead; the second claim loses', async () => {
    const id = await escalatedOne();
    const [a, b] = await Promise.all([
      claimHandoff(h.deps, { handoffId: id, repId: 'bruno' }),
      claimHandoff(h.deps, { handoffId: id, repId: 'chen' }),
    ]);
    expect([a.kind, b.kind].sort()).toEqual(['already_taken', 'claimed']);
    await h.drain();
    expect((await h.store.getHandoff(id))!.state).toBe('accepted');
    expect(h.slack.closedEscalations).toEqual([id]);
  });

  it('lets a manager assign an escalated lead, which becomes a fresh offer', async () => {
    const id = await escalatedOne();
    expect((await assignHandoff(h.deps, { handoffId: id, managerId: 'alice', repId: 'chen' })).kind).toBe(
      'not_allowed',
    );
    const result = await assignHandoff(h.deps, { handoffId: id, managerId: 'maria', repId: 'chen' });
    expect(result.kind).toBe('assigned');
    await h.drain();
    expect((await h.store.getHandoff(id))!).toMatchObject({ state: 'offered', repId: 'chen' });
    expect(h.slack.posted.at(-1)?.card.rep.id).toBe('chen');
  });

  it('withdraws an open hand-off and closes its card; a later click says so', async () => {
    const { id, offers } = await detectOne(h);
    expect((await withdrawHandoff(h.deps, { handoffId: id, why: 'no longer MQL' })).kind).toBe('withdrawn');
    await h.drain();
    expect(h.slack.closed.at(-1)?.outcome.kind).toBe('withdrawn');
    const click = await recordDecision(h.deps, { offerId: offers[0]!.id, actorId: 'alice', decision: 'accept' });
    expect(click).toMatchObject({ kind: 'already_decided', state: 'withdrawn' });
  });

  it('never offers an MQL from before live detection started, even when its record changes later', async () => {
    const start = h.clock.now();
    expect(await ensureLiveFrom(h.deps, 'hubspot', start)).toBe(start - 1000);
    // A second start (a restart, or startFrom recomputed) keeps the first moment.
    expect(await ensureLiveFrom(h.deps, 'hubspot', start + 3_600_000)).toBe(start - 1000);
    const old = makeLead({ mqlAt: start - 86_400_000, modifiedAt: start + 60_000 });
    const fresh = makeLead({ mqlAt: start + 60_000 });
    const summary = await ingestLeads(h.deps, [old, fresh]);
    expect(summary).toMatchObject({ created: 1, beforeStart: 1 });
    expect(await h.store.findHandoffsByRecord('hubspot', old.externalId)).toEqual([]);
  });

  it('escalates an unroutable lead instead of dropping it', async () => {
    const settings = baseSettings({ teams: [] });
    await fresh(settings);
    const { handoff } = await detectOne(h);
    expect(handoff).toMatchObject({ state: 'escalated', escalationReason: 'unroutable' });
    expect(h.slack.escalations).toHaveLength(1);
  });

  it('retries a card after a Slack outage and never posts it twice', async () => {
    h.slack.failNext = [
      { kind: 'transient', reason: 'HTTP 503' },
      { kind: 'rate_limited', reason: 'ratelimited', retryAfterMs: 5_000 },
    ];
    const lead = makeLead();
    await ingestLeads(h.deps, [lead]);
    await h.drain();
    expect(h.slack.posted).toHaveLength(0);
    for (let i = 0; i < 10 && h.slack.posted.length === 0; i++) {
      h.clock.advance(10_000);
      await h.drain();
    }
    expect(h.slack.posted).toHaveLength(1);
    h.clock.advance(60_000);
    await h.drain();
    expect(h.slack.posted).toHaveLength(1);
  });

  it('finds a card whose post lost its answer instead of posting it again', async () => {
    h.slack.loseNextAnswer = true;
    await ingestLeads(h.deps, [makeLead()]);
    await h.drain();
    // Slack has the card, the store has only the channel it went to.
    expect(h.slack.posted).toHaveLength(1);
    const { card, ref } = h.slack.posted[0]!;
    expect(await h.store.getOffer(card.offerId)).toMatchObject({ slackChannel: ref.channel, slackTs: null });
    for (let i = 0; i < 10 && (await h.store.getOffer(card.offerId))?.slackTs == null; i++) {
      h.clock.advance(10_000);
      await h.drain();
    }
    expect(h.slack.lookups).toEqual([card.offerId]);
    expect(h.slack.posted).toHaveLength(1);
    expect(await h.store.getOffer(card.offerId)).toMatchObject({ slackChannel: ref.channel, slackTs: ref.ts });
  });

  it('does not look for a card when no attempt got as far as sending it', async () => {
    h.slack.failNext = [{ kind: 'transient', reason: 'HTTP 503' }];
    await ingestLeads(h.deps, [makeLead()]);
    await h.drain();
    for (let i = 0; i < 10 && h.slack.posted.length === 0; i++) {
      h.clock.advance(10_000);
      await h.drain();
    }
    expect(h.slack.posted).toHaveLength(1);
    expect(h.slack.lookups).toEqual([]);
  });

  it('dead-letters a job that can never succeed', async () => {
    const settings = baseSettings();
    settings.reps = settings.reps.map((r) => (r.id === 'alice' ? ({ ...r, slackUserId: undefined } as never) : r));
    await fresh(settings);
    await detectOne(h);
    expect(await h.store.countJobs('dead')).toBe(1);
    const [dead] = await h.store.listJobs({ state: 'dead' });
    expect(dead?.lastError).toContain('has no Slack user');
  });

  it('maps Slack users to reps and managers for actions', async () => {
    const actions = createHandoffActions(h.deps);
    const { offers } = await detectOne(h);
    expect(await actions.accept({ offerId: offers[0]!.id, actor: { via: 'slack', userId: 'U_NOBODY' } })).toEqual({
      kind: 'unknown_user',
    });
    expect((await actions.accept({ offerId: offers[0]!.id, actor: { via: 'slack', userId: 'U_BRUNO' } })).kind).toBe(
      'not_yours',
    );
    expect((await actions.setAway({ actor: { via: 'slack', userId: 'U_BRUNO' }, until: null })).ok).toBe(true);
    expect((await h.store.getRepStatuses()).map((s) => s.repId)).toEqual(['bruno']);
    const queue = await actions.queue({ actor: { via: 'slack', userId: 'U_ALICE' } });
    expect(queue).toHaveLength(1);
    expect((await actions.accept({ offerId: offers[0]!.id, actor: { via: 'slack', userId: 'U_ALICE' } })).kind).toBe(
      'accepted',
    );
    const summary = await actions.summary({ actor: { via: 'slack', userId: 'U_ALICE' }, since: 0 });
    expect(summary).toMatchObject({ offers: 1, accepted: 1, medianResponseMs: 0 });
  });
});

describe('every use case asks the transition table before it writes', () => {
  /** A hand-off in `state`, reached through the use cases. */
  async function inState(h: Harness, state: HandoffState): Promise<string> {
    const { id } = await detectOne(
      h,
      {},
      { drain: state !== 'detected' && state !== 'escalated' && state !== 'withdrawn' },
    );
    const settings = h.deps.settings;
    if (state === 'escalated') {
      h.deps.settings = baseSettings({ teams: [] }); // nobody to route to: escalated as unroutable
      await offerHandoff(h.deps, id);
      h.deps.settings = settings;
    }
    if (state === 'accepted' || state === 'rejected') {
      const [offer] = await h.store.listOffers(id);
      await recordDecision(h.deps, {
        offerId: offer!.id,
        actorId: offer!.repId,
        decision: state === 'accepted' ? 'accept' : 'reject',
        reasonId: 'bad_timing',
      });
    }
    if (state === 'withdrawn') await withdrawHandoff(h.deps, { handoffId: id, why: 'no longer MQL' });
    expect((await h.store.getHandoff(id))?.state).toBe(state);
    return id;
  }

  /** Decides the hand-off's latest offer as the rep it went to; nothing to decide without an offer. */
  async function decideLatest(h: Harness, id: string, decision: 'accept' | 'reject'): Promise<void> {
    const offer = (await h.store.listOffers(id)).at(-1);
    if (offer)
      await recordDecision(h.deps, { offerId: offer.id, actorId: offer.repId, decision, reasonId: 'bad_timing' });
  }

  /** Each use case with the action of the table it performs. */
  const USE_CASES: [HandoffAction, (h: Harness, id: string) => Promise<unknown>][] = [
    ['offer', (h, id) => offerHandoff(h.deps, id)],
    ['accept', (h, id) => decideLatest(h, id, 'accept')],
    ['reject', (h, id) => decideLatest(h, id, 'reject')],
    [
      'reoffer',
      (h) => {
        h.clock.advance(31 * MIN);
        return sweepDeadlines(h.deps);
      },
    ],
    [
      'escalate',
      async (h, id) => {
        h.deps.settings = baseSettings({ teams: [] }); // a fresh lead is unroutable, a timed-out one has no next rep
        await offerHandoff(h.deps, id);
        h.clock.advance(31 * MIN);
        return sweepDeadlines(h.deps);
      },
    ],
    ['claim', (h, id) => claimHandoff(h.deps, { handoffId: id, repId: 'bruno' })],
    ['assign', (h, id) => assignHandoff(h.deps, { handoffId: id, managerId: 'maria', repId: 'chen' })],
    ['withdraw', (h, id) => withdrawHandoff(h.deps, { handoffId: id, why: 'merged' })],
  ];

  const cases = HANDOFF_STATES.flatMap((state) => USE_CASES.map(([action, run]) => [state, action, run] as const));

  it.each(cases)(
    '%s + %s: a legal move is made, an illegal one is answered without a write',
    async (from, action, run) => {
      const h = createHarness(createMemoryStore());
      const id = await inState(h, from);
      const before = (await h.store.getHandoff(id))!;
      const events = await h.store.listEvents(id);
      // Every write from here on, with what the store answered.
      const writes: { action: HandoffAction | null; ok: boolean }[] = [];
      const applyChange = h.store.applyChange.bind(h.store);
      h.store.applyChange = async (change, now) => {
        const result = await applyChange(change, now);
        writes.push({ action: change.action, ok: result.ok });
        return result;
      };

      await run(h, id);

      const after = (await h.store.getHandoff(id))!;
      const move = nextState(from, action);
      if (move.ok) {
        expect(after.state).toBe(move.to);
        expect(after.version).toBeGreaterThan(before.version);
        expect(writes).toContainEqual({ action, ok: true });
        expect(writes.every((w) => w.ok)).toBe(true);
      } else {
        expect(writes).toEqual([]);
        expect(after).toEqual(before);
        expect(await h.store.listEvents(id)).toEqual(events);
      }
    },
  );
});
