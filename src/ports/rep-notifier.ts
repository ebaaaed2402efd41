// How people are told: Slack, Microsoft Teams or email. Each platform's layout (Block Kit, Adaptive Cards, HTML
// mail) stays inside its connector; this port speaks in facts. main.ts hands the app one notifier that sends each
// call to the platform of the person (cards) or of the address (channels, refs): see domain/chat.ts.
import type { ChatPlatform } from '../domain/chat.js';
import type { EscalationOutcomeFacts, HistoryLineFacts, OfferOutcomeFacts } from '../domain/chat-text.js';
import type { Lead, Millis } from '../domain/model.js';
import type { MessageDoc } from './message-doc.js';

export type { ChatPlatform } from '../domain/chat.js';

/**
 * Where a message went: `channel` is a message address (domain/chat.ts: a Slack id, "teams:<conversation>",
 * "email:<inbox>"), `ts` the platform's id of the message (Slack ts, Teams activity id, email Message-ID).
 */
export interface MessageRef {
  channel: string;
  ts: string;
}

export interface Person {
  id: string;
  name: string;
  /** Where this person gets cards and decides (default: slack). */
  chat?: ChatPlatform;
  slackUserId?: string;
  /** Microsoft Entra (AAD) object id, when known. */
  teamsUserId?: string;
  email?: string;
  timezone?: string;
}

/** Why this rep got the lead, in words for the card ("EMEA rule → emea team, round-robin"). */
export interface WhyYou {
  rule: string | null;
  team: string | null;
  strategy: string | null;
  ownerMatch: string | null;
}

export interface OfferCard {
  handoffId: string;
  offerId: string;
  lead: Lead;
  rep: Person;
  hot: boolean;
  dueAt: Millis;
  why: WhyYou;
  /** 1-based: this is the n-th rep offered this lead. */
  seq: number;
}

/** How an offer ended (the shape the shared wording reads: domain/chat-text.ts). */
export type OfferOutcome = OfferOutcomeFacts<Person>;

export type OfferHistoryLine = HistoryLineFacts<Person>;

export interface EscalationPost {
  handoffId: string;
  lead: Lead;
  hot: boolean;
  /** The hand-off's escalation reason code (see domain/escalation.ts); the notifier words it. */
  reason: string | null;
  history: OfferHistoryLine[];
  team: { id: string; channel?: string } | null;
  /** Reps a manager may assign it to. */
  assignable: Person[];
}

export type EscalationOutcome = EscalationOutcomeFacts<Person>;

/** Who reads a lead's channel message: the team (with Claim) or the managers (with Assign to…). */
export type ChannelAudience = 'team' | 'managers';

/**
 * What a lead's one channel message shows now (the notifier lays it out): a hot lead out with a rep or decided
 * (accepted, rejected, withdrawn), an escalation waiting for an owner, or an escalation that ended (claimed,
 * assigned, withdrawn).
 */
export type LeadMessage =
  | { kind: 'hot'; card: OfferCard }
  | { kind: 'decided'; card: OfferCard; outcome: OfferOutcome }
  | { kind: 'escalated'; post: EscalationPost }
  | { kind: 'closed'; post: EscalationPost; outcome: EscalationOutcome };

/** A step of the lead's story, told as a thread reply under its channel message. */
export type LeadStep =
  | { kind: 'reoffered'; card: OfferCard }
  | { kind: 'decided'; card: OfferCard; outcome: OfferOutcome }
  | { kind: 'escalated'; reason: string | null }
  | { kind: 'closed'; outcome: EscalationOutcome };

export interface RepNotifier {
  /**
   * DMs the offer card to the rep; returns where it went. `beforeSend` runs once the post is about to go
   * out (after pacing), with the channel: the caller records that a post may now exist.
   */
  postOffer(card: OfferCard, hooks?: { beforeSend?: (channel: string) => Promise<void> }): Promise<MessageRef>;
  /**
   * The card of this offer if it is already in the rep's DM (posted on or after `since` by an attempt that
   * never learned its ts, e.g. a process killed mid-call), or null when it is not there or cannot be checked.
   */
  findOffer(card: OfferCard, since: Millis): Promise<MessageRef | null>;
  /** Replaces the card's buttons with its final state. */
  closeOffer(ref: MessageRef, card: OfferCard, outcome: OfferOutcome): Promise<void>;
  /** Threaded reminder under the card. */
  remind(ref: MessageRef, card: OfferCard, now: Millis): Promise<void>;
  /**
   * Posts the lead's one message in a channel; the caller keeps its ref and updates it from then on.
   * `beforeSend` runs once the post is about to go out: the caller notes that a message may now exist.
   */
  postLeadMessage(
    channel: string,
    audience: ChannelAudience,
    message: LeadMessage,
    hooks?: { beforeSend?: () => Promise<void> },
  ): Promise<MessageRef>;
  /**
   * The lead's message in `channel` if an attempt that never learned its ts posted it on or after `since`,
   * or null when it is not there or cannot be checked (as findOffer for cards).
   */
  findLeadMessage(channel: string, handoffId: string, since: Millis): Promise<MessageRef | null>;
  /** Rewrites the lead's message in place (chat.update) to what it shows now. */
  updateLeadMessage(ref: MessageRef, audience: ChannelAudience, message: LeadMessage): Promise<void>;
  /** Tells a step as a thread reply under the lead's message. */
  postLeadStep(ref: MessageRef, step: LeadStep): Promise<MessageRef>;
  /** An alert or digest to a channel, laid out by the notifier. */
  postDoc(channel: string, doc: MessageDoc): Promise<MessageRef>;
  /**
   * Plain text to a channel. `blocks`: a message laid out before it was queued — only outbox jobs
   * from versions that rendered alerts and digests in the app carry them.
   */
  postMessage(channel: string, text: string, blocks?: unknown[]): Promise<MessageRef>;
  /** A rep's Slack user id by email (users.lookupByEmail), or null (Slack only; other platforms answer null). */
  lookupUserId(email: string): Promise<string | null>;
}
