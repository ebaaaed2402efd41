// readDashboard: the data of the dashboard page for a window and filters at `now`. No definitions of
// its own: the cohort numbers are computeStats' (what `handoff stats --json` prints), the backlog is
// MetricsReader.backlog (and countOpenHandoffs under a filter), the speed-to-lead distribution and the
// escalations come from the hand-off rows of the window through MetricsReader.windowSpeedAndEscalations
// (speedToLeadMs of src/domain/metrics.ts, the value `handoff export` writes). src/http/dashboard.ts
// parses the request into a DashboardQuery and renders what this returns.
import { describeEscalation } from '../domain/escalation.js';
import { SPEED_EDGES, WEEK, histogram, weekStart, type Histogram } from '../domain/metrics.js';
import {
  leadDisplayName,
  type Handoff,
  type HandoffState,
  type Millis,
  type RejectionReason,
  type Rep,
  type Team,
} from '../domain/model.js';
import { activeAwayStatus } from '../domain/routing/eligibility.js';
import { localDate } from '../domain/sla-clock.js';
import type { BacklogSnapshot, MetricsFilter, MetricsReader } from '../ports/metrics.js';
import type { AlertRow, RepStatus, Store } from '../ports/store.js';
import { narrowsRows } from './export-handoffs.js';
import { computeStats, computeStatsTwoWays, type StatsNumbers, type StatsReport } from './stats.js';

export type DashboardStore = Pick<
  Store,
  'listOpenHandoffs' | 'getLead' | 'listAlerts' | 'getRepStatuses' | 'countOpenOffersByRep'
>;

export interface DashboardDeps {
  metrics: MetricsReader;
  store: DashboardStore;
  settings: { reps: readonly Rep[]; teams: readonly Team[]; rejectionReasons: readonly RejectionReason[] };
}

export interface DashboardQuery {
  /** The window is [now - windowMs, now). */
  windowMs: Millis;
  filter: MetricsFilter;
  now: Millis;
  /** Most hand-off rows read for the distribution and escalations (default ROW_SCAN_LIMIT). */
  rowScanLimit?: number;
}

export interface WeekPoint {
  /** Monday 00:00 UTC. */
  start: number;
  mqls: number;
  sals: number;
  percent: number | null;
  /** The current week, still running. */
  partial: boolean;
}

export interface RepRow {
  id: string;
  name: string;
  numbers: StatsNumbers | null;
  openNow: number;
  /** `until`: the end of an away spell set in Slack; the page shows it in its own time zone after `text`. */
  status: { kind: 'available' | 'away' | 'inactive'; text: string; until?: Millis };
}

export interface BacklogRow {
  id: string;
  lead: string;
  email: string | null;
  company: string | null;
  state: HandoffState;
  hot: boolean;
  mqlAt: Millis;
  rep: string | null;
  team: string | null;
  dueAt: Millis | null;
  source: string | null;
  campaign: string | null;
}

export interface EscalationRow {
  id: string;
  lead: string;
  escalatedAt: Millis;
  reason: string;
  state: HandoffState;
  rep: string | null;
  source: string | null;
  campaign: string | null;
}

export interface BreakdownRow {
  key: string;
  numbers: StatsNumbers;
}

export interface AlertView {
  key: string;
  title: string;
  lines: string[];
  critical: boolean;
  firedAt: Millis;
}

export interface DashboardData {
  now: Millis;
  since: Millis;
  until: Millis;
  /** What the filters can choose from. */
  options: {
    teams: { id: string; label: string }[];
    sources: string[];
    campaigns: string[];
  };
  total: StatsNumbers;
  /** By source and by campaign over the window (team and hot filters only), largest first. */
  breakdown: { sources: BreakdownRow[]; campaigns: BreakdownRow[] };
  weeks: WeekPoint[];
  /** rowsSince: set when the distribution covers only the MQLs from then on (a very big window). */
  speed: { histogram: Histogram; rowsSince: Millis | null };
  reps: RepRow[];
  backlog: { summary: BacklogSnapshot; rows: BacklogRow[]; matching: number; shownLimit: number; filtered: boolean };
  escalations: EscalationRow[];
  alerts: AlertView[];
}

/** Rows of the window walked for the speed-to-lead distribution and the escalations list. */
const ROW_SCAN_LIMIT = 5_000;
const BACKLOG_SHOWN = 50;
const ESCALATIONS_SHOWN = 10;
const OPTION_LIMIT = 200;

function leadName(first: string | null, last: string | null, email: string | null, fallback: string): string {
  return leadDisplayName({ firstName: first, lastName: last, email, externalId: fallback });
}

function alertView(row: AlertRow): AlertView {
  const d = row.data as { title?: unknown; lines?: unknown; critical?: unknown };
  const title = typeof d.title === 'string' && d.title.trim() !== '' ? d.title : row.key;
  const lines = Array.isArray(d.lines) ? d.lines.filter((l): l is string => typeof l === 'string').slice(0, 6) : [];
  return { key: row.key, title, lines, critical: d.critical === true, firedAt: row.firedAt };
}

