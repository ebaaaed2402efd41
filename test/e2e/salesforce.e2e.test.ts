// The hand-off loop with Salesforce as source and CRM, and HubSpot as source with Salesforce as CRM.
import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, liveCards, mqlContact, type World } from './helpers/world.js';
import { waitFor } from '../helpers/wait.js';

function mqlLead(n: number): Record<string, string | number | boolean> {
  return {
    FirstName: 'Grace',
    LastName: `Hopper ${n}`,
    Company: 'Compilers Inc',
    Email: `grace${n}@compilers${n}.example`,
    Country: 'DE',
    Status: 'Marketing Qualified',
    NumberOfEmployees: 400,
  };
}

describe('Salesforce as source and CRM, end to end', () => {
  let world: World;
  afterEach(async () => {
    await world?.close();
  });

  it('happy path: Lead becomes MQL → card → Accept → OwnerId and Status written', async () => {
    world = await createWorld({ salesforce: 'both' });
    await world.startWorker();
    const [lead] = world.salesforce.control.seedLeads([mqlLead(1)]);
    const card = await waitFor("a card in Alice's DM", () => liveCards(world.slack, 'U0ALICE')[0], 15_000);
    expect(JSON.stringify(card.blocks)).toContain('Grace Hopper 1');
    await world.slack.control.clickButton({
      user: 'U0ALICE',
      channel: card.channel,
      ts: card.ts,
      actionId: 'handoff_accept',
    });
    await waitFor('the Lead updated in Salesforce', () => {
      const r = world.salesforce.control.record('Lead', lead!.Id as string);
      return r?.OwnerId === world.sfUsers.alice && r?.Status === 'Working - Contacted';
    });
  }, 60_000);

  it('reject path: Status written and a completed Task with the reason and note', async () => {
    world = await createWorld({ salesforce: 'both' });
    await world.startWorker();
    const [lead] = world.salesforce.control.seedLeads([mqlLead(2)]);
    const card = await waitFor('a card', () => liveCards(world.slack, 'U0ALICE')[0], 15_000);
    await world.slack.control.clickButton({
      user: 'U0ALICE',
      channel: card.channel,
      ts: card.ts,
      actionId: 'handoff_reject',
    });
    await waitFor('the reject modal', () =>
      world.slack.control.views('U0ALICE').find((v) => v.type === 'modal' && !v.closed),
    );
    await world.slack.control.submitView({
      user: 'U0ALICE',
      values: { reject_reason: { reason: 'not_icp' }, reject_note: { note: 'Too small for us' } },
    });
    await waitFor(
      'Status written',
      () => world.salesforce.control.record('Lead', lead!.Id as string)?.Status === 'Closed - Not Converted',
    );
    const task = await waitFor('a completed Task on the Lead', () =>
      world.salesforce.control.tasks().find((t) => t.WhoId === lead!.Id),
    );
    expect(task.Status).toBe('Completed');
    expect(String(task.Description)).toContain('Too small for us');
  }, 60_000);

  it('timeout path: the next rep gets it, then it escalates to the managers', async () => {
    world = await createWorld({ salesforce: 'both' });
    await world.startWorker();
    world.salesforce.control.seedLeads([mqlLead(3)]);
    await waitFor('a card for Alice', () => liveCards(world.slack, 'U0ALICE')[0], 15_000);
    await waitFor('the lead to move to Bruno', () => liveCards(world.slack, 'U0BRUNO')[0], 20_000);
    await waitFor(
      'an escalation in the managers channel',
      () => world.slack.control.messages('C0MGRS').find((m) => JSON.stringify(m.blocks).includes('handoff_assign')),
      20_000,
    );
  }, 60_000);

  it('mixed: HubSpot finds the MQL, the Salesforce Lead with the same email gets the outcome', async () => {
    world = await createWorld({ salesforce: 'crm' });
    await world.startWorker();
    const contact = mqlContact();
    const [lead] = world.salesforce.control.seedLeads([
      {
        FirstName: 'Jana',
        LastName: 'S',
        Company: 'Northwind',
        Email: String(contact.email),
        Status: 'Open - Not Contacted',
      },
    ]);
    world.hubspot.control.createContact(contact);
    const card = await waitFor('a card', () => liveCards(world.slack, 'U0ALICE')[0], 15_000);
    await world.slack.control.clickButton({
      user: 'U0ALICE',
      channel: card.channel,
      ts: card.ts,
      actionId: 'handoff_accept',
    });
    await waitFor('the Salesforce Lead updated', () => {
      const r = world.salesforce.control.record('Lead', lead!.Id as string);
      return r?.OwnerId === world.sfUsers.alice && r?.Status === 'Working - Contacted';
    });
  }, 60_000);
});
