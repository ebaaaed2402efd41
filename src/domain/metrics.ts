// Metrics math shared by the store queries, the memory store, alerts and digests. Pure functions.
//
// Definitions (DESIGN §2; cohort = hand-offs whose MQL time falls in [since, until)):
//   MQL→SAL %       = accepted / all MQLs of the cohort (imported history included)
//   reject % reason = rejected with that reason / all MQLs of the cohort
//   speed-to-lead   = MQL time → accept time, live accepted hand-offs (p50/p90)
//   response time   = offer → decision (accept or reject), live offers (p50/p90)
//   SLA compliance  = offers decided at or before their deadline / offers that ended
//                     (accepted, rejected or timed out)
// Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the value at
// 1-based rank ceil(p·n/100). SQL computes the same rank as (p·n + 99) / 100 in integer arithmetic.
// Speed-to-lead of one hand-off is speedToLeadMs below; the SQL reader (src/store/metrics.ts) selects
// the same hand-offs and value, and test/http/dashboard-readers.test.ts holds the two together.
import type { HandoffState, Millis } from './model.js';

export const HOUR: Millis = 3_600_000;
export const DAY: Millis = 24 * HOUR;
export const WEEK: Millis = 7 * DAY;
/** 1970-01-05T00:00Z, the first Monday after the epoch: weeks start on Monday 00:00 UTC. */
export const FIRST_MONDAY: Millis = 4 * DAY;

/**
 * Speed-to-lead of one hand-off: MQL time → accept time. Only a live hand-off that was accepted has
 * one (imported history was never offered, so its decision time says nothing about our speed).
 */
export function speedToLeadMs(h: {
  imported: boolean;
  state: HandoffState;
  mqlAt: Millis;
  decidedAt: Millis | null;
}): Millis | null {
  return !h.imported && h.state === 'accepted' && h.decidedAt !== null ? h.decidedAt - h.mqlAt : null;
}

/**
 * Response time of one offer: offer → decision. Only an offer the rep decided (accepted or rejected)
 * has one; timed-out and withdrawn offers count toward SLA compliance, not here.
 */
export function responseTimeMs(o: { state: string; offeredAt: Millis; decidedAt: Millis | null }): Millis | null {
  return (o.state === 'accepted' || o.state === 'rejected') && o.decidedAt !== null ? o.decidedAt - o.offeredAt : null;
}

/** Counts of values per bucket; bucket i holds edges[i] <= v < edges[i + 1], the last one is open-ended. */
export interface Histogram {
  /** Bucket edges in ms, ascending. */
  edges: readonly number[];
  labels: readonly string[];
  counts: number[];
}

/** Speed-to-lead buckets: under 5 minutes … over 3 days. */
export const SPEED_EDGES: readonly number[] = [0, 5, 15, 30, 60, 120, 240, 480, 1440, 4320].map((m) => m * 60_000);
const SPEED_LABELS: readonly string[] = [
  '<5m',
  '5–15m',
  '15–30m',
  '½–1h',
  '1–2h',
  '2–4h',
  '4–8h',
  '8–24h',
  '1–3d',
  '>3d',
];

export function bucketIndex(edges: readonly number[], value: number): number {
  let i = 0;
  while (i + 1 < edges.length && value >= (edges[i + 1] as number)) i += 1;
  return i;
}

export function histogram(
  values: Iterable<number>,
  edges: readonly number[] = SPEED_EDGES,
  labels: readonly string[] = SPEED_LABELS,
): Histogram {
  const counts = edges.map(() => 0);
  for (const v of values) counts[bucketIndex(edges, v)] = (counts[bucketIndex(edges, v)] ?? 0) + 1;
  return { edges, labels, counts };
}

/** 1-based nearest rank of the p-th percentile among n values (0 when n is 0). */
export function percentileRank(n: number, p: number): number {
  if (n <= 0) return 0;
  return Math.max(1, Math.floor((p * n + 99) / 100));
}

/** The p-th percentile (nearest rank) of values sorted ascending, or null when there are none. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  const rank = percentileRank(sorted.length, p);
  return rank === 0 ? null : (sorted[rank - 1] ?? null);
}

/** `part` as a percentage of `whole`, rounded to one decimal; null when `whole` is 0. */
export function percentOf(part: number, whole: number): number | null {
  if (whole <= 0) return null;
  return Math.round((1000 * part) / whole) / 10;
}

/** Start (Monday 00:00 UTC) of the week containing `at`. */
export function weekStart(at: Millis): Millis {
  return Math.floor((at - FIRST_MONDAY) / WEEK) * WEEK + FIRST_MONDAY;
}

/** Windows of the same length at the same hours of the week, `weeks` weeks back (newest first). */
export function sameHoursPreviousWeeks(since: Millis, until: Millis, weeks = 4): { since: Millis; until: Millis }[] {
  const out: { since: Millis; until: Millis }[] = [];
  for (let k = 1; k <= weeks; k++) out.push({ since: since - k * WEEK, until: until - k * WEEK });
  return out;
}

export interface LullVerdict {
  current: number;
  /** Mean MQL count of the same hours over the previous weeks. */
  usual: number;
  /** current as a percentage of usual (null when there is no usual volume to compare with). */
  percentOfUsual: number | null;
  lull: boolean;
}

/**
 * A lull: MQLs in the window fell below `belowPercent` % of the usual volume, the usual being the
 * mean of the same hours of the week over the previous weeks. A usual volume under `minUsual` MQLs
 * (default 1) is too thin to judge: no lull.
 */
export function judgeLull(
  current: number,
  previous: readonly number[],
  belowPercent: number,
  minUsual = 1,
): LullVerdict {
  const usual = previous.length === 0 ? 0 : previous.reduce((a, b) => a + b, 0) / previous.length;
  const percentOfUsual = usual > 0 ? Math.round((1000 * current) / usual) / 10 : null;
  return { current, usual, percentOfUsual, lull: usual >= minUsual && current * 100 < belowPercent * usual };
}

/** Whether a local time (minutes after midnight) falls in daily quiet hours [start, end) given in minutes after local midnight. */
export function inQuietHours(localMinuteOfDay: number, quiet: { start: number; end: number } | null): boolean {
  if (quiet === null || quiet.start === quiet.end) return false;
  if (quiet.start < quiet.end) return localMinuteOfDay >= quiet.start && localMinuteOfDay < quiet.end;
  return localMinuteOfDay >= quiet.start || localMinuteOfDay < quiet.end;
}

/** "1h 05m", "12m 30s", "45s" — a short human duration for tables and messages. */
export function shortDuration(ms: Millis | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

/** "72.5%" or "-" when there is nothing to divide by. */
export function formatPercent(p: number | null): string {
  return p === null ? '-' : `${p.toFixed(1)}%`;
}

const minuteFormatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes after local midnight of instant `at` in `timezone` (wall clock). */
export function localMinuteOfDay(at: Millis, timezone: string): number {
  let f = minuteFormatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    minuteFormatters.set(timezone, f);
  }
  let hour = 0;
  let minute = 0;
  for (const part of f.formatToParts(at)) {
    if (part.type === 'hour') hour = Number(part.value);
    if (part.type === 'minute') minute = Number(part.value);
  }
  return hour * 60 + minute;
}
