// The Salesforce history reader against the emulator: the MQL date field (25,000 leads across 90 days, imported
// exactly once, past a query LIMIT), Status field history (LeadHistory) when there is no date field, the creation
// date when Status is not tracked, resume from a cursor, and stopping before the daily API allowance runs out.
import { afterEach, describe, expect, it } from 'vitest';
import { createSalesforceHistorySource } from '../../../connectors/salesforce/salesforce.history.js';
import type { SalesforceHistoryOptions } from '../../../connectors/salesforce/salesforce.history.js';
import { backfillCursorName, backfillFromSource } from '../../../src/app/backfill.js';
import type { BackfillDeps } from '../../../src/app/backfill.js';
import { DEFAULT_HISTORY } from '../../../src/config/schema.js';
import { historyProperties } from '../../../src/domain/history.js';
import { isConnectorError } from '../../../src/ports/failure.js';
import type { HistoryPage } from '../../../src/ports/history-source.js';
import { silentLogger } from '../../../src/ports/logger.js';
import type { Store } from '../../../src/ports/store.js';
import { baseSettings } from '../../helpers/app-harness.js';
import { openSqliteTestStore, type TestStore } from '../../helpers/stores.js';
import { collect, startRig, T0 } from './salesforce.helpers.js';
import type { SalesforceRig } from './salesforce.helpers.js';

const DAY = 86_400_000;
const MQL = 'Marketing Qualified';
const NOW = T0;
const FROM = NOW - 90 * DAY;
const RULES = DEFAULT_HISTORY.salesforce;

let rig: SalesforceRig | null = null;
let testStore: TestStore | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
  await testStore?.close();
  testStore = null;
});

function source(r: SalesforceRig, over: Partial<SalesforceHistoryOptions> = {}) {
  return createSalesforceHistorySource(
    {
      mql: { status: MQL },
      fields: { company: 'Company', country: 'Country' },
      extraFields: historyProperties(RULES),
      ...over,
    },
    { connection: r.conn },
  );
}

