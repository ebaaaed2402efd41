// Postgres through a pg Pool. BIGINT and NUMERIC come back as JS numbers (all our times are epoch
// ms, well inside the safe-integer range). A `schema` (option or `?schema=` in the URL) puts the
// tables in their own schema through search_path, which is how tests isolate themselves.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { AppError } from '../domain/errors.js';
import type { Logger as StoreLogger } from '../ports/logger.js';
import type { Database as Schema } from './schema.js';
import { createSqlStore } from './sql-store.js';
import type { SqlStore } from './sql-store.js';
import { redactUrl } from './store-url.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresOpenOptions {
  logger: StoreLogger;
  schema?: string;
  /** Pool size (default 10). */
  maxConnections?: number;
}

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
  },
};

export function splitSchema(url: string): { url: string; schema: string | undefined } {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? undefined;
  u.searchParams.delete('schema');
  return { url: u.toString(), schema };
}

export async function openPostgresStore(url: string, options: PostgresOpenOptions): Promise<SqlStore> {
  const split = splitSchema(url);
  const schema = options.schema ?? split.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new AppError('input.invalid', `store schema "${schema}" must be lower-case letters, digits and underscores`);
  }
  const logger = options.logger.child({ component: 'store', dialect: 'postgres' });
  const pool = new pg.Pool({
    connectionString: split.url,
    max: options.maxConnections ?? 10,
    types: typeParsers,
    // jit=off: the metrics' wide aggregates (rollup sums, bucket counts) cost more to compile than to run.
    options: `-c jit=off${schema === undefined ? '' : ` -c search_path=${schema}`}`,
  });
  // A connection that dies (database restart, network cut) emits 'error' on its client, idle or in use.
  // Without a listener that would end the process; the query in flight fails on its own and is retried
  // by its loop. Log the message only: the error object carries the client and its connection settings.
  const onConnectionError = (err: Error): void => logger.warn({ reason: err.message }, 'Postgres connection lost');
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => {
    client.on('error', onConnectionError);
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  let tableSchema: string;
  try {
    if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    const row = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    tableSchema = schema ?? row.rows[0]?.schema ?? 'public';
  } catch (err) {
    await db.destroy().catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new AppError('store.unavailable', `cannot reach the Postgres store at ${redactUrl(split.url)}: ${reason}`, {
      cause: err,
    });
  }
  logger.debug({ url: redactUrl(split.url), schema: tableSchema }, 'store opened');
  return createSqlStore(db, { dialect: 'postgres', schema: tableSchema, logger });
}
