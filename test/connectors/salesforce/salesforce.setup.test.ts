import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkSalesforce, setupSalesforce } from '../../../connectors/salesforce/salesforce.setup.js';
import type { SalesforceSetupOptions } from '../../../connectors/salesforce/salesforce.setup.js';
import { startRig } from './salesforce.helpers.js';
import type { SalesforceRig } from './salesforce.helpers.js';

let rig: SalesforceRig;
let options: SalesforceSetupOptions;

beforeEach(async () => {
  rig = await startRig({ dailyLimit: 1000 });
  options = {
    connection: {
      loginUrl: rig.emu.url,
      apiVersion: '62.0',
      auth: { flow: 'client_credentials', clientId: 'handoff', clientSecret: 'secret' },
    },
    mql: { status: 'Marketing Qualified', minScore: 60 },
    fields: { title: 'Title', company: 'Company', score: 'Lead_Score__c', employees: 'NumberOfEmployees' },
    mqlDateField: 'MQL_Date__c',
    writes: {
      onAccept: { Status: 'Working - Contacted' },
      onReject: { Status: 'Closed - Not Converted', Handoff_Rejection_Reason__c: '{{reason.id}}' },
      onRecycle: { Status: 'Recycled' },
    },
    notes: true,
  };
});
afterEach(async () => {
  await rig.close();
});

const byName = (lines: Array<{ name: string; ok: boolean; detail: string }>, prefix: string) =>
  lines.find((l) => l.name.startsWith(prefix));

describe('Salesforce setup checks', () => {
  it('lists missing read and write fields with the type to create them as', async () => {
    const { lines, missing } = await setupSalesforce(options, { connection: rig.conn });
    expect(byName(lines, 'salesforce sign-in')?.ok).toBe(true);
    expect(byName(lines, 'salesforce API allowance')).toMatchObject({ ok: true });
    expect(byName(lines, 'Lead update permission')?.ok).toBe(true);
    expect(byName(lines, 'Lead.Status value')?.ok).toBe(true);
    expect(byName(lines, 'read Lead.Title')?.ok).toBe(true);
    expect(missing.map((m) => [m.name, m.kind])).toEqual([
      ['Lead_Score__c', 'Number'],
      ['MQL_Date__c', 'Date/Time'],
      ['Handoff_Rejection_Reason__c', 'Text'],
    ]);
    expect(byName(lines, 'write Lead.Status')).toMatchObject({ ok: false });
    expect(byName(lines, 'write Lead.Status')!.detail).toContain('"Recycled" not allowed');
    expect(byName(lines, 'write Lead.OwnerId')?.ok).toBe(true);
    expect(byName(lines, 'Task create permission')?.ok).toBe(true);
    expect(byName(lines, 'custom fields to create')!.detail).toContain('Handoff_Rejection_Reason__c (Text(255)');
  });

  it('passes once the fields exist, and flags a read-only Lead and the allowance', async () => {
    rig.emu.control.addLeadFields([
      { name: 'Lead_Score__c', type: 'double' },
      { name: 'MQL_Date__c', type: 'datetime' },
      { name: 'Handoff_Rejection_Reason__c', type: 'string', length: 255 },
    ]);
    rig.emu.control.addLeadStatus('Recycled');
    const good = await setupSalesforce(options, { connection: rig.conn });
    expect(good.lines.filter((l) => !l.ok)).toEqual([]);
    expect(good.missing).toEqual([]);

    rig.emu.control.setObjectAccess('Lead', { updateable: false });
    rig.emu.control.setObjectAccess('Task', { createable: false });
    rig.emu.control.setApiUsage(950);
    const lines = await checkSalesforce(options, { connection: rig.conn });
    expect(byName(lines, 'Lead update permission')?.ok).toBe(false);
    expect(byName(lines, 'write Lead.Status')?.ok).toBe(false);
    expect(byName(lines, 'Task create permission')?.ok).toBe(false);
    expect(byName(lines, 'salesforce API allowance')).toMatchObject({ ok: false });
  });

  it('stops at a failed sign-in with the classified reason', async () => {
    const lines = await checkSalesforce({
      ...options,
      connection: {
        ...options.connection,
        auth: { flow: 'client_credentials', clientId: 'handoff', clientSecret: 'wrong' },
      },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: 'salesforce sign-in', ok: false });
    expect(lines[0]!.detail).toMatch(/^auth:/);
  });
});
