// The email RepNotifier over a recording Mailer (and once over the real nodemailer mailer and an SMTP server):
// offer emails with signed Accept / Reject links in both parts and a stable Message-ID, reminders and ends
// threaded under the offer, escalations with links signed for each recipient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLink, type DecisionLink } from '../../../connectors/email/email.links.js';
import { createEmailNotifier, offerMessageId } from '../../../connectors/email/email.notifier.js';
import { createSmtpMailer } from '../../../connectors/email/smtp.mailer.js';
import type { RejectionReason } from '../../../src/domain/model.js';
import { ConnectorError } from '../../../src/ports/failure.js';
import { silentLogger } from '../../../src/ports/logger.js';
import type { Mailer, MailMessage } from '../../../src/ports/mailer.js';
import type { MessageDoc } from '../../../src/ports/message-doc.js';
import type { EscalationPost, OfferCard, Person } from '../../../src/ports/rep-notifier.js';
import { makeDoc, makeLead } from '../../helpers/builders.js';
import { parseMail } from '../../helpers/mime.js';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.js';

const SECRET = 'a-link-secret-of-at-least-32-characters!';
const PUBLIC_URL = 'https://handoff.example.com';
const NOW = Date.UTC(2026, 11, 7, 13, 0);
const DUE = NOW + 30 * 60_000;
const REASONS: RejectionReason[] = [
  { id: 'not_icp', label: 'Not our ideal customer', recycle: false, noteRequired: false },
];

const alice: Person = {
  id: 'alice',
  name: 'Alice Martin',
  chat: 'email',
  email: 'alice@example.com',
  timezone: 'Europe/Berlin',
};
const bruno: Person = { id: 'bruno', name: 'Bruno Keller', chat: 'email', email: 'Bruno@Example.com' };
const carl: Person = { id: 'carl', name: 'Carl Diaz', chat: 'slack', slackUserId: 'U03', email: 'carl@example.com' };
const maria: Person = {
  id: 'maria',
  name: 'Maria Ruiz',
  chat: 'email',
  email: 'maria@example.com',
  timezone: 'America/New_York',
};
const PEOPLE = [alice, bruno, carl, maria];

function recordingMailer(): Mailer & { sent: MailMessage[]; docs: { to: string[]; doc: MessageDoc }[] } {
  const sent: MailMessage[] = [];
  const docs: { to: string[]; doc: MessageDoc }[] = [];
  return {
    sent,
    docs,
    async send(m) {
      sent.push(m);
    },
    async sendDoc(to, doc) {
      docs.push({ to, doc });
    },
    async verify() {},
  };
}

function notifier(mailer: Mailer) {
  return createEmailNotifier({
    mailer,
    linkSecret: SECRET,
    publicUrl: PUBLIC_URL,
    people: PEOPLE,
    reasons: REASONS,
    logger: silentLogger,
    now: () => NOW,
  });
}

function card(over: Partial<OfferCard> = {}): OfferCard {
  return {
    handoffId: 'ho_1',
    offerId: 'of_1',
    lead: makeLead({
      firstName: 'Jane',
      lastName: 'Doe <CEO>',
      recordUrl: 'https://crm.example.com/contacts/42',
      fields: {
        company: 'Acme & Sons',
        country: 'DE',
        employees: 250,
        industry: 'Software',
        score: 87,
        title: 'CTO',
        channel: 'PAID_SEARCH',
        campaign: 'spring',
        need: 'Routing for 40 reps',
        budget: '50k',
        authority: 'Decision maker',
        timeline: 'Q1',
      },
    }),
    rep: alice,
    hot: false,
    dueAt: DUE,
    why: { rule: 'EMEA', team: 'emea', strategy: 'round-robin', ownerMatch: null },
    seq: 1,
    ...over,
  };
}

function escalation(over: Partial<EscalationPost> = {}): EscalationPost {
  const c = card();
  return {
    handoffId: 'ho_1',
    lead: c.lead,
    hot: false,
    reason: 'max_offers',
    history: [{ rep: alice, outcome: 'timed_out', at: NOW - 3_600_000 }],
    team: { id: 'emea' },
    assignable: [alice, bruno],
    ...over,
  };
}

/** The decision links of a mail part, checked with the secret. */
function linksIn(part: string, now = NOW): DecisionLink[] {
  const tokens = [...part.matchAll(/https:\/\/handoff\.example\.com\/email\/decide\?t=([A-Za-z0-9_.-]+)/g)].map(
    (m) => m[1]!,
  );
  return tokens.map((t) => {
    const checked = verifyLink(t, SECRET, now);
    if (!checked.ok) throw new Error(`link does not verify: ${t}`);
    return checked.link;
  });
}

