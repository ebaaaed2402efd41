// Block Kit builders: pure functions from the port's facts to Slack messages and views.
// Limits respected (reference/api-notes §2.2): header ≤ 150, section text ≤ 3000, ≤ 10 fields of ≤ 2000,
// button text ≤ 75 and value ≤ 2000, action_id/block_id ≤ 255, ≤ 100 select options (text ≤ 75, value ≤ 150),
// modal title/submit/close ≤ 24, private_metadata ≤ 3000, ≤ 50 blocks per message and ≤ 100 per view.
import type { types as SlackTypes } from '@slack/bolt';
import {
  escalationHeadline,
  escalationOutcomeLine,
  escalationSummaryText,
  formatSpan,
  formatTime,
  historyLine,
  hotLeadLine,
  leadLabel,
  leadStepLine,
  NO_ASSIGNABLE_REP,
  notARepText as notARepTextFor,
  offerHeadline,
  offerOutcomeLine,
  offerSummaryText,
  ordinal,
  repeatOfferText,
  truncate,
  whyYouText as whyYouWords,
  type ChatWords,
} from '../../src/domain/chat-text.js';
import { describeEscalation } from '../../src/domain/escalation.js';
import { leadDisplayName, type Millis, type RejectionReason } from '../../src/domain/model.js';
import { textTable } from '../../src/domain/text-table.js';
import type { QueueItem, RepSummary } from '../../src/ports/handoff-actions.js';
import type { MessageDoc } from '../../src/ports/message-doc.js';
import type {
  ChannelAudience,
  EscalationOutcome,
  EscalationPost,
  LeadMessage,
  LeadStep,
  MessageRef,
  OfferCard,
  OfferOutcome,
  Person,
  WhyYou,
} from '../../src/ports/rep-notifier.js';

export type Block = SlackTypes.KnownBlock;
export type ModalView = SlackTypes.ModalView;
export type HomeView = SlackTypes.HomeView;

export interface SlackMessage {
  /** Notification / accessibility fallback. */
  text: string;
  blocks: Block[];
}

export const ACTION = {
  accept: 'handoff_accept',
  reject: 'handoff_reject',
  claim: 'handoff_claim',
  assign: 'handoff_assign',
  rejectReason: 'reason',
  rejectNote: 'note',
} as const;

export const BLOCK = {
  offerActions: 'offer_actions',
  status: 'handoff_status',
  escalationActions: 'escalation_actions',
  rejectReason: 'reject_reason',
  rejectNote: 'reject_note',
} as const;

export const REJECT_MODAL_CALLBACK = 'handoff_reject_modal';

export const LIMITS = {
  header: 150,
  sectionText: 3000,
  field: 2000,
  fieldsPerSection: 10,
  buttonText: 75,
  buttonValue: 2000,
  optionText: 75,
  optionValue: 150,
  options: 100,
  modalTitle: 24,
  privateMetadata: 3000,
  messageBlocks: 50,
  viewBlocks: 100,
  contextElements: 10,
  noteLength: 3000,
} as const;

// The words shared with Teams and email (src/domain/chat-text.ts); re-exported for the Slack app and its tests.
export {
  alreadyDecidedLine,
  alreadyDecidedText,
  formatSpan,
  formatTime,
  notYoursText,
  offerClosedLine,
  offerClosedText,
  reminderText,
} from '../../src/domain/chat-text.js';

// ---- small helpers ------------------------------------------------------------------------------

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function plain(text: string, max: number): SlackTypes.PlainTextElement {
  return { type: 'plain_text', text: truncate(text, max), emoji: true };
}

function mrkdwn(text: string, max: number = LIMITS.sectionText): SlackTypes.MrkdwnElement {
  return { type: 'mrkdwn', text: truncate(text, max) };
}

/** How a person appears in Slack text: a mention when we know their Slack id, else their name. */
export function personRef(person: Person | null | undefined): string {
  if (person === null || person === undefined) return 'someone';
  return person.slackUserId !== undefined ? `<@${person.slackUserId}>` : escapeMrkdwn(person.name);
}

/** How the shared words name people and escape text in Slack mrkdwn. */
export const SLACK_WORDS: ChatWords<Person> = { name: personRef, escape: escapeMrkdwn };

