import { describe, expect, it } from 'vitest';
import type { OfferCard, OfferOutcome } from '../../../src/ports/rep-notifier.js';
import {
  ACTION,
  BLOCK,
  HELP_TEXT,
  LIMITS,
  REJECT_MODAL_CALLBACK,
  alreadyDecidedText,
  buildAppHome,
  buildClosedEscalation,
  buildClosedOfferCard,
  buildDocMessage,
  buildEscalationPost,
  buildLeadMessage,
  buildOfferCard,
  buildRejectModal,
  cardLabel,
  decodeAssignValue,
  decodeRejectMetadata,
  escapeMrkdwn,
  formatSpan,
  leadStepText,
  notYoursText,
  offerClosedText,
  reminderText,
  whyYouText,
} from '../../../connectors/slack/slack.blocks.js';
import { validateBlocks } from '../../../connectors/slack/emulator/index.js';
import { makeDoc, makeLead } from '../../helpers/builders.js';
import { ALICE, BRUNO, MARIA, REASONS } from './harness.js';

type AnyBlock = {
  type: string;
  block_id?: string;
  text?: { type: string; text: string };
  fields?: Array<{ text: string }>;
  elements?: Array<Record<string, unknown>>;
  element?: Record<string, unknown>;
};

const DUE = Date.UTC(2026, 10, 25, 13, 30); // 14:30 in Berlin

function card(overrides: Partial<OfferCard> = {}): OfferCard {
  return {
    handoffId: 'h1',
    offerId: 'offer-123',
    lead: makeLead({
      firstName: 'Jane',
      lastName: 'Doe',
      recordUrl: 'https://app.hubspot.com/contacts/42/record/0-1/101',
      fields: {
        title: 'VP Sales',
        company: 'Acme <GmbH>',
        country: 'DE',
        employees: 250,
        industry: 'Software',
        score: 92,
        channel: 'PAID_SEARCH',
        campaign: 'q4-launch',
        need: 'Routing for 40 reps',
        budget: '',
      },
      mqlAt: Date.UTC(2026, 10, 25, 12, 0),
    }),
    rep: ALICE,
    hot: false,
    dueAt: DUE,
    why: { rule: 'EMEA', team: 'emea', strategy: 'round-robin', ownerMatch: null },
    seq: 1,
    ...overrides,
  };
}

const blocksOf = (b: unknown[]): AnyBlock[] => b as AnyBlock[];
const texts = (blocks: AnyBlock[]): string[] =>
  blocks.flatMap((b) => [
    b.text?.text ?? '',
    ...(b.fields ?? []).map((f) => f.text),
    ...(b.elements ?? []).map((e) => String((e as { text?: unknown }).text ?? '')),
  ]);

