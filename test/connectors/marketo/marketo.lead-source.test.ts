// Detection by the activity log, the Marketo CRM write-back and the history source against the emulator.
import { afterEach, describe, expect, it } from 'vitest';
import type { Lead } from '../../../src/domain/model.js';
import { createMarketoLeadSource, isCrossing } from '../../../connectors/marketo/marketo.lead-source.js';
import type { MarketoLeadSourceOptions } from '../../../connectors/marketo/marketo.lead-source.js';
import { createMarketoCrm } from '../../../connectors/marketo/marketo.crm.js';
import { createMarketoHistorySource } from '../../../connectors/marketo/marketo.history.js';
import type { LeadPage } from '../../../src/ports/lead-source.js';
import { marketoRig, type MarketoRig } from './marketo.helpers.js';

const FIELDS = {
  score: 'leadScore',
  title: 'title',
  company: 'company',
  country: 'country',
  employees: 'numberOfEmployees',
};
const OPTIONS: MarketoLeadSourceOptions = {
  activityTypeIds: [22, 13],
  mql: { minScore: 80, status: null, statusField: 'leadStatus' },
  fields: FIELDS,
  overlapMs: 120_000,
};

async function collect(
  pages: AsyncIterable<LeadPage>,
): Promise<{ leads: Lead[]; cursor: string | null; pages: number }> {
  const leads: Lead[] = [];
  let cursor: string | null = null;
  let n = 0;
  for await (const p of pages) {
    leads.push(...p.leads);
    cursor = p.cursor;
    n += 1;
  }
  return { leads, cursor, pages: n };
}

function person(n: number, extra: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    email: `p${n}@acme${n}.example`,
    firstName: 'Ada',
    lastName: `L${n}`,
    company: 'Acme',
    title: 'CTO',
    ...extra,
  };
}

