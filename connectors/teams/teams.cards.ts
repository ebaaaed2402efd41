// Adaptive Card builders: pure functions from the port's facts to Teams cards (the Teams counterpart of
// slack.blocks.ts; the same facts on every view). Schema 1.5 and only what Teams renders: TextBlock, FactSet,
// ColumnSet, Container, Image, Input.ChoiceSet, Input.Text, Action.Execute (Universal Actions), Action.ShowCard,
// Action.OpenUrl. Every card with live actions carries `refresh` (verb "refresh") so Teams asks us for its current
// state when it is shown; closed cards have neither actions nor refresh.
// Size: Teams refuses a message over about 28 KB, so free text is cut (field ≤ 500, note ≤ 3,000 characters),
// offer history ≤ 20 lines, assignable reps ≤ 100, doc table rows ≤ 50.
import {
  alreadyDecidedText,
  escalationHeadline,
  escalationOutcomeLine as escalationOutcomeWords,
  escalationSummaryText,
  formatTime,
  historyLine,
  hotLeadLine,
  leadLabel,
  leadStepLine as leadStepWords,
  NO_ASSIGNABLE_REP,
  NOTE_MAX,
  notYoursText,
  offerClosedLine,
  offerClosedText,
  offerHeadline,
  offerOutcomeLine as offerOutcomeWords,
  offerSummaryText,
  PLAIN_WORDS,
  reminderText,
  repeatOfferText,
  truncate,
  whyYouText,
} from '../../src/domain/chat-text.js';
import { describeEscalation } from '../../src/domain/escalation.js';
import { leadDisplayName, type Millis, type RejectionReason } from '../../src/domain/model.js';
import type { ClaimOutcome, DecisionOutcome, HandoffView, OfferView } from '../../src/ports/handoff-actions.js';
import type { MessageDoc } from '../../src/ports/message-doc.js';
import type {
  ChannelAudience,
  EscalationOutcome,
  EscalationPost,
  LeadMessage,
  LeadStep,
  OfferCard,
  OfferOutcome,
  Person,
  WhyYou,
} from '../../src/ports/rep-notifier.js';
import { ADAPTIVE_CARD, type TeamsActionData, type TeamsMessage } from './teams.types.js';

export { reminderText };

// ---- the card subset ------------------------------------------------------------------------------

export const CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
export const CARD_VERSION = '1.5';

type Spacing = 'none' | 'small' | 'default' | 'medium' | 'large';

export interface TextBlock {
  type: 'TextBlock';
  text: string;
  wrap?: boolean;
  weight?: 'default' | 'bolder';
  size?: 'small' | 'default' | 'medium' | 'large';
  color?: 'default' | 'accent' | 'good' | 'warning' | 'attention';
  isSubtle?: boolean;
  horizontalAlignment?: 'left' | 'center' | 'right';
  spacing?: Spacing;
  separator?: boolean;
}

export interface FactSet {
  type: 'FactSet';
  facts: { title: string; value: string }[];
  spacing?: Spacing;
}

export interface Column {
  type: 'Column';
  width?: 'auto' | 'stretch' | string;
  items: CardElement[];
}

export interface ColumnSet {
  type: 'ColumnSet';
  columns: Column[];
  spacing?: Spacing;
  separator?: boolean;
}

export interface Container {
  type: 'Container';
  items: CardElement[];
  style?: 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';
  spacing?: Spacing;
  separator?: boolean;
}

export interface Image {
  type: 'Image';
  url: string;
  altText: string;
  size?: 'auto' | 'small' | 'medium' | 'large';
}

export interface ChoiceSetInput {
  type: 'Input.ChoiceSet';
  id: string;
  label?: string;
  placeholder?: string;
  style?: 'compact' | 'expanded';
  isRequired?: boolean;
  errorMessage?: string;
  value?: string;
  choices: { title: string; value: string }[];
}

export interface TextInput {
  type: 'Input.Text';
  id: string;
  label?: string;
  placeholder?: string;
  isMultiline?: boolean;
  maxLength?: number;
  isRequired?: boolean;
  errorMessage?: string;
}

