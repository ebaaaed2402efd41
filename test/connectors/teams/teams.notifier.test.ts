import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/ports/failure.js';
import type { Person } from '../../../src/ports/rep-notifier.js';
import type { AdaptiveCard } from '../../../connectors/teams/teams.cards.js';
import { createTeamsNotifier } from '../../../connectors/teams/teams.notifier.js';
import type {
  TeamsConnectorClient,
  TeamsConversationRef,
  TeamsDirectory,
  TeamsMessage,
} from '../../../connectors/teams/teams.types.js';
import { makeDoc } from '../../helpers/builders.js';
import { ALICE, BRUNO, DUE, REASONS, actions, escalation, offerCard, texts } from './cards-fixtures.js';

const CHANNEL_URL = 'https://smba.example/teams/';
const EMEA_URL = 'https://smba.example/emea/';
const EMEA = '19:emea@thread.tacv2';

type Call =
  | { op: 'send'; serviceUrl: string; conversationId: string; message: TeamsMessage }
  | { op: 'update'; serviceUrl: string; conversationId: string; activityId: string; message: TeamsMessage }
  | { op: 'startThread'; serviceUrl: string; channelId: string; tenantId: string | null; message: TeamsMessage };

/** The Bot Connector as the notifier sees it: records calls, numbers activities, answers like Teams. */
function fakeClient(options: { bareThreadIds?: boolean; fail?: Error } = {}) {
  const calls: Call[] = [];
  let n = 0;
  const client: TeamsConnectorClient = {
    async send(serviceUrl, conversationId, message) {
      if (options.fail) throw options.fail;
      calls.push({ op: 'send', serviceUrl, conversationId, message });
      n += 1;
      return { activityId: `act-${n}` };
    },
    async update(serviceUrl, conversationId, activityId, message) {
      if (options.fail) throw options.fail;
      calls.push({ op: 'update', serviceUrl, conversationId, activityId, message });
    },
    async startThread(serviceUrl, channelId, tenantId, message) {
      if (options.fail) throw options.fail;
      calls.push({ op: 'startThread', serviceUrl, channelId, tenantId, message });
      n += 1;
      const activityId = `act-${n}`;
      // Teams answers the thread's conversation id; some hosts answer the channel id alone.
      return { conversationId: options.bareThreadIds ? channelId : `${channelId};messageid=${activityId}`, activityId };
    },
    async member() {
      return null;
    },
  };
  return { client, calls };
}

/** Who has the app installed: Alice only, on the EMEA service URL. */
function fakeDirectory(installed: Record<string, TeamsConversationRef> = {}) {
  const refs = new Map(Object.entries(installed));
  const directory: TeamsDirectory = {
    async conversationOf(person: Person) {
      return refs.get(person.id) ?? null;
    },
    async installed() {
      return null;
    },
    async uninstalled(aadObjectId) {
      for (const [id, ref] of refs) if (ref.aadObjectId === aadObjectId) refs.delete(id);
    },
  };
  return directory;
}

const ALICE_CHAT: TeamsConversationRef = {
  serviceUrl: EMEA_URL,
  conversationId: 'a:alice-chat',
  tenantId: 'tenant-1',
  userId: '29:alice',
  aadObjectId: 'aad-alice',
};

function setup(options: { bareThreadIds?: boolean; fail?: Error } = {}) {
  const { client, calls } = fakeClient(options);
  const directory = fakeDirectory({ alice: ALICE_CHAT });
  const notifier = createTeamsNotifier({
    client,
    directory,
    serviceUrl: CHANNEL_URL,
    tenantId: 'tenant-1',
    timezone: 'UTC',
    reasons: REASONS,
  });
  return { notifier, calls, directory };
}

function cardOf(message: TeamsMessage): AdaptiveCard {
  const content = message.attachments?.[0]?.content;
  if (content === undefined) throw new Error('no card in the message');
  return content as unknown as AdaptiveCard;
}

