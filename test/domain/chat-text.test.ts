import { describe, expect, it } from 'vitest';
import {
  alreadyDecidedLine,
  alreadyDecidedText,
  escalationHeadline,
  escalationOutcomeLine,
  escalationSummaryText,
  formatSpan,
  formatTime,
  historyLine,
  hotLeadLine,
  leadLabel,
  leadStepLine,
  NOTE_MAX,
  notARepText,
  notYoursText,
  offerClosedLine,
  offerClosedText,
  offerHeadline,
  offerOutcomeLine,
  offerSummaryText,
  ordinal,
  PLAIN_WORDS,
  reminderText,
  repeatOfferText,
  truncate,
  whyYouText,
  type ChatPerson,
  type ChatWords,
  type OfferFacts,
} from '../../src/domain/chat-text.js';
import type { RejectionReason } from '../../src/domain/model.js';
import { makeLead } from '../helpers/builders.js';

interface Who extends ChatPerson {
  id: string;
}

/** A platform that mentions people by id and brackets free text: shows where the hook is used. */
const TAGGED: ChatWords<Who> = { name: (p) => `@${p.id}`, escape: (t) => `[${t}]` };

const ann: Who = { id: 'ann', name: 'Ann', timezone: 'Europe/Berlin' };
const bob: Who = { id: 'bob', name: 'Bob' };
// Tue 1 Dec 2026, 13:30 UTC.
const AT = Date.UTC(2026, 11, 1, 13, 30);
const reasons: RejectionReason[] = [{ id: 'no_budget', label: 'No budget', recycle: true, noteRequired: false }];

function offer(overrides: Partial<OfferFacts<Who>> = {}): OfferFacts<Who> {
  return {
    lead: makeLead({ firstName: 'Jane', lastName: 'Doe', fields: { company: 'Acme', score: 80 } }),
    rep: ann,
    hot: false,
    dueAt: AT,
    seq: 1,
    ...overrides,
  };
}

describe('chat-text: times and small words', () => {
  it('formats a time in the given zone, and in UTC when the zone is missing, empty or unknown', () => {
    expect(formatTime(AT, 'Europe/Berlin')).toBe('Tue 1 Dec, 14:30 CET');
    expect(formatTime(AT, 'Asia/Tokyo')).toBe('Tue 1 Dec, 22:30 GMT+9');
    expect(formatTime(AT)).toBe('Tue 1 Dec, 13:30 UTC');
    expect(formatTime(AT, '')).toBe('Tue 1 Dec, 13:30 UTC');
    expect(formatTime(AT, 'Not/AZone')).toBe('Tue 1 Dec, 13:30 UTC');
    // The kept formatter for a zone answers the same the second time.
    expect(formatTime(AT + 60_000, 'Europe/Berlin')).toBe('Tue 1 Dec, 14:31 CET');
  });

  it('words a span, rounding up to the minute', () => {
    expect(formatSpan(0)).toBe('0 minutes');
    expect(formatSpan(1)).toBe('1 minute');
    expect(formatSpan(61_000)).toBe('2 minutes');
    expect(formatSpan(3_600_000)).toBe('1 hour');
    expect(formatSpan(3_660_000)).toBe('1 hour 1 minute');
    expect(formatSpan(2 * 86_400_000 + 3 * 3_600_000)).toBe('2 days 3 hours');
    expect(formatSpan(86_400_000 + 60_000)).toBe('1 day');
  });

  it('cuts text with an ellipsis and counts ordinals', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
      '101st',
      '111th',
      '112th',
    ]);
    expect(repeatOfferText(1)).toBe('');
    expect(repeatOfferText(2)).toBe('You are the 2nd rep offered this lead.');
  });

  it('labels a lead with its company when it has one', () => {
    expect(leadLabel(makeLead({ firstName: 'Jane', lastName: 'Doe', fields: { company: 'Acme' } }))).toBe(
      'Jane Doe (Acme)',
    );
    expect(leadLabel(makeLead({ firstName: 'Jane', lastName: 'Doe', fields: { company: '' } }))).toBe('Jane Doe');
  });
});

