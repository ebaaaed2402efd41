// The dashboard routes over a real HTTP server and the memory store: access (token off, header,
// ?token= login, cookie, refusals without data), the page's numbers against computeStats, escaping
// of outside text, filters, and the filtered CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeStats } from '../../src/app/stats.js';
import {
  buildDashboardView,
  createDashboardHandler,
  DASHBOARD_COOKIE,
  parseFilters,
  sessionValue,
} from '../../src/http/dashboard.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { formatPercent, shortDuration } from '../../src/domain/metrics.js';
import { silentLogger } from '../../src/ports/logger.js';
import type { Store } from '../../src/ports/store.js';
import { createMemoryStore } from '../../src/store/index.js';
import { createStoreMetricsReader } from '../../src/store/metrics-memory.js';
import {
  NOW,
  REASONS,
  XSS_CAMPAIGN,
  XSS_COMPANY,
  XSS_NAME,
  dashboardOptions,
  readCsvDownload,
  seedDashboard,
} from '../helpers/dashboard-seed.js';
import { recordingLogger, type LogRecord } from '../helpers/recording-logger.js';

const TOKEN = 's3cret-token';
const D = 86_400_000;

let store: Store;
let server: HttpServer;
let off: HttpServer;
const logged: LogRecord[] = [];
const options = (token: string | null) => dashboardOptions(store, { token, logger: recordingLogger({}, logged) });