type Tone = NonNullable<Container['style']>;

export type CardElement = TextBlock | FactSet | ColumnSet | Container | Image | ChoiceSetInput | TextInput;

export interface ExecuteAction {
  type: 'Action.Execute';
  title: string;
  verb: TeamsActionData['verb'];
  data: Record<string, string>;
  style?: 'default' | 'positive' | 'destructive';
  /** 'none': the card's inputs are not sent (Accept); 'auto': the inputs of this card level are. */
  associatedInputs?: 'auto' | 'none';
}

export interface ShowCardAction {
  type: 'Action.ShowCard';
  title: string;
  card: AdaptiveCard;
}

export interface OpenUrlAction {
  type: 'Action.OpenUrl';
  title: string;
  url: string;
}

export type CardAction = ExecuteAction | ShowCardAction | OpenUrlAction;

export interface CardRefresh {
  action: ExecuteAction;
  userIds?: string[];
}

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema?: string;
  version: string;
  body: CardElement[];
  actions?: CardAction[];
  /** Universal Actions: Teams calls the bot (verb "refresh") for these users' current view when the card is shown. */
  refresh?: CardRefresh;
  fallbackText?: string;
  msteams?: { width: 'Full' };
}

export const VERB = {
  accept: 'accept',
  reject: 'reject',
  claim: 'claim',
  assign: 'assign',
  refresh: 'refresh',
} as const satisfies Record<string, TeamsActionData['verb']>;

/** Ids of the card inputs, as they come back merged into an Action.Execute's data. */
export const INPUT = { reason: 'reason', note: 'note', repId: 'repId' } as const;

export const LIMITS = { field: 500, note: NOTE_MAX, history: 20, choices: 100, tableRows: 50, title: 200 } as const;

// ---- small helpers -------------------------------------------------------------------------------

function card(body: CardElement[], options: Partial<Omit<AdaptiveCard, 'type' | 'body'>> = {}): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: CARD_SCHEMA,
    version: CARD_VERSION,
    body,
    ...options,
    msteams: { width: 'Full' },
  };
}

function text(value: string, extra: Omit<TextBlock, 'type' | 'text'> = {}): TextBlock {
  return { type: 'TextBlock', text: value, wrap: true, ...extra };
}

function heading(value: string, extra: Omit<TextBlock, 'type' | 'text'> = {}): TextBlock {
  return text(truncate(value, LIMITS.title), { weight: 'bolder', size: 'medium', ...extra });
}

function orUnknown(value: string | number | undefined): string {
  if (value === undefined) return 'unknown';
  const t = String(value).trim();
  return t === '' ? 'unknown' : truncate(t, LIMITS.field);
}

function isWebUrl(url: string | null | undefined): url is string {
  return typeof url === 'string' && /^https?:\/\/[^\s]+$/i.test(url);
}

/** A card as the message that carries it. */
export function cardMessage(content: AdaptiveCard, channelData?: Record<string, unknown>): TeamsMessage {
  return {
    type: 'message',
    attachments: [{ contentType: ADAPTIVE_CARD, content: content as unknown as Record<string, unknown> }],
    ...(channelData !== undefined ? { channelData } : {}),
  };
}

/** "EMEA rule → emea team, round-robin" or "you own the account in the CRM" (plain text). */
export function whyYouLine(why: WhyYou): string {
  return whyYouText(why);
}

// ---- the lead's facts ------------------------------------------------------------------------------

function leadSummary(lead: OfferCard['lead'], timezone: string | undefined): CardElement[] {
  const f = lead.fields;
  const who = [leadDisplayName(lead)];
  if (f.title !== undefined && f.title !== '') who.push(f.title);
  if (f.company !== undefined && f.company !== '') who.push(f.company);
  const sourceCampaign = [f.channel, f.campaign].filter((v): v is string => v !== undefined && v !== '');
  return [
    text(truncate(who.join(' · '), LIMITS.field), { weight: 'bolder' }),
    {
      type: 'FactSet',
      facts: [
        { title: 'Country', value: orUnknown(f.country) },
        { title: 'Employees', value: orUnknown(f.employees) },
        { title: 'Industry', value: orUnknown(f.industry) },
        { title: 'Score', value: orUnknown(f.score) },
        { title: 'Source / campaign', value: orUnknown(sourceCampaign.join(' / ')) },
        { title: 'MQL since', value: formatTime(lead.mqlAt, timezone) },
      ],
    },
  ];
}