describe('chat-text: cards and lines, with the platform hook', () => {
  it('says why the rep got the lead, escaping only the configured names', () => {
    const why = { rule: 'EMEA', team: 'emea', strategy: 'round-robin', ownerMatch: null };
    expect(whyYouText(why)).toBe('rule “EMEA” → team emea, round-robin');
    expect(whyYouText(why, TAGGED.escape)).toBe('rule “[EMEA]” → team [emea], [round-robin]');
    expect(whyYouText({ rule: null, team: null, strategy: null, ownerMatch: 'ann@x' })).toBe(
      'you own this account in the CRM (ann@x)',
    );
    expect(whyYouText({ rule: null, team: null, strategy: 'weighted', ownerMatch: null })).toBe('picked by weighted');
    expect(whyYouText({ rule: null, team: null, strategy: null, ownerMatch: null })).toBe(
      'you were the fallback choice',
    );
  });

  it('names people and escapes reason, note and why through the hook', () => {
    const tz = 'Europe/Berlin';
    const when = 'Tue 1 Dec, 14:30 CET';
    expect(offerOutcomeLine({ kind: 'accepted', by: ann, at: AT }, tz, reasons, TAGGED)).toBe(
      `✅ Accepted by @ann on ${when}.`,
    );
    expect(
      offerOutcomeLine(
        { kind: 'rejected', by: bob, at: AT, reason: 'no_budget', note: ' call in Q3 ' },
        tz,
        reasons,
        TAGGED,
      ),
    ).toBe(`❌ Rejected by @bob on ${when} — [No budget]. Note: “[call in Q3]”`);
    expect(
      offerOutcomeLine({ kind: 'rejected', by: bob, at: AT, reason: 'gone', note: '  ' }, tz, reasons, PLAIN_WORDS),
    ).toBe(`❌ Rejected by Bob on ${when} — gone.`);
    expect(offerOutcomeLine({ kind: 'timed_out', at: AT, next: bob }, tz, [], TAGGED)).toBe(
      `⌛ Timed out on ${when} — reassigned to the next rep, @bob.`,
    );
    expect(offerOutcomeLine({ kind: 'timed_out', at: AT, next: null }, tz, [], TAGGED)).toBe(
      `⌛ Timed out on ${when} — escalated to the managers.`,
    );
    expect(offerOutcomeLine({ kind: 'withdrawn', at: AT, why: 'duplicate' }, tz, [], TAGGED)).toBe(
      `↩️ Withdrawn on ${when}: [duplicate].`,
    );
    expect(offerOutcomeLine({ kind: 'reassigned', at: AT, to: bob, by: ann }, tz, [], TAGGED)).toBe(
      `🔀 Reassigned to @bob by @ann on ${when}.`,
    );
  });

  it('cuts a long rejection note and drops the emoji for words without icons', () => {
    const note = 'x'.repeat(NOTE_MAX + 10);
    const line = offerOutcomeLine(
      { kind: 'rejected', by: bob, at: AT, reason: 'no_budget', note },
      undefined,
      reasons,
      { ...PLAIN_WORDS, icons: false },
    );
    expect(line.startsWith('Rejected by Bob on Tue 1 Dec, 13:30 UTC — No budget. Note: “')).toBe(true);
    expect(line).toContain(`${'x'.repeat(NOTE_MAX - 1)}…”`);
    expect(line).not.toContain('x'.repeat(NOTE_MAX));
  });

  it('words how an escalation ended, with "someone" for an unknown person', () => {
    const tz = undefined;
    expect(escalationOutcomeLine({ kind: 'claimed', by: null, to: bob, at: AT }, tz, TAGGED)).toBe(
      '🙋 Claimed by @bob on Tue 1 Dec, 13:30 UTC.',
    );
    expect(escalationOutcomeLine({ kind: 'assigned', by: null, to: bob, at: AT }, tz, TAGGED)).toBe(
      '👉 Assigned to @bob by someone on Tue 1 Dec, 13:30 UTC.',
    );
    expect(
      escalationOutcomeLine({ kind: 'withdrawn', by: null, to: null, at: AT }, tz, { ...TAGGED, icons: false }),
    ).toBe('Withdrawn on Tue 1 Dec, 13:30 UTC — no action needed.');
  });

  it('tells an earlier offer in the history and the steps of a lead', () => {
    expect(historyLine({ rep: bob, outcome: 'open', at: AT, reason: 'r' }, undefined, TAGGED)).toBe(
      '• @bob — still open ([r]), Tue 1 Dec, 13:30 UTC',
    );
    expect(historyLine({ rep: bob, outcome: 'timed_out', at: AT, reason: '' }, undefined, PLAIN_WORDS)).toBe(
      '• Bob — timed out, Tue 1 Dec, 13:30 UTC',
    );
    const card = offer({ seq: 3 });
    // The channel's zone wins; without one, the rep's.
    expect(leadStepLine({ kind: 'reoffered', card }, 'UTC', [], TAGGED)).toBe(
      '⏭️ Offered to @ann (3rd offer), due Tue 1 Dec, 13:30 UTC.',
    );
    expect(leadStepLine({ kind: 'reoffered', card }, undefined, [], TAGGED)).toBe(
      '⏭️ Offered to @ann (3rd offer), due Tue 1 Dec, 14:30 CET.',
    );
    expect(leadStepLine({ kind: 'escalated', reason: 'unroutable' }, undefined, [], TAGGED)).toBe(
      '📣 Escalated: [no rule, team or fallback could take it].',
    );
    expect(leadStepLine({ kind: 'escalated', reason: null }, undefined, [], TAGGED)).toBe(
      '📣 Escalated: it needs an owner.',
    );
    expect(
      leadStepLine({ kind: 'decided', card, outcome: { kind: 'accepted', by: ann, at: AT } }, undefined, [], TAGGED),
    ).toBe('✅ Accepted by @ann on Tue 1 Dec, 14:30 CET.');
  });

  it('heads and sums up an offer and an escalation, and words the hot-lead line around the platform label', () => {
    const card = offer({ hot: true, seq: 2 });
    expect(offerHeadline(card)).toBe('🔥 HOT lead: Jane Doe (Acme)');
    expect(offerHeadline({ ...card, hot: false })).toBe('New lead: Jane Doe (Acme)');
    expect(offerSummaryText(card)).toBe(
      '🔥 Hot lead: Jane Doe (Acme), score 80. Accept or reject by Tue 1 Dec, 14:30 CET.',
    );
    expect(hotLeadLine(card, '*Jane*', 'UTC', TAGGED)).toBe(
      '🔥 Hot lead *Jane*[, score 80] offered to @ann (2nd offer), due Tue 1 Dec, 13:30 UTC.',
    );
    const post = { lead: card.lead, hot: true, reason: 'max_offers' };
    expect(escalationHeadline(post)).toBe('🔥 Needs an owner: Jane Doe (Acme)');
    expect(escalationSummaryText(post, 'managers')).toBe(
      'Lead needs an owner: Jane Doe (Acme) — every offer timed out or was passed on (maximum offers reached). Please assign it to a rep.',
    );
    expect(escalationSummaryText({ ...post, reason: null }, 'team')).toBe(
      'Lead needs an owner: Jane Doe (Acme) — escalated. Please claim it if you can take it.',
    );
  });

  it('reminds with the time left, or says the deadline has passed', () => {
    const card = offer({ dueAt: AT + 90 * 60_000 });
    expect(reminderText(card, AT)).toBe(
      '⏰ Reminder: 1 hour 30 minutes left to accept or reject Jane Doe (Acme) (until Tue 1 Dec, 16:00 CET).',
    );
    expect(reminderText(card, AT + 90 * 60_000)).toBe(
      '⏰ The deadline for Jane Doe (Acme) has passed — it will move to the next rep shortly.',
    );
  });
});