beforeAll(async () => {
  store = createMemoryStore();
  await seedDashboard(store);
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    routes: createDashboardHandler(options(TOKEN)).routes,
    readiness: async () => [],
  });
  off = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    routes: createDashboardHandler(options(null)).routes,
    readiness: async () => [],
  });
});
afterAll(async () => {
  await server?.close();
  await off?.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { headers, redirect: 'manual' });
const auth = { authorization: `Bearer ${TOKEN}` };

describe('dashboard access', () => {
  it('is off without a token: 404 on both routes and a log line at start', async () => {
    expect((await fetch(`${off.url}/dashboard`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${off.url}/dashboard.csv?token=x`)).status).toBe(404);
    expect(logged.some((l) => l.msg.startsWith('dashboard off'))).toBe(true);
  });

  it.each([
    ['no credentials', '/dashboard', {}],
    ['a wrong bearer token', '/dashboard', { authorization: 'Bearer nope' }],
    ['basic auth', '/dashboard', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
    ['a wrong ?token=', `/dashboard?token=nope&window=7d`, {}],
    ['a forged cookie', '/dashboard', { cookie: `${DASHBOARD_COOKIE}=${TOKEN}` }],
    ['the CSV without credentials', '/dashboard.csv', {}],
  ])('answers 401 with no data for %s', async (_name, path, headers) => {
    const res = await get(path, headers as Record<string, string>);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.headers.get('set-cookie')).toBeNull();
    const body = await res.text();
    expect(body).toContain('Token needed');
    for (const secretish of ['Alice', 'Lead1', 'example', 'PAID_SEARCH', 'MQL', '%', 'script>alert'])
      expect(body).not.toContain(secretish);
  });

  it('lets a bearer token in', async () => {
    const res = await get('/dashboard', auth);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(csp).not.toContain('unsafe-inline');
    const body = await res.text();
    expect(body).toContain(`<style nonce="${nonce}">`);
    expect(body).toContain(`<script nonce="${nonce}">`);
  });

  it('logs in once with ?token=: an HttpOnly SameSite=Strict cookie and a redirect without the token', async () => {
    const res = await get(`/dashboard?window=7d&token=${TOKEN}&team=emea`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('dashboard?window=7d&team=emea');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`${DASHBOARD_COOKIE}=${sessionValue(TOKEN)}`);
    expect(cookie).not.toContain(TOKEN);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0]!;
    const again = await get('/dashboard?window=7d&team=emea', { cookie: `other=1; ${pair}` });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Lead hand-off dashboard');
  });
});

describe('dashboard page', () => {
  let page: string;
  beforeAll(async () => {
    page = await (await get('/dashboard?window=30d', auth)).text();
  });

  const metric = (html: string, name: string) => new RegExp(`data-metric="${name}">([^<]*)<`).exec(html)?.[1];

  it('shows the numbers of handoff stats for the window', async () => {
    const stats = await computeStats(createStoreMetricsReader(store), {
      since: NOW - 30 * D,
      until: NOW,
      reasons: REASONS,
    });
    const t = stats.total;
    expect(t.mqls).toBeGreaterThan(20);
    expect(metric(page, 'mqls')).toBe(String(t.mqls));
    expect(metric(page, 'sals')).toBe(String(t.sals));
    expect(metric(page, 'conversion')).toBe(formatPercent(t.conversionPercent));
    expect(metric(page, 'rejected')).toBe(String(t.rejected));
    expect(metric(page, 'pending')).toBe(String(t.pending));
    expect(metric(page, 'speed-p50')).toBe(shortDuration(t.speedToLead.p50Ms));
    expect(metric(page, 'sla')).toBe(formatPercent(t.sla.compliancePercent));
    for (const r of t.rejectedByReason)
      expect(page).toContain(`data-reason="${r.id}"><td>${r.label}</td><td class="num">${r.count}</td>`);
  });

  it('renders outside text as text', () => {
    expect(page).not.toContain(XSS_NAME);
    expect(page).not.toContain(XSS_CAMPAIGN);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain(XSS_COMPANY);
    expect(page).toContain('Acme &lt;Ltd&gt; &amp; &quot;Sons&quot;');
    expect(page).not.toContain('<img');
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).not.toContain('RESOLVED lull');
    expect(page).toContain('Backlog: open hand-offs over &lt;20&gt;');
  });

  it('keeps the page small and self-contained', () => {
    expect(Buffer.byteLength(page)).toBeLessThan(200 * 1024);
    expect(page).not.toMatch(/<link rel="stylesheet"|<script src=|<img /);
  });

  it('marks reps away in Slack or by config range', () => {
    expect(page).toMatch(/data-rep="bruno">[\s\S]*?away until back/);
    expect(page).toMatch(/data-rep="erin">[\s\S]*?away until 2026-11-30/);
    expect(page).toMatch(/data-rep="alice">[\s\S]*?available/);
  });

  it('applies the team and hot filters, and notes a bad window', async () => {
    const html = await (await get('/dashboard?window=banana&team=us&hot=1', auth)).text();
    const stats = await computeStats(createStoreMetricsReader(store), {
      since: NOW - 30 * D,
      until: NOW,
      filter: { team: 'us', hot: true },
      reasons: REASONS,
    });
    expect(metric(html, 'mqls')).toBe(String(stats.total.mqls));
    expect(html).toContain('The window &quot;banana&quot; is not a duration');
    expect(html).not.toContain('data-rep="alice"');
    expect(html).toContain('data-rep="dave"');
    expect(html).toContain('<option value="us" selected>');
    const open = (await store.listOpenHandoffs(1000)).filter((h) => h.teamId === 'us' && h.hot);
    expect(metric(html, 'backlog-matching')).toBe(String(open.length));
    expect(html.match(/<tr data-handoff=/g)?.length ?? 0).toBeGreaterThanOrEqual(open.length);
  });

  it('lists a campaign with markup as an escaped option', async () => {
    const html = await (await get('/dashboard?window=24h', auth)).text();
    expect(html).toContain('<option value="&quot;&gt;&lt;img src=x onerror=alert(2)&gt;">');
    // The breakdown links filter by the row's campaign, URL-encoded inside an escaped attribute.
    expect(html).toContain(
      '<a href="dashboard?window=24h&amp;campaign=%22%3E%3Cimg+src%3Dx+onerror%3Dalert%282%29%3E">&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</a>',
    );
  });
});

describe('dashboard view of a big window', () => {
  it('reads only the most recent rows past the scan limit, and says so', async () => {
    const full = await buildDashboardView(options(TOKEN), parseFilters(new URLSearchParams('window=90d')), 'n');
    const capped = await buildDashboardView(
      { ...options(TOKEN), rowScanLimit: 10 },
      parseFilters(new URLSearchParams('window=90d')),
      'n',
    );
    expect(full.speed.rowsSince).toBeNull();
    expect(capped.speed.rowsSince).not.toBeNull();
    expect(capped.speed.rowsSince!).toBeGreaterThan(NOW - 90 * D);
    const counted = (h: typeof full.speed.histogram) => h.counts.reduce((a, b) => a + b, 0);
    expect(counted(full.speed.histogram)).toBe(full.total.speedToLead.count);
    expect(counted(capped.speed.histogram)).toBeLessThan(counted(full.speed.histogram));
    // The escalations shown are the most recent ones either way.
    expect(capped.escalations[0]?.id).toBe(full.escalations[0]?.id);
    expect(capped.total).toEqual(full.total);
  });
});

describe('dashboard CSV', () => {
  it('downloads the filtered hand-offs of the window with the export columns', async () => {
    const res = await get('/dashboard.csv?window=90d&team=emea&source=PAID_SEARCH', auth);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="handoff_2026-11-25_90d_emea_PAID_SEARCH.csv"',
    );
    const csv = readCsvDownload(Buffer.from(await res.arrayBuffer()));
    expect(csv.header[0]).toBe('handoff_id');
    const stats = await computeStats(createStoreMetricsReader(store), {
      since: NOW - 90 * D,
      until: NOW,
      filter: { team: 'emea', source: 'PAID_SEARCH' },
      reasons: REASONS,
    });
    expect(csv.rows).toHaveLength(stats.total.mqls);
    for (const row of csv.rows) expect([row.team, row.source]).toEqual(['emea', 'PAID_SEARCH']);
  });
});

describe('dashboard time zone', () => {
  let berlin: HttpServer;
  beforeAll(async () => {
    berlin = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger,
      routes: createDashboardHandler(dashboardOptions(store, { token: TOKEN, timezone: 'Europe/Berlin' })).routes,
      readiness: async () => [],
    });
  });
  afterAll(async () => {
    await berlin?.close();
  });
  const page = async (query: string) => {
    const res = await fetch(`${berlin.url}/dashboard?${query}`, { headers: auth });
    expect(res.status).toBe(200);
    return res.text();
  };
  const shown = (html: string) =>
    [...html.matchAll(/<time datetime="([^"]+)">([^<]+)<\/time>/g)].map((m) => [m[1], m[2]]);

  it('renders every time in alerts.timezone and says so', async () => {
    const html = await page('window=7d');
    expect(html).toContain(
      'Times in <span data-metric="timezone">Europe/Berlin</span> (the configured alerts.timezone).',
    );
    // NOW is 2026-11-25 12:00 UTC: 13:00 in Berlin (CET)
    expect(html).toContain(`<time datetime="${new Date(NOW).toISOString()}">2026-11-25 13:00 GMT+1</time>`);
    const times = shown(html);
    expect(times.length).toBeGreaterThan(3);
    for (const [iso, text] of times) {
      // the wall time minus Berlin's offset (CET +1, CEST +2) is the instant, to the minute
      const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}) GMT\+([12])$/.exec(text!);
      expect(m, text).not.toBeNull();
      const [y, mo, d, h, mi, off] = m!.slice(1).map(Number) as [number, number, number, number, number, number];
      expect(Date.UTC(y, mo - 1, d, h - off, mi), `${iso} shown as ${text}`).toBe(
        Math.floor(Date.parse(iso!) / 60_000) * 60_000,
      );
    }
    // the zone picker offers the configured zone (the default, no tz in links), UTC and the reps' zones
    expect(html).toContain('<option value="" selected>Europe/Berlin (default)</option>');
    expect(html).toContain('<option value="UTC">UTC</option>');
  });

  it("shows a rep's away-until time (set in Slack) in the page's zone", async () => {
    // 2026-11-26 17:30 UTC is 18:30 in Berlin and 12:30 in New York.
    await store.setRepStatus('chloe', {
      awayUntil: Date.UTC(2026, 10, 26, 17, 30),
      since: NOW - 3_600_000,
      note: null,
    });
    try {
      expect(await page('window=7d')).toMatch(/data-rep="chloe">[\s\S]*?away until 2026-11-26 18:30 GMT\+1</);
      expect(await page('window=7d&tz=America/New_York')).toMatch(
        /data-rep="chloe">[\s\S]*?away until 2026-11-26 12:30 EST</,
      );
    } finally {
      await store.setRepStatus('chloe', null);
    }
  });

  it('renders them in ?tz= when it is a valid zone, and keeps it in the share and CSV links', async () => {
    const html = await page('window=7d&tz=America/New_York');
    expect(html).toContain('Times in <span data-metric="timezone">America/New_York</span> (chosen with ?tz=).');
    expect(html).toContain(`<time datetime="${new Date(NOW).toISOString()}">2026-11-25 07:00 EST</time>`);
    expect(html).toContain('id="share-link">dashboard?window=7d&amp;tz=America%2FNew_York</a>');
    expect(html).toContain('href="dashboard.csv?window=7d&amp;tz=America%2FNew_York"');
    expect(html).toContain('<option value="America/New_York" selected>America/New_York</option>');
  });

  it('falls back to the configured zone, with a notice, for a ?tz= that is no zone', async () => {
    const html = await page(`window=7d&tz=${encodeURIComponent('Mars/<b>Olympus</b>')}`);
    expect(html).toContain(
      '<p class="notice" role="status">The time zone &quot;Mars/&lt;b&gt;Olympus&lt;/b&gt;&quot; is not an IANA zone name (such as Europe/Berlin or America/New_York); times are shown in Europe/Berlin.</p>',
    );
    expect(html).toContain('Times in <span data-metric="timezone">Europe/Berlin</span>');
    expect(html).not.toContain('<b>Olympus');
  });

  it('stays in UTC without a configured zone', async () => {
    const html = await (await get('/dashboard?window=7d', auth)).text();
    expect(html).toContain('Times in <span data-metric="timezone">UTC</span> (the configured alerts.timezone).');
    expect(html).toContain(`<time datetime="${new Date(NOW).toISOString()}">2026-11-25 12:00 UTC</time>`);
  });
});
