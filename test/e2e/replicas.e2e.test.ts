// Several `handoff run` processes on one Postgres database share the work: every MQL offered exactly
// once, every job done once, the poller and sweeper move to a survivor when the lease holder dies,
// and Slack requests can hit any replica.
import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, liveCards, mqlContact, postgresTestUrl, type Replica, type World } from './helpers/world.js';
import { waitFor, waitForCount } from '../helpers/wait.js';

const REPS = ['U0ALICE', 'U0BRUNO', 'U0CHEN'];
const LEASE_MS = 3_000;
const noPostgres = postgresTestUrl() === null;
if (noPostgres) console.warn('\n*** replicas e2e SKIPPED: it needs Postgres — set DATABASE_URL ***\n');

function allCards(world: World) {
  return REPS.flatMap((u) => liveCards(world.slack, u));
}

describe.skipIf(noPostgres)('replicas on one Postgres (SKIPPED without DATABASE_URL)', () => {
  let world: World;
  afterEach(async () => {
    await world?.close();
  });

  it('share the work exactly once and survive the death of the lease holder', async () => {
    world = await createWorld({
      engine: 'postgres',
      config: (c) => ({ ...c, sla: { acceptWithin: '10m', maxOffers: 2 } }),
    });
    const env = { HANDOFF_LEASE_MS: String(LEASE_MS) };
    const replicas: Replica[] = [
      await world.startReplica(env),
      await world.startReplica(env),
      await world.startReplica(env),
    ];
    const byPid = new Map(replicas.map((r) => [String(r.child.pid), r]));

    const first = 45;
    for (let i = 0; i < first; i++) world.hubspot.control.createContact(mqlContact());
    await waitForCount(`${first} cards`, () => allCards(world).length, first);

    // Which replica holds the poller lease? Kill it without warning.
    const store = await world.openStore();
    try {
      const lease = await waitFor('a poller lease', () =>
        store.db.selectFrom('leases').selectAll().where('name', 'like', 'poller:%').executeTakeFirst(),
      );
      const holderPid = lease.holder.split('-').at(-2) as string;
      const holder = byPid.get(holderPid);
      expect(holder).toBeDefined();
      const killedAt = Date.now();
      await holder!.stop('SIGKILL');
      const survivors = replicas.filter((r) => r !== holder);

      // New MQLs after the kill are picked up by a survivor within about one lease period.
      const second = 15;
      for (let i = 0; i < second; i++) world.hubspot.control.createContact(mqlContact());
      await waitForCount(`${first + second} cards`, () => allCards(world).length, first + second);
      const takeover = Date.now() - killedAt;
      console.log(
        `replicas: lease holder killed; survivors took over and posted the new cards after ${takeover} ms (lease ${LEASE_MS} ms)`,
      );

      // Clicks can land on any replica.
      world.slack.control.setRequestUrl(`http://127.0.0.1:${survivors[1]!.port}/slack/events`);
      const [card] = allCards(world);
      const rep = REPS.find((u) => liveCards(world.slack, u).some((c) => c.ts === card!.ts)) as string;
      await world.slack.control.clickButton({
        user: rep,
        channel: card!.channel,
        ts: card!.ts,
        actionId: 'handoff_accept',
      });
      await waitFor(
        'the click decided through the other replica',
        async () => (await store.listOpenHandoffs(500)).length === first + second - 1,
      );
      await waitFor('its card closed', () => !allCards(world).some((c) => c.ts === card!.ts));

      // Exactly once: one hand-off per contact, one offer and one card each, no job run twice.
      const cards = allCards(world);
      expect(cards.length).toBe(first + second - 1);
      expect(new Set(cards.map((c) => c.ts)).size).toBe(cards.length);
      const handoffs = await store.db.selectFrom('handoffs').select(['id', 'external_id']).execute();
      expect(handoffs.length).toBe(first + second);
      expect(new Set(handoffs.map((h) => h.external_id)).size).toBe(first + second);
      const offers = await store.db.selectFrom('offers').select(['handoff_id']).execute();
      expect(offers.length).toBe(first + second);
      // Cards are the top-level posts in DMs (alerts such as the backlog one go to the managers' channel).
      const posts = world.slack.control
        .calls('chat.postMessage')
        .filter((c) => c.ok && !c.args.thread_ts && String(c.args.channel).startsWith('D'));
      if (posts.length !== first + second)
        console.log(posts.map((c) => `${String(c.args.channel)}:${String(c.args.text).slice(0, 60)}`).join('\n'));
      expect(posts.length).toBe(first + second);
    } finally {
      await store.close();
    }
  }, 300_000);
});
