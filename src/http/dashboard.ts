// GET /dashboard and GET /dashboard.csv: the hand-off at a glance for marketing and managers.
//
// Access: `server.dashboardToken`. A request is let in with `Authorization: Bearer <token>`, or with
// the session cookie that `?token=<token>` sets once (HttpOnly, SameSite=Strict, an HMAC of the token
// rather than the token itself) before redirecting to the same URL without the token. Anything else
// gets 401 and a page with no data. Without a configured token the dashboard is off: both routes
// answer 404 and a line is logged when the handlers are created (at start).
//
// Numbers: no definitions of our own. The cohort numbers come from `reports.stats` (computeStats of
// src/app/stats.ts, what `handoff stats --json` prints), the backlog from MetricsReader.backlog, the
// rows (CSV, speed-to-lead distribution, escalations) from MetricsReader.exportHandoffs through
// `reports.writeCsv` / `reports.speedToLeadMs` (the export of `handoff export`). main.ts injects the
// reports because the http layer may not import src/app or src/cli.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { parseDuration } from '../domain/duration.js';
import { DAY, HOUR, WEEK, weekStart } from '../domain/metrics.js';
import type { Millis, Rep, Team } from '../domain/model.js';
import { activeAwayStatus } from '../domain/routing/eligibility.js';
import { localDate } from '../domain/sla-clock.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ExportRow, MetricsFilter, MetricsReader } from '../ports/metrics.js';
import type { AlertRow, Store } from '../ports/store.js';
import { sendJson, type RouteHandler } from './server.js';
import { histogram } from './views/charts.js';
import {
  filterQuery,
  renderDashboard,
  renderUnauthorized,
  type AlertView,
  type BacklogRow,
  type BreakdownRow,
  type CohortNumbers,
  type DashboardView,
  type EscalationRow,
  type FilterState,
  type RepRow,
} from './views/dashboard-page.js';

export type DashboardGroupBy = 'week' | 'rep' | 'source' | 'campaign';

export interface DashboardStatsQuery {
  since: Millis;
  until: Millis;
  by: DashboardGroupBy | null;
  filter: MetricsFilter;
}

export interface DashboardStatsReport {
  total: CohortNumbers;
  groups: (CohortNumbers & { key: string })[];
}

/** The numbers issue's functions, injected by the composition root (see the header comment). */
export interface DashboardReports {
  /** computeStats(reader, { ...query, reasons }) of src/app/stats.ts. */
  stats(query: DashboardStatsQuery): Promise<DashboardStatsReport>;
  /** writeExport(reader, window, 'csv', reasons, out) of src/cli/commands/export.ts. */
  writeCsv(
    reader: MetricsReader,
    window: { since: Millis; until: Millis },
    out: (text: string) => void,
  ): Promise<number>;
  /** exportTimings(row).speedToLeadMs of src/cli/commands/export.ts. */
  speedToLeadMs(row: ExportRow): Millis | null;
}

export type DashboardStore = Pick<
  Store,
  'listOpenHandoffs' | 'getLead' | 'listAlerts' | 'getRepStatuses' | 'countOpenOffersByRep'
>;

export interface DashboardOptions {
  /** server.dashboardToken; null turns the dashboard off. */
  token: string | null;
  metrics: MetricsReader;
  store: DashboardStore;
  reports: DashboardReports;
  settings: { reps: readonly Rep[]; teams: readonly Team[] };
  clock: Clock;
  logger: Logger;
  /** Mark the session cookie Secure (served over https, e.g. server.publicUrl is https). */
  secureCookie?: boolean;
  /** Window when the URL names none (default 30d). */
  defaultWindow?: string;
  /** Most hand-off rows read for the distribution and escalations (default ROW_SCAN_LIMIT). */
  rowScanLimit?: number;
}

export interface DashboardHandlers {
  readonly enabled: boolean;
  page: RouteHandler;
  csv: RouteHandler;
  /** Both routes, keyed as startHttpServer expects. */
  routes: Record<string, RouteHandler>;
}

export { filterQuery };
export const DASHBOARD_COOKIE = 'handoff_dashboard';
const COOKIE_MAX_AGE_S = 30 * 24 * 3600;

