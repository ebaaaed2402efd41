// The golden dataset through the MetricsReader on the memory store, SQLite and Postgres: every figure
// must equal the numbers worked out by hand in test/helpers/golden.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEED_EDGES, histogram, speedToLeadMs } from '../../src/domain/metrics.js';
import type { MetricsFilter, MetricsReader } from '../../src/ports/metrics.js';
import type { Store } from '../../src/ports/store.js';
import { createMemoryStore } from '../../src/store/index.js';
import { createSqlMetricsReader } from '../../src/store/metrics.js';
import { createStoreMetricsReader } from '../../src/store/metrics-memory.js';
import { openPostgresTestStore, openSqliteTestStore, skipPostgres, type TestStore } from '../helpers/stores.js';
import { BACKLOG_NOW, GOLDEN, M, RECYCLE, WINDOW, seedGolden } from '../helpers/golden.js';

interface Target {
  store: Store;
  reader: MetricsReader;
  close(): Promise<void>;
}

function suite(name: string, open: () => Promise<Target>, skip = false): void {
  describe.skipIf(skip)(`metrics on ${name}`, () => {
    let t: Target;
    let ids: Record<string, string>;
    beforeAll(async () => {
      t = await open();
      ids = await seedGolden(t.store);
    });
    afterAll(async () => {
      await t?.close();
    });
    const q = { ...WINDOW, recycleReasons: RECYCLE };

    it('computes the cohort totals of the window', async () => {
      const r = await t.reader.funnel(q);
      expect(r.total).toEqual(GOLDEN.total);
      expect(r.groups).toEqual([]);
    });

    it('groups by rep: hand-off numbers by their last rep, offer numbers by the offered rep', async () => {
      const r = await t.reader.funnel({ ...q, by: 'rep' });
      expect(r.total).toEqual(GOLDEN.total);
      expect(r.groups.map((g) => g.key)).toEqual(['(none)', 'alice', 'bruno', 'carl']);
      for (const g of r.groups) {
        const { key, ...counts } = g;
        expect(counts, key).toEqual(GOLDEN.byRep[key as keyof typeof GOLDEN.byRep]);
      }
    });

    it('groups by week (Monday UTC)', async () => {
      const r = await t.reader.funnel({ ...q, by: 'week' });
      expect(Object.fromEntries(r.groups.map(({ key, ...c }) => [key, c]))).toEqual(GOLDEN.byWeek);
    });

    it('groups by source and by campaign', async () => {
      const s = await t.reader.funnel({ ...q, by: 'source' });
      expect(Object.fromEntries(s.groups.map((g) => [g.key, [g.mqls, g.sals, g.rejected]]))).toEqual(GOLDEN.bySource);
      const c = await t.reader.funnel({ ...q, by: 'campaign' });
      expect(Object.fromEntries(c.groups.map((g) => [g.key, [g.mqls, g.sals, g.rejected]]))).toEqual(GOLDEN.byCampaign);
    });

    it('groups by reason and by team', async () => {
      const r = await t.reader.funnel({ ...q, by: 'reason' });
      expect(Object.fromEntries(r.groups.map((g) => [g.key, g.mqls]))).toEqual({
        '(none)': 8,
        bad_timing: 1,
        not_icp: 2,
        other: 1,
      });
      const teams = await t.reader.funnel({ ...q, by: 'team' });
      // emea H1 H2 H3 H6 H7 H11; us H4 H5 H8; none H9 H10 H12
      expect(Object.fromEntries(teams.groups.map((g) => [g.key, [g.mqls, g.sals, g.timeouts]]))).toEqual({
        '(none)': [3, 1, 0],
        emea: [6, 2, 1],
        us: [3, 1, 1],
      });
    });

    it('filters by team, hot, source, campaign and rep', async () => {
      const emea = (await t.reader.funnel({ ...q, filter: { team: 'emea' } })).total;
      expect([emea.mqls, emea.sals, emea.rejected, emea.pending, emea.withdrawn]).toEqual(GOLDEN.teamEmea);
      const hot = (await t.reader.funnel({ ...q, filter: { hot: true } })).total;
      expect([hot.mqls, hot.sals, hot.pending]).toEqual(GOLDEN.hot);
      const paidFall = (await t.reader.funnel({ ...q, filter: { source: 'PAID', campaign: 'fall' } })).total;
      expect([paidFall.mqls, paidFall.rejected, paidFall.escalated, paidFall.recycled]).toEqual([5, 3, 2, 1]);
      const carl = (await t.reader.funnel({ ...q, filter: { rep: 'carl' } })).total;
      expect(carl).toEqual(GOLDEN.byRep.carl);
    });

    it('counts nothing in an empty window', async () => {
      const r = await t.reader.funnel({
        since: Date.UTC(2020, 0, 1),
        until: Date.UTC(2020, 1, 1),
        recycleReasons: RECYCLE,
        by: 'rep',
      });
      expect(r.total.mqls).toBe(0);
      expect(r.total.speedToLead).toEqual({ count: 0, p50: null, p90: null });
      expect(r.groups).toEqual([]);
    });

    it('reports the open backlog by state and age', async () => {
      expect(await t.reader.backlog(BACKLOG_NOW)).toEqual(GOLDEN.backlog);
    });

    it('counts open hand-offs matching the backlog filters (the rep is not one of them)', async () => {
      // Open: H5 (PAID fall us, hot, Nov 4), H6 (ORGANIC, no campaign, emea, Nov 9), H12 (PAID fall, no
      // team, Nov 12 10:00). The SQL reader takes the days before `now`'s from the rollups: read at
      // BACKLOG_NOW (H12 from the rows), later (all from the rollups) and before them all (all from the rows).
      for (const now of [BACKLOG_NOW, Date.UTC(2026, 11, 1), Date.UTC(2026, 9, 1)]) {
        const count = (filter: Parameters<MetricsReader['countOpenHandoffs']>[0]) =>
          t.reader.countOpenHandoffs(filter, now);
        expect(await count({}), String(now)).toBe(3);
        expect(await count({ rep: 'carl' })).toBe(3);
        expect(await count({ source: 'PAID' })).toBe(2);
        expect(await count({ campaign: 'fall', hot: true })).toBe(1);
        expect(await count({ source: 'PAID', campaign: 'fall', hot: false })).toBe(1);
        expect(await count({ team: 'emea' })).toBe(1);
        expect(await count({ team: 'us', source: 'PAID', campaign: 'fall' })).toBe(1);
        expect(await count({ team: 'us', source: 'ORGANIC' })).toBe(0);
        for (const filter of [{}, { source: 'PAID' }, { team: 'emea' }, { campaign: 'fall', hot: true }])
          expect(await count(filter)).toBe((await t.store.listOpenHandoffs(100, filter)).length);
      }
    });

    it('counts the speed-to-lead values of a window in the dashboard buckets and lists its latest escalations', async () => {
      // Speed to lead: H8 3 min, H1 11 min, H2 51 min (H9 is imported); escalated: H12 (Nov 12), H5 (Nov 4).
      const read = (filter: MetricsFilter, escalations = 10) =>
        t.reader.windowSpeedAndEscalations(WINDOW.since, WINDOW.until, filter, SPEED_EDGES, escalations);
      const counts = (...at: number[]) => SPEED_EDGES.map((_, k) => at.filter((i) => i === k).length);
      const all = await read({});
      expect(all.speedCounts).toEqual(counts(0, 1, 3));
      expect(all.escalated.map((e) => e.id)).toEqual([ids.H12, ids.H5]);
      expect(all.escalated[1]).toMatchObject({
        leadId: expect.any(String),
        state: 'escalated',
        repId: 'carl',
        channel: 'PAID',
        campaign: 'fall',
        escalatedAt: Date.UTC(2026, 10, 4, 9, 6),
      });
      expect(all.escalated[0]).toMatchObject({ escalationReason: 'unroutable', repId: null });
      expect((await read({}, 1)).escalated.map((e) => e.id)).toEqual([ids.H12]);
      expect(await read({ source: 'PAID' })).toMatchObject({
        speedCounts: counts(),
        escalated: [{ id: ids.H12 }, { id: ids.H5 }],
      });
      expect(await read({ team: 'emea', rep: 'carl' })).toEqual({ speedCounts: counts(1, 3), escalated: [] });
      expect((await read({ hot: true })).speedCounts).toEqual(counts(0));
      expect((await read({ hot: true })).escalated.map((e) => e.id)).toEqual([ids.H5]);
      // The histogram of the page over the same rows.
      const rows = await t.store.listHandoffsByMqlTime(WINDOW.since, WINDOW.until, 1_000);
      const speeds = rows.map(speedToLeadMs).filter((v): v is number => v !== null);
      expect(all.speedCounts).toEqual(histogram(speeds).counts);
      expect((await read({}, 0)).escalated).toEqual([]);
    });

    it('counts MQLs, lists timed-out offers and rejection notes', async () => {
      expect(await t.reader.countMqls(WINDOW.since, WINDOW.until)).toBe(12);
      expect(await t.reader.countMqls(WINDOW.since, Date.UTC(2026, 10, 9))).toBe(5);
      const timedOut = await t.reader.listTimedOutOffers(WINDOW.since, WINDOW.until, 10);
      expect(timedOut.map((o) => [o.handoffId, o.repId, o.timedOutAt, o.handoffState])).toEqual([
        [ids.H2, 'alice', Date.UTC(2026, 10, 2, 10, 31), 'accepted'],
        [ids.H5, 'carl', Date.UTC(2026, 10, 4, 9, 6), 'escalated'],
      ]);
      const notes = await t.reader.rejectionNotes(WINDOW.since, WINDOW.until, 3);
      expect(notes.map((n) => [n.reasonId, n.note, n.source])).toEqual([
        ['not_icp', 'too small', 'PAID'],
        ['other', 'student', 'PAID'],
      ]);
    });

    it('exports every hand-off of the window with its offers, paged', async () => {
      const first = await t.reader.exportHandoffs(WINDOW.since, WINDOW.until, 5);
      expect(first.map((r) => r.lastName)).toEqual(['H1', 'H2', 'H3', 'H4', 'H5']);
      const last = first[4]!;
      const rest = await t.reader.exportHandoffs(WINDOW.since, WINDOW.until, 100, { mqlAt: last.mqlAt, id: last.id });
      expect(rest.map((r) => r.lastName)).toEqual(['H6', 'H7', 'H8', 'H9', 'H10', 'H11', 'H12']);
      const h2 = first[1]!;
      expect(h2).toMatchObject({
        company: 'Company H2',
        channel: 'ORGANIC',
        campaign: 'spring',
        state: 'accepted',
        decidedBy: 'bruno',
        imported: false,
      });
      expect(h2.offers).toEqual([
        {
          seq: 1,
          repId: 'alice',
          state: 'timed_out',
          offeredAt: h2.mqlAt + 1 * M,
          dueAt: h2.mqlAt + 31 * M,
          decidedAt: h2.mqlAt + 31 * M,
        },
        {
          seq: 2,
          repId: 'bruno',
          state: 'accepted',
          offeredAt: h2.mqlAt + 31 * M,
          dueAt: h2.mqlAt + 61 * M,
          decidedAt: h2.mqlAt + 51 * M,
        },
      ]);
      expect(rest.find((r) => r.lastName === 'H9')).toMatchObject({ imported: true, state: 'accepted', offers: [] });
    });
  });
}

suite('the memory store', async () => {
  const store = createMemoryStore();
  return { store, reader: createStoreMetricsReader(store), close: async () => undefined };
});

suite('SQLite', async () => {
  const t: TestStore = await openSqliteTestStore();
  return { store: t.store, reader: createSqlMetricsReader(t.store.db, t.store.dialect), close: () => t.close() };
});

suite(
  'Postgres',
  async () => {
    const t: TestStore = await openPostgresTestStore();
    return { store: t.store, reader: createSqlMetricsReader(t.store.db, t.store.dialect), close: () => t.close() };
  },
  skipPostgres(),
);
