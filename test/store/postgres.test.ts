import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { SqlStore } from '../../src/store/index.js';
import { makeLead } from '../helpers/builders.js';
import {
  createPostgresTestSchema,
  emptyStore,
  POSTGRES_SKIP_NOTICE,
  postgresTestUrl,
  skipPostgres,
  withPostgresStore,
} from '../helpers/stores.js';
import { SCHEMA_INDEXES, SCHEMA_TABLES } from './schema-names.js';
import { storeContract } from './store.contract.js';

const skip = skipPostgres();
const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);

/** Rejects if `promise` takes longer than `ms` (a bound, not a sleep: it resolves as soon as the promise does). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe.skipIf(skip)(skip ? `postgres store (${POSTGRES_SKIP_NOTICE})` : 'postgres store', () => {
  // One schema for this file, emptied before each test; dropped at the end.
  let schema: Awaited<ReturnType<typeof createPostgresTestSchema>>;
  beforeAll(async () => {
    schema = await createPostgresTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  storeContract({
    async open() {
      const store = await openStore(schema.url, { maxConnections: 10 });
      await store.migrate();
      await emptyStore(store);
      return store;
    },
    close: (store) => store.close(),
  });

  describe('postgres specifics', () => {
    it('creates every table and the indexes the design names, in its own schema', async () => {
      await withPostgresStore(async (store, url) => {
        const name = new URL(url).searchParams.get('schema');
        const tables = await sql<{
          tablename: string;
        }>`select tablename from pg_tables where schemaname = ${name}`.execute(store.db);
        expect(tables.rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(SCHEMA_TABLES));
        const indexes = await sql<{
          indexname: string;
        }>`select indexname from pg_indexes where schemaname = ${name}`.execute(store.db);
        expect(indexes.rows.map((r) => r.indexname)).toEqual(
          expect.arrayContaining([...SCHEMA_INDEXES, 'handoffs_episode_key', 'jobs_idempotency_key_key']),
        );
        const types = await sql<{ column_name: string; data_type: string }>`
          select column_name, data_type from information_schema.columns
          where table_schema = ${name} and table_name = 'handoffs' and column_name in ('mql_at', 'due_at', 'hot')`.execute(
          store.db,
        );
        expect(Object.fromEntries(types.rows.map((r) => [r.column_name, r.data_type]))).toEqual({
          mql_at: 'bigint',
          due_at: 'bigint',
          hot: 'integer',
        });
      });
    });

    it('keeps schemas apart', async () => {
      await withPostgresStore(async (a) => {
        await withPostgresStore(async (b) => {
          await a.setCursor('hubspot', 'in-a', 1);
          expect(await b.getCursor('hubspot')).toBeNull();
          expect(await a.getCursor('hubspot')).toBe('in-a');
        });
      });
    });

    it('skips jobs another transaction has locked instead of waiting for them', async () => {
      await withPostgresStore(async (store, url) => {
        await store.enqueueJobs(
          ['locked', 'free-1', 'free-2'].map((key, i) => ({
            kind: 'k',
            payload: {},
            idempotencyKey: key,
            runAt: T0 + i,
          })),
          T0,
        );
        const client = new pg.Client({ connectionString: postgresTestUrl()! });
        await client.connect();
        try {
          await client.query(`set search_path = ${new URL(url).searchParams.get('schema')}`);
          await client.query('begin');
          await client.query(`select id from jobs where idempotency_key = 'locked' for update`);
          const claimed = await within(
            store.claimJobs({ now: T0 + 10, limit: 10, leaseMs: 1000, workerId: 'w' }),
            5000,
            'claimJobs',
          );
          expect(claimed.map((j) => j.idempotencyKey)).toEqual(['free-1', 'free-2']);
          await client.query('rollback');
          const rest = await store.claimJobs({ now: T0 + 10, limit: 10, leaseMs: 1000, workerId: 'w2' });
          expect(rest.map((j) => j.idempotencyKey)).toEqual(['locked']);
        } finally {
          await client.end();
        }
      });
    });

    it('lets exactly one of 20 accepts win across two replicas (two pools)', async () => {
      await withPostgresStore(async (first, url) => {
        const second = await openStore(url, { maxConnections: 10 });
        try {
          const { handoff } = await first.ingest({ lead: makeLead(), hot: false, imported: false }, T0);
          const offered = await first.applyChange(
            {
              handoffId: handoff.id,
              action: 'offer',
              expectVersion: 1,
              set: { repId: 'alice', offerCount: 1 },
              insertOffers: [
                {
                  repId: 'alice',
                  seq: 1,
                  state: 'open',
                  offeredAt: T0,
                  dueAt: T0 + 1000,
                  remindAt: null,
                  ownerMatch: false,
                  trace: null,
                },
              ],
              events: [],
            },
            T0,
          );
          if (!offered.ok) throw new Error('offer failed');
          const offerId = offered.offers[0]!.id;
          const stores: SqlStore[] = [first, second];
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              stores[i % 2]!.applyChange(
                {
                  handoffId: handoff.id,
                  action: 'accept',
                  expectVersion: 2,
                  set: { decidedBy: `r${i}` },
                  updateOffers: [{ id: offerId, expectState: 'open', set: { state: 'accepted' } }],
                  events: [{ type: 'accepted', actor: `r${i}` }],
                  jobs: [{ kind: 'crm', payload: { i }, idempotencyKey: `accept:${handoff.id}:${i}`, runAt: T0 }],
                },
                T0 + 1,
              ),
            ),
          );
          expect(results.filter((r) => r.ok)).toHaveLength(1);
          expect((await first.listEvents(handoff.id)).filter((e) => e.type === 'accepted')).toHaveLength(1);
          expect(await first.listJobs({ handoffId: handoff.id })).toHaveLength(1);
        } finally {
          await second.close();
        }
      });
    });

    it('reads BIGINT columns and counts as numbers', async () => {
      await withPostgresStore(async (store) => {
        const { handoff } = await store.ingest(
          { lead: makeLead({ mqlAt: 1_790_000_000_123 }), hot: false, imported: false },
          1_790_000_000_999,
        );
        const read = await store.getHandoff(handoff.id);
        expect(typeof read?.mqlAt).toBe('number');
        expect(read?.mqlAt).toBe(1_790_000_000_123);
        expect(await store.countJobs('pending')).toBe(0);
      });
    });

    it('says which server it could not reach, without the password', async () => {
      await expect(openStore('postgres://someone:s3cret@127.0.0.1:1/nowhere')).rejects.toMatchObject({
        code: 'store.unavailable',
        message: expect.stringMatching(
          /^cannot reach the Postgres store at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nowhere/,
        ),
      });
      await expect(openStore('postgres://someone:s3cret@127.0.0.1:1/nowhere')).rejects.not.toThrow(/s3cret/);
    });

    it('refuses a schema name it would have to quote', async () => {
      await expect(openStore(`${postgresTestUrl()!}?schema=Bad-Name`)).rejects.toMatchObject({ code: 'input.invalid' });
    });
  });
});