describe('teams notifier: offer cards in the 1:1 chat', () => {
  it("posts the card to the rep's chat on the service URL saved at install, after beforeSend", async () => {
    const { notifier, calls } = setup();
    const seen: Array<{ channel: string; sentBefore: number }> = [];
    const ref = await notifier.postOffer(offerCard(), {
      beforeSend: async (channel) => {
        seen.push({ channel, sentBefore: calls.length });
      },
    });
    expect(ref).toEqual({ channel: 'teams:a:alice-chat', ts: 'act-1' });
    expect(seen).toEqual([{ channel: 'teams:a:alice-chat', sentBefore: 0 }]);
    expect(calls).toHaveLength(1);
    const call = calls[0];
    if (call?.op !== 'send') throw new Error('expected a send');
    expect(call.serviceUrl).toBe(EMEA_URL);
    expect(call.conversationId).toBe('a:alice-chat');
    expect(call.message.channelData).toEqual({ handoffId: 'h1', offerId: 'offer-123', notification: { alert: true } });
    const card = cardOf(call.message);
    expect(card.refresh?.userIds).toEqual(['29:alice']);
    expect(actions(card).map((a) => a.title)).toEqual(['Accept', 'Reject…', 'Open in CRM']);
  });

  it('refuses a rep without the app installed: not_found, nothing sent, beforeSend not called', async () => {
    const { notifier, calls } = setup();
    let called = false;
    const error = await notifier
      .postOffer(offerCard({ rep: BRUNO }), {
        beforeSend: async () => {
          called = true;
        },
      })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).vendor).toBe('teams');
    expect((error as ConnectorError).failure).toEqual({
      kind: 'not_found',
      reason: 'the Teams app is not installed for Bruno Costa (bruno)',
    });
    expect(calls).toEqual([]);
    expect(called).toBe(false);
  });

  it('answers a retry of the same offer with the card it already posted', async () => {
    const { notifier, calls } = setup();
    const first = await notifier.postOffer(offerCard());
    const again = await notifier.postOffer(offerCard());
    expect(again).toEqual(first);
    expect(calls).toHaveLength(1);
  });

  it('closes and reminds through the ref it returned (post → update → new message)', async () => {
    const { notifier, calls } = setup();
    const card = offerCard();
    const ref = await notifier.postOffer(card);
    await notifier.remind(ref, card, DUE - 10 * 60_000);
    await notifier.closeOffer(ref, card, { kind: 'accepted', by: ALICE, at: DUE - 5 * 60_000 });
    const [, remind, close] = calls;
    expect(remind).toMatchObject({ op: 'send', serviceUrl: EMEA_URL, conversationId: 'a:alice-chat' });
    expect(remind?.message).toEqual({
      type: 'message',
      textFormat: 'plain',
      text: '⏰ Reminder: 10 minutes left to accept or reject Jane Doe (Acme <GmbH>) (until Wed 25 Nov, 14:30 CET).',
    });
    expect(close).toMatchObject({
      op: 'update',
      serviceUrl: EMEA_URL,
      conversationId: 'a:alice-chat',
      activityId: 'act-1',
    });
    const closed = cardOf(close?.message as TeamsMessage);
    expect(texts(closed).at(-1)).toBe('✅ Accepted by Alice Martin on Wed 25 Nov, 14:25 CET.');
    expect(actions(closed).map((a) => a.type)).toEqual(['Action.OpenUrl']);
    expect(closed.refresh).toBeUndefined();
  });

  it('closes a card on the configured service URL once the app was removed for the rep', async () => {
    const { notifier, calls, directory } = setup();
    const card = offerCard();
    const ref = await notifier.postOffer(card);
    await directory.uninstalled('aad-alice');
    await notifier.closeOffer(ref, card, { kind: 'escalated', at: DUE });
    expect(calls[1]).toMatchObject({ op: 'update', serviceUrl: CHANNEL_URL, conversationId: 'a:alice-chat' });
  });

  it('cannot look for lost posts or Slack ids', async () => {
    const { notifier, calls } = setup();
    expect(await notifier.findOffer(offerCard(), 0)).toBeNull();
    expect(await notifier.findLeadMessage(`teams:${EMEA}`, 'h1', 0)).toBeNull();
    expect(await notifier.lookupUserId('alice@example.com')).toBeNull();
    expect(calls).toEqual([]);
  });

  it("passes the client's classified failures on to the outbox", async () => {
    const limited = new ConnectorError('teams', { kind: 'rate_limited', reason: '429', retryAfterMs: 2_000 });
    const { notifier } = setup({ fail: limited });
    await expect(notifier.postOffer(offerCard())).rejects.toBe(limited);
  });
});

