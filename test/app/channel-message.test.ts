// A lead's one message per Slack channel, driven through the use cases and the outbox: the hot-lead
// announcement, re-offers, the escalation and its claim / assignment / withdrawal update it in place, with
// the steps as thread replies; retries, duplicate jobs, lost answers and racing jobs never post a second one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestLeads } from '../../src/app/ingest-leads.js';
import { offerHandoff } from '../../src/app/offer-handoff.js';
import { sweepDeadlines } from '../../src/app/sweep-deadlines.js';
import { assignHandoff, claimHandoff } from '../../src/app/claim-handoff.js';
import { withdrawHandoff } from '../../src/app/withdraw-handoff.js';
import { recordDecision } from '../../src/app/record-decision.js';
import { job } from '../../src/app/jobs.js';
import { createJobHandlers } from '../../src/app/job-handlers.js';
import type { AppSettings } from '../../src/app/settings.js';
import type { EscalationPost } from '../../src/ports/rep-notifier.js';
import type { Store } from '../../src/ports/store.js';
import { createMemoryStore } from '../../src/store/index.js';
import { openSqliteTestStore } from '../helpers/stores.js';
import { makeLead } from '../helpers/builders.js';
import { waitFor } from '../helpers/wait.js';
import { baseSettings, createHarness, type Harness } from '../helpers/app-harness.js';

const MIN = 60_000;
const HOT_SLA = 5 * MIN;