export const WINDOW_CHOICES: readonly { value: string; label: string }[] = [
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '14d', label: 'Last 14 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: '90d', label: 'Last 90 days' },
  { value: '180d', label: 'Last 180 days' },
];
const MIN_WINDOW = HOUR;
const MAX_WINDOW = 400 * DAY;
const MAX_TEXT = 200;
/** Rows of the window walked for the speed-to-lead distribution and the escalations list. */
export const ROW_SCAN_LIMIT = 20_000;
const BACKLOG_SCAN = 5_000;
export const BACKLOG_SHOWN = 50;
const ESCALATIONS_SHOWN = 10;
const OPTION_LIMIT = 200;

// ---- access -----------------------------------------------------------------------------------------

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Constant-time comparison of two secrets of any length. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The cookie value a token grants: changes with the token, and does not reveal it. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('handoff dashboard session v1').digest('base64url');
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

export type AccessDecision =
  | { kind: 'allow' }
  | { kind: 'login'; location: string; cookie: string }
  | { kind: 'deny'; why: 'missing' | 'wrong_token' | 'wrong_header' | 'stale_cookie' };

/** Decides a request's access from its URL (path + query), Authorization header and cookies. */
export function decideAccess(
  token: string,
  url: URL,
  headers: http.IncomingHttpHeaders,
  secureCookie: boolean,
): AccessDecision {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null) {
    if (!sameSecret(fromQuery, token)) return { kind: 'deny', why: 'wrong_token' };
    const rest = new URLSearchParams(url.searchParams);
    rest.delete('token');
    const query = rest.toString();
    const name = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    const cookie = `${DASHBOARD_COOKIE}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${COOKIE_MAX_AGE_S}${secureCookie ? '; Secure' : ''}`;
    return { kind: 'login', location: `${name}${query ? `?${query}` : ''}`, cookie };
  }
  const auth = headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return m && sameSecret((m[1] as string).trim(), token) ? { kind: 'allow' } : { kind: 'deny', why: 'wrong_header' };
  }
  const session = cookieValue(headers.cookie, DASHBOARD_COOKIE);
  if (session !== null)
    return sameSecret(session, sessionValue(token)) ? { kind: 'allow' } : { kind: 'deny', why: 'stale_cookie' };
  return { kind: 'deny', why: 'missing' };
}

