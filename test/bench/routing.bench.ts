// Benchmark: route time per lead with 20 and 100 reps in one round-robin team and 1,000 / 10,000 open offers
// already stored, before and after batch routing with load counters, on SQLite (a file) and on Postgres
// (DATABASE_URL / TEST_DATABASE_URL, in a throw-away schema) when configured.
//   before: one lead per routing, each reading every rep's load by scanning the offers (the queries the store
//           ran before 0003_rep_load_counters: open offers grouped by rep, offers since each rep's local day);
//   after:  the route jobs of a dispatch routed together (ROUTE_BATCH per pass), one read of the team's load
//           counters and ledger per pass, kept current in memory as each offer commits.
// Both include the offer's commit (offer row, events, jobs, ledger row, counters). Prints figures; asserts nothing.
// Run: `npm run build && node dist/test/bench/routing.bench.js`.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppDeps } from '../../src/app/deps.js';
import { ROUTE_BATCH } from '../../src/app/job-handlers.js';
import { routeHandoffs } from '../../src/app/offer-handoff.js';
import { planOffer, readRoutingBook, routeBatch, type RoutingStore } from '../../src/app/route-handoff.js';
import type { AppSettings } from '../../src/app/settings.js';
import { chunk } from '../../src/domain/chunk.js';
import type { Millis } from '../../src/domain/model.js';
import { silentLogger } from '../../src/ports/logger.js';
import { openStore, type SqlStore } from '../../src/store/index.js';
import { rebuildLoadCounters } from '../../src/store/migrations.js';
import { baseSettings } from '../helpers/app-harness.js';
import { makeLead, makeRep, makeTeam } from '../helpers/builders.js';
import { createPostgresTestSchema, postgresTestUrl } from '../helpers/stores.js';
import { percentile, runIfMain, stdoutLog, type BenchLog, type BenchRow } from './bench-kit.js';

const NOW = Date.UTC(2026, 10, 25, 15, 0);
const MIN = 60_000;
/** Leads routed per measurement. */
const LEADS = 200;

function settingsFor(reps: number): AppSettings {
  const ids = Array.from({ length: reps }, (_, i) => `rep-${String(i + 1).padStart(3, '0')}`);
  return baseSettings({
    reps: ids.map((id) => makeRep({ id })),
    teams: [makeTeam({ id: 'sales', members: ids })],
    routing: { ownerMatch: { enabled: false, skipFreeEmailDomains: true }, rules: [], fallback: { team: 'sales' } },
  });
}

/** Stores `open` hand-offs with one open offer each, spread over the reps and the last 20 hours, then counts them. */
async function seedOpenOffers(store: SqlStore, s: AppSettings, open: number): Promise<void> {
  const reps = s.reps.map((r) => r.id);
  await store.db.transaction().execute(async (tx) => {
    for (const part of chunk(
      Array.from({ length: open }, (_, i) => i),
      200,
    )) {
      const leads = part.map((i) => ({
        id: `seed-lead-${i}`,
        source: 'hubspot',
        external_id: `seed-${i}`,
        email: `seed-${i}@example.com`,
        first_name: 'Seed',
        last_name: String(i),
        fields: '{}',
        props: '{}',
        mql_at: NOW - (i % 1200) * MIN,
        modified_at: NOW - (i % 1200) * MIN,
        owner_id: null,
        record_url: null,
        created_at: NOW,
        updated_at: NOW,
      }));
      await tx.insertInto('leads').values(leads).execute();
      await tx
        .insertInto('handoffs')
        .values(
          part.map((i) => ({
            id: `seed-h-${i}`,
            lead_id: `seed-lead-${i}`,
            source: 'hubspot',
            external_id: `seed-${i}`,
            mql_at: NOW - (i % 1200) * MIN,
            state: 'offered',
            version: 2,
            hot: 0,
            imported: 0,
            email: `seed-${i}@example.com`,
            channel: null,
            campaign: null,
            team_id: 'sales',
            rep_id: reps[i % reps.length] as string,
            offer_count: 1,
            due_at: NOW + 60 * MIN,
            escalated_at: null,
            escalation_reason: null,
            decided_at: null,
            decided_by: null,
            reason_id: null,
            note: null,
            created_at: NOW,
            updated_at: NOW,
          })),
        )
        .execute();
      await tx
        .insertInto('offers')
        .values(
          part.map((i) => ({
            id: `seed-o-${i}`,
            handoff_id: `seed-h-${i}`,
            rep_id: reps[i % reps.length] as string,
            seq: 1,
            state: 'open',
            offered_at: NOW - (i % 1200) * MIN,
            due_at: NOW + 60 * MIN,
            remind_at: null,
            reminded_at: null,
            decided_at: null,
            slack_channel: null,
            slack_ts: null,
            owner_match: 0,
            trace: 'null',
          })),
        )
        .execute();
    }
  });
  await rebuildLoadCounters(store.db);
}