describe("teams notifier: a lead's channel post and its thread", () => {
  it('starts a thread in the channel and keeps it: update the post, reply in the thread', async () => {
    const { notifier, calls } = setup();
    let before = 0;
    const ref = await notifier.postLeadMessage(
      `teams:${EMEA}`,
      'team',
      { kind: 'escalated', post: escalation() },
      {
        beforeSend: async () => {
          before = calls.length + 1;
        },
      },
    );
    expect(before).toBe(1);
    expect(ref).toEqual({ channel: `teams:${EMEA};messageid=act-1`, ts: 'act-1' });
    expect(calls[0]).toMatchObject({
      op: 'startThread',
      serviceUrl: CHANNEL_URL,
      channelId: EMEA,
      tenantId: 'tenant-1',
    });
    expect(calls[0]?.message.channelData).toEqual({ handoffId: 'h9' });
    expect(actions(cardOf(calls[0]!.message)).map((a) => a.title)).toEqual(['Claim', 'Open in CRM']);

    await notifier.updateLeadMessage(ref, 'team', {
      kind: 'closed',
      post: escalation(),
      outcome: { kind: 'claimed', by: BRUNO, to: null, at: DUE },
    });
    expect(calls[1]).toMatchObject({
      op: 'update',
      serviceUrl: CHANNEL_URL,
      conversationId: `${EMEA};messageid=act-1`,
      activityId: 'act-1',
    });
    expect(texts(cardOf(calls[1]!.message)).at(-1)).toBe('🙋 Claimed by Bruno Costa on Wed 25 Nov, 13:30 UTC.');

    const step = await notifier.postLeadStep(ref, { kind: 'escalated', reason: null });
    expect(calls[2]).toMatchObject({
      op: 'send',
      serviceUrl: CHANNEL_URL,
      conversationId: `${EMEA};messageid=act-1`,
      message: { type: 'message', text: '📣 Escalated: it needs an owner.', textFormat: 'plain' },
    });
    expect(step).toEqual({ channel: `teams:${EMEA};messageid=act-1`, ts: 'act-2' });
    // A step's ref stays in the same thread.
    await notifier.postLeadStep(step, { kind: 'escalated', reason: 'unroutable' });
    expect(calls[3]).toMatchObject({ op: 'send', conversationId: `${EMEA};messageid=act-1` });
  });

  it('builds the thread id itself when the host answers the channel id alone', async () => {
    const { notifier, calls } = setup({ bareThreadIds: true });
    const ref = await notifier.postLeadMessage(`teams:${EMEA}`, 'managers', {
      kind: 'hot',
      card: offerCard({ hot: true }),
    });
    expect(ref).toEqual({ channel: `teams:${EMEA};messageid=act-1`, ts: 'act-1' });
    await notifier.postLeadStep(ref, { kind: 'reoffered', card: offerCard({ rep: BRUNO, seq: 2 }) });
    expect(calls[1]).toMatchObject({ op: 'send', conversationId: `${EMEA};messageid=act-1` });
    await notifier.updateLeadMessage({ channel: `teams:${EMEA}`, ts: 'act-1' }, 'managers', {
      kind: 'escalated',
      post: escalation(),
    });
    expect(calls[2]).toMatchObject({ op: 'update', conversationId: `${EMEA};messageid=act-1`, activityId: 'act-1' });
    const assign = cardOf(calls[2]!.message);
    expect(actions(assign).map((a) => a.title)).toEqual(['Assign', 'Open in CRM']);
  });
});

describe('teams notifier: alerts, digests and text', () => {
  it('posts a doc as a card in a new channel post', async () => {
    const { notifier, calls } = setup();
    const ref = await notifier.postDoc(`teams:${EMEA}`, makeDoc());
    expect(ref).toEqual({ channel: `teams:${EMEA};messageid=act-1`, ts: 'act-1' });
    expect(calls[0]).toMatchObject({ op: 'startThread', channelId: EMEA, serviceUrl: CHANNEL_URL });
    expect(texts(cardOf(calls[0]!.message))[0]).toBe('📊 Lead hand-off, 2026-11-03');
  });

  it('posts text in a channel, in a thread, or in a 1:1 chat by the address', async () => {
    const { notifier, calls } = setup();
    await notifier.postMessage(`teams:${EMEA}`, 'Connector down', [{ type: 'section' }]);
    await notifier.postMessage(`teams:${EMEA};messageid=act-1`, 'Still down');
    await notifier.postMessage('teams:a:alice-chat', 'Hello');
    expect(calls.map((c) => [c.op, c.op === 'startThread' ? c.channelId : c.conversationId])).toEqual([
      ['startThread', EMEA],
      ['send', `${EMEA};messageid=act-1`],
      ['send', 'a:alice-chat'],
    ]);
    expect(calls[0]?.message).toEqual({ type: 'message', text: 'Connector down', textFormat: 'plain' });
  });
});