function bant(lead: OfferCard['lead']): CardElement[] {
  const f = lead.fields;
  return [
    text('BANT', { weight: 'bolder', spacing: 'medium' }),
    {
      type: 'FactSet',
      facts: [
        { title: 'Need', value: orUnknown(f.need) },
        { title: 'Budget', value: orUnknown(f.budget) },
        { title: 'Authority', value: orUnknown(f.authority) },
        { title: 'Timeline', value: orUnknown(f.timeline) },
      ],
    },
  ];
}

function crmLink(lead: OfferCard['lead']): OpenUrlAction[] {
  return isWebUrl(lead.recordUrl) ? [{ type: 'Action.OpenUrl', title: 'Open in CRM', url: lead.recordUrl }] : [];
}

function statusBlock(line: string, tone: Tone): Container {
  return { type: 'Container', style: tone, separator: true, spacing: 'medium', items: [text(line)] };
}

// ---- offer card -----------------------------------------------------------------------------------

/** The body of the card: who, why hot, the facts, BANT, why you, the deadline in the rep's zone. */
function offerBody(c: OfferCard): CardElement[] {
  const tz = c.rep.timezone;
  const repeat = c.seq > 1 ? ` ${repeatOfferText(c.seq)}` : '';
  return [
    {
      type: 'Container',
      style: c.hot ? 'attention' : 'emphasis',
      items: [
        heading(offerHeadline(c)),
        ...(c.hot ? [text('Hot lead — shorter deadline, please answer first.', { color: 'attention' })] : []),
      ],
    },
    ...leadSummary(c.lead, tz),
    ...bant(c.lead),
    text(`Why you: ${whyYouLine(c.why)}.${repeat}`, { isSubtle: true, spacing: 'medium' }),
    text(`⏰ Accept or reject by **${formatTime(c.dueAt, tz)}**`, { spacing: 'medium' }),
  ];
}

/** The Reject form: a reason (those needing a note say so) and the note; the server checks the note. */
export function rejectForm(offerId: string, label: string, reasons: readonly RejectionReason[]): AdaptiveCard {
  const needNote = reasons.filter((r) => r.noteRequired).map((r) => r.label);
  // A card inside Action.ShowCard: no schema or width of its own (it takes the outer card's).
  return {
    type: 'AdaptiveCard',
    version: CARD_VERSION,
    body: [
      text(`Why are you rejecting **${label}**?`),
      {
        type: 'Input.ChoiceSet',
        id: INPUT.reason,
        label: 'Reason',
        placeholder: 'Choose a reason',
        style: 'compact',
        isRequired: true,
        errorMessage: 'Choose a reason.',
        choices: reasons.slice(0, LIMITS.choices).map((r) => ({
          title: r.noteRequired ? `${r.label} (note required)` : r.label,
          value: r.id,
        })),
      },
      {
        type: 'Input.Text',
        id: INPUT.note,
        label: needNote.length > 0 ? `Note (required for: ${needNote.join(', ')})` : 'Note (optional)',
        placeholder: 'Anything marketing should know',
        isMultiline: true,
        maxLength: LIMITS.note,
      },
    ],
    actions: [
      {
        type: 'Action.Execute',
        title: 'Reject',
        verb: VERB.reject,
        data: { offerId },
        style: 'destructive',
        associatedInputs: 'auto',
      },
    ],
  };
}

