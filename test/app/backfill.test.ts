// The backfill use case over a scripted history source, on the in-memory store and real SQLite: outcomes stored as
// imported hand-offs, exactly once across runs, resume after an interruption, live hand-offs left alone, dry runs
// writing nothing, and the live loop never touching imported history.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backfillCursorName, backfillFromSource, importHistoryRecords } from '../../src/app/backfill.js';
import type { BackfillDeps } from '../../src/app/backfill.js';
import { checkOpenHandoffs } from '../../src/app/check-open-handoffs.js';
import { ingestLeads } from '../../src/app/ingest-leads.js';
import { offerHandoff } from '../../src/app/offer-handoff.js';
import { sweepDeadlines } from '../../src/app/sweep-deadlines.js';
import { DEFAULT_HISTORY } from '../../src/config/schema.js';
import type { Lead, Millis } from '../../src/domain/model.js';
import type { HistoryEpisode, HistoryPage, HistoryRange, HistorySource } from '../../src/ports/history-source.js';
import type { LeadSource } from '../../src/ports/lead-source.js';
import { silentLogger } from '../../src/ports/logger.js';
import type { Store } from '../../src/ports/store.js';
import { createMemoryStore } from '../../src/store/index.js';
import { baseSettings, createHarness } from '../helpers/app-harness.js';
import { makeLead } from '../helpers/builders.js';
import { openSqliteTestStore, type TestStore } from '../helpers/stores.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 9, 0, 0);
const FROM = NOW - 90 * DAY;
const RULES = DEFAULT_HISTORY.hubspot;

/** A history source over a fixed list of episodes, `pageSize` a page; records the reads it was asked for. */
function scriptedSource(
  episodes: HistoryEpisode[],
  pageSize = 3,
): HistorySource & { reads: Array<{ range: HistoryRange; cursor: string | null }> } {
  const sorted = [...episodes].sort((a, b) => a.lead.mqlAt - b.lead.mqlAt);
  const reads: Array<{ range: HistoryRange; cursor: string | null }> = [];
  return {
    kind: 'hubspot',
    reads,
    async *read(range, cursor): AsyncGenerator<HistoryPage> {
      reads.push({ range, cursor });
      const after = cursor === null ? Number.NEGATIVE_INFINITY : (JSON.parse(cursor) as { at: Millis }).at;
      const inRange = sorted.filter(
        (e) => e.lead.mqlAt >= range.from && e.lead.mqlAt < range.to && e.lead.mqlAt >= after,
      );
      let calls = 0;
      for (let i = 0; i < inRange.length; i += pageSize) {
        calls += 1;
        const page = inRange.slice(i, i + pageSize);
        yield {
          episodes: page,
          cursor: JSON.stringify({ at: page[page.length - 1]?.lead.mqlAt }),
          estimatedTotal: inRange.length,
          calls,
        };
      }
    },
  };
}

function episode(
  i: number,
  props: Record<string, string | null>,
  over: Partial<HistoryEpisode> = {},
  lead: Partial<Lead> = {},
): HistoryEpisode {
  const mqlAt = FROM + i * DAY + 3_600_000;
  return {
    lead: makeLead({ externalId: `h${i}`, mqlAt, modifiedAt: mqlAt + 2 * DAY, props, ...lead }),
    outcomeAt: null,
    evidence: 'mql-date',
    stillMql: props['lifecyclestage'] === 'marketingqualifiedlead',
    ...over,
  };
}

const MIXED: HistoryEpisode[] = [
  episode(1, { lifecyclestage: 'customer', hs_lead_status: null }, { outcomeAt: FROM + 5 * DAY }),
  episode(2, { lifecyclestage: 'marketingqualifiedlead', hs_lead_status: 'IN_PROGRESS' }),
  episode(3, {
    lifecyclestage: 'marketingqualifiedlead',
    hs_lead_status: 'UNQUALIFIED',
    handoff_rejection_reason: 'not_icp',
  }),
  episode(4, { lifecyclestage: 'lead', hs_lead_status: 'BAD_TIMING' }),
  episode(5, { lifecyclestage: 'marketingqualifiedlead', hs_lead_status: 'NEW' }),
  episode(6, { lifecyclestage: 'marketingqualifiedlead', hs_lead_status: null }),
  episode(7, { lifecyclestage: 'opportunity', hs_lead_status: 'OPEN_DEAL' }),
];

function deps(store: Store, now: Millis = NOW): BackfillDeps {
  return {
    store,
    clock: { now: () => now },
    logger: silentLogger,
    settings: baseSettings({
      hot: { when: { kind: 'compare', field: 'score', op: 'gte', value: 90 }, acceptWithin: 60_000 },
    }),
  };
}

async function allHandoffs(store: Store) {
  return store.listHandoffsByMqlTime(0, Number.MAX_SAFE_INTEGER, 100_000);
}

