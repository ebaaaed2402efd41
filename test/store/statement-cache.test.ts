// The prepared-statement cache the SQLite store runs its queries through: one statement per SQL text,
// never a statement that is still being iterated, the least recently used one dropped when full.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { withStatementCache } from '../../src/store/sqlite.js';
import { makeLead } from '../helpers/builders.js';
import { withSqliteStore } from '../helpers/stores.js';

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

function memory(): Database.Database {
  const db = new Database(':memory:');
  open.push(db);
  db.exec('create table t (n integer)');
  db.exec('insert into t values (1), (2), (3)');
  return db;
}

describe('statement cache', () => {
  it('hands out the same prepared statement for the same SQL, and answers as a fresh one would', () => {
    const cached = withStatementCache(memory());
    const a = cached.prepare('select n from t order by n');
    const b = cached.prepare('select n from t order by n');
    expect(b).toBe(a);
    expect(b.all()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(cached.prepare('select n from t where n = ?').get(2)).toEqual({ n: 2 });
    expect(cached.prepare('select n from t where n = ?').get(3)).toEqual({ n: 3 });
  });

  it('prepares another statement while the cached one is still being iterated', () => {
    const cached = withStatementCache(memory());
    const sqlText = 'select n from t order by n';
    const streaming = cached.prepare(sqlText);
    const rows = streaming.iterate();
    expect(rows.next().value).toEqual({ n: 1 });
    const second = cached.prepare(sqlText);
    expect(second).not.toBe(streaming);
    expect(second.all()).toHaveLength(3);
    expect([...rows]).toEqual([{ n: 2 }, { n: 3 }]);
    // Done iterating: the cached one is handed out again.
    expect(cached.prepare(sqlText)).toBe(streaming);
  });

  it('keeps at most `size` statements, dropping the least recently used', () => {
    const cached = withStatementCache(memory(), 2);
    const one = cached.prepare('select 1');
    const two = cached.prepare('select 2');
    expect(cached.prepare('select 1')).toBe(one); // now the most recent
    cached.prepare('select 3'); // evicts "select 2"
    expect(cached.prepare('select 1')).toBe(one);
    expect(cached.prepare('select 2')).not.toBe(two);
  });

  it('closing the store closes the connection', () => {
    const db = memory();
    withStatementCache(db).close();
    expect(db.open).toBe(false);
  });

  it('a store on it reads its own writes, statement after statement', async () => {
    await withSqliteStore(async (store) => {
      for (let i = 0; i < 3; i++) {
        const lead = makeLead({ externalId: `sc${i}`, email: `sc${i}@acme.example` });
        const now = Date.now();
        const { handoff } = await store.ingest(
          {
            lead,
            hot: false,
            imported: false,
            jobs: [{ kind: 'handoff.route', payload: {}, idempotencyKey: `route:sc${i}`, runAt: now }],
          },
          now,
        );
        expect((await store.getHandoff(handoff.id))?.leadId).toBe(handoff.leadId);
        expect(await store.countJobs('pending')).toBe(i + 1);
      }
    });
  });
});
