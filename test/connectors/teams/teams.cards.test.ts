import { describe, expect, it } from 'vitest';
import type { ClaimOutcome, DecisionOutcome, OfferView } from '../../../src/ports/handoff-actions.js';
import type { EscalationOutcome, OfferOutcome } from '../../../src/ports/rep-notifier.js';
import {
  CARD_VERSION,
  buildClosedOfferCard,
  buildDocCard,
  buildLeadCard,
  buildOfferCard,
  cardMessage,
  leadStepLine,
  reminderMessage,
  renderInvokeResult,
  type AdaptiveCard,
  type CardElement,
  type InvokeRenderInput,
} from '../../../connectors/teams/teams.cards.js';
import { ADAPTIVE_CARD } from '../../../connectors/teams/teams.types.js';
import { makeDoc, makeHandoff } from '../../helpers/builders.js';
import {
  ALICE,
  BRUNO,
  DUE,
  MARIA,
  PEOPLE,
  REASONS,
  action,
  actions,
  elements,
  escalation,
  facts,
  offerCard,
  texts,
} from './cards-fixtures.js';

const ELEMENT_TYPES = new Set([
  'TextBlock',
  'FactSet',
  'ColumnSet',
  'Container',
  'Image',
  'Input.ChoiceSet',
  'Input.Text',
]);
const ACTION_TYPES = new Set(['Action.Execute', 'Action.ShowCard', 'Action.OpenUrl']);

/** The card uses schema 1.5 and only the elements and actions Teams renders, ShowCards included. */
function expectTeamsSubset(card: AdaptiveCard): void {
  expect(card.type).toBe('AdaptiveCard');
  expect(card.version).toBe(CARD_VERSION);
  expect(CARD_VERSION).toBe('1.5');
  for (const el of elements(card)) expect(ELEMENT_TYPES.has(el.type), el.type).toBe(true);
  for (const a of actions(card)) {
    expect(ACTION_TYPES.has(a.type), a.type).toBe(true);
    if (a.type === 'Action.ShowCard') expectTeamsSubset(a.card);
  }
  if (card.refresh !== undefined) expect(card.refresh.action.verb).toBe('refresh');
}

const executes = (card: AdaptiveCard) => actions(card).filter((a) => a.type === 'Action.Execute');
const OPTIONS = { reasons: REASONS, refreshUserIds: ['29:alice'] };