function linked(text: string, url: string | null): string {
  const safe = escapeMrkdwn(text);
  if (url === null || url === '' || /[|<>\s]/.test(url)) return `*${safe}*`;
  return `*<${url}|${safe}>*`;
}

function orUnknown(value: string | number | undefined): string {
  if (value === undefined) return '_unknown_';
  const text = String(value).trim();
  return text === '' ? '_unknown_' : escapeMrkdwn(text);
}

function field(label: string, value: string): SlackTypes.MrkdwnElement {
  return mrkdwn(`*${label}*\n${value}`, LIMITS.field);
}

/** "EMEA rule → emea team, round-robin" or "you own the account in the CRM", in mrkdwn. */
export function whyYouText(why: WhyYou): string {
  return whyYouWords(why, escapeMrkdwn);
}

// ---- offer card ---------------------------------------------------------------------------------

function leadSummaryBlocks(lead: OfferCard['lead'], timezone: string | undefined): Block[] {
  const f = lead.fields;
  const who = [linked(leadDisplayName(lead), lead.recordUrl)];
  if (f.title !== undefined && f.title !== '') who.push(escapeMrkdwn(f.title));
  if (f.company !== undefined && f.company !== '') who.push(linked(f.company, lead.recordUrl));
  const sourceCampaign = [f.channel, f.campaign].filter((v): v is string => v !== undefined && v !== '');
  return [
    { type: 'section', text: mrkdwn(who.join(' · ')) },
    {
      type: 'section',
      fields: [
        field('Country', orUnknown(f.country)),
        field('Employees', orUnknown(f.employees)),
        field('Industry', orUnknown(f.industry)),
        field('Score', orUnknown(f.score)),
        field('Source / campaign', sourceCampaign.length > 0 ? escapeMrkdwn(sourceCampaign.join(' / ')) : '_unknown_'),
        field('MQL since', formatTime(lead.mqlAt, timezone)),
      ],
    },
  ];
}

/** The card a rep gets in their DM: who, why hot, BANT, why them, the deadline, Accept / Reject. */
export function buildOfferCard(card: OfferCard): SlackMessage {
  const tz = card.rep.timezone;
  const f = card.lead.fields;
  const repeat = card.seq > 1 ? ` ${repeatOfferText(card.seq)}` : '';
  const blocks: Block[] = [
    { type: 'header', text: plain(offerHeadline(card), LIMITS.header) },
    ...(card.hot
      ? [{ type: 'context', elements: [mrkdwn('*Hot lead* — shorter deadline, please answer first.')] } satisfies Block]
      : []),
    ...leadSummaryBlocks(card.lead, tz),
    {
      type: 'section',
      fields: [
        field('Need', orUnknown(f.need)),
        field('Budget', orUnknown(f.budget)),
        field('Authority', orUnknown(f.authority)),
        field('Timeline', orUnknown(f.timeline)),
      ],
    },
    { type: 'context', elements: [mrkdwn(`*Why you:* ${whyYouText(card.why)}.${repeat}`)] },
    { type: 'section', text: mrkdwn(`⏰ Accept or reject by *${formatTime(card.dueAt, tz)}*`) },
    {
      type: 'actions',
      block_id: BLOCK.offerActions,
      elements: [
        {
          type: 'button',
          action_id: ACTION.accept,
          style: 'primary',
          text: plain('Accept', LIMITS.buttonText),
          value: card.offerId,
        },
        {
          type: 'button',
          action_id: ACTION.reject,
          style: 'danger',
          text: plain('Reject…', LIMITS.buttonText),
          value: card.offerId,
        },
      ],
    },
  ];
  return { text: truncate(offerSummaryText(card), LIMITS.sectionText), blocks };
}

/** What happened to an offer, one line, for the closed card and the text fallback. */
export function offerOutcomeText(
  outcome: OfferOutcome,
  timezone: string | undefined,
  reasons: readonly RejectionReason[] = [],
): string {
  return offerOutcomeLine(outcome, timezone, reasons, SLACK_WORDS);
}

