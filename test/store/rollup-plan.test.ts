// planWindow (src/store/rollups.ts): how a window is split into the partial days read from the rows and
// the whole days, weeks and months read from the rollup tables. Pure: no store.
import { describe, expect, it } from 'vitest';
import { DAY, weekStart } from '../../src/domain/metrics.js';
import { MONTHLY_ROLLUPS, monthStart, nextMonthStart, planWindow, type RollupSlice } from '../../src/store/rollups.js';

const HOUR = 3_600_000;

/** The slices cover [from, to) once, end to end, each on its table's period boundaries. */
function expectTiling(slices: readonly RollupSlice[], from: number, to: number): void {
  let at = from;
  for (const s of slices) {
    expect(s.from, JSON.stringify(s)).toBe(at);
    expect(s.to, JSON.stringify(s)).toBeGreaterThan(s.from);
    if (s.table === 'weekly_rollups') {
      expect(weekStart(s.from)).toBe(s.from);
      expect(weekStart(s.to)).toBe(s.to);
    } else if (s.table === MONTHLY_ROLLUPS) {
      expect(monthStart(s.from)).toBe(s.from);
      expect(monthStart(s.to)).toBe(s.to);
    } else {
      expect(s.from % DAY).toBe(0);
      expect(s.to % DAY).toBe(0);
    }
    at = s.to;
  }
  expect(at).toBe(to);
}

describe('planWindow', () => {
  it('finds calendar month starts in UTC, leap years and year ends included', () => {
    expect(monthStart(Date.UTC(2028, 1, 29, 23, 59))).toBe(Date.UTC(2028, 1, 1));
    expect(nextMonthStart(Date.UTC(2028, 1, 29, 23, 59))).toBe(Date.UTC(2028, 2, 1));
    expect(nextMonthStart(Date.UTC(2026, 11, 31, 12))).toBe(Date.UTC(2027, 0, 1));
    expect(monthStart(Date.UTC(2027, 0, 1))).toBe(Date.UTC(2027, 0, 1));
  });

  it('reads the whole months of a long window from monthly_rollups, the weeks and days around them from the others', () => {
    const since = Date.UTC(2024, 10, 25, 12);
    const until = Date.UTC(2026, 10, 25, 12);
    const plan = planWindow(since, until)!;
    expect(plan.exact).toEqual([
      [since, Date.UTC(2024, 10, 26)],
      [Date.UTC(2026, 10, 25), until],
    ]);
    expectTiling(plan.slices, Date.UTC(2024, 10, 26), Date.UTC(2026, 10, 25));
    expect(plan.slices.filter((s) => s.table === MONTHLY_ROLLUPS)).toEqual([
      { table: MONTHLY_ROLLUPS, from: Date.UTC(2024, 11, 1), to: Date.UTC(2026, 10, 1) },
    ]);
    // Nov 2026: Sunday the 1st as a day, the weeks from Monday the 2nd, then the 23rd and 24th as days.
    expect(plan.slices.slice(-3)).toEqual([
      { table: 'daily_rollups', from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 10, 2) },
      { table: 'weekly_rollups', from: Date.UTC(2026, 10, 2), to: Date.UTC(2026, 10, 23) },
      { table: 'daily_rollups', from: Date.UTC(2026, 10, 23), to: Date.UTC(2026, 10, 25) },
    ]);
  });

  it('keeps to weeks and days when asked (a grouping by week) or when the window holds no whole month', () => {
    const since = Date.UTC(2025, 10, 25, 12);
    const until = Date.UTC(2026, 10, 25, 12);
    const weeksOnly = planWindow(since, until, { months: false })!;
    expect(weeksOnly.slices.some((s) => s.table === MONTHLY_ROLLUPS)).toBe(false);
    expectTiling(weeksOnly.slices, Date.UTC(2025, 10, 26), Date.UTC(2026, 10, 25));
    // Thirty days from Oct 26 12:00: no whole month; the same plan as before months existed.
    const month = planWindow(Date.UTC(2026, 9, 26, 12), Date.UTC(2026, 10, 25, 12))!;
    expect(month.slices).toEqual([
      { table: 'daily_rollups', from: Date.UTC(2026, 9, 27), to: Date.UTC(2026, 10, 2) },
      { table: 'weekly_rollups', from: Date.UTC(2026, 10, 2), to: Date.UTC(2026, 10, 23) },
      { table: 'daily_rollups', from: Date.UTC(2026, 10, 23), to: Date.UTC(2026, 10, 25) },
    ]);
  });

  it('takes a month only when that reads no more periods than weeks and days would', () => {
    // Oct 29 – Dec 9, 2026: November as a month would leave Oct 29–31 and Dec 1–8 as 11 days (12 periods);
    // weeks and days read Oct 29 to Nov 1 as four days, five weeks, then Dec 7 and 8 (11 periods).
    const plan = planWindow(Date.UTC(2026, 9, 29), Date.UTC(2026, 11, 9))!;
    expect(plan.exact).toEqual([]);
    expect(plan.slices.some((s) => s.table === MONTHLY_ROLLUPS)).toBe(false);
    // Sep 30 – Dec 2: October and November as months, Sep 30 and Dec 1 as days (4 periods instead of 15).
    const months = planWindow(Date.UTC(2026, 8, 30), Date.UTC(2026, 11, 2))!;
    expect(months.slices).toEqual([
      { table: 'daily_rollups', from: Date.UTC(2026, 8, 30), to: Date.UTC(2026, 9, 1) },
      { table: MONTHLY_ROLLUPS, from: Date.UTC(2026, 9, 1), to: Date.UTC(2026, 11, 1) },
      { table: 'daily_rollups', from: Date.UTC(2026, 11, 1), to: Date.UTC(2026, 11, 2) },
    ]);
  });

  it('tiles any window: whole days once each, partial days from the rows', () => {
    // Windows starting and ending at many hours across 2027–2028 (a leap February, a year end).
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed % n;
    };
    for (let i = 0; i < 500; i++) {
      const since = Date.UTC(2027, 0, 1) + rand(700) * DAY + rand(24) * HOUR;
      const until = since + rand(800) * DAY + rand(24) * HOUR;
      for (const months of [true, false]) {
        const plan = planWindow(since, until, { months });
        const d0 = Math.ceil(since / DAY) * DAY;
        const d1 = Math.floor(until / DAY) * DAY;
        if (d1 - d0 < DAY) {
          expect(plan).toBeNull();
          continue;
        }
        expectTiling(plan!.slices, d0, d1);
        const covered = plan!.exact.reduce((n, [a, b]) => n + (b - a), 0);
        expect(covered).toBe(d0 - since + (until - d1));
        if (!months) expect(plan!.slices.every((s) => s.table !== MONTHLY_ROLLUPS)).toBe(true);
        // Never more weekly slices than the two stretches around the months.
        expect(plan!.slices.filter((s) => s.table === 'weekly_rollups').length).toBeLessThanOrEqual(2);
      }
    }
  });
});
