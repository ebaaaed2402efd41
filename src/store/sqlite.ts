// SQLite through better-sqlite3: WAL, a busy timeout, foreign keys on, one process per file.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
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

/** Prepared statements kept per SQL text (most recently used last); beyond this the least recently used goes. */
const STATEMENT_CACHE = 300;

/**
 * Kysely prepares every query anew; preparing cost about a fifth of the worker's store time in a burst profile.
 * The same handful of queries run thousands of times, so their statements are kept and reused. Safe with one
 * connection: Kysely runs one query at a time on it (a streamed query holds the connection until it ends).
 */
function withStatementCache(raw: Database.Database): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => raw.close(),
    prepare(sqlText) {
      let stmt = cache.get(sqlText);
      if (stmt !== undefined) {
        cache.delete(sqlText);
      } else {
        stmt = raw.prepare(sqlText);
        if (cache.size >= STATEMENT_CACHE) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      cache.set(sqlText, stmt);
      return stmt;
    },
  };
}
