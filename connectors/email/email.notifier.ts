// RepNotifier for people with `chat: email`: the offer card as an email with Accept / Reject links, its
// reminder and its end, and a lead's channel messages (hot notice, escalation with Claim or Assign-to links, how
// it ended) as emails to the inboxes of an "email:<a>,<b>" address. Links are signed for the one recipient
// (email.links.ts) and open a confirm page (email.decisions.ts): opening a link never decides.
//
// Email has no "edit a sent message": a card's end and a channel message's updates are short follow-up emails,
// threaded under the first (In-Reply-To). Message-IDs are made from the offer or hand-off (and the recipient), so
// an outbox retry after a crash sends the same message again, which mail clients show once.
import { createHash, randomUUID } from 'node:crypto';
import { emailAddress, addressId } from '../../src/domain/chat.js';
import {
  escalationHeadline,
  escalationOutcomeLine,
  formatTime,
  leadLabel,
  NO_ASSIGNABLE_REP,
  offerHeadline,
  offerOutcomeLine,
  ordinal,
  PLAIN_WORDS,
  rejectionLabel,
  reminderText,
  repeatOfferText,
  whyYouText,
  type ChatWords,
} from '../../src/domain/chat-text.js';
import { describeEscalation } from '../../src/domain/escalation.js';
import type { Millis, RejectionReason } from '../../src/domain/model.js';
import { ConnectorError } from '../../src/ports/failure.js';
import type { Logger } from '../../src/ports/logger.js';
import type { Mailer } from '../../src/ports/mailer.js';
import type { Fact, MessageDoc } from '../../src/ports/message-doc.js';
import type {
  ChannelAudience,
  EscalationOutcome,
  EscalationPost,
  LeadMessage,
  MessageRef,
  OfferCard,
  OfferHistoryLine,
  OfferOutcome,
  Person,
  RepNotifier,
} from '../../src/ports/rep-notifier.js';
import { checkLinkSecret, ESCALATION_LINK_TTL_MS, linkUrl, type DecisionLink } from './email.links.js';
import { renderEmail, type EmailButton } from './email.templates.js';

export interface EmailNotifierOptions {
  mailer: Mailer;
  /** email.linkSecret (32+ characters). */
  linkSecret: string;
  /** server.publicUrl: decision links point at `${publicUrl}/email/decide`. */
  publicUrl: string;
  /** Reps and managers: who an inbox of a channel address is, so its links are signed for that person. */
  people: readonly Person[];
  /** Labels of rejection reason ids in follow-ups. */
  reasons?: readonly RejectionReason[];
  /** Zone for channel emails to someone whose own zone is unknown (default UTC). */
  timezone?: string;
  logger: Logger;
  now?: () => Millis;
}

const DOMAIN = 'handoff';
const NOT_DECIDED =
  'The buttons open a page where you confirm; opening a link decides nothing. The links are for you alone.';

