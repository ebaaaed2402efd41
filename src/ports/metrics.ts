// The MetricsReader port: the read-only numbers of the hand-off (DESIGN §2 definitions, see
// src/domain/metrics.ts). Implemented in SQL by src/store/metrics.ts (SQLite and Postgres, identical
// results) and over any Store by src/store/metrics-memory.ts for unit tests.
import type { OpenState } from '../domain/handoff-machine.js';
import type { HandoffState, Millis, OfferState } from '../domain/model.js';

export const METRICS_GROUPS = ['week', 'rep', 'team', 'source', 'campaign', 'reason'] as const;
/** week = Monday 00:00 UTC of the MQL time; source = the lead's marketing source (the `channel` field). */
export type MetricsGroupBy = (typeof METRICS_GROUPS)[number];

/** Key of rows whose group column is empty (no rep yet, no campaign…). */
export const NO_GROUP = '(none)';

export interface MetricsFilter {
  team?: string;
  /** Hand-off numbers: the rep of the current or last offer; offer numbers: the offered rep. */
  rep?: string;
  /** The marketing source (lead field `channel`). */
  source?: string;
  campaign?: string;
  hot?: boolean;
}

export interface MetricsQuery {
  /** Cohort = hand-offs with MQL time in [since, until). */
  since: Millis;
  until: Millis;
  filter?: MetricsFilter;
  by?: MetricsGroupBy | null;
  /** Rejection reasons that send the lead back to nurture (counted as recycled). */
  recycleReasons: readonly string[];
  /**
   * false: only the counts are needed (speedToLead/responseTime then carry their count, p50/p90 null),
   * which spares the readers the percentile work. Default true.
   */
  percentiles?: boolean;
}

export interface Percentiles {
  /** How many values the percentiles were taken over. */
  count: number;
  p50: Millis | null;
  p90: Millis | null;
}

export interface FunnelCounts {
  mqls: number;
  /** Of the MQLs, how many are imported history (counted, never offered). */
  imported: number;
  sals: number;
  rejected: number;
  /** Still open: detected, offered or escalated. */
  pending: number;
  withdrawn: number;
  /** Hand-offs that were escalated at some point. */
  escalated: number;
  /** Rejected with a reason that recycles the lead to nurture. */
  recycled: number;
  rejectedByReason: Record<string, number>;
  /** Offers that timed out. */
  timeouts: number;
  /** Offers that ended (accepted, rejected, timed out). */
  offersEnded: number;
  /** Of those, decided at or before their deadline. */
  offersOnTime: number;
  speedToLead: Percentiles;
  responseTime: Percentiles;
}

export interface FunnelGroup extends FunnelCounts {
  key: string;
}

export interface FunnelResult {
  total: FunnelCounts;
  /** One row per group key (sorted by key); empty when the query has no `by`. */
  groups: FunnelGroup[];
}

export interface BacklogSnapshot {
  open: number;
  byState: Record<OpenState, number>;
  /** Open hand-offs by time since their MQL time. */
  byAge: { under1h: number; under4h: number; under24h: number; older: number };
  oldestMqlAt: Millis | null;
  /** Open hand-offs escalated because no rule, team or fallback could take them. */
  unroutable: number;
}

export interface TimedOutOffer {
  offerId: string;
  handoffId: string;
  repId: string;
  seq: number;
  dueAt: Millis;
  timedOutAt: Millis;
  handoffState: HandoffState;
  email: string | null;
  hot: boolean;
}

export interface RejectionNote {
  handoffId: string;
  reasonId: string;
  note: string;
  source: string | null;
  campaign: string | null;
  decidedAt: Millis;
}

export interface ExportOffer {
  seq: number;
  repId: string;
  state: OfferState;
  offeredAt: Millis;
  dueAt: Millis;
  decidedAt: Millis | null;
}

export interface ExportRow {
  id: string;
  source: string;
  externalId: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  channel: string | null;
  campaign: string | null;
  hot: boolean;
  imported: boolean;
  mqlAt: Millis;
  state: HandoffState;
  teamId: string | null;
  repId: string | null;
  escalatedAt: Millis | null;
  escalationReason: string | null;
  decidedAt: Millis | null;
  decidedBy: string | null;
  reasonId: string | null;
  note: string | null;
  offers: ExportOffer[];
}

/** An escalated hand-off as the dashboard lists it. */
export interface EscalatedHandoff {
  id: string;
  leadId: string;
  externalId: string;
  email: string | null;
  state: HandoffState;
  repId: string | null;
  channel: string | null;
  campaign: string | null;
  escalatedAt: Millis;
  escalationReason: string | null;
}

