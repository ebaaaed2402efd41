// SQLite through better-sqlite3: WAL, a busy timeout, foreign keys on, one process per file.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { AppError } from '../domain/errors.js';
import type { Logger as StoreLogger } from '../ports/logger.js';
import type { Database as Schema } from './schema.js';
import { acquireSqliteProcessLock } from './sqlite-lock.js';
import type { ProcessLock } from './sqlite-lock.js';
import { createSqlStore } from './sql-store.js';
import type { SqlStore } from './sql-store.js';

export const SQLITE_MEMORY = ':memory:';

export interface SqliteOpenOptions {
  logger: StoreLogger;
  /** Directory a relative path is resolved against (default: the process's working directory). */
  cwd?: string;
  /** Take the one-process-per-file lock (default true). Read-only tools may pass false. */
  exclusive?: boolean;
  /** How long a statement waits for a lock held by another connection, in ms. */
  busyTimeoutMs?: number;
}

export function openSqliteStore(target: string, options: SqliteOpenOptions): SqlStore {
  const logger = options.logger.child({ component: 'store', dialect: 'sqlite' });
  const memory = target === SQLITE_MEMORY;
  const file = memory ? SQLITE_MEMORY : resolve(options.cwd ?? process.cwd(), target);
  let lock: ProcessLock | null = null;
  let raw: Database.Database;
  try {
    if (!memory) {
      mkdirSync(dirname(file), { recursive: true });
      if (options.exclusive !== false) lock = acquireSqliteProcessLock(file, target);
    }
    raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    raw.pragma('foreign_keys = ON');
    raw.pragma('synchronous = NORMAL');
  } catch (err) {
    lock?.release();
    if (err instanceof AppError) throw err;
    throw new AppError('store.unavailable', `cannot open the SQLite store ${target}`, { cause: err });
  }
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  logger.debug({ file }, 'store opened');
  const heldLock = lock;
  return createSqlStore(db, {
    dialect: 'sqlite',
    logger,
    onClose: () => heldLock?.release(),
  });
}

/** Prepared statements kept per connection: the store's queries are a small set of shapes (IN lists vary). */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * The connection as Kysely sees it, with its prepared statements reused by SQL text. Kysely prepares every
 * query it runs; on a busy worker compiling the same few hundred statements again and again took a fifth
 * of the CPU (a 10,000-lead drain: ~3,000 prepares per second). The least recently used statement goes
 * once the cache is full; a statement still being iterated (a streamed query) is never handed out twice.
 */
export function withStatementCache(
  raw: Database.Database,
  size = STATEMENT_CACHE_SIZE,
): Pick<Database.Database, 'prepare' | 'close'> {
  const cache = new Map<string, Database.Statement>();
  return {
    prepare(source: string) {
      const cached = cache.get(source);
      if (cached !== undefined && !cached.busy) {
        // Most recently used last: Map keeps insertion order.
        cache.delete(source);
        cache.set(source, cached);
        return cached;
      }
      const stmt = raw.prepare(source);
      if (cached === undefined) {
        if (cache.size >= size) {
          const oldest = cache.keys().next();
          if (oldest.done !== true) cache.delete(oldest.value);
        }
        cache.set(source, stmt);
      }
      return stmt;
    },
    close() {
      cache.clear();
      raw.close();
    },
  } as Pick<Database.Database, 'prepare' | 'close'>;
}