const BASE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function sendHtml(
  res: http.ServerResponse,
  status: number,
  body: string,
  nonce: string | null,
  extra: Record<string, string> = {},
): void {
  // With a nonce only our own <style> and <script> apply: injected markup could neither run nor restyle.
  const code = nonce ? `style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'` : `style-src 'unsafe-inline'`;
  const csp = `default-src 'none'; ${code}; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
  res.writeHead(status, {
    ...BASE_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': csp,
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

// ---- filters ---------------------------------------------------------------------------------------

export interface ParsedFilters {
  state: FilterState;
  windowMs: Millis;
  filter: MetricsFilter;
  notices: string[];
}

function textParam(params: URLSearchParams, name: string, notices: string[]): string | null {
  const raw = params.get(name);
  if (raw === null) return null;
  const value = raw.trim();
  if (value === '') return null;
  if (value.length > MAX_TEXT) {
    notices.push(`The ${name} filter is longer than ${MAX_TEXT} characters and was ignored.`);
    return null;
  }
  return value;
}

/** Query parameters → filters; a bad value is ignored with a notice (the page still renders). */
export function parseFilters(params: URLSearchParams, defaultWindow = '30d'): ParsedFilters {
  const notices: string[] = [];
  let window = defaultWindow;
  let windowMs = parseDuration(defaultWindow) ?? 30 * DAY;
  const rawWindow = params.get('window');
  if (rawWindow !== null && rawWindow.trim() !== '') {
    const ms = parseDuration(rawWindow.trim());
    if (ms !== null && ms >= MIN_WINDOW && ms <= MAX_WINDOW) {
      window = rawWindow.trim();
      windowMs = ms;
    } else {
      notices.push(
        `The window "${rawWindow.slice(0, 40)}" is not a duration between 1h and 400d (such as 7d or 90d); showing ${defaultWindow}.`,
      );
    }
  }
  const team = textParam(params, 'team', notices);
  const source = textParam(params, 'source', notices);
  const campaign = textParam(params, 'campaign', notices);
  const hotRaw = (params.get('hot') ?? '').trim().toLowerCase();
  const hot = hotRaw === '1' || hotRaw === 'true' || hotRaw === 'on' || hotRaw === 'yes';
  const filter: MetricsFilter = {};
  if (team !== null) filter.team = team;
  if (source !== null) filter.source = source;
  if (campaign !== null) filter.campaign = campaign;
  if (hot) filter.hot = true;
  return { state: { window, team, source, campaign, hot }, windowMs, filter, notices };
}

function matches(
  filter: MetricsFilter,
  row: { teamId: string | null; channel: string | null; campaign: string | null; hot: boolean },
): boolean {
  if (filter.team !== undefined && row.teamId !== filter.team) return false;
  if (filter.source !== undefined && row.channel !== filter.source) return false;
  if (filter.campaign !== undefined && row.campaign !== filter.campaign) return false;
  if (filter.hot !== undefined && row.hot !== filter.hot) return false;
  return true;
}

/**
 * The reader with exportHandoffs narrowed to hand-offs matching the filter (team, source, campaign,
 * hot: the same columns the stats filter uses). Pages stay full: it reads on until it has `limit`
 * matching rows or the window is done, so a pager that stops on a short page sees every row.
 */
export function filteredExportReader(reader: MetricsReader, filter: MetricsFilter): MetricsReader {
  if (
    filter.team === undefined &&
    filter.source === undefined &&
    filter.campaign === undefined &&
    filter.hot === undefined
  )
    return reader;
  return {
    ...reader,
    async exportHandoffs(since, until, limit, after) {
      const out: ExportRow[] = [];
      let cursor = after;
      for (;;) {
        const page = await reader.exportHandoffs(since, until, limit, cursor);
        for (const row of page) {
          if (!matches(filter, row)) continue;
          out.push(row);
          if (out.length === limit) return out;
        }
        const last = page[page.length - 1];
        if (!last || page.length < limit) return out;
        cursor = { mqlAt: last.mqlAt, id: last.id };
      }
    },
  };
}

// ---- the page's data -----------------------------------------------------------------------------

const ESCALATION_WHY: Record<string, string> = {
  unroutable: 'no rule, team or fallback could take it',
  max_offers: 'offers ran out (max offers reached)',
  no_next_rep: 'no eligible rep for the next offer',
  all_rejected: 'every offered rep rejected it',
};

function leadName(first: string | null, last: string | null, email: string | null, fallback: string): string {
  const name = [first, last].filter((x): x is string => typeof x === 'string' && x.trim() !== '').join(' ');
  return name || email || fallback;
}

function alertView(row: AlertRow): AlertView {
  const d = row.data as { title?: unknown; lines?: unknown; critical?: unknown };
  const title = typeof d.title === 'string' && d.title.trim() !== '' ? d.title : row.key;
  const lines = Array.isArray(d.lines) ? d.lines.filter((l): l is string => typeof l === 'string').slice(0, 6) : [];
  return { key: row.key, title, lines, critical: d.critical === true, firedAt: row.firedAt };
}

function groupKeys(report: DashboardStatsReport): string[] {
  return report.groups
    .filter((g) => g.key !== '(none)')
    .sort((a, b) => b.mqls - a.mqls || (a.key < b.key ? -1 : 1))
    .slice(0, OPTION_LIMIT)
    .map((g) => g.key)
    .sort((a, b) => a.localeCompare(b));
}

/** The latest start t in [since, until) with at most `limit` MQLs in [t, until) (to the minute). */
export async function latestStartWithin(
  metrics: MetricsReader,
  since: Millis,
  until: Millis,
  limit: number,
): Promise<Millis> {
  let lo = since; // more than `limit` MQLs from here
  let hi = until; // at most `limit` from here
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if ((await metrics.countMqls(mid, until)) > limit) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The largest groups of a breakdown (not the "(none)" group), most MQLs first. */
function breakdown(report: DashboardStatsReport, limit: number): BreakdownRow[] {
  return report.groups
    .filter((g) => g.key !== '(none)')
    .sort((a, b) => b.mqls - a.mqls || (a.key < b.key ? -1 : 1))
    .slice(0, limit)
    .map((g) => ({ key: g.key, numbers: g }));
}

export async function buildDashboardView(
  options: DashboardOptions,
  parsed: ParsedFilters,
  nonce: string,
): Promise<DashboardView> {
  const { metrics, store, reports, settings } = options;
  const now = options.clock.now();
  const until = now;
  const since = now - parsed.windowMs;
  const filter = parsed.filter;
  const optionFilter: MetricsFilter = {};
  if (filter.team !== undefined) optionFilter.team = filter.team;
  if (filter.hot !== undefined) optionFilter.hot = filter.hot;
  const weeksSince = weekStart(now) - 11 * WEEK;
  // Without filters the backlog table needs only its first rows (the count comes from backlog());
  // with filters, open hand-offs are matched here, up to BACKLOG_SCAN of them.
  const filtered =
    filter.team !== undefined ||
    filter.source !== undefined ||
    filter.campaign !== undefined ||
    filter.hot !== undefined;

  // The by-rep report's total is the cohort's total (every hand-off and offer is in exactly one
  // group), so it also serves the headline: one query fewer.
  const [byRep, weekly, bySource, byCampaign, backlog, open, alerts, statuses, openOffers, inWindow] =
    await Promise.all([
      reports.stats({ since, until, by: 'rep', filter }),
      reports.stats({ since: weeksSince, until, by: 'week', filter }),
      reports.stats({ since, until, by: 'source', filter: optionFilter }),
      reports.stats({ since, until, by: 'campaign', filter: optionFilter }),
      metrics.backlog(now),
      store.listOpenHandoffs(filtered ? BACKLOG_SCAN : BACKLOG_SHOWN),
      store.listAlerts('firing'),
      store.getRepStatuses(),
      store.countOpenOffersByRep(),
      metrics.countMqls(since, until),
    ]);

  // Rows of the window: the speed-to-lead distribution and the escalations. A window with more MQLs
  // than ROW_SCAN_LIMIT is read from the latest start that keeps it under the limit (found by
  // bisecting on MQL counts), so both stay about the most recent hand-offs.
  const scanLimit = options.rowScanLimit ?? ROW_SCAN_LIMIT;
  const rowsSince = inWindow > scanLimit ? await latestStartWithin(metrics, since, until, scanLimit) : since;
  const reader = filteredExportReader(metrics, filter);
  const speeds: number[] = [];
  let escalated: ExportRow[] = [];
  let after: { mqlAt: Millis; id: string } | undefined;
  const PAGE = 500;
  for (;;) {
    const page = await reader.exportHandoffs(rowsSince, until, PAGE, after);
    for (const row of page) {
      const s = reports.speedToLeadMs(row);
      if (s !== null) speeds.push(s);
      if (row.escalatedAt !== null) escalated.push(row);
    }
    if (escalated.length > 4 * ESCALATIONS_SHOWN)
      escalated = escalated.sort((a, b) => (b.escalatedAt ?? 0) - (a.escalatedAt ?? 0)).slice(0, ESCALATIONS_SHOWN);
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) break;
    after = { mqlAt: last.mqlAt, id: last.id };
  }

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
  ].map(({ id, rep }) => {
    let status: RepRow['status'] = { kind: 'available', text: 'available' };
    if (rep && !rep.active) status = { kind: 'inactive', text: 'inactive' };
    else if (rep) {
      const today = localDate(now, rep.timezone);
      const range = rep.away.find((a) => a.from <= today && today <= a.to);
      const slack = activeAwayStatus(rep.id, statuses, now);
      if (range) status = { kind: 'away', text: `away until ${range.to}` };
      else if (slack)
        status = {
          kind: 'away',
          text:
            slack.awayUntil === null
              ? 'away until back'
              : `away until ${new Date(slack.awayUntil).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
        };
    } else status = { kind: 'inactive', text: 'not configured' };
    return { id, name: rep?.name ?? id, numbers: groups.get(id) ?? null, openNow: openOffers[id] ?? 0, status };
  });

  // Backlog: open hand-offs matching the filters (any MQL time), oldest first.
  const matching = open.filter((h) => matches(filter, h));
  const shown = matching.slice(0, BACKLOG_SHOWN);
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

  const escalations: EscalationRow[] = escalated
    .sort((a, b) => (b.escalatedAt ?? 0) - (a.escalatedAt ?? 0))
    .slice(0, ESCALATIONS_SHOWN)
    .map((r) => ({
      id: r.id,
      lead: leadName(r.firstName, r.lastName, r.email, r.externalId),
      escalatedAt: r.escalatedAt ?? 0,
      reason: r.escalationReason === null ? 'escalated' : (ESCALATION_WHY[r.escalationReason] ?? r.escalationReason),
      state: r.state,
      rep: repName(r.repId),
      source: r.channel,
      campaign: r.campaign,
    }));

  const windows = WINDOW_CHOICES.some((w) => w.value === parsed.state.window)
    ? [...WINDOW_CHOICES]
    : [...WINDOW_CHOICES, { value: parsed.state.window, label: `Last ${parsed.state.window}` }];
  const query = filterQuery(parsed.state);
  return {
    now,
    since,
    until,
    filters: parsed.state,
    options: {
      windows,
      teams: settings.teams.map((t) => ({ id: t.id, label: t.id })),
      sources: groupKeys(bySource),
      campaigns: groupKeys(byCampaign),
    },
    notices: parsed.notices,
    links: { self: `dashboard?${query}`, csv: `dashboard.csv?${query}` },
    total: byRep.total,
    breakdown: { sources: breakdown(bySource, 12), campaigns: breakdown(byCampaign, 12) },
    weeks,
    speed: { histogram: histogram(speeds), rowsSince: rowsSince > since ? rowsSince : null },
    reps,
    backlog: {
      summary: backlog,
      rows: backlogRows,
      matching: filtered ? matching.length : backlog.open,
      shownLimit: BACKLOG_SHOWN,
      filtered,
    },
    escalations,
    alerts: alerts.map(alertView).sort((a, b) => Number(b.critical) - Number(a.critical) || b.firedAt - a.firedAt),
    nonce,
  };
}