/** The reads routing made before the counters: every rep's load scanned from the offers. */
function scanningStore(store: SqlStore): RoutingStore {
  return {
    countOpenOffersByRep: async () => {
      const rows = await store.db
        .selectFrom('offers')
        .select(['rep_id', (eb) => eb.fn.countAll().as('n')])
        .where('state', '=', 'open')
        .groupBy('rep_id')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.rep_id, Number(r.n)]));
    },
    countOffersByRepSince: async (since: Record<string, Millis>) => {
      const counts: Record<string, number> = Object.fromEntries(Object.keys(since).map((r) => [r, 0]));
      for (const part of chunk(Object.entries(since), 100)) {
        const rows = await store.db
          .selectFrom('offers')
          .select(['rep_id', (eb) => eb.fn.countAll().as('n')])
          .where((eb) =>
            eb.or(part.map(([repId, at]) => eb.and([eb('rep_id', '=', repId), eb('offered_at', '>=', at)]))),
          )
          .groupBy('rep_id')
          .execute();
        for (const r of rows) counts[r.rep_id] = Number(r.n);
      }
      return counts;
    },
    getRepStatuses: () => store.getRepStatuses(),
    listOffers: (id) => store.listOffers(id),
    getRotationLedgers: (teams) => store.getRotationLedgers(teams),
    getIdentity: (repId, kind) => store.getIdentity(repId, kind),
  };
}

function deps(store: SqlStore, s: AppSettings, mode: 'before' | 'after'): AppDeps {
  const clock = { now: () => NOW };
  const routing = mode === 'before' ? scanningStore(store) : store;
  return {
    store,
    clock,
    settings: s,
    route: planOffer({ store: routing, settings: s, clock }),
    ...(mode === 'after' ? { routeBatch: routeBatch({ store, settings: s, clock }) } : {}),
    logger: silentLogger,
    newId: () => randomUUID(),
    deadlineFor: (_repId, from) => ({ dueAt: from + s.sla.acceptWithin, remindAt: null }),
  };
}

async function detected(store: SqlStore, tag: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const lead = makeLead({ externalId: `${tag}-${i}`, mqlAt: NOW - i, modifiedAt: NOW - i });
    ids.push((await store.ingest({ lead, hot: false, imported: false }, NOW)).handoff.id);
  }
  return ids;
}

/** Routes the hand-offs as the route handler would (one per routing before, ROUTE_BATCH per pass after); ms per lead. */
async function timeRouting(d: AppDeps, ids: string[], mode: 'before' | 'after'): Promise<number> {
  const size = mode === 'before' ? 1 : ROUTE_BATCH;
  const t0 = performance.now();
  let offered = 0;
  for (const batch of chunk(ids, size)) {
    for (const r of await routeHandoffs(d, batch)) if (r.kind === 'offered') offered += 1;
  }
  const elapsed = performance.now() - t0;
  if (offered !== ids.length) throw new Error(`${mode}: ${offered} of ${ids.length} leads offered`);
  return elapsed / ids.length;
}

