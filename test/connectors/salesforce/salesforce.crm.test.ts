import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSalesforceCrm, websiteHost } from '../../../connectors/salesforce/salesforce.crm.js';
import type { Lead } from '../../../src/domain/model.js';
import type { Crm, CrmUpdate } from '../../../src/ports/crm.js';
import { startRig, T0 } from './salesforce.helpers.js';
import type { SalesforceRig } from './salesforce.helpers.js';

const FREE = new Set(['gmail.com', 'yahoo.com']);
let rig: SalesforceRig;
let crm: Crm;

function makeLead(over: Partial<Lead> = {}): Lead {
  return {
    source: 'salesforce',
    externalId: '00Q000000000001AAA',
    email: 'jane@acme.io',
    firstName: 'Jane',
    lastName: 'Doe',
    fields: {},
    props: {},
    mqlAt: T0,
    modifiedAt: T0,
    ownerId: null,
    recordUrl: null,
    ...over,
  };
}

beforeEach(async () => {
  rig = await startRig();
  rig.emu.control.addLeadFields([
    { name: 'Handoff_Reject_Reason__c', type: 'string', length: 255 },
    {
      name: 'Handoff_Stage__c',
      type: 'picklist',
      restricted: true,
      picklistValues: ['Offered', 'Accepted', 'Rejected'],
    },
  ]);
  crm = createSalesforceCrm({}, { connection: rig.conn, isFreeEmailDomain: (d) => FREE.has(d) });
});
afterEach(async () => {
  await rig.close();
});

describe('Salesforce CRM: owners', () => {
  it('resolves an active user by email, ignores inactive ones, and caches the answer', async () => {
    const [alice] = rig.emu.control.seedUsers([
      { Email: 'alice@seller.test', FirstName: 'Alice', LastName: 'A' },
      { Email: 'gone@seller.test', FirstName: 'Gone', LastName: 'G', IsActive: false },
    ]);
    rig.emu.control.resetCallCounts();
    expect(await crm.resolveOwnerId({ email: 'Alice@Seller.test' })).toBe(alice!['Id']);
    expect(await crm.resolveOwnerId({ email: 'alice@seller.test' })).toBe(alice!['Id']);
    expect(await crm.resolveOwnerId({ email: 'gone@seller.test' })).toBeNull();
    expect(rig.emu.control.callCounts().byEndpoint['GET query']).toBe(2);
  });

  it('matches through a Contact with the lead email to its Account owner', async () => {
    const [owner] = rig.emu.control.seedUsers([{ Email: 'owner@seller.test', LastName: 'Owner' }]);
    const [acct] = rig.emu.control.seedAccounts([{ Name: 'Acme', Website: 'other.example', OwnerId: owner!['Id'] }]);
    rig.emu.control.seedContacts([{ LastName: 'Doe', Email: 'jane@acme.io', AccountId: acct!['Id'] }]);
    const match = await crm.findOwnerMatch(makeLead(), { skipFreeEmailDomains: true });
    expect(match).toMatchObject({ ownerId: owner!['Id'], via: 'contact' });
    expect(match!.detail).toContain('Acme');
  });

  it('matches an Account whose website domain is the email domain, active owners only', async () => {
    const [inactive, active] = rig.emu.control.seedUsers([
      { Email: 'old@seller.test', LastName: 'Old', IsActive: false },
      { Email: 'new@seller.test', LastName: 'New' },
    ]);
    rig.emu.control.seedAccounts([
      { Name: 'Acme (old)', Website: 'acme.io', OwnerId: inactive!['Id'] },
      { Name: 'Not Acme', Website: 'https://notacme.io', OwnerId: active!['Id'] },
    ]);
    expect(await crm.findOwnerMatch(makeLead(), { skipFreeEmailDomains: true })).toBeNull();
    rig.advance(1000);
    rig.emu.control.seedAccounts([{ Name: 'Acme', Website: 'https://www.acme.io/about', OwnerId: active!['Id'] }]);
    expect(await crm.findOwnerMatch(makeLead(), { skipFreeEmailDomains: true })).toMatchObject({
      ownerId: active!['Id'],
      via: 'account',
    });
  });

  it('skips free-mail domains when asked to', async () => {
    const [u] = rig.emu.control.seedUsers([{ Email: 'u@seller.test', LastName: 'U' }]);
    rig.emu.control.seedAccounts([{ Name: 'Gmail fan club', Website: 'gmail.com', OwnerId: u!['Id'] }]);
    const lead = makeLead({ email: 'someone@gmail.com' });
    expect(await crm.findOwnerMatch(lead, { skipFreeEmailDomains: true })).toBeNull();
    expect(await crm.findOwnerMatch(lead, { skipFreeEmailDomains: false })).toMatchObject({ via: 'account' });
  });

  it('reads website hosts the way people type them', () => {
    expect(websiteHost('https://www.Acme.io/about')).toBe('acme.io');
    expect(websiteHost('acme.io')).toBe('acme.io');
    expect(websiteHost('  ')).toBeNull();
  });
});

