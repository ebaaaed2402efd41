// The per-rep load counters and ledger versions on the SQL engines: rebuilt from the offers by the
// migration for a store that existed before them, and exact after old slots are pruned.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewOffer } from '../../src/ports/store.js';
import type { SqlStore } from '../../src/store/index.js';
import { MIGRATION_TABLE } from '../../src/store/migrations.js';
import { makeLead } from '../helpers/builders.js';
import {
  openPostgresTestStore,
  openSqliteTestStore,
  POSTGRES_SKIP_NOTICE,
  skipPostgres,
  type TestStore,
} from '../helpers/stores.js';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

const skipPg = skipPostgres();
const engines: { name: string; open: () => Promise<TestStore>; skip: boolean }[] = [
  { name: 'sqlite', open: () => openSqliteTestStore({ file: true }), skip: false },
  {
    name: skipPg ? `postgres (${POSTGRES_SKIP_NOTICE})` : 'postgres',
    open: () => openPostgresTestStore(),
    skip: skipPg,
  },
];

let seq = 0;

/** A hand-off offered to `repId` at `at`; `then` decides the offer ('open' leaves it open). */
async function offer(store: SqlStore, repId: string, at: number, then: 'open' | 'accepted' | 'rejected' = 'open') {
  seq += 1;
  const { handoff } = await store.ingest(
    { lead: makeLead({ externalId: `lc-${seq}`, mqlAt: at, modifiedAt: at }), hot: false, imported: false },
    at,
  );
  const o: NewOffer = {
    repId,
    seq: 1,
    state: 'open',
    offeredAt: at,
    dueAt: at + 30 * MIN,
    remindAt: null,
    ownerMatch: false,
    trace: null,
  };
  const r = await store.applyChange(
    {
      handoffId: handoff.id,
      action: 'offer',
      expectVersion: 1,
      set: { repId, offerCount: 1 },
      insertOffers: [o],
      events: [],
    },
    at,
  );
  if (!r.ok) throw new Error('offer failed');
  if (then === 'open') return;
  const decided = await store.applyChange(
    {
      handoffId: handoff.id,
      action: then === 'accepted' ? 'accept' : 'reject',
      expectVersion: r.handoff.version,
      set: {},
      updateOffers: [{ id: r.offers[0]!.id, expectState: 'open', set: { state: then, decidedAt: at } }],
      events: [],
    },
    at,
  );
  if (!decided.ok) throw new Error('decision failed');
}

/** Open offers and offers since `since` per rep, counted from the offers table. */
async function scan(store: SqlStore, since: Record<string, number>) {
  const rows = await store.db.selectFrom('offers').select(['rep_id', 'state', 'offered_at']).execute();
  const open: Record<string, number> = {};
  const today: Record<string, number> = Object.fromEntries(Object.keys(since).map((r) => [r, 0]));
  for (const row of rows) {
    if (row.state === 'open') open[row.rep_id] = (open[row.rep_id] ?? 0) + 1;
    const from = since[row.rep_id];
    if (from !== undefined && Number(row.offered_at) >= from) today[row.rep_id] = (today[row.rep_id] ?? 0) + 1;
  }
  return { open, today };
}

describe.each(engines)('load counters on $name', ({ open, skip }) => {
  let t: TestStore | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it.skipIf(skip)('are rebuilt from the offers by 0003_rep_load_counters for a store that predates them', async () => {
    t = await open();
    const store = t.store;
    await offer(store, 'alice', T0 - DAY);
    await offer(store, 'alice', T0, 'accepted');
    await offer(store, 'alice', T0 + 5 * MIN);
    await offer(store, 'bob', T0 + 20 * MIN, 'rejected');
    await offer(store, 'bob', T0 + 16 * MIN);
    await store.putRotation([{ teamId: 'emea', repId: 'alice', pass: 2, served: 2, lastServedAt: T0 }]);
    // Back to the schema before the migration: no counter tables, the migration not recorded.
    for (const table of ['rep_load', 'rep_offer_slots', 'rotation_ledgers'])
      await store.db.schema.dropTable(table).execute();
    await sql`delete from ${sql.table(MIGRATION_TABLE)} where name = ${'0003_rep_load_counters'}`.execute(store.db);

    const report = await store.migrateWithReport({ allowUnordered: true });
    expect(report.applied).toEqual(['0003_rep_load_counters']);
    const since = { alice: T0, bob: T0 + 15 * MIN, carol: T0 };
    const expected = await scan(store, since);
    expect(expected).toEqual({ open: { alice: 2, bob: 1 }, today: { alice: 2, bob: 2, carol: 0 } });
    expect(await store.countOpenOffersByRep()).toEqual(expected.open);
    expect(await store.countOffersByRepSince(since)).toEqual(expected.today);
    expect((await store.getRotationLedgers(['emea', 'us'])).map((l) => [l.teamId, l.version])).toEqual([
      ['emea', 1],
      ['us', 0],
    ]);
    // And they keep counting from there.
    await offer(store, 'carol', T0 + 30 * MIN);
    expect(await store.countOffersByRepSince(since)).toEqual({ ...expected.today, carol: 1 });
  });

  it.skipIf(skip)('prune old slots and still answer exactly for a moment before the pruned ones', async () => {
    t = await open();
    const store = t.store;
    await offer(store, 'alice', T0);
    await offer(store, 'alice', T0 + 10 * MIN);
    await offer(store, 'alice', T0 + 3 * DAY);
    const slots = await store.db.selectFrom('rep_offer_slots').select('slot').where('rep_id', '=', 'alice').execute();
    expect(slots.map((s) => Number(s.slot))).toEqual([T0 + 3 * DAY]);
    // T0 is a slot boundary, but its slots are gone: the count comes from the offers.
    expect(await store.countOffersByRepSince({ alice: T0 })).toEqual({ alice: 3 });
    expect(await store.countOffersByRepSince({ alice: T0 + 3 * DAY - 15 * MIN })).toEqual({ alice: 1 });
    expect(await store.countOpenOffersByRep(['alice'])).toEqual({ alice: 3 });
  });
});