/** The groups of a report (not the "(none)" group), most MQLs first, at most `limit`. */
function largestGroups(report: StatsReport, limit: number): StatsReport['groups'] {
  return report.groups
    .filter((g) => g.key !== '(none)')
    .sort((a, b) => b.mqls - a.mqls || (a.key < b.key ? -1 : 1))
    .slice(0, limit);
}

/** The keys of the largest groups, alphabetically: the choices of a filter. */
function groupKeys(report: StatsReport): string[] {
  return largestGroups(report, OPTION_LIMIT)
    .map((g) => g.key)
    .sort((a, b) => a.localeCompare(b));
}

/**
 * `since` when [since, until) holds at most `limit` MQLs; else the latest start t in [since, until)
 * with at most `limit` MQLs in [t, until) (to the minute).
 */
export async function latestStartWithin(
  metrics: MetricsReader,
  since: Millis,
  until: Millis,
  limit: number,
): Promise<Millis> {
  // Gallop back from `until` (an hour, two, four…, the last step clamped to `since`) so that every
  // count covers about `limit` MQLs at most twice over, never a long window's million; then bisect
  // between the last two steps.
  let hi = until; // at most `limit` from here
  let lo = since; // more than `limit` MQLs from here
  for (let step = 3_600_000; ; step *= 2) {
    const from = Math.max(since, until - step);
    if ((await metrics.countMqls(from, until)) > limit) {
      lo = from;
      break;
    }
    if (from === since) return since;
    hi = from;
  }
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if ((await metrics.countMqls(mid, until)) > limit) lo = mid;
    else hi = mid;
  }
  return hi;
}

function repStatus(rep: Rep | undefined, statuses: RepStatus[], now: Millis): RepRow['status'] {
  if (!rep) return { kind: 'inactive', text: 'not configured' };
  if (!rep.active) return { kind: 'inactive', text: 'inactive' };
  const today = localDate(now, rep.timezone);
  const range = rep.away.find((a) => a.from <= today && today <= a.to);
  if (range) return { kind: 'away', text: `away until ${range.to}` };
  const slack = activeAwayStatus(rep.id, statuses, now);
  if (slack)
    return slack.awayUntil === null
      ? { kind: 'away', text: 'away until back' }
      : { kind: 'away', text: 'away until', until: slack.awayUntil };
  return { kind: 'available', text: 'available' };
}

