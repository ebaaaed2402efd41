// The worker as a child process against the emulators: the hand-off loop end to end.
import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, liveCards, mqlContact, postgresTestUrl, type World, MANAGER } from './helpers/world.js';
import { waitFor, waitForCount } from '../helpers/wait.js';

const engines = (['sqlite', 'postgres'] as const).filter((e) => e === 'sqlite' || postgresTestUrl() !== null);
if (postgresTestUrl() === null)
  console.warn('\n*** e2e on Postgres SKIPPED: set DATABASE_URL to run the main flow on Postgres too ***\n');

describe.each(engines)('hand-off loop end to end (%s)', (engine) => {
  let world: World;
  afterEach(async () => {
    await world?.close();
  });

  it('MQL in HubSpot → card in the right DM → signed Accept → owner and status written → accepted', async () => {
    world = await createWorld({ engine });
    await world.startWorker();
    const contactId = world.hubspot.control.createContact(
      mqlContact({ firstname: 'Ada', lastname: 'Lovelace', company: 'Analytical Engines' }),
    );
    const [card] = await waitFor(
      "a card in Alice's DM",
      () => liveCards(world.slack, 'U0ALICE').at(0) && liveCards(world.slack, 'U0ALICE'),
      15_000,
    );
    expect(JSON.stringify(card!.blocks)).toContain('Ada Lovelace');
    const click = await world.slack.control.clickButton({
      user: 'U0ALICE',
      channel: card!.channel,
      ts: card!.ts,
      actionId: 'handoff_accept',
    });
    expect(click.status).toBe(200);
    await waitFor('owner and status written to HubSpot', () => {
      const c = world.hubspot.control.getContact(contactId);
      return c?.properties.hubspot_owner_id === '501' && c.properties.hs_lead_status === 'OPEN';
    });
    await waitFor('the card to lose its buttons', () => liveCards(world.slack, 'U0ALICE').length === 0).catch(
      (err: unknown) => {
        console.log(
          world.output
            .filter((l) => /"level":(40|50)|close|error/i.test(l))
            .slice(-30)
            .join('\n'),
        );
        console.log(JSON.stringify(world.slack.control.messages(card!.channel), null, 1).slice(0, 3000));
        throw err;
      },
    );
    const store = await world.openStore();
    try {
      const [handoff] = await store.findHandoffsByEmail(
        world.hubspot.control.getContact(contactId)!.properties.email as string,
      );
      expect(handoff).toMatchObject({ state: 'accepted', decidedBy: 'alice', repId: 'alice' });
    } finally {
      await store.close();
    }
    expect(await world.stopWorker()).toBe(0);
  }, 60_000);

  it('reject with a reason → status, reason, note on the timeline and the recycle step', async () => {
    world = await createWorld({ engine });
    await world.startWorker();
    const contactId = world.hubspot.control.createContact(mqlContact());
    const card = await waitFor('a card', () => liveCards(world.slack, 'U0ALICE')[0]);
    await world.slack.control.clickButton({
      user: 'U0ALICE',
      channel: card.channel,
      ts: card.ts,
      actionId: 'handoff_reject',
    });
    const modal = await waitFor('the reject modal', () =>
      world.slack.control.views('U0ALICE').find((v) => v.type === 'modal' && !v.closed),
    );
    expect(JSON.stringify(modal.view)).toContain('Bad timing');
    const missingNote = await world.slack.control.submitView({
      user: 'U0ALICE',
      values: { reject_reason: { reason: 'other' }, reject_note: { note: null } },
    });
    expect(JSON.stringify(missingNote.body)).toContain('errors');
    await world.slack.control.submitView({
      user: 'U0ALICE',
      values: { reject_reason: { reason: 'bad_timing' }, reject_note: { note: 'Budget opens in Q3' } },
    });
    await waitFor('the rejection written back', () => {
      const c = world.hubspot.control.getContact(contactId);
      return (
        c?.properties.hs_lead_status === 'UNQUALIFIED' &&
        c.properties.handoff_rejection_reason === 'bad_timing' &&
        c.properties.lifecyclestage === 'lead'
      );
    });
    await waitFor('a note on the contact timeline', () =>
      world.hubspot.control
        .notes()
        .find((n) => n.contactIds.includes(contactId) && JSON.stringify(n.properties).includes('Budget opens in Q3')),
    );
  }, 60_000);

  it('timeout → next rep → escalation to managers (Slack and email) → manager assigns → accept', async () => {
    world = await createWorld({ engine });
    await world.startWorker();
    const contactId = world.hubspot.control.createContact(mqlContact());
    await waitFor('a card for Alice', () => liveCards(world.slack, 'U0ALICE')[0]);
    await waitFor(
      "a reminder in Alice's thread",
      () => {
        const dm = world.slack.control.dmChannel('U0ALICE');
        return dm && world.slack.control.messages(dm).some((m) => m.threadTs !== null);
      },
      15_000,
    );
    const second = await waitFor(
      'the lead to move to Bruno after the timeout',
      () => liveCards(world.slack, 'U0BRUNO')[0],
      20_000,
    );
    expect(second).toBeDefined();
    await waitFor("Alice's card closed as timed out", () => liveCards(world.slack, 'U0ALICE').length === 0);
    const escalation = await waitFor(
      'an escalation in the managers channel',
      () => world.slack.control.messages('C0MGRS').find((m) => JSON.stringify(m.blocks).includes('handoff_assign')),
      20_000,
    );
    await waitFor('an escalation email to the manager', () => world.mails.find((m) => m.to.includes(MANAGER.email)));
    const chenOption = /"value":"([^"]*chen)"/.exec(JSON.stringify(escalation.blocks))?.[1];
    expect(chenOption).toBeDefined();
    const assign = await world.slack.control.selectOption({
      user: MANAGER.slackUserId,
      channel: escalation.channel,
      ts: escalation.ts,
      actionId: 'handoff_assign',
      value: chenOption!,
    });
    expect(assign.status).toBe(200);
    const card = await waitFor('a card for Chen', () => liveCards(world.slack, 'U0CHEN')[0]);
    await world.slack.control.clickButton({
      user: 'U0CHEN',
      channel: card.channel,
      ts: card.ts,
      actionId: 'handoff_accept',
    });
    await waitFor(
      'Chen written as owner',
      () => world.hubspot.control.getContact(contactId)?.properties.hubspot_owner_id === '503',
    );
  }, 90_000);
});

