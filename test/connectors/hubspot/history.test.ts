// The HubSpot history reader against the emulator: a 25,000-contact history across 90 days read and stored exactly
// once although one search stops at 10,000 results; a second run adds nothing; an interrupted run completes on the
// next; a crowd sharing one MQL millisecond; the first-run policy of the live source. The 25,000-contact import
// prints its figures (records/s, search calls per 1,000 records, memory).
import { afterEach, describe, expect, it } from 'vitest';
import { startHubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import type { EmulatorContactSeed, HubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import { createHubspotHistorySource } from '../../../connectors/hubspot/hubspot.history.js';
import type { HubspotHistoryOptions } from '../../../connectors/hubspot/hubspot.history.js';
import { createHubspotLeadSource } from '../../../connectors/hubspot/hubspot.lead-source.js';
import { backfillFromSource } from '../../../src/app/backfill.js';
import type { BackfillDeps } from '../../../src/app/backfill.js';
import { DEFAULT_HISTORY } from '../../../src/config/schema.js';
import { historyProperties } from '../../../src/domain/history.js';
import type { HistoryPage } from '../../../src/ports/history-source.js';
import { silentLogger } from '../../../src/ports/logger.js';
import type { Store } from '../../../src/ports/store.js';
import { baseSettings } from '../../helpers/app-harness.js';
import { openSqliteTestStore, type TestStore } from '../../helpers/stores.js';
import { TOKEN, collect, recordingLogger } from './helpers.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const FROM = NOW - 90 * DAY;
const SEARCH = 'POST /crm/v3/objects/contacts/search';
const RULES = DEFAULT_HISTORY.hubspot;

let emulator: HubspotEmulator | null = null;
let testStore: TestStore | null = null;
afterEach(async () => {
  await emulator?.close();
  emulator = null;
  await testStore?.close();
  testStore = null;
});

/** Contact i of n: MQL dates across 90 days, more of them in recent weeks; outcomes by i mod 10. */
function past(i: number, n: number): EmulatorContactSeed {
  // quadratic spread: the last weeks are busier (a range split has to adapt to uneven volume)
  const f = Math.sqrt((i + 0.5) / n);
  const mqlAt = FROM + Math.floor(f * 89 * DAY);
  const kind = i % 10;
  const stage =
    kind < 3 ? 'customer' : kind < 4 ? 'salesqualifiedlead' : kind === 4 ? 'lead' : 'marketingqualifiedlead';
  const status = kind === 4 || kind === 5 ? 'UNQUALIFIED' : kind === 6 ? 'IN_PROGRESS' : kind === 7 ? 'NEW' : null;
  return {
    properties: {
      email: `past${i}@company${i % 97}.example`,
      firstname: `Past${i}`,
      lastname: `Lead${i}`,
      lifecyclestage: stage,
      hs_lifecyclestage_marketingqualifiedlead_date: new Date(mqlAt).toISOString(),
      hs_lead_status: status,
      handoff_rejection_reason: kind === 5 ? 'not_icp' : null,
      hubspotscore: 30 + (i % 70),
      country: ['DE', 'FR', 'US', 'GB'][i % 4],
      lastmodifieddate: new Date(mqlAt + DAY).toISOString(),
    },
  };
}

function historySource(em: HubspotEmulator, over: Partial<HubspotHistoryOptions> = {}) {
  return createHubspotHistorySource(
    {
      token: TOKEN,
      baseUrl: em.url,
      mql: { lifecycleStage: 'marketingqualifiedlead' },
      fields: { score: 'hubspotscore', country: 'country' },
      extraProperties: historyProperties(RULES),
      portalId: 4242,
      retry: { attempts: 2, baseDelayMs: 5 },
      ...over,
    },
    { logger: recordingLogger() },
  );
}

function deps(store: Store, clock: () => number = Date.now): BackfillDeps {
  return { store, clock: { now: clock }, logger: silentLogger, settings: baseSettings() };
}

async function countByState(store: Store): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let after: { mqlAt: number; id: string } | undefined;
  for (;;) {
    const page = await store.listHandoffsByMqlTime(0, Number.MAX_SAFE_INTEGER, 5_000, after);
    for (const h of page) {
      out[h.state] = (out[h.state] ?? 0) + 1;
      out['total'] = (out['total'] ?? 0) + 1;
      if (h.imported) out['imported'] = (out['imported'] ?? 0) + 1;
    }
    const last = page[page.length - 1];
    if (!last) return out;
    after = { mqlAt: last.mqlAt, id: last.id };
  }
}

describe('HubSpot history against the emulator', () => {
  it('imports a 25,000-contact history across 90 days exactly once, splitting past the 10,000-result cap, and adds nothing on a second run', async () => {
    const N = 25_000;
    // HubSpot's own limits, except search: the measured import keeps to 5 searches/s through our limiter; the
    // re-read at the end is allowed to go faster.
    emulator = await startHubspotEmulator({ portalId: 4242, rateLimits: { searchPerSecond: 100 } });
    emulator.control.defineProperty({ name: 'handoff_rejection_reason', type: 'string' });
    emulator.control.seedContacts(Array.from({ length: N }, (_, i) => past(i, N)));
    // noise: MQL dates outside the period, and contacts that never were MQL
    emulator.control.seedContacts([
      {
        properties: {
          email: 'old@x.example',
          lifecyclestage: 'customer',
          hs_lifecyclestage_marketingqualifiedlead_date: new Date(FROM - DAY).toISOString(),
        },
      },
      {
        properties: {
          email: 'future@x.example',
          lifecyclestage: 'marketingqualifiedlead',
          hs_lifecyclestage_marketingqualifiedlead_date: new Date(NOW + DAY).toISOString(),
        },
      },
      { properties: { email: 'never@x.example', lifecyclestage: 'lead' } },
    ]);
    emulator.control.resetCallCounts();
    testStore = await openSqliteTestStore({ file: true });
    const store = testStore.store;

    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    let heapPeak = heapBefore;
    let rssPeak = rssBefore;
    let progressCalls = 0;
    const started = Date.now();
    const summary = await backfillFromSource(deps(store), historySource(emulator), {
      range: { from: FROM, to: NOW },
      rules: RULES,
      onProgress: (p) => {
        progressCalls += 1;
        const m = process.memoryUsage();
        heapPeak = Math.max(heapPeak, m.heapUsed);
        rssPeak = Math.max(rssPeak, m.rss);
        expect(p.estimatedTotal).toBe(N);
      },
    });
    const elapsed = Date.now() - started;
    const searches = emulator.control.callCounts()[SEARCH] ?? 0;

    expect(summary).toMatchObject({
      read: N,
      created: N,
      complete: true,
      skipped: { duplicate: 0, live: 0, notMql: 0 },
    });
    expect(summary.outcomes).toEqual({ accepted: 12_500, rejected: 5_000, open: 7_500 });
    expect(summary.rejectedByReason).toEqual({ not_icp: 2_500, unknown: 2_500 });
    expect(await countByState(store)).toEqual({
      total: N,
      imported: N,
      accepted: 12_500,
      rejected: 5_000,
      detected: 7_500,
    });
    // 125 full pages of 200, plus the queries that found a period too big and split it
    expect(searches).toBe(summary.calls);
    expect(searches).toBeGreaterThanOrEqual(125);
    expect(searches).toBeLessThanOrEqual(135);
    expect(progressCalls).toBe(summary.pages);

    console.info(
      `[hubspot backfill] ${N} contacts in ${elapsed} ms = ${Math.round((N * 1000) / elapsed)} records/s; ` +
        `${searches} search calls = ${((searches * 1000) / N).toFixed(2)} per 1,000 records; ` +
        `heap +${((heapPeak - heapBefore) / 1e6).toFixed(1)} MB (peak ${(heapPeak / 1e6).toFixed(1)} MB), ` +
        `rss +${((rssPeak - rssBefore) / 1e6).toFixed(1)} MB (peak ${(rssPeak / 1e6).toFixed(1)} MB, emulator and its 25,000 contacts in the same process)`,
    );

    emulator.control.resetCallCounts();
    const again = await backfillFromSource(deps(store), historySource(emulator), {
      range: { from: FROM, to: NOW },
      rules: RULES,
    });
    expect(again).toMatchObject({ created: 0, complete: true });
    expect((await countByState(store))['total']).toBe(N);
    // the same period re-read from scratch (another cursor row) also adds nothing
    const fresh = await backfillFromSource(deps(store), historySource(emulator, { searchPerSecond: 100 }), {
      range: { from: FROM + 1, to: NOW },
      rules: RULES,
    });
    expect(fresh).toMatchObject({ read: N, created: 0, skipped: { duplicate: N } });
    expect((await countByState(store))['total']).toBe(N);
  }, 180_000);

  it('completes an interrupted import on the next run, each contact stored once', async () => {
    const N = 12_000;
    emulator = await startHubspotEmulator({ portalId: 4242, rateLimits: { searchPerSecond: 100 } });
    emulator.control.seedContacts(Array.from({ length: N }, (_, i) => past(i, N)));
    testStore = await openSqliteTestStore({ file: true });
    const store = testStore.store;
    const stop = new AbortController();
    const first = await backfillFromSource(deps(store), historySource(emulator, { searchPerSecond: 100 }), {
      range: { from: FROM, to: NOW },
      rules: RULES,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.read >= N / 2) stop.abort();
      },
    });
    expect(first.complete).toBe(false);
    expect(first.created).toBeGreaterThanOrEqual(N / 2);
    expect(first.created).toBeLessThan(N);
    const second = await backfillFromSource(deps(store), historySource(emulator, { searchPerSecond: 100 }), {
      range: { from: FROM, to: NOW },
      rules: RULES,
    });
    expect(second).toMatchObject({ resumed: true, complete: true });
    expect(first.created + second.created).toBe(N);
    // the resumed read started at the saved position, not at the beginning
    expect(second.read).toBeLessThan(N / 2 + 200);
    expect((await countByState(store))['total']).toBe(N);
  }, 120_000);

  it('walks a crowd sharing one MQL millisecond by record id when it exceeds one search', async () => {
    emulator = await startHubspotEmulator({ portalId: 4242, rateLimits: false });
    const at = new Date(FROM + 10 * DAY).toISOString();
    const crowd = Array.from(
      { length: 950 },
      (_, i): EmulatorContactSeed => ({
        properties: {
          email: `crowd${i}@x.example`,
          lifecyclestage: 'marketingqualifiedlead',
          hs_lifecyclestage_marketingqualifiedlead_date: at,
        },
      }),
    );
    const others = Array.from({ length: 300 }, (_, i) => past(i, 300));
    emulator.control.seedContacts([...others.slice(0, 150), ...crowd, ...others.slice(150)]);
    const pages: HistoryPage[] = await collect(
      historySource(emulator, { searchCap: 400, pageSize: 100, searchPerSecond: 1_000 }).read(
        { from: FROM, to: NOW },
        null,
      ),
    );
    const ids = pages.flatMap((p) => p.episodes.map((e) => e.lead.externalId));
    expect(ids).toHaveLength(1_250);
    expect(new Set(ids).size).toBe(1_250);
    // oldest first: MQL times never go backwards
    const times = pages.flatMap((p) => p.episodes.map((e) => e.lead.mqlAt));
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] as number))).toBe(true);
  });

  it('maps a contact to an episode: MQL date, outcome time from a later stage, still-MQL flag, rule properties', async () => {
    emulator = await startHubspotEmulator({ portalId: 4242, rateLimits: false });
    emulator.control.defineProperty({ name: 'handoff_rejection_reason', type: 'string' });
    const mqlAt = FROM + 3 * DAY;
    const [customer, waiting] = emulator.control.seedContacts([
      {
        properties: {
          email: 'won@x.example',
          lifecyclestage: 'customer',
          hs_lifecyclestage_marketingqualifiedlead_date: new Date(mqlAt).toISOString(),
          hs_lifecyclestage_salesqualifiedlead_date: new Date(mqlAt + DAY).toISOString(),
          hs_lifecyclestage_customer_date: new Date(mqlAt + 9 * DAY).toISOString(),
        },
      },
      {
        properties: {
          email: 'wait@x.example',
          lifecyclestage: 'marketingqualifiedlead',
          hs_lifecyclestage_marketingqualifiedlead_date: new Date(mqlAt + 1).toISOString(),
          hs_lead_status: 'NEW',
        },
      },
    ]);
    const [page] = await collect(historySource(emulator).read({ from: FROM, to: NOW }, null));
    expect(page?.episodes.map((e) => e.lead.externalId)).toEqual([customer, waiting]);
    expect(page?.episodes[0]).toMatchObject({
      outcomeAt: mqlAt + DAY,
      evidence: 'mql-date',
      stillMql: false,
      lead: { mqlAt, source: 'hubspot', props: { lifecyclestage: 'customer' } },
    });
    expect(page?.episodes[1]).toMatchObject({
      outcomeAt: null,
      stillMql: true,
      lead: { mqlAt: mqlAt + 1, props: { hs_lead_status: 'NEW', handoff_rejection_reason: null } },
    });
    expect(JSON.parse(page?.cursor ?? '{}')).toEqual({ at: mqlAt + 1 });
  });
});

describe('first run of the live HubSpot source', () => {
  it('returns none of the MQLs from before startFrom and the one that becomes MQL afterwards', async () => {
    let t = NOW - 3 * DAY;
    emulator = await startHubspotEmulator({ portalId: 4242, rateLimits: false, now: () => t });
    emulator.control.seedContacts(Array.from({ length: 40 }, (_, i) => past(i, 40)));
    t = NOW;
    const startFrom = NOW; // startFrom: now
    t = NOW + 60_000;
    const fresh = emulator.control.createContact({
      email: 'fresh@x.example',
      lifecyclestage: 'marketingqualifiedlead',
    });
    const source = createHubspotLeadSource(
      {
        token: TOKEN,
        baseUrl: emulator.url,
        mql: { lifecycleStage: 'marketingqualifiedlead' },
        fields: {},
        overlapMs: 30_000,
      },
      { logger: recordingLogger() },
    );
    const pages = await collect(source.poll(null, { startFrom }));
    expect(pages.flatMap((p) => p.leads.map((l) => l.externalId))).toEqual([fresh]);
  });
});
