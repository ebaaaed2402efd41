// Acceptance: 1,000 MQL leads detected exactly once across repeated polls, and the Salesforce calls that
// detection plus write-back (owner + status, batched) of those 1,000 cost. Budget: ≤ 15 calls per 1,000.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSalesforceCrm } from '../../../connectors/salesforce/salesforce.crm.js';
import { createSalesforceLeadSource } from '../../../connectors/salesforce/salesforce.lead-source.js';
import type { CrmUpdate } from '../../../src/ports/crm.js';
import type { Lead } from '../../../src/domain/model.js';
import { startRig, T0 } from './salesforce.helpers.js';
import type { SalesforceRig } from './salesforce.helpers.js';

const MQL = 'Marketing Qualified';
let rig: SalesforceRig;

beforeAll(async () => {
  rig = await startRig();
  rig.emu.control.addLeadFields([{ name: 'Lead_Score__c', type: 'double' }]);
});
afterAll(async () => {
  await rig.close();
});

describe('Salesforce: 1,000 MQLs', () => {
  it('detects each lead exactly once across repeated polls and writes back within the call budget', async () => {
    const reps = rig.emu.control.seedUsers([
      { Email: 'alice@seller.test', LastName: 'Alice' },
      { Email: 'bruno@seller.test', LastName: 'Bruno' },
      { Email: 'chen@seller.test', LastName: 'Chen' },
    ]);
    const queue = rig.emu.control.seedQueue('Inbound');
    for (let i = 0; i < 1000; i += 1) {
      rig.emu.control.seedLeads([
        {
          LastName: `Lead ${i}`,
          Company: `Co ${i}`,
          Email: `l${i}@co${i}.test`,
          Status: MQL,
          Lead_Score__c: i % 100,
          OwnerId: queue['Id'],
        },
      ]);
      if (i % 7 === 0) rig.emu.control.seedLeads([{ LastName: `Open ${i}`, Status: 'Open - Not Contacted' }]);
      if (i % 10 === 9) rig.advance(1000); // ten leads share each SystemModstamp second
    }
    const source = createSalesforceLeadSource(
      { mql: { status: MQL }, fields: { company: 'Company', score: 'Lead_Score__c' }, overlapMs: 120_000 },
      { connection: rig.conn },
    );
    const crm = createSalesforceCrm({}, { connection: rig.conn, isFreeEmailDomain: () => false });
    await rig.conn.connect();

    // The caller's side: a unique key per episode, and the cursor stored after each page.
    const stored = new Map<string, Lead>();
    const keysPerLead = new Map<string, Set<string>>();
    let cursor: string | null = null;
    let yielded = 0;
    const poll = async (): Promise<void> => {
      for await (const page of source.poll(cursor, { startFrom: T0 - 60_000 })) {
        for (const lead of page.leads) {
          yielded += 1;
          const key = `${lead.source}:${lead.externalId}:${lead.mqlAt}`;
          if (!stored.has(key)) stored.set(key, lead);
          const keys = keysPerLead.get(lead.externalId) ?? new Set<string>();
          keys.add(key);
          keysPerLead.set(lead.externalId, keys);
        }
        cursor = page.cursor;
      }
    };

    rig.emu.control.resetCallCounts();
    await poll();
    const detection = rig.emu.control.callCounts().api;
    expect(stored.size).toBe(1000);

    rig.advance(30_000);
    await poll();
    rig.advance(30_000);
    await poll();
    const repeatedPolls = rig.emu.control.callCounts().api - detection;
    expect(stored.size).toBe(1000);
    expect([...keysPerLead.values()].every((k) => k.size === 1)).toBe(true);

    // Write-back: owner (round-robin over three reps) and status, one update per lead, batched.
    const before = rig.emu.control.callCounts().api;
    const leads = [...stored.values()];
    const updates: CrmUpdate[] = [];
    for (const [i, lead] of leads.entries()) {
      const rep = reps[i % reps.length]!;
      const ownerId = await crm.resolveOwnerId({ email: rep['Email'] as string });
      expect(ownerId).toBe(rep['Id']);
      updates.push({
        key: `job-${i}`,
        record: { source: 'salesforce', externalId: lead.externalId, email: lead.email },
        properties: { OwnerId: ownerId!, Status: 'Working - Contacted' },
      });
    }
    const results = await crm.update(updates);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const writeBack = rig.emu.control.callCounts().api - before;

    // After write-back the leads are no longer MQL: a later poll finds nothing new.
    rig.advance(30_000);
    const sizeBefore = stored.size;
    await poll();
    expect(stored.size).toBe(sizeBefore);
    const written = rig.emu.control.records('Lead').filter((r) => r['Status'] === 'Working - Contacted');
    expect(written).toHaveLength(1000);
    expect(new Set(written.map((r) => r['OwnerId']))).toEqual(new Set(reps.map((r) => r['Id'])));

    const counts = rig.emu.control.callCounts();
    console.log(
      [
        'Salesforce calls for 1,000 MQLs:',
        `  detection (first poll): ${detection}`,
        `  write-back (owner + status): ${writeBack}  (${counts.byEndpoint['PATCH composite/sobjects']} collection PATCHes of ≤200 + ${writeBack - (counts.byEndpoint['PATCH composite/sobjects'] ?? 0)} owner lookups)`,
        `  detection + write-back: ${detection + writeBack}  (budget 15)`,
        `  each later poll: ${repeatedPolls / 2}  (lead records yielded over all polls: ${yielded})`,
        `  token requests: ${rig.conn.tokenRequests()} (not counted against the API allowance)`,
      ].join('\n'),
    );
    expect(detection + writeBack).toBeLessThanOrEqual(15);
  });
});
