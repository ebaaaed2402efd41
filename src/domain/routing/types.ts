// Types of the routing engine: what it is given, what it decides and the trace that explains it.
// The trace is plain JSON (numbers, strings, booleans, arrays, objects) so it can be stored with the
// offer and printed by `handoff explain` and `handoff simulate --json`.
import type { HotLane, Lead, Millis, Rep, RoutingSettings, SlaSettings, Team, TeamStrategy } from '../model.js';

/** One row of the fairness ledger (same shape as the store's RotationEntry). */
export interface LedgerEntry {
  teamId: string;
  repId: string;
  /** Virtual time of the rep in the team's rotation (stride scheduling); lower goes first. */
  pass: number;
  served: number;
  lastServedAt: Millis | null;
}

/** An away status set from Slack (same shape as the store's RepStatus). */
export interface RepAwayStatus {
  repId: string;
  /** Away until this moment; null = until they say they are back. */
  awayUntil: Millis | null;
  since: Millis;
  note?: string | null;
}

/** The slice of configuration routing needs. */
export interface RoutingConfig {
  routing: RoutingSettings;
  sla: SlaSettings;
  hotLane: HotLane | null;
  reps: Rep[];
  teams: Team[];
}

/** What the store knows about the reps right now. */
export interface RepLoad {
  /** Open offers per rep id (missing = 0). */
  openOffers: Record<string, number>;
  /** Offers made since the start of the rep's local day, per rep id (missing = 0). */
  offersToday: Record<string, number>;
  /** Away statuses set from Slack. */
  statuses: RepAwayStatus[];
  /** Reps this hand-off was already offered to. */
  alreadyOffered: string[];
  /** Reps no card can reach now, with why (a Teams rep for whom the app is not installed). */
  unreachable?: Record<string, string>;
}

/** The account owner found in the CRM, already mapped to a rep (repId null: the owner is not one of ours). */
export interface OwnerMatchInput {
  repId: string | null;
  ownerId?: string;
  via: string;
  detail: string;
}

export interface RoutingInput {
  lead: Lead;
  hot: boolean;
  now: Millis;
  settings: RoutingConfig;
  state: RepLoad;
  /** Ledger rows of the candidate teams (rows of other teams are ignored). */
  ledger: LedgerEntry[];
  /** The owner-match lookup result; null = looked up, nobody owns the lead or its account. */
  ownerMatch?: OwnerMatchInput | null;
  /** Set when the lookup was not made (no CRM, dry run, lookup failed): the reason, for the trace. */
  ownerMatchSkipped?: string;
}

export type SkipReason =
  | 'not_member'
  | 'inactive'
  | 'already_offered'
  | 'unreachable'
  | 'away'
  | 'outside_hours'
  | 'at_capacity_open'
  | 'at_capacity_day';

export type RouteVia = 'owner' | 'rule' | 'fallback';

export type RoutingDecision =
  | {
      kind: 'offer';
      repId: string;
      teamId: string | null;
      via: RouteVia;
      rule: string | null;
      strategy: TeamStrategy | null;
      ownerMatch: boolean;
      hot: boolean;
      priority: 'hot' | 'normal';
      offeredAt: Millis;
      dueAt: Millis;
      remindAt: Millis | null;
    }
  | { kind: 'unroutable'; reason: string };

// ---- trace ---------------------------------------------------------------------------------------

export interface RuleTrace {
  name: string;
  team: string;
  matched: boolean;
  detail: string;
}

export type OwnerMatchTrace =
  | { status: 'disabled' }
  | { status: 'skipped'; reason: string }
  | { status: 'none' }
  | { status: 'not_a_rep'; ownerId: string | null; via: string; detail: string }
  | { status: 'ineligible'; repId: string; via: string; detail: string; skip: SkipReason; skipDetail: string }
  | { status: 'matched'; repId: string; via: string; detail: string };

export interface CandidateTrace {
  repId: string;
  eligible: boolean;
  /** Why the rep was skipped (absent when eligible). */
  skip: SkipReason | null;
  detail: string;
  openOffers: number;
  offersToday: number;
  /** Ledger pass as stored (null: no row yet). */
  storedPass: number | null;
  /** Pass used for the comparison after the fair-start lift (eligible reps only). */
  pass: number | null;
  served: number;
}

export interface TeamTrace {
  teamId: string;
  via: 'rule' | 'fallback';
  rule: string | null;
  strategy: TeamStrategy | null;
  /** Fair-start floor of the team's rotation at this moment (null: no ledger rows yet). */
  floor: number | null;
  candidates: CandidateTrace[];
  chosen: string | null;
  /** Why nobody in the team could take it (when chosen is null). */
  why: string | null;
}

export interface DeadlineTrace {
  acceptWithin: Millis;
  lane: 'hot' | 'normal';
  timezone: string;
  offeredAt: Millis;
  dueAt: Millis;
  remindAt: Millis | null;
  /** True when the offer is made outside the rep's working hours (the clock starts at their next working minute). */
  outsideHours: boolean;
}

export interface RoutingTrace {
  version: 1;
  at: Millis;
  hot: boolean;
  priority: 'hot' | 'normal';
  ownerMatch: OwnerMatchTrace;
  rules: RuleTrace[];
  /** Name of the first matching rule, null when none matched. */
  ruleMatched: string | null;
  fallback: string | null;
  teams: TeamTrace[];
  chosen: {
    repId: string;
    teamId: string | null;
    via: RouteVia;
    rule: string | null;
    strategy: TeamStrategy | null;
  } | null;
  deadline: DeadlineTrace | null;
  outcome: 'offer' | 'unroutable';
  reason: string | null;
}

export interface RoutingResult {
  decision: RoutingDecision;
  trace: RoutingTrace;
  /** Ledger rows to write in the same transaction as the offer (empty for owner match and unroutable). */
  rotation: LedgerEntry[];
}