describe('offer card', () => {
  it('shows who, the facts, BANT, why you and the deadline in the rep time zone', () => {
    const card = buildOfferCard(offerCard(), OPTIONS);
    expectTeamsSubset(card);
    expect(texts(card)[0]).toBe('New lead: Jane Doe (Acme <GmbH>)');
    expect(texts(card)).toContain('Jane Doe · VP Sales · Acme <GmbH>');
    expect(facts(card)).toEqual({
      Country: 'DE',
      Employees: '250',
      Industry: 'Software',
      Score: '92',
      'Source / campaign': 'PAID_SEARCH / q4-launch',
      'MQL since': 'Wed 25 Nov, 13:00 CET',
      Need: 'Routing for 40 reps',
      Budget: 'unknown',
      Authority: 'unknown',
      Timeline: 'unknown',
    });
    expect(texts(card)).toContain('Why you: rule “EMEA” → team emea, round-robin.');
    expect(texts(card)).toContain('⏰ Accept or reject by **Wed 25 Nov, 14:30 CET**');
    expect(card.fallbackText).toBe(
      'New lead: Jane Doe (Acme <GmbH>), score 92. Accept or reject by Wed 25 Nov, 14:30 CET.',
    );
  });

  it("puts the deadline and the MQL time in the offered rep's own zone", () => {
    const card = buildOfferCard(offerCard({ rep: BRUNO }), OPTIONS);
    expect(texts(card)).toContain('⏰ Accept or reject by **Wed 25 Nov, 08:30 GMT-5**');
    expect(facts(card)['MQL since']).toBe('Wed 25 Nov, 07:00 GMT-5');
    const noZone = buildOfferCard(offerCard({ rep: MARIA }), OPTIONS);
    expect(texts(noZone)).toContain('⏰ Accept or reject by **Wed 25 Nov, 13:30 UTC**');
  });

  it('has Accept (Action.Execute, verb accept, the offer id, no inputs) and Reject with the reasons and the note', () => {
    const card = buildOfferCard(offerCard(), OPTIONS);
    const accept = action(card, 'Action.Execute', 'Accept');
    expect(accept).toMatchObject({ verb: 'accept', data: { offerId: 'offer-123' }, associatedInputs: 'none' });
    const reject = action(card, 'Action.ShowCard', 'Reject…');
    const form = reject.card.body;
    const reason = form.find(
      (e): e is Extract<CardElement, { type: 'Input.ChoiceSet' }> => e.type === 'Input.ChoiceSet',
    );
    expect(reason).toMatchObject({ id: 'reason', isRequired: true });
    expect(reason?.choices).toEqual([
      { title: 'Not our ideal customer', value: 'not_icp' },
      { title: 'Bad timing', value: 'bad_timing' },
      { title: 'Other (note required)', value: 'other' },
    ]);
    const note = form.find((e) => e.type === 'Input.Text');
    expect(note).toMatchObject({ id: 'note', isMultiline: true, label: 'Note (required for: Other)' });
    expect(executes(reject.card)).toEqual([
      expect.objectContaining({ verb: 'reject', data: { offerId: 'offer-123' }, associatedInputs: 'auto' }),
    ]);
    expect(action(card, 'Action.OpenUrl', 'Open in CRM').url).toBe(
      'https://app.hubspot.com/contacts/42/record/0-1/101',
    );
  });

  it('refreshes for the offered rep only (Universal Actions)', () => {
    const card = buildOfferCard(offerCard(), OPTIONS);
    expect(card.refresh).toEqual({
      action: { type: 'Action.Execute', title: 'Refresh', verb: 'refresh', data: { offerId: 'offer-123' } },
      userIds: ['29:alice'],
    });
  });

  it('marks a hot lead and a repeat offer', () => {
    const card = buildOfferCard(offerCard({ hot: true, seq: 2 }), OPTIONS);
    const top = card.body[0];
    expect(top).toMatchObject({ type: 'Container', style: 'attention' });
    expect(texts(card)[0]).toBe('🔥 HOT lead: Jane Doe (Acme <GmbH>)');
    expect(texts(card)).toContain('Hot lead — shorter deadline, please answer first.');
    expect(texts(card)).toContain(
      'Why you: rule “EMEA” → team emea, round-robin. You are the 2nd rep offered this lead.',
    );
    expect(card.fallbackText?.startsWith('🔥 Hot lead: ')).toBe(true);
  });

  it('leaves out a CRM link that is not a web address', () => {
    const base = offerCard();
    const card = buildOfferCard({ ...base, lead: { ...base.lead, recordUrl: 'javascript:alert(1)' } }, OPTIONS);
    expect(actions(card).map((a) => a.type)).toEqual(['Action.Execute', 'Action.ShowCard']);
  });

  it('travels as an Adaptive Card attachment', () => {
    const message = cardMessage(buildOfferCard(offerCard(), OPTIONS), { handoffId: 'h1' });
    expect(message.type).toBe('message');
    expect(message.attachments?.[0]?.contentType).toBe(ADAPTIVE_CARD);
    expect(message.channelData).toEqual({ handoffId: 'h1' });
  });
});

