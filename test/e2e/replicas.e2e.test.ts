// Several `handoff run` processes on one Postgres database share the work: every MQL offered exactly
// once, every job done once, the poller and sweeper move to a survivor when the lease holder dies,
// and Slack requests can hit any replica. Hot leads keep their SLA through the death of the lease
// holder: a survivor takes the lease over within seconds and fires every deadline that fell due.
import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, liveCards, mqlContact, postgresTestUrl, type Replica, type World } from './helpers/world.js';
import { waitFor, waitForCount } from '../helpers/wait.js';
import type { SqlStore } from '../../src/store/index.js';
import { DEFAULT_JOB_LEASE_MS } from '../../src/runtime/outbox.js';
import { deadlineFigures, hotHandoffs, leaseHolderPid, OLD_JOB_LEASE_MS } from './helpers/deadlines.js';

const REPS = ['U0ALICE', 'U0BRUNO', 'U0CHEN'];
const LEASE_MS = 3_000;
const noPostgres = postgresTestUrl() === null;
if (noPostgres) console.warn('\n*** replicas e2e SKIPPED: it needs Postgres — set DATABASE_URL ***\n');

function allCards(world: World) {
  return REPS.flatMap((u) => liveCards(world.slack, u));
}

/** The replica holding the poller/sweeper lease now. */
async function leaseHolder(store: SqlStore, replicas: Replica[]): Promise<Replica> {
  const pid = await leaseHolderPid(store);
  const holder = replicas.find((r) => String(r.child.pid) === pid);
  if (holder === undefined) throw new Error(`lease held by pid ${pid}, which is none of the replicas`);
  return holder;
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

    const first = 45;
    for (let i = 0; i < first; i++) world.hubspot.control.createContact(mqlContact());
    await waitForCount(`${first} cards`, () => allCards(world).length, first);

    // Which replica holds the poller lease? Kill it without warning.
    const store = await world.openStore();
    try {
      const holder = await leaseHolder(store, replicas);
      const killedAt = Date.now();
      await holder.stop('SIGKILL');
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

  it('fires every hot deadline at most a lease (+2 s) late when the lease holder is killed, and escalates each lead once', async () => {
    // The default lease (no HANDOFF_LEASE_MS); hot lane 4 s per offer, two offers, then escalation.
    const lease = DEFAULT_JOB_LEASE_MS;
    world = await createWorld({
      engine: 'postgres',
      config: (c) => ({ ...c, sla: { acceptWithin: '10m', maxOffers: 2 } }),
    });
    const replicas: Replica[] = [await world.startReplica(), await world.startReplica(), await world.startReplica()];
    const store = await world.openStore();
    try {
      const hot = 6;
      for (let i = 0; i < hot; i++) world.hubspot.control.createContact(mqlContact({ hubspotscore: 95 }));
      await waitFor(
        `${hot} hot leads offered`,
        async () => (await hotHandoffs(store, 'offered')).length === hot,
        60_000,
        50,
      );
      // Kill the lease holder while every hot lead is open: their deadlines fall due while nobody sweeps.
      const holder = await leaseHolder(store, replicas);
      const killedAt = Date.now();
      await holder.stop('SIGKILL');

      const ids = await waitFor(
        'every hot lead escalated',
        async () => {
          const escalated = await hotHandoffs(store, 'escalated');
          return escalated.length === hot ? escalated : null;
        },
        120_000,
        100,
      );
      const escalatedAt = Date.now();
      const { lateness, worst, escalations, timeouts } = await deadlineFigures(store, ids);
      const duringGap = lateness.filter((ms) => ms > 1_000).length;
      console.log(
        `replicas: kill -9 of the lease holder with ${hot} hot leads open: worst deadline lateness ${worst} ms ` +
          `over ${lateness.length} deadlines (${duringGap} more than 1 s late; lease ${lease} ms); ` +
          `all escalated ${escalatedAt - killedAt} ms after the kill`,
      );
      // Every hot lead: both offers timed out (each deadline fired once), one escalation.
      expect(lateness.every((ms) => Number.isFinite(ms) && ms >= 0)).toBe(true);
      expect([...timeouts.values()]).toEqual(ids.map(() => 2));
      expect([...escalations.values()]).toEqual(ids.map(() => 1));
      // The promise is a survivor taking the lease within one lease period and firing what fell due at once: the
      // figure above, against lease + 2 s, is printed, not asserted (CI is a loaded 2-core machine). What is
      // asserted is the mechanism, with room for any load: no deadline waited for the 30-s job lease of before.
      console.log(`replicas: worst lateness ${worst} ms against the target lease + 2 s = ${lease + 2_000} ms`);
      expect(worst).toBeLessThan(OLD_JOB_LEASE_MS);
    } finally {
      await store.close();
    }
  }, 300_000);
});
