// Opening a store from its URL: `sqlite:PATH` (default `sqlite:./data/handoff.db`),
// `sqlite::memory:`, or `postgres://user@host:5432/db[?schema=name]`.
import { InputError } from '../domain/errors.js';
import { silentLogger, type Logger as StoreLogger } from '../ports/logger.js';
import { openPostgresStore, redactUrl } from './postgres.js';
import { openSqliteStore, SQLITE_MEMORY } from './sqlite.js';
import type { SqlStore } from './sql-store.js';

export { createMemoryStore } from './memory-store.js';
export type { Logger as StoreLogger } from '../ports/logger.js';
export type { MigrationReport } from './migrations.js';
export type { SqlStore } from './sql-store.js';

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

export type StoreTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Parses a store URL; throws InputError naming `store.url` when it is not one we support. */
export function parseStoreUrl(url: string): StoreTarget {
  const text = url.trim();
  if (text.startsWith('sqlite:')) {
    let path = text.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/file.db
    if (path === '')
      throw new InputError('config.invalid', ['store.url: sqlite: needs a file path (sqlite:./data/handoff.db)']);
    return { kind: 'sqlite', path };
  }
  if (text.startsWith('postgres://') || text.startsWith('postgresql://')) {
    try {
      new URL(text);
    } catch {
      throw new InputError('config.invalid', ['store.url: not a valid postgres:// URL']);
    }
    return { kind: 'postgres', url: text };
  }
  throw new InputError('config.invalid', [
    `store.url: unsupported store "${text.split(':')[0] ?? text}" (use sqlite:PATH, sqlite::memory: or postgres://…)`,
  ]);
}

/** How to name the store to a person: the SQLite path, or the Postgres URL without its password. */
export function describeStoreUrl(url: string): string {
  const target = parseStoreUrl(url);
  return target.kind === 'sqlite' ? `SQLite ${target.path}` : `Postgres ${redactUrl(target.url)}`;
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
  return openPostgresStore(target.url, {
    logger,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
  });
}
