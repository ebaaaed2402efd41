// Business-time arithmetic on a rep's calendar: an IANA time zone, weekly working windows and
// holidays. Pure: no packages, no clock; the built-in Intl.DateTimeFormat converts UTC to wall time.
//
// Semantics (the tests pin each of them down):
// - An instant is working time when its local wall-clock reading falls inside a working window of a
//   day that is not a holiday. A window with `end <= start` runs past midnight and belongs to the
//   day it starts on (its weekday and its holiday status are that day's).
// - Working time is real elapsed time: a 01:00-04:00 window lasts 2 h on the spring-forward night
//   and 4 h on the fall-back night. Wall times skipped by a spring-forward gap simply do not occur;
//   wall times repeated by a fall-back occur twice and count both times when inside a window.
// - Intervals are half-open: a 09:00-17:30 window contains 09:00 and not 17:30.
// - A calendar with no working time in reach never hangs anything: when no working moment exists
//   within NO_WORK_HORIZON_DAYS local days, the clock falls back to wall-clock time from the last
//   point it reached (see addWorkingTime and nextWorkingMoment).
import { AppError } from './errors.js';
import type { Millis, Weekday, WorkingHours } from './model.js';

export interface WorkCalendar {
  /** IANA time zone, e.g. "Europe/Berlin". */
  timezone: string;
  hours: WorkingHours;
  /** Local dates (YYYY-MM-DD) on which windows starting that day do not count. */
  holidays: string[];
}

/** How many local days without any working time the clock searches before falling back to wall time. */
export const NO_WORK_HORIZON_DAYS = 400;
/** Upper bound of local days any single call walks (about 30 years), whatever the duration asked for. */
const MAX_SCAN_DAYS = 11_000;

const MINUTE = 60_000;
const DAY = 86_400_000;
const MINUTES_PER_DAY = 1_440;
/** No zone is more than 14 h ahead of UTC or 12 h behind it; these bound where a local day can lie. */
const MAX_AHEAD = 14 * 3_600_000;
const MAX_BEHIND = 12 * 3_600_000;

// ---- time zone arithmetic ------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (cause) {
      throw new AppError('input.invalid', `unknown time zone "${timezone}"`, { cause });
    }
    formatters.set(timezone, f);
  }
  return f;
}

/** UTC offset (ms, local minus UTC) in force at instant `t`, to the second. */
function offsetAt(t: Millis, timezone: string): number {
  const parts = formatterFor(timezone).formatToParts(new Date(t));
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const p of parts) {
    switch (p.type) {
      case 'year':
        y = Number(p.value);
        break;
      case 'month':
        mo = Number(p.value);
        break;
      case 'day':
        d = Number(p.value);
        break;
      case 'hour':
        h = Number(p.value);
        break;
      case 'minute':
        mi = Number(p.value);
        break;
      case 'second':
        s = Number(p.value);
        break;
      default:
        break;
    }
  }
  return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(t / 1000) * 1000;
}

/**
 * The offsets around one local day: every instant whose wall reading falls on local day `day`
 * lies in [day·DAY − 14 h, (day+1)·DAY + 12 h]. Within that span the zone has offset `before` up
 * to `change` and `after` from it (`change` null when nothing changes). Zones change offset at most
 * once in such a span (they do so twice a year at most), which this relies on.
 */
interface DayOffsets {
  before: number;
  after: number;
  change: Millis | null;
}

const DAY_CACHE_LIMIT = 20_000;
const dayOffsetCache = new Map<string, Map<number, DayOffsets>>();

function dayOffsets(day: number, timezone: string): DayOffsets {
  let perZone = dayOffsetCache.get(timezone);
  if (perZone === undefined) {
    perZone = new Map();
    dayOffsetCache.set(timezone, perZone);
  }
  const cached = perZone.get(day);
  if (cached !== undefined) return cached;
  const lo = day * DAY - MAX_AHEAD - 3_600_000;
  const hi = (day + 1) * DAY + MAX_BEHIND + 3_600_000;
  const before = offsetAt(lo, timezone);
  const after = offsetAt(hi, timezone);
  let change: Millis | null = null;
  if (before !== after) {
    // Binary search, in whole seconds, for the first instant with the later offset.
    let a = Math.floor(lo / 1000); // offset `before` here
    let b = Math.floor(hi / 1000); // offset `after` here
    while (b - a > 1) {
      const mid = Math.floor((a + b) / 2);
      if (offsetAt(mid * 1000, timezone) === before) a = mid;
      else b = mid;
    }
    change = b * 1000;
  }
  const info: DayOffsets = { before, after, change };
  if (perZone.size >= DAY_CACHE_LIMIT) perZone.clear();
  perZone.set(day, info);
  return info;
}

/** Local day number (days since 1970-01-01 in local wall time) of instant `t`. */
function localDayOf(t: Millis, timezone: string): number {
  // The UTC day's offsets cover t (its span reaches 14 h either side of that day).
  const info = dayOffsets(Math.floor(t / DAY), timezone);
  const offset = info.change !== null && t >= info.change ? info.after : info.before;
  return Math.floor((t + offset) / DAY);
}

