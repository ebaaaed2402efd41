// The Teams emulator's HTTP control surface (what the demo page and out-of-process e2e tests use) and the
// Teams behaviour it has beyond what the client tests exercise.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, ALICE_AAD, startHarness, type TeamsHarness } from './harness.js';

let h: TeamsHarness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  await h.close();
});

async function control(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${h.emulator.url}/__control/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('teams emulator control over HTTP', () => {
  it('answers a control request it cannot read with 400 and its reason, and keeps serving', async () => {
    const bad = await fetch(`${h.emulator.url}/__control/users`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { ok: boolean }).ok).toBe(false);
    expect((await control('state')).status).toBe(200);
  });

  it('installs the app, clicks a card action and shows what the bot posted', async () => {
    const user = await control('users', { name: 'Dana Lee', email: 'dana@example.com' });
    expect(user.json).toMatchObject({ name: 'Dana Lee', email: 'dana@example.com', id: expect.stringMatching(/^29:/) });
    const install = await control('install', { user: ALICE_AAD });
    expect(install.json).toMatchObject({ status: 200, conversationId: expect.stringMatching(/^a:/) });
    const conversationId = install.json.conversationId as string;
    const { json } = await control(`messages?conversation=${encodeURIComponent(conversationId)}`);
    expect((json.messages as { text: string }[])[0]?.text).toContain('set up');

    h.actions.addOffer({ id: 'o9', handoffId: 'h9', rep: ALICE });
    const click = await control('invoke', {
      user: ALICE_AAD,
      conversationId,
      activityId: '1',
      verb: 'accept',
      data: { offerId: 'o9' },
    });
    expect(click.json).toMatchObject({ status: 200, body: { statusCode: 200 } });
    expect(h.actions.calls.map((c) => c.method)).toEqual(['accept']);

    const spoiled = await control('invoke', {
      user: ALICE_AAD,
      conversationId,
      activityId: '1',
      verb: 'accept',
      data: { offerId: 'o9' },
      signing: { expiredSecondsAgo: 3600 },
    });
    expect(spoiled.json).toMatchObject({ status: 401 });
    expect(h.actions.calls).toHaveLength(1);
  });

  it('keeps the card a user saw after an invoke until the bot rewrites the message', async () => {
    const { conversationId } = await h.emulator.control.installApp({ user: ALICE_AAD });
    const posted = await h.client.send(h.emulator.serviceUrl, conversationId, {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'offer' }] },
        },
      ],
    });
    h.actions.addOffer({ id: 'o1', handoffId: 'h1', rep: ALICE });
    await h.emulator.control.invoke({
      user: ALICE_AAD,
      conversationId,
      activityId: posted.activityId,
      verb: 'accept',
      data: { offerId: 'o1' },
    });
    expect(JSON.stringify(h.emulator.control.cardFor(conversationId, posted.activityId, ALICE_AAD))).toContain(
      'Accepted',
    );
    await h.client.update(h.emulator.serviceUrl, conversationId, posted.activityId, {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'closed' }] },
        },
      ],
    });
    expect(JSON.stringify(h.emulator.control.cardFor(conversationId, posted.activityId, ALICE_AAD))).toContain(
      'closed',
    );
  });

  it('answers a 1:1 conversation create with the existing chat, and refuses it for a user without the app', async () => {
    const { conversationId } = await h.emulator.control.installApp({ user: ALICE_AAD });
    const { token } = await h.client.tokens.get();
    const create = (memberId: string) =>
      fetch(`${h.emulator.serviceUrl}v3/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ isGroup: false, members: [{ id: memberId }], tenantId: h.emulator.tenantId }),
      });
    const ok = await create(h.users.alice.id);
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ id: conversationId });
    const refused = await create(h.users.stranger.id);
    expect(refused.status).toBe(403);
  });
});