/** An id as it may stand in a Message-ID (dot-atom text), one to one: other characters as =XX. */
function idPart(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** The Message-ID of an offer email: the same for every attempt at sending it. */
export function offerMessageId(offerId: string): string {
  return `<offer-${idPart(offerId)}@${DOMAIN}>`;
}

function offerFollowUpId(offerId: string, what: 'reminder' | 'closed'): string {
  return `<offer-${idPart(offerId)}-${what}@${DOMAIN}>`;
}

/** The id a lead's channel message is known by (the ref's ts); each recipient's copy has its own. */
function leadMessageId(handoffId: string, audience: ChannelAudience): string {
  return `<lead-${idPart(handoffId)}-${audience}@${DOMAIN}>`;
}

/** The id of one recipient's copy of a message, derived from the message's id (and a variant for follow-ups). */
function recipientMessageId(base: string, recipient: string, variant?: string): string {
  const left = base.replace(/^</, '').replace(/@[^@]*>$/, '');
  const extra = variant !== undefined ? `-${variant}` : '';
  return `<${left}.${shortHash(recipient.toLowerCase())}${extra}@${DOMAIN}>`;
}

/** The inboxes of an "email:<a>,<b>" address (or of the bare list). */
export function inboxesOf(address: string): string[] {
  return addressId(address)
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

const known = (v: string | number | undefined): string => {
  if (v === undefined) return 'unknown';
  const text = String(v).trim();
  return text === '' ? 'unknown' : text;
};

/** The shared words as email writes them: names, text as it is, sentences without a leading emoji. */
const EMAIL_WORDS: ChatWords<Person> = { ...PLAIN_WORDS, icons: false };

/** The lead's facts as the Slack card shows them: who, company, country, size, score, source/campaign, BANT. */
function leadFacts(lead: OfferCard['lead'], timezone: string | undefined): Fact[] {
  const f = lead.fields;
  const sourceCampaign = [f.channel, f.campaign].filter((v): v is string => v !== undefined && v !== '');
  const facts: Fact[] = [];
  if (f.title !== undefined && f.title !== '') facts.push({ label: 'Title', value: f.title });
  facts.push(
    { label: 'Company', value: known(f.company) },
    { label: 'Country', value: known(f.country) },
    { label: 'Employees', value: known(f.employees) },
    { label: 'Industry', value: known(f.industry) },
    { label: 'Score', value: known(f.score) },
    { label: 'Source / campaign', value: sourceCampaign.length > 0 ? sourceCampaign.join(' / ') : 'unknown' },
    { label: 'MQL since', value: formatTime(lead.mqlAt, timezone) },
    { label: 'Need', value: known(f.need) },
    { label: 'Budget', value: known(f.budget) },
    { label: 'Authority', value: known(f.authority) },
    { label: 'Timeline', value: known(f.timeline) },
  );
  return facts;
}

/** "timed_out" → "Timed out". */
const word = (kind: string): string => {
  const text = kind.replace(/_/g, ' ');
  return `${text.slice(0, 1).toUpperCase()}${text.slice(1)}`;
};

const doc = (d: Partial<MessageDoc> & Pick<MessageDoc, 'title' | 'subject'>): MessageDoc => ({
  intro: [],
  facts: [],
  tables: [],
  notes: null,
  link: null,
  footer: null,
  ...d,
});

const crmLink = (lead: OfferCard['lead']): MessageDoc['link'] =>
  lead.recordUrl !== null && lead.recordUrl !== ''
    ? { url: lead.recordUrl, label: 'Open the record in the CRM' }
    : null;

export function createEmailNotifier(options: EmailNotifierOptions): RepNotifier {
  checkLinkSecret(options.linkSecret);
  const { mailer } = options;
  const log = options.logger.child({ component: 'email-notifier' });
  const now = options.now ?? Date.now;
  const reasons = options.reasons ?? [];
  const byEmail = new Map<string, Person>();
  for (const p of options.people) if (p.email !== undefined && p.email !== '') byEmail.set(p.email.toLowerCase(), p);
  const zoneFor = (person: Person | undefined): string | undefined => person?.timezone ?? options.timezone;
  const url = (link: DecisionLink): string => linkUrl(options.publicUrl, options.linkSecret, link);

  /**
   * Messages this process already handed to the mailer: a retry of a job that sent to some recipients of a
   * channel before failing on another does not send them the same message again.
   */
  const sent = new Set<string>();
  async function send(
    to: string,
    messageId: string,
    mail: { subject: string; text: string; html: string },
    inReplyTo?: string,
  ): Promise<void> {
    const key = `${messageId} ${to.toLowerCase()}`;
    if (sent.has(key)) return;
    await mailer.send({
      to: [to],
      ...mail,
      messageId,
      ...(inReplyTo !== undefined ? { headers: { 'In-Reply-To': inReplyTo, References: inReplyTo } } : {}),
    });
    sent.add(key);
    if (sent.size > 10_000) sent.delete(sent.values().next().value as string);
  }

  // ---- offers ------------------------------------------------------------------------------------------------

  function offerButtons(card: OfferCard): EmailButton[] {
    const base = { offerId: card.offerId, personId: card.rep.id, exp: card.dueAt };
    return [
      { label: 'Accept', url: url({ action: 'accept', ...base }), tone: 'primary' },
      { label: 'Reject…', url: url({ action: 'reject', ...base }), tone: 'danger' },
    ];
  }

  function offerEmail(card: OfferCard) {
    const tz = card.rep.timezone;
    const due = formatTime(card.dueAt, tz);
    const head = offerHeadline(card);
    const intro = [`${card.rep.name}, this lead is offered to you. Please accept or reject it by ${due}.`];
    if (card.hot) intro.push('Hot lead: a shorter deadline, please answer it first.');
    if (card.seq > 1) intro.push(repeatOfferText(card.seq));
    return renderEmail(
      doc({
        title: head,
        subject: `${head} — answer by ${due}`,
        intro,
        facts: [
          ...leadFacts(card.lead, tz),
          { label: 'Why you', value: whyYouText(card.why) },
          { label: 'Answer by', value: due },
        ],
        link: crmLink(card.lead),
        footer: `${NOT_DECIDED} They work until ${due}.`,
      }),
      { buttons: offerButtons(card) },
    );
  }

  function repInbox(card: OfferCard): string {
    const email = card.rep.email;
    if (email === undefined || email === '')
      throw new ConnectorError('email', { kind: 'not_found', reason: `rep ${card.rep.id} has no email address` });
    return email;
  }

  /** What happened to an offer, in words for its rep; null when the rep decided it themselves (they know). */
  function offerEndLine(card: OfferCard, outcome: OfferOutcome): string | null {
    const when = formatTime(outcome.at, card.rep.timezone);
    switch (outcome.kind) {
      case 'accepted':
        return outcome.by.id === card.rep.id ? null : `${outcome.by.name} accepted it on your behalf on ${when}.`;
      case 'rejected': {
        if (outcome.by.id === card.rep.id) return null;
        return `${outcome.by.name} rejected it on your behalf on ${when} (${rejectionLabel(outcome.reason, reasons)}).`;
      }
      case 'timed_out':
        return outcome.next !== null
          ? `The time to answer ran out on ${when}; it went to ${outcome.next.name}.`
          : `The time to answer ran out on ${when}; it went to the managers.`;
      case 'withdrawn':
        return `It was withdrawn on ${when}: ${outcome.why}.`;
      case 'reassigned':
        return `${outcome.by.name} reassigned it to ${outcome.to.name} on ${when}.`;
      case 'escalated':
        return `It went to the managers on ${when}.`;
    }
  }

  // ---- a lead's channel messages -----------------------------------------------------------------------------

  function historyNote(line: OfferHistoryLine, tz: string | undefined): string {
    const what = line.outcome.replace(/_/g, ' ');
    const reason = line.reason !== undefined && line.reason !== '' ? ` (${line.reason})` : '';
    return `${line.rep.name} — ${what}${reason}, ${formatTime(line.at, tz)}`;
  }

  function escalationEmail(post: EscalationPost, audience: ChannelAudience, reader: Person | undefined) {
    const tz = zoneFor(reader);
    const title = escalationHeadline(post);
    const exp = now() + ESCALATION_LINK_TTL_MS;
    const buttons: EmailButton[] = [];
    const intro = [`Why it is here: ${describeEscalation(post.reason)}.`];
    if (reader === undefined) {
      intro.push(
        'This address is not set up as a rep or manager in the hand-off, so this email has no decision links.',
      );
    } else if (audience === 'managers') {
      for (const rep of post.assignable)
        buttons.push({
          label: `Assign to ${rep.name}`,
          url: url({ action: 'assign', handoffId: post.handoffId, personId: reader.id, repId: rep.id, exp }),
          tone: 'neutral',
        });
      intro.push(buttons.length > 0 ? 'Please assign it to a rep.' : NO_ASSIGNABLE_REP);
    } else {
      buttons.push({
        label: 'Claim',
        url: url({ action: 'claim', handoffId: post.handoffId, personId: reader.id, exp }),
        tone: 'primary',
      });
      intro.push('Claim it if you can take it: the first claim wins.');
    }
    return renderEmail(
      doc({
        title,
        subject: `${title} — ${describeEscalation(post.reason)}`,
        intro,
        facts: leadFacts(post.lead, tz),
        notes:
          post.history.length > 0
            ? { title: 'Offer history', items: post.history.map((l) => historyNote(l, tz)) }
            : null,
        link: crmLink(post.lead),
        footer: buttons.length > 0 ? NOT_DECIDED : null,
      }),
      { buttons },
    );
  }

  function escalationEndLine(outcome: EscalationOutcome, tz: string | undefined): string {
    // An assignment by or to someone no longer configured names their role rather than "someone".
    if (outcome.kind === 'assigned' && (outcome.to === null || outcome.by === null)) {
      const when = formatTime(outcome.at, tz);
      return `Assigned to ${outcome.to?.name ?? 'a rep'} by ${outcome.by?.name ?? 'a manager'} on ${when}.`;
    }
    return escalationOutcomeLine(outcome, tz, EMAIL_WORDS);
  }

  function decidedLine(card: OfferCard, outcome: OfferOutcome, tz: string | undefined): string {
    if (outcome.kind === 'accepted' || outcome.kind === 'rejected')
      return offerOutcomeLine(outcome, tz, reasons, EMAIL_WORDS);
    return offerEndLine(card, outcome) ?? `Ended on ${formatTime(outcome.at, tz)}.`;
  }

  /** A short email about a lead: its title line and one or two sentences. */
  function shortEmail(title: string, lines: string[], lead: OfferCard['lead']) {
    return renderEmail(doc({ title, subject: title, intro: lines, link: crmLink(lead) }));
  }

  /** What one reader of a lead's channel gets for the message as it stands now. */
  function leadMessageEmail(
    message: LeadMessage,
    audience: ChannelAudience,
    reader: Person | undefined,
    first: boolean,
  ) {
    const tz = zoneFor(reader);
    switch (message.kind) {
      case 'hot': {
        const { card } = message;
        const label = leadLabel(card.lead);
        const score = card.lead.fields.score !== undefined ? `, score ${card.lead.fields.score}` : '';
        const nth = card.seq > 1 ? ` (${ordinal(card.seq)} offer)` : '';
        const line = `${first ? 'Offered' : 'Now offered'} to ${card.rep.name}${nth}, due ${formatTime(card.dueAt, tz)}.`;
        return shortEmail(`🔥 Hot lead ${label}${score}`, [line], card.lead);
      }
      case 'decided':
        return shortEmail(
          `${message.card.hot ? '🔥 ' : ''}${word(message.outcome.kind)}: ${leadLabel(message.card.lead)}`,
          [decidedLine(message.card, message.outcome, tz)],
          message.card.lead,
        );
      case 'escalated':
        return escalationEmail(message.post, audience, reader);
      case 'closed':
        return shortEmail(
          `${word(message.outcome.kind)}: ${leadLabel(message.post.lead)}`,
          [escalationEndLine(message.outcome, tz)],
          message.post.lead,
        );
    }
  }

  const handoffOf = (message: LeadMessage): string =>
    message.kind === 'hot' || message.kind === 'decided' ? message.card.handoffId : message.post.handoffId;

  /** One email per inbox of the channel, each with its links signed for that reader. */
  async function sendLeadMessage(
    channel: string,
    audience: ChannelAudience,
    message: LeadMessage,
    base: string,
    update: boolean,
  ): Promise<void> {
    const variant = update ? `u${shortHash(JSON.stringify(message))}` : undefined;
    for (const inbox of inboxesOf(channel)) {
      const reader = byEmail.get(inbox.toLowerCase());
      const root = recipientMessageId(base, inbox);
      const mail = leadMessageEmail(message, audience, reader, !update);
      await send(inbox, update ? recipientMessageId(base, inbox, variant) : root, mail, update ? root : undefined);
    }
  }

  return {
    async postOffer(card, hooks = {}): Promise<MessageRef> {
      const inbox = repInbox(card);
      const channel = emailAddress([inbox]);
      const messageId = offerMessageId(card.offerId);
      await hooks.beforeSend?.(channel);
      await send(inbox, messageId, offerEmail(card));
      log.debug({ offerId: card.offerId, repId: card.rep.id }, 'offer email sent');
      return { channel, ts: messageId };
    },

    // A sent email cannot be looked up; a resend carries the same Message-ID, which mail clients show once.
    async findOffer(): Promise<MessageRef | null> {
      return null;
    },

    async closeOffer(ref, card, outcome): Promise<void> {
      const line = offerEndLine(card, outcome);
      if (line === null) return;
      const label = leadLabel(card.lead);
      const mail = shortEmail(
        `This lead is no longer yours to decide: ${label}`,
        [line, 'The links in the offer email no longer decide anything.'],
        card.lead,
      );
      for (const inbox of inboxesOf(ref.channel))
        await send(inbox, offerFollowUpId(card.offerId, 'closed'), mail, ref.ts);
    },

    async remind(ref, card, at): Promise<void> {
      const label = leadLabel(card.lead);
      const mail = renderEmail(
        doc({
          title: `Reminder: ${label}`,
          subject: `Reminder: ${label} — answer by ${formatTime(card.dueAt, card.rep.timezone)}`,
          intro: [reminderText(card, at)],
          link: crmLink(card.lead),
          footer: NOT_DECIDED,
        }),
        { buttons: offerButtons(card) },
      );
      for (const inbox of inboxesOf(ref.channel))
        await send(inbox, offerFollowUpId(card.offerId, 'reminder'), mail, ref.ts);
    },

    async postLeadMessage(channel, audience, message, hooks = {}): Promise<MessageRef> {
      const handoffId = handoffOf(message);
      const base = leadMessageId(handoffId, audience);
      await hooks.beforeSend?.();
      await sendLeadMessage(channel, audience, message, base, false);
      log.debug({ handoffId, audience, kind: message.kind }, 'lead email sent');
      return { channel, ts: base };
    },

    // As for offers: not looked up; the same message again has the same Message-ID.
    async findLeadMessage(): Promise<MessageRef | null> {
      return null;
    },

    async updateLeadMessage(ref, audience, message): Promise<void> {
      await sendLeadMessage(ref.channel, audience, message, ref.ts, true);
    },

    // Nothing: every step of a lead's story also changes its message (re-offered, decided, escalated, closed),
    // and that change already goes out as a follow-up email (updateLeadMessage). A second mail would repeat it.
    async postLeadStep(ref): Promise<MessageRef> {
      return ref;
    },

    // The mailer lays the document out and makes the Message-ID; nobody looks an alert up again.
    async postDoc(channel, d): Promise<MessageRef> {
      await mailer.sendDoc(inboxesOf(channel), d);
      return { channel, ts: '' };
    },

    async postMessage(channel, text): Promise<MessageRef> {
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      const subject = (lines[0] ?? 'Lead hand-off').slice(0, 120);
      const messageId = `<msg-${randomUUID()}@${DOMAIN}>`;
      const { html } = renderEmail(doc({ title: subject, subject, intro: lines.slice(1) }));
      await mailer.send({ to: inboxesOf(channel), subject, text, html, messageId });
      return { channel, ts: messageId };
    },

    async lookupUserId(): Promise<string | null> {
      return null;
    },
  };
}