function deps(store: Store): BackfillDeps {
  return { store, clock: { now: () => NOW }, logger: silentLogger, settings: baseSettings() };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const ids = (pages: HistoryPage[]): string[] => pages.flatMap((p) => p.episodes.map((e) => e.lead.externalId));

/** Lead i of n with an MQL date in the 90 days; outcome by i mod 8. */
function pastLead(i: number, n: number): Record<string, string | number | boolean | null> {
  const mqlAt = FROM + Math.floor(((i + 0.5) / n) * 89 * DAY);
  const kind = i % 8;
  return {
    LastName: `Past ${i}`,
    Company: `Co ${i % 50}`,
    Email: `past${i}@co${i % 50}.test`,
    MQL_Date__c: iso(mqlAt),
    Status:
      kind < 2
        ? 'Closed - Converted'
        : kind === 2
          ? 'Working - Contacted'
          : kind === 3
            ? 'Closed - Not Converted'
            : MQL,
    IsConverted: kind < 2,
    ConvertedDate: kind < 2 ? iso(mqlAt + 3 * DAY).slice(0, 10) : null,
    Handoff_Rejection_Reason__c: kind === 3 && i % 16 === 3 ? 'bad_timing' : null,
  };
}

describe('Salesforce history with an MQL date field', () => {
  it('imports 25,000 leads across 90 days exactly once, past the query LIMIT, and adds nothing on a second run', async () => {
    const N = 25_000;
    rig = await startRig();
    rig.emu.control.addLeadFields([
      { name: 'MQL_Date__c', type: 'datetime' },
      { name: 'Handoff_Rejection_Reason__c', type: 'string' },
    ]);
    rig.emu.control.seedLeads(Array.from({ length: N }, (_, i) => pastLead(i, N)));
    rig.emu.control.seedLeads([
      { LastName: 'Too old', Status: MQL, MQL_Date__c: iso(FROM - DAY) },
      { LastName: 'Never', Status: 'Open - Not Contacted' },
    ]);
    testStore = await openSqliteTestStore({ file: true });
    const store = testStore.store;
    rig.emu.control.resetCallCounts();
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const started = Date.now();
    const summary = await backfillFromSource(
      deps(store),
      source(rig, { mqlDateField: 'MQL_Date__c', queryLimit: 10_000 }),
      {
        range: { from: FROM, to: NOW },
        rules: RULES,
        onProgress: () => {
          heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
        },
      },
    );
    const elapsed = Date.now() - started;
    const calls = rig.emu.control.callCounts();
    expect(summary).toMatchObject({ read: N, created: N, complete: true });
    expect(summary.outcomes).toEqual({ accepted: 9_375, rejected: 3_125, open: 12_500 });
    expect(summary.rejectedByReason).toEqual({ bad_timing: 1_563, unknown: 1_562 });
    // describe + 3 queries (LIMIT 10,000 each) + their queryMore batches of 2,000
    expect(calls.api).toBe(summary.calls);
    expect(calls.byEndpoint['GET query']).toBe(3);
    expect(calls.api).toBe(1 + 3 + 10);
    console.info(
      `[salesforce backfill] ${N} leads in ${elapsed} ms = ${Math.round((N * 1000) / elapsed)} records/s; ` +
        `${calls.api} API calls = ${((calls.api * 1000) / N).toFixed(2)} per 1,000 records; heap +${((heapPeak - heapBefore) / 1e6).toFixed(1)} MB`,
    );
    const again = await backfillFromSource(deps(store), source(rig, { mqlDateField: 'MQL_Date__c' }), {
      range: { from: FROM + 1, to: NOW },
      rules: RULES,
    });
    expect(again).toMatchObject({ read: N, created: 0, skipped: { duplicate: N } });
    expect((await store.listHandoffsByMqlTime(0, Number.MAX_SAFE_INTEGER, N + 10)).length).toBe(N);
  }, 180_000);

  it('maps a converted lead with its conversion date and leaves out fields the org does not have', async () => {
    rig = await startRig();
    rig.emu.control.addLeadFields([{ name: 'MQL_Date__c', type: 'datetime' }]);
    const [won] = rig.emu.control.seedLeads([
      {
        LastName: 'Won',
        Company: 'Acme',
        MQL_Date__c: iso(FROM + DAY),
        Status: 'Closed - Converted',
        IsConverted: true,
        ConvertedDate: iso(FROM + 4 * DAY).slice(0, 10),
      },
    ]);
    const pages = await collect(source(rig, { mqlDateField: 'MQL_Date__c' }).read({ from: FROM, to: NOW }, null));
    const ep = pages[0]?.episodes[0];
    expect(ep).toMatchObject({
      evidence: 'mql-date',
      stillMql: false,
      outcomeAt: Date.parse(`${iso(FROM + 4 * DAY).slice(0, 10)}T00:00:00Z`),
      lead: {
        externalId: won?.['Id'],
        mqlAt: FROM + DAY,
        fields: { company: 'Acme' },
        props: { IsConverted: 'true', Status: 'Closed - Converted' },
      },
    });
    expect(ep?.lead.props).not.toHaveProperty('Handoff_Rejection_Reason__c');
  });

  it('resumes after the last (date, Id) of the cursor without reading anything twice', async () => {
    rig = await startRig({ queryBatchSize: 50 });
    rig.emu.control.addLeadFields([{ name: 'MQL_Date__c', type: 'datetime' }]);
    // pairs of leads share an MQL second, so the resume has to tell them apart by Id
    rig.emu.control.seedLeads(
      Array.from({ length: 300 }, (_, i) => ({
        LastName: `L${i}`,
        Status: MQL,
        MQL_Date__c: iso(FROM + Math.floor(i / 2) * 60_000),
      })),
    );
    const src = source(rig, { mqlDateField: 'MQL_Date__c', queryLimit: 120 });
    const all = ids(await collect(src.read({ from: FROM, to: NOW }, null)));
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);
    const firstTwo: HistoryPage[] = [];
    for await (const p of src.read({ from: FROM, to: NOW }, null)) {
      firstTwo.push(p);
      if (firstTwo.length === 3) break;
    }
    const rest = ids(await collect(src.read({ from: FROM, to: NOW }, firstTwo[2]?.cursor ?? null)));
    expect([...ids(firstTwo), ...rest]).toEqual(all);
  });

  it('stops with its position kept when the daily API allowance runs low, and finishes later', async () => {
    rig = await startRig({ queryBatchSize: 100 });
    rig.emu.control.addLeadFields([
      { name: 'MQL_Date__c', type: 'datetime' },
      { name: 'Handoff_Rejection_Reason__c', type: 'string' },
    ]);
    rig.emu.control.seedLeads(Array.from({ length: 500 }, (_, i) => pastLead(i, 500)));
    rig.emu.control.setApiUsage(896, 1_000);
    testStore = await openSqliteTestStore();
    const store = testStore.store;
    const err = await backfillFromSource(deps(store), source(rig, { mqlDateField: 'MQL_Date__c' }), {
      range: { from: FROM, to: NOW },
      rules: RULES,
    }).catch((e: unknown) => e);
    expect(isConnectorError(err) && err.failure.kind === 'rate_limited' && err.failure.scope === 'daily').toBe(true);
    const stored = (await store.listHandoffsByMqlTime(0, Number.MAX_SAFE_INTEGER, 1_000)).length;
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(500);
    expect(JSON.parse((await store.getCursor(backfillCursorName('salesforce', FROM))) ?? 'null')).toMatchObject({
      done: false,
    });
    rig.emu.control.setApiUsage(0, 100_000);
    const rest = await backfillFromSource(deps(store), source(rig, { mqlDateField: 'MQL_Date__c' }), {
      range: { from: FROM, to: NOW },
      rules: RULES,
    });
    expect(rest).toMatchObject({ resumed: true, complete: true, created: 500 - stored });
  });
});

