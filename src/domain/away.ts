// "/handoff away …": when a rep's away spell ends, read in the rep's own time zone.
import { parseDuration } from './duration.js';
import type { Millis } from './model.js';
import { wallTimeToInstant } from './sla-clock.js';

export type AwayUntil = { ok: true; until: Millis | null } | { ok: false; error: string };

const DATE_ONLY = /^(\d{4}-\d{2}-\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})$/;

/**
 * Parses the words after "away": nothing (until they say "back"), "for DURATION", "until YYYY-MM-DD"
 * (that day's midnight) or "until YYYY-MM-DD HH:MM" — dates and times on the rep's wall clock in
 * `timezone` (UTC when the rep has none configured).
 */
export function parseAwayUntil(words: readonly string[], now: Millis, timezone: string | undefined): AwayUntil {
  if (words.length === 0) return { ok: true, until: null };
  const [how, ...rest] = words;
  const value = rest.join(' ').trim();
  if (how === 'for') {
    const ms = parseDuration(value);
    if (ms === null || ms <= 0) return { ok: false, error: `“${value}” is not a duration (try 30m, 4h, 3d, 1w).` };
    return { ok: true, until: now + ms };
  }
  if (how === 'until') {
    const zone = timezone ?? 'UTC';
    const dateOnly = DATE_ONLY.exec(value);
    const dateTime = DATE_TIME.exec(value);
    let at: Millis | null;
    if (dateOnly !== null) at = wallTimeToInstant(dateOnly[1] as string, 0, zone);
    else if (dateTime !== null) {
      const hours = Number(dateTime[2]);
      const minutes = Number(dateTime[3]);
      at = hours < 24 && minutes < 60 ? wallTimeToInstant(dateTime[1] as string, hours * 60 + minutes, zone) : null;
    } else return { ok: false, error: `“${value}” is not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM).` };
    if (at === null) return { ok: false, error: `“${value}” is not a valid date.` };
    if (at <= now) return { ok: false, error: `${value} is in the past.` };
    return { ok: true, until: at };
  }
  return { ok: false, error: `Unknown option “${how ?? ''}”.` };
}
