// computeStats: the MQL→SAL numbers of a window, as `handoff stats`, the dashboard, digests and alerts
// present them. The store counts (MetricsReader); this file derives the percentages with the DESIGN §2
// definitions. `handoff stats` prints the report as stable JSON or a terminal table.
import { percentOf } from '../domain/metrics.js';
import type { Millis, RejectionReason } from '../domain/model.js';
import type {
  FunnelCounts,
  FunnelResult,
  MetricsFilter,
  MetricsGroupBy,
  MetricsReader,
  Percentiles,
} from '../ports/metrics.js';

export interface StatsOptions {
  since: Millis;
  until: Millis;
  by?: MetricsGroupBy | null;
  filter?: MetricsFilter;
  reasons: readonly RejectionReason[];
  /** false: p50/p90 are not needed (null in the report; the counts stay). Default true. */
  percentiles?: boolean;
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
    ...(options.percentiles === false ? { percentiles: false } : {}),
  });
  return statsReport(options, by, filter, result);
}

/**
 * Two count-only reports of one window (percentiles: false), grouped by `a` and by `b`: one read where
 * the reader has funnelTwoWays, else computeStats twice. The same figures either way.
 */
export async function computeStatsTwoWays(
  reader: MetricsReader,
  options: Omit<StatsOptions, 'by' | 'percentiles'>,
  a: MetricsGroupBy,
  b: MetricsGroupBy,
): Promise<[StatsReport, StatsReport]> {
  if (reader.funnelTwoWays === undefined)
    return Promise.all([
      computeStats(reader, { ...options, by: a, percentiles: false }),
      computeStats(reader, { ...options, by: b, percentiles: false }),
    ]);
  const filter = options.filter ?? {};
  const [ra, rb] = await reader.funnelTwoWays(
    {
      since: options.since,
      until: options.until,
      filter,
      recycleReasons: recycleReasons(options.reasons),
      percentiles: false,
    },
    a,
    b,
  );
  return [statsReport(options, a, filter, ra), statsReport(options, b, filter, rb)];
}

function statsReport(
  options: Pick<StatsOptions, 'since' | 'until' | 'reasons'>,
  by: MetricsGroupBy | null,
  filter: MetricsFilter,
  result: FunnelResult,
): StatsReport {
  return {
    since: new Date(options.since).toISOString(),
    until: new Date(options.until).toISOString(),
    by,
    filter,
    total: statsNumbers(result.total, options.reasons),
    groups: result.groups.map(({ key, ...counts }) => ({ key, ...statsNumbers(counts, options.reasons) })),
  };
}
