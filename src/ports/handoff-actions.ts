// What people can do to hand-offs from outside (Slack buttons, slash commands, the demo page).
// The Slack connector receives an implementation; it never imports src/app.
import type { Handoff, HandoffState, Millis, Offer } from '../domain/model.js';

/** Who clicked, as Slack knows them. */
export interface Actor {
  slackUserId: string;
}

export type DecisionOutcome =
  | { kind: 'accepted'; handoff: Handoff }
  | { kind: 'rejected'; handoff: Handoff }
  | { kind: 'already_decided'; state: HandoffState; by: string | null; at: Millis | null }
  | { kind: 'offer_closed'; offerState: Offer['state']; at: Millis | null; currentRep: string | null }
  | { kind: 'not_yours'; offeredTo: string }
  | { kind: 'unknown_user' }
  | { kind: 'invalid'; problem: string }
  | { kind: 'not_found' };

export type ClaimOutcome =
  | { kind: 'claimed'; handoff: Handoff; by: string }
  | { kind: 'assigned'; handoff: Handoff; to: string }
  | { kind: 'already_taken'; by: string | null; state: HandoffState }
  | { kind: 'not_allowed'; why: string }
  | { kind: 'unknown_user' }
  | { kind: 'not_found' };

export interface QueueItem {
  handoffId: string;
  offerId: string;
  leadName: string;
  company: string | null;
  dueAt: Millis;
  hot: boolean;
}

export interface RepSummary {
  offers: number;
  accepted: number;
  rejected: number;
  timedOut: number;
  medianResponseMs: number | null;
}

export interface HandoffActions {
  accept(input: { offerId: string; actor: Actor }): Promise<DecisionOutcome>;
  reject(input: { offerId: string; actor: Actor; reasonId: string; note: string | null }): Promise<DecisionOutcome>;
  claim(input: { handoffId: string; actor: Actor }): Promise<ClaimOutcome>;
  assign(input: { handoffId: string; actor: Actor; repId: string }): Promise<ClaimOutcome>;
  setAway(input: { actor: Actor; until: Millis | null }): Promise<{ ok: boolean; repId?: string }>;
  setBack(input: { actor: Actor }): Promise<{ ok: boolean; repId?: string }>;
  queue(input: { actor: Actor }): Promise<QueueItem[] | null>;
  summary(input: { actor: Actor; since: Millis }): Promise<RepSummary | null>;
}