describe('offer card', () => {
  it('shows who, the fields, BANT, why you, the deadline in the rep time zone, and the two buttons', () => {
    const msg = buildOfferCard(card());
    const blocks = blocksOf(msg.blocks);
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'New lead: Jane Doe (Acme <GmbH>)', emoji: true },
    });
    const who = blocks[1]?.text?.text;
    expect(who).toBe(
      '*<https://app.hubspot.com/contacts/42/record/0-1/101|Jane Doe>* · VP Sales · *<https://app.hubspot.com/contacts/42/record/0-1/101|Acme &lt;GmbH&gt;>*',
    );
    expect(blocks[2]?.fields?.map((f) => f.text)).toEqual([
      '*Country*\nDE',
      '*Employees*\n250',
      '*Industry*\nSoftware',
      '*Score*\n92',
      '*Source / campaign*\nPAID_SEARCH / q4-launch',
      '*MQL since*\nWed 25 Nov, 13:00 CET',
    ]);
    expect(blocks[3]?.fields?.map((f) => f.text)).toEqual([
      '*Need*\nRouting for 40 reps',
      '*Budget*\n_unknown_',
      '*Authority*\n_unknown_',
      '*Timeline*\n_unknown_',
    ]);
    expect(texts(blocks)).toContain('*Why you:* rule “EMEA” → team emea, round-robin.');
    expect(texts(blocks)).toContain('⏰ Accept or reject by *Wed 25 Nov, 14:30 CET*');
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions?.block_id).toBe(BLOCK.offerActions);
    expect(actions?.elements?.map((e) => [e.action_id, e.style, e.value])).toEqual([
      [ACTION.accept, 'primary', 'offer-123'],
      [ACTION.reject, 'danger', 'offer-123'],
    ]);
    expect(msg.text).toBe('New lead: Jane Doe (Acme <GmbH>), score 92. Accept or reject by Wed 25 Nov, 14:30 CET.');
    expect(validateBlocks(msg.blocks, LIMITS.messageBlocks)).toBeNull();
  });

  it('marks a hot lead in the header, the card and the notification text', () => {
    const msg = buildOfferCard(card({ hot: true, seq: 2 }));
    const blocks = blocksOf(msg.blocks);
    expect(blocks[0]?.text?.text).toBe('🔥 HOT lead: Jane Doe (Acme <GmbH>)');
    expect(JSON.stringify(blocks[1])).toContain('*Hot lead*');
    expect(msg.text.startsWith('🔥 Hot lead: ')).toBe(true);
    expect(texts(blocks).join('\n')).toContain('You are the 2nd rep offered this lead.');
  });

  it('says why an owner match came to the rep', () => {
    expect(whyYouText({ rule: null, team: null, strategy: null, ownerMatch: 'account owner in HubSpot' })).toBe(
      'you own this account in the CRM (account owner in HubSpot)',
    );
    expect(whyYouText({ rule: null, team: null, strategy: null, ownerMatch: null })).toBe(
      'you were the fallback choice',
    );
  });

  it('stays within Block Kit limits for absurdly long values', () => {
    const long = 'x'.repeat(5000);
    const msg = buildOfferCard(
      card({ lead: makeLead({ firstName: long, lastName: long, fields: { company: long, need: long, title: long } }) }),
    );
    expect(validateBlocks(msg.blocks, LIMITS.messageBlocks)).toBeNull();
    expect(blocksOf(msg.blocks)[0]?.text?.text.length).toBeLessThanOrEqual(LIMITS.header);
    expect(msg.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
  });

  it('finds the lead label of a posted card for the reject modal', () => {
    expect(cardLabel(buildOfferCard(card({ hot: true })).blocks)).toBe('Jane Doe (Acme <GmbH>)');
    expect(cardLabel([])).toBeNull();
  });
});

describe('closed card', () => {
  const at = Date.UTC(2026, 10, 25, 13, 5);
  const cases: Array<[OfferOutcome, string]> = [
    [{ kind: 'accepted', by: ALICE, at }, '✅ Accepted by <@U0ALICE> on Wed 25 Nov, 14:05 CET.'],
    [
      { kind: 'rejected', by: ALICE, at, reason: 'bad_timing', note: 'Q3 <maybe>' },
      '❌ Rejected by <@U0ALICE> on Wed 25 Nov, 14:05 CET — Bad timing. Note: “Q3 &lt;maybe&gt;”',
    ],
    [
      { kind: 'timed_out', at, next: BRUNO },
      '⌛ Timed out on Wed 25 Nov, 14:05 CET — reassigned to the next rep, <@U0BRUNO>.',
    ],
    [{ kind: 'timed_out', at, next: null }, '⌛ Timed out on Wed 25 Nov, 14:05 CET — escalated to the managers.'],
    [{ kind: 'withdrawn', at, why: 'no longer an MQL' }, '↩️ Withdrawn on Wed 25 Nov, 14:05 CET: no longer an MQL.'],
    [
      { kind: 'reassigned', at, to: BRUNO, by: MARIA },
      '🔀 Reassigned to <@U0BRUNO> by <@U0MARIA> on Wed 25 Nov, 14:05 CET.',
    ],
    [{ kind: 'escalated', at }, '📣 Escalated to the managers on Wed 25 Nov, 14:05 CET.'],
  ];

  it.each(cases)('has no buttons and says what happened (%j)', (outcome, line) => {
    const msg = buildClosedOfferCard(card(), outcome, REASONS);
    const blocks = blocksOf(msg.blocks);
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(blocks.at(-1)).toEqual({ type: 'section', block_id: BLOCK.status, text: { type: 'mrkdwn', text: line } });
    expect(blocks[0]?.type).toBe('header');
    expect(msg.text).toBe(`Jane Doe (Acme <GmbH>): ${line}`);
    expect(validateBlocks(msg.blocks, LIMITS.messageBlocks)).toBeNull();
  });
});

describe('reminder', () => {
  it('counts the minutes left in words', () => {
    expect(reminderText(card(), DUE - 12 * 60_000)).toBe(
      '⏰ Reminder: 12 minutes left to accept or reject Jane Doe (Acme <GmbH>) (until Wed 25 Nov, 14:30 CET).',
    );
    expect(reminderText(card(), DUE + 1)).toMatch(/deadline .* has passed/);
    expect(formatSpan(65 * 60_000)).toBe('1 hour 5 minutes');
    expect(formatSpan(60_000)).toBe('1 minute');
    expect(formatSpan(26 * 3_600_000)).toBe('1 day 2 hours');
  });
});

