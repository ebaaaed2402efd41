// POST /teams/messages driven by the Teams emulator with real signed activities: install and removal reach the
// directory, card actions reach HandoffActions with the Teams actor and are answered with the outcome's card,
// forged values and bad tokens change nothing and never get a 5xx.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADAPTIVE_CARD } from '../../../connectors/teams/teams.types.js';
import type { TeamsActionResult } from '../../../connectors/teams/teams.invoke.js';
import { ALICE, ALICE_AAD, BRUNO, BRUNO_AAD, MARIA_AAD, startHarness, type TeamsHarness } from './harness.js';

let h: TeamsHarness;

function cardOf(body: unknown): string {
  const b = body as { statusCode?: number; type?: string; value?: unknown };
  expect(b.statusCode).toBe(200);
  expect(b.type).toBe(ADAPTIVE_CARD);
  return JSON.stringify(b.value);
}

describe('installing and removing the app', () => {
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('keeps the conversation reference of a rep matched by email and welcomes them', async () => {
    const result = await h.emulator.control.installApp({ user: h.users.bruno.aadObjectId });
    expect(result.status).toBe(200);
    expect(h.directory.calls).toEqual([
      {
        method: 'installed',
        input: {
          user: { aadObjectId: BRUNO_AAD, email: 'Bruno@Example.com', name: 'Bruno Costa' },
          ref: {
            serviceUrl: h.emulator.serviceUrl,
            conversationId: result.conversationId,
            tenantId: h.emulator.tenantId,
            userId: h.users.bruno.id,
            aadObjectId: BRUNO_AAD,
          },
        },
      },
    ]);
    const [welcome, ...more] = h.emulator.control.messages(result.conversationId);
    expect(more).toEqual([]);
    expect(welcome?.text).toContain(`Hi ${BRUNO.name}, you're set up`);
  });

  it('tells a user who is not configured that they are not set up, with the id an admin needs', async () => {
    const result = await h.emulator.control.installApp({ user: h.users.stranger.aadObjectId });
    expect(result.status).toBe(200);
    expect(h.directory.calls.map((c) => c.method)).toEqual(['installed']);
    const [welcome] = h.emulator.control.messages(result.conversationId);
    expect(welcome?.text).toContain("You're not set up");
    expect(welcome?.text).toContain(h.users.stranger.aadObjectId);
  });

  it('keeps the reference when the roster look-up fails (a rep known by Teams id still matches)', async () => {
    h.emulator.control.fail({ op: 'member', status: 503 });
    const result = await h.emulator.control.installApp({ user: ALICE_AAD });
    expect(result.status).toBe(200);
    expect(h.directory.calls[0]?.input).toMatchObject({ user: { aadObjectId: ALICE_AAD, email: null } });
    expect(h.directory.refs.get(ALICE.id)?.conversationId).toBe(result.conversationId);
  });

  it('forgets the user when they remove the app', async () => {
    await h.emulator.control.installApp({ user: ALICE_AAD });
    const result = await h.emulator.control.uninstallApp({ user: ALICE_AAD });
    expect(result.status).toBe(200);
    expect(h.directory.calls.at(-1)).toEqual({ method: 'uninstalled', input: { aadObjectId: ALICE_AAD } });
    expect(h.directory.refs.has(ALICE.id)).toBe(false);
  });

  it('answers a typed message with help (and refreshes the reference)', async () => {
    const { conversationId } = await h.emulator.control.installApp({ user: ALICE_AAD });
    const result = await h.emulator.control.sendMessage({ user: ALICE_AAD, text: 'hello?' });
    expect(result.status).toBe(200);
    const replies = h.emulator.control.messages(conversationId);
    expect(replies.at(-1)?.text).toContain('use Accept or Reject on a card');
    expect(h.directory.calls.filter((c) => c.method === 'installed')).toHaveLength(2);
  });
});