describe('email notifier: offers', () => {
  it('mails the offer to the rep with Accept and Reject links signed for them, in HTML and text', async () => {
    const mailer = recordingMailer();
    const seen: string[] = [];
    const ref = await notifier(mailer).postOffer(card(), { beforeSend: async (channel) => void seen.push(channel) });
    expect(ref).toEqual({ channel: 'email:alice@example.com', ts: '<offer-of_1@handoff>' });
    expect(seen).toEqual(['email:alice@example.com']);
    expect(mailer.sent).toHaveLength(1);
    const mail = mailer.sent[0]!;
    expect(mail.to).toEqual(['alice@example.com']);
    expect(mail.messageId).toBe('<offer-of_1@handoff>');
    expect(mail.subject).toBe('New lead: Jane Doe <CEO> (Acme & Sons) — answer by Mon 7 Dec, 14:30 CET');
    const expected = [
      { action: 'accept', offerId: 'of_1', personId: 'alice', exp: DUE },
      { action: 'reject', offerId: 'of_1', personId: 'alice', exp: DUE },
    ];
    expect(linksIn(mail.html)).toEqual(expected);
    expect(linksIn(mail.text)).toEqual(expected);
    expect(mail.text).toMatch(/^Accept: https:\/\/handoff\.example\.com\/email\/decide\?t=\S+$/m);
    expect(mail.text).toMatch(/^Reject…: https:\/\/handoff\.example\.com\/email\/decide\?t=\S+$/m);
    // The links expire with the offer.
    expect(() => linksIn(mail.text, DUE + 1)).toThrow(/does not verify/);
  });

  it('carries the facts of the Slack card, escaped in the HTML part', async () => {
    const mailer = recordingMailer();
    await notifier(mailer).postOffer(card({ hot: true, seq: 2 }));
    const { html, text } = mailer.sent[0]!;
    expect(html).toContain('Jane Doe &lt;CEO&gt; (Acme &amp; Sons)');
    expect(html).not.toContain('<CEO>');
    for (const line of [
      'Title:             CTO',
      'Company:           Acme & Sons',
      'Country:           DE',
      'Employees:         250',
      'Industry:          Software',
      'Score:             87',
      'Source / campaign: PAID_SEARCH / spring',
      'Need:              Routing for 40 reps',
      'Budget:            50k',
      'Authority:         Decision maker',
      'Timeline:          Q1',
      'Why you:           rule “EMEA” → team emea, round-robin',
      'Answer by:         Mon 7 Dec, 14:30 CET',
    ])
      expect(text).toContain(line);
    expect(text).toContain('🔥 HOT lead: Jane Doe <CEO> (Acme & Sons)');
    expect(text).toContain('You are the 2nd rep offered this lead.');
    expect(text).toContain('Open the record in the CRM: https://crm.example.com/contacts/42');
    expect(html).toContain('href="https://crm.example.com/contacts/42"');
  });

  it('sends a retried offer with the same Message-ID (once per process)', async () => {
    const first = recordingMailer();
    const n = notifier(first);
    await n.postOffer(card());
    await n.postOffer(card());
    expect(first.sent).toHaveLength(1);
    // A new process (after a crash) sends it again, as the same message.
    const second = recordingMailer();
    await notifier(second).postOffer(card());
    expect(second.sent[0]!.messageId).toBe(first.sent[0]!.messageId);
    expect(offerMessageId('of 1/x')).toBe('<offer-of=201=2Fx@handoff>');
  });

  it('refuses a rep without an email address, as not found', async () => {
    const err = await notifier(recordingMailer())
      .postOffer(card({ rep: { id: 'zed', name: 'Zed', chat: 'email' } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).failure.kind).toBe('not_found');
  });

  it('cannot look a sent email up, and knows no chat user ids', async () => {
    const n = notifier(recordingMailer());
    expect(await n.findOffer(card(), NOW)).toBeNull();
    expect(await n.findLeadMessage('email:a@example.com', 'ho_1', NOW)).toBeNull();
    expect(await n.lookupUserId('alice@example.com')).toBeNull();
  });

  it('threads the reminder under the offer, with the same links', async () => {
    const mailer = recordingMailer();
    const n = notifier(mailer);
    const ref = await n.postOffer(card());
    await n.remind(ref, card(), NOW + 15 * 60_000);
    const reminder = mailer.sent[1]!;
    expect(reminder.to).toEqual(['alice@example.com']);
    expect(reminder.headers).toEqual({ 'In-Reply-To': ref.ts, References: ref.ts });
    expect(reminder.messageId).not.toBe(ref.ts);
    expect(reminder.subject).toContain('Reminder: Jane Doe <CEO> (Acme & Sons)');
    expect(reminder.text).toContain('15 minutes left');
    expect(linksIn(reminder.text).map((l) => l.action)).toEqual(['accept', 'reject']);
  });

  it('tells the rep how an offer ended only when they did not decide it themselves', async () => {
    const mailer = recordingMailer();
    const n = notifier(mailer);
    const ref = await n.postOffer(card());
    await n.closeOffer(ref, card(), { kind: 'accepted', by: alice, at: NOW });
    await n.closeOffer(ref, card(), { kind: 'rejected', by: alice, at: NOW, reason: 'not_icp', note: null });
    expect(mailer.sent).toHaveLength(1);

    const ends: [Parameters<typeof n.closeOffer>[2], string][] = [
      [{ kind: 'timed_out', at: DUE, next: bruno }, 'it went to Bruno Keller'],
      [{ kind: 'timed_out', at: DUE, next: null }, 'it went to the managers'],
      [
        { kind: 'withdrawn', at: NOW, why: 'no longer an MQL' },
        'It was withdrawn on Mon 7 Dec, 14:00 CET: no longer an MQL.',
      ],
      [{ kind: 'reassigned', at: NOW, to: bruno, by: maria }, 'Maria Ruiz reassigned it to Bruno Keller'],
      [{ kind: 'accepted', by: maria, at: NOW }, 'Maria Ruiz accepted it on your behalf'],
      [
        { kind: 'rejected', by: maria, at: NOW, reason: 'not_icp', note: null },
        'Maria Ruiz rejected it on your behalf on Mon 7 Dec, 14:00 CET (Not our ideal customer).',
      ],
      [{ kind: 'escalated', at: NOW }, 'It went to the managers'],
    ];
    for (const [outcome, words] of ends) {
      const fresh = recordingMailer();
      await notifier(fresh).closeOffer(ref, card(), outcome);
      expect(fresh.sent, outcome.kind).toHaveLength(1);
      const mail = fresh.sent[0]!;
      expect(mail.to).toEqual(['alice@example.com']);
      expect(mail.text).toContain(words);
      expect(mail.headers).toEqual({ 'In-Reply-To': ref.ts, References: ref.ts });
      expect(linksIn(mail.text)).toEqual([]);
    }
  });
});

describe('email notifier: a lead’s channel messages', () => {
  it('mails each manager Assign-to links signed for them; an unknown inbox gets the facts without links', async () => {
    const mailer = recordingMailer();
    const seen: number[] = [];
    const ref = await notifier(mailer).postLeadMessage(
      'email:maria@example.com,ops@example.com',
      'managers',
      { kind: 'escalated', post: escalation() },
      { beforeSend: async () => void seen.push(1) },
    );
    expect(seen).toEqual([1]);
    expect(ref).toEqual({ channel: 'email:maria@example.com,ops@example.com', ts: '<lead-ho_1-managers@handoff>' });
    expect(mailer.sent.map((m) => m.to)).toEqual([['maria@example.com'], ['ops@example.com']]);
    const [toMaria, toOps] = mailer.sent as [MailMessage, MailMessage];
    const exp = NOW + 7 * 24 * 3_600_000;
    const expected = [
      { action: 'assign', handoffId: 'ho_1', personId: 'maria', repId: 'alice', exp },
      { action: 'assign', handoffId: 'ho_1', personId: 'maria', repId: 'bruno', exp },
    ];
    expect(linksIn(toMaria.html)).toEqual(expected);
    expect(linksIn(toMaria.text)).toEqual(expected);
    expect(toMaria.text).toContain('Assign to Bruno Keller: https://');
    expect(toMaria.text).toContain('every offer timed out or was passed on');
    // History in Maria's zone.
    expect(toMaria.text).toContain('- Alice Martin — timed out, Mon 7 Dec, 07:00 GMT-5');
    expect(linksIn(toOps.html)).toEqual([]);
    expect(toOps.text).toContain('no decision links');
    // Each recipient's copy is its own message.
    expect(toMaria.messageId).not.toBe(toOps.messageId);
  });

  it('mails each team member a Claim link signed for them', async () => {
    const mailer = recordingMailer();
    await notifier(mailer).postLeadMessage('email:alice@example.com,bruno@example.com', 'team', {
      kind: 'escalated',
      post: escalation(),
    });
    expect(mailer.sent.map((m) => linksIn(m.html))).toEqual([
      [{ action: 'claim', handoffId: 'ho_1', personId: 'alice', exp: NOW + 7 * 24 * 3_600_000 }],
      [{ action: 'claim', handoffId: 'ho_1', personId: 'bruno', exp: NOW + 7 * 24 * 3_600_000 }],
    ]);
    expect(mailer.sent[0]!.text).toContain('Claim: https://');
  });

  it('follows up each recipient in their thread; the same update again is the same message; steps send nothing', async () => {
    const mailer = recordingMailer();
    const n = notifier(mailer);
    const channel = 'email:maria@example.com,ops@example.com';
    const ref = await n.postLeadMessage(channel, 'managers', { kind: 'escalated', post: escalation() });
    const roots = mailer.sent.map((m) => m.messageId);
    const closed = {
      kind: 'closed' as const,
      post: escalation(),
      outcome: { kind: 'assigned' as const, by: maria, to: bruno, at: NOW },
    };
    await n.updateLeadMessage(ref, 'managers', closed);
    const updates = mailer.sent.slice(2);
    expect(updates.map((m) => m.headers?.['In-Reply-To'])).toEqual(roots);
    expect(updates[0]!.text).toContain('Assigned to Bruno Keller by Maria Ruiz on Mon 7 Dec, 08:00 GMT-5.');
    expect(updates[0]!.subject).toBe('Assigned: Jane Doe <CEO> (Acme & Sons)');
    expect(linksIn(updates[0]!.html)).toEqual([]);

    await n.postLeadStep(ref, { kind: 'closed', outcome: closed.outcome });
    expect(mailer.sent).toHaveLength(4);

    const again = recordingMailer();
    await notifier(again).updateLeadMessage(ref, 'managers', closed);
    expect(again.sent.map((m) => m.messageId)).toEqual(updates.map((m) => m.messageId));
  });

  it('tells the team about a hot lead and how it was decided, without links', async () => {
    const mailer = recordingMailer();
    const n = notifier(mailer);
    const hot = card({ hot: true });
    const ref = await n.postLeadMessage('email:bruno@example.com', 'team', { kind: 'hot', card: hot });
    expect(mailer.sent[0]!.text).toContain('Offered to Alice Martin, due Mon 7 Dec, 13:30 UTC.');
    await n.updateLeadMessage(ref, 'team', {
      kind: 'decided',
      card: hot,
      outcome: { kind: 'rejected', by: alice, at: NOW, reason: 'not_icp', note: 'student' },
    });
    expect(mailer.sent[1]!.text).toContain(
      'Rejected by Alice Martin on Mon 7 Dec, 13:00 UTC — Not our ideal customer. Note: “student”',
    );
    expect(mailer.sent.flatMap((m) => linksIn(m.html))).toEqual([]);
  });

  it('hands documents to the mailer and sends plain text as a mail', async () => {
    const mailer = recordingMailer();
    const n = notifier(mailer);
    await n.postDoc('email:a@example.com,b@example.com', makeDoc());
    expect(mailer.docs.map((d) => d.to)).toEqual([['a@example.com', 'b@example.com']]);
    const ref = await n.postMessage('email:a@example.com', 'Backlog over 20\n\n21 open hand-offs <now>');
    expect(mailer.sent[0]!.subject).toBe('Backlog over 20');
    expect(mailer.sent[0]!.text).toBe('Backlog over 20\n\n21 open hand-offs <now>');
    expect(mailer.sent[0]!.html).toContain('21 open hand-offs &lt;now&gt;');
    expect(ref.ts).toBe(mailer.sent[0]!.messageId);
  });
});

describe('email notifier through nodemailer and a real SMTP server', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  it('delivers the offer with its links in both parts and a stable Message-ID, and threads the reminder', async () => {
    const smtp = () => createSmtpMailer({ smtpUrl: `smtp://127.0.0.1:${sink.port}`, from: 'handoff@example.com' });
    const mailerA = smtp();
    const n = notifier(mailerA);
    const ref = await n.postOffer(card());
    await n.remind(ref, card(), NOW + 60_000);
    mailerA.close();
    // A second process sends the same offer again: same Message-ID.
    const mailerB = smtp();
    await notifier(mailerB).postOffer(card());
    mailerB.close();

    const [offer, reminder, resent] = sink.received.slice(-3) as [
      (typeof sink.received)[number],
      (typeof sink.received)[number],
      (typeof sink.received)[number],
    ];
    expect(offer.to).toEqual(['alice@example.com']);
    expect(offer.raw).toMatch(/^Message-ID: <offer-of_1@handoff>\r?$/im);
    expect(resent.raw).toMatch(/^Message-ID: <offer-of_1@handoff>\r?$/im);
    expect(reminder.raw).toMatch(/^In-Reply-To: <offer-of_1@handoff>\r?$/im);
    const mail = parseMail(offer.raw, offer.to);
    expect(mail.subject).toBe('New lead: Jane Doe <CEO> (Acme & Sons) — answer by Mon 7 Dec, 14:30 CET');
    const expected = ['accept', 'reject'].map((action) => ({ action, offerId: 'of_1', personId: 'alice', exp: DUE }));
    expect(linksIn(mail.html)).toEqual(expected);
    expect(linksIn(mail.text)).toEqual(expected);
  });
});
