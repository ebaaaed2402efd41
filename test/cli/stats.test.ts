// `handoff stats` and `handoff export` in-process over a SQLite file holding the golden dataset.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerExportCommand } from '../../src/cli/commands/export.js';
import { registerStatsCommand } from '../../src/cli/commands/stats.js';
import { openStore } from '../../src/store/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { seedGolden } from '../helpers/golden.js';

const CONFIG = `
store: { url: "sqlite:./handoff.db" }
source: { kind: hubspot }
hubspot: { token: "pat-test" }
reps:
  - { id: alice, name: Alice Martin, email: alice@example.com, timezone: UTC, hours: "24/7" }
  - { id: bruno, name: Bruno Keller, email: bruno@example.com, timezone: UTC, hours: "24/7" }
  - { id: carl, name: Carl Diaz, email: carl@example.com, timezone: UTC, hours: "24/7" }
teams:
  - { id: emea, members: [alice, bruno] }
  - { id: us, members: [carl] }
routing: { rules: [], fallback: { team: emea } }
rejectionReasons:
  - { id: not_icp, label: Not our ideal customer }
  - { id: bad_timing, label: Bad timing, recycle: true }
  - { id: other, label: Other, noteRequired: true }
`;

let dir: string;
let ids: Record<string, string>;

function run(args: string[]): Promise<CliRun> {
  const now = () => Date.UTC(2026, 10, 15, 0, 0);
  return runCli(
    (program, io) => {
      registerStatsCommand(program, io, now);
      registerExportCommand(program, io, now);
    },
    args,
    { cwd: dir },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'handoff-stats-cli-'));
  await writeFile(path.join(dir, 'handoff.yaml'), CONFIG);
  const store = await openStore('sqlite:./handoff.db', { cwd: dir });
  await store.migrate();
  ids = await seedGolden(store);
  await store.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MIN = 60_000;

describe('handoff stats', () => {
  it('prints the hand-computed numbers of the golden dataset as JSON', async () => {
    const r = await run(['stats', '--since', '2026-11-01', '--until', '2026-11-15', '--json', '-c', 'handoff.yaml']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      since: '2026-11-01T00:00:00.000Z',
      until: '2026-11-15T00:00:00.000Z',
      by: null,
      filter: {},
      total: {
        mqls: 12,
        imported: 2,
        sals: 4,
        conversionPercent: 33.3, // 4 / 12
        rejected: 4,
        rejectedPercent: 33.3,
        rejectedByReason: [
          { id: 'not_icp', label: 'Not our ideal customer', count: 2, percentOfMqls: 16.7 },
          { id: 'bad_timing', label: 'Bad timing', count: 1, percentOfMqls: 8.3 },
          { id: 'other', label: 'Other', count: 1, percentOfMqls: 8.3 },
        ],
        pending: 3,
        withdrawn: 1,
        escalated: 2,
        recycled: 1,
        timeouts: 2,
        speedToLead: { count: 3, p50Ms: 11 * MIN, p90Ms: 51 * MIN },
        responseTime: { count: 6, p50Ms: 10 * MIN, p90Ms: 40 * MIN },
        sla: { ended: 8, onTime: 5, compliancePercent: 62.5 }, // 5 / 8
      },
      groups: [],
    });
  });

  it('groups by rep and filters by team', async () => {
    const r = await run(['stats', '--since', '14d', '--by', 'rep', '--team', 'emea', '--json', '-c', 'handoff.yaml']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.since).toBe('2026-11-01T00:00:00.000Z');
    // emea: alice H1 H6 H11, bruno H2 H3 H7 (offers of H2 include alice's timed-out one)
    expect(
      json.groups.map((g: { key: string; mqls: number; sals: number; timeouts: number }) => [
        g.key,
        g.mqls,
        g.sals,
        g.timeouts,
      ]),
    ).toEqual([
      ['alice', 3, 1, 1],
      ['bruno', 3, 1, 0],
    ]);
    expect(json.total.mqls).toBe(6);
  });

  it('prints a readable table with the definitions', async () => {
    const r = await run([
      'stats',
      '--since',
      '2026-11-01',
      '--until',
      '2026-11-15',
      '--by',
      'week',
      '-c',
      'handoff.yaml',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2026-11-02\s+5\s+2\s+40\.0%/);
    expect(r.out).toMatch(/total\s+12 \(2 imp\.\)\s+4\s+33\.3%/);
    expect(r.out).toContain('Not our ideal customer (not_icp)');
    expect(r.out).toContain('MQL→SAL = accepted / all MQLs of the window');
  });

  it('refuses a bad group or window with exit code 2', async () => {
    expect((await run(['stats', '--by', 'colour', '-c', 'handoff.yaml'])).code).toBe(2);
    const bad = await run(['stats', '--since', 'yesterday', '-c', 'handoff.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--since: "yesterday"');
  });
});

describe('handoff export', () => {
  it('writes one RFC 4180 CSV row per hand-off with its offers', async () => {
    const r = await run(['export', '--since', '2026-11-01', '--until', '2026-11-15', '-c', 'handoff.yaml']);
    expect(r.code).toBe(0);
    expect(r.out.startsWith('\uFEFFhandoff_id,source_system,external_id,email')).toBe(true);
    const lines = r.out.split('\r\n');
    expect(lines).toHaveLength(1 + 12 + 1); // header, 12 hand-offs, the empty string after the last CRLF
    const h2 = lines.find((l) => l.startsWith(`${ids.H2},`))!;
    expect(h2).toContain(',ORGANIC,spring,false,false,2026-11-02T10:00:00.000Z,accepted,emea,bruno,2,');
    expect(h2).toContain(
      '1. alice offered 2026-11-02T10:01:00.000Z due 2026-11-02T10:31:00.000Z timed_out 2026-11-02T10:31:00.000Z | 2. bruno offered 2026-11-02T10:31:00.000Z due 2026-11-02T11:01:00.000Z accepted 2026-11-02T10:51:00.000Z',
    );
    expect(h2.endsWith(',3060,1200')).toBe(true); // 51 minutes MQL → accept; 20 minutes offer → decision
    const h3 = lines.find((l) => l.startsWith(`${ids.H3},`))!;
    expect(h3).toContain(',not_icp,Not our ideal customer,too small,');
  });

  it('writes the same hand-offs as a JSON array', async () => {
    const r = await run([
      'export',
      '--since',
      '2026-11-01',
      '--until',
      '2026-11-15',
      '--format',
      'json',
      '-c',
      'handoff.yaml',
    ]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out);
    expect(rows).toHaveLength(12);
    expect(rows[1]).toMatchObject({
      id: ids.H2,
      state: 'accepted',
      rep: 'bruno',
      speedToLeadMs: 51 * MIN,
      offers: [
        { rep: 'alice', outcome: 'timed_out' },
        { rep: 'bruno', outcome: 'accepted' },
      ],
    });
    expect(rows[8]).toMatchObject({ lastName: 'H9', imported: true, offers: [], speedToLeadMs: null });
  });
});