describe('reject modal', () => {
  it('offers the configured reasons and a multiline note, and carries the offer and card', () => {
    const view = buildRejectModal({
      offerId: 'offer-123',
      reasons: REASONS,
      ref: { channel: 'D1', ts: '1.2' },
      label: 'Jane Doe (Acme)',
    });
    expect(view.callback_id).toBe(REJECT_MODAL_CALLBACK);
    expect(view.title.text.length).toBeLessThanOrEqual(LIMITS.modalTitle);
    const blocks = blocksOf(view.blocks);
    const reason = blocks.find((b) => b.block_id === BLOCK.rejectReason);
    expect(reason?.element?.type).toBe('static_select');
    expect((reason?.element?.options as Array<{ value: string }>).map((o) => o.value)).toEqual([
      'not_icp',
      'bad_timing',
      'other',
    ]);
    const note = blocks.find((b) => b.block_id === BLOCK.rejectNote) as AnyBlock & {
      optional?: boolean;
      hint?: { text: string };
    };
    expect(note.element).toMatchObject({
      type: 'plain_text_input',
      action_id: ACTION.rejectNote,
      multiline: true,
      max_length: 3000,
    });
    expect(note.optional).toBe(true);
    expect(note.hint?.text).toBe('Required when the reason is: Other.');
    expect(decodeRejectMetadata(view.private_metadata ?? '')).toEqual({
      offerId: 'offer-123',
      ref: { channel: 'D1', ts: '1.2' },
      label: 'Jane Doe (Acme)',
    });
    expect(validateBlocks(view.blocks, LIMITS.viewBlocks)).toBeNull();
  });

  it('caps options at 100 and private_metadata at 3000 characters', () => {
    const many = Array.from({ length: 130 }, (_, i) => ({
      id: `r${i}`,
      label: `Reason ${i}`,
      recycle: false,
      noteRequired: false,
    }));
    const view = buildRejectModal({ offerId: 'o', reasons: many, ref: null, label: 'y'.repeat(10_000) });
    const reason = blocksOf(view.blocks).find((b) => b.block_id === BLOCK.rejectReason);
    expect((reason?.element?.options as unknown[]).length).toBe(100);
    expect(view.private_metadata?.length).toBeLessThanOrEqual(LIMITS.privateMetadata);
    expect(decodeRejectMetadata(view.private_metadata ?? '')?.ref).toBeNull();
    expect(decodeRejectMetadata('not json')).toBeNull();
  });
});

describe('escalation posts', () => {
  const post = {
    handoffId: 'h7',
    lead: makeLead({ firstName: 'Max', lastName: 'Power' }),
    hot: false,
    reason: 'max_offers',
    history: [{ rep: ALICE, outcome: 'timed_out' as const, at: DUE }],
    team: { id: 'emea', channel: 'C0EMEA' },
    assignable: [ALICE, BRUNO],
  };

  it('says in words why the lead is here', () => {
    const msg = buildEscalationPost(post, 'managers');
    const why = '*Why it is here:* every offer timed out or was passed on (maximum offers reached)';
    expect(texts(blocksOf(msg.blocks))).toContain(why);
    expect(msg.text).toBe(
      'Lead needs an owner: Max Power (Acme) — every offer timed out or was passed on (maximum offers reached). Please assign it to a rep.',
    );
    expect(
      texts(blocksOf(buildClosedEscalation(post, { kind: 'withdrawn', by: null, to: null, at: DUE }).blocks)),
    ).toContain(why);
    const unknown = buildEscalationPost({ ...post, reason: 'a <new> reason' }, 'team');
    expect(texts(blocksOf(unknown.blocks))).toContain('*Why it is here:* a &lt;new&gt; reason');
    expect(texts(blocksOf(buildEscalationPost({ ...post, reason: null }, 'team').blocks))).toContain(
      '*Why it is here:* escalated',
    );
  });

  it('gives managers the history and an Assign-to select of eligible reps', () => {
    const msg = buildEscalationPost(post, 'managers', 'Europe/Berlin');
    const blocks = blocksOf(msg.blocks);
    expect(texts(blocks).join('\n')).toContain('• <@U0ALICE> — timed out, Wed 25 Nov, 14:30 CET');
    const select = blocks.find((b) => b.type === 'actions')?.elements?.[0] as {
      action_id: string;
      options: Array<{ value: string }>;
    };
    expect(select.action_id).toBe(ACTION.assign);
    expect(select.options.map((o) => decodeAssignValue(o.value))).toEqual([
      { handoffId: 'h7', repId: 'alice' },
      { handoffId: 'h7', repId: 'bruno' },
    ]);
    expect(validateBlocks(msg.blocks, LIMITS.messageBlocks)).toBeNull();
    const none = blocksOf(buildEscalationPost({ ...post, assignable: [] }, 'managers').blocks);
    expect(none.some((b) => b.type === 'actions')).toBe(false);
  });

  it('gives the team a Claim button and closes with who took it', () => {
    const blocks = blocksOf(buildEscalationPost(post, 'team').blocks);
    expect(blocks.find((b) => b.type === 'actions')?.elements?.map((e) => [e.action_id, e.value])).toEqual([
      [ACTION.claim, 'h7'],
    ]);
    const closed = blocksOf(
      buildClosedEscalation(post, { kind: 'assigned', by: MARIA, to: BRUNO, at: DUE }, 'Europe/Berlin').blocks,
    );
    expect(closed.some((b) => b.type === 'actions')).toBe(false);
    expect(closed.at(-1)?.text?.text).toBe('👉 Assigned to <@U0BRUNO> by <@U0MARIA> on Wed 25 Nov, 14:30 CET.');
  });
});