/** Removes live controls from a posted message and appends (or replaces) its status line. */
export function closeBlocks(blocks: readonly unknown[], statusText: string): Block[] {
  const kept = blocks.filter((b): b is Block => {
    if (typeof b !== 'object' || b === null) return false;
    const block = b as { type?: unknown; block_id?: unknown };
    return block.type !== 'actions' && block.block_id !== BLOCK.status;
  });
  const status: Block = { type: 'section', block_id: BLOCK.status, text: mrkdwn(statusText) };
  return [...kept.slice(0, LIMITS.messageBlocks - 1), status];
}

/** The card in its final state: the same facts, no buttons, what happened. */
export function buildClosedOfferCard(
  card: OfferCard,
  outcome: OfferOutcome,
  reasons: readonly RejectionReason[] = [],
): SlackMessage {
  const line = offerOutcomeText(outcome, card.rep.timezone, reasons);
  return {
    text: truncate(`${leadLabel(card.lead)}: ${line}`, LIMITS.sectionText),
    blocks: closeBlocks(buildOfferCard(card).blocks, line),
  };
}

/** The team channel's message while a hot lead is out with a rep (the n-th offer named after the first). */
export function buildHotNotice(card: OfferCard): SlackMessage {
  const label = leadLabel(card.lead);
  const line = hotLeadLine(card, linked(label, card.lead.recordUrl), card.rep.timezone, SLACK_WORDS);
  const score = card.lead.fields.score !== undefined ? `, score ${card.lead.fields.score}` : '';
  const nth = card.seq > 1 ? ` (${ordinal(card.seq)} offer)` : '';
  return {
    text: `🔥 Hot lead ${label}${score} offered to ${card.rep.name}${nth}`,
    blocks: [{ type: 'section', text: mrkdwn(line) }],
  };
}

// ---- reject modal -------------------------------------------------------------------------------

/** What the modal carries back to the submission handler. */
export interface RejectModalMetadata {
  offerId: string;
  /** The card the click came from; null when it came from App Home. */
  ref: MessageRef | null;
  /** Short label of the lead for the fallback card update. */
  label: string;
}

export function encodeRejectMetadata(meta: RejectModalMetadata): string {
  const base = { o: meta.offerId, c: meta.ref?.channel ?? null, t: meta.ref?.ts ?? null, l: '' };
  const room = LIMITS.privateMetadata - JSON.stringify(base).length - 8;
  return JSON.stringify({ ...base, l: truncate(meta.label, Math.max(0, Math.min(room, 200))) });
}

export function decodeRejectMetadata(text: string): RejectModalMetadata | null {
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    if (typeof raw.o !== 'string' || raw.o === '') return null;
    const ref = typeof raw.c === 'string' && typeof raw.t === 'string' ? { channel: raw.c, ts: raw.t } : null;
    return { offerId: raw.o, ref, label: typeof raw.l === 'string' ? raw.l : '' };
  } catch {
    return null;
  }
}

/** The modal opened by Reject: a reason (required) and a note (required for some reasons). */
export function buildRejectModal(input: {
  offerId: string;
  reasons: readonly RejectionReason[];
  ref: MessageRef | null;
  label: string;
}): ModalView {
  const needNote = input.reasons.filter((r) => r.noteRequired).map((r) => r.label);
  const hint =
    needNote.length > 0
      ? `Required when the reason is: ${needNote.join(', ')}.`
      : 'Optional: anything marketing should know.';
  return {
    type: 'modal',
    callback_id: REJECT_MODAL_CALLBACK,
    title: plain('Reject lead', LIMITS.modalTitle),
    submit: plain('Reject', LIMITS.modalTitle),
    close: plain('Cancel', LIMITS.modalTitle),
    private_metadata: encodeRejectMetadata({ offerId: input.offerId, ref: input.ref, label: input.label }),
    blocks: [
      { type: 'section', text: mrkdwn(`Why are you rejecting *${escapeMrkdwn(input.label)}*?`) },
      {
        type: 'input',
        block_id: BLOCK.rejectReason,
        label: plain('Reason', 2000),
        element: {
          type: 'static_select',
          action_id: ACTION.rejectReason,
          placeholder: plain('Choose a reason', 150),
          options: input.reasons.slice(0, LIMITS.options).map((r) => ({
            text: plain(r.label, LIMITS.optionText),
            value: truncate(r.id, LIMITS.optionValue),
          })),
        },
      },
      {
        type: 'input',
        block_id: BLOCK.rejectNote,
        optional: true,
        label: plain('Note', 2000),
        hint: plain(hint, 2000),
        element: {
          type: 'plain_text_input',
          action_id: ACTION.rejectNote,
          multiline: true,
          max_length: LIMITS.noteLength,
        },
      },
    ],
  };
}

