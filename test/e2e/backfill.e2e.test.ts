// History end to end, with the built CLI as a child process against the HubSpot emulator (HubSpot's limits: 5
// searches a second) and SQLite: `handoff backfill --since 90d` over a 25,000-contact history, killed halfway and
// run again, imports every MQL exactly once past the 10,000-result search cap; a third run adds nothing; `handoff
// stats` shows the historic MQL→SAL %; `handoff run` (startFrom: now) posts no card for any historic lead, not even
// one touched after the start, and posts one for a lead that becomes MQL afterwards. Prints the import figures
// (records/s, search calls per 1,000 records, peak memory of the backfill process).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { BIN, createWorld, liveCards, mqlContact, type World } from './helpers/world.js';
import { waitFor } from '../helpers/wait.js';

const DAY = 86_400_000;
const N = 25_000;
const SEARCH = 'POST /crm/v3/objects/contacts/search';

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  /** Highest resident set size seen while it ran (sampled from /proc every 50 ms), bytes. */
  peakRss: number;
  ms: number;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs the built CLI; `killWhen` is polled while it runs and SIGKILLs it once true. */
function cli(world: World, args: string[], killWhen?: () => Promise<boolean>): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args, '-c', world.configFile], {
    cwd: world.dir,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let peakRss = 0;
  child.stdout.on('data', (b: Buffer) => void (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => void (err += b.toString('utf8')));
  let checking = false;
  const timer = setInterval(() => {
    if (child.pid !== undefined) peakRss = Math.max(peakRss, rssOf(child.pid));
    if (!killWhen || checking || child.exitCode !== null) return;
    checking = true;
    void killWhen()
      .then((kill) => {
        if (kill) child.kill('SIGKILL');
      })
      .finally(() => {
        checking = false;
      });
  }, 50);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, out, err, peakRss, ms: Date.now() - started });
    });
  });
}