describe("a lead's channel message and its thread", () => {
  const post = {
    handoffId: 'h7',
    lead: makeLead({ firstName: 'Max', lastName: 'Power' }),
    hot: true,
    reason: 'max_offers',
    history: [{ rep: ALICE, outcome: 'timed_out' as const, at: DUE }],
    team: { id: 'emea', channel: 'C0EMEA' },
    assignable: [ALICE, BRUNO],
  };

  it('lays out each stage for its audience, within Slack limits', () => {
    const hot = buildLeadMessage({ kind: 'hot', card: card({ hot: true, seq: 2, rep: BRUNO }) }, 'team');
    expect(hot.text).toMatch(/offered to Bruno Costa \(2nd offer\)$/);
    const team = buildLeadMessage({ kind: 'escalated', post }, 'team');
    const managers = buildLeadMessage({ kind: 'escalated', post }, 'managers');
    expect(JSON.stringify(team.blocks)).toContain(ACTION.claim);
    expect(JSON.stringify(managers.blocks)).toContain(ACTION.assign);
    const outcome = { kind: 'claimed' as const, by: BRUNO, to: BRUNO, at: DUE };
    const closed = buildLeadMessage({ kind: 'closed', post, outcome }, 'managers', 'Europe/Berlin');
    expect(closed.blocks.some((b) => b.type === 'actions')).toBe(false);
    const accepted: OfferOutcome = { kind: 'accepted', by: ALICE, at: DUE };
    const decided = buildLeadMessage({ kind: 'decided', card: card({ hot: true }), outcome: accepted }, 'team');
    expect(texts(blocksOf(decided.blocks)).at(-1)).toBe('✅ Accepted by <@U0ALICE> on Wed 25 Nov, 14:30 CET.');
    for (const m of [hot, team, managers, closed, decided])
      expect(validateBlocks(m.blocks, LIMITS.messageBlocks)).toBeNull();
  });

  it('words each step for the thread', () => {
    expect(leadStepText({ kind: 'reoffered', card: card({ seq: 3, rep: BRUNO }) }, 'Europe/Berlin')).toBe(
      '⏭️ Offered to <@U0BRUNO> (3rd offer), due Wed 25 Nov, 14:30 CET.',
    );
    expect(leadStepText({ kind: 'escalated', reason: 'unroutable' })).toBe(
      '📣 Escalated: no rule, team or fallback could take it.',
    );
    expect(leadStepText({ kind: 'escalated', reason: null })).toBe('📣 Escalated: it needs an owner.');
    expect(
      leadStepText({ kind: 'closed', outcome: { kind: 'assigned', by: MARIA, to: BRUNO, at: DUE } }, 'Europe/Berlin'),
    ).toBe('👉 Assigned to <@U0BRUNO> by <@U0MARIA> on Wed 25 Nov, 14:30 CET.');
  });
});