function offerActions(offerId: string, label: string, reasons: readonly RejectionReason[]): CardAction[] {
  return [
    {
      type: 'Action.Execute',
      title: 'Accept',
      verb: VERB.accept,
      data: { offerId },
      style: 'positive',
      associatedInputs: 'none',
    },
    { type: 'Action.ShowCard', title: 'Reject…', card: rejectForm(offerId, label, reasons) },
  ];
}

function offerRefresh(offerId: string, userIds: readonly string[]): CardRefresh {
  return {
    action: { type: 'Action.Execute', title: 'Refresh', verb: VERB.refresh, data: { offerId } },
    userIds: [...userIds],
  };
}

export interface OfferCardOptions {
  reasons: readonly RejectionReason[];
  /** The offered rep's Teams user id (29:…, from their stored conversation): who gets the automatic refresh. */
  refreshUserIds: readonly string[];
}

/** The card in the rep's 1:1 chat: the facts, Accept, and Reject (reason + note). */
export function buildOfferCard(c: OfferCard, options: OfferCardOptions): AdaptiveCard {
  return card(offerBody(c), {
    actions: [...offerActions(c.offerId, leadLabel(c.lead), options.reasons), ...crmLink(c.lead)],
    refresh: offerRefresh(c.offerId, options.refreshUserIds),
    fallbackText: offerSummaryText(c),
  });
}

/** What happened to an offer, one line of plain text (the closed card, the thread, the invoke answer). */
export function offerOutcomeLine(
  outcome: OfferOutcome,
  timezone: string | undefined,
  reasons: readonly RejectionReason[] = [],
): string {
  return offerOutcomeWords(outcome, timezone, reasons, PLAIN_WORDS);
}

function outcomeTone(kind: OfferOutcome['kind'] | EscalationOutcome['kind']): Tone {
  if (kind === 'accepted' || kind === 'claimed' || kind === 'assigned') return 'good';
  if (kind === 'rejected') return 'attention';
  return 'warning';
}

/** The card in its final state: the same facts, no buttons, what happened. */
export function buildClosedOfferCard(
  c: OfferCard,
  outcome: OfferOutcome,
  reasons: readonly RejectionReason[] = [],
): AdaptiveCard {
  const line = offerOutcomeLine(outcome, c.rep.timezone, reasons);
  return card([...offerBody(c), statusBlock(line, outcomeTone(outcome.kind))], {
    ...(crmLink(c.lead).length > 0 ? { actions: crmLink(c.lead) } : {}),
    fallbackText: `${leadLabel(c.lead)}: ${line}`,
  });
}

/** The reminder: a new message in the 1:1 chat (Teams 1:1 chats have no threads), naming the lead and time left. */
export function reminderMessage(c: OfferCard, now: Millis): TeamsMessage {
  return { type: 'message', text: reminderText(c, now), textFormat: 'plain' };
}

// ---- a lead's channel message ---------------------------------------------------------------------------

function hotLine(c: OfferCard, timezone: string | undefined): string {
  return hotLeadLine(c, `**${leadLabel(c.lead)}**`, timezone ?? c.rep.timezone, PLAIN_WORDS);
}

function escalationBody(post: EscalationPost, timezone: string | undefined): CardElement[] {
  const body: CardElement[] = [
    {
      type: 'Container',
      style: post.hot ? 'attention' : 'warning',
      items: [heading(escalationHeadline(post))],
    },
    ...leadSummary(post.lead, timezone),
    text(`**Why it is here:** ${describeEscalation(post.reason)}`, { spacing: 'medium' }),
  ];
  if (post.history.length > 0) {
    const shown = post.history.slice(-LIMITS.history);
    const more = post.history.length - shown.length;
    body.push(text('Offer history', { weight: 'bolder', spacing: 'medium' }));
    if (more > 0) body.push(text(`…${more} earlier offers`, { isSubtle: true, spacing: 'none' }));
    for (const l of shown) body.push(text(historyLine(l, timezone, PLAIN_WORDS), { spacing: 'none' }));
  }
  return body;
}

