// The dashboard page: a view model in, one self-contained HTML document out (inline CSS and SVG, a
// nonce'd script of a few lines that only makes the filters apply on change; everything works without
// it). All outside text goes through the escaping `html` template.
import { formatPercent, shortDuration } from '../../domain/metrics.js';
import type { BacklogRow, BreakdownRow, DashboardData } from '../../app/dashboard-view.js';
import type { Millis } from '../../domain/model.js';
import { barChart, histogramChart, weekLabel, weeklyChart } from './charts.js';
import { html, join, trusted, type HtmlValue, type SafeHtml } from './html.js';
import { DASHBOARD_CSS } from './styles.js';

export interface FilterState {
  window: string;
  team: string | null;
  source: string | null;
  campaign: string | null;
  hot: boolean;
  /** `?tz=`: the IANA zone times are shown in; null = the dashboard's zone (alerts.timezone). */
  tz: string | null;
}

/** The zone the page shows times in, and where that choice came from. */
export interface ZoneChoice {
  zone: string;
  origin: 'config' | 'query';
}

/** The page's view: the data of src/app/dashboard-view.ts plus what the request chose. */
export interface DashboardView extends DashboardData {
  filters: FilterState;
  windows: { value: string; label: string }[];
  notices: string[];
  /** Relative links: this view (shareable, no token) and its CSV. */
  links: { self: string; csv: string };
  nonce: string;
  timezone: ZoneChoice;
  /** Zones offered in the form: the configured one, UTC and the reps' zones. */
  zones: string[];
}

/** The canonical query of a filter state (shareable; never carries the token). */
export function filterQuery(f: FilterState): string {
  const q = new URLSearchParams();
  q.set('window', f.window);
  if (f.team !== null) q.set('team', f.team);
  if (f.source !== null) q.set('source', f.source);
  if (f.campaign !== null) q.set('campaign', f.campaign);
  if (f.hot) q.set('hot', '1');
  if (f.tz !== null) q.set('tz', f.tz);
  return q.toString();
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "2026-11-12 09:05 UTC". */
export function utcTime(at: Millis): string {
  const d = new Date(at);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * "2026-11-12 10:05 CET": the wall time in `zone` (a valid IANA name) with the zone's short name as
 * the runtime knows it (CET/CEST, EST, or GMT+4 where the zone has no abbreviation).
 */
export function zonedTime(at: Millis, zone: string): string {
  if (zone === 'UTC') return utcTime(at);
  let f = zoneFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    });
    zoneFormatters.set(zone, f);
  }
  const part: Record<string, string> = {};
  for (const p of f.formatToParts(at)) part[p.type] = p.value;
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute} ${part.timeZoneName ?? zone}`;
}

/** A time of the page, shown in the page's zone (machine-readable UTC in `datetime`). */
function time(v: Pick<DashboardView, 'timezone'>, at: Millis): SafeHtml {
  return html`<time datetime="${new Date(at).toISOString()}">${zonedTime(at, v.timezone.zone)}</time>`;
}

function options(values: readonly { value: string; label: string }[], selected: string | null): SafeHtml {
  return join(
    values.map(
      (o) => html`<option value="${o.value}"${o.value === (selected ?? '') ? html` selected` : ''}>${o.label}</option>`,
    ),
  );
}

function filtersForm(v: DashboardView): SafeHtml {
  const f = v.filters;
  const withSelected = (list: string[], current: string | null) =>
    current !== null && !list.includes(current) ? [current, ...list] : list;
  return html`<form class="filters" method="get" action="dashboard" id="filters">
<label>Window (MQL time)<select name="window">${options(v.windows, f.window)}</select></label>
<label>Team<select name="team">${options([{ value: '', label: 'All teams' }, ...v.options.teams.map((t) => ({ value: t.id, label: t.label }))], f.team)}</select></label>
<label>Source<select name="source">${options([{ value: '', label: 'All sources' }, ...withSelected(v.options.sources, f.source).map((s) => ({ value: s, label: s }))], f.source)}</select></label>
<label>Campaign<select name="campaign">${options([{ value: '', label: 'All campaigns' }, ...withSelected(v.options.campaigns, f.campaign).map((s) => ({ value: s, label: s }))], f.campaign)}</select></label>
<label class="check"><input type="checkbox" name="hot" value="1"${f.hot ? html` checked` : ''}> Hot leads only</label>
<label>Time zone<select name="tz">${options(
    v.zones.map((z, i) => ({ value: i === 0 ? '' : z, label: i === 0 ? `${z} (default)` : z })),
    f.tz ?? '',
  )}</select></label>