/** Median time of one read of the team's state (loads, statuses, ledger) over 30 reads. */
async function timeRead(store: RoutingStore, s: AppSettings): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 31; i++) {
    const t0 = performance.now();
    await readRoutingBook(store, s, ['sales'], [], NOW);
    if (i > 0) times.push(performance.now() - t0);
  }
  return percentile(times, 50);
}

interface Figure {
  engine: string;
  reps: number;
  open: number;
  beforeMs: number;
  afterMs: number;
  readBeforeMs: number;
  readAfterMs: number;
}

async function measure(
  engine: string,
  open: () => Promise<{ store: SqlStore; close(): Promise<void> }>,
  log: BenchLog,
) {
  const figures: Figure[] = [];
  for (const reps of [20, 100]) {
    for (const openOffers of [1_000, 10_000]) {
      const target = await open();
      try {
        const s = settingsFor(reps);
        await seedOpenOffers(target.store, s, openOffers);
        const readBeforeMs = await timeRead(scanningStore(target.store), s);
        const readAfterMs = await timeRead(target.store, s);
        // A short warm-up of each path, then the timed leads.
        await timeRouting(deps(target.store, s, 'before'), await detected(target.store, 'warm-b', 10), 'before');
        await timeRouting(deps(target.store, s, 'after'), await detected(target.store, 'warm-a', 10), 'after');
        const beforeMs = await timeRouting(
          deps(target.store, s, 'before'),
          await detected(target.store, 'before', LEADS),
          'before',
        );
        const afterMs = await timeRouting(
          deps(target.store, s, 'after'),
          await detected(target.store, 'after', LEADS),
          'after',
        );
        figures.push({ engine, reps, open: openOffers, beforeMs, afterMs, readBeforeMs, readAfterMs });
        log(
          `routing, ${engine}, ${reps} reps, ${openOffers.toLocaleString('en')} open offers: ${beforeMs.toFixed(2)} ms/lead before, ${afterMs.toFixed(2)} ms/lead after (${(beforeMs / afterMs).toFixed(1)}×); one read of the team's state ${readBeforeMs.toFixed(2)} ms scanning, ${readAfterMs.toFixed(2)} ms from the counters`,
        );
      } finally {
        await target.close();
      }
    }
  }
  return figures;
}

export async function run(opts: { log?: BenchLog } = {}): Promise<BenchRow[]> {
  const log = opts.log ?? stdoutLog;
  const figures = await measure(
    'SQLite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'handoff-routing-bench-'));
      const store = await openStore(`sqlite:${join(dir, 'bench.db')}`);
      await store.migrate();
      return {
        store,
        async close() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    log,
  );
  if (postgresTestUrl() !== null) {
    figures.push(
      ...(await measure(
        'Postgres',
        async () => {
          const target = await createPostgresTestSchema();
          const store = await openStore(target.url);
          await store.migrate();
          return {
            store,
            async close() {
              await store.close();
              await target.drop();
            },
          };
        },
        log,
      )),
    );
  } else {
    log('routing bench: Postgres skipped (set DATABASE_URL or TEST_DATABASE_URL)');
  }
  return figures.map((f) => ({
    figure: `route one lead, ${f.engine}, ${f.reps} reps, ${f.open.toLocaleString('en')} open offers`,
    measured: `${f.afterMs.toFixed(2)} ms (before ${f.beforeMs.toFixed(2)} ms); state read ${f.readAfterMs.toFixed(2)} ms (before ${f.readBeforeMs.toFixed(2)} ms)`,
    budget: '(context)',
    ok: null,
    note: `test/bench/routing.bench.ts: ${LEADS} leads routed after a warm-up, commit included; before = one lead per routing with every rep's load scanned from the offers, after = ${ROUTE_BATCH} per pass over the load counters; state read = one read of the team's loads, away statuses and ledger (median of 30), which before was made for every lead and after once per pass`,
  }));
}

runIfMain(import.meta.url, 'routing', run);