describe('alerts and digests', () => {
  it('lays a document out as header, intro, fields, tables, notes and context, escaping text', () => {
    const msg = buildDocMessage(makeDoc());
    expect(msg.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: '📊 Lead hand-off, 2026-11-03', emoji: true } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'MQLs of 2026-11-03 &amp; what became of them &lt;so far&gt;.' },
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*MQLs*\n2' },
          { type: 'mrkdwn', text: '*SLA compliance*\n50.0% (1 of 2)' },
        ],
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: [
            '*Per rep*',
            '```rep           MQLs  SALs  resp. p50     SLA',
            'Bruno Keller     1     0     5m 00s  100.0%',
            'Carl Diaz       10     0    40m 00s    0.0%```',
          ].join('\n'),
        },
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '*Sample notes*\n• Other: “student” (PAID / fall)\n• a &lt;b&gt; &amp; "c"' },
      },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: '<https://handoff.example.com/dashboard?a=1&b=2|Open the dashboard>' },
          { type: 'mrkdwn', text: 'MQL→SAL = accepted / all MQLs of the period.' },
        ],
      },
    ]);
    expect(msg.text).toBe(
      '📊 Lead hand-off, 2026-11-03 — MQLs of 2026-11-03 & what became of them <so far>. — MQLs: 2 · SLA compliance: 50.0% (1 of 2)',
    );
  });

  it('stays within Block Kit limits for a long document', () => {
    const long = 'y'.repeat(5000);
    const msg = buildDocMessage(
      makeDoc({
        title: long,
        intro: [long],
        facts: Array.from({ length: 23 }, (_, i) => ({ label: `fact ${i}`, value: long })),
        tables: [{ title: 'Big', head: ['name'], rows: Array.from({ length: 400 }, () => ['someone']) }],
      }),
    );
    expect(validateBlocks(msg.blocks, LIMITS.messageBlocks)).toBeNull();
    const fieldSections = blocksOf(msg.blocks).filter((b) => b.fields !== undefined);
    expect(fieldSections.map((b) => b.fields?.length)).toEqual([10, 10, 3]);
    expect(msg.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
  });

  it('escapes only the three characters mrkdwn treats as control characters', () => {
    expect(escapeMrkdwn('a < b && c > "d" *e*')).toBe('a &lt; b &amp;&amp; c &gt; "d" *e*');
  });
});

describe('App Home', () => {
  const summary = { offers: 12, accepted: 9, rejected: 2, timedOut: 1, medianResponseMs: 6 * 60_000 };

  it('lists open offers with the card buttons and the last 30 days', () => {
    const view = buildAppHome({
      queue: [{ handoffId: 'h1', offerId: 'o1', leadName: 'Jane Doe', company: 'Acme', dueAt: DUE, hot: true }],
      summary,
      timezone: 'Europe/Berlin',
      now: DUE - 10 * 60_000,
    });
    const blocks = blocksOf(view.blocks);
    expect(texts(blocks)).toContain('🔥 *Jane Doe (Acme)* — due Wed 25 Nov, 14:30 CET (10 minutes left)');
    expect(blocks.find((b) => b.type === 'actions')?.elements?.map((e) => [e.action_id, e.value])).toEqual([
      [ACTION.accept, 'o1'],
      [ACTION.reject, 'o1'],
    ]);
    expect(blocks.flatMap((b) => b.fields ?? []).map((f) => f.text)).toEqual([
      '*Offers*\n12',
      '*Accepted*\n9',
      '*Rejected*\n2',
      '*Timed out*\n1',
      '*Median response*\n6 minutes',
    ]);
  });

  it('stays under 100 blocks with a long queue and explains an unknown user', () => {
    const queue = Array.from({ length: 80 }, (_, i) => ({
      handoffId: `h${i}`,
      offerId: `o${i}`,
      leadName: `L${i}`,
      company: null,
      dueAt: DUE,
      hot: false,
    }));
    const view = buildAppHome({ queue, summary, now: DUE });
    expect(validateBlocks(view.blocks, LIMITS.viewBlocks)).toBeNull();
    expect(texts(blocksOf(view.blocks))).toContain('…and 40 more.');
    const stranger = buildAppHome({ queue: null, summary: null, now: DUE });
    expect(texts(blocksOf(stranger.blocks)).join(' ')).toContain('not set up as a rep');
  });
});

describe('ephemeral texts and /handoff arguments', () => {
  it('says who a lead is offered to and what happened when', () => {
    expect(notYoursText('<@U0ALICE>')).toBe('This lead is offered to <@U0ALICE>, not to you. Nothing was changed.');
    expect(alreadyDecidedText('accepted', 'Alice', DUE, 'Europe/Berlin')).toBe(
      'ℹ️ This lead was already accepted by Alice on Wed 25 Nov, 14:30 CET. Nothing was changed.',
    );
    expect(offerClosedText('withdrawn', DUE, null, 'UTC')).toBe(
      'ℹ️ This offer was withdrawn on Wed 25 Nov, 13:30 UTC. Nothing was changed.',
    );
    expect(HELP_TEXT).toContain('/handoff away for 3d');
  });
});
