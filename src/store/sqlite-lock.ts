// One handoff process per SQLite file. The guard is an exclusive SQLite lock on a sidecar file
// (`<db>.lock`): the operating system drops it when the process ends, however it ends (kill -9
// included), so a crashed worker never leaves a stale lock behind. Connections in the same process
// are refused too, because SQLite tracks its file locks per process.
import Database from 'better-sqlite3';
import { AppError } from '../domain/errors.js';

/**
 * The lock connections this process holds. A lock is held until release() or the end of the process, whatever
 * else still refers to its store: better-sqlite3 closes a connection that is garbage-collected, and a store that
 * was opened but is no longer referenced (a script that opened it and went on waiting) lost its lock that way.
 */
const held = new Set<Database.Database>();

export interface ProcessLock {
  readonly path: string;
  release(): void;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/**
 * Takes the process lock for `dbFile` or throws AppError('store.locked') naming the file.
 * `displayName` is how the file is named in the message (the path as the user wrote it).
 */
export function acquireSqliteProcessLock(dbFile: string, displayName = dbFile): ProcessLock {
  const path = `${dbFile}.lock`;
  const lockDb = new Database(path);
  try {
    lockDb.pragma('busy_timeout = 0');
    lockDb.pragma('locking_mode = EXCLUSIVE');
    lockDb.pragma('journal_mode = MEMORY');
    // A write in EXCLUSIVE locking mode keeps the exclusive file lock until the connection closes.
    lockDb.exec('BEGIN EXCLUSIVE');
    lockDb.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, started_at INTEGER NOT NULL)');
    lockDb.exec('DELETE FROM holder');
    lockDb.prepare('INSERT INTO holder (pid, started_at) VALUES (?, ?)').run(process.pid, Date.now());
    lockDb.exec('COMMIT');
  } catch (err) {
    lockDb.close();
    if (isBusy(err)) {
      throw new AppError(
        'store.locked',
        `the store ${displayName} is in use by another handoff process (lock file ${path}); ` +
          'stop that process first, or use Postgres to run more than one replica',
        { cause: err },
      );
    }
    throw new AppError('store.unavailable', `cannot lock the store ${displayName} (${path})`, { cause: err });
  }
  held.add(lockDb);
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      held.delete(lockDb);
      lockDb.close();
    },
  };
}