describe('closed offer card', () => {
  const at = Date.UTC(2026, 10, 25, 13, 5);
  const cases: Array<[OfferOutcome, string]> = [
    [{ kind: 'accepted', by: ALICE, at }, '✅ Accepted by Alice Martin on Wed 25 Nov, 14:05 CET.'],
    [
      { kind: 'rejected', by: ALICE, at, reason: 'other', note: '  student project  ' },
      '❌ Rejected by Alice Martin on Wed 25 Nov, 14:05 CET — Other. Note: “student project”',
    ],
    [
      { kind: 'rejected', by: ALICE, at, reason: 'retired_reason', note: null },
      '❌ Rejected by Alice Martin on Wed 25 Nov, 14:05 CET — retired_reason.',
    ],
    [
      { kind: 'timed_out', at, next: BRUNO },
      '⌛ Timed out on Wed 25 Nov, 14:05 CET — reassigned to the next rep, Bruno Costa.',
    ],
    [{ kind: 'timed_out', at, next: null }, '⌛ Timed out on Wed 25 Nov, 14:05 CET — escalated to the managers.'],
    [
      { kind: 'withdrawn', at, why: 'the lead was merged' },
      '↩️ Withdrawn on Wed 25 Nov, 14:05 CET: the lead was merged.',
    ],
    [
      { kind: 'reassigned', at, to: BRUNO, by: MARIA },
      '🔀 Reassigned to Bruno Costa by Maria Ruiz on Wed 25 Nov, 14:05 CET.',
    ],
    [{ kind: 'escalated', at }, '📣 Escalated to the managers on Wed 25 Nov, 14:05 CET.'],
  ];

  it.each(cases)('%o keeps the facts, drops the buttons and the refresh, and says what happened', (outcome, line) => {
    const card = buildClosedOfferCard(offerCard(), outcome, REASONS);
    expectTeamsSubset(card);
    expect(texts(card).at(-1)).toBe(line);
    expect(facts(card).Country).toBe('DE');
    expect(executes(card)).toEqual([]);
    expect(actions(card).map((a) => a.type)).toEqual(['Action.OpenUrl']);
    expect(card.refresh).toBeUndefined();
  });
});

describe('reminder', () => {
  it('names the lead and the time left, as plain text in the chat', () => {
    const message = reminderMessage(offerCard(), DUE - 65 * 60_000);
    expect(message).toEqual({
      type: 'message',
      textFormat: 'plain',
      text: '⏰ Reminder: 1 hour 5 minutes left to accept or reject Jane Doe (Acme <GmbH>) (until Wed 25 Nov, 14:30 CET).',
    });
  });
});