/**
 * The instants whose wall reading lies in [fromMinute, toMinute) of local day `day`
 * (0 <= fromMinute < toMinute <= 1440), as up to two [start, end) intervals pushed onto `out`.
 */
function wallToInstants(day: number, fromMinute: number, toMinute: number, timezone: string, out: number[]): void {
  const a = day * DAY + fromMinute * MINUTE;
  const b = day * DAY + toMinute * MINUTE;
  const { before, after, change } = dayOffsets(day, timezone);
  if (change === null) {
    out.push(a - before, b - before);
    return;
  }
  // Under the earlier offset, up to the change.
  const s1 = a - before;
  const e1 = Math.min(b - before, change);
  // Under the later offset, from the change on.
  const s2 = Math.max(a - after, change);
  const e2 = b - after;
  const has1 = e1 > s1;
  const has2 = e2 > s2;
  if (has1 && has2 && s2 <= e1) {
    out.push(s1, Math.max(e1, e2));
    return;
  }
  if (has1) out.push(s1, e1);
  if (has2) out.push(s2, e2);
}

// ---- calendars ---------------------------------------------------------------------------------

interface Prepared {
  timezone: string;
  /** Per weekday: windows as [start, end) minutes after that day's midnight, end up to 2880. */
  windows: Array<Array<[number, number]>>;
  holidays: Set<number>;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayNumberOfDate(text: string): number | null {
  const m = DATE.exec(text);
  if (m === null) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return ms / DAY;
}

function prepare(cal: WorkCalendar): Prepared {
  formatterFor(cal.timezone); // fail early on an unknown zone
  const windows: Array<Array<[number, number]>> = [[], [], [], [], [], [], []];
  for (const w of cal.hours.windows) {
    const start = w.start;
    let end = w.end;
    // Windows that are not whole minutes within a day contribute nothing (config rejects them).
    if (!Number.isInteger(start) || !Number.isInteger(end)) continue;
    if (start < 0 || start >= MINUTES_PER_DAY || end < 0 || end > MINUTES_PER_DAY) continue;
    if (end <= start) end += MINUTES_PER_DAY;
    for (const d of w.days) {
      if (Number.isInteger(d) && d >= 0 && d <= 6) windows[d]?.push([start, end]);
    }
  }
  for (const list of windows) list.sort((x, y) => x[0] - y[0]);
  const holidays = new Set<number>();
  for (const h of cal.holidays) {
    const n = dayNumberOfDate(h);
    if (n !== null) holidays.add(n);
  }
  return { timezone: cal.timezone, windows, holidays };
}

function weekdayOf(day: number): Weekday {
  return ((((day + 4) % 7) + 7) % 7) as Weekday; // 1970-01-01 was a Thursday
}

/** Working intervals made of wall readings on local day `day`, appended to `out` as start,end pairs. */
function intervalsOfDay(p: Prepared, day: number, out: number[]): void {
  // Windows of the previous day that run past midnight continue on this day.
  if (!p.holidays.has(day - 1)) {
    for (const [, end] of p.windows[weekdayOf(day - 1)] as Array<[number, number]>) {
      if (end > MINUTES_PER_DAY) wallToInstants(day, 0, end - MINUTES_PER_DAY, p.timezone, out);
    }
  }
  if (!p.holidays.has(day)) {
    for (const [start, end] of p.windows[weekdayOf(day)] as Array<[number, number]>) {
      wallToInstants(day, start, Math.min(end, MINUTES_PER_DAY), p.timezone, out);
    }
  }
}

/**
 * Working intervals in order of their start, day by day from a local day on. Pieces of one local
 * day can start after pieces of the next (a clock set back across midnight), so intervals are held
 * until no later day can produce an earlier start.
 */
class IntervalStream {
  private readonly p: Prepared;
  /** The next local day to generate. */
  day: number;
  private buffer: number[] = [];
  private sorted: Array<[number, number]> = [];
  private pos = 0;
  start = 0;
  end = 0;

  constructor(p: Prepared, fromDay: number) {
    this.p = p;
    this.day = fromDay;
  }

