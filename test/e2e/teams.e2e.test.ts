// Reps and managers in Microsoft Teams, end to end on the built worker against the Bot Framework emulator: cards as
// Adaptive Cards in each rep's 1:1 chat with the bot (installed first: a rep without it is skipped, with the
// reason), Accept / Reject by signed Action.Execute invokes, timeout → next rep → escalation in the managers'
// Teams channel → Assign; and a mixed organisation (Teams, Slack and email reps in one team, managers in Slack).
import { afterEach, describe, expect, it } from 'vitest';
import type { TeamsEmulator } from '../../connectors/teams/emulator/index.js';
import { parseMail } from '../helpers/mime.js';
import { waitFor } from '../helpers/wait.js';
import {
  createWorld,
  liveCards,
  MANAGER,
  mqlContact,
  postgresTestUrl,
  REPS,
  TEAMS_CHANNELS,
  type World,
} from './helpers/world.js';

const engines = (['sqlite', 'postgres'] as const).filter((e) => e === 'sqlite' || postgresTestUrl() !== null);
const [ALICE, BRUNO, CHEN] = REPS as unknown as [(typeof REPS)[0], (typeof REPS)[0], (typeof REPS)[0]];

/** Everyone in Teams: no Slack; the team and the managers have Teams channels. */
function teamsOnly(base: Record<string, unknown>): Record<string, unknown> {
  const { slack: _slack, ...rest } = base;
  return {
    ...rest,
    msteams: { ...(base.msteams as object), managersChannel: TEAMS_CHANNELS.managers },
    reps: REPS.map(({ slackUserId: _s, ...r }) => ({ ...r, chat: 'teams' })),
    managers: [{ id: MANAGER.id, name: MANAGER.name, email: MANAGER.email, chat: 'teams' }],
    teams: [
      {
        id: 'emea',
        members: ['alice', 'bruno', 'chen'],
        strategy: 'round-robin',
        manager: 'maria',
        teamsChannel: TEAMS_CHANNELS.emea,
      },
    ],
  };
}

const LINK_SECRET = 'e2e-mixed-link-secret-0123456789abcdef';

/** Alice in Teams, Bruno in Slack, Chen by email, managers in Slack: one team, three platforms. */
function mixed(base: Record<string, unknown>): Record<string, unknown> {
  const chat: Record<string, string> = { alice: 'teams', chen: 'email' };
  return {
    ...base,
    email: { ...(base.email as object), linkSecret: LINK_SECRET },
    reps: REPS.map((r) => {
      const platform = chat[r.id];
      if (!platform) return r;
      const { slackUserId: _s, ...x } = r;
      return { ...x, chat: platform };
    }),
  };
}

/** The action with this verb somewhere in a card, with its data. */
function actionOf(card: unknown, verb: string): { verb: string; data?: Record<string, unknown> } | null {
  if (card === null || typeof card !== 'object') return null;
  const o = card as Record<string, unknown>;
  if (o.type === 'Action.Execute' && o.verb === verb) return o as { verb: string; data?: Record<string, unknown> };
  for (const v of Object.values(o)) {
    const list = Array.isArray(v) ? v : [v];
    for (const x of list) {
      const found = actionOf(x, verb);
      if (found) return found;
    }
  }
  return null;
}

interface LiveCard {
  conversationId: string;
  activityId: string;
  card: unknown;
}

/** The cards in a conversation (a 1:1 chat, or a channel with its threads) that still carry `verb`. */
function cardsWith(teams: TeamsEmulator, conversationId: string, verb: string): LiveCard[] {
  return teams.control
    .messages(conversationId)
    .flatMap((m) =>
      m.attachments
        .filter((a) => actionOf(a.content, verb) !== null)
        .map((a) => ({ conversationId: m.conversationId, activityId: m.activityId, card: a.content })),
    );
}

function dmOf(world: World, email: string): string {
  const conversation = world.teams!.control.conversationOf(email);
  if (!conversation) throw new Error(`no 1:1 chat with ${email}`);
  return conversation;
}

