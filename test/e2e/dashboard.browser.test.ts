// The dashboard in a real browser: Debian's Chromium driven by playwright-core against a small HTTP
// server (startHttpServer + the dashboard handlers) over a seeded SQLite file. The numbers shown must
// equal `handoff stats --json` for the same window and filters; filters change through the form; the
// CSV downloads; a lead named <script>alert(1)</script> renders as text; no token → 401 without data.
// Full-page screenshots at 1280×800 and 390×844 go to test/artifacts/ (git-ignored).
//
// Without Chromium this file fails (it does not skip) unless HANDOFF_SKIP_BROWSER=1 is set.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerStatsCommand } from '../../src/cli/commands/stats.js';
import { formatPercent, shortDuration, weekStart, WEEK } from '../../src/domain/metrics.js';
import { createDashboardHandler } from '../../src/http/dashboard.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/ports/logger.js';
import { openStore, type SqlStore } from '../../src/store/index.js';
import {
  NOW,
  REPS,
  XSS_NAME,
  cliConfig,
  dashboardOptions,
  readCsvDownload,
  seedDashboard,
} from '../helpers/dashboard-seed.js';
import { runCli } from '../helpers/cli.js';

const CHROMIUM = process.env.HANDOFF_CHROMIUM ?? '/usr/bin/chromium';
const SKIP = process.env.HANDOFF_SKIP_BROWSER === '1';
const TOKEN = 'browser-test-token';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

if (SKIP) console.warn('\n*** dashboard browser test SKIPPED: HANDOFF_SKIP_BROWSER=1 ***\n');

interface StatsJson {
  total: Record<string, any>;
  groups: (Record<string, any> & { key: string })[];
}

