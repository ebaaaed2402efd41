// The view helpers: escaping template, SVG charts, filter parsing and access decisions.
import { describe, expect, it } from 'vitest';
import { bucketIndex, histogram, SPEED_EDGES } from '../../src/domain/metrics.js';
import { parseFilters, decideAccess, sessionValue } from '../../src/http/dashboard.js';
import { barChart, bucketPosition, histogramChart, weeklyChart } from '../../src/http/views/charts.js';
import { filterQuery, zonedTime } from '../../src/http/views/dashboard-page.js';
import { escapeHtml } from '../../src/domain/escape-html.js';
import { html, join, trusted } from '../../src/http/views/html.js';

const M = 60_000;

describe('html template', () => {
  it('escapes interpolated text, including quotes and backticks', () => {
    const name = `<script>alert("x")</script>'\``;
    expect(html`<td title="${name}">${name}</td>`.text).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&#96;</td>',
    );
  });

  it('passes nested markup through once and escapes strings inside arrays', () => {
    const inner = html`<b>${'a&b'}</b>`;
    expect(html`<p>${inner}${['<i>', html`<i>ok</i>`]}</p>`.text).toBe('<p><b>a&amp;b</b>&lt;i&gt;<i>ok</i></p>');
    expect(join(['<x>', html`<br>`], ' & ').text).toBe('&lt;x&gt; &amp; <br>');
    expect(html`${null}${undefined}${false}${0}`.text).toBe('0');
    expect(trusted('<style>a{}</style>').text).toBe('<style>a{}</style>');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });

  it('does not treat look-alike objects as markup', () => {
    const fake = { text: '<script>' } as unknown as string;
    expect(html`${fake}`.text).toBe('[object Object]');
  });
});

