// `handoff rollup [--rebuild]` in-process over a SQLite file holding the golden dataset: it finds the
// rollups in step, notices when they are not, and a rebuild puts them right (and the numbers with them).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRollupCommand } from '../../src/cli/commands/rollup.js';
import { registerStatsCommand } from '../../src/cli/commands/stats.js';
import type { CliIo } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { openStore } from '../../src/store/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { seedGolden } from '../helpers/golden.js';

const CONFIG = `
store: { url: "sqlite:./handoff.db" }
source: { kind: hubspot }
hubspot: { token: "pat-test" }
reps:
  - { id: alice, name: Alice Martin, email: alice@example.com, timezone: UTC, hours: "24/7" }
teams:
  - { id: emea, members: [alice] }
routing: { rules: [], fallback: { team: emea } }
rejectionReasons:
  - { id: not_icp, label: Not our ideal customer }
  - { id: bad_timing, label: Bad timing, recycle: true }
  - { id: other, label: Other, noteRequired: true }
`;

let dir: string;

function run(args: string[]): Promise<CliRun> {
  return runCli(
    (program, io) => {
      registerRollupCommand(program, io);
      registerStatsCommand(program, io, () => Date.UTC(2026, 11, 31));
    },
    args,
    { cwd: dir },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'handoff-rollup-cli-'));
  await writeFile(path.join(dir, 'handoff.yaml'), CONFIG);
  const store = await openStore('sqlite:./handoff.db', { cwd: dir });
  await store.migrate();
  await seedGolden(store);
  await store.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('handoff rollup', () => {
  it('finds the rollups the store kept in step with the hand-offs', async () => {
    const r = await run(['rollup', '--json']);
    expect(r.code).toBe(0);
    const status = JSON.parse(r.out) as { dailyRows: number; weeklyRows: number; monthlyRows: number };
    expect(status).toMatchObject({ handoffs: 14, counted: 14, inStep: true, rebuilt: false });
    expect(status.monthlyRows).toBeGreaterThan(0);
    const text = await run(['rollup']);
    expect(text.out).toContain(
      `${status.dailyRows} daily rows, ${status.weeklyRows} weekly rows, ${status.monthlyRows} monthly rows`,
    );
  });

  it('says when they are out of step, and --rebuild puts them and the numbers right', async () => {
    const before = JSON.parse((await run(['stats', '--since', '90d', '--by', 'week', '--json'])).out) as unknown;
    const store = await openStore('sqlite:./handoff.db', { cwd: dir });
    await sql`delete from weekly_rollups where side = 'h'`.execute(store.db);
    await sql`delete from monthly_rollups where side = 'h'`.execute(store.db);
    await store.close();
    const stale = await run(['rollup']);
    expect(stale.out).toContain('OUT OF STEP');
    expect(stale.err).toContain('out of step');
    const rebuilt = await run(['rollup', '--rebuild', '--json']);
    expect(rebuilt.code).toBe(0);
    expect(JSON.parse(rebuilt.out)).toMatchObject({ handoffs: 14, counted: 14, inStep: true, rebuilt: true });
    const after = JSON.parse((await run(['stats', '--since', '90d', '--by', 'week', '--json'])).out) as unknown;
    expect(after).toEqual(before);
  });

  it('is listed in the program’s --help', async () => {
    let out = '';
    const io: CliIo = { out: (t) => void (out += t), err: () => undefined, env: {}, cwd: dir, isTty: false };
    await buildProgram(io)
      .parseAsync(['node', 'handoff', '--help'])
      .catch(() => undefined); // commander exits after printing help
    expect(out).toMatch(/\n\s+rollup \[options\]\s+check the rollups \(per day, week and month\)/);
  });
});