// ---- escalations --------------------------------------------------------------------------------

/** Value of an Assign-to option: hand-off id and rep id. */
export function encodeAssignValue(handoffId: string, repId: string): string {
  return `${handoffId}|${repId}`;
}

export function decodeAssignValue(value: string): { handoffId: string; repId: string } | null {
  const cut = value.lastIndexOf('|');
  if (cut <= 0 || cut === value.length - 1) return null;
  return { handoffId: value.slice(0, cut), repId: value.slice(cut + 1) };
}

function escalationSummary(post: EscalationPost, timezone: string | undefined): Block[] {
  const history = post.history.map((l) => historyLine(l, timezone, SLACK_WORDS));
  const blocks: Block[] = [
    { type: 'header', text: plain(escalationHeadline(post), LIMITS.header) },
    ...leadSummaryBlocks(post.lead, timezone),
    { type: 'section', text: mrkdwn(`*Why it is here:* ${escapeMrkdwn(describeEscalation(post.reason))}`) },
  ];
  if (history.length > 0) {
    blocks.push({ type: 'section', text: mrkdwn(`*Offer history*\n${history.join('\n')}`) });
  }
  return blocks;
}

/**
 * The escalation post. Managers get the history and an Assign-to select of eligible reps;
 * the team channel gets the same summary with a Claim button (first claim wins).
 */
export function buildEscalationPost(
  post: EscalationPost,
  audience: 'managers' | 'team',
  timezone?: string,
): SlackMessage {
  const blocks = escalationSummary(post, timezone);
  if (audience === 'managers') {
    const options = post.assignable
      .map((p) => ({ text: plain(p.name, LIMITS.optionText), value: encodeAssignValue(post.handoffId, p.id) }))
      .filter((o) => o.value.length <= LIMITS.optionValue)
      .slice(0, LIMITS.options);
    if (options.length > 0) {
      blocks.push({
        type: 'actions',
        block_id: BLOCK.escalationActions,
        elements: [{ type: 'static_select', action_id: ACTION.assign, placeholder: plain('Assign to…', 150), options }],
      });
    } else {
      blocks.push({ type: 'context', elements: [mrkdwn(NO_ASSIGNABLE_REP)] });
    }
  } else {
    blocks.push({
      type: 'actions',
      block_id: BLOCK.escalationActions,
      elements: [
        {
          type: 'button',
          action_id: ACTION.claim,
          style: 'primary',
          text: plain('Claim', LIMITS.buttonText),
          value: post.handoffId,
        },
      ],
    });
  }
  return { text: truncate(escalationSummaryText(post, audience), LIMITS.sectionText), blocks };
}

export function escalationOutcomeText(outcome: EscalationOutcome, timezone?: string): string {
  return escalationOutcomeLine(outcome, timezone, SLACK_WORDS);
}

export function buildClosedEscalation(
  post: EscalationPost,
  outcome: EscalationOutcome,
  timezone?: string,
): SlackMessage {
  const line = escalationOutcomeText(outcome, timezone);
  return {
    text: truncate(`${leadLabel(post.lead)}: ${line}`, LIMITS.sectionText),
    blocks: closeBlocks(escalationSummary(post, timezone), line),
  };
}

// ---- a lead's one channel message and its thread -------------------------------------------------

