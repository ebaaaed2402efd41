// The Bot Connector client against the Teams emulator: what it sends and reads, its token cache, its pacing
// under Teams' per-conversation limits, and how every failure reaches the outbox (ConnectorError kinds).
// One clock drives both sides, so the rate windows do not depend on the machine's speed.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTeamsClient, type TeamsClient } from '../../../connectors/teams/teams.client.js';
import { startTeamsEmulator, type TeamsEmulator } from '../../../connectors/teams/emulator/index.js';
import { ConnectorError, Deferral } from '../../../src/ports/failure.js';
import { recordingLogger } from '../../helpers/recording-logger.js';
import { APP_ID, APP_PASSWORD } from './harness.js';

let clock: number;
let emulator: TeamsEmulator;
let conversationId: string;
let userId: string;

const card = (text: string) => ({
  type: 'message' as const,
  text,
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive' as const,
      content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text }] },
    },
  ],
  channelData: { handoffId: 'h1' },
});

function client(overrides: Partial<Parameters<typeof createTeamsClient>[0]> = {}): TeamsClient {
  return createTeamsClient(
    { appId: APP_ID, appPassword: APP_PASSWORD, tokenUrl: emulator.tokenUrl, ...overrides },
    { logger: recordingLogger(), now: () => clock },
  );
}

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectorError);
  return err as ConnectorError;
}

beforeEach(async () => {
  clock = Date.UTC(2026, 11, 7, 9, 0);
  emulator = await startTeamsEmulator({ appId: APP_ID, appPassword: APP_PASSWORD, now: () => clock });
  const user = emulator.control.addUser({ name: 'Alice Martin', email: 'alice@example.com' });
  userId = user.id;
  // Installing creates the 1:1 conversation even with no worker listening (the delivery itself fails).
  emulator.control.setRequestUrl('http://127.0.0.1:9/teams/messages');
  conversationId = await emulator.control.installApp({ user: user.aadObjectId }).then(
    (r) => r.conversationId,
    () => emulator.control.conversationOf(user.aadObjectId) as string,
  );
});

afterEach(async () => {
  await emulator.close();
});

describe('calls', () => {
  it('sends a card to a 1:1 chat and rewrites it', async () => {
    const c = client();
    const { activityId } = await c.send(emulator.serviceUrl, conversationId, card('offer'));
    const posted = emulator.control.message(conversationId, activityId);
    expect(posted?.attachments[0]?.content).toMatchObject({ type: 'AdaptiveCard', body: [{ text: 'offer' }] });
    expect(posted?.channelData).toEqual({ handoffId: 'h1' });
    await c.update(emulator.serviceUrl, conversationId, activityId, card('accepted'));
    const edited = emulator.control.message(conversationId, activityId);
    expect(edited?.edits).toBe(1);
    expect(edited?.attachments[0]?.content).toMatchObject({ body: [{ text: 'accepted' }] });
  });

  it('starts a thread in a channel and replies in it', async () => {
    const channel = emulator.control.addChannel({ name: 'EMEA escalations' });
    const c = client();
    const thread = await c.startThread(emulator.serviceUrl, channel.id, emulator.tenantId, card('escalated'));
    expect(thread.conversationId).toBe(`${channel.id};messageid=${thread.activityId}`);
    const reply = await c.send(emulator.serviceUrl, thread.conversationId, { type: 'message', text: 'claimed' });
    const messages = emulator.control.messages(channel.id);
    expect(messages.map((m) => [m.activityId, m.replyToId])).toEqual([
      [thread.activityId, null],
      [reply.activityId, thread.activityId],
    ]);
    await c.update(emulator.serviceUrl, thread.conversationId, thread.activityId, card('claimed by Alice'));
    expect(emulator.control.message(thread.conversationId, thread.activityId)?.edits).toBe(1);
  });

  it('reads a member’s email and AAD object id; an unknown member is null', async () => {
    const c = client();
    const aad = emulator.control.users()[0]?.aadObjectId;
    expect(await c.member(emulator.serviceUrl, conversationId, userId)).toEqual({
      aadObjectId: aad,
      email: 'alice@example.com',
      name: 'Alice Martin',
    });
    expect(await c.member(emulator.serviceUrl, conversationId, '29:nobody')).toBeNull();
  });
});

