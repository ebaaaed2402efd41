// Weekly working hours written the way people say them: "Mon-Fri 09:00-17:30",
// "Mon-Thu 09:00-17:30, Fri 09:00-13:00", "Sat-Sun 22:00-06:00" (past midnight), "24/7".
// Pure: no imports beyond the model, no clock.
import type { WorkingHours, WorkingWindow, Weekday } from './model.js';

export type WorkingHoursResult = { ok: true; hours: WorkingHours } | { ok: false; error: string };
export type ClockRangeResult = { ok: true; start: number; end: number } | { ok: false; error: string };

const MINUTES_PER_DAY = 1440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
/** Display order: the working week starts on Monday. */
const WEEK_ORDER: readonly Weekday[] = [1, 2, 3, 4, 5, 6, 0];
const SHORT_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

const DAY_ALIASES: Record<string, Weekday> = {
  sun: 0,
  sunday: 0,
  mon: 1,
  monday: 1,
  tue: 2,
  tues: 2,
  tuesday: 2,
  wed: 3,
  weds: 3,
  wednesday: 3,
  thu: 4,
  thur: 4,
  thurs: 4,
  thursday: 4,
  fri: 5,
  friday: 5,
  sat: 6,
  saturday: 6,
};
const DAY_GROUPS: Record<string, Weekday[]> = {
  weekdays: [1, 2, 3, 4, 5],
  weekends: [6, 0],
  weekend: [6, 0],
  daily: [0, 1, 2, 3, 4, 5, 6],
  everyday: [0, 1, 2, 3, 4, 5, 6],
};

const TIME = /^(\d{1,2}):(\d{2})$/;
const ALL_DAY_TEXT = /^(24\/7|always)$/i;

/** Parses "HH:MM" into minutes after midnight; "24:00" only when `allowEndOfDay`. */
function parseTimeOfDay(text: string, allowEndOfDay: boolean): number | null {
  const m = TIME.exec(text);
  if (m === null) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59) return null;
  if (h === 24 && min === 0 && allowEndOfDay) return MINUTES_PER_DAY;
  if (h > 23) return null;
  return h * 60 + min;
}

/** Parses "22:00-07:00" into minutes after midnight; `end <= start` means past midnight. */
export function parseClockRange(text: string): ClockRangeResult {
  const parts = text.trim().split(/\s*[-–]\s*/);
  if (parts.length !== 2) return { ok: false, error: `"${text.trim()}" is not a time range like 09:00-17:30` };
  const start = parseTimeOfDay(parts[0] as string, false);
  const end = parseTimeOfDay(parts[1] as string, true);
  if (start === null) return { ok: false, error: `"${parts[0] as string}" is not a time of day (HH:MM, 00:00-23:59)` };
  if (end === null) return { ok: false, error: `"${parts[1] as string}" is not a time of day (HH:MM, 00:00-24:00)` };
  if (start === end) {
    return {
      ok: false,
      error: `"${text.trim()}" starts and ends at the same time (write 00:00-24:00 for a whole day)`,
    };
  }
  return { ok: true, start, end };
}

/** Parses one day token: "Mon", "Mon-Fri", "Fri-Mon" (wraps), "weekdays", "daily". */
function parseDayToken(token: string): Weekday[] | null {
  const t = token.toLowerCase();
  const group = DAY_GROUPS[t];
  if (group !== undefined) return [...group];
  const range = t.split(/\s*[-–]\s*/);
  if (range.length === 1) {
    const d = DAY_ALIASES[t];
    return d === undefined ? null : [d];
  }
  if (range.length !== 2) return null;
  const from = DAY_ALIASES[range[0] as string];
  const to = DAY_ALIASES[range[1] as string];
  if (from === undefined || to === undefined) return null;
  // Walk in Monday-first order so "Sat-Sun" and "Fri-Mon" both mean what they say.
  const fromIdx = WEEK_ORDER.indexOf(from);
  const toIdx = WEEK_ORDER.indexOf(to);
  const days: Weekday[] = [];
  for (let i = fromIdx; ; i = (i + 1) % 7) {
    days.push(WEEK_ORDER[i] as Weekday);
    if (i === toIdx) break;
  }
  return days;
}

const TIME_RANGE_TOKEN = /^\d{1,2}:\d{2}\s*[-–]\s*\d{1,2}:\d{2}$/;

/** The occupied minutes of a window as [from, to) intervals of the week (Sunday 00:00 = 0). */
function weekIntervals(w: WorkingWindow): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const length = w.end > w.start ? w.end - w.start : w.end + MINUTES_PER_DAY - w.start;
  for (const d of w.days) {
    const from = d * MINUTES_PER_DAY + w.start;
    const to = from + length;
    if (to <= MINUTES_PER_WEEK) out.push([from, to]);
    else {
      out.push([from, MINUTES_PER_WEEK]);
      out.push([0, to - MINUTES_PER_WEEK]);
    }
  }
  return out;
}

function describeWindow(w: WorkingWindow): string {
  return `${formatDays(w.days)} ${formatClock(w.start)}-${formatClock(w.end)}`;
}

/** Sorts days Monday first and removes duplicates. */
function normaliseDays(days: Weekday[]): Weekday[] {
  return WEEK_ORDER.filter((d) => days.includes(d));
}

