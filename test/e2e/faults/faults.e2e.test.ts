// Fault suite: the worker keeps its promises through crashes, a database outage and vendor outages.
// After each fault: no lost hand-off, no duplicate card, no duplicate decision, everything pending done.
// Outages are shortened for CI (seconds, not minutes); FAULTS_SCALE=6 runs the longer variant by hand.
import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, liveCards, mqlContact, postgresTestUrl, type World } from '../helpers/world.js';
import { waitFor, waitForCount } from '../../helpers/wait.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { deadlineFigures, hotHandoffs, OLD_JOB_LEASE_MS } from '../helpers/deadlines.js';
import { DEFAULT_JOB_LEASE_MS } from '../../../src/runtime/outbox.js';

const SCALE = Number(process.env.FAULTS_SCALE ?? '1');
const REPS = ['U0ALICE', 'U0BRUNO', 'U0CHEN'];

/** Every card in the DMs, live or closed. */
function allPostedCards(world: World) {
  return REPS.flatMap((u) => {
    const dm = world.slack.control.dmChannel(u);
    return dm ? world.slack.control.messages(dm).filter((m) => !m.threadTs) : [];
  });
}

async function assertExactlyOnce(
  world: World,
  contacts: number,
): Promise<{ handoffs: number; cards: number; duplicates: number; lost: number }> {
  const store = await world.openStore();
  try {
    const handoffs = await store.db.selectFrom('handoffs').select(['id', 'external_id']).execute();
    const offers = await store.db.selectFrom('offers').select(['id', 'handoff_id', 'slack_ts']).execute();
    const cards = allPostedCards(world);
    const byExternal = new Map<string, number>();
    for (const h of handoffs) byExternal.set(h.external_id, (byExternal.get(h.external_id) ?? 0) + 1);
    const duplicates =
      [...byExternal.values()].filter((n) => n > 1).length + (cards.length - new Set(cards.map((c) => c.text)).size);
    if (duplicates > 0) {
      const seen = new Map<string, number>();
      for (const c of cards) seen.set(c.text, (seen.get(c.text) ?? 0) + 1);
      console.log(
        'duplicate hand-offs',
        [...byExternal].filter(([, n]) => n > 1),
        'duplicate cards',
        [...seen].filter(([, n]) => n > 1),
      );
    }
    const lost = contacts - byExternal.size + offers.filter((o) => o.slack_ts === null).length;
    expect(byExternal.size).toBe(contacts);
    expect(duplicates).toBe(0);
    expect(cards.length).toBe(offers.length);
    expect(lost).toBe(0);
    return { handoffs: handoffs.length, cards: cards.length, duplicates, lost };
  } finally {
    await store.close();
  }
}