function handoffRefresh(handoffId: string): CardRefresh {
  // No userIds: a channel's members are not known to us. Teams refreshes automatically for everyone in a
  // channel of up to 60 people and shows a refresh button to the others.
  return { action: { type: 'Action.Execute', title: 'Refresh', verb: VERB.refresh, data: { handoffId } } };
}

/**
 * The escalation: the team channel gets Claim (first claim wins); the managers get an Assign-to choice of the
 * assignable reps and Assign.
 */
export function buildEscalationCard(post: EscalationPost, audience: ChannelAudience, timezone?: string): AdaptiveCard {
  const body = escalationBody(post, timezone);
  const actions: CardAction[] = [];
  if (audience === 'managers') {
    const choices = post.assignable.slice(0, LIMITS.choices).map((p) => ({ title: p.name, value: p.id }));
    if (choices.length > 0) {
      body.push({
        type: 'Input.ChoiceSet',
        id: INPUT.repId,
        label: 'Assign to',
        placeholder: 'Choose a rep',
        style: 'compact',
        isRequired: true,
        errorMessage: 'Choose a rep.',
        choices,
      });
      actions.push({
        type: 'Action.Execute',
        title: 'Assign',
        verb: VERB.assign,
        data: { handoffId: post.handoffId },
        style: 'positive',
        associatedInputs: 'auto',
      });
    } else {
      body.push(text(NO_ASSIGNABLE_REP, { isSubtle: true }));
    }
  } else {
    actions.push({
      type: 'Action.Execute',
      title: 'Claim',
      verb: VERB.claim,
      data: { handoffId: post.handoffId },
      style: 'positive',
      associatedInputs: 'none',
    });
  }
  return card(body, {
    actions: [...actions, ...crmLink(post.lead)],
    ...(actions.length > 0 ? { refresh: handoffRefresh(post.handoffId) } : {}),
    fallbackText: escalationSummaryText(post, audience),
  });
}

export function escalationOutcomeLine(outcome: EscalationOutcome, timezone?: string): string {
  return escalationOutcomeWords(outcome, timezone, PLAIN_WORDS);
}

/**
 * A lead's one channel message as it stands: the hot notice (and its decision), the escalation with Claim or
 * Assign, or the escalation's end. Times in `timezone` (the channel is read by several people).
 */
export function buildLeadCard(
  message: LeadMessage,
  audience: ChannelAudience,
  timezone?: string,
  reasons: readonly RejectionReason[] = [],
): AdaptiveCard {
  switch (message.kind) {
    case 'hot':
      return card([text(hotLine(message.card, timezone))], {
        ...(crmLink(message.card.lead).length > 0 ? { actions: crmLink(message.card.lead) } : {}),
        fallbackText: `🔥 Hot lead ${leadLabel(message.card.lead)} offered to ${message.card.rep.name}`,
      });
    case 'decided': {
      const line = offerOutcomeLine(message.outcome, timezone ?? message.card.rep.timezone, reasons);
      return card([text(hotLine(message.card, timezone)), statusBlock(line, outcomeTone(message.outcome.kind))], {
        fallbackText: `${leadLabel(message.card.lead)}: ${line}`,
      });
    }
    case 'escalated':
      return buildEscalationCard(message.post, audience, timezone);
    case 'closed': {
      const line = escalationOutcomeLine(message.outcome, timezone);
      return card([...escalationBody(message.post, timezone), statusBlock(line, outcomeTone(message.outcome.kind))], {
        fallbackText: `${leadLabel(message.post.lead)}: ${line}`,
      });
    }
  }
}

/** A step of the lead's story, as a reply in its channel thread (plain text). */
export function leadStepLine(step: LeadStep, timezone?: string, reasons: readonly RejectionReason[] = []): string {
  return leadStepWords(step, timezone, reasons, PLAIN_WORDS);
}

// ---- alerts and digests ------------------------------------------------------------------------------

