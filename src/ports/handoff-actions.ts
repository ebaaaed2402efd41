// What people can do to hand-offs from outside (Slack buttons and slash commands, Teams card actions, email
// decision links, the demo page). Each connector receives an implementation; it never imports src/app.
import type { ChatPlatform } from '../domain/chat.js';
import type { Handoff, HandoffState, Millis, Offer } from '../domain/model.js';

/**
 * Who acted, as the platform they acted on knows them: a Slack user id, a Teams user's Entra (AAD) object id,
 * or, for an email link (signed by us for one person), the rep's or manager's configured id.
 */
export type Actor =
  | { via: 'slack'; userId: string }
  | { via: 'teams'; userId: string }
  | { via: 'email'; personId: string };

export function slackActor(userId: string): Actor {
  return { via: 'slack', userId };
}

/** What a decision page or a refreshed card shows about an offer (no authority: anyone may see it is decided). */
export interface OfferView {
  offerId: string;
  handoffId: string;
  repId: string;
  repName: string;
  offerState: Offer['state'];
  handoffState: HandoffState;
  hot: boolean;
  dueAt: Millis;
  leadName: string;
  company: string | null;
  /** Who decided and when, once decided. */
  decidedBy: string | null;
  decidedAt: Millis | null;
}

/** What a claim/assign page shows about an escalated hand-off. */
export interface HandoffView {
  handoffId: string;
  state: HandoffState;
  hot: boolean;
  leadName: string;
  company: string | null;
  ownerName: string | null;
  teamId: string | null;
}

export type { ChatPlatform };

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
  /** An offer as a decision page shows it, or null when there is no such offer. */
  viewOffer(input: { offerId: string }): Promise<OfferView | null>;
  /** A hand-off as a claim/assign page shows it, or null. */
  viewHandoff(input: { handoffId: string }): Promise<HandoffView | null>;
}