describe("a lead's channel card", () => {
  it('hot: who has it and until when, in the channel time zone, no buttons', () => {
    const card = buildLeadCard({ kind: 'hot', card: offerCard({ hot: true, seq: 2 }) }, 'team', 'UTC');
    expectTeamsSubset(card);
    expect(texts(card)).toEqual([
      '🔥 Hot lead **Jane Doe (Acme <GmbH>)**, score 92 offered to Alice Martin (2nd offer), due Wed 25 Nov, 13:30 UTC.',
    ]);
    expect(executes(card)).toEqual([]);
    expect(card.refresh).toBeUndefined();
  });

  it('decided: the notice and its outcome', () => {
    const outcome: OfferOutcome = { kind: 'accepted', by: ALICE, at: DUE - 60_000 };
    const card = buildLeadCard({ kind: 'decided', card: offerCard({ hot: true }), outcome }, 'team', 'UTC');
    expect(texts(card).at(-1)).toBe('✅ Accepted by Alice Martin on Wed 25 Nov, 13:29 UTC.');
    expect(executes(card)).toEqual([]);
  });

  it('escalated to the team: the facts, why, the history and Claim, refreshed for the channel', () => {
    const card = buildLeadCard({ kind: 'escalated', post: escalation() }, 'team', 'UTC');
    expectTeamsSubset(card);
    expect(texts(card)[0]).toBe('🔥 Needs an owner: Jane Doe (Acme <GmbH>)');
    expect(facts(card).Score).toBe('92');
    expect(texts(card)).toContain('**Why it is here:** the offer timed out and no other rep is available');
    expect(texts(card)).toContain('• Alice Martin — timed out, Wed 25 Nov, 13:30 UTC');
    expect(texts(card)).toContain('• Bruno Costa — rejected (Bad timing), Wed 25 Nov, 14:00 UTC');
    expect(executes(card)).toEqual([
      expect.objectContaining({ title: 'Claim', verb: 'claim', data: { handoffId: 'h9' }, associatedInputs: 'none' }),
    ]);
    expect(elements(card).some((e) => e.type === 'Input.ChoiceSet')).toBe(false);
    expect(card.refresh).toEqual({
      action: { type: 'Action.Execute', title: 'Refresh', verb: 'refresh', data: { handoffId: 'h9' } },
    });
  });

  it('escalated to the managers: a choice of the assignable reps and Assign', () => {
    const card = buildLeadCard({ kind: 'escalated', post: escalation() }, 'managers', 'UTC');
    const choice = elements(card).find((e) => e.type === 'Input.ChoiceSet');
    expect(choice).toMatchObject({
      id: 'repId',
      isRequired: true,
      choices: [
        { title: 'Bruno Costa', value: 'bruno' },
        { title: 'Maria Ruiz', value: 'maria' },
      ],
    });
    expect(executes(card)).toEqual([
      expect.objectContaining({ title: 'Assign', verb: 'assign', data: { handoffId: 'h9' }, associatedInputs: 'auto' }),
    ]);
    expect(card.refresh?.action.data).toEqual({ handoffId: 'h9' });
  });

  it('escalated to the managers with nobody to assign: says so, no action, no refresh', () => {
    const card = buildLeadCard({ kind: 'escalated', post: escalation({ assignable: [] }) }, 'managers', 'UTC');
    expect(texts(card)).toContain('No eligible rep to assign right now.');
    expect(executes(card)).toEqual([]);
    expect(card.refresh).toBeUndefined();
  });

  const at = Date.UTC(2026, 10, 25, 15, 0);
  const ends: Array<[EscalationOutcome, string]> = [
    [{ kind: 'claimed', by: BRUNO, to: null, at }, '🙋 Claimed by Bruno Costa on Wed 25 Nov, 15:00 UTC.'],
    [
      { kind: 'assigned', by: MARIA, to: BRUNO, at },
      '👉 Assigned to Bruno Costa by Maria Ruiz on Wed 25 Nov, 15:00 UTC.',
    ],
    [{ kind: 'withdrawn', by: null, to: null, at }, '↩️ Withdrawn on Wed 25 Nov, 15:00 UTC — no action needed.'],
  ];
  it.each(ends)('closed %o: the summary and the end, no buttons', (outcome, line) => {
    for (const audience of ['team', 'managers'] as const) {
      const card = buildLeadCard({ kind: 'closed', post: escalation(), outcome }, audience, 'UTC');
      expect(texts(card).at(-1)).toBe(line);
      expect(executes(card)).toEqual([]);
      expect(elements(card).some((e) => e.type === 'Input.ChoiceSet')).toBe(false);
      expect(card.refresh).toBeUndefined();
    }
  });

  it('keeps a long story under the Teams message size', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ id: `rep${i}`, name: `Rep number ${i}` }));
    const history = many.map((rep, i) => ({ rep, outcome: 'timed_out' as const, at: DUE + i * 60_000 }));
    const base = escalation();
    const long = 'x'.repeat(5_000);
    const post = escalation({
      assignable: many,
      history,
      lead: { ...base.lead, fields: { ...base.lead.fields, need: long, budget: long, authority: long } },
    });
    const card = buildLeadCard({ kind: 'escalated', post }, 'managers', 'UTC');
    expect(JSON.stringify(card).length).toBeLessThan(28_000);
    expect(texts(card)).toContain('…280 earlier offers');
    const choice = elements(card).find((e) => e.type === 'Input.ChoiceSet');
    expect(choice?.type === 'Input.ChoiceSet' ? choice.choices.length : 0).toBe(100);
  });
});