function tableColumns(t: MessageDoc['tables'][number]): ColumnSet {
  const rows = t.rows.slice(0, LIMITS.tableRows);
  return {
    type: 'ColumnSet',
    columns: t.head.map((h, c) => {
      const align = t.numeric?.includes(c) === true ? 'right' : 'left';
      return {
        type: 'Column',
        width: c === 0 ? 'stretch' : 'auto',
        items: [
          text(h, { weight: 'bolder', horizontalAlignment: align, wrap: false }),
          ...rows.map((r) => text(r[c] ?? '', { horizontalAlignment: align, spacing: 'none', wrap: false })),
        ],
      };
    }),
  };
}

/** An alert or digest: title, intro, facts, each table as columns, the notes, the link and the footer. */
export function buildDocCard(doc: MessageDoc): AdaptiveCard {
  const body: CardElement[] = [text(truncate(doc.title, LIMITS.title), { weight: 'bolder', size: 'large' })];
  for (const line of doc.intro) body.push(text(line));
  if (doc.facts.length > 0) {
    body.push({ type: 'FactSet', facts: doc.facts.map((f) => ({ title: f.label, value: f.value })) });
  }
  for (const t of doc.tables) {
    if (t.rows.length === 0) continue;
    body.push(text(t.title, { weight: 'bolder', spacing: 'medium' }));
    body.push(tableColumns(t));
    if (t.rows.length > LIMITS.tableRows) {
      body.push(text(`…and ${t.rows.length - LIMITS.tableRows} more rows.`, { isSubtle: true }));
    }
  }
  if (doc.notes !== null && doc.notes.items.length > 0) {
    body.push(text(doc.notes.title, { weight: 'bolder', spacing: 'medium' }));
    for (const n of doc.notes.items) body.push(text(`• ${n}`, { spacing: 'none' }));
  }
  if (doc.footer !== null) body.push(text(doc.footer, { isSubtle: true, size: 'small', spacing: 'medium' }));
  const facts = doc.facts.map((f) => `${f.label}: ${f.value}`).join(' · ');
  return card(body, {
    ...(doc.link !== null && isWebUrl(doc.link.url)
      ? { actions: [{ type: 'Action.OpenUrl', title: doc.link.label, url: doc.link.url }] }
      : {}),
    fallbackText: [doc.title, ...doc.intro, facts].filter((x) => x !== '').join(' — '),
  });
}

// ---- answers to card actions (Universal Actions invoke responses) ---------------------------------------

/** Everything an invoke answer is made from: plain data the /teams/messages handler already has. */
export interface InvokeRenderInput {
  /** The clicked Action.Execute (verb and data, inputs merged) or the automatic refresh. */
  action: TeamsActionData;
  /** HandoffActions' answer: a DecisionOutcome for accept/reject, a ClaimOutcome for claim/assign; null for refresh. */
  outcome: DecisionOutcome | ClaimOutcome | null;
  /** The offer as it stands now (viewOffer), for accept/reject/refresh: the lead's name and, on refresh, its state. */
  offer?: OfferView | null;
  /** The hand-off as it stands now (viewHandoff), for claim/assign/refresh of a channel card. */
  handoff?: HandoffView | null;
  /** Configured reps and managers: names for the person ids in outcomes, the clicker's time zone. */
  people: readonly Person[];
  /** Who clicked: Entra object id (finds them in `people`) and Teams user id 29:… (refresh of a re-sent form). */
  viewer?: { aadObjectId?: string | null; userId?: string | null };
  reasons?: readonly RejectionReason[];
  /** Time zone when the clicker has none configured. */
  timezone?: string;
  now: Millis;
}

function nameById(people: readonly Person[], id: string | null): string | null {
  if (id === null) return null;
  return people.find((p) => p.id === id)?.name ?? id;
}

function labelOf(offer: OfferView | null | undefined, handoff: HandoffView | null | undefined): string {
  const v = offer ?? handoff;
  if (v === null || v === undefined) return 'This lead';
  return v.company !== null && v.company !== '' ? `${v.leadName} (${v.company})` : v.leadName;
}

function answerCard(label: string, line: string, tone: Tone, extra: Partial<AdaptiveCard> = {}) {
  return card([heading(label), statusBlock(line, tone)], { fallbackText: `${label}: ${line}`, ...extra });
}