/** A lead's channel message as it stands: the hot notice, the escalation (Claim / Assign to…), or its end. */
export function buildLeadMessage(
  message: LeadMessage,
  audience: ChannelAudience,
  timezone?: string,
  reasons: readonly RejectionReason[] = [],
): SlackMessage {
  switch (message.kind) {
    case 'hot':
      return buildHotNotice(message.card);
    case 'decided': {
      const notice = buildHotNotice(message.card);
      const line = offerOutcomeText(message.outcome, timezone ?? message.card.rep.timezone, reasons);
      return {
        text: truncate(`${leadLabel(message.card.lead)}: ${line}`, LIMITS.sectionText),
        blocks: closeBlocks(notice.blocks, line),
      };
    }
    case 'escalated':
      return buildEscalationPost(message.post, audience, timezone);
    case 'closed':
      return buildClosedEscalation(message.post, message.outcome, timezone);
  }
}

/** A step of the lead's story, as a thread reply under its channel message. */
export function leadStepText(step: LeadStep, timezone?: string, reasons: readonly RejectionReason[] = []): string {
  return leadStepLine(step, timezone, reasons, SLACK_WORDS);
}

// ---- alerts and digests --------------------------------------------------------------------------

/**
 * An alert or digest: header, intro, facts as fields (10 per section), each table as a code block,
 * the notes as bullets, the link and footer as context. The fallback text carries the headline,
 * the intro and the facts, for notifications and screen readers.
 */
export function buildDocMessage(doc: MessageDoc): SlackMessage {
  const blocks: Block[] = [{ type: 'header', text: plain(doc.title, LIMITS.header) }];
  if (doc.intro.length > 0) blocks.push({ type: 'section', text: mrkdwn(doc.intro.map(escapeMrkdwn).join('\n')) });
  for (let i = 0; i < doc.facts.length; i += LIMITS.fieldsPerSection) {
    blocks.push({
      type: 'section',
      fields: doc.facts
        .slice(i, i + LIMITS.fieldsPerSection)
        .map((f) => field(escapeMrkdwn(f.label), escapeMrkdwn(f.value))),
    });
  }
  for (const t of doc.tables) {
    if (t.rows.length === 0) continue;
    const numeric = t.head.map((_, c) => t.numeric?.includes(c) ?? false);
    const table = textTable(t.head, t.rows, numeric);
    blocks.push({ type: 'section', text: mrkdwn(`*${escapeMrkdwn(t.title)}*\n\`\`\`${escapeMrkdwn(table)}\`\`\``) });
  }
  if (doc.notes !== null && doc.notes.items.length > 0) {
    const items = doc.notes.items.map((n) => `• ${escapeMrkdwn(n)}`).join('\n');
    blocks.push({ type: 'section', text: mrkdwn(`*${escapeMrkdwn(doc.notes.title)}*\n${items}`) });
  }
  const context: string[] = [];
  if (doc.link !== null) context.push(`<${doc.link.url}|${escapeMrkdwn(doc.link.label)}>`);
  if (doc.footer !== null) context.push(escapeMrkdwn(doc.footer));
  if (context.length > 0) blocks.push({ type: 'context', elements: context.map((text) => mrkdwn(text, LIMITS.field)) });
  const facts = doc.facts.map((f) => `${f.label}: ${f.value}`).join(' · ');
  const text = [doc.title, ...doc.intro, facts].filter((x) => x !== '').join(' — ');
  return { text: truncate(text, LIMITS.sectionText), blocks };
}

// ---- App Home -----------------------------------------------------------------------------------

export interface HomeInput {
  /** null: the Slack user is not a rep known to handoff. */
  queue: QueueItem[] | null;
  summary: RepSummary | null;
  timezone?: string;
  now: Millis;
  /** A one-off line at the top (what happened to the button the rep just clicked). */
  notice?: string;
}

export function formatSummary(summary: RepSummary): string[] {
  const median = summary.medianResponseMs === null ? '—' : formatSpan(summary.medianResponseMs);
  return [
    `*Offers*\n${summary.offers}`,
    `*Accepted*\n${summary.accepted}`,
    `*Rejected*\n${summary.rejected}`,
    `*Timed out*\n${summary.timedOut}`,
    `*Median response*\n${median}`,
  ];
}

function queueItemLine(item: QueueItem, timezone: string | undefined, now: Millis): string {
  const label = item.company !== null && item.company !== '' ? `${item.leadName} (${item.company})` : item.leadName;
  const left = item.dueAt - now;
  const due = left > 0 ? `${formatSpan(left)} left` : 'overdue';
  return `${item.hot ? '🔥 ' : ''}*${escapeMrkdwn(label)}* — due ${formatTime(item.dueAt, timezone)} (${due})`;
}

