// SQLite specifics: the file and its directory, pragmas, the schema, and one process per file.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { openStore, parseStoreUrl } from '../../src/store/index.js';
import type { SqlStore } from '../../src/store/index.js';
import { makeLead } from '../helpers/builders.js';
import { buildChild, exited, startChild } from './child-store.js';
import type { ChildBuild } from './child-store.js';
import { SCHEMA_INDEXES, SCHEMA_TABLES } from './schema-names.js';

let dir: string;
const opened: SqlStore[] = [];

async function open(url: string, options: Parameters<typeof openStore>[1] = {}): Promise<SqlStore> {
  const store = await openStore(url, options);
  opened.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'handoff-sqlite-'));
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sqlite store url', () => {
  it('parses file paths, absolute URLs and memory', () => {
    expect(parseStoreUrl('sqlite:./data/handoff.db')).toEqual({ kind: 'sqlite', path: './data/handoff.db' });
    expect(parseStoreUrl('sqlite:///var/lib/handoff.db')).toEqual({ kind: 'sqlite', path: '/var/lib/handoff.db' });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(parseStoreUrl('postgres://u@h:5432/db')).toEqual({ kind: 'postgres', url: 'postgres://u@h:5432/db' });
  });

  it('rejects what it does not support, naming store.url', () => {
    expect(() => parseStoreUrl('mysql://h/db')).toThrow(/store\.url: unsupported store "mysql"/);
    expect(() => parseStoreUrl('sqlite:')).toThrow(/store\.url: sqlite: needs a file path/);
  });
});

describe('sqlite store on a file', () => {
  it('creates the directory, and opens in WAL mode with foreign keys and a busy timeout', async () => {
    const store = await open('sqlite:./nested/deeper/handoff.db', { cwd: dir });
    expect(existsSync(join(dir, 'nested/deeper/handoff.db'))).toBe(true);
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
    expect(mode.rows[0]?.journal_mode).toBe('wal');
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
    expect(fk.rows[0]?.foreign_keys).toBe(1);
    const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(store.db);
    expect(busy.rows[0]?.timeout).toBe(5000);
  });

  it('creates every table and the indexes the design names', async () => {
    const store = await open(`sqlite:${join(dir, 'h.db')}`);
    await store.migrate();
    const tables = await sql<{
      name: string;
    }>`select name from sqlite_master where type = 'table' order by name`.execute(store.db);
    expect(tables.rows.map((r) => r.name)).toEqual(expect.arrayContaining(SCHEMA_TABLES));
    const indexes = await sql<{
      name: string;
      tbl_name: string;
    }>`select name, tbl_name from sqlite_master where type = 'index'`.execute(store.db);
    const names = indexes.rows.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(SCHEMA_INDEXES));
    // Unique constraints show up as automatic indexes.
    const unique = await sql<{ name: string; unique: number }>`pragma index_list('handoffs')`.execute(store.db);
    expect(unique.rows.some((r) => r.unique === 1 && r.name.startsWith('sqlite_autoindex_handoffs'))).toBe(true);
    const jobsUnique = await sql<{ name: string; unique: number }>`pragma index_list('jobs')`.execute(store.db);
    expect(jobsUnique.rows.some((r) => r.unique === 1 && r.name.startsWith('sqlite_autoindex_jobs'))).toBe(true);
  });

  it('keeps data across close and reopen', async () => {
    const url = `sqlite:${join(dir, 'h.db')}`;
    const first = await openStore(url);
    await first.migrate();
    const { handoff } = await first.ingest({ lead: makeLead(), hot: false, imported: false }, 1);
    await first.close();
    const second = await open(url);
    await second.migrate();
    expect(await second.getHandoff(handoff.id)).toEqual(handoff);
  });

  it('enforces foreign keys: no event for a hand-off that does not exist', async () => {
    const store = await open(`sqlite:${join(dir, 'h.db')}`);
    await store.migrate();
    await expect(store.appendEvent('missing', { type: 'x', actor: null }, 1)).rejects.toThrow(/FOREIGN KEY/);
  });

  it('lets memory stores live side by side', async () => {
    const a = await open('sqlite::memory:');
    const b = await open('sqlite::memory:');
    await a.migrate();
    await b.migrate();
    await a.setCursor('x', 'a', 1);
    expect(await b.getCursor('x')).toBeNull();
  });
});

describe('one handoff process per SQLite file', () => {
  let child: ChildBuild;
  beforeAll(() => {
    child = buildChild();
  });
  afterAll(() => {
    child.cleanup();
  });

  it('refuses a second store on the same file in this process, and frees the file on close', async () => {
    const file = join(dir, 'h.db');
    const first = await openStore(`sqlite:${file}`);
    const second = openStore(`sqlite:${file}`);
    await expect(second).rejects.toBeInstanceOf(AppError);
    await expect(second).rejects.toMatchObject({ code: 'store.locked' });
    await expect(second).rejects.toThrow(`the store ${file} is in use by another handoff process`);
    await first.close();
    const third = await open(`sqlite:${file}`);
    await third.migrate();
  });

  it('allows a non-exclusive reader beside the worker', async () => {
    const file = join(dir, 'h.db');
    const worker = await open(`sqlite:${file}`);
    await worker.migrate();
    await worker.setCursor('hubspot', '42', 1);
    const reader = await open(`sqlite:${file}`, { exclusive: false });
    expect(await reader.getCursor('hubspot')).toBe('42');
  });

  it('refuses to start a second process while one holds the file', async () => {
    const url = `sqlite:${join(dir, 'h.db')}`;
    const holder = await open(url);
    await holder.migrate();
    const { child: proc, firstLine } = await startChild(child, url);
    const result = JSON.parse(firstLine) as { code: string; message: string };
    expect(result.code).toBe('store.locked');
    expect(result.message).toContain(join(dir, 'h.db'));
    expect(result.message).toContain('another handoff process');
    expect((await exited(proc)).code).toBe(3);
  });

  it('is refused while another process holds the file, and free again after that process is killed -9', async () => {
    const url = `sqlite:${join(dir, 'h.db')}`;
    const { child: proc, firstLine } = await startChild(child, url);
    expect(firstLine).toBe('ready');
    try {
      await expect(openStore(url)).rejects.toMatchObject({ code: 'store.locked' });
    } finally {
      proc.kill('SIGKILL');
    }
    expect((await exited(proc)).signal).toBe('SIGKILL');
    const store = await open(url);
    await store.migrate();
    expect(await store.countJobs('pending')).toBe(0);
  });
});
