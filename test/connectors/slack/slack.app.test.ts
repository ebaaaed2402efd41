// The real Bolt app driven through the Slack emulator: clicks, modals, slash commands and App Home,
// in HTTP mode (signed requests to our own server) and in Socket Mode (envelopes over a WebSocket).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OfferCard, Person } from '../../../src/ports/rep-notifier.js';
import { ACTION, BLOCK, buildEscalationPost } from '../../../connectors/slack/slack.blocks.js';
import { createSlackNotifier } from '../../../connectors/slack/slack.notifier.js';
import type { RecordedMessage } from '../../../connectors/slack/emulator/index.js';
import { makeLead } from '../../helpers/builders.js';
import { ALICE, BOT_TOKEN, BRUNO, CARL, SECRET, startRig, type Rig } from './harness.js';
import { waitFor } from '../../helpers/wait.js';

function offerCard(overrides: Partial<OfferCard> = {}): OfferCard {
  return {
    handoffId: 'h1',
    offerId: 'o1',
    lead: makeLead({
      firstName: 'Jane',
      lastName: 'Doe',
      recordUrl: 'https://app.hubspot.com/contacts/1/record/0-1/101',
    }),
    rep: ALICE,
    hot: false,
    dueAt: Date.now() + 30 * 60_000,
    why: { rule: 'EMEA', team: 'emea', strategy: 'round-robin', ownerMatch: null },
    seq: 1,
    ...overrides,
  };
}

function hasButtons(m: RecordedMessage | null): boolean {
  return (m?.blocks ?? []).some((b) => (b as { type?: string }).type === 'actions');
}

function statusLine(m: RecordedMessage | null): string | undefined {
  const block = (m?.blocks ?? []).find((b) => (b as { block_id?: string }).block_id === BLOCK.status) as
    | { text: { text: string } }
    | undefined;
  return block?.text.text;
}

