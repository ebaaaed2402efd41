// The shared vocabulary of the core: leads, reps, teams, hand-offs, offers.
// Plain types only. All times are epoch milliseconds (UTC); calendar dates are 'YYYY-MM-DD' strings.
import type { ChatPlatform } from './chat.js';

export type Millis = number;
/**
 * Where a lead came from: a polled system (HubSpot, Salesforce, Marketo), or `intake` (pushed to
 * POST /intake/<id>: generic JSON, Mautic).
 */
export type SourceKind = 'hubspot' | 'salesforce' | 'marketo' | 'intake';
/** Where outcomes are written: a CRM, or `none` (recorded here, and sent to an intake callback when set). */
export type CrmKind = Exclude<SourceKind, 'intake'> | 'none';

/** Lead fields that cards and rules use, mapped from CRM properties by the `fields` config section. */
export const LEAD_FIELDS = {
  title: 'string',
  company: 'string',
  country: 'string',
  employees: 'number',
  industry: 'string',
  score: 'number',
  channel: 'string',
  campaign: 'string',
  need: 'string',
  budget: 'string',
  authority: 'string',
  timeline: 'string',
} as const;
export type LeadFieldName = keyof typeof LEAD_FIELDS;
export type LeadFieldType = (typeof LEAD_FIELDS)[LeadFieldName];
export type LeadFieldValues = {
  [K in LeadFieldName]?: (typeof LEAD_FIELDS)[K] extends 'number' ? number : string;
};
/** Fields a condition may name besides the mapped ones: identity fields of every lead. */
export const BUILTIN_FIELDS = { email: 'string', domain: 'string', source: 'string', hot: 'boolean' } as const;

export interface Lead {
  source: SourceKind;
  /** The record id in the source system (HubSpot contact id, Salesforce Lead id). */
  externalId: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  fields: LeadFieldValues;
  /** Raw CRM properties as strings (the ones requested), for `props.<name>` conditions and templating. */
  props: Record<string, string | null>;
  /** When the lead became MQL (the episode key together with source and externalId). */
  mqlAt: Millis;
  /** When the record was last modified in the source (the poll cursor moves on this). */
  modifiedAt: Millis;
  /** The CRM owner at detection time, if any. */
  ownerId: string | null;
  /** A link to the record in the CRM UI, for cards. */
  recordUrl: string | null;
}

/** A lead's name as every card, page and report shows it: first and last name, else the email, else the record. */
export function leadDisplayName(
  lead: Pick<Lead, 'firstName' | 'lastName' | 'email' | 'externalId'> & { source?: string },
): string {
  const name = [lead.firstName, lead.lastName]
    .filter((p): p is string => typeof p === 'string' && p.trim() !== '')
    .join(' ');
  if (name !== '') return name;
  return lead.email ?? (lead.source ? `${lead.source} ${lead.externalId}` : lead.externalId);
}

// ---- conditions (routing rules, hot lane, history rules) -------------------------------------

export type Scalar = string | number | boolean;
export type ComparisonOp =
  | 'eq'
  | 'ne'
  | 'in'
  | 'notIn'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'contains'
  | 'matches'
  | 'exists';

/** A parsed condition. The config loader turns the YAML form into this tree. */
export type Condition =
  | { kind: 'all'; of: Condition[] }
  | { kind: 'any'; of: Condition[] }
  | { kind: 'not'; of: Condition }
  | { kind: 'compare'; field: string; op: ComparisonOp; value: Scalar | Scalar[] };

// ---- people and teams ----------------------------------------------------------------------------

export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6; // 0 = Sunday, as Date#getDay

/** One weekly working window. `end <= start` means it runs past midnight into the next day. */
export interface WorkingWindow {
  days: Weekday[];
  /** Minutes after local midnight. */
  start: number;
  end: number;
}
export interface WorkingHours {
  windows: WorkingWindow[];
}

export interface DateRange {
  from: string; // YYYY-MM-DD, inclusive
  to: string; // YYYY-MM-DD, inclusive
}

