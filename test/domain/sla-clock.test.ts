import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import type { Weekday, WorkingWindow } from '../../src/domain/model.js';
import {
  addWorkingTime,
  isWorkingTime,
  localDate,
  localDayStart,
  nextWorkingMoment,
  workingTimeBetween,
  type WorkCalendar,
} from '../../src/domain/sla-clock.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEKDAYS: Weekday[] = [1, 2, 3, 4, 5];
const ALL_DAYS: Weekday[] = [0, 1, 2, 3, 4, 5, 6];

const at = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad instant ${iso}`);
  return t;
};
const iso = (t: number): string => new Date(t).toISOString();
const hm = (text: string): number => {
  const [h, m] = text.split(':').map(Number);
  return (h as number) * 60 + (m as number);
};
const win = (days: Weekday[], from: string, to: string): WorkingWindow => ({ days, start: hm(from), end: hm(to) });
const makeCalendar = (overrides: Partial<WorkCalendar> = {}): WorkCalendar => ({
  timezone: 'Europe/Berlin',
  hours: { windows: [win(WEEKDAYS, '09:00', '17:30')] },
  holidays: [],
  ...overrides,
});

describe('addWorkingTime: named cases', () => {
  const berlin = makeCalendar();

  it('carries Friday 17:20 + 30 min in Berlin over the weekend to Monday 09:20', () => {
    // Friday 2026-11-20 17:20 CET = 16:20Z; Monday 09:20 CET = 08:20Z.
    expect(iso(addWorkingTime(at('2026-11-20T16:20:00Z'), 30 * MIN, berlin))).toBe('2026-11-23T08:20:00.000Z');
  });

  it('lands on Monday 09:20 CEST across the spring-forward weekend in Berlin', () => {
    // Friday 2026-03-27 17:20 CET = 16:20Z; clocks go forward on Sunday 29th; Monday 09:20 CEST = 07:20Z.
    expect(iso(addWorkingTime(at('2026-03-27T16:20:00Z'), 30 * MIN, berlin))).toBe('2026-03-30T07:20:00.000Z');
  });

  it('lands on Monday 09:20 CET across the fall-back weekend in Berlin', () => {
    // Friday 2026-10-23 17:20 CEST = 15:20Z; clocks go back on Sunday 25th; Monday 09:20 CET = 08:20Z.
    expect(iso(addWorkingTime(at('2026-10-23T15:20:00Z'), 30 * MIN, berlin))).toBe('2026-10-26T08:20:00.000Z');
  });

  it('counts a window touching the skipped hour as real time on the spring-forward night (Berlin)', () => {
    const cal = makeCalendar({ hours: { windows: [win([0], '01:00', '04:00')] } });
    // Sunday 2026-03-29: 01:00 CET = 00:00Z, 02:00 CET becomes 03:00 CEST = 01:00Z, 04:00 CEST = 02:00Z.
    expect(workingTimeBetween(at('2026-03-28T00:00:00Z'), at('2026-03-30T00:00:00Z'), cal)).toBe(2 * HOUR);
    expect(iso(addWorkingTime(at('2026-03-29T00:00:00Z'), 90 * MIN, cal))).toBe('2026-03-29T01:30:00.000Z');
    expect(isWorkingTime(at('2026-03-29T00:59:59Z'), cal)).toBe(true);
    expect(isWorkingTime(at('2026-03-29T02:00:00Z'), cal)).toBe(false);
  });

  it('counts the repeated hour twice on the fall-back night (Berlin)', () => {
    const cal = makeCalendar({ hours: { windows: [win([0], '01:00', '04:00')] } });
    // Sunday 2026-10-25: 01:00 CEST = Sat 23:00Z, 03:00 CEST becomes 02:00 CET = 01:00Z, 04:00 CET = 03:00Z.
    expect(workingTimeBetween(at('2026-10-24T00:00:00Z'), at('2026-10-26T00:00:00Z'), cal)).toBe(4 * HOUR);
    expect(iso(addWorkingTime(at('2026-10-24T23:00:00Z'), 3 * HOUR, cal))).toBe('2026-10-25T02:00:00.000Z');
  });

  it('starts a window whose start time is skipped at the moment the clocks jump (Berlin)', () => {
    const cal = makeCalendar({ hours: { windows: [win([0], '02:30', '05:00')] } });
    // 02:30 does not exist on 2026-03-29; the first reading past it is 03:00 CEST = 01:00Z.
    expect(isWorkingTime(at('2026-03-29T00:59:59Z'), cal)).toBe(false);
    expect(isWorkingTime(at('2026-03-29T01:00:00Z'), cal)).toBe(true);
    expect(iso(nextWorkingMoment(at('2026-03-28T12:00:00Z'), cal))).toBe('2026-03-29T01:00:00.000Z');
    expect(workingTimeBetween(at('2026-03-28T00:00:00Z'), at('2026-03-30T00:00:00Z'), cal)).toBe(2 * HOUR);
  });

  it('works both passes of a window ending inside the repeated hour (Berlin)', () => {
    const cal = makeCalendar({ hours: { windows: [win([0], '00:00', '02:30')] } });
    // 2026-10-25: 00:00-02:30 CEST = 22:00Z-00:30Z, then 02:00-02:30 CET = 01:00Z-01:30Z.
    expect(isWorkingTime(at('2026-10-25T00:29:00Z'), cal)).toBe(true);
    expect(isWorkingTime(at('2026-10-25T00:45:00Z'), cal)).toBe(false);
    expect(isWorkingTime(at('2026-10-25T01:15:00Z'), cal)).toBe(true);
    expect(workingTimeBetween(at('2026-10-24T00:00:00Z'), at('2026-10-26T00:00:00Z'), cal)).toBe(3 * HOUR);
    expect(iso(addWorkingTime(at('2026-10-24T22:00:00Z'), 2 * HOUR + 45 * MIN, cal))).toBe('2026-10-25T01:15:00.000Z');
  });

  it('handles a window past midnight over both DST changes in New York', () => {
    const cal = makeCalendar({ timezone: 'America/New_York', hours: { windows: [win([6], '22:00', '06:00')] } });
    // Sat 2026-03-07 22:00 EST = Sun 03:00Z until Sun 06:00 EDT = 10:00Z: 7 h.
    expect(workingTimeBetween(at('2026-03-07T00:00:00Z'), at('2026-03-09T00:00:00Z'), cal)).toBe(7 * HOUR);
    expect(iso(addWorkingTime(at('2026-03-07T12:00:00Z'), 6 * HOUR, cal))).toBe('2026-03-08T09:00:00.000Z');
    // Sat 2026-10-31 22:00 EDT = Sun 02:00Z until Sun 06:00 EST = 11:00Z: 9 h.
    expect(workingTimeBetween(at('2026-10-31T00:00:00Z'), at('2026-11-02T00:00:00Z'), cal)).toBe(9 * HOUR);
    expect(iso(addWorkingTime(at('2026-10-31T12:00:00Z'), 8 * HOUR, cal))).toBe('2026-11-01T10:00:00.000Z');
  });

  it('handles a window across the shifted hour on both DST Sundays in New York', () => {
    const cal = makeCalendar({ timezone: 'America/New_York', hours: { windows: [win([0], '01:30', '03:30')] } });
    // Spring: 01:30 EST = 06:30Z .. 03:30 EDT = 07:30Z (02:00-03:00 is skipped): 1 h.
    expect(workingTimeBetween(at('2026-03-08T00:00:00Z'), at('2026-03-09T00:00:00Z'), cal)).toBe(HOUR);
    expect(iso(addWorkingTime(at('2026-03-08T00:00:00Z'), 30 * MIN, cal))).toBe('2026-03-08T07:00:00.000Z');
    // Fall: 01:30 EDT = 05:30Z .. 02:00 EDT = 06:00Z, the clock reads 01:00 EST again and re-enters
    // the window at 01:30 EST = 06:30Z until 03:30 EST = 08:30Z: 2.5 h.
    expect(workingTimeBetween(at('2026-11-01T00:00:00Z'), at('2026-11-02T00:00:00Z'), cal)).toBe(150 * MIN);
    expect(isWorkingTime(at('2026-11-01T05:45:00Z'), cal)).toBe(true);
    expect(isWorkingTime(at('2026-11-01T06:15:00Z'), cal)).toBe(false);
    expect(iso(addWorkingTime(at('2026-11-01T00:00:00Z'), 60 * MIN, cal))).toBe('2026-11-01T07:00:00.000Z');
    expect(iso(addWorkingTime(at('2026-11-01T00:00:00Z'), 150 * MIN, cal))).toBe('2026-11-01T08:30:00.000Z');
  });

  it('skips a holiday', () => {
    const cal = makeCalendar({ holidays: ['2026-12-25'] });
    // Thursday 2026-12-24 17:20 CET; Friday the 25th is a holiday; Monday 28th 09:20 CET = 08:20Z.
    expect(iso(addWorkingTime(at('2026-12-24T16:20:00Z'), 30 * MIN, cal))).toBe('2026-12-28T08:20:00.000Z');
    expect(isWorkingTime(at('2026-12-25T10:00:00Z'), cal)).toBe(false);
    expect(isWorkingTime(at('2026-12-24T10:00:00Z'), cal)).toBe(true);
  });

  it('skips the weekend when starting on a Saturday', () => {
    // Saturday 2026-11-21 11:00 CET; counting starts Monday 09:00 CET = 08:00Z.
    expect(iso(addWorkingTime(at('2026-11-21T10:00:00Z'), 2 * HOUR, berlin))).toBe('2026-11-23T10:00:00.000Z');
    expect(iso(nextWorkingMoment(at('2026-11-21T10:00:00Z'), berlin))).toBe('2026-11-23T08:00:00.000Z');
  });

  it('follows a window that runs past midnight (22:00-06:00) and belongs to the day it starts', () => {
    const night = makeCalendar({ hours: { windows: [win(WEEKDAYS, '22:00', '06:00')] } });
    // Friday 2026-11-20 23:00 CET = 22:00Z; Friday's window runs to Saturday 06:00 CET (7 h),
    // the next one starts Monday 22:00 CET = 21:00Z; one more hour → Monday 23:00 CET.
    expect(iso(addWorkingTime(at('2026-11-20T22:00:00Z'), 8 * HOUR, night))).toBe('2026-11-23T22:00:00.000Z');
    expect(isWorkingTime(at('2026-11-21T04:00:00Z'), night)).toBe(true); // Saturday 05:00, Friday's window
    expect(isWorkingTime(at('2026-11-21T22:00:00Z'), night)).toBe(false); // Saturday 23:00
    expect(isWorkingTime(at('2026-11-23T02:00:00Z'), night)).toBe(false); // Monday 03:00: Sunday has no window
    expect(isWorkingTime(at('2026-11-24T02:00:00Z'), night)).toBe(true); // Tuesday 03:00, Monday's window
  });

  it('lets a holiday remove only the night window that starts on it', () => {
    const night = makeCalendar({ hours: { windows: [win(WEEKDAYS, '22:00', '06:00')] }, holidays: ['2026-11-24'] });
    expect(isWorkingTime(at('2026-11-24T02:00:00Z'), night)).toBe(true); // Tuesday 03:00: Monday's window
    expect(isWorkingTime(at('2026-11-24T22:00:00Z'), night)).toBe(false); // Tuesday 23:00: holiday window
    expect(isWorkingTime(at('2026-11-25T02:00:00Z'), night)).toBe(false); // Wednesday 03:00: still Tuesday's
    expect(isWorkingTime(at('2026-11-25T22:00:00Z'), night)).toBe(true); // Wednesday 23:00
  });

  it('counts from the start when it is inside hours', () => {
    expect(iso(addWorkingTime(at('2026-11-24T09:00:00Z'), 2 * HOUR, berlin))).toBe('2026-11-24T11:00:00.000Z');
  });

  it('counts from the next opening when the start is outside hours', () => {
    // Tuesday 07:00 CET; opening 09:00 CET = 08:00Z.
    expect(iso(addWorkingTime(at('2026-11-24T06:00:00Z'), 2 * HOUR, berlin))).toBe('2026-11-24T10:00:00.000Z');
    // Exactly at closing time (17:30 is outside the half-open window).
    expect(iso(addWorkingTime(at('2026-11-24T16:30:00Z'), MIN, berlin))).toBe('2026-11-25T08:01:00.000Z');
  });

  it('ends exactly at closing time when the duration runs out there', () => {
    expect(iso(addWorkingTime(at('2026-11-20T16:20:00Z'), 10 * MIN, berlin))).toBe('2026-11-20T16:30:00.000Z');
  });

  it('equals wall time on a 24/7 calendar, DST included', () => {
    const always = makeCalendar({ hours: { windows: [{ days: ALL_DAYS, start: 0, end: 1440 }] } });
    for (const start of ['2026-03-28T20:00:00Z', '2026-10-24T21:17:00Z', '2026-06-01T00:00:00Z']) {
      expect(addWorkingTime(at(start), 30 * HOUR, always)).toBe(at(start) + 30 * HOUR);
      expect(workingTimeBetween(at(start), at(start) + 3 * DAY, always)).toBe(3 * DAY);
    }
  });

  it('returns the start for a zero duration', () => {
    expect(addWorkingTime(at('2026-11-21T10:00:00Z'), 0, berlin)).toBe(at('2026-11-21T10:00:00Z'));
  });

  it('rejects an unknown time zone with a coded error', () => {
    expect(() => addWorkingTime(0, HOUR, makeCalendar({ timezone: 'Mars/Olympus' }))).toThrow(AppError);
  });
});

describe('calendars without working time', () => {
  it('falls back to wall time for empty hours', () => {
    const empty = makeCalendar({ hours: { windows: [] } });
    const start = at('2026-11-20T16:20:00Z');
    expect(addWorkingTime(start, 30 * MIN, empty)).toBe(start + 30 * MIN);
    expect(nextWorkingMoment(start, empty)).toBe(start);
    expect(isWorkingTime(start, empty)).toBe(false);
    expect(workingTimeBetween(start, start + 10 * DAY, empty)).toBe(0);
  });

  it('falls back to wall time from the last working moment when holidays cover more than the horizon', () => {
    const holidays: string[] = [];
    for (let d = at('2026-11-21T00:00:00Z'); d < at('2028-06-01T00:00:00Z'); d += DAY)
      holidays.push(iso(d).slice(0, 10));
    const cal = makeCalendar({ holidays });
    // Friday 2026-11-20 17:20 CET: 10 minutes left that day, then nothing for 18 months.
    const start = at('2026-11-20T16:20:00Z');
    const closing = at('2026-11-20T16:30:00Z');
    expect(addWorkingTime(start, 30 * MIN, cal)).toBe(closing + 20 * MIN);
    expect(addWorkingTime(start, 10 * MIN, cal)).toBe(closing);
    expect(nextWorkingMoment(closing, cal)).toBe(closing);
  });

  it('still finds working time after a long but bounded stretch of holidays', () => {
    const holidays: string[] = [];
    for (let d = at('2026-11-21T00:00:00Z'); d < at('2027-09-01T00:00:00Z'); d += DAY)
      holidays.push(iso(d).slice(0, 10));
    const cal = makeCalendar({ holidays });
    // Wednesday 2027-09-01 09:00 CEST = 07:00Z.
    expect(iso(addWorkingTime(at('2026-11-20T16:30:00Z'), MIN, cal))).toBe('2027-09-01T07:01:00.000Z');
  });
});

describe('local dates', () => {
  it('gives the local date and the first instant of the local day', () => {
    expect(localDate(at('2026-03-28T23:30:00Z'), 'Europe/Berlin')).toBe('2026-03-29');
    expect(iso(localDayStart(at('2026-03-29T10:00:00Z'), 'Europe/Berlin'))).toBe('2026-03-28T23:00:00.000Z');
    expect(localDate(at('2026-07-01T03:59:00Z'), 'America/New_York')).toBe('2026-06-30');
    expect(iso(localDayStart(at('2026-07-01T12:00:00Z'), 'America/New_York'))).toBe('2026-07-01T04:00:00.000Z');
  });

  it('starts the day after the gap where midnight itself is skipped (Havana)', () => {
    // 2026-03-08 00:00 CST does not exist: clocks jump to 01:00 CDT = 05:00Z.
    expect(iso(localDayStart(at('2026-03-08T17:00:00Z'), 'America/Havana'))).toBe('2026-03-08T05:00:00.000Z');
    expect(localDate(at('2026-03-08T04:59:59Z'), 'America/Havana')).toBe('2026-03-07');
    expect(localDate(at('2026-03-08T05:00:00Z'), 'America/Havana')).toBe('2026-03-08');
  });
});

// ---- properties ---------------------------------------------------------------------------------

const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Australia/Lord_Howe', // 30-minute DST shift
  'America/Havana', // changes at midnight
  'America/Santiago',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'UTC',
] as const;

/** DST changes in 2026 that the generators aim at. */
const TRANSITIONS = [
  '2026-03-29T01:00:00Z', // Berlin forward
  '2026-10-25T01:00:00Z', // Berlin back
  '2026-03-08T07:00:00Z', // New York forward
  '2026-11-01T06:00:00Z', // New York back
  '2026-04-04T15:00:00Z', // Lord Howe back
  '2026-10-03T15:30:00Z', // Lord Howe forward
  '2026-03-08T05:00:00Z', // Havana forward at midnight
  '2026-11-01T05:00:00Z', // Havana back
  '2026-04-05T03:00:00Z', // Santiago back
  '2026-09-06T04:00:00Z', // Santiago forward
].map(at);

const instantArb = fc.oneof(
  fc.integer({ min: at('2025-06-01T00:00:00Z'), max: at('2027-06-01T00:00:00Z') }),
  fc.tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -3 * DAY, max: 3 * DAY })).map(([t, d]) => t + d),
);

const minuteArb = fc.oneof(fc.integer({ min: 0, max: 1439 }), fc.constantFrom(0, 60, 90, 120, 150, 180, 1380, 1410));
const windowArb: fc.Arbitrary<WorkingWindow> = fc
  .record({
    days: fc.subarray(ALL_DAYS, { minLength: 1 }),
    start: minuteArb,
    length: fc.oneof(fc.integer({ min: 30, max: 1440 }), fc.constantFrom(60, 120, 480, 510)),
  })
  .map(({ days, start, length }) => ({ days, start, end: (start + length) % 1440 }));

const holidayArb = fc
  .integer({ min: at('2025-06-01T00:00:00Z') / DAY, max: at('2027-06-01T00:00:00Z') / DAY })
  .map((d) => iso(d * DAY).slice(0, 10));

const calendarArb: fc.Arbitrary<WorkCalendar> = fc.record({
  timezone: fc.constantFrom(...ZONES),
  hours: fc.record({ windows: fc.array(windowArb, { minLength: 1, maxLength: 3 }) }),
  holidays: fc.array(holidayArb, { maxLength: 6 }),
});

const durationArb = fc.oneof(
  fc.integer({ min: 0, max: 2 * DAY }),
  fc.constantFrom(MIN, 30 * MIN, HOUR, 4 * HOUR).map((d) => d),
);

/** The oracle: reads the wall clock with its own formatter and checks the windows directly. */
const oracleFormats = new Map<string, Intl.DateTimeFormat>();
function bruteForceIsWorking(t: number, cal: WorkCalendar): boolean {
  let format = oracleFormats.get(cal.timezone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone: cal.timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    oracleFormats.set(cal.timezone, format);
  }
  const parts = format.formatToParts(new Date(t));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const day = Date.UTC(get('year'), get('month') - 1, get('day')) / DAY;
  const minute = get('hour') * 60 + get('minute');
  const dateOf = (d: number): string => iso(d * DAY).slice(0, 10);
  const weekday = (d: number): number => (d + 4) % 7;
  for (const w of cal.hours.windows) {
    const spans = w.end <= w.start;
    if (!cal.holidays.includes(dateOf(day)) && w.days.includes(weekday(day) as Weekday)) {
      if (minute >= w.start && (spans || minute < w.end)) return true;
    }
    if (spans && !cal.holidays.includes(dateOf(day - 1)) && w.days.includes(weekday(day - 1) as Weekday)) {
      if (minute < w.end) return true;
    }
  }
  return false;
}

describe('addWorkingTime: properties', () => {
  it('never returns a time before the start', () => {
    fc.assert(
      fc.property(instantArb, durationArb, calendarArb, (s, d, cal) => addWorkingTime(s, d, cal) >= s),
      { numRuns: 300 },
    );
  });

  it('adds exactly the requested working time', () => {
    fc.assert(
      fc.property(instantArb, durationArb, calendarArb, (s, d, cal) => {
        expect(workingTimeBetween(s, addWorkingTime(s, d, cal), cal)).toBe(d);
      }),
      { numRuns: 300 },
    );
  });

  it('is monotonic in the duration', () => {
    fc.assert(
      fc.property(instantArb, durationArb, durationArb, calendarArb, (s, a, b, cal) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(addWorkingTime(s, lo, cal)).toBeLessThanOrEqual(addWorkingTime(s, hi, cal));
      }),
      { numRuns: 300 },
    );
  });

  it('ends inside working time or exactly at the end of a window', () => {
    fc.assert(
      fc.property(
        instantArb,
        durationArb.filter((d) => d > 0),
        calendarArb,
        (s, d, cal) => {
          // The millisecond before the result is working time: the result is inside a window or its end.
          expect(isWorkingTime(addWorkingTime(s, d, cal) - 1, cal)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is additive: adding a then b equals adding a + b', () => {
    fc.assert(
      fc.property(instantArb, durationArb, durationArb, calendarArb, (s, a, b, cal) => {
        expect(addWorkingTime(addWorkingTime(s, a, cal), b, cal)).toBe(addWorkingTime(s, a + b, cal));
      }),
      { numRuns: 300 },
    );
  });

  it('equals wall time on a 24/7 calendar in every zone', () => {
    fc.assert(
      fc.property(instantArb, durationArb, fc.constantFrom(...ZONES), (s, d, timezone) => {
        const always: WorkCalendar = {
          timezone,
          hours: { windows: [{ days: ALL_DAYS, start: 0, end: 1440 }] },
          holidays: [],
        };
        expect(addWorkingTime(s, d, always)).toBe(s + d);
      }),
      { numRuns: 200 },
    );
  });
});

describe('working time against a minute-by-minute oracle', () => {
  it('agrees on whether an instant is working time', () => {
    fc.assert(
      fc.property(instantArb, calendarArb, (t, cal) => {
        expect(isWorkingTime(t, cal)).toBe(bruteForceIsWorking(t, cal));
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees on the working time between two instants', () => {
    fc.assert(
      fc.property(instantArb, fc.integer({ min: 1, max: 3 * 24 * 60 }), calendarArb, (t, minutes, cal) => {
        const from = Math.floor(t / MIN) * MIN;
        let expected = 0;
        for (let m = 0; m < minutes; m++) if (bruteForceIsWorking(from + m * MIN, cal)) expected += MIN;
        expect(workingTimeBetween(from, from + minutes * MIN, cal)).toBe(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('finds the next working moment with no working time before it', () => {
    fc.assert(
      fc.property(instantArb, calendarArb, (t, cal) => {
        const next = nextWorkingMoment(t, cal);
        expect(next).toBeGreaterThanOrEqual(t);
        expect(isWorkingTime(next, cal)).toBe(true);
        expect(workingTimeBetween(t, next, cal)).toBe(0);
        if (next > t) expect(isWorkingTime(next - 1, cal)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('puts the local day start on the same local date, right after the previous one', () => {
    fc.assert(
      fc.property(instantArb, fc.constantFrom(...ZONES), (t, zone) => {
        const start = localDayStart(t, zone);
        expect(start).toBeLessThanOrEqual(t);
        expect(localDate(start, zone)).toBe(localDate(t, zone));
        expect(localDate(start - 1, zone) < localDate(t, zone)).toBe(true);
        const oracle = new Intl.DateTimeFormat('en-CA', {
          timeZone: zone,
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
        });
        expect(localDate(t, zone)).toBe(oracle.format(new Date(t)));
      }),
      { numRuns: 300 },
    );
  });
});