describe.each(['http', 'socket'] as const)('Slack app in %s mode', (mode) => {
  let rig: Rig;

  async function postCard(
    card: OfferCard = offerCard(),
    person: Person = ALICE,
  ): Promise<{ channel: string; ts: string }> {
    rig.actions.addOffer({ id: card.offerId, handoffId: card.handoffId, rep: person });
    const notifier = createSlackNotifier({ botToken: BOT_TOKEN, apiUrl: rig.emulator.apiUrl }, { logger: rig.logger });
    return notifier.postOffer(card);
  }

  beforeEach(async () => {
    rig = await startRig(mode);
  });
  afterEach(async () => {
    await rig.close();
  });

  it('accepts: acks, decides through HandoffActions, and closes the card', async () => {
    const ref = await postCard();
    const res = await rig.emulator.control.clickButton({
      user: 'U0ALICE',
      channel: ref.channel,
      ts: ref.ts,
      actionId: ACTION.accept,
    });
    expect(res.status).toBe(200);
    // In HTTP mode the ack says what it cost inside the app (handler reached → ack written), for the benchmarks (and,
    // mounted in the worker's server, since the connection was accepted: test/runtime/connection-timing.test.ts).
    if (res.via === 'http') expect(res.serverTiming).toMatch(/^ack;dur=\d+(\.\d)?$/);
    const card = await waitFor('card update', () => {
      const m = rig.emulator.control.message(ref.channel, ref.ts);
      return m !== null && m.edits.length > 0 ? m : undefined;
    });
    expect(hasButtons(card)).toBe(false);
    expect(statusLine(card)).toMatch(/^✅ Accepted by <@U0ALICE> on /);
    expect(rig.actions.calls).toEqual([
      { method: 'accept', input: { offerId: 'o1', actor: { via: 'slack', userId: 'U0ALICE' } } },
    ]);
  });

  it('rejects with a reason chosen in the modal', async () => {
    const ref = await postCard();
    await rig.emulator.control.clickButton({
      user: 'U0ALICE',
      channel: ref.channel,
      ts: ref.ts,
      actionId: ACTION.reject,
    });
    const modal = await waitFor('reject modal', () => rig.emulator.control.views('U0ALICE').find((v) => !v.closed));
    expect(JSON.parse(String(modal.view.private_metadata))).toMatchObject({ o: 'o1', c: ref.channel, t: ref.ts });
    expect(rig.actions.calls).toEqual([]);

    const res = await rig.emulator.control.submitView({
      user: 'U0ALICE',
      values: {
        [BLOCK.rejectReason]: { [ACTION.rejectReason]: 'bad_timing' },
        [BLOCK.rejectNote]: { [ACTION.rejectNote]: 'Budget opens in Q3' },
      },
    });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(rig.emulator.control.views('U0ALICE')[0]?.closed).toBe(true);
    const card = await waitFor('card update', () => {
      const m = rig.emulator.control.message(ref.channel, ref.ts);
      return m !== null && m.edits.length > 0 ? m : undefined;
    });
    expect(statusLine(card)).toMatch(/Rejected by <@U0ALICE> .* Bad timing\. Note: “Budget opens in Q3”/);
    expect(hasButtons(card)).toBe(false);
    expect(rig.actions.calls).toEqual([
      {
        method: 'reject',
        input: {
          offerId: 'o1',
          actor: { via: 'slack', userId: 'U0ALICE' },
          reasonId: 'bad_timing',
          note: 'Budget opens in Q3',
        },
      },
    ]);
  });

  it('answers a missing required note inline and decides nothing', async () => {
    const ref = await postCard();
    await rig.emulator.control.clickButton({
      user: 'U0ALICE',
      channel: ref.channel,
      ts: ref.ts,
      actionId: ACTION.reject,
    });
    await waitFor('reject modal', () => rig.emulator.control.views('U0ALICE').find((v) => !v.closed));
    const res = await rig.emulator.control.submitView({
      user: 'U0ALICE',
      values: {
        [BLOCK.rejectReason]: { [ACTION.rejectReason]: 'other' },
        [BLOCK.rejectNote]: { [ACTION.rejectNote]: '   ' },
      },
    });
    expect(res.status).toBe(200);
    expect(res.errors).toEqual({ [BLOCK.rejectNote]: 'A note is required when the reason is “Other”.' });
    expect(rig.emulator.control.views('U0ALICE')[0]?.closed).toBe(false);
    expect(rig.actions.calls).toEqual([]);

    const second = await rig.emulator.control.submitView({
      user: 'U0ALICE',
      values: {
        [BLOCK.rejectReason]: { [ACTION.rejectReason]: 'other' },
        [BLOCK.rejectNote]: { [ACTION.rejectNote]: 'Student project' },
      },
    });
    expect(second.errors).toBeUndefined();
    await waitFor('reject call', () => rig.actions.calls.find((c) => c.method === 'reject'));
  });

  it('tells someone else the lead is offered to the rep, and changes nothing', async () => {
    // A card in a shared channel (the only place where another person can see the buttons).
    rig.actions.addOffer({ id: 'o2', handoffId: 'h2', rep: ALICE });
    const notifier = createSlackNotifier({ botToken: BOT_TOKEN, apiUrl: rig.emulator.apiUrl }, { logger: rig.logger });
    const { buildOfferCard } = await import('../../../connectors/slack/slack.blocks.js');
    const message = buildOfferCard(offerCard({ offerId: 'o2', handoffId: 'h2' }));
    const ref = await notifier.postMessage('C0EMEA', message.text, message.blocks);

    await rig.emulator.control.clickButton({
      user: 'U0BRUNO',
      channel: ref.channel,
      ts: ref.ts,
      actionId: ACTION.accept,
    });
    const note = await waitFor('ephemeral', () => rig.emulator.control.ephemerals({ user: 'U0BRUNO' })[0]);
    expect(note.channel).toBe('C0EMEA');
    expect(note.text).toBe('This lead is offered to <@U0ALICE>, not to you. Nothing was changed.');
    expect(rig.emulator.control.message(ref.channel, ref.ts)?.edits).toEqual([]);
    expect(rig.actions.handoff('h2')?.state).toBe('offered');
  });

  it('decides a double click once and tells the second click what happened', async () => {
    const ref = await postCard();
    const click = () =>
      rig.emulator.control.clickButton({ user: 'U0ALICE', channel: ref.channel, ts: ref.ts, actionId: ACTION.accept });
    const results = await Promise.all([click(), click()]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const note = await waitFor('ephemeral', () => rig.emulator.control.ephemerals({ user: 'U0ALICE' })[0]);
    expect(note.text).toMatch(/^ℹ️ This lead was already accepted by <@U0ALICE> on .* Nothing was changed\.$/);
    await waitFor(
      'both card updates',
      () => (rig.emulator.control.message(ref.channel, ref.ts)?.edits.length ?? 0) >= 2,
    );
    expect(rig.actions.calls.filter((c) => c.method === 'accept')).toHaveLength(2);
    expect(rig.actions.handoff('h1')?.state).toBe('accepted');
    expect(hasButtons(rig.emulator.control.message(ref.channel, ref.ts))).toBe(false);
  });

  it('refreshes a card clicked after its offer timed out and says who has it now', async () => {
    const ref = await postCard();
    rig.actions.timeOut('o1', Date.UTC(2026, 10, 25, 13, 0), BRUNO);
    await rig.emulator.control.clickButton({
      user: 'U0ALICE',
      channel: ref.channel,
      ts: ref.ts,
      actionId: ACTION.accept,
    });
    const note = await waitFor('ephemeral', () => rig.emulator.control.ephemerals({ user: 'U0ALICE' })[0]);
    expect(note.text).toBe(
      'ℹ️ This offer timed out on Wed 25 Nov, 14:00 CET. It is now with <@U0BRUNO>. Nothing was changed.',
    );
    const card = await waitFor('card refresh', () => {
      const m = rig.emulator.control.message(ref.channel, ref.ts);
      return m !== null && m.edits.length > 0 ? m : undefined;
    });
    expect(hasButtons(card)).toBe(false);
    expect(statusLine(card)).toContain('timed out');
  });

  it('lets the first of two racing reps claim an escalated lead', async () => {
    rig.actions.addEscalation('h9', ['alice', 'bruno']);
    const notifier = createSlackNotifier({ botToken: BOT_TOKEN, apiUrl: rig.emulator.apiUrl }, { logger: rig.logger });
    const team = await notifier.postLeadMessage('C0EMEA', 'team', {
      kind: 'escalated',
      post: {
        handoffId: 'h9',
        lead: makeLead(),
        hot: false,
        reason: 'nobody accepted within 3 offers',
        history: [{ rep: ALICE, outcome: 'timed_out', at: Date.now() - 60_000 }],
        team: { id: 'emea', channel: 'C0EMEA' },
        assignable: [ALICE, BRUNO],
      },
    });
    const claim = (user: string) =>
      rig.emulator.control.clickButton({ user, channel: team.channel, ts: team.ts, actionId: ACTION.claim });
    await Promise.all([claim('U0ALICE'), claim('U0BRUNO')]);

    const loser = await waitFor('ephemeral for the slower rep', () => rig.emulator.control.ephemerals()[0]);
    const winner = loser.user === 'U0ALICE' ? 'U0BRUNO' : 'U0ALICE';
    const winnerId = winner === 'U0ALICE' ? 'alice' : 'bruno';
    expect(rig.actions.handoff('h9')?.decidedBy).toBe(winnerId);
    expect(loser.text).toContain('Already taken');
    expect(loser.text).toContain(`<@${winner}>`);
    const post = await waitFor('claimed post', () => {
      const m = rig.emulator.control.message(team.channel, team.ts);
      return m !== null && statusLine(m)?.startsWith('🙋') === true ? m : undefined;
    });
    expect(statusLine(post)).toMatch(new RegExp(`^🙋 Claimed by <@${winner}> on `));
    expect(hasButtons(post)).toBe(false);
  });

  it('lets a manager assign an escalated lead from the managers channel', async () => {
    rig.actions.addEscalation('h8', ['alice', 'bruno']);
    const post = buildEscalationPost(
      {
        handoffId: 'h8',
        lead: makeLead(),
        hot: true,
        reason: 'rejected by everyone',
        history: [],
        team: null,
        assignable: [ALICE, BRUNO],
      },
      'managers',
    );
    const notifier = createSlackNotifier({ botToken: BOT_TOKEN, apiUrl: rig.emulator.apiUrl }, { logger: rig.logger });
    const ref = await notifier.postMessage('C0MGRS', post.text, post.blocks);
    await rig.emulator.control.selectOption({
      user: 'U0MARIA',
      channel: ref.channel,
      ts: ref.ts,
      actionId: ACTION.assign,
      value: 'h8|bruno',
    });
    const updated = await waitFor('assigned post', () => {
      const m = rig.emulator.control.message(ref.channel, ref.ts);
      return m !== null && m.edits.length > 0 ? m : undefined;
    });
    expect(statusLine(updated)).toMatch(/^👉 Assigned to <@U0BRUNO> by <@U0MARIA> on /);
    expect(rig.actions.calls).toEqual([
      { method: 'assign', input: { handoffId: 'h8', actor: { via: 'slack', userId: 'U0MARIA' }, repId: 'bruno' } },
    ]);
  });

  it('sets a rep away and back with /handoff', async () => {
    const before = Date.now();
    const away = await rig.emulator.control.slashCommand({ user: 'U0ALICE', channel: 'C0EMEA', text: 'away for 2d' });
    expect(away.status).toBe(200);
    const reply = await waitFor('away reply', () =>
      rig.emulator.control.ephemerals({ user: 'U0ALICE' }).find((e) => e.text.startsWith('You are away')),
    );
    expect(reply.text).toMatch(/^You are away until .* CET: new leads go to your teammates/);
    const until = rig.actions.away.get('alice');
    expect(until).toBeGreaterThanOrEqual(before + 2 * 86_400_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 2 * 86_400_000);

    await rig.emulator.control.slashCommand({ user: 'U0ALICE', channel: 'C0EMEA', text: 'back' });
    await waitFor('back reply', () =>
      rig.emulator.control.ephemerals({ user: 'U0ALICE' }).find((e) => e.text.startsWith('Welcome back')),
    );
    expect(rig.actions.away.has('alice')).toBe(false);

    const bad = await rig.emulator.control.slashCommand({
      user: 'U0ALICE',
      channel: 'C0EMEA',
      text: 'away until someday',
    });
    expect(JSON.stringify(bad.body)).toContain('is not a date');
    expect(rig.actions.calls.filter((c) => c.method === 'setAway')).toHaveLength(1);

    const stranger = await rig.emulator.control.slashCommand({ user: CARL.id, channel: 'C0EMEA', text: 'queue' });
    expect(stranger.status).toBe(200);
    await waitFor('stranger reply', () =>
      rig.emulator.control.ephemerals({ user: CARL.id }).find((e) => e.text.includes('not set up as a rep')),
    );
  });

  it('renders App Home with the open offers, their buttons and the last 30 days', async () => {
    await postCard();
    await rig.emulator.control.openAppHome({ user: 'U0ALICE' });
    const home = await waitFor('home view', () => rig.emulator.control.homeView('U0ALICE'));
    const blocks = home.view.blocks as Array<{
      type: string;
      elements?: Array<{ action_id?: string; value?: string }>;
      fields?: Array<{ text: string }>;
    }>;
    const buttons = blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
    expect(buttons.map((e) => [e.action_id, e.value])).toEqual([
      [ACTION.accept, 'o1'],
      [ACTION.reject, 'o1'],
    ]);
    expect(blocks.flatMap((b) => b.fields ?? []).map((f) => f.text)).toContain('*Median response*\n4 minutes');

    // Accept from Home: the decision is made and Home is published again without the offer.
    await rig.emulator.control.clickHomeButton({ user: 'U0ALICE', actionId: ACTION.accept, value: 'o1' });
    await waitFor('second publish', () => rig.emulator.control.calls('views.publish').length === 2);
    const after = rig.emulator.control.homeView('U0ALICE')?.view.blocks as Array<{ type: string }>;
    expect(after.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(after)).toContain('Accepted by');
  });

  it('treats a redelivered event as a duplicate', async () => {
    await rig.emulator.control.openAppHome({ user: 'U0ALICE', retryNum: 1 });
    await rig.emulator.control.openAppHome({ user: 'U0ALICE' });
    await waitFor('one publish', () => rig.emulator.control.calls('views.publish').length === 1);
    expect(rig.actions.calls.filter((c) => c.method === 'queue')).toHaveLength(1);
    expect(rig.logger.records.some((l) => l.msg === 'slack retry ignored')).toBe(true);
  });

  if (mode === 'http') {
    it('refuses wrong and stale signatures with 401 and changes nothing', async () => {
      const ref = await postCard();
      const wrong = await rig.emulator.control.clickButton({
        user: 'U0ALICE',
        channel: ref.channel,
        ts: ref.ts,
        actionId: ACTION.accept,
        signing: { secret: 'not-the-secret' },
      });
      expect(wrong.status).toBe(401);
      const stale = await rig.emulator.control.clickButton({
        user: 'U0ALICE',
        channel: ref.channel,
        ts: ref.ts,
        actionId: ACTION.accept,
        signing: { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 },
      });
      expect(stale.status).toBe(401);
      const raw = await rig.emulator.control.sendRaw({
        body: 'payload=%7B%22type%22',
        contentType: 'application/x-www-form-urlencoded',
        signing: { secret: SECRET },
      });
      expect(raw.status).toBe(400);
      expect(rig.actions.calls).toEqual([]);
      expect(rig.emulator.control.message(ref.channel, ref.ts)?.edits).toEqual([]);
      expect(rig.emulator.control.calls('chat.postEphemeral')).toEqual([]);

      const valid = await rig.emulator.control.clickButton({
        user: 'U0ALICE',
        channel: ref.channel,
        ts: ref.ts,
        actionId: ACTION.accept,
      });
      expect(valid.status).toBe(200);
      await waitFor('accept after a valid signature', () => rig.actions.calls.length === 1);
    });

    it('says so when the reject form could not open in time', async () => {
      const ref = await postCard();
      rig.emulator.control.fail({ count: 1, status: 500, method: 'views.open' });
      await rig.emulator.control.clickButton({
        user: 'U0ALICE',
        channel: ref.channel,
        ts: ref.ts,
        actionId: ACTION.reject,
      });
      const note = await waitFor('ephemeral', () => rig.emulator.control.ephemerals({ user: 'U0ALICE' })[0]);
      expect(note.text).toContain('click Reject again');
      expect(hasButtons(rig.emulator.control.message(ref.channel, ref.ts))).toBe(true);
    });
  }
});

describe('Slack app in HTTP mode, start-up', () => {
  it('looks the bot up (auth.test) at start, so no click waits for it', async () => {
    const rig = await startRig('http');
    try {
      expect(rig.emulator.control.calls('auth.test')).toHaveLength(0);
      await rig.app.start();
      await waitFor('auth.test at start', () =>
        rig.emulator.control.calls('auth.test').length === 1 ? true : undefined,
      );
      rig.actions.addOffer({ id: 'o1', handoffId: 'h1', rep: ALICE });
      const notifier = createSlackNotifier(
        { botToken: BOT_TOKEN, apiUrl: rig.emulator.apiUrl },
        { logger: rig.logger },
      );
      const ref = await notifier.postOffer(offerCard());
      const click = await rig.emulator.control.clickButton({
        user: ALICE.slackUserId as string,
        channel: ref.channel,
        ts: ref.ts,
        actionId: ACTION.accept,
      });
      expect(click.status).toBe(200);
      await waitFor('the decision', () => (rig.actions.calls.some((c) => c.method === 'accept') ? true : undefined));
      expect(rig.emulator.control.calls('auth.test')).toHaveLength(1);
    } finally {
      await rig.close();
    }
  });
});
