// Opening a store from its URL: `sqlite:PATH` (default `sqlite:./data/handoff.db`),
// `sqlite::memory:`, or `postgres://user@host:5432/db[?schema=name]`.
// The Postgres side (pg and its 30 modules) is loaded only when a postgres:// store is opened.
import { silentLogger, type Logger as StoreLogger } from '../ports/logger.js';
import { openSqliteStore, SQLITE_MEMORY } from './sqlite.js';
import type { SqlStore } from './sql-store.js';
import { parseStoreUrl } from './store-url.js';

export { createMemoryStore } from './memory-store.js';
export type { Logger as StoreLogger } from '../ports/logger.js';
export type { MigrationReport } from './migrations.js';
export type { SqlStore } from './sql-store.js';
export { describeStoreUrl, parseStoreUrl, redactUrl, type StoreTarget } from './store-url.js';

export const DEFAULT_STORE_URL = 'sqlite:./data/handoff.db';

export interface OpenStoreOptions {
  /** A pino-style logger (`debug/info/warn/error/child`); silent when absent. */
  logger?: StoreLogger;
  /** SQLite: directory relative paths are resolved against (default process.cwd()). */
  cwd?: string;
  /**
   * SQLite: take the one-process-per-file lock (default true). Only read-only tools that can run
   * beside a live worker should pass false.
   */
  exclusive?: boolean;
  /** Postgres: the schema to keep the tables in (overrides `?schema=` in the URL). */
  schema?: string;
  /** Postgres: pool size (default 10). */
  maxConnections?: number;
}

/** Opens (and does not migrate) the store at `url`. Call `migrate()` before use. */
export async function openStore(url: string = DEFAULT_STORE_URL, options: OpenStoreOptions = {}): Promise<SqlStore> {
  const logger = options.logger ?? silentLogger;
  const target = parseStoreUrl(url);
  if (target.kind === 'sqlite') {
    return openSqliteStore(target.path === SQLITE_MEMORY ? SQLITE_MEMORY : target.path, {
      logger,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.exclusive === undefined ? {} : { exclusive: options.exclusive }),
    });
  }
  const { openPostgresStore } = await import('./postgres.js');
  return openPostgresStore(target.url, {
    logger,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
  });
}
