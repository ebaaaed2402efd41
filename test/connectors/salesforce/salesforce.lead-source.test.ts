import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSalesforceLeadSource } from '../../../connectors/salesforce/salesforce.lead-source.js';
import type {
  SalesforceLeadSourceOptions,
  SalesforceLimitWarning,
} from '../../../connectors/salesforce/salesforce.lead-source.js';
import { isConnectorError } from '../../../src/ports/failure.js';
import type { LeadPage } from '../../../src/ports/lead-source.js';
import { collect, startRig, T0 } from './salesforce.helpers.js';
import type { SalesforceRig } from './salesforce.helpers.js';

const MQL = 'Marketing Qualified';
const baseOptions: SalesforceLeadSourceOptions = {
  mql: { status: MQL },
  fields: {
    title: 'Title',
    company: 'Company',
    employees: 'NumberOfEmployees',
    score: 'Lead_Score__c',
    country: 'Country',
  },
  overlapMs: 60_000,
};

let rig: SalesforceRig;

async function start(batch?: number): Promise<void> {
  rig = await startRig(batch === undefined ? {} : { queryBatchSize: batch });
  rig.emu.control.addLeadFields([
    { name: 'Lead_Score__c', type: 'double' },
    { name: 'MQL_Date__c', type: 'datetime' },
  ]);
}

function seedMqls(n: number, extra: Record<string, string | number | boolean | null> = {}): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const [rec] = rig.emu.control.seedLeads([
      {
        LastName: `Lead ${i}`,
        Company: `Co ${i}`,
        Email: `lead${i}@co${i}.test`,
        Status: MQL,
        Lead_Score__c: 50 + (i % 50),
        ...extra,
      },
    ]);
    ids.push(rec!['Id'] as string);
    rig.advance(1000);
  }
  return ids;
}

afterEach(async () => {
  await rig.close();
});