describe('card actions (Action.Execute)', () => {
  let conversationId: string;
  beforeEach(async () => {
    h = await startHarness();
    conversationId = (await h.emulator.control.installApp({ user: ALICE_AAD })).conversationId;
    h.actions.addOffer({ id: 'o1', handoffId: 'h1', rep: ALICE });
  });
  afterEach(async () => {
    await h.close();
  });

  const click = (user: string, verb: string, data: unknown) =>
    h.emulator.control.invoke({ user, conversationId, activityId: '1', verb, data });

  it('accepts for the offered rep, as the Teams actor, and answers with the outcome card', async () => {
    const result = await click(ALICE_AAD, 'accept', { offerId: 'o1' });
    expect(result.status).toBe(200);
    expect(h.actions.calls).toEqual([
      { method: 'accept', input: { offerId: 'o1', actor: { via: 'teams', userId: ALICE_AAD } } },
    ]);
    expect(cardOf(result.body)).toContain('Accepted');
  });

  it('says what happened on a double click, and nothing changes', async () => {
    await click(ALICE_AAD, 'accept', { offerId: 'o1' });
    const again = await click(ALICE_AAD, 'reject', { offerId: 'o1', reason: 'not_icp' });
    expect(cardOf(again.body)).toContain('Already accepted by Alice Martin');
    expect(cardOf(again.body)).toContain('Nothing was changed');
  });

  it('tells another user the lead is not theirs', async () => {
    await h.emulator.control.installApp({ user: BRUNO_AAD });
    const result = await click(BRUNO_AAD, 'accept', { offerId: 'o1' });
    expect(cardOf(result.body)).toContain(`offered to ${ALICE.name}, not to you`);
  });

  it('rejects with the reason and the note from the card inputs', async () => {
    const result = await click(ALICE_AAD, 'reject', { offerId: 'o1', reason: 'other', note: '  duplicate of acme  ' });
    expect(h.actions.calls).toEqual([
      {
        method: 'reject',
        input: {
          offerId: 'o1',
          actor: { via: 'teams', userId: ALICE_AAD },
          reasonId: 'other',
          note: 'duplicate of acme',
        },
      },
    ]);
    expect(cardOf(result.body)).toContain('Rejected (Other)');
  });

  it('asks for the note a reason requires, without deciding', async () => {
    const result = await click(ALICE_AAD, 'reject', { offerId: 'o1', reason: 'other', note: '' });
    expect(h.actions.calls).toEqual([]);
    expect(cardOf(result.body)).toContain('a note is required when the reason is “Other”');
  });

  it('asks for a reason when none was picked, and refuses one that does not exist', async () => {
    expect(cardOf((await click(ALICE_AAD, 'reject', { offerId: 'o1' })).body)).toContain('choose a reason');
    expect(cardOf((await click(ALICE_AAD, 'reject', { offerId: 'o1', reason: 'made_up' })).body)).toContain(
      'that reason is not available',
    );
    expect(h.actions.calls).toEqual([]);
  });

  it('lets team members claim and managers assign an escalated lead', async () => {
    h.actions.addEscalation('h2', [ALICE.id]);
    h.actions.addEscalation('h3', [ALICE.id]);
    const claim = await click(ALICE_AAD, 'claim', { handoffId: 'h2' });
    expect(h.actions.calls[0]).toEqual({
      method: 'claim',
      input: { handoffId: 'h2', actor: { via: 'teams', userId: ALICE_AAD } },
    });
    expect(cardOf(claim.body)).toContain('Claimed by Alice Martin');
    const assign = await click(MARIA_AAD, 'assign', { handoffId: 'h3', repId: BRUNO.id });
    expect(h.actions.calls[1]).toEqual({
      method: 'assign',
      input: { handoffId: 'h3', actor: { via: 'teams', userId: MARIA_AAD }, repId: BRUNO.id },
    });
    expect(cardOf(assign.body)).toContain('Assigned to Bruno Costa');
    const late = await click(ALICE_AAD, 'claim', { handoffId: 'h3' });
    expect(cardOf(late.body)).toContain('Already taken');
  });

  it('asks a manager to pick a rep before assigning', async () => {
    h.actions.addEscalation('h4', []);
    const result = await click(MARIA_AAD, 'assign', { handoffId: 'h4' });
    expect(h.actions.calls).toEqual([]);
    expect(cardOf(result.body)).toContain('choose a rep');
  });

  it('renders the answer with the injected card renderer, given what happened', async () => {
    await h.close();
    const seen: TeamsActionResult[] = [];
    h = await startHarness({
      render: (r) => {
        seen.push(r);
        return {
          type: 'AdaptiveCard',
          version: '1.4',
          body: [{ type: 'TextBlock', text: `rendered ${r.action.verb}` }],
        };
      },
    });
    conversationId = (await h.emulator.control.installApp({ user: ALICE_AAD })).conversationId;
    h.actions.addOffer({ id: 'o1', handoffId: 'h1', rep: ALICE });
    const result = await click(ALICE_AAD, 'accept', { offerId: 'o1' });
    expect(cardOf(result.body)).toContain('rendered accept');
    expect(seen[0]).toMatchObject({
      action: { verb: 'accept', offerId: 'o1' },
      outcome: { kind: 'accepted' },
      offer: { offerId: 'o1', offerState: 'accepted', decidedBy: ALICE.id },
      handoff: null,
      viewer: { aadObjectId: ALICE_AAD, userId: h.users.alice.id },
    });
  });

  it('leaves the card as it is when the renderer has nothing new (a refresh of an open offer)', async () => {
    await h.close();
    h = await startHarness({ render: (r) => (r.outcome === null ? null : { type: 'AdaptiveCard', version: '1.4' }) });
    conversationId = (await h.emulator.control.installApp({ user: ALICE_AAD })).conversationId;
    h.actions.addOffer({ id: 'o1', handoffId: 'h1', rep: ALICE });
    const result = await h.emulator.control.invoke({
      user: ALICE_AAD,
      conversationId,
      activityId: '1',
      verb: 'refresh',
      data: { offerId: 'o1' },
      trigger: 'automatic',
    });
    expect(result).toMatchObject({
      status: 200,
      body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message' },
    });
  });

  it('answers a card refresh with the current state, deciding nothing', async () => {
    const result = await h.emulator.control.invoke({
      user: ALICE_AAD,
      conversationId,
      activityId: '1',
      verb: 'refresh',
      data: { offerId: 'o1' },
      trigger: 'automatic',
    });
    expect(cardOf(result.body)).toContain('is offered to Alice Martin');
    expect(h.actions.calls).toEqual([]);
  });

  it('answers an invoke error, not a 5xx, when the action fails inside', async () => {
    h.actions.failNext();
    const result = await click(ALICE_AAD, 'accept', { offerId: 'o1' });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ statusCode: 500, type: 'application/vnd.microsoft.error' });
  });

  describe('forged or garbled values reach no action and get no 5xx', () => {
    const forged: [string, string, unknown][] = [
      ['an unknown verb', 'approve_all', { offerId: 'o1' }],
      ['no data', 'accept', undefined],
      ['data that is not an object', 'accept', 'o1'],
      ['an offer id that is not a string', 'accept', { offerId: { $ne: null } }],
      ['an offer id with markup', 'accept', { offerId: '<script>alert(1)</script>' }],
      ['a huge offer id', 'accept', { offerId: 'x'.repeat(5000) }],
      ['a note that is not text', 'reject', { offerId: 'o1', reason: 'other', note: ['a'] }],
      ['a note too long', 'reject', { offerId: 'o1', reason: 'other', note: 'n'.repeat(3001) }],
      ['a rep id that is not an id', 'assign', { handoffId: 'h1', repId: 'bob; drop table' }],
      ['a refresh of nothing', 'refresh', {}],
    ];
    it.each(forged)('%s', async (_what, verb, data) => {
      const result = await click(ALICE_AAD, verb, data);
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({
        statusCode: 400,
        type: 'application/vnd.microsoft.error',
        value: { message: expect.stringContaining('Nothing was changed') },
      });
      expect(h.actions.calls).toEqual([]);
    });

    it('an invoke that is not Action.Execute, or has another name', async () => {
      const base = {
        type: 'invoke',
        channelId: 'msteams',
        from: { id: h.users.alice.id, aadObjectId: ALICE_AAD },
        conversation: { id: conversationId, conversationType: 'personal' },
        recipient: { id: h.emulator.botId },
      };
      const submit = await h.emulator.control.sendActivity({
        activity: {
          ...base,
          name: 'adaptiveCard/action',
          value: { action: { type: 'Action.Submit', verb: 'accept', data: { offerId: 'o1' } } },
        },
      });
      const other = await h.emulator.control.sendActivity({
        activity: { ...base, name: 'task/fetch', value: { data: { offerId: 'o1' } } },
      });
      const noUser = await h.emulator.control.sendActivity({
        activity: {
          ...base,
          from: { id: 'x' },
          name: 'adaptiveCard/action',
          value: { action: { type: 'Action.Execute', verb: 'accept', data: { offerId: 'o1' } } },
        },
      });
      for (const r of [submit, other, noUser]) {
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ statusCode: 400 });
      }
      expect(h.actions.calls).toEqual([]);
    });
  });
});

