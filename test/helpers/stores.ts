// Isolated stores for tests: a migrated SQLite store (in memory or in a temporary file), and a
// migrated Postgres store in a fresh schema of the database named by TEST_DATABASE_URL or
// DATABASE_URL (dropped again on close).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { openStore } from '../../src/store/index.js';
import type { SqlStore } from '../../src/store/index.js';
import { TABLES } from '../../src/store/schema.js';

/** The Postgres URL tests may use, or null when none is configured. */
export function postgresTestUrl(env: NodeJS.ProcessEnv = process.env): string | null {
  const url = env.TEST_DATABASE_URL ?? env.DATABASE_URL;
  return url === undefined || url.trim() === '' ? null : url.trim();
}

/** Suite name suffix and console notice for a Postgres suite that cannot run. */
export const POSTGRES_SKIP_NOTICE = 'SKIPPED: set DATABASE_URL or TEST_DATABASE_URL to run the Postgres store tests';

/** Prints the loud notice once per test file when Postgres is not configured; returns whether to skip. */
export function skipPostgres(): boolean {
  if (postgresTestUrl() !== null) return false;
  console.warn(`\n*** postgres store tests ${POSTGRES_SKIP_NOTICE} ***\n`);
  return true;
}

export interface TestStore {
  store: SqlStore;
  /** A URL that opens the same database (for a child process); for Postgres it carries `?schema=`. */
  url: string;
  /** Closes the store and removes what it created (the temp directory, the Postgres schema). */
  close(): Promise<void>;
}

/** A migrated SQLite store: `sqlite::memory:` by default, or a file in a fresh temp directory. */
export async function openSqliteTestStore(options: { file?: boolean } = {}): Promise<TestStore> {
  if (options.file !== true) {
    const store = await openStore('sqlite::memory:');
    await store.migrate();
    return { store, url: 'sqlite::memory:', close: () => store.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'handoff-store-'));
  const url = `sqlite:${join(dir, 'handoff.db')}`;
  const store = await openStore(url);
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    store,
    url,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new, empty Postgres schema; `url` points at it through `?schema=`. */
export async function createPostgresTestSchema(
  baseUrl?: string,
): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const base = baseUrl ?? postgresTestUrl();
  if (base === null) throw new Error(`Postgres is not configured: ${POSTGRES_SKIP_NOTICE}`);
  const schema = `handoff_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`create schema "${schema}"`);
  } finally {
    await client.end();
  }
  const u = new URL(base);
  u.searchParams.set('schema', schema);
  return {
    url: u.toString(),
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A migrated Postgres store in its own schema; close() drops the schema. */
export async function openPostgresTestStore(options: { maxConnections?: number } = {}): Promise<TestStore> {
  const target = await createPostgresTestSchema();
  let store: SqlStore;
  try {
    store = await openStore(
      target.url,
      options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections },
    );
    await store.migrate();
  } catch (err) {
    await target.drop();
    throw err;
  }
  return {
    store,
    url: target.url,
    async close() {
      await store.close();
      await target.drop();
    },
  };
}

/** Deletes every row (keeping the schema and its migrations), so one schema can serve many tests. */
export async function emptyStore(store: SqlStore): Promise<void> {
  if (store.dialect === 'postgres') {
    await sql`truncate table ${sql.join(TABLES.map((t) => sql.table(t)))} restart identity`.execute(store.db);
    return;
  }
  await store.db.transaction().execute(async (tx) => {
    for (const table of TABLES) await tx.deleteFrom(table).execute();
    await sql`delete from sqlite_sequence`.execute(tx);
  });
}

/** Runs `fn` with a fresh migrated SQLite store and closes it afterwards. */
export async function withSqliteStore<T>(
  fn: (store: SqlStore, url: string) => Promise<T>,
  options: { file?: boolean } = {},
): Promise<T> {
  const t = await openSqliteTestStore(options);
  try {
    return await fn(t.store, t.url);
  } finally {
    await t.close();
  }
}

/** Runs `fn` with a fresh migrated Postgres store in its own schema, dropped afterwards. */
export async function withPostgresStore<T>(fn: (store: SqlStore, url: string) => Promise<T>): Promise<T> {
  const t = await openPostgresTestStore();
  try {
    return await fn(t.store, t.url);
  } finally {
    await t.close();
  }
}
