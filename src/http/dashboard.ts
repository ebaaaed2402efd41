// GET /dashboard and GET /dashboard.csv: the hand-off at a glance for marketing and managers.
//
// Access: `server.dashboardToken`. A request is let in with `Authorization: Bearer <token>`, or with
// the session cookie that `?token=<token>` sets once (HttpOnly, SameSite=Strict, an HMAC of the token
// rather than the token itself) before redirecting to the same URL without the token. Anything else
// gets 401 and a page with no data. Without a configured token the dashboard is off: both routes
// answer 404 and a line is logged when the handlers are created (at start).
//
// This file parses the request (access, window, filters), asks src/app for the data (readDashboard of
// src/app/dashboard-view.ts; the CSV is writeExport of src/app/export-handoffs.ts, what `handoff
// export` writes) and renders the answer.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { readDashboard, type DashboardDeps } from '../app/dashboard-view.js';
import { filteredExportReader, writeExport } from '../app/export-handoffs.js';
import { parseDuration } from '../domain/duration.js';
import { DAY, HOUR } from '../domain/metrics.js';
import type { Millis } from '../domain/model.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { MetricsFilter } from '../ports/metrics.js';
import { isTimeZone } from '../config/index.js';
import { sendJson, type RouteHandler } from './server.js';
import {
  filterQuery,
  renderDashboard,
  renderUnauthorized,
  type DashboardView,
  type FilterState,
  type ZoneChoice,
} from './views/dashboard-page.js';

export interface DashboardOptions extends DashboardDeps {
  /** server.dashboardToken; null turns the dashboard off. */
  token: string | null;
  clock: Clock;
  logger: Logger;
  /** Mark the session cookie Secure (served over https, e.g. server.publicUrl is https). */
  secureCookie?: boolean;
  /** Window when the URL names none (default 30d). */
  defaultWindow?: string;
  /** Most hand-off rows read for the distribution and escalations (default ROW_SCAN_LIMIT of src/app/dashboard-view.ts). */
  rowScanLimit?: number;
  /** IANA zone the page shows times in unless `?tz=` names another: alerts.timezone (default UTC). */
  timezone?: string;
}

export interface DashboardHandlers {
  readonly enabled: boolean;
  page: RouteHandler;
  csv: RouteHandler;
  /** Both routes, keyed as startHttpServer expects. */
  routes: Record<string, RouteHandler>;
}

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
  timezone: ZoneChoice;
}

const MAX_ZONE = 64;

/** The runtime's spelling of a valid IANA zone ("europe/berlin" → "Europe/Berlin"), or null. */
export function canonicalZone(name: string): string | null {
  if (name === '' || name.length > MAX_ZONE || !isTimeZone(name)) return null;
  return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
}

/**
 * `?tz=` → the zone of the page. A valid IANA name wins over the configured zone; anything else is
 * ignored with a notice and the page shows the configured zone (like a bad window: never a 400).
 */
function parseZone(params: URLSearchParams, defaultZone: string, notices: string[]): ZoneChoice {
  const raw = (params.get('tz') ?? '').trim();
  if (raw === '') return { zone: defaultZone, origin: 'config' };
  const zone = canonicalZone(raw);
  if (zone === null) {
    notices.push(
      `The time zone "${raw.slice(0, 40)}" is not an IANA zone name (such as Europe/Berlin or America/New_York); times are shown in ${defaultZone}.`,
    );
    return { zone: defaultZone, origin: 'config' };
  }
  return zone === defaultZone ? { zone, origin: 'config' } : { zone, origin: 'query' };
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
export function parseFilters(params: URLSearchParams, defaultWindow = '30d', defaultZone = 'UTC'): ParsedFilters {
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
  const timezone = parseZone(params, defaultZone, notices);
  const tz = timezone.origin === 'query' ? timezone.zone : null;
  return { state: { window, team, source, campaign, hot, tz }, windowMs, filter, notices, timezone };
}

// ---- the page -------------------------------------------------------------------------------------

/** The page's view: the data of src/app/dashboard-view.ts plus what the request chose. */
export async function buildDashboardView(
  options: DashboardOptions,
  parsed: ParsedFilters,
  nonce: string,
): Promise<DashboardView> {
  const query = {
    windowMs: parsed.windowMs,
    filter: parsed.filter,
    now: options.clock.now(),
    ...(options.rowScanLimit !== undefined ? { rowScanLimit: options.rowScanLimit } : {}),
  };
  const data = await readDashboard(options, query);
  const windows = WINDOW_CHOICES.some((w) => w.value === parsed.state.window)
    ? [...WINDOW_CHOICES]
    : [...WINDOW_CHOICES, { value: parsed.state.window, label: `Last ${parsed.state.window}` }];
  const q = filterQuery(parsed.state);
  return {
    ...data,
    filters: parsed.state,
    windows,
    notices: parsed.notices,
    links: { self: `dashboard?${q}`, csv: `dashboard.csv?${q}` },
    nonce,
    timezone: parsed.timezone,
    zones: zoneChoices(options.timezone ?? 'UTC', options.settings.reps, parsed.timezone.zone),
  };
}

/** The zones the form offers: the configured one first, then UTC, the reps' zones and the current one. */
function zoneChoices(configured: string, reps: readonly { timezone: string }[], current: string): string[] {
  const rest = new Set(['UTC', ...reps.map((r) => r.timezone).sort(), current]);
  rest.delete(configured);
  return [configured, ...rest];
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
    const parsed = parseFilters(url.searchParams, options.defaultWindow, options.timezone);
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
    const reader = filteredExportReader(options.metrics, parsed.filter);
    const rows = await writeExport(reader, window, 'csv', options.settings.rejectionReasons, (text) => {
      res.write(text);
    });
    res.end();
    log.debug({ rows }, 'dashboard csv sent');
  });

  return { enabled: token !== null, page, csv, routes: { 'GET /dashboard': page, 'GET /dashboard.csv': csv } };
}