describe('requests that are not from the Bot Framework: 401, nothing changes', () => {
  let conversationId: string;
  // One worker for all spoiled requests: none of them may change anything, so none can disturb the next.
  beforeAll(async () => {
    h = await startHarness();
    conversationId = (await h.emulator.control.installApp({ user: ALICE_AAD })).conversationId;
    h.actions.addOffer({ id: 'o1', handoffId: 'h1', rep: ALICE });
    h.directory.calls.length = 0;
  });
  afterAll(async () => {
    await h.close();
  });

  const spoiled: [string, Record<string, unknown>][] = [
    ['unsigned', { unsigned: true }],
    ['signed with another key', { foreignKey: true }],
    ['a key id not in the key set', { kid: 'no-such-key' }],
    ['expired beyond the 5-minute skew', { expiredSecondsAgo: 360 }],
    ['for another audience', { audience: 'ffffffff-0000-4000-8000-000000000000' }],
    ['from another issuer', { issuer: 'https://sts.windows.net/evil/' }],
    ['a serviceurl claim for another service', { serviceUrlClaim: 'https://evil.example.com/teams/' }],
    ['no serviceurl claim', { serviceUrlClaim: null }],
    ['alg none', { algNone: true }],
    ['not a Bearer token', { authorization: 'Basic YWxpY2U6cGFzcw==' }],
    ['a garbage token', { authorization: 'Bearer not.a.jwt' }],
  ];

  it.each(spoiled)('%s', async (_what, signing) => {
    const before = h.emulator.control.messages().length;
    const accept = await h.emulator.control.invoke({
      user: ALICE_AAD,
      conversationId,
      activityId: '1',
      verb: 'accept',
      data: { offerId: 'o1' },
      signing,
    });
    const install = await h.emulator.control.installApp({ user: BRUNO_AAD, signing });
    const remove = await h.emulator.control.uninstallApp({ user: ALICE_AAD, signing });
    expect([accept.status, install.status, remove.status]).toEqual([401, 401, 401]);
    expect(h.actions.calls).toEqual([]);
    expect(h.directory.calls).toEqual([]);
    expect(h.emulator.control.messages()).toHaveLength(before);
  });
});