/** Merges windows with the same times and orders them (first day, then start). */
function normalise(windows: WorkingWindow[]): WorkingWindow[] {
  const byTimes = new Map<string, WorkingWindow>();
  for (const w of windows) {
    const key = `${w.start}-${w.end}`;
    const prev = byTimes.get(key);
    if (prev === undefined) byTimes.set(key, { days: normaliseDays(w.days), start: w.start, end: w.end });
    else prev.days = normaliseDays([...prev.days, ...w.days]);
  }
  return [...byTimes.values()].sort((a, b) => {
    const da = WEEK_ORDER.indexOf(a.days[0] as Weekday);
    const db = WEEK_ORDER.indexOf(b.days[0] as Weekday);
    return da - db || a.start - b.start;
  });
}

/**
 * Parses working hours. Segments are separated by "," or ";"; a segment is days then one or more
 * time ranges ("Mon-Fri 09:00-12:00 13:00-17:00"). A segment of days alone continues into the next
 * ("Mon, Wed, Fri 09:00-17:00"); a segment of times alone reuses the previous days
 * ("Mon-Fri 09:00-12:00, 13:00-17:00"). Overlapping windows are an error.
 */
export function parseWorkingHours(text: string): WorkingHoursResult {
  const source = text.trim();
  if (source === '') return { ok: false, error: 'working hours are empty (e.g. "Mon-Fri 09:00-17:30" or "24/7")' };
  if (ALL_DAY_TEXT.test(source)) {
    return { ok: true, hours: { windows: [{ days: [...WEEK_ORDER], start: 0, end: MINUTES_PER_DAY }] } };
  }
  const windows: WorkingWindow[] = [];
  let pendingDays: Weekday[] = [];
  let lastDays: Weekday[] | null = null;
  const segments = source.split(/\s*[,;]\s*/);
  for (const [i, rawSegment] of segments.entries()) {
    const segment = rawSegment.trim();
    if (segment === '') return { ok: false, error: `empty part in "${source}"` };
    const tokens = segment.split(/\s+/);
    // Re-join "Mon - Fri" and "09:00 - 17:00" written with spaces around the dash.
    const joined: string[] = [];
    for (let t = 0; t < tokens.length; t++) {
      const tok = tokens[t] as string;
      const next = tokens[t + 1];
      const after = tokens[t + 2];
      if ((next === '-' || next === '–') && after !== undefined) {
        joined.push(`${tok}-${after}`);
        t += 2;
      } else joined.push(tok);
    }
    const days: Weekday[] = [...pendingDays];
    const ranges: Array<{ start: number; end: number }> = [];
    for (const tok of joined) {
      if (TIME_RANGE_TOKEN.test(tok)) {
        const r = parseClockRange(tok);
        if (!r.ok) return { ok: false, error: r.error };
        ranges.push({ start: r.start, end: r.end });
        continue;
      }
      if (ranges.length > 0)
        return { ok: false, error: `"${tok}" comes after the times in "${segment}"; write the days first` };
      const parsed = parseDayToken(tok);
      if (parsed === null) {
        return {
          ok: false,
          error: `"${tok}" is neither days (Mon, Mon-Fri, weekdays) nor a time range (09:00-17:30)`,
        };
      }
      days.push(...parsed);
    }
    if (ranges.length === 0) {
      if (i === segments.length - 1)
        return { ok: false, error: `"${segment}" has days but no times (e.g. "${segment} 09:00-17:00")` };
      pendingDays = days;
      continue;
    }
    pendingDays = [];
    let effective: Weekday[] = days;
    if (effective.length === 0) {
      if (lastDays === null)
        return { ok: false, error: `"${segment}" has times but no days (e.g. "Mon-Fri ${segment}")` };
      effective = lastDays;
    }
    lastDays = normaliseDays(effective);
    for (const r of ranges) windows.push({ days: lastDays, start: r.start, end: r.end });
  }
  // Overlaps, including windows that run past midnight (and past Saturday night into Sunday).
  for (let a = 0; a < windows.length; a++) {
    for (let b = a + 1; b < windows.length; b++) {
      const wa = windows[a] as WorkingWindow;
      const wb = windows[b] as WorkingWindow;
      const clash = weekIntervals(wa).some(([f1, t1]) => weekIntervals(wb).some(([f2, t2]) => f1 < t2 && f2 < t1));
      if (clash) return { ok: false, error: `"${describeWindow(wa)}" overlaps "${describeWindow(wb)}"` };
    }
  }
  return { ok: true, hours: { windows: normalise(windows) } };
}

function formatClock(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** "Mon-Fri", "Mon,Wed,Fri", "Sat-Sun", "Mon-Sun" (Monday-first runs). */
function formatDays(days: Weekday[]): string {
  const ordered = normaliseDays(days);
  const runs: Weekday[][] = [];
  for (const d of ordered) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (run !== undefined && last !== undefined && WEEK_ORDER.indexOf(d) === WEEK_ORDER.indexOf(last) + 1) run.push(d);
    else runs.push([d]);
  }
  return runs
    .map((run) => {
      const first = SHORT_NAMES[run[0] as Weekday];
      const last = SHORT_NAMES[run[run.length - 1] as Weekday];
      return run.length === 1 ? first : `${first}-${last}`;
    })
    .join(',');
}

/** Formats working hours in the form `parseWorkingHours` reads back to the same value. */
export function formatWorkingHours(hours: WorkingHours): string {
  const windows = normalise(hours.windows.filter((w) => w.days.length > 0));
  if (windows.length === 0) return 'never';
  const only = windows[0] as WorkingWindow;
  if (windows.length === 1 && only.days.length === 7 && only.start === 0 && only.end === MINUTES_PER_DAY) return '24/7';
  return windows.map(describeWindow).join(', ');
}