function report(name: string, figures: Record<string, number | string>): void {
  console.log(
    `faults: ${name}: ${Object.entries(figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
}

describe('fault suite', () => {
  let world: World;
  let proxy: TcpProxy | null = null;
  afterEach(async () => {
    await world?.close();
    await proxy?.close();
    proxy = null;
  });

  it('repeated kill -9 at random moments during a lead run loses nothing and posts nothing twice', async () => {
    world = await createWorld({ config: (c) => ({ ...c, sla: { acceptWithin: '30m', maxOffers: 2 } }) });
    const total = 150 * SCALE;
    const kills = 3;
    await world.startWorker();
    let created = 0;
    const started = Date.now();
    for (let k = 0; k < kills; k++) {
      for (let i = 0; i < total / (kills + 1); i++, created++)
        world.hubspot.control.createContact(mqlContact({ firstname: `K${created}` }));
      await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 1_500)));
      await world.stopWorker('SIGKILL');
      await world.startWorker();
    }
    while (created < total) world.hubspot.control.createContact(mqlContact({ firstname: `K${created++}` }));
    const recovering = Date.now();
    await waitForCount(`${total} cards`, () => allPostedCards(world).length, total);
    const figures = await assertExactlyOnce(world, total);
    const slackCalls = world.slack.control.calls().length;
    const hubspotCalls = world.hubspot.control.totalCalls();
    report('kill -9', {
      faults: kills,
      leads: total,
      ...figures,
      recoverMs: Date.now() - recovering,
      totalMs: Date.now() - started,
      slackCallsPerLead: (slackCalls / total).toFixed(2),
      hubspotCallsPerLead: (hubspotCalls / total).toFixed(3),
    });
  }, 300_000);

  it('kill -9 of the lease holder with hot leads open: every deadline fires after the restart, each lead escalated once', async () => {
    // One worker on SQLite holds the lease; a supervisor (here the test) restarts it at once. Hot lane: 4 s per
    // offer, two offers, then escalation.
    world = await createWorld({ config: (c) => ({ ...c, sla: { acceptWithin: '30m', maxOffers: 2 } }) });
    await world.startWorker();
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
      const killedAt = Date.now();
      await world.stopWorker('SIGKILL');
      await world.startWorker();
      const restartedMs = Date.now() - killedAt;
      const ids = await waitFor(
        'every hot lead escalated',
        async () => {
          const escalated = await hotHandoffs(store, 'escalated');
          return escalated.length === hot ? escalated : null;
        },
        120_000,
        100,
      );
      const { lateness, worst, escalations, timeouts } = await deadlineFigures(store, ids);
      expect(lateness.every((ms) => Number.isFinite(ms) && ms >= 0)).toBe(true);
      expect([...timeouts.values()]).toEqual(ids.map(() => 2));
      expect([...escalations.values()]).toEqual(ids.map(() => 1));
      report('kill -9 with hot leads open', {
        engine: 'sqlite',
        hotLeads: hot,
        deadlines: lateness.length,
        worstDeadlineLatenessMs: worst,
        restartMs: restartedMs,
        escalatedOnce: [...escalations.values()].filter((n) => n === 1).length,
      });
    } finally {
      await store.close();
    }
  }, 300_000);

  it.skipIf(postgresTestUrl() === null)(
    'a Postgres outage mid-run (connections cut and refused) is ridden out',
    async () => {
      const base = new URL(postgresTestUrl() as string);
      proxy = await startTcpProxy({ host: base.hostname, port: Number(base.port || 5432) });
      const p = proxy;
      world = await createWorld({
        engine: 'postgres',
        config: (c) => {
          const store = c.store as { url: string };
          const u = new URL(store.url);
          u.port = String(p.port);
          return { ...c, store: { url: u.toString() }, sla: { acceptWithin: '30m', maxOffers: 2 } };
        },
      });
      await world.startWorker();
      const total = 60;
      const lease = DEFAULT_JOB_LEASE_MS;
      for (let i = 0; i < total / 2; i++) world.hubspot.control.createContact(mqlContact());
      await waitFor('some cards', () => allPostedCards(world).length > 0, 20_000);
      // Slow HubSpot reads keep the webhook fetch jobs of the next leads claimed when the database goes away.
      world.hubspot.control.setFault({ kind: 'slow', delayMs: 1_500, count: 2, match: 'batch/read' });
      for (let i = 0; i < total / 4; i++) world.hubspot.control.createContact(mqlContact());
      const direct = await world.openStore(); // not through the proxy: it sees the jobs table during the outage
      let claimed: string[] = [];
      let recovery: { restored: number; claimedDoneMs: number; claimed: number; lease: number };
      try {
        claimed = await waitFor(
          'a claimed job',
          async () => {
            const rows = await direct.db.selectFrom('jobs').select('id').where('state', '=', 'running').execute();
            return rows.length > 0 ? rows.map((r) => String(r.id)) : null;
          },
          20_000,
          10,
        ).catch(() => []);
        p.cut();
        // What the worker had claimed when it lost the database (read again: a claim may have landed meanwhile).
        const atCut = await direct.db.selectFrom('jobs').select('id').where('state', '=', 'running').execute();
        claimed = [...new Set([...claimed, ...atCut.map((r) => String(r.id))])];
        for (let i = 0; i < total / 4; i++) world.hubspot.control.createContact(mqlContact());
        await new Promise((r) => setTimeout(r, 4_000 * SCALE)); // the outage lasts this long: the fault itself, not a wait for a result
        p.restore();
        const restored = Date.now();
        // Every job claimed before the outage runs to its end: its lease lapses (no heartbeat got through) and
        // it is claimed again, or its claimant settles it.
        await waitFor(
          'every job claimed before the outage settled',
          async () => {
            if (claimed.length === 0) return true;
            const rows = await direct.db
              .selectFrom('jobs')
              .select('state')
              .where('id', 'in', claimed.map(Number))
              .execute();
            return rows.every((r) => r.state === 'done' || r.state === 'dead');
          },
          60_000,
          50,
        );
        const claimedDoneMs = Date.now() - restored;
        recovery = { restored, claimedDoneMs, claimed: claimed.length, lease };
      } finally {
        await direct.close();
      }
      await waitForCount(`${total} cards`, () => allPostedCards(world).length, total).catch((err: unknown) => {
        console.log('exit', world.worker?.exitCode, 'cards', allPostedCards(world).length);
        console.log(
          world.output
            .slice(-8)
            .map((l) => l.slice(0, 400))
            .join('\n'),
        );
        throw err;
      });
      expect(world.worker?.exitCode ?? null).toBeNull();
      const figures = await assertExactlyOnce(world, total);
      report('postgres outage', {
        faults: 1,
        leads: total,
        ...figures,
        outageMs: 4_000 * SCALE,
        claimedAtCut: recovery.claimed,
        claimedJobsDoneMs: recovery.claimedDoneMs,
        leaseMs: recovery.lease,
        recoverMs: Date.now() - recovery.restored,
      });
      // Claimed jobs wait at most for their lease to lapse, then run: the figure is reported above against the
      // target lease + 5 s, not asserted (CI is a loaded 2-core machine). Asserted, with room for any load: none
      // waited for the 30-s job lease of before.
      expect(recovery.claimedDoneMs).toBeLessThan(OLD_JOB_LEASE_MS);
    },
    300_000,
  );

  it('Slack 5xx, a HubSpot 429 storm and slow HubSpot answers delay work but lose none of it', async () => {
    world = await createWorld({ config: (c) => ({ ...c, sla: { acceptWithin: '30m', maxOffers: 2 } }) });
    await world.startWorker();
    const total = 40;
    world.slack.control.fail({ count: 100_000, status: 503 });
    world.hubspot.control.setFault({
      kind: 'status',
      status: 429,
      count: 30,
      body: {
        status: 'error',
        message: 'You have reached your ten secondly limit.',
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
        correlationId: 'fault-suite',
      },
    });
    const ids: string[] = [];
    for (let i = 0; i < total; i++) ids.push(world.hubspot.control.createContact(mqlContact()));
    await new Promise((r) => setTimeout(r, 5_000 * SCALE)); // the Slack outage lasts this long
    world.slack.control.clearFaults();
    world.hubspot.control.setFault({ kind: 'slow', delayMs: 1_500, count: 5 });
    const restored = Date.now();
    await waitForCount(`${total} cards`, () => allPostedCards(world).length, total);
    // Accept them all: the write-backs go through, batched, after the slow answers.
    for (const user of REPS) {
      for (const card of liveCards(world.slack, user)) {
        await world.slack.control.clickButton({ user, channel: card.channel, ts: card.ts, actionId: 'handoff_accept' });
      }
    }
    await waitFor(
      'every contact written back',
      () => ids.every((id) => world.hubspot.control.getContact(id)?.properties.hs_lead_status === 'OPEN'),
      60_000,
      250,
    );
    const figures = await assertExactlyOnce(world, total);
    const store = await world.openStore();
    const decisions = await store.db
      .selectFrom('events')
      .select(['handoff_id'])
      .where('type', '=', 'accepted')
      .execute();
    await store.close();
    expect(decisions.length).toBe(total);
    expect(new Set(decisions.map((d) => d.handoff_id)).size).toBe(total);
    report('vendor outages', {
      faults: 3,
      leads: total,
      ...figures,
      decisions: decisions.length,
      recoverMs: Date.now() - restored,
    });
  }, 300_000);
});
