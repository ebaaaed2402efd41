// The dashboard's data helpers: the filtered export pager and the bisection that bounds the rows a big
// window reads.
import { describe, expect, it } from 'vitest';
import { latestStartWithin } from '../../src/app/dashboard-view.js';
import { filteredExportReader } from '../../src/app/export-handoffs.js';
import type { ExportRow, MetricsReader } from '../../src/ports/metrics.js';
import { makeExportRow } from '../helpers/builders.js';

const M = 60_000;

function row(i: number, teamId: string): ExportRow {
  return makeExportRow({
    id: `h${String(i).padStart(4, '0')}`,
    externalId: `x${i}`,
    channel: 'ADS',
    mqlAt: 1_000 + i,
    state: 'accepted',
    teamId,
  });
}

function fakeReader(rows: ExportRow[]): MetricsReader & { calls: number } {
  const reader = {
    calls: 0,
    async exportHandoffs(since: number, until: number, limit: number, after?: { mqlAt: number; id: string }) {
      reader.calls += 1;
      return rows
        .filter((r) => r.mqlAt >= since && r.mqlAt < until)
        .filter((r) => !after || r.mqlAt > after.mqlAt || (r.mqlAt === after.mqlAt && r.id > after.id))
        .slice(0, limit);
    },
    async countMqls(since: number, until: number) {
      return rows.filter((r) => r.mqlAt >= since && r.mqlAt < until).length;
    },
  } as unknown as MetricsReader & { calls: number };
  return reader;
}

describe('filteredExportReader', () => {
  it('keeps pages full so a pager that stops on a short page sees every matching row', async () => {
    // 1 in 7 rows is team "us": a page of 5 needs several underlying pages.
    const rows = Array.from({ length: 100 }, (_, i) => row(i, i % 7 === 0 ? 'us' : 'emea'));
    const base = fakeReader(rows);
    const reader = filteredExportReader(base, { team: 'us' });
    const seen: string[] = [];
    let after: { mqlAt: number; id: string } | undefined;
    for (;;) {
      const page = await reader.exportHandoffs(0, 10_000, 5, after);
      seen.push(...page.map((r) => r.id));
      const last = page[page.length - 1];
      if (!last || page.length < 5) break;
      after = { mqlAt: last.mqlAt, id: last.id };
    }
    expect(seen).toEqual(rows.filter((r) => r.teamId === 'us').map((r) => r.id));
    expect(filteredExportReader(base, {})).toBe(base);
  });
});

describe('latestStartWithin', () => {
  it('finds the latest start keeping at most the limit of MQLs before until', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ ...row(i, 'emea'), mqlAt: i * 10 * M }));
    const start = await latestStartWithin(fakeReader(rows), 0, 500 * M, 20);
    const reader = fakeReader(rows);
    expect(await reader.countMqls(start, 500 * M)).toBeLessThanOrEqual(20);
    expect(await reader.countMqls(start - 60_000, 500 * M)).toBeGreaterThanOrEqual(20);
    expect(start).toBeGreaterThan(290 * M);
    expect(start).toBeLessThanOrEqual(300 * M);
  });
});
