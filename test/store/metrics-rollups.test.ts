// Rollups against the rows, on SQLite and Postgres: the golden dataset read through the rollups (whole
// days, weeks and months from daily_rollups/weekly_rollups/monthly_rollups, percentiles from their
// buckets) gives the same
// counts as the exact reader, and percentiles in the same bucket as the exact nearest-rank values;
// the rollups the store keeps in its transactions equal a rebuild from the rows; backfill keeps them right.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importHistoryRecords } from '../../src/app/backfill.js';
import { readDashboard } from '../../src/app/dashboard-view.js';
import { matchesFilter, narrowsRows } from '../../src/app/export-handoffs.js';
import type { StatsNumbers } from '../../src/app/stats.js';
import { DAY, histogram, speedToLeadMs } from '../../src/domain/metrics.js';
import { silentLogger } from '../../src/ports/logger.js';
import { METRICS_GROUPS, type FunnelCounts, type MetricsFilter, type Percentiles } from '../../src/ports/metrics.js';
import { createSqlMetricsReader } from '../../src/store/metrics.js';
import { createStoreMetricsReader } from '../../src/store/metrics-memory.js';
import { BUCKET_RELATIVE_ERROR, rollupBucket } from '../../src/store/rollup-buckets.js';
import { CUBES, cubeFor, rebuildRollups, rollupStatus } from '../../src/store/rollups.js';
import type { SqlStore } from '../../src/store/index.js';
import { baseSettings } from '../helpers/app-harness.js';
import { makeLead } from '../helpers/builders.js';
import { BACKLOG_NOW, RECYCLE, WINDOW, seedGolden } from '../helpers/golden.js';
import { openPostgresTestStore, openSqliteTestStore, skipPostgres, type TestStore } from '../helpers/stores.js';

/** The percentile from buckets lies in the exact value's bucket, so within the stated bucket error. */
function expectWithinBucket(approx: Percentiles, exact: Percentiles, label: string): void {
  expect(approx.count, label).toBe(exact.count);
  for (const p of ['p50', 'p90'] as const) {
    const e = exact[p];
    const a = approx[p];
    if (e === null) {
      expect(a, label).toBeNull();
      continue;
    }
    expect(a, label).not.toBeNull();
    expect(rollupBucket(a as number), `${label} ${p}`).toBe(rollupBucket(e));
    if (rollupBucket(e) > 0)
      expect(Math.abs((a as number) - e), `${label} ${p}`).toBeLessThanOrEqual(e * BUCKET_RELATIVE_ERROR + 1);
  }
}

function counts(c: FunnelCounts): Omit<FunnelCounts, 'speedToLead' | 'responseTime'> {
  const { speedToLead: _s, responseTime: _r, ...rest } = c;
  return rest;
}

/** Every non-zero rollup row, in key order. */
async function rollupRows(store: SqlStore): Promise<string[]> {
  const out: string[] = [];
  for (const table of ['daily_rollups', 'weekly_rollups', 'monthly_rollups']) {
    const r = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db);
    for (const row of r.rows) {
      const numbers = Object.entries(row).filter(
        ([k]) => !['cube', 'start', 'side', 'team', 'rep', 'channel', 'campaign', 'hot', 'reason'].includes(k),
      );
      if (numbers.every(([, v]) => Number(v) === 0)) continue;
      out.push(
        JSON.stringify([table, ...Object.entries(row).map(([k, v]) => [k, typeof v === 'string' ? v : Number(v)])]),
      );
    }
  }
  return out.sort();
}

const BUCKETED = { exactPercentilesUpTo: 0, exactPercentilesUpToValues: 0 };

