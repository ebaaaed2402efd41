// Times given on the command line or in a lead file: ISO dates and times (2026-11-15,
// 2026-11-15T08:00:00Z) and, for window starts, durations back (30d, 12h).
import { parseDuration } from '../domain/duration.js';
import { InputError } from '../domain/errors.js';
import type { Millis } from '../domain/model.js';

/** An ISO date or date-time (it must start with YYYY-MM-DD), or null when `text` is not one. */
export function parseIsoTime(text: string): Millis | null {
  const value = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return null;
  const at = Date.parse(value);
  return Number.isFinite(at) ? at : null;
}

/** `--since`: a duration back from `until` (30d, 12h) or an ISO date/time. */
export function parseSince(value: string, until: Millis, flag = '--since'): Millis {
  const span = parseDuration(value);
  if (span !== null && span > 0) return until - span;
  const at = parseIsoTime(value);
  if (at !== null) return at;
  throw new InputError('input.invalid', [
    `${flag}: "${value}" is neither a duration (30d, 12h) nor an ISO date (2026-11-01)`,
  ]);
}

/** An ISO date or time option (`--until`, `--at`); `fallback` when it is not given. */
export function parseTimeOption(value: string | undefined, fallback: Millis, flag: string): Millis {
  if (value === undefined) return fallback;
  const at = parseIsoTime(value);
  if (at === null) {
    throw new InputError('input.invalid', [
      `${flag}: "${value}" is not an ISO time (2026-11-15T08:00:00Z, or a date: 2026-11-15)`,
    ]);
  }
  return at;
}

/** `--since` and `--until` (default now): the window [since, until). */
export function parseWindow(opts: { since: string; until?: string }, now: Millis): { since: Millis; until: Millis } {
  const until = parseTimeOption(opts.until, now, '--until');
  const since = parseSince(opts.since, until);
  if (since >= until) throw new InputError('input.invalid', [`--since must be before --until`]);
  return { since, until };
}
