// The notifier through the real WebClient against the emulator: calls per offer, final states, threads,
// escalations, and failures classified for the outbox (rate limits, auth, timeouts).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EscalationPost, OfferCard, RepNotifier } from '../../../src/ports/rep-notifier.js';
import { ConnectorError, Deferral } from '../../../src/ports/failure.js';
import { ACTION, BLOCK } from '../../../connectors/slack/slack.blocks.js';
import { startSlackEmulator, type SlackEmulator } from '../../../connectors/slack/emulator/index.js';
import { createSlackNotifier } from '../../../connectors/slack/slack.notifier.js';
import { makeDoc, makeLead } from '../../helpers/builders.js';
import { recordingLogger } from '../../helpers/recording-logger.js';
import { ALICE, BOT_TOKEN, BRUNO, MARIA, REASONS, SECRET } from './harness.js';

let clock = Date.UTC(2026, 10, 25, 9, 0);
let emulator: SlackEmulator;
let notifier: RepNotifier;

function card(n: number, overrides: Partial<OfferCard> = {}): OfferCard {
  return {
    handoffId: `h${n}`,
    offerId: `o${n}`,
    lead: makeLead({ firstName: 'Jane', lastName: `Doe ${n}` }),
    rep: ALICE,
    hot: false,
    dueAt: clock + 30 * 60_000,
    why: { rule: null, team: 'emea', strategy: 'round-robin', ownerMatch: null },
    seq: 1,
    ...overrides,
  };
}

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConnectorError) return err;
    throw err;
  }
  throw new Error('expected a ConnectorError');
}

beforeEach(async () => {
  clock = Date.UTC(2026, 10, 25, 9, 0);
  emulator = await startSlackEmulator({ signingSecret: SECRET, botToken: BOT_TOKEN, now: () => clock });
  for (const p of [ALICE, BRUNO, MARIA]) {
    emulator.control.addUser({
      id: p.slackUserId as string,
      name: p.id,
      email: `${p.id}@example.com`,
      tz: p.timezone ?? 'UTC',
    });
  }
  emulator.control.addChannel({ id: 'C0MGRS', name: 'sales-managers', members: ['U0MARIA'] });
  emulator.control.addChannel({ id: 'C0EMEA', name: 'team-emea', members: ['U0ALICE', 'U0BRUNO'] });
  emulator.control.addChannel({ id: 'C0QUIET', name: 'not-invited', members: ['U0ALICE'], botIsMember: false });
  notifier = createSlackNotifier(
    {
      botToken: BOT_TOKEN,
      apiUrl: emulator.apiUrl,
      reasons: REASONS,
      timezone: 'Europe/Berlin',
    },
    { logger: recordingLogger(), now: () => clock },
  );
});
afterEach(async () => {
  await emulator.close();
});