/** The form again (after "note required"): the same Accept / Reject, with the problem on top. */
function retryCard(input: InvokeRenderInput, offer: OfferView, problem: string): AdaptiveCard {
  const label = labelOf(offer, null);
  const userIds = input.viewer?.userId ? [input.viewer.userId] : [];
  return card(
    [
      heading(offer.hot ? `🔥 HOT lead: ${label}` : `Lead: ${label}`),
      text(`⚠️ ${problem}. Nothing was changed — please try again.`, { color: 'attention' }),
      text(`⏰ Accept or reject by **${formatTime(offer.dueAt, zoneOf(input))}**`),
    ],
    {
      actions: offerActions(offer.offerId, label, input.reasons ?? []),
      refresh: offerRefresh(offer.offerId, userIds),
      fallbackText: `${label}: ${problem}. Nothing was changed.`,
    },
  );
}

function zoneOf(input: InvokeRenderInput): string | undefined {
  const aad = input.viewer?.aadObjectId;
  const viewer = aad ? input.people.find((p) => p.teamsUserId === aad) : undefined;
  return viewer?.timezone ?? input.timezone;
}

function viewerName(input: InvokeRenderInput, fallbackId: string | null): string {
  const aad = input.viewer?.aadObjectId;
  const viewer = aad ? input.people.find((p) => p.teamsUserId === aad) : undefined;
  return viewer?.name ?? nameById(input.people, fallbackId) ?? 'you';
}

const NOT_SET_UP =
  'You are not set up in handoff. Ask your RevOps admin to add your Teams user (Entra object id or email) to the config.';
const GONE = 'This lead is no longer known to handoff. Nothing was changed.';

function decisionAnswer(input: InvokeRenderInput, outcome: DecisionOutcome): AdaptiveCard {
  const tz = zoneOf(input);
  const label = labelOf(input.offer, null);
  const people = input.people;
  switch (outcome.kind) {
    case 'accepted': {
      const by = viewerName(input, outcome.handoff.decidedBy);
      const at = outcome.handoff.decidedAt ?? input.now;
      return answerCard(label, `✅ Accepted by ${by} on ${formatTime(at, tz)}. It is yours now.`, 'good');
    }
    case 'rejected': {
      const by = viewerName(input, outcome.handoff.decidedBy);
      const action = input.action.verb === 'reject' ? input.action : null;
      const reasonId = outcome.handoff.reasonId ?? action?.reason ?? 'other';
      const note = outcome.handoff.note ?? action?.note ?? null;
      const line = offerOutcomeLine(
        {
          kind: 'rejected',
          by: { id: '', name: by },
          at: outcome.handoff.decidedAt ?? input.now,
          reason: reasonId,
          note,
        },
        tz,
        input.reasons ?? [],
      );
      return answerCard(label, line, 'attention');
    }
    case 'already_decided':
      return answerCard(
        label,
        alreadyDecidedText(outcome.state, nameById(people, outcome.by), outcome.at, tz),
        'warning',
      );
    case 'offer_closed':
      return answerCard(
        label,
        offerClosedText(outcome.offerState, outcome.at, nameById(people, outcome.currentRep), tz),
        'warning',
      );
    case 'not_yours':
      return answerCard(label, notYoursText(nameById(people, outcome.offeredTo) ?? outcome.offeredTo), 'warning');
    case 'unknown_user':
      return answerCard(label, NOT_SET_UP, 'warning');
    case 'invalid':
      // The rep needs the form again (a reason that wants a note, sent without one).
      if (input.offer !== null && input.offer !== undefined && input.offer.offerState === 'open') {
        return retryCard(input, input.offer, `That did not work: ${outcome.problem}`);
      }
      return answerCard(label, `That did not work: ${outcome.problem}. Nothing was changed.`, 'attention');
    case 'not_found':
      return answerCard(label, GONE, 'warning');
  }
}