<button type="submit">Apply filters</button>
<a href="dashboard">Reset</a>
</form>`;
}

/** Which zone the page's times are in, and why. */
function zoneNote(z: ZoneChoice): SafeHtml {
  const why = z.origin === 'query' ? 'chosen with ?tz=' : 'the configured alerts.timezone';
  return html`Times in <span data-metric="timezone">${z.zone}</span> (${why}).`;
}

function metric(name: string, value: HtmlValue): SafeHtml {
  return html`<span data-metric="${name}">${value}</span>`;
}

function tiles(v: DashboardView): SafeHtml {
  const t = v.total;
  const tile = (k: string, value: SafeHtml, note: HtmlValue) =>
    html`<div class="tile"><div class="k">${k}</div><div class="v">${value}</div><div class="n">${note}</div></div>`;
  return html`<section class="tiles" aria-label="Headline numbers">
${tile('MQL→SAL', metric('conversion', formatPercent(t.conversionPercent)), html`${metric('sals', t.sals)} SALs of ${metric('mqls', t.mqls)} MQLs`)}
${tile('Rejected', metric('rejected', t.rejected), html`${metric('rejected-percent', formatPercent(t.rejectedPercent))} of MQLs · ${metric('recycled', t.recycled)} back to nurture`)}
${tile('Pending', metric('pending', t.pending), html`${metric('withdrawn', t.withdrawn)} withdrawn · ${metric('imported', t.imported)} imported`)}
${tile('Speed-to-lead p50', metric('speed-p50', shortDuration(t.speedToLead.p50Ms)), html`p90 ${metric('speed-p90', shortDuration(t.speedToLead.p90Ms))} · MQL → accept`)}
${tile('SLA compliance', metric('sla', formatPercent(t.sla.compliancePercent)), html`${metric('sla-on-time', t.sla.onTime)} of ${metric('sla-ended', t.sla.ended)} offers decided in time`)}
${tile('Open now', metric('backlog-open', v.backlog.summary.open), html`${v.backlog.summary.byState.escalated} escalated · all teams`)}
</section>`;
}

function funnelPanel(v: DashboardView): SafeHtml {
  const t = v.total;
  const share = (n: number) => (t.mqls > 0 ? ` · ${formatPercent(Math.round((1000 * n) / t.mqls) / 10)}` : '');
  const rows = [
    { label: 'MQLs', value: t.mqls, valueText: `${t.mqls}`, strong: true },
    { label: 'Accepted (SAL)', value: t.sals, valueText: `${t.sals}${share(t.sals)}` },
    { label: 'Rejected', value: t.rejected, valueText: `${t.rejected}${share(t.rejected)}` },
    { label: 'Pending (open)', value: t.pending, valueText: `${t.pending}${share(t.pending)}` },
    { label: 'Withdrawn', value: t.withdrawn, valueText: `${t.withdrawn}${share(t.withdrawn)}` },
    { label: 'Escalated at some point', value: t.escalated, valueText: `${t.escalated}${share(t.escalated)}` },
  ];
  return html`<section class="panel" aria-labelledby="funnel-h"><h2 id="funnel-h">Funnel</h2>
${barChart('funnel', 'Funnel of the MQLs of the window', rows, { empty: 'No MQLs in this window for these filters.' })}
<p class="note">Percentages are of all MQLs of the window. Accepted, rejected, pending and withdrawn add up to the MQLs; escalated overlaps them.</p></section>`;
}

function weeklyPanel(v: DashboardView): SafeHtml {
  const rows = v.weeks.map(
    (w) =>
      html`<tr data-week="${new Date(w.start).toISOString().slice(0, 10)}"><td>${weekLabel(w.start)}${w.partial ? ' (so far)' : ''}</td><td class="num">${w.mqls}</td><td class="num">${w.sals}</td><td class="num">${formatPercent(w.percent)}</td></tr>`,
  );
  return html`<section class="panel" aria-labelledby="weekly-h"><h2 id="weekly-h">MQL→SAL % by week</h2>