describe('token', () => {
  it('is requested once and reused until shortly before it expires', async () => {
    const c = client();
    for (let i = 0; i < 3; i++) await c.send(emulator.serviceUrl, conversationId, { type: 'message', text: `m${i}` });
    expect(emulator.control.tokensIssued()).toBe(1);
    clock += 3600_000 - 6 * 60_000; // 6 minutes of life left: still used
    await c.send(emulator.serviceUrl, conversationId, { type: 'message', text: 'later' });
    expect(emulator.control.tokensIssued()).toBe(1);
    clock += 2 * 60_000; // 4 minutes left: renewed
    await c.send(emulator.serviceUrl, conversationId, { type: 'message', text: 'renewed' });
    expect(emulator.control.tokensIssued()).toBe(2);
  });

  it('is fetched once for concurrent calls', async () => {
    const c = client();
    await Promise.all(
      [1, 2, 3].map((i) => c.send(emulator.serviceUrl, conversationId, { type: 'message', text: `m${i}` })),
    );
    expect(emulator.control.tokensIssued()).toBe(1);
  });

  it('is renewed once when the connector refuses a cached one (401), and the call goes through', async () => {
    const c = client();
    await c.send(emulator.serviceUrl, conversationId, { type: 'message', text: 'first' });
    emulator.control.expireTokens();
    await c.send(emulator.serviceUrl, conversationId, { type: 'message', text: 'second' });
    expect(emulator.control.tokensIssued()).toBe(2);
    expect(emulator.control.messages(conversationId).map((m) => m.text)).toEqual(['first', 'second']);
  });

  it('a wrong client secret is an auth failure', async () => {
    const err = await failure(client({ appPassword: 'wrong' }).send(emulator.serviceUrl, conversationId, card('x')));
    expect(err.failure.kind).toBe('auth');
    expect(err.failure.reason).toContain('invalid_client');
  });

  it('a token endpoint outage is transient', async () => {
    emulator.control.fail({ op: 'token', status: 503 });
    expect((await failure(client().send(emulator.serviceUrl, conversationId, card('x')))).failure.kind).toBe(
      'transient',
    );
  });
});