describe('Marketo lead source', () => {
  let rig: MarketoRig;
  afterEach(async () => {
    await rig?.close();
  });

  it('detects a score crossing the MQL threshold, with the fields mapped and the activity date as mqlAt', async () => {
    rig = await marketoRig();
    const start = rig.clock.now;
    const [lead] = rig.emulator.control.createLeads([person(1, { leadScore: 40, numberOfEmployees: 250 })]);
    rig.clock.now += 5_000;
    rig.emulator.control.updateLead(lead!.id, { leadScore: 85 });
    const source = createMarketoLeadSource(OPTIONS, { api: rig.api, now: () => rig.clock.now });
    const { leads } = await collect(source.poll(null, { startFrom: start }));
    expect(leads).toHaveLength(1);
    expect(leads[0]).toMatchObject({
      source: 'marketo',
      externalId: String(lead!.id),
      email: 'p1@acme1.example',
      fields: { score: 85, title: 'CTO', company: 'Acme', employees: 250 },
      mqlAt: start + 5_000,
    });
  });

  it('ignores score changes that stay below, or that move within, the MQL range', async () => {
    rig = await marketoRig();
    const start = rig.clock.now;
    const [a, b] = rig.emulator.control.createLeads([person(1, { leadScore: 10 }), person(2, { leadScore: 90 })]);
    rig.clock.now += 1_000;
    rig.emulator.control.updateLead(a!.id, { leadScore: 50 });
    rig.emulator.control.updateLead(b!.id, { leadScore: 95 });
    const source = createMarketoLeadSource(OPTIONS, { api: rig.api, now: () => rig.clock.now });
    const { leads } = await collect(source.poll(null, { startFrom: start + 1_000 }));
    expect(leads).toEqual([]);
  });

  it('needs the whole criterion now: a crossing lead whose status is not MQL is left out', async () => {
    rig = await marketoRig();
    const start = rig.clock.now;
    const [a, b] = rig.emulator.control.createLeads([
      person(1, { leadScore: 10, leadStatus: 'Nurture' }),
      person(2, { leadScore: 90, leadStatus: 'Nurture' }),
    ]);
    rig.clock.now += 1_000;
    rig.emulator.control.updateLead(a!.id, { leadScore: 85 });
    rig.emulator.control.updateLead(b!.id, { leadStatus: 'MQL' });
    const source = createMarketoLeadSource(
      { ...OPTIONS, mql: { minScore: 80, status: 'MQL', statusField: 'leadStatus' } },
      { api: rig.api },
    );
    const { leads } = await collect(source.poll(null, { startFrom: start }));
    // a crossed the score but is not MQL by status; b became MQL by its status change.
    expect(leads.map((l) => l.externalId)).toEqual([String(b!.id)]);
    expect(leads[0]?.mqlAt).toBe(start + 1_000);
  });

  it('pages through nextPageToken, reads leads 300 ids at a time, and finds every crossing once', async () => {
    rig = await marketoRig({ emulator: { activityScan: 300 } });
    const start = rig.clock.now;
    const created = rig.emulator.control.createLeads(
      Array.from({ length: 700 }, (_, i) => person(i, { leadScore: 5 })),
    );
    rig.clock.now += 1_000;
    for (const l of created) rig.emulator.control.updateLead(l.id, { leadScore: 100 });
    rig.emulator.control.resetCallCounts();
    const source = createMarketoLeadSource(OPTIONS, { api: rig.api, now: () => rig.clock.now });
    const { leads } = await collect(source.poll(null, { startFrom: start + 500 }));
    expect(new Set(leads.map((l) => l.externalId)).size).toBe(700);
    expect(leads).toHaveLength(700);
    const calls = rig.emulator.control.callCounts().byEndpoint;
    expect(calls['GET activities']).toBeGreaterThan(1);
    expect(calls['GET activities/pagingtoken']).toBe(1);
    // 700 leads in at most 300 ids a call, split by activity page.
    expect(calls['GET leads']).toBeGreaterThanOrEqual(3);
  });

  it('continues from the stored token, and sweeps the overlap every few minutes without re-reading known leads', async () => {
    rig = await marketoRig();
    const start = rig.clock.now;
    const [a] = rig.emulator.control.createLeads([person(1, { leadScore: 0 })]);
    rig.clock.now += 2_000;
    rig.emulator.control.updateLead(a!.id, { leadScore: 81 });
    const source = createMarketoLeadSource(OPTIONS, { api: rig.api, now: () => rig.clock.now });
    const first = await collect(source.poll(null, { startFrom: start }));
    expect(first.leads.map((l) => l.externalId)).toEqual([String(a!.id)]);

    rig.clock.now += 30_000;
    const [b] = rig.emulator.control.createLeads([person(2, { leadScore: 0 })]);
    rig.emulator.control.updateLead(b!.id, { leadScore: 99 });
    rig.emulator.control.resetCallCounts();
    const second = await collect(source.poll(first.cursor, { startFrom: start }));
    expect(second.leads.map((l) => [l.externalId, l.mqlAt])).toEqual([[String(b!.id), rig.clock.now]]);
    expect(rig.emulator.control.callCounts().byEndpoint['GET activities/pagingtoken']).toBeUndefined();

    // Five minutes on, the poll sweeps: a paging token for the cursor time minus the overlap. b's crossing comes
    // again but costs no lead read; c is new.
    rig.clock.now += 5 * 60_000;
    const [c] = rig.emulator.control.createLeads([person(3, { leadScore: 0 })]);
    rig.clock.now += 1_000;
    rig.emulator.control.updateLead(c!.id, { leadScore: 90 });
    rig.emulator.control.updateLead(b!.id, { title: 'VP' });
    rig.emulator.control.resetCallCounts();
    const third = await collect(source.poll(second.cursor, { startFrom: start }));
    expect(third.leads.map((l) => l.externalId)).toEqual([String(c!.id)]);
    const calls = rig.emulator.control.callCounts().byEndpoint;
    expect(calls['GET activities/pagingtoken']).toBe(1);
    expect(calls['GET leads']).toBe(1);

    // After a restart (a new process: nothing remembered) a sweep over the same window yields the same keys.
    const restarted = createMarketoLeadSource(OPTIONS, { api: rig.api, now: () => rig.clock.now });
    const again = await collect(
      restarted.poll(JSON.stringify({ at: JSON.parse(second.cursor!).at }), { startFrom: start }),
    );
    expect(again.leads.map((l) => [l.externalId, l.mqlAt])).toEqual([
      [String(a!.id), first.leads[0]!.mqlAt],
      [String(b!.id), second.leads[0]!.mqlAt],
      [String(c!.id), third.leads[0]!.mqlAt],
    ]);
  });

  it('falls back to a sweep when Marketo refuses the stored token', async () => {
    rig = await marketoRig();
    const start = rig.clock.now;
    const [a] = rig.emulator.control.createLeads([person(1, { leadScore: 0 })]);
    rig.emulator.control.updateLead(a!.id, { leadScore: 81 });
    const source = createMarketoLeadSource(OPTIONS, { api: rig.api, now: () => rig.clock.now });
    const cursor = JSON.stringify({ at: start, token: 'not-a-token', sweptAt: start });
    const { leads } = await collect(source.poll(cursor, { startFrom: start }));
    expect(leads.map((l) => l.externalId)).toEqual([String(a!.id)]);
  });

  it('checkLeads reports deleted leads as gone and whether the others still meet the criterion', async () => {
    rig = await marketoRig();
    const [a, b] = rig.emulator.control.createLeads([person(1, { leadScore: 90 }), person(2, { leadScore: 90 })]);
    rig.emulator.control.updateLead(b!.id, { leadScore: 20 });
    const source = createMarketoLeadSource(OPTIONS, { api: rig.api, now: () => rig.clock.now });
    const status = await source.checkLeads([String(a!.id), String(b!.id), '999999']);
    expect(status.map((s) => [s.exists, s.mql])).toEqual([
      [true, true],
      [true, false],
      [false, false],
    ]);
  });

  it('isCrossing reads Change Data Value on the status field by its display name', () => {
    const mql = { minScore: null, status: 'MQL', statusField: 'leadStatus' };
    const activity = (primary: string, n: string, o: string) => ({
      id: 1,
      leadId: 1,
      activityDate: '2026-12-07T10:00:00Z',
      activityTypeId: 13,
      primaryAttributeValue: primary,
      attributes: [
        { name: 'New Value', value: n },
        { name: 'Old Value', value: o },
      ],
    });
    expect(isCrossing(activity('Lead Status', 'MQL', 'Open'), mql, undefined)).toBe(true);
    expect(isCrossing(activity('Lead Status', 'MQL', 'mql'), mql, undefined)).toBe(false);
    expect(isCrossing(activity('Job Title', 'MQL', 'Open'), mql, undefined)).toBe(false);
  });
});