<p class="sub">Last 12 weeks (Monday to Sunday, UTC), same team, source, campaign and hot filters; the number above a column is the percentage; a dashed column is the current week so far; – means no MQLs.</p>
${weeklyChart('weekly', 'MQL to SAL percentage per week, last 12 weeks', v.weeks)}
<details><summary>Weekly numbers</summary><div class="table-wrap"><table><thead><tr><th>Week of</th><th class="num">MQLs</th><th class="num">SALs</th><th class="num">MQL→SAL</th></tr></thead><tbody>${rows}</tbody></table></div></details></section>`;
}

function breakdownTable(kind: 'source' | 'campaign', rows: readonly BreakdownRow[], filters: FilterState): SafeHtml {
  if (rows.length === 0) return html``;
  const selected = filters[kind];
  const body = rows.map((r) => {
    const n = r.numbers;
    const top = n.rejectedByReason[0];
    const key =
      r.key === selected
        ? html`${r.key} <span class="small">(filtered)</span>`
        : html`<a href="dashboard?${filterQuery({ ...filters, [kind]: r.key })}">${r.key}</a>`;
    return html`<tr data-${kind}="${r.key}"${r.key === selected ? html` class="selected"` : ''}><td>${key}</td><td class="num">${n.mqls}</td><td class="num">${n.rejected}</td><td class="num">${formatPercent(n.rejectedPercent)}</td><td>${top ? `${top.label} (${top.count})` : '–'}</td></tr>`;
  });
  const title = kind === 'source' ? 'Source' : 'Campaign';
  return html`<div class="table-wrap"><table class="breakdown"><caption>Rejections by ${kind}</caption><thead><tr><th>${title}</th><th class="num">MQLs</th><th class="num">Rejected</th><th class="num">% rejected</th><th>Top reason</th></tr></thead><tbody>${body}</tbody></table></div>`;
}

function reasonsPanel(v: DashboardView): SafeHtml {
  const t = v.total;
  const rows = t.rejectedByReason.map((r) => ({
    label: r.label,
    value: r.count,
    valueText: `${r.count} · ${formatPercent(r.percentOfMqls)} of MQLs`,
  }));
  const scope = [
    v.filters.source ? `source ${v.filters.source}` : 'all sources',
    v.filters.campaign ? `campaign ${v.filters.campaign}` : 'all campaigns',
  ].join(', ');
  const table = t.rejectedByReason.map(
    (r) =>
      html`<tr data-reason="${r.id}"><td>${r.label}</td><td class="num">${r.count}</td><td class="num">${formatPercent(r.percentOfMqls)}</td></tr>`,
  );
  return html`<section class="panel" aria-labelledby="reasons-h"><h2 id="reasons-h">Rejection reasons</h2>
<p class="sub">${t.rejected} rejected (${scope}). Use the source and campaign filters above to narrow it down.</p>
${barChart('reasons', 'Rejected hand-offs by reason', rows, { empty: 'No rejections for these filters.' })}
${t.rejectedByReason.length ? html`<details><summary>Reason numbers</summary><div class="table-wrap"><table><thead><tr><th>Reason</th><th class="num">Rejected</th><th class="num">% of MQLs</th></tr></thead><tbody>${table}</tbody></table></div></details>` : ''}
<details${v.filters.source || v.filters.campaign ? html` open` : ''}><summary>Rejections by source and by campaign</summary><p class="note">All sources and campaigns of the window (the largest 12 of each), with the team and hot filters applied. A name filters the dashboard by it.</p>
${breakdownTable('source', v.breakdown.sources, v.filters)}
${breakdownTable('campaign', v.breakdown.campaigns, v.filters)}</details></section>`;
}

function speedPanel(v: DashboardView): SafeHtml {
  const s = v.total.speedToLead;
  const markers = [
    ...(s.p50Ms !== null ? [{ name: 'p50', value: s.p50Ms, text: shortDuration(s.p50Ms) }] : []),
    ...(s.p90Ms !== null ? [{ name: 'p90', value: s.p90Ms, text: shortDuration(s.p90Ms), dashed: true }] : []),
  ];
  const h = v.speed.histogram;
  const chart =
    s.count === 0
      ? html`<p class="empty">No accepted live hand-offs in this window for these filters.</p>`
      : histogramChart('speed', 'Speed-to-lead distribution (MQL to accept)', h, markers);
  const rows = h.counts.map((n, i) => html`<tr><td>${h.labels[i] ?? ''}</td><td class="num">${n}</td></tr>`);
  return html`<section class="panel" aria-labelledby="speed-h"><h2 id="speed-h">Speed-to-lead</h2>