export interface Rep {
  id: string;
  name: string;
  email: string;
  /** Where the rep gets cards and decides. */
  chat: ChatPlatform;
  slackUserId?: string;
  /** Microsoft Entra (AAD) object id of the rep's Teams user; else matched by email when the app is installed. */
  teamsUserId?: string;
  crmOwnerId?: string;
  timezone: string;
  hours: WorkingHours;
  capacity: { open?: number; perDay?: number };
  weight: number;
  away: DateRange[];
  active: boolean;
}

export interface Manager {
  id: string;
  name: string;
  email: string;
  /** Where the manager acts on escalations (their channel is the managers channel of that platform). */
  chat: ChatPlatform;
  slackUserId?: string;
  teamsUserId?: string;
}

export type TeamStrategy = 'round-robin' | 'weighted' | 'least-loaded';

export interface Team {
  id: string;
  members: string[];
  strategy: TeamStrategy;
  manager?: string;
  /** The team's channel as a message address (domain/chat.ts): a Slack channel id or "teams:<conversation id>". */
  channel?: string;
}

export interface RoutingRule {
  name: string;
  when: Condition;
  team: string;
}

export interface RoutingSettings {
  ownerMatch: { enabled: boolean; skipFreeEmailDomains: boolean };
  rules: RoutingRule[];
  fallback: { team: string } | null;
}

export interface SlaSettings {
  acceptWithin: Millis;
  /** Fraction of the SLA after which a reminder goes out (0.5 for "50%"); null = no reminder. */
  remindAt: number | null;
  maxOffers: number;
  holidays: string[];
  /** Offer outside a rep's working hours (the clock then starts at their next working minute). */
  routeOutsideHours: boolean;
}

export interface HotLane {
  when: Condition;
  acceptWithin: Millis;
}

export interface RejectionReason {
  id: string;
  label: string;
  recycle: boolean;
  noteRequired: boolean;
}

// ---- hand-offs -------------------------------------------------------------------------------------

/** Every state a hand-off can be in; how they connect (and which are open) is handoff-machine.ts. */
export const HANDOFF_STATES = ['detected', 'offered', 'escalated', 'accepted', 'rejected', 'withdrawn'] as const;
export type HandoffState = (typeof HANDOFF_STATES)[number];

export interface Handoff {
  id: string;
  leadId: string;
  source: SourceKind;
  externalId: string;
  mqlAt: Millis;
  state: HandoffState;
  version: number;
  hot: boolean;
  /** Imported history (backfill): counted in the numbers, never offered. */
  imported: boolean;
  email: string | null;
  channel: string | null;
  campaign: string | null;
  teamId: string | null;
  /** The rep of the current (or last) offer. */
  repId: string | null;
  offerCount: number;
  /** Deadline of the current open offer. */
  dueAt: Millis | null;
  escalatedAt: Millis | null;
  escalationReason: string | null;
  decidedAt: Millis | null;
  /** Rep or manager id that made the final decision. */
  decidedBy: string | null;
  reasonId: string | null;
  note: string | null;
  createdAt: Millis;
  updatedAt: Millis;
}

export const OFFER_STATES = [
  'open',
  'accepted',
  'rejected',
  'timed_out',
  'withdrawn',
  'reassigned',
  'escalated',
] as const;
export type OfferState = (typeof OFFER_STATES)[number];

export interface Offer {
  id: string;
  handoffId: string;
  repId: string;
  /** 1 for the first offer of a hand-off, 2 for the next… */
  seq: number;
  state: OfferState;
  offeredAt: Millis;
  dueAt: Millis;
  remindAt: Millis | null;
  remindedAt: Millis | null;
  decidedAt: Millis | null;
  /** Where the card was posted (set by the outbox once Slack answered). */
  slackChannel: string | null;
  slackTs: string | null;
  ownerMatch: boolean;
  /** The routing trace that chose this rep (JSON). */
  trace: unknown;
}

export interface HandoffEvent {
  id: string;
  handoffId: string;
  at: Millis;
  type: string;
  actor: string | null;
  data: Record<string, unknown>;
}