  /** Moves to the next interval (in `start`/`end`); false when none starts before `lastDay` is passed. */
  next(lastDay: number): boolean {
    for (;;) {
      const bound = this.day * DAY - MAX_AHEAD; // no interval of a day not yet generated starts earlier
      const head = this.sorted[this.pos];
      if (head !== undefined && head[0] < bound) {
        this.pos++;
        this.start = head[0];
        this.end = head[1];
        return true;
      }
      if (this.day > lastDay) {
        if (head === undefined) return false;
        this.pos++;
        this.start = head[0];
        this.end = head[1];
        return true;
      }
      this.buffer.length = 0;
      intervalsOfDay(this.p, this.day, this.buffer);
      this.day++;
      if (this.buffer.length > 0) {
        const merged = this.sorted.slice(this.pos);
        for (let i = 0; i < this.buffer.length; i += 2) {
          merged.push([this.buffer[i] as number, this.buffer[i + 1] as number]);
        }
        merged.sort((x, y) => x[0] - y[0]);
        this.sorted = merged;
        this.pos = 0;
      }
    }
  }
}

// ---- public API ----------------------------------------------------------------------------------

/** The local date (YYYY-MM-DD) of instant `at` in `timezone`. */
export function localDate(at: Millis, timezone: string): string {
  return new Date(localDayOf(at, timezone) * DAY).toISOString().slice(0, 10);
}

/** The first instant of the local day containing `at` (after a gap when midnight itself is skipped). */
export function localDayStart(at: Millis, timezone: string): Millis {
  const out: number[] = [];
  wallToInstants(localDayOf(at, timezone), 0, MINUTES_PER_DAY, timezone, out);
  return out[0] as number;
}

/** Whether `at` is inside a working window of the calendar. */
export function isWorkingTime(at: Millis, cal: WorkCalendar): boolean {
  const p = prepare(cal);
  const out: number[] = [];
  intervalsOfDay(p, localDayOf(at, p.timezone), out);
  for (let i = 0; i < out.length; i += 2) {
    if ((out[i] as number) <= at && at < (out[i + 1] as number)) return true;
  }
  return false;
}

/**
 * `at` itself when it is working time, otherwise the start of the next working window. When the
 * calendar has no working time within NO_WORK_HORIZON_DAYS local days, returns `at` (the caller then
 * runs on wall-clock time rather than waiting for a moment that never comes).
 */
export function nextWorkingMoment(at: Millis, cal: WorkCalendar): Millis {
  const p = prepare(cal);
  const first = localDayOf(at, p.timezone);
  const stream = new IntervalStream(p, first - 1);
  while (stream.next(first + NO_WORK_HORIZON_DAYS)) {
    if (stream.end > at) return Math.max(stream.start, at);
  }
  return at;
}

/** Working time between two instants (0 when `to <= from`). */
export function workingTimeBetween(from: Millis, to: Millis, cal: WorkCalendar): Millis {
  if (!(to > from)) return 0;
  const p = prepare(cal);
  const stream = new IntervalStream(p, localDayOf(from, p.timezone) - 1);
  const lastDay = localDayOf(to, p.timezone) + 1;
  let cursor = from;
  let total = 0;
  while (stream.next(lastDay)) {
    if (stream.start >= to) break;
    if (stream.end <= cursor) continue;
    const s = Math.max(stream.start, cursor);
    const e = Math.min(stream.end, to);
    if (e > s) total += e - s;
    cursor = Math.max(cursor, e);
  }
  return total;
}

/**
 * The earliest instant by which `duration` of working time has elapsed since `start`. Counting
 * begins at the next working moment when `start` is outside working hours; a result can fall
 * exactly on the end of a window (Friday 17:20 + 10 min with hours until 17:30 is Friday 17:30).
 * A duration of 0 (or less, or not a number) returns `start`.
 *
 * A calendar that runs out of working time (no working moment for NO_WORK_HORIZON_DAYS local days,
 * e.g. empty hours or a year of holidays) falls back to wall-clock time: the rest of the duration is
 * added to the last point reached, so a broken calendar yields a plain `start + duration` deadline
 * instead of hanging the worker. The result is still non-decreasing in `duration`.
 */
export function addWorkingTime(start: Millis, duration: Millis, cal: WorkCalendar): Millis {
  if (!(duration > 0)) return start;
  if (duration === Infinity) return Infinity;
  const p = prepare(cal);
  const first = localDayOf(start, p.timezone);
  const stream = new IntervalStream(p, first - 1);
  let cursor = start;
  let remaining = duration;
  let lastWorkDay = first;
  for (;;) {
    const limit = Math.min(lastWorkDay + NO_WORK_HORIZON_DAYS, first + MAX_SCAN_DAYS);
    if (!stream.next(limit)) break;
    if (stream.end <= cursor) continue;
    const from = Math.max(stream.start, cursor);
    const available = stream.end - from;
    if (available >= remaining) return from + remaining;
    remaining -= available;
    cursor = stream.end;
    lastWorkDay = stream.day;
  }
  return cursor + remaining;
}

/**
 * The instant a wall-clock reading (`YYYY-MM-DD`, minutes after midnight) names in `timezone`. A reading
 * the clocks skip (spring forward) names the first instant after the gap; one they pass twice, the first.
 * Null for a malformed date or minute.
 */
export function wallTimeToInstant(date: string, minuteOfDay: number, timezone: string): Millis | null {
  const day = dayNumberOfDate(date);
  if (day === null || !Number.isInteger(minuteOfDay) || minuteOfDay < 0 || minuteOfDay >= MINUTES_PER_DAY) return null;
  const out: number[] = [];
  wallToInstants(day, minuteOfDay, MINUTES_PER_DAY, timezone, out);
  return out[0] ?? null;
}