for (const engine of ['memory', 'sqlite'] as const) {
  describe(`backfill on the ${engine} store`, () => {
    let store: Store;
    let testStore: TestStore | null = null;
    beforeEach(async () => {
      if (engine === 'memory') store = createMemoryStore();
      else {
        testStore = await openSqliteTestStore();
        store = testStore.store;
      }
    });
    afterEach(async () => {
      await testStore?.close();
      testStore = null;
    });

    it('stores each past MQL as imported history with its inferred outcome and queues nothing', async () => {
      const source = scriptedSource(MIXED);
      const s = await backfillFromSource(deps(store), source, { range: { from: FROM, to: NOW }, rules: RULES });
      expect(s).toMatchObject({
        read: 7,
        created: 7,
        complete: true,
        resumed: false,
        outcomes: { accepted: 3, rejected: 2, open: 2 },
        rejectedByReason: { not_icp: 1, unknown: 1 },
      });
      const rows = await allHandoffs(store);
      expect(rows.every((h) => h.imported && h.offerCount === 0 && h.dueAt === null)).toBe(true);
      const byId = new Map(rows.map((h) => [h.externalId, h]));
      expect(byId.get('h1')).toMatchObject({ state: 'accepted', decidedAt: FROM + 5 * DAY });
      expect(byId.get('h2')).toMatchObject({ state: 'accepted', decidedAt: FROM + 4 * DAY + 3_600_000 });
      expect(byId.get('h3')).toMatchObject({ state: 'rejected', reasonId: 'not_icp' });
      expect(byId.get('h4')).toMatchObject({ state: 'rejected', reasonId: 'unknown' });
      expect(byId.get('h5')).toMatchObject({ state: 'detected', decidedAt: null, reasonId: null });
      expect(await store.listJobs({})).toEqual([]);
      const events = await store.listEvents(byId.get('h3')?.id ?? '');
      expect(events.map((e) => e.type)).toEqual(['imported']);
      expect(events[0]?.data).toMatchObject({ outcome: 'rejected', reasonId: 'not_icp', evidence: 'mql-date' });
    });

    it('marks hot history by the hot-lane rule so --hot stats include it', async () => {
      const hot = episode(9, { lifecyclestage: 'customer' }, {}, { fields: { score: 95 } });
      await backfillFromSource(deps(store), scriptedSource([hot]), { range: { from: FROM, to: NOW }, rules: RULES });
      expect((await allHandoffs(store))[0]?.hot).toBe(true);
    });

    it('adds nothing on a second run and then reads only what came after the first', async () => {
      const source = scriptedSource(MIXED);
      await backfillFromSource(deps(store), source, { range: { from: FROM, to: NOW }, rules: RULES });
      const later = NOW + DAY;
      const again = await backfillFromSource(deps(store, later), source, {
        range: { from: FROM, to: later },
        rules: RULES,
      });
      expect(again).toMatchObject({ created: 0, read: 0, resumed: true, complete: true, from: NOW, to: later });
      expect(source.reads[1]).toEqual({ range: { from: NOW, to: later }, cursor: null });
      expect(await allHandoffs(store)).toHaveLength(7);
      // the same period once more: nothing to read at all
      const third = await backfillFromSource(deps(store, later), source, {
        range: { from: FROM, to: later },
        rules: RULES,
      });
      expect(third).toMatchObject({ read: 0, created: 0, pages: 0, complete: true });
    });

    it('resumes an interrupted run where it stopped and imports each MQL exactly once', async () => {
      const source = scriptedSource(MIXED, 2);
      const stop = new AbortController();
      let pagesSeen = 0;
      const first = await backfillFromSource(deps(store), source, {
        range: { from: FROM, to: NOW },
        rules: RULES,
        signal: stop.signal,
        onProgress: () => {
          pagesSeen += 1;
          if (pagesSeen === 2) stop.abort();
        },
      });
      expect(first).toMatchObject({ complete: false, created: 4, pages: 2 });
      const cursor = JSON.parse((await store.getCursor(backfillCursorName('hubspot', FROM))) ?? 'null') as {
        done: boolean;
        position: string;
      };
      expect(cursor.done).toBe(false);
      const second = await backfillFromSource(deps(store), source, { range: { from: FROM, to: NOW }, rules: RULES });
      expect(second).toMatchObject({ resumed: true, complete: true, created: 3 });
      // the source was asked to go on from the saved position; the episode at that position came again and was skipped
      expect(source.reads[1]?.cursor).toBe(cursor.position);
      expect(second.skipped.duplicate).toBe(1);
      const rows = await allHandoffs(store);
      expect(rows.map((h) => h.externalId).sort()).toEqual(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7']);
    });

    it('never creates a second hand-off beside a live one and never changes the live one', async () => {
      const h = createHarness(store, baseSettings(), NOW - 10 * DAY);
      const sameKey = MIXED[2] as HistoryEpisode;
      const laterLive = makeLead({ externalId: 'h5', mqlAt: (MIXED[4] as HistoryEpisode).lead.mqlAt + DAY });
      await ingestLeads(h.deps, [{ ...sameKey.lead }, laterLive]);
      const before = await allHandoffs(store);
      const s = await backfillFromSource(deps(store), scriptedSource(MIXED), {
        range: { from: FROM, to: NOW },
        rules: RULES,
      });
      expect(s).toMatchObject({ created: 5, skipped: { duplicate: 1, live: 1, notMql: 0 } });
      const after = await allHandoffs(store);
      for (const live of before) expect(after.find((x) => x.id === live.id)).toEqual(live);
      expect(after.filter((x) => x.externalId === 'h3')).toHaveLength(1);
      expect(after.filter((x) => x.externalId === 'h5')).toHaveLength(1);
    });

    it('writes nothing in a dry run, cursor included, and reports what it would store', async () => {
      const s = await backfillFromSource(deps(store), scriptedSource([...MIXED, MIXED[0] as HistoryEpisode]), {
        range: { from: FROM, to: NOW },
        rules: RULES,
        dryRun: true,
      });
      expect(s).toMatchObject({
        dryRun: true,
        read: 8,
        created: 7,
        skipped: { duplicate: 1 },
        outcomes: { accepted: 3, rejected: 2, open: 2 },
      });
      expect(await allHandoffs(store)).toEqual([]);
      expect(await store.getCursor(backfillCursorName('hubspot', FROM))).toBeNull();
    });

    it('skips a lead known only by its creation date that is not an MQL and has no outcome', async () => {
      const never = episode(
        8,
        { lifecyclestage: 'lead', hs_lead_status: 'NEW' },
        { evidence: 'created-date', stillMql: false },
      );
      const worked = episode(
        9,
        { lifecyclestage: 'salesqualifiedlead' },
        { evidence: 'created-date', stillMql: false },
      );
      const s = await backfillFromSource(deps(store), scriptedSource([never, worked]), {
        range: { from: FROM, to: NOW },
        rules: RULES,
      });
      expect(s).toMatchObject({ read: 2, created: 1, skipped: { notMql: 1 } });
    });

    it('keeps imported history away from the live loop: no offer, reminder, escalation, withdrawal check or write-back', async () => {
      await backfillFromSource(deps(store), scriptedSource(MIXED), { range: { from: FROM, to: NOW }, rules: RULES });
      const h = createHarness(store, baseSettings(), NOW + 30 * DAY);
      const open = (await allHandoffs(store)).filter((x) => x.state === 'detected');
      expect(open).toHaveLength(2);
      for (const o of open)
        expect(await offerHandoff(h.deps, o.id)).toEqual({ kind: 'skipped', why: 'imported history' });
      expect(await sweepDeadlines(h.deps)).toMatchObject({ reminded: 0, reoffered: 0, escalated: 0 });
      const asked: string[] = [];
      const live: LeadSource = {
        kind: 'hubspot',
        async *poll() {},
        fetchLeads: async () => [],
        checkLeads: async (ids) => {
          asked.push(...ids);
          return ids.map((externalId) => ({ externalId, exists: false, mql: false, ownerId: null, mergedInto: null }));
        },
      };
      expect(await checkOpenHandoffs(h.deps, live)).toEqual({ checked: 0, withdrawn: 0 });
      expect(asked).toEqual([]);
      expect(await h.drain()).toBe(0);
      expect(h.slack.posted.length + h.slack.reminded.length + h.slack.escalations.length + h.crm.updates.length).toBe(
        0,
      );
      expect((await allHandoffs(store)).filter((x) => x.state === 'detected')).toHaveLength(2);
    });

    it('imports file rows with their rep and the rep’s team', async () => {
      const lead = makeLead({ externalId: 'f1', mqlAt: FROM + DAY, modifiedAt: FROM + DAY });
      const s = await importHistoryRecords(deps(store), [
        {
          lead,
          outcome: { state: 'rejected', reasonId: 'bad_timing' },
          outcomeAt: null,
          repId: 'bruno',
          origin: { from: 'file', line: 2 },
        },
        {
          lead: { ...lead },
          outcome: { state: 'rejected', reasonId: 'bad_timing' },
          outcomeAt: null,
          repId: 'bruno',
          origin: { from: 'file', line: 3 },
        },
      ]);
      expect(s).toMatchObject({ source: 'file', read: 2, created: 1, skipped: { duplicate: 1 } });
      const [row] = await allHandoffs(store);
      expect(row).toMatchObject({
        imported: true,
        state: 'rejected',
        reasonId: 'bad_timing',
        repId: 'bruno',
        teamId: 'emea',
        decidedBy: 'bruno',
        decidedAt: FROM + DAY,
      });
    });
  });
}