describe.skipIf(SKIP)('dashboard in Chromium', () => {
  let dir: string;
  let store: SqlStore;
  let server: HttpServer;
  let browser: Browser;
  const dialogs: string[] = [];
  /** Console errors and page errors (a CSP violation shows up here). */
  const problems: string[] = [];

  async function stats(args: string[]): Promise<StatsJson> {
    const r = await runCli(
      (program, io) => registerStatsCommand(program, io, () => NOW),
      ['stats', '--until', new Date(NOW).toISOString(), '--json', '-c', 'handoff.yaml', ...args],
      { cwd: dir },
    );
    if (r.code !== 0) throw new Error(`handoff stats failed (${r.code}): ${r.err}`);
    return JSON.parse(r.out) as StatsJson;
  }

  async function signedIn(
    viewport: { width: number; height: number },
    mobile = false,
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport,
      isMobile: mobile,
      hasTouch: mobile,
      deviceScaleFactor: 1,
      acceptDownloads: true,
    });
    const page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    const res = await page.goto(`${server.url}/dashboard?window=30d&token=${TOKEN}`);
    expect(res?.status()).toBe(200);
    return { context, page };
  }

  const metric = (page: Page, name: string) => page.locator(`[data-metric="${name}"]`).first().innerText();

  async function expectHeadline(page: Page, total: Record<string, any>): Promise<void> {
    expect(await metric(page, 'mqls')).toBe(String(total.mqls));
    expect(await metric(page, 'sals')).toBe(String(total.sals));
    expect(await metric(page, 'conversion')).toBe(formatPercent(total.conversionPercent));
    expect(await metric(page, 'rejected')).toBe(String(total.rejected));
    expect(await metric(page, 'rejected-percent')).toBe(formatPercent(total.rejectedPercent));
    expect(await metric(page, 'recycled')).toBe(String(total.recycled));
    expect(await metric(page, 'pending')).toBe(String(total.pending));
    expect(await metric(page, 'withdrawn')).toBe(String(total.withdrawn));
    expect(await metric(page, 'imported')).toBe(String(total.imported));
    expect(await metric(page, 'speed-p50')).toBe(shortDuration(total.speedToLead.p50Ms));
    expect(await metric(page, 'speed-p90')).toBe(shortDuration(total.speedToLead.p90Ms));
    expect(await metric(page, 'speed-count')).toBe(String(total.speedToLead.count));
    expect(await metric(page, 'sla')).toBe(formatPercent(total.sla.compliancePercent));
    expect(await metric(page, 'sla-on-time')).toBe(String(total.sla.onTime));
    expect(await metric(page, 'sla-ended')).toBe(String(total.sla.ended));
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: the dashboard browser test cannot run. Install Debian's chromium package (.ci/run does), point HANDOFF_CHROMIUM at a Chromium binary, or set HANDOFF_SKIP_BROWSER=1 to skip it on purpose.`,
      );
    }
    await mkdir(ARTIFACTS, { recursive: true });
    dir = await mkdtemp(path.join(tmpdir(), 'handoff-dashboard-'));
    await writeFile(path.join(dir, 'handoff.yaml'), cliConfig('sqlite:./handoff.db'));
    store = await openStore('sqlite:./handoff.db', { cwd: dir });
    await store.migrate();
    await seedDashboard(store);
    const dashboard = createDashboardHandler(dashboardOptions(store, { token: TOKEN, timezone: 'Europe/Berlin' }));
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger,
      routes: dashboard.routes,
      readiness: async () => [],
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a browser without the token: 401 and no data', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    for (const url of [
      `${server.url}/dashboard`,
      `${server.url}/dashboard?token=wrong`,
      `${server.url}/dashboard.csv?window=30d`,
    ]) {
      const res = await page.goto(url).catch(() => null);
      if (res === null) continue; // a refused download navigation has no page; checked over HTTP below
      expect(res.status(), url).toBe(401);
      const text = await page.locator('body').innerText();
      expect(text).toContain('Token needed');
      for (const leak of ['Alice', 'MQL', 'Lead', '@', XSS_NAME]) expect(text).not.toContain(leak);
    }
    const csv = await fetch(`${server.url}/dashboard.csv?window=30d`, { headers: { authorization: 'Bearer wrong' } });
    expect(csv.status).toBe(401);
    expect(await csv.text()).not.toContain('handoff_id');
    expect(await context.cookies()).toEqual([]);
    await context.close();
  }, 60_000);

  it('signs in once with ?token=, shows the numbers of handoff stats, and renders hostile names as text', async () => {
    const { context, page } = await signedIn({ width: 1280, height: 800 });
    expect(page.url()).toBe(`${server.url}/dashboard?window=30d`);
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'handoff_dashboard', httpOnly: true, sameSite: 'Strict' });
    expect(cookies[0]!.value).not.toContain(TOKEN);

    const s = await stats(['--since', '30d']);
    expect(s.total.mqls).toBeGreaterThan(20);
    await expectHeadline(page, s.total);

    // Per-rep table = stats --by rep.
    const byRep = await stats(['--since', '30d', '--by', 'rep']);
    for (const rep of REPS) {
      const row = page.locator(`tr[data-rep="${rep.id}"]`);
      const g = byRep.groups.find((x) => x.key === rep.id);
      const cell = (col: string) => row.locator(`[data-col="${col}"]`).innerText();
      expect(await cell('offers'), rep.id).toBe(String(g?.sla.ended ?? 0));
      expect(await cell('accepted'), rep.id).toBe(String(g?.sals ?? 0));
      expect(await cell('rejected'), rep.id).toBe(String(g?.rejected ?? 0));
      expect(await cell('timeouts'), rep.id).toBe(String(g?.timeouts ?? 0));
      expect(await cell('response'), rep.id).toBe(g ? shortDuration(g.responseTime.p50Ms) : '–');
      if (g && g.sla.ended > 0)
        expect(await cell('sla'), rep.id).toBe(
          `${formatPercent(g.sla.compliancePercent)} (${g.sla.onTime}/${g.sla.ended})`,
        );
    }
    expect(await page.locator('tr[data-rep="bruno"] [data-col="status"]').innerText()).toBe('away until back');

    // Rejection reasons = stats total.rejectedByReason.
    for (const r of s.total.rejectedByReason as { id: string; label: string; count: number; percentOfMqls: number }[]) {
      const cells = await page.locator(`tr[data-reason="${r.id}"] td`).allTextContents();
      expect(cells).toEqual([r.label, String(r.count), formatPercent(r.percentOfMqls)]);
    }

    // Weekly MQL→SAL = stats --by week over the 12 weeks.
    const since = weekStart(NOW) - 11 * WEEK;
    const weekly = await stats(['--since', new Date(since).toISOString(), '--by', 'week']);
    expect(await page.locator('tr[data-week]').count()).toBe(12);
    for (const g of weekly.groups) {
      const cells = await page.locator(`tr[data-week="${g.key}"] td`).allTextContents();
      expect(cells.slice(1), g.key).toEqual([String(g.mqls), String(g.sals), formatPercent(g.conversionPercent)]);
    }

    // The hostile lead is in the backlog as text; no dialog ever opened; ours is the only script.
    const hostile = page.locator('#backlog-table .lead', { hasText: XSS_NAME });
    await expect.poll(() => hostile.count()).toBe(1);
    expect(await hostile.innerText()).toBe(XSS_NAME);
    expect(await page.evaluate<number>('document.scripts.length')).toBe(1);
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(await page.locator('[data-alert="backlog"]').innerText()).toContain('Backlog: open hand-offs over <20>');
    await context.close();
  }, 90_000);

  it('changes filters, keeps them in a shareable link, and downloads the filtered CSV', async () => {
    const { context, page } = await signedIn({ width: 1280, height: 800 });
    // A change applies at once (progressive enhancement); the form also works with its button.
    await Promise.all([page.waitForURL(/team=emea/), page.selectOption('select[name="team"]', 'emea')]);
    expect(page.url()).toBe(`${server.url}/dashboard?window=30d&team=emea`);
    await expectHeadline(page, (await stats(['--since', '30d', '--team', 'emea'])).total);
    expect(
      await page.locator('tr[data-rep]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rep'))),
    ).toEqual(['alice', 'bruno', 'chloe']);

    await page.selectOption('select[name="window"]', '90d', { noWaitAfter: true }).catch(() => undefined);
    await page.waitForURL(/window=90d/);
    await Promise.all([
      page.waitForURL(/source=PAID_SEARCH/),
      page.selectOption('select[name="source"]', 'PAID_SEARCH'),
    ]);
    const filtered = await stats(['--since', '90d', '--team', 'emea', '--source', 'PAID_SEARCH']);
    await expectHeadline(page, filtered.total);
    const share = await page.locator('#share-link').getAttribute('href');
    expect(share).toBe('dashboard?window=90d&team=emea&source=PAID_SEARCH');

    // Without JavaScript the button applies the form just the same.
    const nojs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } });
    await nojs.addCookies(await context.cookies());
    const plain = await nojs.newPage();
    await plain.goto(`${server.url}/${share}`);
    await plain.check('input[name="hot"]');
    await Promise.all([plain.waitForURL(/hot=1/), plain.click('button[type="submit"]')]);
    await expectHeadline(
      plain,
      (await stats(['--since', '90d', '--team', 'emea', '--source', 'PAID_SEARCH', '--hot'])).total,
    );
    await nojs.close();

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-link')]);
    expect(download.suggestedFilename()).toBe('handoff_2026-11-25_90d_emea_PAID_SEARCH.csv');
    const file = path.join(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(file);
    const csv = readCsvDownload(await readFile(file));
    expect(csv.header.slice(0, 3)).toEqual(['handoff_id', 'source_system', 'external_id']);
    expect(csv.rows).toHaveLength(filtered.total.mqls);
    for (const row of csv.rows) expect([row.team, row.source]).toEqual(['emea', 'PAID_SEARCH']);
    await context.close();
  }, 90_000);

  it('shows times in alerts.timezone, and in the zone picked in the form', async () => {
    const { context, page } = await signedIn({ width: 1280, height: 800 });
    expect(await metric(page, 'timezone')).toBe('Europe/Berlin');
    const generated = page.locator('footer time');
    // NOW is 2026-11-25 12:00 UTC: 13:00 in Berlin
    expect(await generated.getAttribute('datetime')).toBe(new Date(NOW).toISOString());
    expect(await generated.innerText()).toBe('2026-11-25 13:00 GMT+1');
    await Promise.all([page.waitForURL(/tz=UTC/), page.selectOption('select[name="tz"]', 'UTC')]);
    expect(page.url()).toBe(`${server.url}/dashboard?window=30d&tz=UTC`);
    expect(await metric(page, 'timezone')).toBe('UTC');
    expect(await page.locator('header .sub').innerText()).toContain('Times in UTC (chosen with ?tz=).');
    expect(await page.locator('footer time').innerText()).toBe('2026-11-25 12:00 UTC');
    // back to the default: the parameter leaves the URL
    await Promise.all([page.waitForURL((u) => !u.search.includes('tz=')), page.selectOption('select[name="tz"]', '')]);
    expect(await metric(page, 'timezone')).toBe('Europe/Berlin');
    await context.close();
  }, 90_000);

  it('loads in one request under 200 KB; full-page screenshots at 1280×800 and 390×844', async () => {
    const figures: Record<string, unknown> = {};
    for (const [name, viewport, mobile] of [
      ['1280x800', { width: 1280, height: 800 }, false],
      ['390x844', { width: 390, height: 844 }, true],
    ] as const) {
      const { context, page } = await signedIn(viewport, mobile);
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const res = await page.reload();
      await page.waitForLoadState('load');
      const body = await res!.body();
      expect(requests).toEqual([`${server.url}/dashboard?window=30d`]);
      expect(body.length).toBeLessThan(200 * 1024);
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow, `horizontal overflow at ${name}`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
      figures[name] = {
        bytes: body.length,
        requests: requests.length,
        pageHeight: await page.evaluate<number>('document.documentElement.scrollHeight'),
      };
      await context.close();
    }
    await writeFile(path.join(ARTIFACTS, 'dashboard-weight.json'), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`dashboard page weight: ${JSON.stringify(figures)}`);
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
  }, 90_000);
});