describe('Salesforce CRM: updates', () => {
  it('writes a collection with per-record results: success, bad picklist, unknown field, deleted, unknown id', async () => {
    const [rep] = rig.emu.control.seedUsers([{ Email: 'rep@seller.test', LastName: 'Rep' }]);
    const [ok, badPick, badField, deleted] = rig.emu.control
      .seedLeads([{ LastName: 'ok' }, { LastName: 'pick' }, { LastName: 'field' }, { LastName: 'deleted' }])
      .map((r) => r['Id'] as string);
    rig.emu.control.deleteLead(deleted!);
    rig.advance(5000);
    const ref = (id: string) => ({ source: 'salesforce' as const, externalId: id, email: null });
    rig.emu.control.resetCallCounts();
    const results = await crm.update([
      {
        key: 'j1',
        record: ref(ok!),
        properties: { OwnerId: rep!['Id'] as string, Status: 'Working - Contacted', Handoff_Stage__c: 'Accepted' },
      },
      { key: 'j2', record: ref(badPick!), properties: { Status: 'Nonsense' } },
      { key: 'j3', record: ref(badField!), properties: { No_Such_Field__c: 'x' } },
      { key: 'j4', record: ref(deleted!), properties: { Status: 'Working - Contacted' } },
      { key: 'j5', record: ref('00Q000000000777AAA'), properties: { Status: 'Working - Contacted' } },
    ]);
    expect(results.map((r) => [r.key, r.ok ? 'ok' : r.failure.kind])).toEqual([
      ['j1', 'ok'],
      ['j2', 'invalid'],
      ['j3', 'invalid'],
      ['j4', 'not_found'],
      ['j5', 'not_found'],
    ]);
    const failed = results[1]!;
    expect(!failed.ok && failed.failure.reason).toContain('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    expect(rig.emu.control.callCounts().byEndpoint['PATCH composite/sobjects']).toBe(1);
    const written = rig.emu.control.record('Lead', ok!)!;
    expect(written).toMatchObject({ OwnerId: rep!['Id'], Status: 'Working - Contacted', Handoff_Stage__c: 'Accepted' });
    expect(written['SystemModstamp']).toBe(new Date(T0 + 5000).toISOString().replace('Z', '+0000'));
    expect(rig.emu.control.record('Lead', badPick!)!['Status']).toBe('Open - Not Contacted');
  });

  it('merges two updates of one record in a batch and answers both keys', async () => {
    const [id] = rig.emu.control.seedLeads([{ LastName: 'x' }]).map((r) => r['Id'] as string);
    const record = { source: 'salesforce' as const, externalId: id!, email: null };
    const results = await crm.update([
      { key: 'a', record, properties: { Handoff_Stage__c: 'Offered', Handoff_Reject_Reason__c: 'none' } },
      { key: 'b', record, properties: { Handoff_Stage__c: 'Rejected', Handoff_Reject_Reason__c: '' } },
    ]);
    expect(results).toEqual([
      { key: 'a', ok: true },
      { key: 'b', ok: true },
    ]);
    expect(rig.emu.control.record('Lead', id!)).toMatchObject({
      Handoff_Stage__c: 'Rejected',
      Handoff_Reject_Reason__c: null,
    });
  });

  it('splits large batches into collections of at most 200 records', async () => {
    const ids = rig.emu.control
      .seedLeads(Array.from({ length: 450 }, (_v, i) => ({ LastName: `L${i}` })))
      .map((r) => r['Id'] as string);
    rig.emu.control.resetCallCounts();
    const results = await crm.update(
      ids.map((id, i) => ({
        key: `k${i}`,
        record: { source: 'salesforce', externalId: id, email: null },
        properties: { Handoff_Stage__c: 'Offered' },
      })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(rig.emu.control.callCounts().byEndpoint['PATCH composite/sobjects']).toBe(3);
  });

  it('finds records by email for HubSpot-sourced leads (Lead first, then Contact), batched with IN', async () => {
    const [lead] = rig.emu.control.seedLeads([{ LastName: 'Lead', Email: 'lead@acme.io' }]);
    rig.emu.control.seedLeads([{ LastName: 'Converted', Email: 'contact@acme.io', IsConverted: true }]);
    const [contact] = rig.emu.control.seedContacts([{ LastName: 'Contact', Email: 'contact@acme.io' }]);
    rig.emu.control.resetCallCounts();
    const hub = (id: string, email: string | null) => ({ source: 'hubspot' as const, externalId: id, email });
    const results = await crm.update([
      { key: 'l', record: hub('101', 'LEAD@acme.io'), properties: { Title: 'CTO' } },
      { key: 'c', record: hub('102', 'contact@acme.io'), properties: { Title: 'CFO' } },
      { key: 'n', record: hub('103', 'nobody@acme.io'), properties: { Title: 'CEO' } },
      { key: 'e', record: hub('104', null), properties: { Title: 'CEO' } },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.failure.kind))).toEqual(['ok', 'ok', 'not_found', 'not_found']);
    expect(rig.emu.control.record('Lead', lead!['Id'] as string)!['Title']).toBe('CTO');
    expect(rig.emu.control.record('Contact', contact!['Id'] as string)!['Title']).toBe('CFO');
    expect(rig.emu.control.callCounts().api).toBe(3);
    expect(rig.emu.control.callCounts().byEndpoint).toMatchObject({ 'GET query': 2, 'PATCH composite/sobjects': 1 });
  });

  it('turns a failed call into a failure per record and stops on the daily limit', async () => {
    const ids = rig.emu.control
      .seedLeads(Array.from({ length: 5 }, (_v, i) => ({ LastName: `L${i}` })))
      .map((r) => r['Id'] as string);
    const small = createSalesforceCrm({ batchSize: 2 }, { connection: rig.conn, isFreeEmailDomain: () => false });
    const updates: CrmUpdate[] = ids.map((id, i) => ({
      key: `k${i}`,
      record: { source: 'salesforce', externalId: id, email: null },
      properties: { Title: 'x' },
    }));
    await rig.conn.connect();
    rig.emu.control.setFault({ count: 1, status: 503, endpoints: ['PATCH composite/sobjects'] });
    const first = await small.update(updates);
    expect(first.map((r) => (r.ok ? 'ok' : r.failure.kind))).toEqual(['transient', 'transient', 'ok', 'ok', 'ok']);

    rig.emu.control.setApiUsage(5000, 5000);
    rig.emu.control.resetCallCounts();
    const limited = await small.update(updates);
    expect(limited.every((r) => !r.ok && r.failure.kind === 'rate_limited' && r.failure.scope === 'daily')).toBe(true);
    expect(rig.emu.control.callCounts().api).toBe(1);
  });
});

describe('Salesforce CRM: notes', () => {
  it('creates completed Tasks on the lead (or the contact found by email), batched', async () => {
    const [lead] = rig.emu.control.seedLeads([{ LastName: 'Lead', Email: 'lead@acme.io' }]);
    rig.emu.control.resetCallCounts();
    const results = await crm.addNotes([
      {
        key: 'n1',
        record: { source: 'salesforce', externalId: lead!['Id'] as string, email: null },
        subject: 'MQL rejected: Bad timing',
        body: 'Rep: Alice\nNote: call in Q3',
      },
      {
        key: 'n2',
        record: { source: 'hubspot', externalId: '77', email: 'lead@acme.io' },
        subject: 'x'.repeat(300),
        body: 'long subject',
      },
      {
        key: 'n3',
        record: { source: 'salesforce', externalId: '00Q000000000888AAA', email: null },
        subject: 'ghost',
        body: '',
      },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.failure.kind))).toEqual(['ok', 'ok', 'not_found']);
    const tasks = rig.emu.control.tasks();
    expect(tasks).toHaveLength(2);
    expect(tasks[0]).toMatchObject({
      WhoId: lead!['Id'],
      Status: 'Completed',
      Subject: 'MQL rejected: Bad timing',
      Description: 'Rep: Alice\nNote: call in Q3',
    });
    expect((tasks[1]!['Subject'] as string).length).toBe(255);
    expect(rig.emu.control.callCounts().byEndpoint['POST composite/sobjects']).toBe(1);
  });
});
