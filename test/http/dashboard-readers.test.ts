// The dashboard's view over the SQL metrics readers (SQLite always, Postgres when DATABASE_URL or
// TEST_DATABASE_URL is set): its headline, per-rep, weekly and reason numbers are computeStats' own,
// and the headline taken from the by-rep report equals the plain report of `handoff stats`. The SQL's
// speed-to-lead is speedToLeadMs (src/domain/metrics.ts) over the export rows, which the dashboard's
// distribution and `handoff export` use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filteredExportReader } from '../../src/app/export-handoffs.js';
import { computeStats } from '../../src/app/stats.js';
import { WEEK, nearestRank, speedToLeadMs, weekStart } from '../../src/domain/metrics.js';
import { buildDashboardView, parseFilters, type DashboardOptions } from '../../src/http/dashboard.js';
import type { ExportRow, MetricsFilter } from '../../src/ports/metrics.js';
import { openPostgresTestStore, openSqliteTestStore, skipPostgres, type TestStore } from '../helpers/stores.js';
import { NOW, REASONS, dashboardOptions, seedDashboard } from '../helpers/dashboard-seed.js';

const D = 86_400_000;

function suite(name: string, open: () => Promise<TestStore>, skip = false): void {
  describe.skipIf(skip)(`dashboard numbers on ${name}`, () => {
    let t: TestStore;
    let options: DashboardOptions;
    beforeAll(async () => {
      t = await open();
      await seedDashboard(t.store);
      options = dashboardOptions(t.store);
    }, 60_000);
    afterAll(async () => {
      await t?.close();
    });

    it.each([
      'window=30d',
      'window=90d&team=emea',
      'window=14d&source=PAID_SEARCH&hot=1',
      'window=90d&campaign=black-friday',
    ])('matches computeStats for %s', async (query) => {
      const parsed = parseFilters(new URLSearchParams(query));
      const view = await buildDashboardView(options, parsed, 'n');
      const base = { since: NOW - parsed.windowMs, until: NOW, filter: parsed.filter, reasons: REASONS };
      const plain = await computeStats(options.metrics, base);
      expect(view.total).toEqual(plain.total);
      const byRep = await computeStats(options.metrics, { ...base, by: 'rep' });
      for (const r of view.reps) expect(r.numbers, r.id).toEqual(byRep.groups.find((g) => g.key === r.id) ?? null);
      const weekly = await computeStats(options.metrics, { ...base, since: weekStart(NOW) - 11 * WEEK, by: 'week' });
      for (const g of weekly.groups) {
        const w = view.weeks.find((x) => new Date(x.start).toISOString().slice(0, 10) === g.key);
        expect(w, g.key).toMatchObject({ mqls: g.mqls, sals: g.sals, percent: g.conversionPercent });
      }
      expect(view.weeks.reduce((n, w) => n + w.mqls, 0)).toBe(weekly.total.mqls);
      expect(view.speed.histogram.counts.reduce((a, b) => a + b, 0)).toBe(plain.total.speedToLead.count);
      expect(view.backlog.summary).toEqual(await options.metrics.backlog(NOW));
    });

    it.each<[string, MetricsFilter]>([
      ['everyone', {}],
      ['team emea', { team: 'emea' }],
      ['hot leads', { hot: true }],
    ])('computes speed-to-lead in SQL as speedToLeadMs does over the export rows (%s)', async (_name, filter) => {
      const since = NOW - 90 * D;
      const rows: ExportRow[] = [];
      const reader = filteredExportReader(options.metrics, filter);
      for (let after: { mqlAt: number; id: string } | undefined; ; ) {
        const page = await reader.exportHandoffs(since, NOW, 50, after);
        rows.push(...page);
        const last = page.at(-1);
        if (!last || page.length < 50) break;
        after = { mqlAt: last.mqlAt, id: last.id };
      }
      const timing = (of: ExportRow[]) => {
        const speeds = of
          .map(speedToLeadMs)
          .filter((s): s is number => s !== null)
          .sort((a, b) => a - b);
        return { count: speeds.length, p50Ms: nearestRank(speeds, 50), p90Ms: nearestRank(speeds, 90) };
      };
      const byRep = await computeStats(options.metrics, { since, until: NOW, filter, by: 'rep', reasons: REASONS });
      expect(byRep.total.speedToLead).toEqual(timing(rows));
      expect(byRep.total.speedToLead.count).toBeGreaterThan(3);
      for (const g of byRep.groups)
        expect(g.speedToLead, g.key).toEqual(timing(rows.filter((r) => (r.repId ?? '(none)') === g.key)));
    });

    it('has a non-trivial cohort to compare', async () => {
      const s = await computeStats(options.metrics, { since: NOW - 90 * D, until: NOW, reasons: REASONS });
      expect(s.total.mqls).toBeGreaterThan(90);
      expect(s.total.rejectedByReason.length).toBe(4);
      expect(s.total.escalated).toBeGreaterThan(3);
    });
  });
}

suite('SQLite', () => openSqliteTestStore());
suite('Postgres', () => openPostgresTestStore(), skipPostgres());