describe('at-least-once inputs, exactly-once effects', () => {
  let world: World;
  afterEach(async () => {
    await world?.close();
  });

  it('duplicate webhooks and overlapping polls make one hand-off and one card', async () => {
    // A long SLA: the test waits for extra poll rounds, and a timeout would legitimately move cards on.
    world = await createWorld({ config: (c) => ({ ...c, sla: { acceptWithin: '10m', maxOffers: 2 } }) });
    await world.startWorker();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(world.hubspot.control.createContact(mqlContact()));
    await world.hubspot.control.flushWebhooks();
    // Touch them again so webhooks and polls see them once more.
    for (const id of ids) world.hubspot.control.updateContact(id, { hubspotscore: 71 });
    await world.hubspot.control.flushWebhooks();
    const store = await world.openStore();
    try {
      await waitFor(
        'five offers',
        async () => (await store.listOpenHandoffs(100)).filter((h) => h.state === 'offered').length === 5,
        20_000,
      );
      await waitFor(
        'five cards',
        () => ['U0ALICE', 'U0BRUNO', 'U0CHEN'].flatMap((u) => liveCards(world.slack, u)).length >= 5,
      );
      // Another poll round and the webhook retries must not add anything.
      await world.hubspot.control.flushWebhooks();
      const searches = (): number =>
        Object.entries(world.hubspot.control.callCounts())
          .filter(([k]) => k.includes('search'))
          .reduce((n, [, v]) => n + v, 0);
      const before = searches();
      await waitFor('two more poll rounds', () => searches() >= before + 2);
      expect((await store.listOpenHandoffs(100)).length).toBe(5);
      const cards = ['U0ALICE', 'U0BRUNO', 'U0CHEN'].flatMap((u) => liveCards(world.slack, u));
      expect(cards).toHaveLength(5);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('kill -9 mid-run loses nothing: every lead gets exactly one card after a restart', async () => {
    world = await createWorld({ config: (c) => ({ ...c, sla: { acceptWithin: '10m', maxOffers: 2 } }) });
    await world.startWorker();
    const total = 60;
    for (let i = 0; i < total / 2; i++) world.hubspot.control.createContact(mqlContact());
    await waitFor(
      'some cards',
      () => ['U0ALICE', 'U0BRUNO', 'U0CHEN'].flatMap((u) => liveCards(world.slack, u)).length > 3,
      20_000,
    );
    await world.stopWorker('SIGKILL');
    for (let i = 0; i < total / 2; i++) world.hubspot.control.createContact(mqlContact());
    await world.startWorker();
    // 60 cards to three reps is paced by Slack's ~1 message/s per DM: wait while cards keep coming.
    await waitForCount(
      `${total} cards`,
      () => ['U0ALICE', 'U0BRUNO', 'U0CHEN'].flatMap((u) => liveCards(world.slack, u)).length,
      total,
    ).catch(async (err: unknown) => {
      console.log('cards:', ['U0ALICE', 'U0BRUNO', 'U0CHEN'].flatMap((u) => liveCards(world.slack, u)).length);
      console.log(
        world.output
          .filter((l) => /"level":(40|50)/.test(l))
          .slice(-6)
          .join('\n'),
      );
      const st = await world.openStore();
      console.log(
        'pending',
        (await st.listJobs({ state: 'pending' }))
          .map((j) => `${j.kind}@${j.runAt - Date.now()}ms a${j.attempts}`)
          .join(' '),
      );
      console.log('dead', (await st.listJobs({ state: 'dead' })).map((j) => `${j.kind}:${j.lastError}`).join(' | '));
      console.log(
        'running',
        (await st.listJobs({ state: 'running' }))
          .map((j) => `${j.kind}:${j.lockedBy}:${(j.leaseUntil ?? 0) - Date.now()}`)
          .join(' | '),
      );
      let withTs = 0;
      for (const h of await st.listOpenHandoffs(500))
        for (const o of await st.listOffers(h.id)) if (o.slackTs) withTs++;
      console.log(
        'offers with ts',
        withTs,
        'messages',
        world.slack.control.messages().filter((m) => !m.threadTs).length,
      );
      await st.close();
      throw err;
    });
    const cards = ['U0ALICE', 'U0BRUNO', 'U0CHEN'].flatMap((u) => liveCards(world.slack, u));
    const leads = cards.map((m) => /lead\d+@/.exec(JSON.stringify(m.blocks))?.[0] ?? m.ts);
    expect(new Set(leads).size).toBe(total);
    expect(cards).toHaveLength(total);
    expect(await world.stopWorker()).toBe(0);
  }, 300_000);
});
