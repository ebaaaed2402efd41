// The dashboard's view over the SQL metrics readers (SQLite always, Postgres when DATABASE_URL or
// TEST_DATABASE_URL is set): its headline, per-rep, weekly and reason numbers are computeStats' own,
// and the headline taken from the by-rep report equals the plain report of `handoff stats`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeStats } from '../../src/app/stats.js';
import { WEEK, weekStart } from '../../src/domain/metrics.js';
import { buildDashboardView, parseFilters, type DashboardOptions } from '../../src/http/dashboard.js';
import { silentLogger } from '../../src/ports/logger.js';
import { metricsReaderFor } from '../../src/store/metrics-memory.js';
import { openPostgresTestStore, openSqliteTestStore, skipPostgres, type TestStore } from '../helpers/stores.js';
import { NOW, REASONS, REPS, TEAMS, dashboardReports, seedDashboard } from '../helpers/dashboard-seed.js';

const D = 86_400_000;

function suite(name: string, open: () => Promise<TestStore>, skip = false): void {
  describe.skipIf(skip)(`dashboard numbers on ${name}`, () => {
    let t: TestStore;
    let options: DashboardOptions;
    beforeAll(async () => {
      t = await open();
      await seedDashboard(t.store);
      const metrics = metricsReaderFor(t.store);
      options = {
        token: 'x',
        metrics,
        store: t.store,
        reports: dashboardReports(metrics),
        settings: { reps: REPS, teams: TEAMS },
        clock: { now: () => NOW },
        logger: silentLogger,
      };
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
