// `handoff migrate`: opens the store named by the config, applies what is missing, says what it did.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerMigrateCommand } from '../../src/cli/commands/migrate.js';
import type { CliIo } from '../../src/cli/context.js';
import { openStore } from '../../src/store/index.js';
import { createPostgresTestSchema, skipPostgres } from '../helpers/stores.js';

function run(args: string[], storeUrl: string, cwd: string) {
  let out = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (out += t), env: {}, cwd, isTty: false };
  const asked: { config?: string }[] = [];
  const program = new Command().exitOverride();
  registerMigrateCommand(program, io, {
    loadStoreUrl: (opts) => {
      asked.push(opts);
      return Promise.resolve(storeUrl);
    },
  });
  return program.parseAsync(args, { from: 'user' }).then(() => ({ out, asked }));
}

describe('handoff migrate on SQLite', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-migrate-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the migrations once, then reports the schema up to date', async () => {
    const first = await run(['migrate', '-c', 'ops/handoff.yaml'], 'sqlite:./data/handoff.db', dir);
    expect(first.asked).toEqual([{ config: 'ops/handoff.yaml' }]);
    expect(first.out).toBe(
      'SQLite ./data/handoff.db: applied 3 migrations:\n  0001_initial_schema\n  0002_metrics_indexes\n  0005_daily_rollups\n',
    );
    const second = await run(['migrate'], 'sqlite:./data/handoff.db', dir);
    expect(second.asked).toEqual([{}]);
    expect(second.out).toBe('SQLite ./data/handoff.db: schema is up to date (3 migrations applied earlier)\n');
    // The store it left behind is usable (and not locked any more).
    const store = await openStore('sqlite:./data/handoff.db', { cwd: dir });
    try {
      expect(await store.countJobs('pending')).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('refuses to migrate underneath a running worker', async () => {
    const worker = await openStore('sqlite:./h.db', { cwd: dir });
    try {
      await expect(run(['migrate'], 'sqlite:./h.db', dir)).rejects.toMatchObject({ code: 'store.locked' });
    } finally {
      await worker.close();
    }
  });
});

const skip = skipPostgres();
describe.skipIf(skip)(
  skip ? 'handoff migrate on Postgres (SKIPPED: set DATABASE_URL)' : 'handoff migrate on Postgres',
  () => {
    it('applies the migrations to the configured database, hiding the password', async () => {
      const target = await createPostgresTestSchema();
      try {
        const url = new URL(target.url);
        // With trust auth the password is ignored by the server; it must never be printed.
        if (url.password === '' && url.username !== '') url.password = 'not-needed-with-trust-auth';
        const secret = url.password;
        const { out } = await run(['migrate'], url.toString(), process.cwd());
        expect(out).toContain(
          'applied 3 migrations:\n  0001_initial_schema\n  0002_metrics_indexes\n  0005_daily_rollups\n',
        );
        if (secret !== '') {
          expect(out).toContain(':***@');
          expect(out).not.toContain(secret);
        }
        expect((await run(['migrate'], target.url, process.cwd())).out).toContain('schema is up to date');
      } finally {
        await target.drop();
      }
    });
  },
);