describe('Salesforce history without an MQL date field', () => {
  it('finds MQL episodes in the Status history: one per change to the MQL status inside the period', async () => {
    rig = await startRig();
    const r = rig;
    r.clock.now = FROM - 5 * DAY;
    const [before, twice, moved, never] = r.emu.control.seedLeads([
      { LastName: 'Before' },
      { LastName: 'Twice' },
      { LastName: 'Moved on' },
      { LastName: 'Never' },
    ]);
    const id = (rec: typeof before): string => rec?.['Id'] as string;
    r.emu.control.updateLead(id(before), { Status: MQL }); // before the period
    r.clock.now = FROM + 10 * DAY;
    r.emu.control.updateLead(id(twice), { Status: MQL });
    r.clock.now = FROM + 20 * DAY;
    r.emu.control.updateLead(id(moved), { Status: MQL });
    r.emu.control.updateLead(id(never), { Status: 'Working - Contacted' });
    r.clock.now = FROM + 30 * DAY;
    r.emu.control.updateLead(id(twice), { Status: 'Closed - Not Converted' });
    r.emu.control.updateLead(id(moved), { Status: 'Working - Contacted' });
    r.clock.now = FROM + 60 * DAY;
    r.emu.control.updateLead(id(twice), { Status: MQL });
    r.clock.now = NOW;
    const pages = await collect(source(r).read({ from: FROM, to: NOW }, null));
    const eps = pages.flatMap((p) => p.episodes);
    expect(eps.map((e) => [e.lead.externalId, e.lead.mqlAt])).toEqual([
      [id(twice), FROM + 10 * DAY],
      [id(moved), FROM + 20 * DAY],
      [id(twice), FROM + 60 * DAY],
    ]);
    expect(eps.every((e) => e.evidence === 'status-history')).toBe(true);
    expect(eps.find((e) => e.lead.externalId === id(moved))?.lead.props['Status']).toBe('Working - Contacted');

    testStore = await openSqliteTestStore();
    const s = await backfillFromSource(deps(testStore.store), source(r), {
      range: { from: FROM, to: NOW },
      rules: RULES,
    });
    expect(s).toMatchObject({ read: 3, created: 3, outcomes: { accepted: 1, rejected: 0, open: 2 } });
  });

  it('falls back to the creation date when Status is not tracked, keeping only leads that were MQLs or were worked', async () => {
    rig = await startRig();
    rig.clock.now = FROM + 2 * DAY;
    rig.emu.control.seedLeads([
      { LastName: 'Waiting', Status: MQL },
      { LastName: 'Worked', Status: 'Working - Contacted' },
      { LastName: 'Untouched', Status: 'Open - Not Contacted' },
    ]);
    rig.clock.now = NOW;
    testStore = await openSqliteTestStore();
    const s = await backfillFromSource(deps(testStore.store), source(rig), {
      range: { from: FROM, to: NOW },
      rules: RULES,
    });
    expect(s).toMatchObject({ read: 3, created: 2, skipped: { notMql: 1 }, outcomes: { accepted: 1, open: 1 } });
    const rows = await testStore.store.listHandoffsByMqlTime(0, Number.MAX_SAFE_INTEGER, 10);
    expect(rows.every((h) => h.mqlAt === FROM + 2 * DAY)).toBe(true);
  });
});