describe('rate limits', () => {
  it('Teams answers 429 with Retry-After past 7 messages in a second: rate_limited with retryAfterMs', async () => {
    const c = client({ paceWindows: [] });
    for (let i = 0; i < 7; i++) await c.send(emulator.serviceUrl, conversationId, { type: 'message', text: `m${i}` });
    const err = await failure(c.send(emulator.serviceUrl, conversationId, { type: 'message', text: 'one too many' }));
    expect(err.failure).toMatchObject({ kind: 'rate_limited', retryAfterMs: 1000 });
    expect(emulator.control.calls('send').filter((x) => x.status === 429)).toHaveLength(1);
  });

  it('our pacing defers the 8th message in a second instead of getting a 429, and lets it go after the wait', async () => {
    const c = client();
    for (let i = 0; i < 7; i++) await c.send(emulator.serviceUrl, conversationId, { type: 'message', text: `m${i}` });
    const deferred = await c.send(emulator.serviceUrl, conversationId, { type: 'message', text: 'm7' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(deferred).toBeInstanceOf(Deferral);
    const wait = (deferred as Deferral).waitMs;
    expect(wait).toBeGreaterThan(1000);
    // Other conversations are not held up.
    const channel = emulator.control.addChannel({ name: 'managers' });
    await c.startThread(emulator.serviceUrl, channel.id, null, { type: 'message', text: 'elsewhere' });
    clock += wait;
    await c.send(emulator.serviceUrl, conversationId, { type: 'message', text: 'm7' });
    expect(emulator.control.calls().filter((x) => x.status === 429)).toEqual([]);
  });

  it('keeps under the 60-per-30-seconds window too', async () => {
    const c = client();
    let sent = 0;
    let deferrals = 0;
    const started = clock;
    while (sent < 70) {
      try {
        await c.send(emulator.serviceUrl, conversationId, { type: 'message', text: `m${sent}` });
        sent += 1;
      } catch (err) {
        expect(err).toBeInstanceOf(Deferral);
        deferrals += 1;
        clock += (err as Deferral).waitMs;
      }
    }
    expect(emulator.control.calls().filter((x) => x.status === 429)).toEqual([]);
    expect(deferrals).toBeGreaterThan(0);
    expect(clock - started).toBeGreaterThan(30_000);
  });

  it('keeps all calls under 50 per second for the app, across conversations', async () => {
    const channels = Array.from({ length: 10 }, (_, i) => emulator.control.addChannel({ name: `team ${i}` }).id);
    const post = (c: TeamsClient, i: number) =>
      c.startThread(emulator.serviceUrl, channels[i % 10] as string, null, { type: 'message', text: `p${i}` });
    const unpaced = client({ paceWindows: [], appPaceWindows: [] });
    for (let i = 0; i < 50; i++) await post(unpaced, i);
    const refused = await failure(post(unpaced, 50));
    expect(refused.failure).toMatchObject({ kind: 'rate_limited', retryAfterMs: 1000 });
    expect(refused.failure.reason).toContain('TooManyRequests');

    clock += 60_000;
    const paced = client();
    for (let i = 0; i < 50; i++) await post(paced, i);
    const deferred = await post(paced, 50).catch((e: unknown) => e);
    expect(deferred).toBeInstanceOf(Deferral);
    expect(emulator.control.calls('create').filter((x) => x.status === 429)).toHaveLength(1);
  });

  it('after a 429, further calls to that conversation wait out Retry-After without calling Teams', async () => {
    emulator.control.fail({ op: 'send', status: 429, retryAfter: 7 });
    const c = client();
    const err = await failure(c.send(emulator.serviceUrl, conversationId, card('x')));
    expect(err.failure).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7000 });
    const calls = emulator.control.calls('send').length;
    const next = await c.send(emulator.serviceUrl, conversationId, card('y')).catch((e: unknown) => e);
    expect(next).toBeInstanceOf(Deferral);
    expect((next as Deferral).waitMs).toBe(7000);
    expect(emulator.control.calls('send')).toHaveLength(calls);
  });
});

describe('failures', () => {
  it.each([
    [500, 'transient'],
    [502, 'transient'],
    [412, 'transient'],
    [403, 'auth'],
    [400, 'invalid'],
  ] as const)('http %i is %s', async (status, kind) => {
    emulator.control.fail({ op: 'send', status });
    expect((await failure(client().send(emulator.serviceUrl, conversationId, card('x')))).failure.kind).toBe(kind);
  });

  it('an unknown conversation is not_found', async () => {
    const err = await failure(client().send(emulator.serviceUrl, 'a:no-such-chat', card('x')));
    expect(err.failure.kind).toBe('not_found');
  });

  it('a user who removed the app is not_found (403 BotNotInConversationRoster)', async () => {
    const aad = emulator.control.users()[0]?.aadObjectId as string;
    await emulator.control.uninstallApp({ user: aad }).catch(() => undefined);
    const err = await failure(client().send(emulator.serviceUrl, conversationId, card('x')));
    expect(err.failure).toMatchObject({ kind: 'not_found' });
    expect(err.failure.reason).toContain('BotNotInConversationRoster');
  });

  it('a card Teams cannot take is invalid (malformed, or over 28 KB)', async () => {
    const c = client();
    const bad = await failure(
      c.send(emulator.serviceUrl, conversationId, {
        type: 'message',
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'Hero' } }],
      }),
    );
    expect(bad.failure.kind).toBe('invalid');
    const big = await failure(c.send(emulator.serviceUrl, conversationId, card('x'.repeat(30_000))));
    expect(big.failure).toMatchObject({ kind: 'invalid' });
    expect(big.failure.reason).toContain('413');
  });

  it('a connector that does not answer is transient (timeout)', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const c = client({ timeoutMs: 300 });
    await c.send(emulator.serviceUrl, conversationId, card('token first')); // the token comes from the emulator
    try {
      const port = (silent.address() as AddressInfo).port;
      const err = await failure(c.send(`http://127.0.0.1:${port}/teams/`, conversationId, card('x')));
      expect(err.failure).toMatchObject({ kind: 'transient', reason: 'send: timeout' });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
