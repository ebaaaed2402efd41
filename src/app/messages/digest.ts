// The managers' daily digest and marketing's weekly digest, as documents (laid out by the notifier and mailer).
import { formatPercent, shortDuration } from '../../domain/metrics.js';
import type { Millis } from '../../domain/model.js';
import type { BacklogSnapshot, RejectionNote } from '../../ports/metrics.js';
import type { StatsGroup, StatsNumbers } from '../stats.js';
import type { MessageDoc } from '../../ports/message-doc.js';

export interface ManagersDigestInput {
  periodLabel: string;
  total: StatsNumbers;
  reps: (StatsGroup & { name: string })[];
  backlog: BacklogSnapshot;
  now: Millis;
  dashboardUrl: string | null;
}

export function managersDigestDoc(d: ManagersDigestInput): MessageDoc {
  const t = d.total;
  return {
    title: `📊 Lead hand-off, ${d.periodLabel}`,
    subject: `[handoff] Daily digest ${d.periodLabel}: ${t.mqls} MQLs, ${formatPercent(t.conversionPercent)} MQL→SAL`,
    intro: [`MQLs of ${d.periodLabel} and what became of them; the backlog is as of now.`],
    facts: [
      { label: 'MQLs', value: t.imported > 0 ? `${t.mqls} (${t.imported} imported)` : String(t.mqls) },
      { label: 'SALs', value: String(t.sals) },
      { label: 'MQL→SAL', value: formatPercent(t.conversionPercent) },
      { label: 'Rejected', value: String(t.rejected) },
      { label: 'Pending / withdrawn', value: `${t.pending} / ${t.withdrawn}` },
      {
        label: 'Speed-to-lead p50 / p90',
        value: `${shortDuration(t.speedToLead.p50Ms)} / ${shortDuration(t.speedToLead.p90Ms)}`,
      },
      {
        label: 'SLA compliance',
        value: `${formatPercent(t.sla.compliancePercent)} (${t.sla.onTime} of ${t.sla.ended})`,
      },
      { label: 'Escalations', value: String(t.escalated) },
      {
        label: 'Open backlog now',
        value: `${d.backlog.open}${d.backlog.oldestMqlAt === null ? '' : `, oldest ${shortDuration(d.now - d.backlog.oldestMqlAt)}`}`,
      },
    ],
    tables: [
      {
        title: 'Per rep',
        head: ['rep', 'MQLs', 'SALs', 'rejected', 'timeouts', 'resp. p50', 'SLA'],
        rows: d.reps.map((r) => [
          r.name,
          String(r.mqls),
          String(r.sals),
          String(r.rejected),
          String(r.timeouts),
          shortDuration(r.responseTime.p50Ms),
          formatPercent(r.sla.compliancePercent),
        ]),
        numeric: [1, 2, 3, 4, 5, 6],
      },
    ],
    notes: null,
    link: d.dashboardUrl ? { url: d.dashboardUrl, label: 'Open the dashboard' } : null,
    footer: 'MQL→SAL = accepted / all MQLs of the period. SLA = decisions before the deadline / offers that ended.',
  };
}

export interface MarketingDigestInput {
  periodLabel: string;
  total: StatsNumbers;
  bySource: StatsGroup[];
  byCampaign: StatsGroup[];
  notes: (RejectionNote & { label: string })[];
  lulls: string[];
  dashboardUrl: string | null;
}

function funnelRows(groups: StatsGroup[]): string[][] {
  return groups.map((g) => [
    g.key,
    String(g.mqls),
    String(g.sals),
    formatPercent(g.conversionPercent),
    String(g.rejected),
    String(g.recycled),
  ]);
}

export function marketingDigestDoc(d: MarketingDigestInput): MessageDoc {
  const t = d.total;
  const noteItems = d.notes.map(
    (n) => `${n.label}: “${n.note}” (${[n.source, n.campaign].filter((x) => x !== null).join(' / ') || 'no source'})`,
  );
  return {
    title: `📈 MQL→SAL, ${d.periodLabel}`,
    subject: `[handoff] Weekly marketing digest ${d.periodLabel}: ${formatPercent(t.conversionPercent)} MQL→SAL`,
    intro: ['How sales received the MQLs of the week, by source and campaign, and why leads were rejected.'],
    facts: [
      { label: 'MQLs', value: String(t.mqls) },
      { label: 'SALs', value: String(t.sals) },
      { label: 'MQL→SAL', value: formatPercent(t.conversionPercent) },
      { label: 'Rejected', value: `${t.rejected} (${formatPercent(t.rejectedPercent)})` },
      { label: 'Recycled to nurture', value: String(t.recycled) },
      { label: 'Pending / withdrawn', value: `${t.pending} / ${t.withdrawn}` },
    ],
    tables: [
      {
        title: 'By source',
        head: ['source', 'MQLs', 'SALs', 'MQL→SAL', 'rejected', 'recycled'],
        rows: funnelRows(d.bySource),
        numeric: [1, 2, 3, 4, 5],
      },
      {
        title: 'By campaign',
        head: ['campaign', 'MQLs', 'SALs', 'MQL→SAL', 'rejected', 'recycled'],
        rows: funnelRows(d.byCampaign),
        numeric: [1, 2, 3, 4, 5],
      },
      {
        title: 'Rejection reasons',
        head: ['reason', 'count', '% of MQLs'],
        rows: t.rejectedByReason.map((r) => [r.label, String(r.count), formatPercent(r.percentOfMqls)]),
        numeric: [1, 2],
      },
    ],
    notes: {
      title: 'Sample notes and lead flow',
      items: [...noteItems, ...(d.lulls.length > 0 ? d.lulls : ['No lead-flow lulls.'])],
    },
    link: d.dashboardUrl ? { url: d.dashboardUrl, label: 'Open the dashboard' } : null,
    footer: 'MQL→SAL = accepted / all MQLs of the period (pending and withdrawn shown beside it).',
  };
}
