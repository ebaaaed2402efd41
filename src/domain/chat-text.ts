// The words a lead's cards and messages share on every platform (Slack, Teams, email): times, spans, the lead's
// label, why a rep got it, what became of an offer or an escalation, the steps of a lead's story, and the answers
// to late or foreign clicks. Plain text; where platforms differ (how a person is named, how text is escaped) the
// caller passes `ChatWords`. Pure: the input types below are the fields the words read, so the ports' types
// (OfferOutcome, EscalationOutcome, LeadStep, … in ports/rep-notifier.ts) fit them as they are.
import { describeEscalation } from './escalation.js';
import { leadDisplayName, type Lead, type Millis, type RejectionReason } from './model.js';

// ---- what the words read ------------------------------------------------------------------------------------

/** A person as the words need them: a name, and the zone their own times are shown in. */
export interface ChatPerson {
  name: string;
  timezone?: string;
}

/** How one platform writes what the words cannot know: a person's name (or mention) and escaped free text. */
export interface ChatWords<P extends ChatPerson> {
  name(person: P): string;
  escape(text: string): string;
  /** false: outcome lines go without their leading emoji (email's sentences); default true. */
  icons?: boolean;
}

/** Plain text: a person by name, text as it is (Teams text, email, fallbacks). */
export const PLAIN_WORDS: ChatWords<ChatPerson> = { name: (p) => p.name, escape: (t) => t };

export interface WhyYouFacts {
  rule: string | null;
  team: string | null;
  strategy: string | null;
  ownerMatch: string | null;
}

export interface OfferFacts<P extends ChatPerson> {
  lead: Lead;
  rep: P;
  hot: boolean;
  dueAt: Millis;
  /** 1-based: the n-th rep offered this lead. */
  seq: number;
}

export type OfferOutcomeFacts<P extends ChatPerson> =
  | { kind: 'accepted'; by: P; at: Millis }
  | { kind: 'rejected'; by: P; at: Millis; reason: string; note: string | null }
  | { kind: 'timed_out'; at: Millis; next: P | null }
  | { kind: 'withdrawn'; at: Millis; why: string }
  | { kind: 'reassigned'; at: Millis; to: P; by: P }
  | { kind: 'escalated'; at: Millis };

export interface EscalationOutcomeFacts<P extends ChatPerson> {
  kind: 'claimed' | 'assigned' | 'withdrawn';
  by: P | null;
  to: P | null;
  at: Millis;
}

export interface HistoryLineFacts<P extends ChatPerson> {
  rep: P;
  outcome: 'timed_out' | 'rejected' | 'open' | 'withdrawn' | 'reassigned' | 'escalated' | 'accepted';
  at: Millis;
  reason?: string;
}

export type LeadStepFacts<P extends ChatPerson> =
  | { kind: 'reoffered'; card: OfferFacts<P> }
  | { kind: 'decided'; card: OfferFacts<P>; outcome: OfferOutcomeFacts<P> }
  | { kind: 'escalated'; reason: string | null }
  | { kind: 'closed'; outcome: EscalationOutcomeFacts<P> };

/** A rejection note in a line is cut here (every form caps it at this length too). */
export const NOTE_MAX = 3000;

// ---- small helpers ------------------------------------------------------------------------------------------

/** Cuts text to `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** 1st, 2nd, 3rd, 4th, 11th, 21st … */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

// Building an Intl.DateTimeFormat costs far more than using one (the profile of a 200-card burst had formatTime
// and its zone check as the worker's top two functions): one formatter per zone, kept. Zones come from config and
// chat profiles, so there are few; the map is still bounded (oldest out first) in case a caller passes junk.
const TIME_FORMATTERS_MAX = 200;
const timeFormatters = new Map<string, Intl.DateTimeFormat>();

function timeFormatter(timezone: string | undefined): Intl.DateTimeFormat {
  const zone = timezone === undefined || timezone === '' ? 'UTC' : timezone;
  let fmt = timeFormatters.get(zone);
  if (fmt !== undefined) return fmt;
  const options: Intl.DateTimeFormatOptions = {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  };
  try {
    fmt = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: zone });
  } catch {
    // An unknown zone shows UTC.
    fmt = zone === 'UTC' ? new Intl.DateTimeFormat('en-GB', options) : timeFormatter('UTC');
  }
  if (timeFormatters.size >= TIME_FORMATTERS_MAX) {
    const oldest = timeFormatters.keys().next().value;
    if (oldest !== undefined) timeFormatters.delete(oldest);
  }
  timeFormatters.set(zone, fmt);
  return fmt;
}

