// sendDigest: the managers' daily digest (yesterday) and marketing's weekly digest (the 7 local days
// before the scheduled day), by Slack and email through the outbox.
//
// Exactly once per period: the period comes from the latest scheduled time at or before now (so a
// digest whose hour passed while the worker was down is sent late, once, at the next start or
// tick), the cursor `digest:<name>` remembers the last period sent, and the outbox jobs carry the
// period in their idempotency key (a retry after a crash cannot queue them twice).
import { localDate, localDayStart } from '../domain/sla-clock.js';
import type { Millis } from '../domain/model.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { MessageDoc } from '../ports/message-doc.js';
import type { MetricsReader } from '../ports/metrics.js';
import type { Store } from '../ports/store.js';
import { deliveryJobs } from './alerts.js';
import type { AlertData } from './alerts.js';
import { managersDigestDoc, marketingDigestDoc } from './messages/digest.js';
import type { AppSettings } from './settings.js';
import { computeStats } from './stats.js';

export type DigestName = 'managers' | 'marketing';

export interface DigestSchedule {
  name: DigestName;
  timezone: string;
  via: readonly ('slack' | 'teams' | 'email')[];
  /** Whether the cron expression fires at this minute (in `timezone`). */
  matches: (at: Millis) => boolean;
}

export interface DigestDeps {
  store: Store;
  metrics: MetricsReader;
  clock: Clock;
  settings: AppSettings;
  logger: Logger;
}

const MINUTE = 60_000;
/** How far back a missed digest is still sent. */
export const DIGEST_LOOK_BACK: Millis = 8 * 24 * 60 * MINUTE;

/** The latest minute at or before `now` the schedule fires at, looking back at most `lookBack`. */
export function latestOccurrence(
  now: Millis,
  matches: (at: Millis) => boolean,
  lookBack: Millis = DIGEST_LOOK_BACK,
): Millis | null {
  const start = Math.floor(now / MINUTE) * MINUTE;
  for (let at = start; at >= now - lookBack; at -= MINUTE) if (matches(at)) return at;
  return null;
}

export interface DigestPeriod {
  since: Millis;
  until: Millis;
  /** Stable name of the period: `managers:2026-11-24`, `marketing:2026-11-16`. */
  key: string;
  label: string;
}

/** Managers: the local day before the occurrence; marketing: the 7 local days before it. */
export function digestPeriod(name: DigestName, occurrence: Millis, timezone: string): DigestPeriod {
  const until = localDayStart(occurrence, timezone);
  let since = localDayStart(until - 1, timezone);
  if (name === 'marketing') for (let i = 1; i < 7; i++) since = localDayStart(since - 1, timezone);
  const first = localDate(since, timezone);
  const last = localDate(until - 1, timezone);
  return { since, until, key: `${name}:${first}`, label: first === last ? first : `${first} – ${last}` };
}

export type DigestResult =
  | { kind: 'sent'; period: DigestPeriod; jobs: number }
  | { kind: 'already_sent'; period: DigestPeriod }
  /** First start on this store: nothing was missed, the period is only recorded. */
  | { kind: 'baseline'; period: DigestPeriod }
  | { kind: 'not_due' };

const cursorName = (name: DigestName) => `digest:${name}`;

export async function buildDigest(deps: DigestDeps, name: DigestName, period: DigestPeriod): Promise<MessageDoc> {
  const { metrics, settings } = deps;
  const now = deps.clock.now();
  const base = { since: period.since, until: period.until, reasons: settings.reasons };
  if (name === 'managers') {
    const stats = await computeStats(metrics, { ...base, by: 'rep' });
    const backlog = await metrics.backlog(now);
    const reps = stats.groups
      .filter((g) => g.key !== '(none)')
      .map((g) => ({ ...g, name: settings.reps.find((r) => r.id === g.key)?.name ?? g.key }));
    return managersDigestDoc({
      periodLabel: period.label,
      total: stats.total,
      reps,
      backlog,
      now,
      dashboardUrl: settings.dashboardUrl,
    });
  }
  const bySource = await computeStats(metrics, { ...base, by: 'source' });
  const byCampaign = await computeStats(metrics, { ...base, by: 'campaign' });
  const notes = (await metrics.rejectionNotes(period.since, period.until, 2)).map((n) => ({
    ...n,
    label: settings.reasons.find((r) => r.id === n.reasonId)?.label ?? n.reasonId,
  }));
  const lulls: string[] = [];
  const lull = await deps.store.getAlert('lull');
  if (lull) {
    const from = lull.firedAt;
    const to = lull.state === 'resolved' ? lull.resolvedAt : null;
    if (from < period.until && (to === null || to >= period.since)) {
      const data = lull.data as unknown as AlertData;
      const iso = (at: Millis) => `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')}Z`;
      lulls.push(`Lull from ${iso(from)}${to === null ? ' (ongoing)' : ` to ${iso(to)}`}: ${data.title}`);
    }
  }
  return marketingDigestDoc({
    periodLabel: period.label,
    total: bySource.total,
    bySource: bySource.groups,
    byCampaign: byCampaign.groups,
    notes,
    lulls,
    dashboardUrl: settings.dashboardUrl,
  });
}

/**
 * Sends the digest of the latest scheduled period unless that period was sent already. The cron
 * passes the time it fired at; at start-up (no `firedAt`) the schedule is walked back to find the
 * latest time it should have fired, so a digest missed while the worker was down goes out late.
 * The very first start on a store sends nothing (no digest was missed yet): it records the period.
 */
export async function sendDueDigest(
  deps: DigestDeps,
  schedule: DigestSchedule,
  firedAt?: Millis,
): Promise<DigestResult> {
  const now = deps.clock.now();
  const occurrence =
    firedAt === undefined ? latestOccurrence(now, schedule.matches) : Math.floor(firedAt / MINUTE) * MINUTE;
  if (occurrence === null) return { kind: 'not_due' };
  const period = digestPeriod(schedule.name, occurrence, schedule.timezone);
  const last = await deps.store.getCursor(cursorName(schedule.name));
  if (last !== null && last >= period.key) return { kind: 'already_sent', period };
  if (last === null && firedAt === undefined) {
    await deps.store.setCursor(cursorName(schedule.name), period.key, now);
    return { kind: 'baseline', period };
  }
  const doc = await buildDigest(deps, schedule.name, period);
  const jobs = deliveryJobs(deps.settings, schedule.name, doc, `digest:${period.key}`, now, schedule.via);
  if (jobs.length > 0) await deps.store.enqueueJobs(jobs, now);
  await deps.store.setCursor(cursorName(schedule.name), period.key, now);
  deps.logger.info(
    { digest: schedule.name, period: period.key, late: now - occurrence > 5 * MINUTE, jobs: jobs.length },
    'digest queued',
  );
  return { kind: 'sent', period, jobs: jobs.length };
}