describe('chat-text: answers to a late, double or foreign click', () => {
  it('says what already happened and that nothing changed', () => {
    expect(alreadyDecidedText('sales_accepted', 'Ann', AT, 'Europe/Berlin')).toBe(
      'ℹ️ This lead was already sales accepted by Ann on Tue 1 Dec, 14:30 CET. Nothing was changed.',
    );
    expect(alreadyDecidedLine('rejected', null, null)).toBe('ℹ️ This lead was already rejected.');
    expect(alreadyDecidedLine('accepted', 'Ann', AT, undefined, { icons: false })).toBe(
      'This lead was already accepted by Ann on Tue 1 Dec, 13:30 UTC.',
    );
    expect(offerClosedText('timed_out', AT, 'Bob')).toBe(
      'ℹ️ This offer timed out on Tue 1 Dec, 13:30 UTC. It is now with Bob. Nothing was changed.',
    );
    expect(offerClosedLine('escalated', null, null)).toBe('ℹ️ This offer was escalated to the managers.');
    expect(offerClosedLine('some_new_state', null, null)).toBe('ℹ️ This offer some new state.');
    expect(notYoursText('Ann')).toBe('This lead is offered to Ann, not to you. Nothing was changed.');
  });

  it('names the account to add for someone who is not a rep, on any platform', () => {
    expect(notARepText('Teams user')).toBe(
      'You are not set up as a rep in handoff. Ask your RevOps admin to add your Teams user to the config.',
    );
    expect(notARepText('Slack user')).toContain('add your Slack user to the config');
  });
});