function claimAnswer(input: InvokeRenderInput, outcome: ClaimOutcome): AdaptiveCard {
  const tz = zoneOf(input);
  const label = labelOf(null, input.handoff);
  const people = input.people;
  const when = (at: Millis | null): string => formatTime(at ?? input.now, tz);
  switch (outcome.kind) {
    case 'claimed':
      return answerCard(
        label,
        `🙋 Claimed by ${viewerName(input, outcome.by)} on ${when(outcome.handoff.decidedAt)}. It is yours now.`,
        'good',
      );
    case 'assigned':
      return answerCard(
        label,
        `👉 Assigned to ${nameById(people, outcome.to) ?? outcome.to} by ${viewerName(input, null)} on ${when(outcome.handoff.decidedAt)}.`,
        'good',
      );
    case 'already_taken': {
      const by = nameById(people, outcome.by);
      const line =
        by !== null ? `ℹ️ Already taken: ${by} has it (${outcome.state}).` : `ℹ️ Already taken (${outcome.state}).`;
      return answerCard(label, `${line} Nothing was changed.`, 'warning');
    }
    case 'not_allowed':
      return answerCard(label, `You can't do that: ${outcome.why}. Nothing was changed.`, 'warning');
    case 'unknown_user':
      return answerCard(label, NOT_SET_UP, 'warning');
    case 'not_found':
      return answerCard(label, GONE, 'warning');
  }
}

/** The automatic refresh: the current state once it is no longer open; null while it is (keep the card). */
function refreshAnswer(input: InvokeRenderInput): AdaptiveCard | null {
  const tz = zoneOf(input);
  const action = input.action;
  if (action.verb !== 'refresh') return null;
  if (action.offerId !== undefined) {
    const offer = input.offer;
    if (offer === null || offer === undefined)
      return answerCard('This lead', 'ℹ️ This lead is no longer available.', 'warning');
    if (offer.offerState === 'open') return null;
    const by = nameById(input.people, offer.decidedBy);
    const label = labelOf(offer, null);
    if (offer.offerState === 'accepted' || offer.offerState === 'rejected') {
      const icon = offer.offerState === 'accepted' ? '✅ Accepted' : '❌ Rejected';
      const who = by !== null ? ` by ${by}` : '';
      const when = offer.decidedAt !== null ? ` on ${formatTime(offer.decidedAt, tz)}` : '';
      return answerCard(label, `${icon}${who}${when}.`, offer.offerState === 'accepted' ? 'good' : 'attention');
    }
    return answerCard(label, offerClosedLine(offer.offerState, offer.decidedAt, null, tz), 'warning');
  }
  if (action.handoffId !== undefined) {
    const h = input.handoff;
    if (h === null || h === undefined)
      return answerCard('This lead', 'ℹ️ This lead is no longer available.', 'warning');
    if (h.state === 'escalated') return null;
    const label = labelOf(null, h);
    if (h.state === 'withdrawn') return answerCard(label, '↩️ Withdrawn — no action needed.', 'warning');
    const owner = h.ownerName !== null ? `${h.ownerName} has it` : 'it has an owner';
    return answerCard(label, `ℹ️ Taken: ${owner} (${h.state.replace(/_/g, ' ')}).`, 'good');
  }
  return null;
}

/**
 * The answer to an Action.Execute invoke, for the clicker: a card that replaces the one they clicked (the
 * notifier's closeOffer / updateLeadMessage rewrites it for everyone else), or null when nothing changed and
 * the card should stay as it is (the automatic refresh of an offer or escalation that is still open).
 * Every DecisionOutcome / ClaimOutcome kind gets a card saying what happened ("already accepted by …",
 * "offered to …, not to you", "a note is required …" with the form again).
 */
export function renderInvokeResult(input: InvokeRenderInput): AdaptiveCard | null {
  const { action, outcome } = input;
  if (action.verb === 'refresh' || outcome === null) return refreshAnswer(input);
  if (action.verb === 'accept' || action.verb === 'reject') return decisionAnswer(input, outcome as DecisionOutcome);
  return claimAnswer(input, outcome as ClaimOutcome);
}