// ---- handlers ---------------------------------------------------------------------------------------

function csvFileName(f: FilterState, now: Millis): string {
  const parts = [
    'handoff',
    new Date(now).toISOString().slice(0, 10),
    f.window,
    f.team,
    f.source,
    f.campaign,
    f.hot ? 'hot' : null,
  ]
    .filter((x): x is string => x !== null)
    .map((x) =>
      x
        .replace(/[^A-Za-z0-9._-]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 40),
    )
    .filter((x) => x !== '');
  return `${parts.join('_')}.csv`;
}

export function createDashboardHandler(options: DashboardOptions): DashboardHandlers {
  const log = options.logger.child({ component: 'dashboard' });
  const token = options.token !== null && options.token.trim() !== '' ? options.token : null;
  const secureCookie = options.secureCookie === true;
  if (token === null) log.info('dashboard off: set server.dashboardToken to serve GET /dashboard');
  else log.info({ path: '/dashboard' }, 'dashboard on (token required)');

  /** Runs `serve` when the request may see data; answers 404 / 303 / 401 otherwise. */
  const guarded =
    (serve: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void>): RouteHandler =>
    async (req, res) => {
      if (token === null) {
        sendJson(res, 404, { ok: false, error: 'not_found' });
        return;
      }
      const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
      const access = decideAccess(token, url, req.headers, secureCookie);
      if (access.kind === 'login') {
        res.writeHead(303, {
          ...BASE_HEADERS,
          location: access.location,
          'set-cookie': access.cookie,
          'content-length': 0,
        });
        res.end();
        return;
      }
      if (access.kind === 'deny') {
        log.info({ why: access.why, path: url.pathname }, 'dashboard request refused');
        const retry =
          access.why === 'missing' ? `${url.pathname.slice(url.pathname.lastIndexOf('/') + 1)}${url.search}` : null;
        sendHtml(res, 401, renderUnauthorized(retry), null, { 'www-authenticate': 'Bearer realm="handoff dashboard"' });
        return;
      }
      await serve(req, res, url);
    };

  const page = guarded(async (_req, res, url) => {
    const started = Date.now();
    const parsed = parseFilters(url.searchParams, options.defaultWindow);
    const nonce = randomBytes(16).toString('base64');
    const view = await buildDashboardView(options, parsed, nonce);
    const body = renderDashboard(view);
    sendHtml(res, 200, body, nonce);
    log.debug({ ms: Date.now() - started, bytes: Buffer.byteLength(body) }, 'dashboard rendered');
  });

  const csv = guarded(async (_req, res, url) => {
    const parsed = parseFilters(url.searchParams, options.defaultWindow);
    const now = options.clock.now();
    const window = { since: now - parsed.windowMs, until: now };
    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${csvFileName(parsed.state, now)}"`,
    });
    const rows = await options.reports.writeCsv(
      filteredExportReader(options.metrics, parsed.filter),
      window,
      (text) => {
        res.write(text);
      },
    );
    res.end();
    log.debug({ rows }, 'dashboard csv sent');
  });

  return { enabled: token !== null, page, csv, routes: { 'GET /dashboard': page, 'GET /dashboard.csv': csv } };
}