<p class="sub">Time from MQL to accept, ${metric('speed-count', s.count)} accepted live hand-offs. p50 (solid line) ${shortDuration(s.p50Ms)}, p90 (dashed line) ${shortDuration(s.p90Ms)}. Columns count hand-offs per time range.</p>
${chart}
${v.speed.rowsSince !== null ? html`<p class="note">The columns cover the MQLs from ${time(v, v.speed.rowsSince)} on (the most recent of a very big window); p50 and p90 cover the whole window.</p>` : ''}
<details><summary>Distribution numbers</summary><div class="table-wrap"><table><thead><tr><th>MQL → accept</th><th class="num">Hand-offs</th></tr></thead><tbody>${rows}</tbody></table></div></details></section>`;
}

/**
 * The tables that turn into cards on a phone. Their column labels come from CSS (nth-child ::before),
 * not from an attribute on every cell, which keeps a long rep list or backlog light.
 */
interface CardTable {
  id: string;
  columns: readonly { label: string; num?: boolean }[];
}
const REPS_TABLE: CardTable = {
  id: 'reps-table',
  columns: [
    { label: 'Rep' },
    { label: 'Offers ended', num: true },
    { label: 'Accepted', num: true },
    { label: 'Rejected', num: true },
    { label: 'Timed out', num: true },
    { label: 'Median response', num: true },
    { label: 'SLA compliance', num: true },
    { label: 'Open offers now', num: true },
    { label: 'Status' },
  ],
};
const BACKLOG_TABLE: CardTable = {
  id: 'backlog-table',
  columns: [
    { label: 'Lead' },
    { label: 'State' },
    { label: 'Age', num: true },
    { label: 'Current rep' },
    { label: 'Deadline' },
    { label: 'Source / campaign' },
  ],
};
const ESCALATIONS_TABLE: CardTable = {
  id: 'escalations-table',
  columns: [
    { label: 'Lead' },
    { label: 'Escalated' },
    { label: 'Why' },
    { label: 'Now' },
    { label: 'Source / campaign' },
  ],
};

function thead(t: CardTable): SafeHtml {
  return html`<thead><tr>${t.columns.map((c) => html`<th>${c.label}</th>`)}</tr></thead>`;
}

function cardTableCss(t: CardTable): string {
  const cell = (i: number) => `#${t.id} td:nth-child(${i + 1})`;
  const numeric = t.columns.flatMap((c, i) => (c.num ? [`${cell(i)},#${t.id} th:nth-child(${i + 1})`] : []));
  const labels = t.columns
    .map((c, i) => (i === 0 ? '' : `${cell(i)}::before{content:${JSON.stringify(c.label)}}`))
    .join('');
  return `${numeric.length ? `${numeric.join(',')}{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}` : ''}@media (max-width:640px){${labels}}`;
}

const PAGE_CSS = DASHBOARD_CSS + [REPS_TABLE, BACKLOG_TABLE, ESCALATIONS_TABLE].map(cardTableCss).join('\n');

function badge(kind: string, text: string): SafeHtml {
  return html`<span class="badge ${kind}">${text}</span>`;
}

