// Intake end to end on the built worker: signed JSON leads and Mautic points webhooks become cards; decisions are
// written back to HubSpot (record found by email) or, with crm: none, sent to the source's callback URL.
import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, liveCards, postgresTestUrl, REPS, type World } from './helpers/world.js';
import {
  formLead,
  formsSource,
  mauticBody,
  mauticSource,
  postIntake,
  postMautic,
  startCallbackServer,
  type CallbackServer,
} from './helpers/intake.js';
import { waitFor } from '../helpers/wait.js';

/** Every card posted to a rep (live or decided), top-level DM messages only. */
function allCards(world: World): Array<{ user: string; text: string }> {
  const out: Array<{ user: string; text: string }> = [];
  for (const rep of REPS) {
    const dm = world.slack.control.dmChannel(rep.slackUserId);
    if (!dm) continue;
    for (const m of world.slack.control.messages(dm)) {
      const text = JSON.stringify(m.blocks);
      if (!m.threadTs && text.includes('handoff_')) out.push({ user: rep.slackUserId, text });
    }
  }
  return out;
}

function firstLiveCard(world: World) {
  for (const rep of REPS) {
    const card = liveCards(world.slack, rep.slackUserId)[0];
    if (card) return { user: rep.slackUserId, card };
  }
  return undefined;
}

/** Intake only: no CRM source, decisions recorded and sent to the callback. */
function intakeOnly(callbackUrl: string) {
  return (base: Record<string, unknown>): Record<string, unknown> => ({
    ...base,
    source: { kind: 'intake', hot: { when: { score: { gte: 99 } }, acceptWithin: '4s' } },
    crm: { kind: 'none' },
    sla: { acceptWithin: '10m', remindAt: false, maxOffers: 2 },
    intake: [formsSource({ callback: { url: callbackUrl } }), mauticSource(100)],
  });
}

async function intakeHandoffs(world: World) {
  const store = await world.openStore();
  try {
    return (await store.listHandoffsByMqlTime(0, Date.now() + 86_400_000, 1_000)).filter((h) => h.source === 'intake');
  } finally {
    await store.close();
  }
}

describe('intake end to end', () => {
  let world: World;
  let callbacks: CallbackServer | null = null;
  afterEach(async () => {
    await world?.close();
    await callbacks?.close();
    callbacks = null;
  });

  it('signed lead → card → Accept → outcome written to the HubSpot contact with that email', async () => {
    world = await createWorld({ config: (base) => ({ ...base, intake: [formsSource()] }) });
    await world.startWorker();
    const lead = formLead(1);
    // The contact exists in HubSpot but is no MQL there: the intake is what makes it one.
    const contactId = world.hubspot.control.createContact({
      email: String(lead.email).toUpperCase(),
      firstname: 'Ines',
      lastname: 'Intake 1',
      lifecyclestage: 'lead',
    });
    const answer = await postIntake(`http://127.0.0.1:${world.port}`, lead);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ received: 1, stored: 1, duplicates: 0 });
    const { user, card } = await waitFor('a card for the intake lead', () => firstLiveCard(world), 15_000);
    expect(JSON.stringify(card.blocks)).toContain('Ines Intake 1');
    expect(JSON.stringify(card.blocks)).toContain('Acme 1');
    const click = await world.slack.control.clickButton({
      user,
      channel: card.channel,
      ts: card.ts,
      actionId: 'handoff_accept',
    });
    expect(click.status).toBe(200);
    const owner = String(501 + REPS.findIndex((r) => r.slackUserId === user));
    await waitFor(
      'the outcome written to HubSpot',
      () => {
        const c = world.hubspot.control.getContact(contactId);
        return c?.properties.hs_lead_status === 'OPEN' && c.properties.hubspot_owner_id === owner;
      },
      20_000,
    );
    const [handoff] = await intakeHandoffs(world);
    expect(handoff).toMatchObject({ state: 'accepted', externalId: 'forms:evt-1', email: 'intake1@acme1.example' });
    expect(await world.stopWorker()).toBe(0);
  }, 90_000);

  it('mixed with Salesforce as the CRM: Reject → the Lead with that email gets the status and a Task', async () => {
    world = await createWorld({ salesforce: 'crm', config: (base) => ({ ...base, intake: [formsSource()] }) });
    await world.startWorker();
    const lead = formLead(5);
    const [sfLead] = world.salesforce.control.seedLeads([
      {
        FirstName: 'Ines',
        LastName: 'Intake 5',
        Company: 'Acme 5',
        Email: String(lead.email),
        Status: 'Open - Not Contacted',
      },
    ]);
    expect((await postIntake(`http://127.0.0.1:${world.port}`, lead)).status).toBe(202);
    const { user, card } = await waitFor('a card', () => firstLiveCard(world), 15_000);
    await world.slack.control.clickButton({ user, channel: card.channel, ts: card.ts, actionId: 'handoff_reject' });
    await waitFor('the reject modal', () =>
      world.slack.control.views(user).find((v) => v.type === 'modal' && !v.closed),
    );
    await world.slack.control.submitView({
      user,
      values: { reject_reason: { reason: 'not_icp' }, reject_note: { note: 'No budget this year' } },
    });
    await waitFor(
      'the Salesforce Lead updated',
      () => world.salesforce.control.record('Lead', sfLead!.Id as string)?.Status === 'Closed - Not Converted',
      20_000,
    );
    const task = await waitFor('a completed Task on the Lead', () =>
      world.salesforce.control.tasks().find((t) => t.WhoId === sfLead!.Id),
    );
    expect(String(task.Description)).toContain('No budget this year');
  }, 90_000);

  it('crm: none → Accept → the decision is sent, signed, to the callback (retried after a 503); Mautic crossing → card', async () => {
    callbacks = await startCallbackServer();
    const cb = callbacks;
    world = await createWorld({ config: intakeOnly(cb.url) });
    await world.startWorker();
    const base = `http://127.0.0.1:${world.port}`;

    const batch = await postIntake(base, [formLead(2), formLead(3, { score: 40 })]);
    expect(batch.status).toBe(202);
    expect(batch.body).toMatchObject({ received: 2, stored: 1, notMql: 1 });
    const { user, card } = await waitFor('a card for the MQL of the batch', () => firstLiveCard(world), 15_000);
    expect(JSON.stringify(card.blocks)).toContain('Ines Intake 2');
    cb.failNext(1);
    await world.slack.control.clickButton({ user, channel: card.channel, ts: card.ts, actionId: 'handoff_accept' });
    const delivered = await waitFor('the decision at the callback', () => cb.received[0], 30_000);
    expect(cb.refused).toBe(1);
    expect(delivered.signatureOk).toBe(true);
    expect(delivered.body).toMatchObject({
      type: 'handoff.decision',
      source: 'forms',
      key: 'evt-2',
      email: 'intake2@acme2.example',
      decision: 'accepted',
      rep: { id: REPS.find((r) => r.slackUserId === user)?.id },
    });
    expect(new Set(cb.received.map((d) => d.deliveryId)).size).toBe(1);

    // Mautic: only the contact whose points cross 100 upward is an MQL.
    const at = new Date().toISOString();
    const mautic = await postMautic(
      base,
      mauticBody([
        { id: 7001, email: 'mia7001@oss.example', old: 90, new: 120, at },
        { id: 7002, email: 'mia7002@oss.example', old: 120, new: 130, at },
      ]),
    );
    expect(mautic.status).toBe(202);
    expect(mautic.body).toMatchObject({ received: 2, stored: 1, notMql: 1 });
    await waitFor(
      'a card for the Mautic contact',
      () => allCards(world).find((c) => c.text.includes('Mia Mautic 7001')),
      15_000,
    );
    expect(allCards(world).some((c) => c.text.includes('Mautic 7002'))).toBe(false);
    const handoffs = await intakeHandoffs(world);
    expect(handoffs.map((h) => h.externalId).sort()).toEqual(['forms:evt-2', `mautic:7001:${Date.parse(at)}`]);
  }, 90_000);
});