describe('requests that are from the Bot Framework but not for us', () => {
  let conversationId: string;
  beforeEach(async () => {
    h = await startHarness();
    conversationId = (await h.emulator.control.installApp({ user: ALICE_AAD })).conversationId;
    h.actions.addOffer({ id: 'o1', handoffId: 'h1', rep: ALICE });
    h.directory.calls.length = 0;
  });
  afterEach(async () => {
    await h.close();
  });

  it('accepts a token that expired less than 5 minutes ago (clock skew)', async () => {
    const result = await h.emulator.control.invoke({
      user: ALICE_AAD,
      conversationId,
      activityId: '1',
      verb: 'accept',
      data: { offerId: 'o1' },
      signing: { expiredSecondsAgo: 200 },
    });
    expect(result.status).toBe(200);
    expect(h.actions.calls.map((c) => c.method)).toEqual(['accept']);
  });

  it('refuses an activity whose serviceUrl differs from the token’s claim', async () => {
    const result = await h.emulator.control.sendActivity({
      activity: {
        type: 'message',
        channelId: 'msteams',
        serviceUrl: 'https://evil.example.com/teams/',
        text: 'hi',
        from: { id: h.users.alice.id, aadObjectId: ALICE_AAD },
        conversation: { id: conversationId, conversationType: 'personal' },
      },
      signing: { serviceUrlClaim: h.emulator.serviceUrl },
    });
    expect(result.status).toBe(401);
    expect(h.directory.calls).toEqual([]);
  });

  it('answers 400 to a signed body that is not an activity, 413 to one over 1 MiB', async () => {
    const notJson = await h.emulator.control.sendActivity({ activity: {}, rawBody: '{"type":' });
    expect(notJson.status).toBe(400);
    const noType = await h.emulator.control.sendActivity({ activity: { text: 'x' } });
    expect(noType.status).toBe(400);
    const huge = await h.emulator.control.sendActivity({
      activity: { type: 'message', text: 'x'.repeat(1_100_000) },
    });
    expect(huge.status).toBe(413);
    expect(h.directory.calls).toEqual([]);
  });

  it('refuses activities from another tenant when the app is single-tenant', async () => {
    await h.close();
    h = await startHarness({ tenantId: '11111111-2222-4333-8444-555555555555' });
    const result = await h.emulator.control.installApp({ user: ALICE_AAD });
    expect(result.status).toBe(403);
    expect(h.directory.calls).toEqual([]);
  });

  it('follows a signing key roll-over (unknown kid: the key set is read again)', async () => {
    const keysBefore = h.emulator.control.calls('keys').length;
    h.emulator.control.rotateSigningKey();
    const result = await h.emulator.control.sendMessage({ user: ALICE_AAD, text: 'hi' });
    expect(result.status).toBe(200);
    expect(h.emulator.control.calls('keys').length).toBe(keysBefore + 1);
    // Known kid now: no further key set reads.
    await h.emulator.control.sendMessage({ user: ALICE_AAD, text: 'hi again' });
    expect(h.emulator.control.calls('keys').length).toBe(keysBefore + 1);
  });
});