function hotSettings(overrides: Partial<AppSettings> = {}): AppSettings {
  const base = baseSettings();
  return {
    ...base,
    hot: { when: { kind: 'compare', field: 'score', op: 'gte', value: 90 }, acceptWithin: HOT_SLA },
    sla: { ...base.sla, maxOffers: 2 },
    ...overrides,
  };
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

describe.each(engines)("a lead's channel messages (%s store)", (_name, open) => {
  let h: Harness;
  let close: () => Promise<void>;

  async function fresh(settings: AppSettings = hotSettings()): Promise<Harness> {
    const opened = await open();
    close = () => opened.close();
    h = createHarness(opened.store, settings);
    return h;
  }
  beforeEach(async () => {
    await fresh();
  });
  afterEach(async () => {
    await close();
  });

  async function hotLead(): Promise<string> {
    const summary = await ingestLeads(h.deps, [makeLead({ fields: { company: 'Acme', score: 95 } })]);
    await h.drain();
    return summary.handoffIds[0] as string;
  }

  /** Lets the open offer time out, sweeps, and runs the outbox. */
  async function timeOut(): Promise<void> {
    h.clock.advance(HOT_SLA + 1_000);
    await sweepDeadlines(h.deps);
    await h.drain();
  }

  const messagesOf = (id: string) => h.slack.leadMessages.filter((m) => m.handoffId === id);
  const inChannel = (id: string, channel: string) => messagesOf(id).filter((m) => m.channel === channel);

  it('tells a hot lead from announcement to claim in one team message and one managers message', async () => {
    const id = await hotLead();
    expect(messagesOf(id)).toHaveLength(1);
    const [team] = inChannel(id, 'C_EMEA');
    expect(team).toMatchObject({ audience: 'team', first: { kind: 'hot', card: { seq: 1, rep: { id: 'alice' } } } });

    await timeOut(); // re-offered to bruno
    expect(team?.shown).toMatchObject({ kind: 'hot', card: { seq: 2, rep: { id: 'bruno' } } });
    expect(team?.steps).toMatchObject([{ kind: 'reoffered', card: { rep: { id: 'bruno' } } }]);

    await timeOut(); // max offers: escalated
    expect((await h.store.getHandoff(id))?.state).toBe('escalated');
    expect(team?.shown.kind).toBe('escalated');
    expect(team?.steps.map((s) => s.kind)).toEqual(['reoffered', 'escalated']);
    const [managers] = inChannel(id, 'C_MGRS');
    expect(managers).toMatchObject({ audience: 'managers', first: { kind: 'escalated' }, steps: [] });

    expect((await claimHandoff(h.deps, { handoffId: id, repId: 'chen' })).kind).toBe('claimed');
    await h.drain();
    for (const m of [team, managers]) {
      expect(m?.shown).toMatchObject({ kind: 'closed', outcome: { kind: 'claimed', by: { id: 'chen' } } });
      expect(m?.steps.at(-1)).toMatchObject({ kind: 'closed', outcome: { kind: 'claimed' } });
    }
    // One top-level message per channel, the whole way.
    expect(messagesOf(id).map((m) => m.channel)).toEqual(['C_EMEA', 'C_MGRS']);
    expect(h.slack.escalations).toHaveLength(1);
    expect(h.slack.closedEscalations).toEqual([id]);
  });

  it("shows a hot lead's decision in its team message and thread; a plain lead's decision touches no channel", async () => {
    const id = await hotLead();
    await timeOut(); // now with bruno
    const [offer] = (await h.store.listOffers(id)).filter((o) => o.state === 'open');
    expect((await recordDecision(h.deps, { offerId: offer!.id, actorId: 'bruno', decision: 'accept' })).kind).toBe(
      'accepted',
    );
    await h.drain();
    const [team] = messagesOf(id);
    expect(team?.shown).toMatchObject({ kind: 'decided', outcome: { kind: 'accepted', by: { id: 'bruno' } } });
    expect(team?.steps.map((s) => s.kind)).toEqual(['reoffered', 'decided']);
    expect(messagesOf(id)).toHaveLength(1);

    const plain = await ingestLeads(h.deps, [makeLead()]);
    await h.drain();
    const plainId = plain.handoffIds[0] as string;
    const [plainOffer] = await h.store.listOffers(plainId);
    await recordDecision(h.deps, { offerId: plainOffer!.id, actorId: 'alice', decision: 'accept' });
    await h.drain();
    expect(messagesOf(plainId)).toEqual([]);
    expect(await h.store.listChannelMessages(plainId)).toEqual([]);
  });

  it('shows a manager assignment on both messages; the new offer goes to the rep as a card', async () => {
    await fresh(hotSettings({ hot: null, sla: { ...baseSettings().sla, maxOffers: 1 } }));
    const summary = await ingestLeads(h.deps, [makeLead()]);
    await h.drain();
    const id = summary.handoffIds[0] as string;
    expect(messagesOf(id)).toEqual([]); // not hot: nothing in channels while it is simply offered
    h.clock.advance(31 * MIN);
    await sweepDeadlines(h.deps);
    await h.drain();
    expect(messagesOf(id).map((m) => [m.channel, m.first.kind])).toEqual([
      ['C_EMEA', 'escalated'],
      ['C_MGRS', 'escalated'],
    ]);
    expect((await assignHandoff(h.deps, { handoffId: id, managerId: 'maria', repId: 'chen' })).kind).toBe('assigned');
    await h.drain();
    for (const m of messagesOf(id)) {
      expect(m.shown).toMatchObject({
        kind: 'closed',
        outcome: { kind: 'assigned', by: { id: 'maria' }, to: { id: 'chen' } },
      });
      expect(m.steps).toMatchObject([{ kind: 'closed', outcome: { kind: 'assigned' } }]);
    }
    expect(h.slack.posted.at(-1)?.card.rep.id).toBe('chen');
    expect(messagesOf(id)).toHaveLength(2);
  });

  it('shows a withdrawal of an escalated lead', async () => {
    const id = await hotLead();
    await timeOut();
    await timeOut();
    expect((await withdrawHandoff(h.deps, { handoffId: id, why: 'no longer MQL' })).kind).toBe('withdrawn');
    await h.drain();
    for (const m of messagesOf(id)) expect(m.shown).toMatchObject({ kind: 'closed', outcome: { kind: 'withdrawn' } });
  });

  it('never posts a second message for duplicate or repeated jobs (a restart, another replica)', async () => {
    const id = await hotLead();
    await timeOut();
    await timeOut();
    const offers = await h.store.listOffers(id);
    const now = h.clock.now();
    // The same work queued again under other keys, as a second replica or an old version might have.
    await h.store.enqueueJobs(
      [
        ...offers.map((o) => job('slack.hot_notice', { offerId: o.id, channel: 'C_EMEA' }, `again:${o.id}`, now, id)),
        job('slack.escalation', { handoffId: id, reason: 'max_offers' }, `again:${id}`, now, id),
      ],
      now,
    );
    await h.drain();
    expect(messagesOf(id).map((m) => m.channel)).toEqual(['C_EMEA', 'C_MGRS']);
    expect(inChannel(id, 'C_EMEA')[0]?.shown.kind).toBe('escalated');
  });

  it('changes nothing when a finished job runs again (its first run was never recorded as done)', async () => {
    const id = await hotLead();
    await timeOut();
    await timeOut();
    expect((await claimHandoff(h.deps, { handoffId: id, repId: 'chen' })).kind).toBe('claimed');
    await h.drain();
    const before = JSON.stringify(messagesOf(id));
    const handlers = createJobHandlers(h.deps, { source: null, notifier: h.slack, crm: h.crm, mailer: h.mailer });
    const kinds = ['slack.hot_notice', 'slack.escalation', 'slack.close_escalation', 'slack.close_offer'] as const;
    let rerun = 0;
    for (const kind of kinds) {
      for (const j of await h.store.listJobs({ kind, handoffId: id, state: 'done' })) {
        expect(await handlers[kind].run([j])).toEqual([{ ok: true }]);
        rerun += 1;
      }
    }
    expect(rerun).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(messagesOf(id))).toBe(before);
  });

  it('finds a message whose answer was lost instead of posting it again', async () => {
    h.slack.loseNextLeadAnswer = true;
    const id = await hotLead();
    expect(messagesOf(id)).toHaveLength(1);
    expect(await h.store.listChannelMessages(id)).toMatchObject([{ channel: 'C_EMEA', ts: null }]);
    h.clock.advance(MIN);
    await h.drain();
    expect(h.slack.leadLookups).toEqual([`C_EMEA:${id}`]);
    expect(messagesOf(id)).toHaveLength(1);
    expect(await h.store.listChannelMessages(id)).toMatchObject([{ channel: 'C_EMEA', ts: messagesOf(id)[0]?.ref.ts }]);
  });

  it("waits while another job holds the lead's messages, then carries on", async () => {
    const summary = await ingestLeads(h.deps, [makeLead({ fields: { score: 95 } })]);
    const id = summary.handoffIds[0] as string;
    const lock = `lead-message:${id}`;
    expect(await h.store.tryAcquireLease(lock, 'another-replica', 60_000, h.clock.now())).toBe(true);
    await h.drain();
    expect(h.slack.posted).toHaveLength(1); // the DM card does not wait
    expect(messagesOf(id)).toEqual([]);
    const [waiting] = await h.store.listJobs({ kind: 'slack.hot_notice', handoffId: id });
    // Its turn is scheduled, not failed: the attempt is given back and nothing is recorded as an error.
    expect(waiting).toMatchObject({ state: 'pending', attempts: 0, lastError: null });
    await h.store.releaseLease(lock, 'another-replica');
    h.clock.advance(5_000);
    await h.drain();
    expect(messagesOf(id)).toHaveLength(1);
  });

  it('lets two jobs of one lead racing on two workers make one message, not two', async () => {
    const summary = await ingestLeads(h.deps, [makeLead({ fields: { score: 95 } })]);
    const id = summary.handoffIds[0] as string;
    expect((await offerHandoff(h.deps, id)).kind).toBe('offered');
    const [offer] = await h.store.listOffers(id);
    const now = h.clock.now();
    await h.store.enqueueJobs(
      [job('slack.hot_notice', { offerId: offer!.id, channel: 'C_EMEA' }, 'twin', now, id)],
      now,
    );
    const [first, second] = await h.store.listJobs({ kind: 'slack.hot_notice', handoffId: id });
    const ports = { source: null, notifier: h.slack, crm: h.crm, mailer: h.mailer };
    const workerA = createJobHandlers(h.deps, ports)['slack.hot_notice'];
    const workerB = createJobHandlers(h.deps, ports)['slack.hot_notice'];
    let open!: () => void;
    h.slack.gate = new Promise<void>((resolve) => (open = resolve));
    const a = workerA.run([{ ...first!, lockedBy: 'a', attempts: 1 }]);
    await waitFor('the first post to be in flight', () => h.slack.waiting === 1);
    expect(await workerB.run([{ ...second!, lockedBy: 'b', attempts: 1 }])).toMatchObject([
      { ok: false, deferred: { reason: expect.stringMatching(/another job/) } },
    ]);
    open();
    h.slack.gate = null;
    expect(await a).toEqual([{ ok: true }]);
    expect(await workerB.run([{ ...second!, lockedBy: 'b', attempts: 2 }])).toEqual([{ ok: true }]);
    expect(messagesOf(id)).toHaveLength(1);
    expect(messagesOf(id)[0]?.updates).toBe(0);
  });

  it('adopts the escalation posts of an earlier version instead of posting new ones', async () => {
    await fresh(hotSettings({ hot: null, sla: { ...baseSettings().sla, maxOffers: 1 } }));
    const summary = await ingestLeads(h.deps, [makeLead()]);
    await h.drain();
    const id = summary.handoffIds[0] as string;
    // Escalated as an earlier version did it: its posts went out and were recorded as an event.
    h.clock.advance(31 * MIN);
    await sweepDeadlines(h.deps);
    expect((await h.store.getHandoff(id))?.state).toBe('escalated');
    const old = [
      { channel: 'C_MGRS', ts: '1700000000.000100' },
      { channel: 'C_EMEA', ts: '1700000000.000200' },
    ];
    const post = { kind: 'escalated' as const, post: { handoffId: id } as EscalationPost };
    for (const ref of old) {
      const audience = ref.channel === 'C_MGRS' ? ('managers' as const) : ('team' as const);
      h.slack.leadMessages.push({
        ...ref,
        ref,
        audience,
        handoffId: id,
        first: post,
        shown: post,
        updates: 0,
        steps: [],
      });
    }
    await h.store.appendEvent(id, { type: 'escalation_posted', actor: null, data: { refs: old } }, h.clock.now());
    const claim = { now: h.clock.now(), limit: 10, leaseMs: MIN, workerId: 'old', kinds: ['slack.escalation'] };
    for (const j of await h.store.claimJobs(claim)) await h.store.completeJob(j.id, 'old', h.clock.now());

    expect((await claimHandoff(h.deps, { handoffId: id, repId: 'bruno' })).kind).toBe('claimed');
    await h.drain();
    expect(messagesOf(id)).toHaveLength(2);
    for (const m of messagesOf(id)) {
      expect(m.updates).toBeGreaterThan(0);
      expect(m.shown).toMatchObject({ kind: 'closed', outcome: { kind: 'claimed', by: { id: 'bruno' } } });
    }
  });
});
