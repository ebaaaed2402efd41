// The emulator behaves like Slack toward the real WebClient: shapes, errors, limits, triggers, Socket Mode tickets.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startSlackEmulator,
  signSlackRequest,
  type HttpTransportRequest,
  type SlackEmulator,
} from '../../../connectors/slack/emulator/index.js';
import { APP_TOKEN, BOT_TOKEN, SECRET } from './harness.js';

let clock = 1_764_000_000_000;
let emulator: SlackEmulator;
let client: webApi.WebClient;

function errorOf(err: unknown): string {
  if (err instanceof webApi.WebAPIPlatformError) return err.data.error;
  if (err instanceof webApi.WebAPIRateLimitedError) return `ratelimited:${err.retryAfter}`;
  if (err instanceof webApi.WebAPIHTTPError) return `http:${err.statusCode}`;
  throw err;
}

async function slackError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return errorOf(err);
  }
  throw new Error('expected a Slack error');
}

beforeEach(async () => {
  clock = 1_764_000_000_000;
  emulator = await startSlackEmulator({
    signingSecret: SECRET,
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    now: () => clock,
  });
  emulator.control.addUser({ id: 'U1', name: 'ana', email: 'Ana@Example.com', tz: 'America/New_York' });
  emulator.control.addUser({ id: 'U2', name: 'ben', email: 'ben@example.com' });
  emulator.control.addChannel({ id: 'C1', name: 'general', members: ['U1'] });
  client = new webApi.WebClient(BOT_TOKEN, {
    slackApiUrl: emulator.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
});
afterEach(async () => {
  await emulator.close();
});

describe('Slack emulator Web API', () => {
  it('reads channel history newest first, top-level only, with metadata on request and the scope per kind', async () => {
    const meta = { event_type: 'handoff_lead', event_payload: { handoff_id: 'h1' } };
    const top = await client.chat.postMessage({ channel: 'C1', text: 'lead', metadata: meta });
    clock += 1_000;
    await client.chat.postMessage({ channel: 'C1', text: 'step', thread_ts: top.ts as string });
    await client.chat.update({ channel: 'C1', ts: top.ts as string, text: 'lead, updated' });
    clock += 1_000;
    await client.chat.postMessage({ channel: 'C1', text: 'alert' });
    const plain = await client.conversations.history({ channel: 'C1' });
    expect(plain.messages?.map((m) => [m.text, m.metadata])).toEqual([
      ['alert', undefined],
      ['lead, updated', undefined],
    ]);
    const withMeta = await client.conversations.history({ channel: 'C1', include_all_metadata: true });
    expect(withMeta.messages?.[1]?.metadata).toEqual(meta);

    emulator.control.addChannel({ id: 'G1', name: 'secret', members: ['U1'], isPrivate: true });
    await client.chat.postMessage({ channel: 'G1', text: 'private' });
    expect((await client.conversations.history({ channel: 'G1' })).messages).toHaveLength(1);
    await emulator.close();
    emulator = await startSlackEmulator({ signingSecret: SECRET, botToken: BOT_TOKEN, scopes: ['channels:history'] });
    emulator.control.addChannel({ id: 'C1', name: 'general', members: [] });
    emulator.control.addChannel({ id: 'G1', name: 'secret', members: [], isPrivate: true });
    client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
    expect((await client.conversations.history({ channel: 'C1' })).ok).toBe(true);
    expect(await slackError(client.conversations.history({ channel: 'G1' }))).toBe('missing_scope');
  });

  it('authenticates the bot token and refuses others like Slack', async () => {
    const me = await client.auth.test();
    expect(me).toMatchObject({ ok: true, user_id: 'U0HANDOFFBOT', bot_id: 'B0HANDOFF', team_id: 'T0HANDOFF' });
    const wrong = new webApi.WebClient('xoxb-wrong', { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
    expect(await slackError(wrong.auth.test())).toBe('invalid_auth');
    expect(await slackError(client.apps.connections.open({}))).toBe('not_allowed_token_type');
    const app = new webApi.WebClient(APP_TOKEN, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
    expect((await app.apps.connections.open({})).url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
  });

  it('opens one DM per user and finds users by id and email', async () => {
    const a = await client.conversations.open({ users: 'U1' });
    const b = await client.conversations.open({ users: 'U1' });
    expect(a.channel?.id).toMatch(/^D/);
    expect(b).toMatchObject({ channel: { id: a.channel?.id }, already_open: true });
    expect(await slackError(client.conversations.open({ users: 'U404' }))).toBe('user_not_found');
    const found = await client.users.lookupByEmail({ email: 'ana@example.com' });
    expect(found.user).toMatchObject({ id: 'U1', tz: 'America/New_York', profile: { email: 'Ana@Example.com' } });
    expect(found.user?.tz_offset).toBe(-5 * 3600);
    expect(await slackError(client.users.lookupByEmail({ email: 'nobody@example.com' }))).toBe('users_not_found');
    expect((await client.users.info({ user: 'U2' })).user?.name).toBe('ben');
    expect(await slackError(client.users.info({ user: 'U404' }))).toBe('user_not_found');
  });

  it('records messages, threads and edits, with Slack errors for bad targets and blocks', async () => {
    const posted = await client.chat.postMessage({
      channel: 'C1',
      text: 'hello',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }],
    });
    const reply = await client.chat.postMessage({ channel: 'C1', text: 'in thread', thread_ts: posted.ts as string });
    await client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'edited', blocks: [] });
    const [first, second] = emulator.control.messages('C1');
    expect(first).toMatchObject({ text: 'edited', threadTs: null, edits: [{ text: 'hello' }] });
    expect(second).toMatchObject({ ts: reply.ts, threadTs: posted.ts });

    expect(await slackError(client.chat.postMessage({ channel: 'C404', text: 'x' }))).toBe('channel_not_found');
    emulator.control.addChannel({ id: 'C2', name: 'private', members: ['U1'], botIsMember: false });
    expect(await slackError(client.chat.postMessage({ channel: 'C2', text: 'x' }))).toBe('not_in_channel');
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: '' }))).toBe('no_text');
    const tooLongButton = [
      {
        type: 'actions',
        elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'b'.repeat(76) } }],
      },
    ];
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: 'x', blocks: tooLongButton }))).toBe(
      'invalid_blocks',
    );
    expect(await slackError(client.chat.update({ channel: 'C1', ts: '1.000001', text: 'x' }))).toBe(
      'message_not_found',
    );
    expect(await slackError(client.chat.postEphemeral({ channel: 'C1', user: 'U2', text: 'x' }))).toBe(
      'user_not_in_channel',
    );
    await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'only you' });
    expect(emulator.control.ephemerals({ user: 'U1' })).toMatchObject([
      { channel: 'C1', text: 'only you', via: 'chat.postEphemeral' },
    ]);
  });

  it('limits chat.postMessage to about one per second per channel, with bursts, then 429 + Retry-After', async () => {
    for (let i = 0; i < 3; i += 1) await client.chat.postMessage({ channel: 'C1', text: `burst ${i}` });
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: 'one too many' }))).toBe('ratelimited:1');
    const dm = await client.conversations.open({ users: 'U1' });
    await client.chat.postMessage({ channel: dm.channel?.id as string, text: 'other channel is fine' });
    clock += 1000;
    await client.chat.postMessage({ channel: 'C1', text: 'after a second' });
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: 'again too fast' }))).toBe('ratelimited:1');
    expect(emulator.control.messages('C1')).toHaveLength(4);
  });

  it('fails the next calls on demand (500 and 429)', async () => {
    emulator.control.fail({ count: 2, status: 500 });
    expect(await slackError(client.auth.test())).toBe('http:500');
    expect(await slackError(client.auth.test())).toBe('http:500');
    emulator.control.fail({ count: 1, status: 429, retryAfter: 9, method: 'users.info' });
    expect((await client.auth.test()).ok).toBe(true);
    expect(await slackError(client.users.info({ user: 'U1' }))).toBe('ratelimited:9');
    expect((await client.users.info({ user: 'U1' })).ok).toBe(true);
  });

  it('accepts a trigger id once and only within 3 seconds, and delivers signed clicks', async () => {
    const received: Array<{ headers: Record<string, unknown>; body: string }> = [];
    const fakeApp = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => fakeApp.listen(0, '127.0.0.1', resolve));
    try {
      emulator.control.setRequestUrl(`http://127.0.0.1:${(fakeApp.address() as AddressInfo).port}/slack/events`);
      const ref = await client.chat.postMessage({
        channel: 'C1',
        text: 'card',
        blocks: [
          {
            type: 'actions',
            block_id: 'b',
            elements: [{ type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Go' }, value: 'v1' }],
          },
        ],
      });
      const click = () =>
        emulator.control.clickButton({ user: 'U1', channel: 'C1', ts: ref.ts as string, actionId: 'go' });
      const first = await click();
      expect(first.status).toBe(200);
      const sent = received[0] as { headers: Record<string, unknown>; body: string };
      expect(sent.headers['x-slack-signature']).toBe(
        signSlackRequest(SECRET, Number(sent.headers['x-slack-request-timestamp']), sent.body),
      );
      const payload = JSON.parse(new URLSearchParams(sent.body).get('payload') as string) as Record<string, unknown>;
      expect(payload).toMatchObject({
        type: 'block_actions',
        user: { id: 'U1' },
        container: { type: 'message', channel_id: 'C1', message_ts: ref.ts },
        actions: [{ type: 'button', action_id: 'go', block_id: 'b', value: 'v1' }],
        trigger_id: first.triggerId,
      });

      const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Reject lead' }, blocks: [] };
      const opened = await client.views.open({ trigger_id: first.triggerId as string, view });
      expect(opened.view?.id).toMatch(/^V/);
      expect(emulator.control.views('U1')).toHaveLength(1);
      expect(await slackError(client.views.open({ trigger_id: first.triggerId as string, view }))).toBe(
        'exchanged_trigger_id',
      );
      const late = await click();
      clock += 3001;
      expect(await slackError(client.views.open({ trigger_id: late.triggerId as string, view }))).toBe(
        'expired_trigger_id',
      );
      expect(await slackError(client.views.open({ trigger_id: 'made-up', view }))).toBe('invalid_trigger_id');
      const tooLongTitle = { ...view, title: { type: 'plain_text' as const, text: 'A title longer than 24 chars' } };
      const third = await click();
      expect(await slackError(client.views.open({ trigger_id: third.triggerId as string, view: tooLongTitle }))).toBe(
        'invalid_arguments',
      );
      await expect(
        emulator.control.clickButton({ user: 'U1', channel: 'C1', ts: ref.ts as string, actionId: 'missing' }),
      ).rejects.toThrow(/no live "missing" control/);
    } finally {
      fakeApp.closeAllConnections();
      await new Promise<void>((resolve) => fakeApp.close(() => resolve()));
    }
  });

  it('hands signed HTTP-mode requests to another transport when one is set, and reports its answer', async () => {
    emulator.control.setRequestUrl('http://127.0.0.1:1/slack/events');
    const ref = await client.chat.postMessage({
      channel: 'C1',
      text: 'card',
      blocks: [
        {
          type: 'actions',
          block_id: 'b',
          elements: [{ type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Go' }, value: 'v1' }],
        },
      ],
    });
    const sent: HttpTransportRequest[] = [];
    emulator.control.setHttpTransport((request) => {
      sent.push(request);
      return Promise.resolve({ status: 200, body: '', ackMs: 12.5, serverTiming: 'ack;dur=0.4' });
    });
    const result = await emulator.control.clickButton({
      user: 'U1',
      channel: 'C1',
      ts: ref.ts as string,
      actionId: 'go',
    });
    expect(result).toMatchObject({ via: 'http', status: 200, ackMs: 12.5, serverTiming: 'ack;dur=0.4' });
    const request = sent[0] as HttpTransportRequest;
    expect(request.url).toBe('http://127.0.0.1:1/slack/events');
    expect(request.headers['x-slack-signature']).toBe(
      signSlackRequest(SECRET, Number(request.headers['x-slack-request-timestamp']), request.body),
    );
    expect(JSON.parse(new URLSearchParams(request.body).get('payload') as string)).toMatchObject({
      type: 'block_actions',
      actions: [{ action_id: 'go', value: 'v1' }],
    });
    emulator.control.setHttpTransport(null);
  });

  it('signs requests the way Bolt verifies them', () => {
    const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
    expect(signSlackRequest('secret', 1_767_600_000, body)).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(signSlackRequest('secret', 1_767_600_000, body)).not.toBe(signSlackRequest('secret', 1_767_600_001, body));
  });

  it('serves its control API over HTTP for the demo', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${emulator.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/__control/users', { id: 'U3', name: 'cy', email: 'cy@example.com' })).status).toBe(200);
    await client.chat.postMessage({ channel: 'U3', text: 'hi cy' });
    const state = (await (await fetch(`${emulator.url}/__control/state`)).json()) as {
      messages: Array<{ text: string; channel: string }>;
    };
    expect(state.messages.map((m) => m.text)).toEqual(['hi cy']);
    expect(state.messages[0]?.channel).toBe(emulator.control.dmChannel('U3'));
    expect((await fetch(`${emulator.url}/__control/nope`)).status).toBe(404);
    // A body that is not JSON: 400 with the reason, and the emulator keeps serving.
    const bad = await fetch(`${emulator.url}/__control/users`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { ok: boolean; error: string }).ok).toBe(false);
    expect((await fetch(`${emulator.url}/__control/state`)).status).toBe(200);
  });
});