export interface MetricsReader {
  funnel(query: MetricsQuery): Promise<FunnelResult>;
  /**
   * Optional: the counts of one cohort grouped by `a` and by `b` from one read, equal to
   * funnel({ ...query, by: a, percentiles: false }) and funnel({ ...query, by: b, percentiles: false })
   * (query.by and query.percentiles are ignored). Readers without it get the two funnel calls.
   */
  funnelTwoWays?(query: MetricsQuery, a: MetricsGroupBy, b: MetricsGroupBy): Promise<[FunnelResult, FunnelResult]>;
  /** Open hand-offs at `now`. */
  backlog(now: Millis): Promise<BacklogSnapshot>;
  /**
   * How many hand-offs Store.listOpenHandoffs(∞, filter) would list at `now`: open live hand-offs of any
   * MQL time matching the filter's team, source, campaign and hot (its rep is not used).
   */
  countOpenHandoffs(filter: MetricsFilter, now: Millis): Promise<number>;
  /**
   * The hand-offs of [since, until) matching the filter's team, source, campaign and hot (its rep is not
   * used): how many speed-to-lead values (speedToLeadMs of src/domain/metrics.ts) fall in each bucket of
   * `edges` (as histogram() counts them), and the `escalations` escalated last (newest escalation first,
   * ties oldest MQL first).
   */
  windowSpeedAndEscalations(
    since: Millis,
    until: Millis,
    filter: MetricsFilter,
    edges: readonly number[],
    escalations: number,
  ): Promise<{ speedCounts: number[]; escalated: EscalatedHandoff[] }>;
  /** MQLs (live and imported) with MQL time in [since, until). */
  countMqls(since: Millis, until: Millis): Promise<number>;
  /** Offers that timed out in [since, until), oldest first. */
  listTimedOutOffers(since: Millis, until: Millis, limit: number): Promise<TimedOutOffer[]>;
  /** Notes of rejected hand-offs decided in [since, until), newest first, at most `perReason` per reason. */
  rejectionNotes(since: Millis, until: Millis, perReason: number): Promise<RejectionNote[]>;
  /** Hand-offs with MQL time in [since, until) and their offers, oldest first, paged by `after`. */
  exportHandoffs(
    since: Millis,
    until: Millis,
    limit: number,
    after?: { mqlAt: Millis; id: string },
  ): Promise<ExportRow[]>;
  /** The settled cohort of a window for the rate alerts (see SettledQuery and src/domain/settled.ts). */
  settledFunnel(query: SettledQuery): Promise<SettledResult>;
}

// ---- settled cohorts (rate alerts) ------------------------------------------------------------

/** Groups a settled cohort can be split by (each group gets its own judged part). */
export type SettledGroupBy = 'source' | 'campaign' | 'team' | 'rep';

export interface SettledQuery {
  /** The window: hand-offs with MQL time in [since, until). */
  since: Millis;
  until: Millis;
  /** The moment of judging: deadlines at or before it have passed. */
  now: Millis;
  /** A hand-off not offered yet counts as past its deadline once its MQL time is this long ago (sla.acceptWithin). */
  unofferedWithin: Millis;
  by?: SettledGroupBy | null;
}

/**
 * One window (or group) judged on settled hand-offs only. The judged part is the MQLs of
 * [since, judgedUntil): every one of them is settled, and accepted + rejected + withdrawn + escalated
 * + overdue = settled. The MQLs from judgedUntil on wait for the oldest pending one to settle.
 */
export interface SettledCounts {
  /** All MQLs of the window. */
  mqls: number;
  /** MQL time of the oldest pending hand-off of the window; `until` when nothing is pending. */
  judgedUntil: Millis;
  /** Hand-offs of the judged part (all settled). */
  settled: number;
  sals: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  withdrawn: number;
  /** Escalated at some point and not decided (yet). */
  escalated: number;
  /** Open, never escalated, past their last deadline. */
  overdue: number;
  /** MQLs of the whole window whose outcome can still change. */
  pending: number;
  /** MQLs of the window from judgedUntil on (pending or not): not judged yet. */
  notJudged: number;
}

export interface SettledGroup extends SettledCounts {
  key: string;
}

export interface SettledResult {
  total: SettledCounts;
  /** One row per group key (sorted by key), each with its own judged part; empty without `by`. */
  groups: SettledGroup[];
}