/** The rep's Home tab: open offers with the same buttons as the cards, and their last 30 days. */
export function buildAppHome(input: HomeInput): HomeView {
  const blocks: Block[] = [{ type: 'header', text: plain('Your leads', LIMITS.header) }];
  if (input.notice !== undefined && input.notice !== '') {
    blocks.push({ type: 'context', elements: [mrkdwn(input.notice)] });
  }
  if (input.queue === null) {
    blocks.push({
      type: 'section',
      text: mrkdwn(
        'You are not set up as a rep in handoff yet. Ask your RevOps admin to add your Slack user to the config.',
      ),
    });
    return { type: 'home', blocks };
  }
  // Each open offer takes two blocks; keep room for the numbers below.
  const shown = input.queue.slice(0, 40);
  if (shown.length === 0) {
    blocks.push({ type: 'section', text: mrkdwn('No open offers right now. New leads arrive in your DMs.') });
  }
  for (const item of shown) {
    blocks.push({ type: 'section', text: mrkdwn(queueItemLine(item, input.timezone, input.now)) });
    blocks.push({
      type: 'actions',
      block_id: truncate(`home_offer:${item.offerId}`, 255),
      elements: [
        { type: 'button', action_id: ACTION.accept, style: 'primary', text: plain('Accept', 75), value: item.offerId },
        { type: 'button', action_id: ACTION.reject, style: 'danger', text: plain('Reject…', 75), value: item.offerId },
      ],
    });
  }
  if (input.queue.length > shown.length) {
    blocks.push({ type: 'context', elements: [mrkdwn(`…and ${input.queue.length - shown.length} more.`)] });
  }
  blocks.push({ type: 'divider' });
  blocks.push({ type: 'header', text: plain('Last 30 days', LIMITS.header) });
  if (input.summary === null) {
    blocks.push({ type: 'section', text: mrkdwn('No numbers yet.') });
  } else {
    blocks.push({ type: 'section', fields: formatSummary(input.summary).map((t) => mrkdwn(t, LIMITS.field)) });
  }
  return { type: 'home', blocks };
}

// ---- ephemeral and slash-command texts ------------------------------------------------------------

/** The lead label of a posted offer card (from its header), for the reject modal. */
export function cardLabel(blocks: readonly unknown[]): string | null {
  for (const b of blocks) {
    if (typeof b !== 'object' || b === null) continue;
    const block = b as { type?: unknown; text?: { text?: unknown } };
    if (block.type !== 'header' || typeof block.text?.text !== 'string') continue;
    const text = block.text.text;
    const cut = text.indexOf(': ');
    return cut >= 0 ? text.slice(cut + 2) : text;
  }
  return null;
}

export function queueText(items: QueueItem[] | null, timezone: string | undefined, now: Millis): string {
  if (items === null) return notARepText();
  if (items.length === 0) return 'You have no open offers.';
  const lines = items.slice(0, 20).map((i) => `• ${queueItemLine(i, timezone, now)}`);
  const more = items.length > 20 ? `\n…and ${items.length - 20} more (see the Home tab).` : '';
  return `Your open offers (${items.length}):\n${lines.join('\n')}${more}`;
}

export function statsText(summary: RepSummary | null): string {
  if (summary === null) return notARepText();
  return `Your last 30 days:\n${formatSummary(summary)
    .map((l) => `• ${l.replace('\n', ': ')}`)
    .join('\n')}`;
}

export function notARepText(): string {
  return notARepTextFor('Slack user');
}

export const HELP_TEXT = [
  '*/handoff* — your lead hand-offs',
  '• `/handoff queue` — your open offers',
  '• `/handoff away` — stop receiving leads until you say `back`',
  '• `/handoff away until 2026-12-28` — away until that date (you are back at the start of it)',
  '• `/handoff away for 3d` — away for a duration (30m, 4h, 2d, 1w)',
  '• `/handoff back` — receive leads again',
  '• `/handoff stats` — your last 30 days',
  '• `/handoff help` — this help',
].join('\n');