describe('thread steps', () => {
  it('tells each step in plain words', () => {
    const at = Date.UTC(2026, 10, 25, 15, 0);
    expect(leadStepLine({ kind: 'reoffered', card: offerCard({ rep: BRUNO, seq: 2 }) }, 'UTC')).toBe(
      '⏭️ Offered to Bruno Costa (2nd offer), due Wed 25 Nov, 13:30 UTC.',
    );
    expect(
      leadStepLine(
        {
          kind: 'decided',
          card: offerCard(),
          outcome: { kind: 'rejected', by: ALICE, at, reason: 'not_icp', note: null },
        },
        'UTC',
        REASONS,
      ),
    ).toBe('❌ Rejected by Alice Martin on Wed 25 Nov, 15:00 UTC — Not our ideal customer.');
    expect(leadStepLine({ kind: 'escalated', reason: 'max_offers' }, 'UTC')).toBe(
      '📣 Escalated: every offer timed out or was passed on (maximum offers reached).',
    );
    expect(leadStepLine({ kind: 'escalated', reason: null }, 'UTC')).toBe('📣 Escalated: it needs an owner.');
    expect(leadStepLine({ kind: 'closed', outcome: { kind: 'claimed', by: MARIA, to: null, at } }, 'UTC')).toBe(
      '🙋 Claimed by Maria Ruiz on Wed 25 Nov, 15:00 UTC.',
    );
  });
});

describe('alert and digest card', () => {
  it('has the title, intro, facts, non-empty tables as columns, notes, footer and the link', () => {
    const card = buildDocCard(makeDoc());
    expectTeamsSubset(card);
    const t = texts(card);
    expect(t[0]).toBe('📊 Lead hand-off, 2026-11-03');
    expect(t).toContain('MQLs of 2026-11-03 & what became of them <so far>.');
    expect(facts(card)).toEqual({ MQLs: '2', 'SLA compliance': '50.0% (1 of 2)' });
    expect(t).toContain('Per rep');
    expect(t).not.toContain('Nobody here');
    const table = elements(card).find((e) => e.type === 'ColumnSet');
    if (table?.type !== 'ColumnSet') throw new Error('no table');
    expect(table.columns).toHaveLength(5);
    const first = table.columns[0]?.items.map((i) => (i.type === 'TextBlock' ? i.text : ''));
    expect(first).toEqual(['rep', 'Bruno Keller', 'Carl Diaz']);
    expect(table.columns[1]?.items[1]).toMatchObject({ text: '1', horizontalAlignment: 'right' });
    expect(table.columns[0]?.items[1]).toMatchObject({ horizontalAlignment: 'left' });
    expect(t).toContain('Sample notes');
    expect(t).toContain('• a <b> & "c"');
    expect(t.at(-1)).toBe('MQL→SAL = accepted / all MQLs of the period.');
    expect(actions(card)).toEqual([
      { type: 'Action.OpenUrl', title: 'Open the dashboard', url: 'https://handoff.example.com/dashboard?a=1&b=2' },
    ]);
  });
});

// ---- invoke answers -------------------------------------------------------------------------------------

const NOW = Date.UTC(2026, 10, 25, 13, 10);

function offerView(overrides: Partial<OfferView> = {}): OfferView {
  return {
    offerId: 'offer-123',
    handoffId: 'h1',
    repId: 'alice',
    repName: 'Alice Martin',
    offerState: 'open',
    handoffState: 'offered',
    hot: false,
    dueAt: DUE,
    leadName: 'Jane Doe',
    company: 'Acme',
    decidedBy: null,
    decidedAt: null,
    ...overrides,
  };
}

function render(overrides: Partial<InvokeRenderInput>): AdaptiveCard | null {
  return renderInvokeResult({
    action: { verb: 'accept', offerId: 'offer-123' },
    outcome: null,
    offer: offerView(),
    people: PEOPLE,
    viewer: { aadObjectId: 'aad-alice', userId: '29:alice' },
    reasons: REASONS,
    now: NOW,
    ...overrides,
  });
}

function lastLine(card: AdaptiveCard | null): string {
  if (card === null) throw new Error('no card');
  expectTeamsSubset(card);
  return texts(card).at(-1) ?? '';
}