async function install(world: World, ...emails: string[]): Promise<void> {
  for (const email of emails) {
    const r = await world.teams!.control.installApp({ user: email });
    expect(r.status).toBe(200);
  }
}

async function click(world: World, email: string, at: LiveCard, verb: string, inputs: Record<string, unknown> = {}) {
  const action = actionOf(at.card, verb);
  return world.teams!.control.invoke({
    user: email,
    conversationId: at.conversationId,
    activityId: at.activityId,
    verb,
    data: { ...(action?.data ?? {}), ...inputs },
  });
}

async function stateOf(world: World, contactId: string) {
  const store = await world.openStore();
  try {
    const email = world.hubspot.control.getContact(contactId)!.properties.email as string;
    const [handoff] = await store.findHandoffsByEmail(email);
    return {
      handoff,
      events: handoff ? await store.listEvents(handoff.id) : [],
      offers: handoff ? await store.listOffers(handoff.id) : [],
    };
  } finally {
    await store.close();
  }
}

describe.each(engines)('reps in Microsoft Teams end to end (%s)', (engine) => {
  let world: World;
  afterEach(async () => {
    await world?.close();
  });

  it('a rep without the app is skipped with the reason; installed reps get the card; Accept writes HubSpot', async () => {
    world = await createWorld({ engine, teams: true, config: teamsOnly });
    await world.startWorker();
    await install(world, BRUNO.email, CHEN.email); // not Alice: she comes first in the rotation
    const contactId = world.hubspot.control.createContact(mqlContact({ firstname: 'Grace', lastname: 'Hopper' }));
    const card = await waitFor(
      "a card in Bruno's Teams chat",
      () => cardsWith(world.teams!, dmOf(world, BRUNO.email), 'accept')[0],
      20_000,
    );
    expect(JSON.stringify(card.card)).toContain('Grace Hopper');
    const { offers } = await stateOf(world, contactId);
    expect(JSON.stringify(offers[0]?.trace)).toContain('the app is not installed for them');
    // Someone else's click changes nothing and says so.
    const intruder = await click(world, CHEN.email, card, 'accept');
    expect(intruder.status).toBe(200);
    expect(JSON.stringify(intruder.body)).toMatch(/Bruno/);
    const res = await click(world, BRUNO.email, card, 'accept');
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toMatch(/accepted/i);
    await waitFor('owner and status written to HubSpot', () => {
      const c = world.hubspot.control.getContact(contactId);
      return c?.properties.hubspot_owner_id === '502' && c.properties.hs_lead_status === 'OPEN';
    });
    await waitFor(
      'the card rewritten without buttons',
      () => cardsWith(world.teams!, dmOf(world, BRUNO.email), 'accept').length === 0,
    );
    const { handoff, events } = await stateOf(world, contactId);
    expect(handoff).toMatchObject({ state: 'accepted', decidedBy: 'bruno' });
    expect(events.find((e) => e.type === 'accepted')?.data).toMatchObject({ via: 'teams' });
    // A second click says what happened.
    expect(JSON.stringify((await click(world, BRUNO.email, card, 'accept')).body)).toMatch(/already/i);
  }, 90_000);

  it('reject with a reason and a note (required for "Other")', async () => {
    world = await createWorld({ engine, teams: true, config: teamsOnly });
    await world.startWorker();
    await install(world, ALICE.email, BRUNO.email, CHEN.email);
    const contactId = world.hubspot.control.createContact(mqlContact({ firstname: 'Rosa', lastname: 'Parks' }));
    const card = await waitFor(
      'a card for Alice',
      () => cardsWith(world.teams!, dmOf(world, ALICE.email), 'reject')[0],
      20_000,
    );
    const missing = await click(world, ALICE.email, card, 'reject', { reason: 'other', note: '' });
    expect(JSON.stringify(missing.body)).toMatch(/note/i);
    expect((await stateOf(world, contactId)).handoff?.state).toBe('offered');
    await click(world, ALICE.email, card, 'reject', { reason: 'bad_timing', note: 'Budget opens in Q3' });
    await waitFor('the rejection written back', () => {
      const c = world.hubspot.control.getContact(contactId);
      return c?.properties.hs_lead_status === 'UNQUALIFIED' && c.properties.handoff_rejection_reason === 'bad_timing';
    });
    expect((await stateOf(world, contactId)).handoff).toMatchObject({ state: 'rejected', note: 'Budget opens in Q3' });
  }, 90_000);

  it("timeout → next rep → escalation in the managers' Teams channel → Assign → the rep accepts", async () => {
    world = await createWorld({ engine, teams: true, config: teamsOnly });
    await world.startWorker();
    await install(world, ALICE.email, BRUNO.email, CHEN.email, MANAGER.email);
    const contactId = world.hubspot.control.createContact(mqlContact({ firstname: 'Tim', lastname: 'Eout' }));
    await waitFor('a card for Alice', () => cardsWith(world.teams!, dmOf(world, ALICE.email), 'accept')[0], 20_000);
    await waitFor(
      'the lead to move to Bruno',
      () => cardsWith(world.teams!, dmOf(world, BRUNO.email), 'accept')[0],
      30_000,
    );
    const escalation = await waitFor(
      'the escalation with Assign in the managers channel',
      () => cardsWith(world.teams!, TEAMS_CHANNELS.managers, 'assign')[0],
      30_000,
    );
    const res = await click(world, MANAGER.email, escalation, 'assign', { repId: 'chen' });
    expect(res.status).toBe(200);
    const fresh = await waitFor(
      'a fresh card for Chen',
      () => cardsWith(world.teams!, dmOf(world, CHEN.email), 'accept')[0],
      20_000,
    );
    await click(world, CHEN.email, fresh, 'accept');
    await waitFor('accepted by Chen', async () => (await stateOf(world, contactId)).handoff?.state === 'accepted');
    const { events } = await stateOf(world, contactId);
    expect(events.find((e) => e.type === 'assigned')).toMatchObject({ actor: 'maria', data: { via: 'teams' } });
  }, 120_000);

  it('mixed: Teams, Slack and email reps share one team and its rotation; managers stay in Slack', async () => {
    world = await createWorld({ engine, teams: true, config: mixed });
    await world.startWorker();
    await install(world, ALICE.email);
    const ids = [0, 1, 2].map((i) =>
      world.hubspot.control.createContact(mqlContact({ firstname: 'Mix', lastname: `Lead ${i}` })),
    );
    const teamsCard = await waitFor(
      'a Teams card for Alice',
      () => cardsWith(world.teams!, dmOf(world, ALICE.email), 'accept')[0],
      20_000,
    );
    const slackCard = await waitFor('a Slack card for Bruno', () => liveCards(world.slack, 'U0BRUNO')[0], 20_000);
    const accept = await waitFor('an offer email to Chen', () => {
      for (const m of world.mails) {
        if (!m.to.includes(CHEN.email)) continue;
        const line = parseMail(m.raw, m.to)
          .text.split(/\r?\n/)
          .find((l) => l.startsWith('Accept: '));
        if (line) return line.slice('Accept: '.length).trim();
      }
      return undefined;
    });
    await click(world, ALICE.email, teamsCard, 'accept');
    await world.slack.control.clickButton({
      user: 'U0BRUNO',
      channel: slackCard.channel,
      ts: slackCard.ts,
      actionId: 'handoff_accept',
    });
    // Chen decides by email: the link's page, then its form (with the page's cookie).
    const page = await fetch(accept);
    const html = await page.text();
    const cookie = page.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const field = (name: string): string => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? '';
    const posted = await fetch(`http://127.0.0.1:${world.port}/email/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ t: field('t'), csrf: field('csrf') }).toString(),
    });
    expect(posted.status).toBe(200);
    await waitFor('three accepted, one on each platform', async () => {
      const states = await Promise.all(ids.map((id) => stateOf(world, id)));
      const vias = states.flatMap((s) =>
        s.events.filter((e) => e.type === 'accepted').map((e) => (e.data as { via?: string }).via),
      );
      return vias.sort().join(',') === 'email,slack,teams';
    });
  }, 90_000);
});