export async function readDashboard(deps: DashboardDeps, query: DashboardQuery): Promise<DashboardData> {
  const { metrics, store, settings } = deps;
  const { now, filter } = query;
  const until = now;
  const since = now - query.windowMs;
  const stats = (q: {
    since: Millis;
    by: 'rep' | 'week' | 'source' | 'campaign';
    filter: MetricsFilter;
    percentiles?: boolean;
  }) => computeStats(metrics, { ...q, until, reasons: settings.rejectionReasons });
  // The source and campaign choices (and breakdowns) keep only the team and hot filters.
  const optionFilter: MetricsFilter = {};
  if (filter.team !== undefined) optionFilter.team = filter.team;
  if (filter.hot !== undefined) optionFilter.hot = filter.hot;
  const weeksSince = weekStart(now) - 11 * WEEK;
  // The backlog table needs only its first rows: the store narrows them by the filters, and the
  // number matching comes from backlog() without filters, from countOpenHandoffs() with them.
  const filtered = narrowsRows(filter);
  const { rep: _rep, ...openFilter } = filter;
  // Under a filter the count comes first: the rows are then read only as far as the matching ones go
  // (a filter nothing open matches reads none, instead of walking its every hand-off in MQL order).
  const openBacklog = async (): Promise<[Handoff[], number | null]> => {
    if (!filtered) return [await store.listOpenHandoffs(BACKLOG_SHOWN), null];
    const n = await metrics.countOpenHandoffs(filter, now);
    return [n === 0 ? [] : await store.listOpenHandoffs(Math.min(n, BACKLOG_SHOWN), openFilter), n];
  };

  // The by-rep report's total is the cohort's total (every hand-off and offer is in exactly one
  // group), so it also serves the headline: one query fewer.
  const [
    byRep,
    weekly,
    [bySource, byCampaign],
    backlog,
    [shown, matching],
    alerts,
    statuses,
    openOffers,
    [rowsSince, window],
  ] = await Promise.all([
    stats({ since, by: 'rep', filter }),
    // The weekly series and the breakdowns show counts only: no percentiles to compute.
    stats({ since: weeksSince, by: 'week', filter, percentiles: false }),
    // Both breakdowns from one read of the source × campaign numbers.
    computeStatsTwoWays(
      metrics,
      { since, until, filter: optionFilter, reasons: settings.rejectionReasons },
      'source',
      'campaign',
    ),
    metrics.backlog(now),
    openBacklog(),
    store.listAlerts('firing'),
    store.getRepStatuses(),
    store.countOpenOffersByRep(),
    // Rows of the window: the speed-to-lead distribution (counted in the database, in the page's
    // buckets) and the latest escalations of those rows. A window with more MQLs than the scan limit
    // is read from the latest start that keeps it under the limit (found by galloping back and
    // bisecting on MQL counts), so both stay about the most recent hand-offs. Chained here, so they
    // run beside the reports instead of after them.
    latestStartWithin(metrics, since, until, query.rowScanLimit ?? ROW_SCAN_LIMIT).then(
      async (from) =>
        [from, await metrics.windowSpeedAndEscalations(from, until, filter, SPEED_EDGES, ESCALATIONS_SHOWN)] as const,
    ),
  ]);

  const repName = (id: string | null): string | null =>
    id === null ? null : (settings.reps.find((r) => r.id === id)?.name ?? id);

  // Weeks: 12 Monday-based weeks ending with the current one.
  const byWeek = new Map(weekly.groups.map((g) => [g.key, g]));
  const weeks = Array.from({ length: 12 }, (_, i) => {
    const start = weeksSince + i * WEEK;
    const g = byWeek.get(new Date(start).toISOString().slice(0, 10));
    return { start, mqls: g?.mqls ?? 0, sals: g?.sals ?? 0, percent: g?.conversionPercent ?? null, partial: i === 11 };
  });

  // Reps: the team's members (or everyone), plus reps that appear in the numbers but not in the config.
  const team = filter.team !== undefined ? settings.teams.find((t) => t.id === filter.team) : undefined;
  const listed = settings.reps.filter((r) =>
    filter.team === undefined ? true : (team?.members.includes(r.id) ?? false),
  );
  const groups = new Map(byRep.groups.map((g) => [g.key, g]));
  const extra = byRep.groups.filter((g) => g.key !== '(none)' && !listed.some((r) => r.id === g.key)).map((g) => g.key);
  const reps: RepRow[] = [
    ...listed.map((r) => ({ id: r.id, rep: r as Rep | undefined })),
    ...extra.map((id) => ({ id, rep: settings.reps.find((r) => r.id === id) })),
  ].map(({ id, rep }) => ({
    id,
    name: rep?.name ?? id,
    numbers: groups.get(id) ?? null,
    openNow: openOffers[id] ?? 0,
    status: repStatus(rep, statuses, now),
  }));

  // Backlog: open hand-offs matching the filters (any MQL time), oldest first.
  const leads = await Promise.all(shown.map((h) => store.getLead(h.leadId)));
  const backlogRows: BacklogRow[] = shown.map((h, i) => {
    const lead = leads[i] ?? null;
    return {
      id: h.id,
      lead: leadName(lead?.firstName ?? null, lead?.lastName ?? null, h.email, h.externalId),
      email: h.email,
      company: lead?.fields.company ?? null,
      state: h.state,
      hot: h.hot,
      mqlAt: h.mqlAt,
      rep: repName(h.repId),
      team: h.teamId,
      dueAt: h.state === 'offered' ? h.dueAt : null,
      source: h.channel,
      campaign: h.campaign,
    };
  });

  const shownEscalations = window.escalated;
  const escalationLeads = await Promise.all(shownEscalations.map((h) => store.getLead(h.leadId)));
  const escalations: EscalationRow[] = shownEscalations.map((r, i) => ({
    id: r.id,
    lead: leadName(escalationLeads[i]?.firstName ?? null, escalationLeads[i]?.lastName ?? null, r.email, r.externalId),
    escalatedAt: r.escalatedAt ?? 0,
    reason: describeEscalation(r.escalationReason),
    state: r.state,
    rep: repName(r.repId),
    source: r.channel,
    campaign: r.campaign,
  }));

  const breakdown = (report: StatsReport): BreakdownRow[] =>
    largestGroups(report, 12).map((g) => ({ key: g.key, numbers: g }));
  return {
    now,
    since,
    until,
    options: {
      teams: settings.teams.map((t) => ({ id: t.id, label: t.id })),
      sources: groupKeys(bySource),
      campaigns: groupKeys(byCampaign),
    },
    total: byRep.total,
    breakdown: { sources: breakdown(bySource), campaigns: breakdown(byCampaign) },
    weeks,
    speed: {
      histogram: { ...histogram([]), counts: window.speedCounts },
      rowsSince: rowsSince > since ? rowsSince : null,
    },
    reps,
    backlog: {
      summary: backlog,
      rows: backlogRows,
      matching: matching ?? backlog.open,
      shownLimit: BACKLOG_SHOWN,
      filtered,
    },
    escalations,
    alerts: alerts.map(alertView).sort((a, b) => Number(b.critical) - Number(a.critical) || b.firedAt - a.firedAt),
  };
}
