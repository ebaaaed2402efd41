// computeStats: the MQL→SAL numbers of a window, as `handoff stats`, digests and alerts present them.
// The store counts (MetricsReader); this file derives the percentages with the DESIGN §2 definitions
// and lays the result out as stable JSON or a terminal table.
import { formatPercent, percentOf, shortDuration } from '../domain/metrics.js';
import type { Millis, RejectionReason } from '../domain/model.js';
import type { FunnelCounts, MetricsFilter, MetricsGroupBy, MetricsReader, Percentiles } from '../ports/metrics.js';

export interface StatsOptions {
  since: Millis;
  until: Millis;
  by?: MetricsGroupBy | null;
  filter?: MetricsFilter;
  reasons: readonly RejectionReason[];
}

export interface TimingNumbers {
  count: number;
  p50Ms: Millis | null;
  p90Ms: Millis | null;
}

export interface ReasonNumbers {
  id: string;
  label: string;
  count: number;
  /** Share of all MQLs of the cohort. */
  percentOfMqls: number | null;
}

export interface StatsNumbers {
  mqls: number;
  imported: number;
  sals: number;
  /** accepted / all MQLs of the cohort (imported included). */
  conversionPercent: number | null;
  rejected: number;
  rejectedPercent: number | null;
  rejectedByReason: ReasonNumbers[];
  pending: number;
  withdrawn: number;
  escalated: number;
  recycled: number;
  timeouts: number;
  /** MQL time → accept time, live hand-offs. */
  speedToLead: TimingNumbers;
  /** Offer → decision, live offers. */
  responseTime: TimingNumbers;
  /** Offers decided at or before their deadline / offers that ended. */
  sla: { ended: number; onTime: number; compliancePercent: number | null };
}

export interface StatsGroup extends StatsNumbers {
  key: string;
}

export interface StatsReport {
  since: string;
  until: string;
  by: MetricsGroupBy | null;
  filter: MetricsFilter;
  total: StatsNumbers;
  groups: StatsGroup[];
}

function timing(p: Percentiles): TimingNumbers {
  return { count: p.count, p50Ms: p.p50, p90Ms: p.p90 };
}

export function statsNumbers(c: FunnelCounts, reasons: readonly RejectionReason[]): StatsNumbers {
  const order = new Map(reasons.map((r, i) => [r.id, i]));
  const byReason = Object.entries(c.rejectedByReason)
    .map(([id, count]) => ({
      id,
      label: reasons.find((r) => r.id === id)?.label ?? id,
      count,
      percentOfMqls: percentOf(count, c.mqls),
    }))
    .sort((a, b) => b.count - a.count || (order.get(a.id) ?? 1e9) - (order.get(b.id) ?? 1e9) || (a.id < b.id ? -1 : 1));
  return {
    mqls: c.mqls,
    imported: c.imported,
    sals: c.sals,
    conversionPercent: percentOf(c.sals, c.mqls),
    rejected: c.rejected,
    rejectedPercent: percentOf(c.rejected, c.mqls),
    rejectedByReason: byReason,
    pending: c.pending,
    withdrawn: c.withdrawn,
    escalated: c.escalated,
    recycled: c.recycled,
    timeouts: c.timeouts,
    speedToLead: timing(c.speedToLead),
    responseTime: timing(c.responseTime),
    sla: { ended: c.offersEnded, onTime: c.offersOnTime, compliancePercent: percentOf(c.offersOnTime, c.offersEnded) },
  };
}

export function recycleReasons(reasons: readonly RejectionReason[]): string[] {
  return reasons.filter((r) => r.recycle).map((r) => r.id);
}

export async function computeStats(reader: MetricsReader, options: StatsOptions): Promise<StatsReport> {
  const filter = options.filter ?? {};
  const by = options.by ?? null;
  const result = await reader.funnel({
    since: options.since,
    until: options.until,
    filter,
    by,
    recycleReasons: recycleReasons(options.reasons),
  });
  return {
    since: new Date(options.since).toISOString(),
    until: new Date(options.until).toISOString(),
    by,
    filter,
    total: statsNumbers(result.total, options.reasons),
    groups: result.groups.map(({ key, ...counts }) => ({ key, ...statsNumbers(counts, options.reasons) })),
  };
}

/** Left-aligned columns; numbers right-aligned. */
export function textTable(head: string[], rows: string[][], numeric: boolean[] = []): string {
  const cells = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((v, c) =>
          numeric[c] ? v.padStart(widths[c] as number) : c === r.length - 1 ? v : v.padEnd(widths[c] as number),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const COLUMNS = [
  'MQLs',
  'SALs',
  'MQL→SAL',
  'rejected',
  'pending',
  'withdrawn',
  'escal.',
  'recycled',
  'timeouts',
  'STL p50',
  'STL p90',
  'resp p50',
  'resp p90',
  'SLA',
];

function row(n: StatsNumbers): string[] {
  return [
    n.imported > 0 ? `${n.mqls} (${n.imported} imp.)` : String(n.mqls),
    String(n.sals),
    formatPercent(n.conversionPercent),
    String(n.rejected),
    String(n.pending),
    String(n.withdrawn),
    String(n.escalated),
    String(n.recycled),
    String(n.timeouts),
    shortDuration(n.speedToLead.p50Ms),
    shortDuration(n.speedToLead.p90Ms),
    shortDuration(n.responseTime.p50Ms),
    shortDuration(n.responseTime.p90Ms),
    formatPercent(n.sla.compliancePercent),
  ];
}

export function formatStatsTable(report: StatsReport): string {
  const filters = Object.entries(report.filter)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`);
  const lines = [
    `MQLs from ${report.since.slice(0, 16).replace('T', ' ')}Z to ${report.until.slice(0, 16).replace('T', ' ')}Z${filters.length ? ` (${filters.join(', ')})` : ''}`,
    '',
  ];
  const numeric = [false, ...COLUMNS.map(() => true)];
  const rows = report.groups.map((g) => [g.key, ...row(g)]);
  rows.push([report.by ? 'total' : 'all', ...row(report.total)]);
  lines.push(textTable([report.by ?? '', ...COLUMNS], rows, numeric));
  const t = report.total;
  if (t.rejectedByReason.length > 0) {
    lines.push('', 'Rejected by reason');
    lines.push(
      textTable(
        ['reason', 'count', '% of MQLs'],
        t.rejectedByReason.map((r) => [
          r.label === r.id ? r.id : `${r.label} (${r.id})`,
          String(r.count),
          formatPercent(r.percentOfMqls),
        ]),
        [false, true, true],
      ),
    );
  }
  lines.push(
    '',
    'MQL→SAL = accepted / all MQLs of the window (imported history included; pending and withdrawn shown beside it).',
    'STL = speed-to-lead, MQL → accept; resp = offer → decision; SLA = decisions at or before the deadline / offers that ended.',
    '',
  );
  return lines.join('\n');
}