describe('charts', () => {
  it('draws bars proportional to their values with the numbers as text', () => {
    const svg = barChart('b', 'T', [
      { label: 'MQLs', value: 40, valueText: '40' },
      { label: 'SALs <b>', value: 10, valueText: '10 · 25.0%' },
    ]).text;
    const widths = [...svg.matchAll(/<rect class="bar" x="0" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[1]! / widths[0]!).toBeCloseTo(0.25, 2);
    expect(svg).toContain('>10 · 25.0%</text>');
    expect(svg).toContain('SALs &lt;b&gt;');
    expect(svg).toContain('<title id="b-t">T</title>');
  });

  it('says so when there is nothing to draw', () => {
    expect(barChart('b', 'T', [], { empty: 'No rejections.' }).text).toBe('<p class="empty">No rejections.</p>');
  });

  it('buckets speed-to-lead values and places markers inside their bucket', () => {
    expect(bucketIndex(SPEED_EDGES, 0)).toBe(0);
    expect(bucketIndex(SPEED_EDGES, 5 * M - 1)).toBe(0);
    expect(bucketIndex(SPEED_EDGES, 5 * M)).toBe(1);
    expect(bucketIndex(SPEED_EDGES, 10 * 24 * 60 * M)).toBe(9);
    expect(bucketPosition(SPEED_EDGES, 10 * M)).toBeCloseTo(1.5, 5);
    expect(bucketPosition(SPEED_EDGES, 100 * 24 * 60 * M)).toBe(9.5);
    expect(histogram([1 * M, 2 * M, 45 * M, 45 * M, 45 * M]).counts).toEqual([2, 0, 0, 3, 0, 0, 0, 0, 0, 0]);
  });

  it('labels p50 and p90 with names and draws p90 dashed', () => {
    const svg = histogramChart('s', 'T', histogram([3 * M, 40 * M]), [
      { name: 'p50', value: 3 * M, text: '3m 00s' },
      { name: 'p90', value: 40 * M, text: '40m 00s', dashed: true },
    ]).text;
    expect(svg).toContain('>p50 3m 00s</text>');
    expect(svg).toContain('>p90 40m 00s</text>');
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(1);
  });

  it('draws weeks without MQLs as a dash, not as 0 %', () => {
    const svg = weeklyChart('w', 'T', [
      { start: Date.UTC(2026, 10, 2), mqls: 4, sals: 1, percent: 25, partial: false },
      { start: Date.UTC(2026, 10, 9), mqls: 0, sals: 0, percent: null, partial: true },
    ]).text;
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(1);
    expect(svg).toContain('>–</text>');
    expect(svg).toContain('week of 9 Nov (so far): no MQLs');
  });
});

describe('filters', () => {
  it('parses window, team, source, campaign and hot, and builds the canonical query', () => {
    const p = parseFilters(new URLSearchParams('window=7d&team=emea&source=PAID+SEARCH&campaign=&hot=on&token=x'));
    expect(p.state).toEqual({
      window: '7d',
      team: 'emea',
      source: 'PAID SEARCH',
      campaign: null,
      hot: true,
      tz: null,
    });
    expect(p.filter).toEqual({ team: 'emea', source: 'PAID SEARCH', hot: true });
    expect(p.windowMs).toBe(7 * 24 * 60 * M);
    expect(p.notices).toEqual([]);
    expect(filterQuery(p.state)).toBe('window=7d&team=emea&source=PAID+SEARCH&hot=1');
  });

  it('falls back to the default window with a notice for a bad one', () => {
    for (const bad of ['banana', '5m', '999d']) {
      const p = parseFilters(new URLSearchParams({ window: bad }));
      expect(p.state.window).toBe('30d');
      expect(p.notices[0]).toContain('not a duration between 1h and 400d');
    }
    expect(parseFilters(new URLSearchParams({ source: 'x'.repeat(201) })).notices[0]).toContain('longer than 200');
  });

  it('takes ?tz= when it names an IANA zone, spelled the way the runtime spells it, and keeps it in links', () => {
    const p = parseFilters(new URLSearchParams('window=7d&tz=america/new_york'), '30d', 'Europe/Berlin');
    expect(p.timezone).toEqual({ zone: 'America/New_York', origin: 'query' });
    expect(p.notices).toEqual([]);
    expect(filterQuery(p.state)).toBe('window=7d&tz=America%2FNew_York');
    // no ?tz=, or the configured zone itself: the configured zone, and no tz in links
    for (const q of ['window=7d', 'window=7d&tz=', 'window=7d&tz=Europe/Berlin']) {
      const d = parseFilters(new URLSearchParams(q), '30d', 'Europe/Berlin');
      expect(d.timezone, q).toEqual({ zone: 'Europe/Berlin', origin: 'config' });
      expect(filterQuery(d.state), q).toBe('window=7d');
    }
  });

  it('shows the configured zone with a notice for a ?tz= that is not an IANA zone', () => {
    for (const bad of ['Mars/Olympus', 'CEST+2', '<script>', 'x'.repeat(80)]) {
      const p = parseFilters(new URLSearchParams({ tz: bad }), '30d', 'Europe/Berlin');
      expect(p.timezone, bad).toEqual({ zone: 'Europe/Berlin', origin: 'config' });
      expect(p.state.tz).toBeNull();
      expect(p.notices[0]).toContain('is not an IANA zone name (such as Europe/Berlin or America/New_York)');
      expect(p.notices[0]).toContain('times are shown in Europe/Berlin');
    }
  });
});

describe('times in a zone', () => {
  it('renders wall time with the zone short name, UTC as before', () => {
    const winter = Date.UTC(2026, 11, 7, 8, 5);
    const summer = Date.UTC(2026, 6, 7, 8, 5);
    expect(zonedTime(winter, 'UTC')).toBe('2026-12-07 08:05 UTC');
    expect(zonedTime(winter, 'America/New_York')).toBe('2026-12-07 03:05 EST');
    expect(zonedTime(summer, 'America/New_York')).toBe('2026-07-07 04:05 EDT');
    // a day boundary, and a zone the runtime names by its offset
    expect(zonedTime(Date.UTC(2026, 11, 7, 23, 30), 'Asia/Tokyo')).toBe('2026-12-08 08:30 GMT+9');
    expect(zonedTime(winter, 'Asia/Kolkata')).toBe('2026-12-07 13:35 GMT+5:30');
  });
});

describe('access decisions', () => {
  const url = (s: string) => new URL(s, 'http://h');
  it('accepts the header, the session cookie and a one-time ?token=, nothing else', () => {
    expect(decideAccess('t0k', url('/dashboard'), { authorization: 'Bearer t0k' }, false)).toEqual({ kind: 'allow' });
    expect(decideAccess('t0k', url('/dashboard'), { authorization: 'bearer  t0k ' }, false)).toEqual({ kind: 'allow' });
    expect(
      decideAccess('t0k', url('/dashboard'), { cookie: `a=b; handoff_dashboard=${sessionValue('t0k')}` }, false),
    ).toEqual({ kind: 'allow' });
    expect(
      decideAccess('t0k', url('/dashboard'), { cookie: `handoff_dashboard=${sessionValue('other')}` }, false),
    ).toEqual({ kind: 'deny', why: 'stale_cookie' });
    expect(decideAccess('t0k', url('/dashboard'), { authorization: 'Bearer t0k2' }, false)).toEqual({
      kind: 'deny',
      why: 'wrong_header',
    });
    expect(decideAccess('t0k', url('/dashboard'), {}, false)).toEqual({ kind: 'deny', why: 'missing' });
    expect(decideAccess('t0k', url('/dashboard?token=t0'), {}, false)).toEqual({ kind: 'deny', why: 'wrong_token' });
    const login = decideAccess('t0k', url('/x/dashboard.csv?token=t0k&window=7d'), {}, true);
    expect(login).toMatchObject({ kind: 'login', location: 'dashboard.csv?window=7d' });
    expect(login.kind === 'login' && login.cookie).toMatch(
      /; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/,
    );
  });
});