describe('Salesforce lead source: detection', () => {
  beforeEach(() => start(5));

  it('pages across three batches through nextRecordsUrl, oldest first, with a cursor per page', async () => {
    const ids = seedMqls(12);
    rig.emu.control.seedLeads([
      { LastName: 'Open', Status: 'Open - Not Contacted' },
      { LastName: 'Done', Status: MQL, IsConverted: true },
    ]);
    const source = createSalesforceLeadSource(baseOptions, { connection: rig.conn });
    rig.emu.control.resetCallCounts();
    const pages = await collect(source.poll(null, { startFrom: T0 - 60_000 }));
    expect(pages.map((p) => p.leads.length)).toEqual([5, 5, 2]);
    expect(pages.flatMap((p) => p.leads.map((l) => l.externalId))).toEqual(ids);
    for (const p of pages)
      expect(JSON.parse(p.cursor)).toEqual({ modifiedAt: p.leads[p.leads.length - 1]!.modifiedAt });
    const calls = rig.emu.control.callCounts().byEndpoint;
    expect(calls['GET query']).toBe(1);
    expect(calls['GET queryMore']).toBe(2);
  });

  it('maps fields, parses numbers, keeps raw props and the record link', async () => {
    rig.emu.control.seedLeads([
      {
        FirstName: 'Ada',
        LastName: 'Lovelace',
        Email: 'ada@engines.test',
        Title: 'CTO',
        Company: 'Engines',
        NumberOfEmployees: 1200,
        Country: 'GB',
        Status: MQL,
        Lead_Score__c: 91.5,
      },
    ]);
    const source = createSalesforceLeadSource(baseOptions, { connection: rig.conn });
    const [page] = await collect(source.poll(null, { startFrom: T0 - 1000 }));
    const lead = page!.leads[0]!;
    expect(lead).toMatchObject({
      source: 'salesforce',
      email: 'ada@engines.test',
      firstName: 'Ada',
      lastName: 'Lovelace',
      fields: { title: 'CTO', company: 'Engines', employees: 1200, score: 91.5, country: 'GB' },
      ownerId: null,
      modifiedAt: T0,
      mqlAt: T0,
    });
    expect(lead.props['Status']).toBe(MQL);
    expect(lead.props['Lead_Score__c']).toBe('91.5');
    expect(lead.recordUrl).toBe(`${rig.emu.url}/lightning/r/Lead/${lead.externalId}/view`);
  });

  it('carries a user owner at detection, but not a queue or the integration user', async () => {
    const [rep] = rig.emu.control.seedUsers([{ Email: 'rep@acme.test', LastName: 'Rep' }]);
    const queue = rig.emu.control.seedQueue('Inbound');
    rig.emu.control.seedLeads([
      { LastName: 'Mine', Status: MQL, OwnerId: rep!['Id'] },
      { LastName: 'Queued', Status: MQL, OwnerId: queue['Id'] },
      { LastName: 'Default', Status: MQL },
    ]);
    const source = createSalesforceLeadSource(baseOptions, { connection: rig.conn });
    const leads = (await collect(source.poll(null, { startFrom: T0 - 1000 }))).flatMap((p) => p.leads);
    expect(leads.map((l) => [l.lastName, l.ownerId])).toEqual([
      ['Mine', rep!['Id']],
      ['Queued', null],
      ['Default', null],
    ]);
  });

  it('applies minScore on the mapped score field and takes mqlAt from the configured MQL date field', async () => {
    const mqlDate = '2026-10-30T08:15:00.000+0000';
    rig.emu.control.seedLeads([
      { LastName: 'Low', Status: MQL, Lead_Score__c: 20 },
      { LastName: 'High', Status: MQL, Lead_Score__c: 80, MQL_Date__c: mqlDate },
    ]);
    const source = createSalesforceLeadSource(
      { ...baseOptions, mql: { status: MQL, minScore: 60 }, mqlDateField: 'MQL_Date__c' },
      { connection: rig.conn },
    );
    const leads = (await collect(source.poll(null, { startFrom: T0 - 1000 }))).flatMap((p) => p.leads);
    expect(leads.map((l) => l.lastName)).toEqual(['High']);
    expect(leads[0]!.mqlAt).toBe(Date.parse('2026-10-30T08:15:00Z'));
  });

  it('falls back to the first-seen time when the MQL date field holds no readable date', async () => {
    rig.emu.control.addLeadFields([{ name: 'MQL_When__c', type: 'string' }]);
    rig.emu.control.seedLeads([
      { LastName: 'Text', Status: MQL, MQL_When__c: 'last Tuesday' },
      { LastName: 'Day', Status: MQL, MQL_When__c: '2026-10-29' },
    ]);
    const source = createSalesforceLeadSource(
      { ...baseOptions, mqlDateField: 'MQL_When__c' },
      { connection: rig.conn },
    );
    const leads = (await collect(source.poll(null, { startFrom: T0 - 1000 }))).flatMap((p) => p.leads);
    expect(leads.map((l) => [l.lastName, l.mqlAt])).toEqual([
      ['Text', T0],
      ['Day', Date.parse('2026-10-29T00:00:00Z')],
    ]);
  });

  it('overlaps the window behind the cursor; a deduping caller stores each MQL once with a stable mqlAt', async () => {
    seedMqls(8);
    const source = createSalesforceLeadSource(baseOptions, { connection: rig.conn });
    const stored = new Map<string, number>(); // the caller's unique key: source + externalId + mqlAt
    let cursor: string | null = null;
    let yielded = 0;
    const runPoll = async (): Promise<void> => {
      for await (const page of source.poll(cursor, { startFrom: T0 - 60_000 }) as AsyncIterable<LeadPage>) {
        for (const l of page.leads) {
          yielded += 1;
          stored.set(
            `${l.source}:${l.externalId}:${l.mqlAt}`,
            (stored.get(`${l.source}:${l.externalId}:${l.mqlAt}`) ?? 0) + 1,
          );
        }
        cursor = page.cursor;
      }
    };
    await runPoll();
    expect(stored.size).toBe(8);
    // A second poll re-reads the overlap window (the last minute), and a lead edited meanwhile comes back.
    const first = [...stored.keys()][0]!.split(':')[1]!;
    rig.advance(30_000);
    rig.emu.control.updateLead(first, { Title: 'Edited' });
    const more = seedMqls(2);
    await runPoll();
    expect(yielded).toBeGreaterThan(10);
    expect(stored.size).toBe(10);
    const ids = [...stored.keys()].map((k) => k.split(':')[1]);
    expect(new Set(ids).size).toBe(10);
    expect(ids).toEqual(expect.arrayContaining(more));
  });

  it('goes on after the last record when LIMIT is reached, even through equal SystemModstamps', async () => {
    const ids = rig.emu.control
      .seedLeads(Array.from({ length: 11 }, (_v, i) => ({ LastName: `Same ${i}`, Status: MQL })))
      .map((r) => r['Id']);
    const source = createSalesforceLeadSource({ ...baseOptions, queryLimit: 4 }, { connection: rig.conn });
    const leads = (await collect(source.poll(null, { startFrom: T0 - 1000 }))).flatMap((p) => p.leads);
    expect(leads.map((l) => l.externalId)).toEqual(ids);
  });

  it('stops between pages when aborted', async () => {
    seedMqls(12);
    const source = createSalesforceLeadSource(baseOptions, { connection: rig.conn });
    const ac = new AbortController();
    const seen: number[] = [];
    const err = await (async () => {
      for await (const page of source.poll(null, { startFrom: T0 - 60_000, signal: ac.signal })) {
        seen.push(page.leads.length);
        ac.abort();
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual([5]);
    expect((err as Error).name).toBe('AbortError');
  });
});

describe('Salesforce lead source: fetchLeads and checkLeads', () => {
  beforeEach(() => start());

  it('fetches MQLs by id in IN chunks and leaves out leads that are not MQL', async () => {
    const ids = seedMqls(7);
    const [open] = rig.emu.control.seedLeads([{ LastName: 'Open', Status: 'Open - Not Contacted' }]);
    const source = createSalesforceLeadSource({ ...baseOptions, idChunkSize: 3 }, { connection: rig.conn });
    rig.emu.control.resetCallCounts();
    const leads = await source.fetchLeads([...ids, open!['Id'] as string]);
    expect(leads.map((l) => l.externalId).sort()).toEqual([...ids].sort());
    expect(rig.emu.control.callCounts().byEndpoint['GET query']).toBe(3);
  });

  it('reports existence, MQL state, conversion, owners (users only, not queues) and merges', async () => {
    const [rep] = rig.emu.control.seedUsers([{ Email: 'rep@acme.test', FirstName: 'Rep', LastName: 'One' }]);
    const queue = rig.emu.control.seedQueue('Inbound');
    const [stillMql, queued, owned, byIntegration, demoted, converted, merged, winner] = rig.emu.control
      .seedLeads([
        { LastName: 'a', Status: MQL },
        { LastName: 'b', Status: MQL, OwnerId: queue['Id'] },
        { LastName: 'c', Status: MQL, OwnerId: rep!['Id'] },
        { LastName: 'd', Status: MQL, OwnerId: rig.emu.control.integrationUserId },
        { LastName: 'e', Status: MQL },
        { LastName: 'f', Status: MQL },
        { LastName: 'g', Status: MQL },
        { LastName: 'h', Status: MQL },
      ])
      .map((r) => r['Id'] as string);
    rig.emu.control.updateLead(demoted!, { Status: 'Working - Contacted' });
    rig.emu.control.updateLead(converted!, { IsConverted: true, Status: 'Closed - Converted' });
    rig.emu.control.deleteLead(merged!, { mergedInto: winner! });
    const source = createSalesforceLeadSource(baseOptions, { connection: rig.conn });
    const unknown = '00Q000000009999AAA';
    const statuses = await source.checkLeads([
      stillMql!,
      queued!,
      owned!,
      byIntegration!,
      demoted!,
      converted!,
      merged!,
      unknown,
    ]);
    expect(statuses).toEqual([
      { externalId: stillMql, exists: true, mql: true, ownerId: null, mergedInto: null },
      { externalId: queued, exists: true, mql: true, ownerId: null, mergedInto: null },
      { externalId: owned, exists: true, mql: true, ownerId: rep!['Id'], mergedInto: null },
      { externalId: byIntegration, exists: true, mql: true, ownerId: null, mergedInto: null },
      { externalId: demoted, exists: true, mql: false, ownerId: null, mergedInto: null },
      { externalId: converted, exists: true, mql: false, ownerId: null, mergedInto: null },
      { externalId: merged, exists: false, mql: false, ownerId: null, mergedInto: winner },
      { externalId: unknown, exists: false, mql: false, ownerId: null, mergedInto: null },
    ]);
  });
});

describe('Salesforce lead source: API limits', () => {
  beforeEach(() => start());

  it('slows down above 80% of the daily allowance and warns once above 90%', async () => {
    seedMqls(1);
    const warnings: SalesforceLimitWarning[] = [];
    const source = createSalesforceLeadSource(baseOptions, {
      connection: rig.conn,
      onLimitWarning: (w) => warnings.push(w),
    });
    rig.emu.control.setApiUsage(100, 1000);
    await collect(source.poll(null, { startFrom: T0 - 1000 }));
    expect(source.throttled).toBe(false);
    expect(source.pollDelayMultiplier).toBe(1);
    rig.emu.control.setApiUsage(850, 1000);
    await collect(source.poll(null, { startFrom: T0 - 1000 }));
    expect(source.throttled).toBe(true);
    expect(source.pollDelayMultiplier).toBe(2);
    expect(warnings).toEqual([]);
    rig.emu.control.setApiUsage(920, 1000);
    await collect(source.poll(null, { startFrom: T0 - 1000 }));
    await collect(source.poll(null, { startFrom: T0 - 1000 }));
    expect(source.pollDelayMultiplier).toBe(4);
    expect(warnings).toEqual([{ used: 921, limit: 1000, fraction: 0.921, level: 'warning' }]);
  });

  it('pauses on REQUEST_LIMIT_EXCEEDED and probes the rolling allowance with one cheap call: 1 min, doubling to 1 h', async () => {
    seedMqls(1);
    let now = T0;
    const warnings: SalesforceLimitWarning[] = [];
    const source = createSalesforceLeadSource(baseOptions, {
      connection: rig.conn,
      onLimitWarning: (w) => warnings.push(w),
      now: () => now,
    });
    await rig.conn.connect();
    rig.emu.control.setApiUsage(1000, 1000);
    const poll = () => collect(source.poll(null, { startFrom: T0 - 1000 })).catch((e: unknown) => e);
    const err = await poll();
    expect(isConnectorError(err)).toBe(true);
    if (!isConnectorError(err)) return;
    expect(err.failure).toMatchObject({ kind: 'rate_limited', scope: 'daily', retryAfterMs: 60_000 });
    expect(source.pausedUntil).toBe(T0 + 60_000);
    expect(warnings.map((w) => w.level)).toEqual(['warning', 'exceeded']);

    // Before the probe is due: no call at all.
    let calls = rig.emu.control.callCounts().api;
    expect(isConnectorError(await poll())).toBe(true);
    expect(rig.emu.control.callCounts().api).toBe(calls);

    // Each due probe is one call; while the allowance stays used up the wait doubles, capped at an hour.
    const waits: number[] = [];
    let wait = 60_000;
    for (let i = 0; i < 8; i++) {
      now += wait;
      calls = rig.emu.control.callCounts().api;
      const failed = await poll();
      expect(rig.emu.control.callCounts().api - calls).toBe(1);
      expect(isConnectorError(failed) && failed.failure.scope).toBe('daily');
      wait = (source.pausedUntil as number) - now;
      waits.push(wait / 60_000);
    }
    expect(waits).toEqual([2, 4, 8, 16, 32, 60, 60, 60]);

    // Calls free up: the next probe succeeds and the poll runs.
    now += wait;
    rig.emu.control.setApiUsage(10, 1000);
    const pages = await collect(source.poll(null, { startFrom: T0 - 1000 }));
    expect(pages.flatMap((p) => p.leads)).toHaveLength(1);
    expect(source.pausedUntil).toBeNull();
  });

  it('rides out one 503 on a query (jsforce retries GETs) and classifies persistent 5xx as transient', async () => {
    seedMqls(2);
    const source = createSalesforceLeadSource(baseOptions, { connection: rig.conn });
    await rig.conn.connect();
    rig.emu.control.setFault({ count: 1, status: 503, endpoints: ['GET query'] });
    expect((await collect(source.poll(null, { startFrom: T0 - 1000 }))).flatMap((p) => p.leads)).toHaveLength(2);
    rig.emu.control.setFault({ count: 5, status: 500, endpoints: ['GET query'] });
    const err = await collect(source.poll(null, { startFrom: T0 - 1000 })).catch((e: unknown) => e);
    expect(isConnectorError(err) && err.failure.kind).toBe('transient');
    rig.emu.control.setFault(null);
  });
});