describe('Slack notifier', () => {
  it('posts an offer card to the rep DM with one Slack call once the DM is known', async () => {
    const first = await notifier.postOffer(card(1));
    expect(emulator.control.calls().map((c) => c.method)).toEqual(['conversations.open', 'chat.postMessage']);
    expect(first.channel).toBe(emulator.control.dmChannel('U0ALICE'));

    clock += 5_000;
    const second = await notifier.postOffer(card(2));
    expect(emulator.control.calls().map((c) => c.method)).toEqual([
      'conversations.open',
      'chat.postMessage',
      'chat.postMessage',
    ]);
    expect(second.channel).toBe(first.channel);
    const posted = emulator.control.message(second.channel, second.ts);
    expect(posted?.text).toContain('Jane Doe 2');
    expect(JSON.stringify(posted?.blocks)).toContain(ACTION.accept);
  });

  it('finds a card it posted by the offer id it carries, and only that card', async () => {
    const sent: string[] = [];
    const ref = await notifier.postOffer(card(1), { beforeSend: async (channel) => void sent.push(channel) });
    expect(sent).toEqual([ref.channel]);
    expect(emulator.control.message(ref.channel, ref.ts)?.metadata).toEqual({
      event_type: 'handoff_offer',
      event_payload: { offer_id: 'o1' },
    });
    clock += 5_000;
    await notifier.postOffer(card(2));
    expect(await notifier.findOffer(card(1), clock - 60_000)).toEqual(ref);
    expect(await notifier.findOffer(card(3), clock - 60_000)).toBeNull();
    // Only cards posted since the offer was made count (a minute of slack for clock skew).
    expect(await notifier.findOffer(card(1), clock + 10 * 60_000)).toBeNull();
  });

  it('cannot look without im:history and then says so instead of failing the post', async () => {
    await emulator.close();
    emulator = await startSlackEmulator({
      signingSecret: SECRET,
      botToken: BOT_TOKEN,
      now: () => clock,
      scopes: ['chat:write', 'commands', 'im:write', 'users:read', 'users:read.email'],
    });
    emulator.control.addUser({ id: 'U0ALICE', name: 'alice', email: 'alice@example.com' });
    const logger = recordingLogger();
    const old = createSlackNotifier({ botToken: BOT_TOKEN, apiUrl: emulator.apiUrl }, { logger, now: () => clock });
    expect(await old.findOffer(card(1), clock)).toBeNull();
    expect(emulator.control.calls('conversations.history')).toHaveLength(1);
    expect(logger.records.some((r) => r.msg === 'cannot look for an interrupted post')).toBe(true);
  });

  it('refuses a rep without a Slack user id as not_found', async () => {
    const { slackUserId: _omit, ...noSlack } = ALICE;
    const err = await failure(notifier.postOffer(card(1, { rep: noSlack })));
    expect(err.failure.kind).toBe('not_found');
    expect(emulator.control.calls()).toEqual([]);
  });

  /**
   * What the outbox does: try each job; on a deferral (our pacing) or rate_limited (Slack's 429) come back
   * after the wait. `as` says which of the two each wait was.
   */
  async function drain(
    n: OfferCard[],
    post: (c: OfferCard) => Promise<{ ts: string }>,
    as: 'deferral' | 'rate_limited' = 'deferral',
  ): Promise<number[]> {
    const retries: number[] = [];
    const pending = [...n];
    while (pending.length > 0) {
      const next = pending[0] as OfferCard;
      try {
        await post(next);
        pending.shift();
      } catch (err) {
        const wait =
          as === 'deferral' && err instanceof Deferral
            ? err.waitMs
            : as === 'rate_limited' && err instanceof ConnectorError && err.failure.kind === 'rate_limited'
              ? (err.failure.retryAfterMs ?? -1)
              : null;
        if (wait === null) throw err;
        retries.push(wait);
        clock += Math.max(0, wait);
      }
    }
    return retries;
  }

  const SIX_CARDS = [1, 2, 3, 4, 5, 6].map((n) => `Jane Doe ${n}`);
  const cardsInAliceDm = () =>
    emulator.control
      .messages(emulator.control.dmChannel('U0ALICE') as string)
      .map((m) => m.text.match(/Jane Doe \d/)?.[0]);

  it('paces a burst of cards to one rep itself: deferred with the exact wait, no 429 from Slack, all in order', async () => {
    const retries = await drain(
      [1, 2, 3, 4, 5, 6].map((n) => card(n)),
      (c) => notifier.postOffer(c),
    );
    expect(retries).toHaveLength(3); // a burst of 3 passes, then one a second
    expect(retries.every((ms) => ms > 0 && ms <= 1100)).toBe(true);
    expect(cardsInAliceDm()).toEqual(SIX_CARDS);
    expect(emulator.control.calls('chat.postMessage').filter((c) => c.status === 429)).toHaveLength(0);
    expect(emulator.control.calls('chat.postMessage')).toHaveLength(6);
  });

  it('defers only the busy DM: a card for another rep goes at once, and the deferral is not a failure', async () => {
    for (const n of [1, 2, 3]) await notifier.postOffer(card(n));
    const busy = await notifier.postOffer(card(4)).catch((err: unknown) => err);
    expect(busy).toBeInstanceOf(Deferral);
    expect(busy).not.toBeInstanceOf(ConnectorError);
    expect((busy as Deferral).waitMs).toBeGreaterThan(0);
    expect((busy as Deferral).waitMs).toBeLessThanOrEqual(1_100);
    // Same moment, another rep's DM: posted, no wait.
    const other = await notifier.postOffer(card(5, { rep: BRUNO }));
    expect(other.channel).toBe(emulator.control.dmChannel('U0BRUNO'));
    // Alice's card comes back at its slot and goes out then.
    clock += (busy as Deferral).waitMs;
    await notifier.postOffer(card(4));
    expect(cardsInAliceDm()).toEqual(['Jane Doe 1', 'Jane Doe 2', 'Jane Doe 3', 'Jane Doe 4']);
    expect(emulator.control.calls('chat.postMessage').filter((c) => c.status === 429)).toHaveLength(0);
  });

  it('paces by when Slack had each post: a burst that reached Slack late does not let the next card run into a 429', async () => {
    const start = clock;
    // Each card of the first burst takes 300 ms between our sending it and Slack having it (a loaded worker).
    for (const n of [1, 2, 3]) await notifier.postOffer(card(n), { beforeSend: async () => void (clock += 300) });
    // By send times a token is back 1.1 s after the burst started; Slack, which had the burst at +0.3 … +0.9 s,
    // has no token then.
    clock = start + 1_150;
    const early = await notifier.postOffer(card(4)).catch((err: unknown) => err);
    expect(early).toBeInstanceOf(Deferral);
    const retries = await drain(
      [4, 5, 6].map((n) => card(n)),
      (c) => notifier.postOffer(c),
    );
    expect(retries.every((ms) => ms > 0)).toBe(true);
    expect(cardsInAliceDm()).toEqual(SIX_CARDS);
    expect(emulator.control.calls('chat.postMessage').filter((c) => c.status === 429)).toHaveLength(0);
  });

  it('reports a 429 storm from Slack as rate_limited with Retry-After, and the retried cards all arrive', async () => {
    const unpaced = createSlackNotifier(
      { botToken: BOT_TOKEN, apiUrl: emulator.apiUrl, reasons: REASONS, postBurst: 1_000 },
      { logger: recordingLogger(), now: () => clock },
    );
    const retries = await drain(
      [1, 2, 3, 4, 5, 6].map((n) => card(n)),
      (c) => unpaced.postOffer(c),
      'rate_limited',
    );
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((ms) => ms >= 1000)).toBe(true);
    expect(cardsInAliceDm()).toEqual(SIX_CARDS);
    expect(emulator.control.calls('chat.postMessage').filter((c) => c.status === 429)).toHaveLength(retries.length);
  });

  it('classifies Slack failures for the outbox', async () => {
    emulator.control.fail({ count: 1, status: 429, retryAfter: 7, method: 'chat.postMessage' });
    expect((await failure(notifier.postMessage('C0EMEA', 'hello'))).failure).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 7000,
    });
    emulator.control.fail({ count: 1, status: 500 });
    expect((await failure(notifier.postMessage('C0EMEA', 'hello'))).failure.kind).toBe('transient');
    expect((await failure(notifier.postMessage('C0NOPE', 'hello'))).failure).toMatchObject({
      kind: 'not_found',
      reason: 'chat.postMessage: channel_not_found',
    });
    expect((await failure(notifier.postMessage('C0QUIET', 'hello'))).failure).toMatchObject({
      kind: 'not_found',
      reason: 'chat.postMessage: not_in_channel',
    });
    const tooLong = await failure(notifier.postMessage('C0EMEA', 'x'.repeat(40_001)));
    expect(tooLong.failure).toMatchObject({ kind: 'invalid', reason: 'chat.postMessage: msg_too_long' });

    const wrongToken = createSlackNotifier(
      { botToken: 'xoxb-revoked', apiUrl: emulator.apiUrl },
      { logger: recordingLogger() },
    );
    expect((await failure(wrongToken.postMessage('C0EMEA', 'hello'))).failure).toMatchObject({
      kind: 'auth',
      reason: 'chat.postMessage: invalid_auth',
    });
    expect((await failure(wrongToken.lookupUserId('alice@example.com'))).failure.kind).toBe('auth');
  });

  it('gives up on a hanging Slack after its timeout, as a transient failure', async () => {
    const held: Array<() => void> = [];
    const hanging: Server = createServer((_req, res) => held.push(() => res.end()));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const slow = createSlackNotifier(
        {
          botToken: BOT_TOKEN,
          apiUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/api/`,
          timeoutMs: 100,
        },
        { logger: recordingLogger() },
      );
      const err = await failure(slow.postMessage('C0EMEA', 'hello'));
      expect(err.failure).toEqual({ kind: 'transient', reason: 'chat.postMessage: request failed: timeout' });
    } finally {
      for (const release of held) release();
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });

  it('closes a card into its final state and threads reminders under it', async () => {
    const c = card(1);
    const ref = await notifier.postOffer(c);
    clock = c.dueAt - 12 * 60_000;
    await notifier.remind(ref, c, clock);
    const reminder = emulator.control.messages(ref.channel).find((m) => m.threadTs === ref.ts);
    expect(reminder?.text).toMatch(/^⏰ Reminder: 12 minutes left to accept or reject Jane Doe 1/);

    await notifier.closeOffer(ref, c, { kind: 'rejected', by: ALICE, at: clock, reason: 'bad_timing', note: null });
    const closed = emulator.control.message(ref.channel, ref.ts);
    expect(closed?.edits).toHaveLength(1);
    expect(JSON.stringify(closed?.blocks)).not.toContain(ACTION.accept);
    const status = closed?.blocks.find((b) => (b as { block_id?: string }).block_id === BLOCK.status);
    expect(JSON.stringify(status)).toContain('Rejected by <@U0ALICE>');
    expect(JSON.stringify(status)).toContain('Bad timing');
  });

  function escalation(handoffId = 'h3'): EscalationPost {
    return {
      handoffId,
      lead: makeLead({ firstName: 'Jane', lastName: 'Doe 3' }),
      hot: true,
      reason: 'no_next_rep',
      history: [
        { rep: ALICE, outcome: 'timed_out' as const, at: clock - 3_600_000 },
        { rep: BRUNO, outcome: 'rejected' as const, at: clock - 1_800_000, reason: 'Bad timing' },
      ],
      team: { id: 'emea', channel: 'C0EMEA' },
      assignable: [ALICE, BRUNO],
    };
  }
  const topLevel = (channel: string) => emulator.control.messages(channel).filter((m) => m.threadTs === null);
  const actionsOf = (m: { blocks: unknown[] } | null) =>
    JSON.stringify(m?.blocks.filter((b) => (b as { type: string }).type === 'actions') ?? []);

  it("keeps a hot lead's story in one team-channel message, updated in place, with the steps in its thread", async () => {
    const noted: string[] = [];
    const hot = card(3, { hot: true });
    const ref = await notifier.postLeadMessage(
      'C0EMEA',
      'team',
      { kind: 'hot', card: hot },
      { beforeSend: async () => void noted.push('noted') },
    );
    expect(noted).toEqual(['noted']);
    const posted = emulator.control.message(ref.channel, ref.ts);
    expect(posted?.text).toBe('🔥 Hot lead Jane Doe 3 (Acme), score 70 offered to Alice Martin');
    expect(posted?.metadata).toEqual({ event_type: 'handoff_lead', event_payload: { handoff_id: 'h3' } });

    clock += 5_000;
    const second = card(3, { hot: true, rep: BRUNO, offerId: 'o3b', seq: 2 });
    await notifier.updateLeadMessage(ref, 'team', { kind: 'hot', card: second });
    await notifier.postLeadStep(ref, { kind: 'reoffered', card: second });
    expect(emulator.control.message(ref.channel, ref.ts)?.text).toMatch(/offered to Bruno Costa \(2nd offer\)$/);

    clock += 5_000;
    await notifier.updateLeadMessage(ref, 'team', { kind: 'escalated', post: escalation() });
    await notifier.postLeadStep(ref, { kind: 'escalated', reason: 'no_next_rep' });
    const team = emulator.control.message(ref.channel, ref.ts);
    expect(actionsOf(team)).toContain(ACTION.claim);
    expect(actionsOf(team)).not.toContain(ACTION.assign);

    clock += 5_000;
    const outcome = { kind: 'claimed' as const, by: BRUNO, to: BRUNO, at: clock };
    await notifier.updateLeadMessage(ref, 'team', { kind: 'closed', post: escalation(), outcome });
    await notifier.postLeadStep(ref, { kind: 'closed', outcome });
    const closed = emulator.control.message(ref.channel, ref.ts);
    expect(closed?.edits).toHaveLength(3);
    expect(JSON.stringify(closed?.blocks)).toContain('Claimed by <@U0BRUNO>');
    expect(actionsOf(closed)).toBe('[]');

    // One top-level message; the steps are replies in its thread, in order.
    expect(topLevel('C0EMEA').map((m) => m.ts)).toEqual([ref.ts]);
    const thread = emulator.control.messages('C0EMEA').filter((m) => m.threadTs === ref.ts);
    expect(thread.map((m) => m.text)).toEqual([
      expect.stringMatching(/^⏭️ Offered to <@U0BRUNO> \(2nd offer\), due /),
      '📣 Escalated: the offer timed out and no other rep is available.',
      expect.stringMatching(/^🙋 Claimed by <@U0BRUNO> on /),
    ]);
    expect(emulator.control.calls('chat.update')).toHaveLength(3);
  });

  it("shows a hot lead's decision in its message, with the reason's label, and tells it in the thread", async () => {
    const hot = card(3, { hot: true });
    const ref = await notifier.postLeadMessage('C0EMEA', 'team', { kind: 'hot', card: hot });
    clock += 5_000;
    const outcome = { kind: 'rejected' as const, by: ALICE, at: clock, reason: 'bad_timing', note: 'Q3' };
    await notifier.updateLeadMessage(ref, 'team', { kind: 'decided', card: hot, outcome });
    await notifier.postLeadStep(ref, { kind: 'decided', card: hot, outcome });
    const m = emulator.control.message(ref.channel, ref.ts);
    const status = m?.blocks.find((b) => (b as { block_id?: string }).block_id === BLOCK.status);
    expect(JSON.stringify(status)).toContain('Rejected by <@U0ALICE>');
    expect(JSON.stringify(status)).toContain('Bad timing');
    expect(m?.text).toMatch(/^Jane Doe 3 \(Acme\): ❌ Rejected by <@U0ALICE> on /);
    const [reply] = emulator.control.messages('C0EMEA').filter((r) => r.threadTs === ref.ts);
    expect(reply?.text).toMatch(/^❌ Rejected by <@U0ALICE> on .* — Bad timing\. Note: “Q3”$/);
  });

  it('gives the managers the Assign-to menu and the history in their message', async () => {
    const ref = await notifier.postLeadMessage('C0MGRS', 'managers', { kind: 'escalated', post: escalation('h7') });
    const managers = JSON.stringify(emulator.control.message(ref.channel, ref.ts)?.blocks);
    expect(managers).toContain(ACTION.assign);
    expect(managers).toContain('h7|bruno');
    expect(managers).toContain('<@U0BRUNO> — rejected (Bad timing)');
    expect(managers).toContain('*Why it is here:* the offer timed out and no other rep is available');
    const outcome = { kind: 'assigned' as const, by: MARIA, to: BRUNO, at: clock };
    await notifier.updateLeadMessage(ref, 'managers', { kind: 'closed', post: escalation('h7'), outcome });
    const closed = emulator.control.message(ref.channel, ref.ts);
    expect(JSON.stringify(closed?.blocks)).toContain('Assigned to <@U0BRUNO> by <@U0MARIA>');
    expect(actionsOf(closed)).toBe('[]');
  });

  it('finds a lead message it posted by the hand-off id it carries, in that channel only', async () => {
    const ref = await notifier.postLeadMessage('C0EMEA', 'team', { kind: 'hot', card: card(3, { hot: true }) });
    clock += 5_000;
    await notifier.postLeadMessage('C0EMEA', 'team', { kind: 'hot', card: card(4, { hot: true }) });
    await notifier.postMessage('C0EMEA', 'an alert, no metadata');
    expect(await notifier.findLeadMessage('C0EMEA', 'h3', clock - 60_000)).toEqual(ref);
    expect(await notifier.findLeadMessage('C0EMEA', 'h5', clock - 60_000)).toBeNull();
    expect(await notifier.findLeadMessage('C0MGRS', 'h3', clock - 60_000)).toBeNull();
    expect(await notifier.findLeadMessage('C0EMEA', 'h3', clock + 10 * 60_000)).toBeNull();
    // A card's offer id is not a hand-off id: the two kinds of tags never match each other.
    await notifier.postOffer(card(5));
    expect(
      await notifier.findLeadMessage(emulator.control.dmChannel('U0ALICE') as string, 'h5', clock - 60_000),
    ).toBeNull();
  });

  it('cannot look in a private channel without groups:history, and says so instead of failing', async () => {
    await emulator.close();
    emulator = await startSlackEmulator({
      signingSecret: SECRET,
      botToken: BOT_TOKEN,
      now: () => clock,
      scopes: ['channels:history', 'chat:write', 'im:history'],
    });
    emulator.control.addChannel({ id: 'G0SECRET', name: 'team-secret', members: [], isPrivate: true });
    const logger = recordingLogger();
    const old = createSlackNotifier({ botToken: BOT_TOKEN, apiUrl: emulator.apiUrl }, { logger, now: () => clock });
    await old.postLeadMessage('G0SECRET', 'team', { kind: 'hot', card: card(3, { hot: true }) });
    expect(await old.findLeadMessage('G0SECRET', 'h3', clock)).toBeNull();
    expect(emulator.control.calls('conversations.history')).toMatchObject([{ ok: false, error: 'missing_scope' }]);
    expect(logger.records.some((r) => r.msg === 'cannot look for an interrupted post')).toBe(true);
  });

  it('posts alerts and digests, and plain messages, and looks users up by email', async () => {
    const digest = emulator.control.message('C0MGRS', (await notifier.postDoc('C0MGRS', makeDoc())).ts);
    expect(digest?.text).toMatch(/^📊 Lead hand-off, 2026-11-03 — /);
    expect(digest?.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '📊 Lead hand-off, 2026-11-03', emoji: true },
    });
    expect(JSON.stringify(digest?.blocks)).toContain('50.0% (1 of 2)');
    const plain = await notifier.postMessage('C0EMEA', ':warning: HubSpot daily limit reached');
    expect(emulator.control.message(plain.channel, plain.ts)?.text).toBe(':warning: HubSpot daily limit reached');
    expect(await notifier.lookupUserId('bruno@example.com')).toBe('U0BRUNO');
    expect(await notifier.lookupUserId('nobody@example.com')).toBeNull();
  });
});