const WINDOWS = {
  'the golden fortnight': WINDOW,
  // Oct 1 – Dec 31: October and November from monthly_rollups, December's whole weeks from
  // weekly_rollups, the days around them from daily_rollups, H13 and H14 in.
  'a quarter': { since: Date.UTC(2026, 9, 1), until: Date.UTC(2026, 11, 31) },
  // Across month ends: Sep 30 and Dec 1 as days, October and November as months, partial days at both
  // ends (the golden hand-off of Oct 31 sits in a month's last day).
  'across month ends': { since: Date.UTC(2026, 8, 29, 6), until: Date.UTC(2026, 11, 2, 18) },
  // Partial days at both ends, read from the rows.
  'a window with partial days': { since: Date.UTC(2026, 9, 31, 10, 30), until: Date.UTC(2026, 10, 12, 9, 30) },
};
const FILTERS: MetricsFilter[] = [
  {},
  { team: 'emea' },
  { hot: true },
  { source: 'PAID' },
  { campaign: 'spring', team: 'emea' },
  { rep: 'alice' },
  // A rep together with a source or campaign (filter or grouping): the rep × source × campaign cube 'x'.
  { source: 'ORGANIC', rep: 'alice' },
  { campaign: 'fall', rep: 'carl', hot: false },
  { source: 'PAID', hot: true },
  { source: 'ORGANIC', campaign: 'spring', team: 'emea' },
];