describe('renderInvokeResult: accept and reject', () => {
  const decided = makeHandoff({ id: 'h1', state: 'accepted', decidedAt: NOW, decidedBy: 'alice' });
  const cases: Array<[string, Partial<InvokeRenderInput>, string]> = [
    [
      'accepted',
      { outcome: { kind: 'accepted', handoff: decided } },
      '✅ Accepted by Alice Martin on Wed 25 Nov, 14:10 CET. It is yours now.',
    ],
    [
      'rejected',
      {
        action: { verb: 'reject', offerId: 'offer-123', reason: 'other', note: 'student' },
        outcome: { kind: 'rejected', handoff: { ...decided, state: 'rejected', reasonId: 'other', note: 'student' } },
      },
      '❌ Rejected by Alice Martin on Wed 25 Nov, 14:10 CET — Other. Note: “student”',
    ],
    [
      'already decided',
      { outcome: { kind: 'already_decided', state: 'accepted', by: 'bruno', at: NOW } },
      'ℹ️ This lead was already accepted by Bruno Costa on Wed 25 Nov, 14:10 CET. Nothing was changed.',
    ],
    [
      'offer closed',
      { outcome: { kind: 'offer_closed', offerState: 'timed_out', at: NOW, currentRep: 'bruno' } },
      'ℹ️ This offer timed out on Wed 25 Nov, 14:10 CET. It is now with Bruno Costa. Nothing was changed.',
    ],
    [
      'not yours',
      { viewer: { aadObjectId: 'aad-maria' }, outcome: { kind: 'not_yours', offeredTo: 'alice' } },
      'This lead is offered to Alice Martin, not to you. Nothing was changed.',
    ],
    [
      'unknown user',
      { viewer: { aadObjectId: 'aad-stranger' }, outcome: { kind: 'unknown_user' } },
      'You are not set up in handoff. Ask your RevOps admin to add your Teams user (Entra object id or email) to the config.',
    ],
    [
      'invalid, offer gone',
      { offer: null, outcome: { kind: 'invalid', problem: 'a note is required for “Other”' } },
      'That did not work: a note is required for “Other”. Nothing was changed.',
    ],
    [
      'not found',
      { offer: null, outcome: { kind: 'not_found' } },
      'This lead is no longer known to handoff. Nothing was changed.',
    ],
  ];

  it.each(cases)('%s: a card saying what happened, no buttons', (_name, input, line) => {
    const card = render(input);
    expect(lastLine(card)).toBe(line);
    expect(card === null ? [] : executes(card)).toEqual([]);
  });

  it('names the lead the answer is about', () => {
    const card = render({ outcome: { kind: 'accepted', handoff: decided } });
    expect(texts(card as AdaptiveCard)[0]).toBe('Jane Doe (Acme)');
  });

  it('answers "note required" with the form again, for the rep to fix it', () => {
    const outcome: DecisionOutcome = { kind: 'invalid', problem: 'a note is required when the reason is “Other”' };
    const card = render({ action: { verb: 'reject', offerId: 'offer-123', reason: 'other' }, outcome });
    if (card === null) throw new Error('no card');
    expectTeamsSubset(card);
    expect(texts(card)).toContain(
      '⚠️ That did not work: a note is required when the reason is “Other”. Nothing was changed — please try again.',
    );
    expect(action(card, 'Action.Execute', 'Accept').data).toEqual({ offerId: 'offer-123' });
    expect(executes(action(card, 'Action.ShowCard', 'Reject…').card)[0]).toMatchObject({ verb: 'reject' });
    expect(card.refresh).toMatchObject({ userIds: ['29:alice'], action: { data: { offerId: 'offer-123' } } });
  });
});