function repsPanel(v: DashboardView): SafeHtml {
  const dash = '–';
  const rows = v.reps.map((r) => {
    const n = r.numbers;
    const sla =
      n && n.sla.ended > 0
        ? html`${formatPercent(n.sla.compliancePercent)} <span class="small">(${n.sla.onTime}/${n.sla.ended})</span>`
        : dash;
    return html`<tr data-rep="${r.id}"><td class="first"><span class="lead">${r.name}</span></td>
<td data-col="offers"><span class="cv">${n ? n.sla.ended : 0}</span></td>
<td data-col="accepted"><span class="cv">${n ? n.sals : 0}</span></td>
<td data-col="rejected"><span class="cv">${n ? n.rejected : 0}</span></td>
<td data-col="timeouts"><span class="cv">${n ? n.timeouts : 0}</span></td>
<td data-col="response"><span class="cv">${n ? shortDuration(n.responseTime.p50Ms) : dash}</span></td>
<td data-col="sla"><span class="cv">${sla}</span></td>
<td data-col="open"><span class="cv">${r.openNow}</span></td>
<td data-col="status"><span class="cv">${badge(r.status.kind, r.status.until === undefined ? r.status.text : `${r.status.text} ${zonedTime(r.status.until, v.timezone.zone)}`)}</span></td></tr>`;
  });
  return html`<section class="panel wide" aria-labelledby="reps-h"><h2 id="reps-h">Reps</h2>
<p class="sub">Offers ended = accepted, rejected or timed out offers of the window's MQLs. Accepted and rejected count hand-offs by their last rep. Median response = offer → decision. SLA = decisions at or before the deadline / offers ended. Open offers and status are as of now.</p>
${v.reps.length === 0 ? html`<p class="empty">No reps configured.</p>` : html`<div class="table-wrap"><table class="cards" id="reps-table">${thead(REPS_TABLE)}<tbody>${rows}</tbody></table></div>`}</section>`;
}

function deadline(v: DashboardView, row: BacklogRow, now: Millis): SafeHtml {
  if (row.dueAt === null) return html`<span class="small">none</span>`;
  const left = row.dueAt - now;
  return left < 0
    ? html`${badge('overdue', `overdue ${shortDuration(-left)}`)}<br><span class="small">${time(v, row.dueAt)}</span>`
    : html`in ${shortDuration(left)}<br><span class="small">${time(v, row.dueAt)}</span>`;
}

function backlogPanel(v: DashboardView): SafeHtml {
  const b = v.backlog;
  const s = b.summary;
  const rows = b.rows.map(
    (
      r,
    ) => html`<tr data-handoff="${r.id}"><td class="first"><span class="lead">${r.lead}</span>${r.hot ? html` ${badge('hot', 'hot')}` : ''}<br><span class="small">${[r.company, r.email].filter((x) => x).join(' · ')}</span></td>
<td><span class="cv">${badge(r.state, r.state)}</span></td>
<td><span class="cv">${shortDuration(v.now - r.mqlAt)}</span></td>
<td><span class="cv">${r.rep ?? html`<span class="small">nobody</span>`}${r.team ? html`<br><span class="small">team ${r.team}</span>` : ''}</span></td>
<td><span class="cv">${deadline(v, r, v.now)}</span></td>
<td><span class="cv"><span class="small">${r.source ?? '–'} / ${r.campaign ?? '–'}</span></span></td></tr>`,
  );
  const more =
    b.matching > b.rows.length ? html`<p class="note">Showing the ${b.rows.length} oldest of ${b.matching}.</p>` : '';
  return html`<section class="panel wide" aria-labelledby="backlog-h"><h2 id="backlog-h">Live backlog</h2>
<p class="sub">All teams: ${s.open} open (${s.byState.detected} detected, ${s.byState.offered} offered, ${s.byState.escalated} escalated${s.unroutable ? `, ${s.unroutable} unroutable` : ''}); by age ${s.byAge.under1h} under 1h, ${s.byAge.under4h} 1–4h, ${s.byAge.under24h} 4–24h, ${s.byAge.older} older${s.oldestMqlAt !== null ? html`; oldest MQL ${time(v, s.oldestMqlAt)}` : ''}.${b.filtered ? html` Below: <span data-metric="backlog-matching">${b.matching}</span> open hand-offs matching the team, source, campaign and hot filters (any MQL time).` : html` Below: every open hand-off, oldest first.`}</p>
${b.rows.length === 0 ? html`<p class="empty">Nothing open.</p>` : html`<div class="table-wrap"><table class="cards" id="backlog-table">${thead(BACKLOG_TABLE)}<tbody>${rows}</tbody></table></div>`}
${more}</section>`;
}