describe('Marketo as the CRM', () => {
  let rig: MarketoRig;
  afterEach(async () => {
    await rig?.close();
  });

  it('writes fields through Sync Leads by id, and finds leads of other sources by email', async () => {
    rig = await marketoRig();
    rig.emulator.control.defineField({ name: 'handoffRep', displayName: 'Handoff Rep', dataType: 'string' });
    const [a, b] = rig.emulator.control.createLeads([person(1), person(2)]);
    const crm = createMarketoCrm({}, { api: rig.api });
    const results = await crm.update([
      {
        key: 'j1',
        record: { source: 'marketo', externalId: String(a!.id), email: null },
        properties: { leadStatus: 'Sales Accepted', handoffRep: 'Alice' },
      },
      {
        key: 'j2',
        record: { source: 'hubspot', externalId: '77', email: 'P2@acme2.example' },
        properties: { leadStatus: 'Sales Rejected' },
      },
    ]);
    expect(results).toEqual([
      { key: 'j1', ok: true },
      { key: 'j2', ok: true },
    ]);
    expect(rig.emulator.control.lead(a!.id)).toMatchObject({ leadStatus: 'Sales Accepted', handoffRep: 'Alice' });
    expect(rig.emulator.control.lead(b!.id)?.leadStatus).toBe('Sales Rejected');
    expect(rig.emulator.control.callCounts().byEndpoint['POST leads']).toBe(1);
  });

  it('reports 1004 (lead not found) and an unknown field per record, the others still written', async () => {
    rig = await marketoRig();
    const [a] = rig.emulator.control.createLeads([person(1)]);
    const crm = createMarketoCrm({}, { api: rig.api });
    const results = await crm.update([
      {
        key: 'gone',
        record: { source: 'marketo', externalId: '424242', email: null },
        properties: { leadStatus: 'x' },
      },
      {
        key: 'typo',
        record: { source: 'marketo', externalId: String(a!.id), email: null },
        properties: { leadStatsu: 'x' },
      },
      {
        key: 'nomail',
        record: { source: 'salesforce', externalId: '00Q1', email: 'nobody@nowhere.example' },
        properties: { leadStatus: 'x' },
      },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.failure.kind))).toEqual(['not_found', 'invalid', 'not_found']);
  });

  it('batches up to 300 records per Sync Leads call', async () => {
    rig = await marketoRig();
    const leads = rig.emulator.control.createLeads(Array.from({ length: 650 }, (_, i) => person(i)));
    rig.emulator.control.resetCallCounts();
    const crm = createMarketoCrm({}, { api: rig.api });
    const results = await crm.update(
      leads.map((l, i) => ({
        key: `k${i}`,
        record: { source: 'marketo' as const, externalId: String(l.id), email: null },
        properties: { leadStatus: 'Sales Accepted' },
      })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(rig.emulator.control.callCounts().byEndpoint['POST leads']).toBe(3);
  });
});

describe('Marketo history source', () => {
  let rig: MarketoRig;
  afterEach(async () => {
    await rig?.close();
  });

  it('reads the MQL crossings of a period with the lead as it is now', async () => {
    rig = await marketoRig();
    const t0 = rig.clock.now;
    const [a, b, c] = rig.emulator.control.createLeads([
      person(1, { leadScore: 0 }),
      person(2, { leadScore: 0 }),
      person(3, { leadScore: 0 }),
    ]);
    rig.clock.now += 60_000;
    rig.emulator.control.updateLead(a!.id, { leadScore: 90 });
    rig.clock.now += 60_000;
    rig.emulator.control.updateLead(b!.id, { leadScore: 90 });
    rig.emulator.control.updateLead(b!.id, { leadStatus: 'Sales Accepted', leadScore: 10 });
    rig.clock.now += 3_600_000;
    rig.emulator.control.updateLead(c!.id, { leadScore: 90 });
    const history = createMarketoHistorySource(
      { activityTypeIds: [22, 13], mql: OPTIONS.mql, fields: FIELDS, extraFields: ['leadStatus'] },
      { api: rig.api },
    );
    const episodes = [];
    for await (const page of history.read({ from: t0, to: t0 + 600_000 }, null)) episodes.push(...page.episodes);
    expect(episodes.map((e) => [e.lead.externalId, e.stillMql, e.lead.props.leadStatus])).toEqual([
      [String(a!.id), true, null],
      [String(b!.id), false, 'Sales Accepted'],
    ]);
  });
});