function suite(name: string, open: () => Promise<TestStore>, skip = false): void {
  describe.skipIf(skip)(`rollups on ${name}`, () => {
    let t: TestStore;
    beforeAll(async () => {
      t = await open();
      await seedGolden(t.store);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('gives the exact counts, and percentiles within the bucket error, for every window, grouping and filter', async () => {
      const exact = createSqlMetricsReader(t.store.db, t.store.dialect, { rollups: false });
      // Every window with a whole day takes its percentiles from the buckets.
      const rolled = createSqlMetricsReader(t.store.db, t.store.dialect, BUCKETED);
      let compared = 0;
      for (const [wname, w] of Object.entries(WINDOWS)) {
        for (const by of [null, ...METRICS_GROUPS]) {
          for (const filter of FILTERS) {
            const q = { ...w, by, filter, recycleReasons: RECYCLE };
            const a = await rolled.funnel(q);
            const e = await exact.funnel(q);
            const label = `${wname} by ${by ?? '-'} ${JSON.stringify(filter)}`;
            expect(counts(a.total), label).toEqual(counts(e.total));
            expectWithinBucket(a.total.speedToLead, e.total.speedToLead, `${label} speed`);
            expectWithinBucket(a.total.responseTime, e.total.responseTime, `${label} response`);
            expect(
              a.groups.map((g) => g.key),
              label,
            ).toEqual(e.groups.map((g) => g.key));
            for (const [i, g] of a.groups.entries()) {
              const eg = e.groups[i]!;
              expect(counts(g), `${label} ${g.key}`).toEqual(counts(eg));
              expectWithinBucket(g.speedToLead, eg.speedToLead, `${label} ${g.key} speed`);
              expectWithinBucket(g.responseTime, eg.responseTime, `${label} ${g.key} response`);
            }
            compared += 1;
          }
        }
      }
      expect(compared).toBe(Object.keys(WINDOWS).length * 7 * FILTERS.length);
    });

    it('reads every filter and grouping from a cube: none falls back to the rows for its whole days', async () => {
      const reads: string[] = [];
      for (const by of [null, ...METRICS_GROUPS])
        for (const filter of FILTERS) reads.push(`${by ?? '-'} ${JSON.stringify(filter)} ${cubeFor(filter, by)}`);
      expect(reads.filter((r) => !CUBES.some((c) => r.endsWith(` ${c}`)))).toEqual([]);
      // Proof that the rollups are what is read: a rollup row of cube 'x' changed by hand shows in the
      // per-rep numbers under a source filter (and the rebuild puts it right).
      const rolled = createSqlMetricsReader(t.store.db, t.store.dialect);
      const q = { ...WINDOWS['a quarter'], by: 'rep' as const, filter: { source: 'ORGANIC' }, recycleReasons: RECYCLE };
      const before = await rolled.funnel(q);
      for (const table of ['daily_rollups', 'weekly_rollups', 'monthly_rollups'])
        await sql`update ${sql.table(table)} set mqls = mqls + 1000 where cube = 'x' and side = 'h' and channel = 'ORGANIC' and rep = 'alice'`.execute(
          t.store.db,
        );
      const tampered = await rolled.funnel(q);
      await rebuildRollups(t.store.db, t.store.dialect);
      expect(tampered.groups.find((g) => g.key === 'alice')!.mqls).toBeGreaterThanOrEqual(
        before.groups.find((g) => g.key === 'alice')!.mqls + 1000,
      );
      expect(await rolled.funnel(q)).toEqual(before);
    });

    it('gives the dashboard page the exact per-rep numbers under any filter over a two-year window', async () => {
      const settings = baseSettings({});
      const exact = createSqlMetricsReader(t.store.db, t.store.dialect, { rollups: false });
      const rolled = createSqlMetricsReader(t.store.db, t.store.dialect, BUCKETED);
      const query = (filter: MetricsFilter) => ({ windowMs: 730 * DAY, filter, now: Date.UTC(2026, 11, 31, 15, 20) });
      const settingsOf = {
        reps: settings.reps,
        teams: settings.teams,
        rejectionReasons: settings.reasons,
      };
      let compared = 0;
      for (const filter of FILTERS) {
        const a = await readDashboard({ metrics: rolled, store: t.store, settings: settingsOf }, query(filter));
        const e = await readDashboard({ metrics: exact, store: t.store, settings: settingsOf }, query(filter));
        const label = JSON.stringify(filter);
        const strip = (n: StatsNumbers | null) => {
          if (n === null) return null;
          const { speedToLead: _s, responseTime: _r, ...rest } = n;
          return rest;
        };
        expect(strip(a.total), label).toEqual(strip(e.total));
        expect(a.weeks, label).toEqual(e.weeks);
        expect(a.breakdown, label).toEqual(e.breakdown);
        expect(
          a.reps.map((r) => [r.id, strip(r.numbers)]),
          label,
        ).toEqual(e.reps.map((r) => [r.id, strip(r.numbers)]));
        for (const [i, r] of a.reps.entries()) {
          const er = e.reps[i]!.numbers;
          if (r.numbers === null || er === null) continue;
          for (const m of ['speedToLead', 'responseTime'] as const)
            expectWithinBucket(
              { count: r.numbers[m].count, p50: r.numbers[m].p50Ms, p90: r.numbers[m].p90Ms },
              { count: er[m].count, p50: er[m].p50Ms, p90: er[m].p90Ms },
              `${label} ${r.id} ${m}`,
            );
          if (r.numbers.mqls > 0) compared += 1;
        }
      }
      expect(compared).toBeGreaterThan(FILTERS.length);
    });

    it('gives the dashboard backlog the oldest open hand-offs matching each filter and how many match', async () => {
      const settings = baseSettings({});
      const settingsOf = { reps: settings.reps, teams: settings.teams, rejectionReasons: settings.reasons };
      const readers = [
        createSqlMetricsReader(t.store.db, t.store.dialect, BUCKETED),
        createSqlMetricsReader(t.store.db, t.store.dialect, { rollups: false }),
      ];
      const open = await t.store.listOpenHandoffs(1_000);
      expect(open.length).toBeGreaterThan(1);
      let narrowed = 0;
      // At BACKLOG_NOW the open hand-off of that day is counted from the rows, the others from the rollups.
      for (const now of [BACKLOG_NOW, Date.UTC(2026, 11, 31, 15, 20)])
        for (const filter of FILTERS)
          for (const metrics of readers) {
            const data = await readDashboard(
              { metrics, store: t.store, settings: settingsOf },
              { windowMs: 730 * DAY, filter, now },
            );
            const expected = open.filter((h) => matchesFilter(filter, h));
            const label = `${JSON.stringify(filter)} at ${new Date(now).toISOString()}`;
            expect(data.backlog.filtered, label).toBe(narrowsRows(filter));
            expect(data.backlog.matching, label).toBe(data.backlog.filtered ? expected.length : open.length);
            expect(
              data.backlog.rows.map((r) => r.id),
              label,
            ).toEqual((data.backlog.filtered ? expected : open).slice(0, data.backlog.shownLimit).map((h) => h.id));
            if (expected.length < open.length) narrowed += 1;
            // The speed-to-lead columns and the escalations: the rows of the window matching the filter.
            const rows = (await t.store.listHandoffsByMqlTime(data.speed.rowsSince ?? data.since, now, 10_000)).filter(
              (h) => matchesFilter(filter, h),
            );
            expect(data.speed.histogram, label).toEqual(
              histogram(rows.map(speedToLeadMs).filter((v): v is number => v !== null)),
            );
            const escalated = rows
              .filter((h) => h.escalatedAt !== null)
              .sort((x, y) => (y.escalatedAt ?? 0) - (x.escalatedAt ?? 0));
            expect(
              data.escalations.map((e) => e.id),
              label,
            ).toEqual(escalated.slice(0, 10).map((h) => h.id));
          }
      expect(narrowed).toBeGreaterThan(FILTERS.length);
    });

    it('reads exact figures from the rows alone: the same as the memory reader over the same store', async () => {
      // The rows path (no rollups): SQLite takes its percentile values with the counts, Postgres
      // issues percentile_disc with them; both must match the definitions computed in memory.
      const rows = createSqlMetricsReader(t.store.db, t.store.dialect, { rollups: false });
      const memory = createStoreMetricsReader(t.store);
      let compared = 0;
      for (const [wname, w] of Object.entries(WINDOWS)) {
        for (const by of [null, ...METRICS_GROUPS]) {
          for (const filter of FILTERS) {
            const q = { ...w, by, filter, recycleReasons: RECYCLE };
            const label = `${wname} by ${by ?? '-'} ${JSON.stringify(filter)}`;
            const e = await memory.funnel(q);
            expect(await rows.funnel(q), label).toEqual(e);
            if (e.total.speedToLead.p50 !== null) compared += 1;
          }
        }
      }
      expect(compared).toBeGreaterThan(Object.keys(WINDOWS).length * 7);
    });

    it('reads two groupings at once (funnelTwoWays) with the figures of two count-only funnel calls', async () => {
      let compared = 0;
      for (const reader of [
        createSqlMetricsReader(t.store.db, t.store.dialect),
        createSqlMetricsReader(t.store.db, t.store.dialect, { rollups: false }),
      ]) {
        for (const [wname, w] of Object.entries(WINDOWS)) {
          for (const [a, b] of [
            ['source', 'campaign'],
            ['rep', 'source'],
            ['week', 'team'],
          ] as const) {
            for (const filter of FILTERS) {
              const q = { ...w, filter, recycleReasons: RECYCLE };
              const two = await reader.funnelTwoWays!(q, a, b);
              const label = `${wname} by ${a} and ${b} ${JSON.stringify(filter)}`;
              expect(two[0], label).toEqual(await reader.funnel({ ...q, by: a, percentiles: false }));
              expect(two[1], label).toEqual(await reader.funnel({ ...q, by: b, percentiles: false }));
              if (two[0].total.mqls > 0) compared += 1;
            }
          }
        }
      }
      // Most combinations hold hand-offs of the golden set (a comparison of empty results proves little).
      expect(compared).toBeGreaterThan(2 * 3 * 3 * 3);
    });

    it('keeps short windows exact: the default reader reads golden percentiles to the millisecond', async () => {
      const reader = createSqlMetricsReader(t.store.db, t.store.dialect);
      const exact = createSqlMetricsReader(t.store.db, t.store.dialect, { rollups: false });
      const q = { ...WINDOW, by: 'rep' as const, recycleReasons: RECYCLE };
      expect(await reader.funnel(q)).toEqual(await exact.funnel(q));
    });

    it('takes the percentiles of a window over 92 days from the buckets however few its values', async () => {
      // Half a year of the golden set holds a dozen values: exact ones would mean walking the rows of the
      // window's most selective filter, which on two years of a million hand-offs costs seconds.
      const reader = createSqlMetricsReader(t.store.db, t.store.dialect);
      const rolled = createSqlMetricsReader(t.store.db, t.store.dialect, BUCKETED);
      const exact = createSqlMetricsReader(t.store.db, t.store.dialect, { rollups: false });
      const halfYear = { since: Date.UTC(2026, 5, 1), until: Date.UTC(2026, 11, 31) };
      for (const filter of FILTERS) {
        const q = { ...halfYear, by: 'rep' as const, filter, recycleReasons: RECYCLE };
        expect(await reader.funnel(q), JSON.stringify(filter)).toEqual(await rolled.funnel(q));
      }
      const q = { ...halfYear, recycleReasons: RECYCLE };
      const [a, e] = [await reader.funnel(q), await exact.funnel(q)];
      expect(a.total.speedToLead.count).toBeLessThan(5_000);
      expect(a.total.speedToLead.p50).not.toBe(e.total.speedToLead.p50);
      expectWithinBucket(a.total.speedToLead, e.total.speedToLead, 'half a year speed');
      // A quarter (92 days at most) keeps exact percentiles when its values are few.
      const quarter = { ...WINDOWS['a quarter'], recycleReasons: RECYCLE };
      expect(await reader.funnel(quarter)).toEqual(await exact.funnel(quarter));
    });

    it('counts the backlog of older days from the rollups as the rows do', async () => {
      const reader = createSqlMetricsReader(t.store.db, t.store.dialect);
      const exact = createSqlMetricsReader(t.store.db, t.store.dialect, { rollups: false });
      for (const now of [Date.UTC(2026, 10, 12, 12), Date.UTC(2026, 11, 20), Date.UTC(2026, 10, 4, 9, 30)])
        expect(await reader.backlog(now)).toEqual(await exact.backlog(now));
    });

    it('keeps the rollups in every change’s transaction equal to a rebuild from the rows', async () => {
      const kept = await rollupRows(t.store);
      expect(kept.length).toBeGreaterThan(0);
      expect(await rollupStatus(t.store.db)).toMatchObject({ handoffs: 14, counted: 14, inStep: true });
      const report = await rebuildRollups(t.store.db, t.store.dialect);
      expect(report.dailyRows).toBeGreaterThan(0);
      expect(await rollupRows(t.store)).toEqual(kept);
    });

    it('builds the rollups of the hand-offs already stored when migrate adds them (0005_daily_rollups)', async () => {
      const kept = await rollupRows(t.store);
      // The store as it was before the migration: no rollup tables or 0005 indexes, 0005 not recorded.
      await sql`drop table daily_rollups`.execute(t.store.db);
      await sql`drop table weekly_rollups`.execute(t.store.db);
      await sql`drop index handoffs_live_mql_at_idx`.execute(t.store.db);
      await sql`drop index offers_state_rep_id_idx`.execute(t.store.db);
      await sql`delete from handoff_migration where name = '0005_daily_rollups'`.execute(t.store.db);
      const report = await t.store.migrateWithReport({ allowUnordered: true });
      expect(report.applied).toEqual(['0005_daily_rollups']);
      expect(await rollupRows(t.store)).toEqual(kept);
      expect(await rollupStatus(t.store.db)).toMatchObject({ handoffs: 14, inStep: true });
    });

    it('adds the rep × source × campaign cube to a store that has hand-offs when migrate runs 0008_rollup_rep_source', async () => {
      const kept = await rollupRows(t.store);
      // The store as it was before the migration: no cube 'x' rows, no 0008 indexes, 0008 not recorded.
      await sql`delete from daily_rollups where cube = 'x'`.execute(t.store.db);
      await sql`delete from weekly_rollups where cube = 'x'`.execute(t.store.db);
      for (const col of ['channel', 'campaign'])
        await sql`drop index if exists ${sql.id(`weekly_rollups_cube_${col}_idx`)}`.execute(t.store.db);
      expect(await rollupStatus(t.store.db)).toMatchObject({ handoffs: 14, inStep: false });
      await sql`delete from handoff_migration where name = '0008_rollup_rep_source'`.execute(t.store.db);
      const report = await t.store.migrateWithReport({ allowUnordered: true });
      expect(report.applied).toEqual(['0008_rollup_rep_source']);
      expect(await rollupRows(t.store)).toEqual(kept);
      expect(await rollupStatus(t.store.db)).toMatchObject({ handoffs: 14, inStep: true });
    });

    it('adds the monthly rollups to a store that has hand-offs when migrate runs 0009_monthly_rollups', async () => {
      const kept = await rollupRows(t.store);
      expect(kept.some((r) => r.startsWith('["monthly_rollups"'))).toBe(true);
      // The store as it was before the migration: no monthly table (nor its indexes), 0009 not recorded.
      await sql`drop table monthly_rollups`.execute(t.store.db);
      await sql`delete from handoff_migration where name = '0009_monthly_rollups'`.execute(t.store.db);
      const report = await t.store.migrateWithReport({ allowUnordered: true });
      expect(report.applied).toEqual(['0009_monthly_rollups']);
      expect(await rollupRows(t.store)).toEqual(kept);
      expect(await rollupStatus(t.store.db)).toMatchObject({ handoffs: 14, inStep: true });
      // A month's row is the sum of its days' rows (every key, every count and bucket).
      const sums = async (table: string) =>
        (
          await sql<Record<string, unknown>>`
            select cube, side, team, rep, channel, campaign, hot, reason, sum(mqls) as mqls, sum(ended) as ended,
              sum(b12) as b12, sum(timed) as timed
            from ${sql.table(table)} where start >= ${Date.UTC(2026, 10, 1)} and start < ${Date.UTC(2026, 11, 1)}
            group by cube, side, team, rep, channel, campaign, hot, reason
            order by cube, side, team, rep, channel, campaign, hot, reason`.execute(t.store.db)
        ).rows.map((r) => JSON.stringify(Object.values(r).map((v) => (typeof v === 'string' ? v : Number(v)))));
      expect(await sums('monthly_rollups')).toEqual(await sums('daily_rollups'));
    });

    it('leaves the rollups right after a backfill', async () => {
      const settings = baseSettings({});
      const at = Date.UTC(2026, 8, 7, 9);
      const records = [0, 1, 2, 3].map((i) => ({
        lead: makeLead({
          externalId: `hist-${i}`,
          mqlAt: at + i * DAY,
          modifiedAt: at + i * DAY,
          fields: { channel: 'PAID', campaign: 'summer' },
        }),
        outcome:
          i === 0
            ? ({ state: 'accepted' } as const)
            : i === 1
              ? ({ state: 'open' } as const)
              : ({ state: 'rejected', reasonId: 'bad_timing' } as const),
        outcomeAt: at + i * DAY + 3_600_000,
        repId: i === 3 ? 'alice' : null,
        origin: { from: 'file' as const, line: i + 2 },
      }));
      const summary = await importHistoryRecords(
        { store: t.store, clock: { now: () => Date.UTC(2026, 11, 1) }, logger: silentLogger, settings },
        records,
      );
      expect(summary.created).toBe(4);
      const kept = await rollupRows(t.store);
      expect(await rollupStatus(t.store.db)).toMatchObject({ handoffs: 18, counted: 18, inStep: true });
      await rebuildRollups(t.store.db, t.store.dialect);
      expect(await rollupRows(t.store)).toEqual(kept);
      const rolled = createSqlMetricsReader(t.store.db, t.store.dialect, BUCKETED);
      const exact = createSqlMetricsReader(t.store.db, t.store.dialect, { rollups: false });
      const q = {
        since: Date.UTC(2026, 8, 1),
        until: Date.UTC(2026, 11, 1),
        by: 'source' as const,
        recycleReasons: RECYCLE,
      };
      const a = await rolled.funnel(q);
      expect(a.total.imported).toBe(6); // the four above and the golden H9, H10
      expect(counts(a.total)).toEqual(counts((await exact.funnel(q)).total));
    });
  });
}

suite('SQLite', () => openSqliteTestStore());
suite('Postgres', () => openPostgresTestStore(), skipPostgres());