function escalationsPanel(v: DashboardView): SafeHtml {
  const rows = v.escalations.map(
    (e) => html`<tr data-handoff="${e.id}"><td class="first"><span class="lead">${e.lead}</span></td>
<td><span class="cv">${time(v, e.escalatedAt)}</span></td>
<td><span class="cv">${e.reason}</span></td>
<td><span class="cv">${badge(e.state, e.state)}${e.rep ? html` <span class="small">${e.rep}</span>` : ''}</span></td>
<td><span class="cv"><span class="small">${e.source ?? '–'} / ${e.campaign ?? '–'}</span></span></td></tr>`,
  );
  return html`<section class="panel wide" aria-labelledby="esc-h"><h2 id="esc-h">Recent escalations</h2>
<p class="sub">Escalated hand-offs among the window's MQLs, newest first.</p>
${rows.length === 0 ? html`<p class="empty">No escalations.</p>` : html`<div class="table-wrap"><table class="cards" id="escalations-table">${thead(ESCALATIONS_TABLE)}<tbody>${rows}</tbody></table></div>`}</section>`;
}

function alertsPanel(v: DashboardView): SafeHtml {
  const items = v.alerts.map(
    (a) =>
      html`<li class="${a.critical ? 'critical' : ''}" data-alert="${a.key}"><strong>${a.critical ? 'Critical: ' : 'Alert: '}${a.title}</strong> <span class="small">since ${time(v, a.firedAt)}</span>${a.lines.length ? html`<br><span class="small">${join(a.lines, ' · ')}</span>` : ''}</li>`,
  );
  return html`<section class="panel wide" aria-labelledby="alerts-h"><h2 id="alerts-h">Alerts firing</h2>
${items.length === 0 ? html`<p class="empty">No alerts firing.</p>` : html`<ul class="alerts">${items}</ul>`}</section>`;
}

// Applies a filter as soon as it changes and leaves empty parameters out of the URL.
const SCRIPT = `(function(){var f=document.getElementById('filters');if(!f)return;f.addEventListener('submit',function(){for(var i=0;i<f.elements.length;i++){var e=f.elements[i];if(e.name&&e.value==='')e.disabled=true;}});f.addEventListener('change',function(){if(f.requestSubmit)f.requestSubmit();else f.submit();});})();`;

export function renderDashboard(v: DashboardView): string {
  const f = v.filters;
  const scope = [
    f.team ? `team ${f.team}` : null,
    f.source ? `source ${f.source}` : null,
    f.campaign ? `campaign ${f.campaign}` : null,
    f.hot ? 'hot leads only' : null,
  ].filter((x): x is string => x !== null);
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<title>Lead hand-off dashboard</title><link rel="icon" href="data:,"><style nonce="${v.nonce}">${trusted(PAGE_CSS)}</style></head>
<body><div class="wrap">
<header class="top"><div><h1>Lead hand-off dashboard</h1><p class="sub">MQLs from ${time(v, v.since)} to ${time(v, v.until)}${scope.length ? ` · ${scope.join(', ')}` : ''}. ${zoneNote(v.timezone)}</p></div>
<div class="actions"><a class="button" id="csv-link" href="${v.links.csv}" download>Download CSV</a></div></header>
${filtersForm(v)}
<p class="share">Link to this view (needs the dashboard token or a signed-in browser): <a href="${v.links.self}" id="share-link">${v.links.self}</a></p>
${join(v.notices.map((n) => html`<p class="notice" role="status">${n}</p>`))}
${tiles(v)}
<div class="grid">
${alertsPanel(v)}
${funnelPanel(v)}
${weeklyPanel(v)}
${reasonsPanel(v)}
${speedPanel(v)}
${repsPanel(v)}
${backlogPanel(v)}
${escalationsPanel(v)}
</div>
<footer>Generated ${time(v, v.now)}. MQL→SAL = accepted / all MQLs of the window (imported history included). Numbers are those of <code>handoff stats</code> for the same window and filters.</footer>
</div><script nonce="${v.nonce}">${trusted(SCRIPT)}</script></body></html>`;
  return page.text;
}

/** The page for a request without a valid token: no data at all. */
export function renderUnauthorized(retryHref: string | null): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Dashboard: token needed</title><link rel="icon" href="data:,"><style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem;color:#1b1f24}a{color:#0a4ea3}</style></head>
<body><h1>Token needed</h1><p>This dashboard needs its access token: send it as <code>Authorization: Bearer …</code>, or open the dashboard once with <code>?token=…</code> in the address to remember it in this browser.</p>${retryHref ? html`<p>If this browser opened the dashboard before, <a href="${retryHref}">open it again from here</a>.</p>` : ''}</body></html>`
    .text;
}