/** "Tue 1 Dec, 14:30 CET" in the given time zone (UTC when unknown or invalid). */
export function formatTime(at: Millis, timezone?: string): string {
  const parts = Object.fromEntries(
    timeFormatter(timezone)
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.day} ${parts.month}, ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

/** "12 minutes", "1 hour 5 minutes", "2 days 3 hours"; rounds up to the minute. */
export function formatSpan(ms: Millis): string {
  const minutes = Math.max(0, Math.ceil(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const unit = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (days > 0) return hours > 0 ? `${unit(days, 'day')} ${unit(hours, 'hour')}` : unit(days, 'day');
  if (hours > 0) return mins > 0 ? `${unit(hours, 'hour')} ${unit(mins, 'minute')}` : unit(hours, 'hour');
  return unit(mins, 'minute');
}

/** "Jane Doe (Acme)" in plain text. */
export function leadLabel(lead: Lead): string {
  const name = leadDisplayName(lead);
  const company = lead.fields.company;
  return company !== undefined && company !== '' ? `${name} (${company})` : name;
}

function nameOrSomeone<P extends ChatPerson>(person: P | null | undefined, words: ChatWords<P>): string {
  return person === null || person === undefined ? 'someone' : words.name(person);
}

/** The line's emoji and a space, or nothing for words without icons. */
function icon(emoji: string, words: { icons?: boolean }): string {
  return words.icons === false ? '' : `${emoji} `;
}

// ---- offers -------------------------------------------------------------------------------------------------

/** The card's title: "🔥 HOT lead: Jane Doe (Acme)" or "New lead: …". */
export function offerHeadline(card: { lead: Lead; hot: boolean }): string {
  const label = leadLabel(card.lead);
  return card.hot ? `🔥 HOT lead: ${label}` : `New lead: ${label}`;
}

/** The card in one line (notifications, screen readers). */
export function offerSummaryText(card: OfferFacts<ChatPerson>): string {
  const score = card.lead.fields.score !== undefined ? `, score ${card.lead.fields.score}` : '';
  return `${card.hot ? '🔥 Hot lead' : 'New lead'}: ${leadLabel(card.lead)}${score}. Accept or reject by ${formatTime(card.dueAt, card.rep.timezone)}.`;
}

/** "You are the 2nd rep offered this lead." ('' for the first). */
export function repeatOfferText(seq: number): string {
  return seq > 1 ? `You are the ${ordinal(seq)} rep offered this lead.` : '';
}

/** "rule “EMEA” → team emea, round-robin" or "you own this account in the CRM (…)". */
export function whyYouText(why: WhyYouFacts, escape: (text: string) => string = (t) => t): string {
  if (why.ownerMatch !== null) return `you own this account in the CRM (${escape(why.ownerMatch)})`;
  const parts: string[] = [];
  if (why.rule !== null) parts.push(`rule “${escape(why.rule)}”`);
  if (why.team !== null) parts.push(`team ${escape(why.team)}`);
  const route = parts.join(' → ');
  const strategy = why.strategy !== null ? escape(why.strategy) : null;
  if (route === '' && strategy === null) return 'you were the fallback choice';
  if (route === '') return `picked by ${strategy}`;
  return strategy === null ? route : `${route}, ${strategy}`;
}

/** The label of a rejection reason id (the id itself when it is not configured). */
export function rejectionLabel(reasonId: string, reasons: readonly RejectionReason[]): string {
  return reasons.find((r) => r.id === reasonId)?.label ?? reasonId;
}

/** What happened to an offer, one line (the closed card, the thread, the answer to a click). */
export function offerOutcomeLine<P extends ChatPerson>(
  outcome: OfferOutcomeFacts<P>,
  timezone: string | undefined,
  reasons: readonly RejectionReason[],
  words: ChatWords<P>,
): string {
  const when = formatTime(outcome.at, timezone);
  const who = (p: P | null): string => nameOrSomeone(p, words);
  switch (outcome.kind) {
    case 'accepted':
      return `${icon('✅', words)}Accepted by ${who(outcome.by)} on ${when}.`;
    case 'rejected': {
      const note =
        outcome.note !== null && outcome.note.trim() !== ''
          ? ` Note: “${words.escape(truncate(outcome.note.trim(), NOTE_MAX))}”`
          : '';
      const reason = words.escape(rejectionLabel(outcome.reason, reasons));
      return `${icon('❌', words)}Rejected by ${who(outcome.by)} on ${when} — ${reason}.${note}`;
    }
    case 'timed_out':
      return outcome.next !== null
        ? `${icon('⌛', words)}Timed out on ${when} — reassigned to the next rep, ${who(outcome.next)}.`
        : `${icon('⌛', words)}Timed out on ${when} — escalated to the managers.`;
    case 'withdrawn':
      return `${icon('↩️', words)}Withdrawn on ${when}: ${words.escape(outcome.why)}.`;
    case 'reassigned':
      return `${icon('🔀', words)}Reassigned to ${who(outcome.to)} by ${who(outcome.by)} on ${when}.`;
    case 'escalated':
      return `${icon('📣', words)}Escalated to the managers on ${when}.`;
  }
}

/** The threaded (or follow-up) reminder of an offer: time left and the deadline in the rep's zone. */
export function reminderText(card: OfferFacts<ChatPerson>, now: Millis): string {
  const left = card.dueAt - now;
  const label = leadLabel(card.lead);
  if (left <= 0) return `⏰ The deadline for ${label} has passed — it will move to the next rep shortly.`;
  return `⏰ Reminder: ${formatSpan(left)} left to accept or reject ${label} (until ${formatTime(card.dueAt, card.rep.timezone)}).`;
}

/**
 * The channel's line while a hot lead is out with a rep. `label` is the lead's label as the platform marks it up
 * (a link, bold); times in `timezone`.
 */
export function hotLeadLine<P extends ChatPerson>(
  card: OfferFacts<P>,
  label: string,
  timezone: string | undefined,
  words: ChatWords<P>,
): string {
  const score = card.lead.fields.score !== undefined ? `, score ${card.lead.fields.score}` : '';
  const nth = card.seq > 1 ? ` (${ordinal(card.seq)} offer)` : '';
  return `🔥 Hot lead ${label}${words.escape(score)} offered to ${words.name(card.rep)}${nth}, due ${formatTime(card.dueAt, timezone)}.`;
}

// ---- escalations --------------------------------------------------------------------------------------------

/** "🔥 Needs an owner: Jane Doe (Acme)". */
export function escalationHeadline(post: { lead: Lead; hot: boolean }): string {
  return `${post.hot ? '🔥 ' : ''}Needs an owner: ${leadLabel(post.lead)}`;
}

/** The escalation in one line, with what its audience is asked to do. */
export function escalationSummaryText(
  post: { lead: Lead; reason: string | null },
  audience: 'team' | 'managers',
): string {
  const ask = audience === 'managers' ? 'assign it to a rep' : 'claim it if you can take it';
  return `Lead needs an owner: ${leadLabel(post.lead)} — ${describeEscalation(post.reason)}. Please ${ask}.`;
}

export const NO_ASSIGNABLE_REP = 'No eligible rep to assign right now.';

const HISTORY_WORDS: Record<HistoryLineFacts<ChatPerson>['outcome'], string> = {
  timed_out: 'timed out',
  rejected: 'rejected',
  open: 'still open',
  withdrawn: 'withdrawn',
  reassigned: 'reassigned',
  escalated: 'escalated',
  accepted: 'accepted',
};

/** "• Ann — rejected (no budget), Tue 1 Dec, 14:30 CET": one earlier offer of an escalated lead. */
export function historyLine<P extends ChatPerson>(
  line: HistoryLineFacts<P>,
  timezone: string | undefined,
  words: ChatWords<P>,
): string {
  const reason = line.reason !== undefined && line.reason !== '' ? ` (${words.escape(line.reason)})` : '';
  return `• ${words.name(line.rep)} — ${HISTORY_WORDS[line.outcome]}${reason}, ${formatTime(line.at, timezone)}`;
}

/** How an escalation ended, one line. */
export function escalationOutcomeLine<P extends ChatPerson>(
  outcome: EscalationOutcomeFacts<P>,
  timezone: string | undefined,
  words: ChatWords<P>,
): string {
  const when = formatTime(outcome.at, timezone);
  const who = (p: P | null): string => nameOrSomeone(p, words);
  switch (outcome.kind) {
    case 'claimed':
      return `${icon('🙋', words)}Claimed by ${who(outcome.by ?? outcome.to)} on ${when}.`;
    case 'assigned':
      return `${icon('👉', words)}Assigned to ${who(outcome.to)} by ${who(outcome.by)} on ${when}.`;
    case 'withdrawn':
      return `${icon('↩️', words)}Withdrawn on ${when} — no action needed.`;
  }
}

/** A step of the lead's story, as a reply under its channel message. */
export function leadStepLine<P extends ChatPerson>(
  step: LeadStepFacts<P>,
  timezone: string | undefined,
  reasons: readonly RejectionReason[],
  words: ChatWords<P>,
): string {
  switch (step.kind) {
    case 'decided':
      return offerOutcomeLine(step.outcome, timezone ?? step.card.rep.timezone, reasons, words);
    case 'reoffered':
      return `⏭️ Offered to ${words.name(step.card.rep)} (${ordinal(step.card.seq)} offer), due ${formatTime(step.card.dueAt, timezone ?? step.card.rep.timezone)}.`;
    case 'escalated':
      return step.reason === null
        ? '📣 Escalated: it needs an owner.'
        : `📣 Escalated: ${words.escape(describeEscalation(step.reason))}.`;
    case 'closed':
      return escalationOutcomeLine(step.outcome, timezone, words);
  }
}

// ---- answers to a late, double or foreign click -------------------------------------------------------------

export const NOTHING_CHANGED = 'Nothing was changed.';

/** "This lead is offered to Ann, not to you." */
export function notYoursLine(offeredTo: string): string {
  return `This lead is offered to ${offeredTo}, not to you.`;
}

export function notYoursText(offeredTo: string): string {
  return `${notYoursLine(offeredTo)} ${NOTHING_CHANGED}`;
}

/** Status line for a card whose hand-off was decided elsewhere ("This lead was accepted by … on …."). */
export function alreadyDecidedLine(
  state: string,
  by: string | null,
  at: Millis | null,
  timezone?: string,
  words: { icons?: boolean } = {},
): string {
  const who = by !== null ? ` by ${by}` : '';
  const when = at !== null ? ` on ${formatTime(at, timezone)}` : '';
  return `${icon('ℹ️', words)}This lead was already ${state.replace(/_/g, ' ')}${who}${when}.`;
}

export function alreadyDecidedText(state: string, by: string | null, at: Millis | null, timezone?: string): string {
  return `${alreadyDecidedLine(state, by, at, timezone)} ${NOTHING_CHANGED}`;
}

const OFFER_CLOSED_WORDS: Record<string, string> = {
  timed_out: 'timed out',
  withdrawn: 'was withdrawn',
  reassigned: 'was reassigned',
  escalated: 'was escalated to the managers',
  accepted: 'was accepted',
  rejected: 'was rejected',
};

/** Status line for a card whose offer ended (timed out, withdrawn, reassigned, escalated). */
export function offerClosedLine(
  offerState: string,
  at: Millis | null,
  currentRep: string | null,
  timezone?: string,
  words: { icons?: boolean } = {},
): string {
  const when = at !== null ? ` on ${formatTime(at, timezone)}` : '';
  const now = currentRep !== null ? ` It is now with ${currentRep}.` : '';
  return `${icon('ℹ️', words)}This offer ${OFFER_CLOSED_WORDS[offerState] ?? offerState.replace(/_/g, ' ')}${when}.${now}`;
}

export function offerClosedText(
  offerState: string,
  at: Millis | null,
  currentRep: string | null,
  timezone?: string,
): string {
  return `${offerClosedLine(offerState, at, currentRep, timezone)} ${NOTHING_CHANGED}`;
}

/** For someone the config does not know as a rep; `account` says what to add ("Slack user", "Teams user"). */
export function notARepText(account: string): string {
  return `You are not set up as a rep in handoff. Ask your RevOps admin to add your ${account} to the config.`;
}