describe('backfill end to end (HubSpot, SQLite)', () => {
  let world: World;
  const now = Date.now();
  const expected = { accepted: 0, rejected: 0, open: 0 };
  const openIds: string[] = [];

  beforeAll(async () => {
    world = await createWorld({
      config: (base) => ({ ...base, source: { ...(base.source as object), startFrom: 'now' } }),
    });
    const seeds = [];
    for (let i = 0; i < N; i++) {
      const mqlAt = now - 89 * DAY + Math.floor(((i + 0.5) / N) * 88 * DAY);
      const kind = i % 4;
      if (kind === 0) expected.accepted += 1;
      else if (kind === 1) expected.rejected += 1;
      else expected.open += 1;
      seeds.push({
        properties: {
          email: `hist${i}@firm${i % 300}.example`,
          firstname: `Hist${i}`,
          lastname: 'Lead',
          lifecyclestage: kind === 0 ? 'salesqualifiedlead' : kind === 1 ? 'lead' : 'marketingqualifiedlead',
          hs_lead_status: kind === 1 ? 'UNQUALIFIED' : null,
          handoff_rejection_reason: kind === 1 && i % 8 === 1 ? 'not_icp' : null,
          hs_lifecyclestage_marketingqualifiedlead_date: new Date(mqlAt).toISOString(),
          hubspotscore: 50,
          lastmodifieddate: new Date(mqlAt + DAY).toISOString(),
        },
      });
    }
    const ids = world.hubspot.control.seedContacts(seeds);
    ids.forEach((id, i) => {
      if (i % 4 >= 2) openIds.push(id);
    });
    // Seeding notifies the (not yet running) worker's webhook URL; let those deliveries give up first.
    await world.hubspot.control.flushWebhooks();
    world.hubspot.control.resetCallCounts();
  }, 240_000);

  afterAll(async () => {
    await world?.close();
  });

  async function handoffCount(): Promise<number> {
    const store = await world.openStore();
    try {
      const r = await sql<{ n: number | string }>`select count(*) as n from handoffs`.execute(store.db);
      return Number(r.rows[0]?.n ?? 0);
    } catch {
      return 0; // the backfill has not created the tables yet
    } finally {
      await store.close();
    }
  }

  it('imports a 25,000-contact history exactly once although the first run is killed halfway', async () => {
    const killed = await cli(world, ['backfill', '--since', '90d'], async () => (await handoffCount()) >= N / 2);
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = await handoffCount();
    expect(afterKill).toBeGreaterThanOrEqual(N / 2);
    expect(afterKill).toBeLessThan(N);
    const searchesKilled = world.hubspot.control.callCounts()[SEARCH] ?? 0;

    const resumed = await cli(world, ['backfill', '--since', '90d', '--json']);
    expect(resumed.code, resumed.err).toBe(0);
    const summary = JSON.parse(resumed.out) as {
      created: number;
      read: number;
      resumed: boolean;
      complete: boolean;
      calls: number;
      skipped: { duplicate: number };
    };
    expect(summary).toMatchObject({ resumed: true, complete: true });
    expect(afterKill + summary.created).toBe(N);
    expect(await handoffCount()).toBe(N);
    const searches = world.hubspot.control.callCounts()[SEARCH] ?? 0;
    // both runs together: about one search per 200 contacts, plus the range splits and the page read twice
    expect(searches).toBeLessThanOrEqual(140);

    const again = await cli(world, ['backfill', '--since', '90d', '--json']);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ created: 0, read: 0, complete: true });
    expect(await handoffCount()).toBe(N);

    const records = afterKill + summary.read;
    const ms = killed.ms + resumed.ms;
    console.info(
      `[backfill e2e] ${N} contacts: killed run ${killed.ms} ms (${afterKill} stored, ${searchesKilled} searches), resumed run ${resumed.ms} ms ` +
        `(${summary.read} read, ${summary.created} stored, ${summary.calls} searches); ${Math.round((records * 1000) / ms)} records/s over both; ` +
        `${((searches * 1000) / N).toFixed(2)} search calls per 1,000 imported; peak RSS ${(killed.peakRss / 1e6).toFixed(0)} MB (killed run), ` +
        `${(resumed.peakRss / 1e6).toFixed(0)} MB (resumed run)`,
    );
  }, 300_000);

  it('shows the historic MQL→SAL % in stats', async () => {
    const r = await cli(world, ['stats', '--since', '90d', '--json']);
    expect(r.code, r.err).toBe(0);
    const total = (JSON.parse(r.out) as { total: Record<string, unknown> }).total;
    expect(total).toMatchObject({
      mqls: N,
      imported: N,
      sals: expected.accepted,
      rejected: expected.rejected,
      pending: expected.open,
      conversionPercent: 25,
    });
    const table = await cli(world, ['stats', '--since', '90d']);
    expect(table.out).toContain(`${N} (${N} imp.)`);
  }, 60_000);

  it('starts the worker without a card for any historic lead, and offers a lead that becomes MQL afterwards', async () => {
    await world.startWorker();
    await waitFor(
      'the first-run line',
      () => world.output.some((l) => l.includes('first run: live detection starts here')),
      20_000,
    );
    // a historic open MQL changes after the start: it is the same MQL episode, already imported
    const touched = openIds[openIds.length - 1] as string;
    world.hubspot.control.updateContact(touched, { hubspotscore: 99 });
    const fresh = world.hubspot.control.createContact(mqlContact({ firstname: 'Nova', lastname: 'Afterwards' }));
    const card = await waitFor(
      'a card for the new MQL',
      () => ['U0ALICE', 'U0BRUNO', 'U0CHEN'].flatMap((u) => liveCards(world.slack, u)).at(0),
      30_000,
    );
    expect(JSON.stringify(card.blocks)).toContain('Nova');
    // let the poller go round twice more after the card, then count: one card only
    const searches = (): number => world.hubspot.control.callCounts()[SEARCH] ?? 0;
    const before = searches();
    await waitFor('two more poll rounds', () => searches() >= before + 2, 30_000);
    const cards = ['U0ALICE', 'U0BRUNO', 'U0CHEN'].flatMap((u) => liveCards(world.slack, u));
    expect(cards).toHaveLength(1);
    const store = await world.openStore();
    try {
      const touchedRows = await store.findHandoffsByRecord('hubspot', touched);
      expect(touchedRows).toHaveLength(1);
      expect(touchedRows[0]).toMatchObject({ imported: true, state: 'detected', offerCount: 0 });
      const freshRows = await store.findHandoffsByRecord('hubspot', fresh);
      expect(freshRows[0]).toMatchObject({ imported: false, state: 'offered' });
    } finally {
      await store.close();
    }
  }, 120_000);
});
