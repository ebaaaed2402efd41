import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WorkingHours, WorkingWindow, Weekday } from '../../src/domain/model.js';
import { formatWorkingHours, parseClockRange, parseWorkingHours } from '../../src/domain/working-hours.js';

function hours(text: string): WorkingHours {
  const r = parseWorkingHours(text);
  if (!r.ok) throw new Error(`expected "${text}" to parse: ${r.error}`);
  return r.hours;
}
function error(text: string): string {
  const r = parseWorkingHours(text);
  if (r.ok) throw new Error(`expected "${text}" to be rejected, got ${JSON.stringify(r.hours)}`);
  return r.error;
}
const MON_FRI: Weekday[] = [1, 2, 3, 4, 5];

describe('parseWorkingHours', () => {
  it('reads a weekday range', () => {
    expect(hours('Mon-Fri 09:00-17:30')).toEqual({ windows: [{ days: MON_FRI, start: 540, end: 1050 }] });
  });

  it('reads several segments with different times', () => {
    expect(hours('Mon-Thu 09:00-17:30, Fri 09:00-13:00')).toEqual({
      windows: [
        { days: [1, 2, 3, 4], start: 540, end: 1050 },
        { days: [5], start: 540, end: 780 },
      ],
    });
  });

  it('reads a list of days', () => {
    expect(hours('Mon, Wed, Fri 10:00-16:00')).toEqual({ windows: [{ days: [1, 3, 5], start: 600, end: 960 }] });
    expect(hours('Mon,Wed,Fri 10:00-16:00')).toEqual(hours('Mon, Wed, Fri 10:00-16:00'));
  });

  it('reads two time ranges for the same days (a lunch break)', () => {
    const expected = {
      windows: [
        { days: MON_FRI, start: 540, end: 720 },
        { days: MON_FRI, start: 780, end: 1020 },
      ],
    };
    expect(hours('Mon-Fri 09:00-12:00 13:00-17:00')).toEqual(expected);
    expect(hours('Mon-Fri 09:00-12:00, 13:00-17:00')).toEqual(expected);
  });

  it('keeps a window that runs past midnight as end <= start', () => {
    expect(hours('Sat-Sun 22:00-06:00')).toEqual({ windows: [{ days: [6, 0], start: 1320, end: 360 }] });
  });

  it('reads 24/7 as every day, all day', () => {
    expect(hours('24/7')).toEqual({ windows: [{ days: [1, 2, 3, 4, 5, 6, 0], start: 0, end: 1440 }] });
  });

  it('accepts full day names, wrapping ranges, groups and spaced dashes', () => {
    expect(hours('monday - friday 9:00 - 17:00')).toEqual({ windows: [{ days: MON_FRI, start: 540, end: 1020 }] });
    expect(hours('Fri-Mon 10:00-14:00').windows[0]?.days).toEqual([1, 5, 6, 0]);
    expect(hours('weekdays 08:00-16:00')).toEqual(hours('Mon-Fri 08:00-16:00'));
    expect(hours('Mon 00:00-24:00').windows).toEqual([{ days: [1], start: 0, end: 1440 }]);
  });

  it('rejects bad input with a useful message', () => {
    expect(error('')).toMatch(/empty/);
    expect(error('Mon-Fry 09:00-17:00')).toMatch(/"Mon-Fry"/);
    expect(error('Mon-Fri 9-5')).toMatch(/"9-5"/);
    expect(error('Mon-Fri 09:00-25:00')).toMatch(/not a time of day/);
    expect(error('Mon-Fri 09:60-17:00')).toMatch(/not a time of day/);
    expect(error('Mon-Fri 09:00-09:00')).toMatch(/same time/);
    expect(error('Mon-Fri')).toMatch(/no times/);
    expect(error('09:00-17:00')).toMatch(/no days/);
    expect(error('Mon-Fri 09:00-17:00 Sat')).toMatch(/days first/);
    expect(error('Mon-Fri 09:00-17:00,, Sat 10:00-12:00')).toMatch(/empty part/);
  });

  it('rejects overlapping windows, also across midnight and the week boundary', () => {
    expect(error('Mon-Fri 09:00-17:00, Wed 12:00-13:00')).toMatch(/overlaps/);
    expect(error('Mon 22:00-06:00, Tue 05:00-09:00')).toMatch(/overlaps/);
    expect(error('Sat 20:00-04:00, Sun 03:00-05:00')).toMatch(/overlaps/);
    expect(hours('Mon 22:00-06:00, Tue 06:00-09:00').windows).toHaveLength(2);
  });
});

describe('parseClockRange', () => {
  it('reads quiet hours', () => {
    expect(parseClockRange('22:00-07:00')).toEqual({ ok: true, start: 1320, end: 420 });
    expect(parseClockRange('22:00').ok).toBe(false);
  });
});

describe('formatWorkingHours', () => {
  it('writes the canonical form', () => {
    expect(formatWorkingHours(hours('monday-friday 9:00-17:30'))).toBe('Mon-Fri 09:00-17:30');
    expect(formatWorkingHours(hours('Mon-Thu 09:00-17:30; Fri 09:00-13:00'))).toBe(
      'Mon-Thu 09:00-17:30, Fri 09:00-13:00',
    );
    expect(formatWorkingHours(hours('Fri, Mon, Wed 10:00-16:00'))).toBe('Mon,Wed,Fri 10:00-16:00');
    expect(formatWorkingHours(hours('Sun-Sat 00:00-24:00'))).toBe('24/7');
    expect(formatWorkingHours({ windows: [] })).toBe('never');
  });

  it('round-trips: parse(format(h)) is h for any set of non-overlapping windows', () => {
    const windowArb = fc
      .record({
        days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }),
        start: fc.integer({ min: 0, max: 1439 }),
        length: fc.integer({ min: 1, max: 1440 }),
      })
      .map(({ days, start, length }): WorkingWindow => {
        const endRaw = start + length;
        const end = endRaw === 1440 ? 1440 : endRaw % 1440;
        return { days: days as Weekday[], start, end };
      });
    fc.assert(
      fc.property(fc.array(windowArb, { minLength: 1, maxLength: 3 }), (windows) => {
        const text = windows
          .map(
            (w) =>
              `${w.days.map((d) => ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d]).join(',')} ${clock(w.start)}-${clock(w.end)}`,
          )
          .join(', ');
        const first = parseWorkingHours(text);
        fc.pre(first.ok); // overlapping random windows are rejected; skip those
        if (!first.ok) return;
        const again = parseWorkingHours(formatWorkingHours(first.hours));
        expect(again).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });
});

function clock(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