describe('renderInvokeResult: claim and assign', () => {
  const h = makeHandoff({ id: 'h9', state: 'accepted', decidedAt: NOW });
  const handoff = {
    handoffId: 'h9',
    state: 'escalated' as const,
    hot: true,
    leadName: 'Jane Doe',
    company: null,
    ownerName: null,
    teamId: 'emea',
  };
  const cases: Array<[ClaimOutcome, string]> = [
    [
      { kind: 'claimed', handoff: h, by: 'bruno' },
      '🙋 Claimed by Bruno Costa on Wed 25 Nov, 08:10 GMT-5. It is yours now.',
    ],
    [
      { kind: 'assigned', handoff: h, to: 'maria' },
      '👉 Assigned to Maria Ruiz by Bruno Costa on Wed 25 Nov, 08:10 GMT-5.',
    ],
    [
      { kind: 'already_taken', by: 'alice', state: 'accepted' },
      'ℹ️ Already taken: Alice Martin has it (accepted). Nothing was changed.',
    ],
    [{ kind: 'already_taken', by: null, state: 'withdrawn' }, 'ℹ️ Already taken (withdrawn). Nothing was changed.'],
    [
      { kind: 'not_allowed', why: 'only managers assign' },
      "You can't do that: only managers assign. Nothing was changed.",
    ],
    [
      { kind: 'unknown_user' },
      'You are not set up in handoff. Ask your RevOps admin to add your Teams user (Entra object id or email) to the config.',
    ],
    [{ kind: 'not_found' }, 'This lead is no longer known to handoff. Nothing was changed.'],
  ];
  it.each(cases)('%o: a card saying what happened', (outcome, line) => {
    const card = render({
      action:
        outcome.kind === 'assigned'
          ? { verb: 'assign', handoffId: 'h9', repId: 'maria' }
          : { verb: 'claim', handoffId: 'h9' },
      outcome,
      offer: null,
      handoff,
      viewer: { aadObjectId: 'aad-bruno' },
    });
    expect(lastLine(card)).toBe(line);
    expect(texts(card as AdaptiveCard)[0]).toBe('Jane Doe');
  });
});

describe('renderInvokeResult: refresh', () => {
  const refresh = { verb: 'refresh' as const, offerId: 'offer-123' };

  it('keeps the card while the offer is open', () => {
    expect(render({ action: refresh, offer: offerView() })).toBeNull();
  });

  it('shows the outcome once the offer was decided elsewhere', () => {
    const card = render({
      action: refresh,
      offer: offerView({ offerState: 'accepted', handoffState: 'accepted', decidedBy: 'alice', decidedAt: NOW }),
    });
    expect(lastLine(card)).toBe('✅ Accepted by Alice Martin on Wed 25 Nov, 14:10 CET.');
    expect(card?.refresh).toBeUndefined();
  });

  it('shows an offer that ended without a decision', () => {
    const card = render({ action: refresh, offer: offerView({ offerState: 'timed_out', decidedAt: NOW }) });
    expect(lastLine(card)).toBe('ℹ️ This offer timed out on Wed 25 Nov, 14:10 CET.');
  });

  it('says when the offer is unknown', () => {
    expect(lastLine(render({ action: refresh, offer: null }))).toBe('ℹ️ This lead is no longer available.');
  });

  it('keeps an escalation card while it waits for an owner, and shows who took it after', () => {
    const view = {
      handoffId: 'h9',
      state: 'escalated' as const,
      hot: false,
      leadName: 'Jane Doe',
      company: 'Acme',
      ownerName: null,
      teamId: 'emea',
    };
    const action = { verb: 'refresh' as const, handoffId: 'h9' };
    expect(render({ action, offer: null, handoff: view })).toBeNull();
    const taken = render({
      action,
      offer: null,
      handoff: { ...view, state: 'accepted', ownerName: 'Bruno Costa' },
    });
    expect(lastLine(taken)).toBe('ℹ️ Taken: Bruno Costa has it (accepted).');
    const gone = render({ action, offer: null, handoff: { ...view, state: 'withdrawn' } });
    expect(lastLine(gone)).toBe('↩️ Withdrawn — no action needed.');
  });
});