const engines = (['sqlite', 'postgres'] as const).filter((e) => e === 'sqlite' || postgresTestUrl() !== null);

describe.each(engines)('intake across restarts (%s)', (engine) => {
  let world: World;
  let callbacks: CallbackServer | null = null;
  afterEach(async () => {
    await world?.close();
    await callbacks?.close();
    callbacks = null;
  });

  it('kill -9 right after the 202 and mid-callback: every lead gets one card, replays and retries make no second one', async () => {
    callbacks = await startCallbackServer();
    const cb = callbacks;
    world = await createWorld({ engine, config: intakeOnly(cb.url) });
    await world.startWorker();
    const base = `http://127.0.0.1:${world.port}`;
    const leads = [11, 12, 13, 14].map((n) => formLead(n));
    const first = await postIntake(base, leads);
    expect(first.body).toMatchObject({ stored: 4 });
    await world.stopWorker('SIGKILL');
    await world.startWorker();
    await waitFor('four cards after the restart', () => allCards(world).length >= 4, 120_000);
    // The sender did not trust the first answer and sends the batch again (signed anew).
    const replay = await postIntake(base, leads);
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ stored: 0, duplicates: 4 });
    expect((await intakeHandoffs(world)).length).toBe(4);

    // Accept one, and kill the worker while the callback is being refused.
    cb.failNext(1_000);
    const { user, card } = await waitFor('a live card', () => firstLiveCard(world));
    await world.slack.control.clickButton({ user, channel: card.channel, ts: card.ts, actionId: 'handoff_accept' });
    await waitFor('the callback tried', () => cb.refused > 0, 20_000);
    await world.stopWorker('SIGKILL');
    cb.failNext(0);
    await world.startWorker();
    await waitFor('the decision delivered after the restart', () => cb.received.length > 0, 120_000);
    const store = await world.openStore();
    try {
      await waitFor(
        'the outbox idle',
        async () =>
          (await store.listJobs({ state: 'pending' })).length + (await store.listJobs({ state: 'running' })).length ===
          0,
        60_000,
      );
    } finally {
      await store.close();
    }
    expect(new Set(cb.received.map((d) => d.deliveryId)).size).toBe(1);
    expect(cb.received.every((d) => d.signatureOk)).toBe(true);
    expect(allCards(world).length).toBe(4);
    const handoffs = await intakeHandoffs(world);
    expect(handoffs.length).toBe(4);
    expect(handoffs.filter((h) => h.state === 'accepted').length).toBe(1);
  }, 420_000);
});
