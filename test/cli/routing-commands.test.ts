// simulate, backtest and explain, run in-process through a commander program with a fake CliIo.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planOffer } from '../../src/app/route-handoff.js';
import { registerBacktestCommand } from '../../src/cli/commands/backtest.js';
import { registerExplainCommand } from '../../src/cli/commands/explain.js';
import { registerSimulateCommand } from '../../src/cli/commands/simulate.js';
import { loadConfig } from '../../src/config/index.js';
import type { Lead } from '../../src/domain/model.js';
import { openStore } from '../../src/store/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/leads');
const CONFIG = path.join(FIXTURES, 'routing.yaml');
const AT = '2026-11-25T10:00:00Z';

function run(args: string[], env: NodeJS.ProcessEnv = {}, cwd = FIXTURES): Promise<CliRun> {
  return runCli(
    (program, io) => {
      registerSimulateCommand(program, io);
      registerBacktestCommand(program, io);
      registerExplainCommand(program, io);
    },
    args,
    { cwd, env },
  );
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'handoff-routing-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('handoff simulate', () => {
  it('routes a JSON lead file and prints a trace for every lead', async () => {
    const r = await run(['simulate', 'leads.json', '-c', CONFIG, '--json', '--at', AT]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('HUBSPOT_TOKEN not set; not needed for routing, placeholders used');
    const json = JSON.parse(r.out);
    expect(json.leads.map((l: any) => [l.line, l.rule, l.team, l.rep, l.hot])).toEqual([
      [2, 'Enterprise', 'enterprise', 'erin', false],
      [3, 'EMEA', 'emea', 'alice', true],
      [4, 'EMEA', 'emea', 'bruno', false],
      [5, null, 'global', 'gus', false],
      [6, 'Enterprise', 'enterprise', 'erin', false],
      [7, null, 'global', 'gail', false],
    ]);
    for (const l of json.leads) expect(l.trace).toMatchObject({ version: 1, ownerMatch: { status: 'skipped' } });
    // erin's perDay of 2 is used up by the sixth lead, which falls to the fallback team
    expect(json.leads[5].trace.teams[0].candidates[0]).toMatchObject({ repId: 'erin', skip: 'at_capacity_day' });
    expect(json.leads[1].dueAt).toBe('2026-11-25T10:05:00.000Z');
    expect(json.leads[0].dueAt).toBe('2026-11-25T10:30:00.000Z');
    const s = json.summary;
    expect(s).toMatchObject({ total: 6, offered: 6, unroutable: 0, hot: 1 });
    expect(s.byRep).toEqual({ alice: 1, bruno: 1, erin: 2, gus: 1, gail: 1, gene: 0 });
    expect(s.byRule).toEqual({ Enterprise: 2, EMEA: 2, '(fallback)': 2 });
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    expect(sum(s.byRep) + s.unroutable).toBe(s.total);
    expect(sum(s.byRule)).toBe(s.total);
    expect(sum(s.byTeam) + s.unroutable).toBe(s.total);
  });

  it('reads CSV with quoted commas, quotes and line breaks, and prints tables', async () => {
    const r = await run(['simulate', 'leads.csv', '-c', CONFIG, '--at', AT], { HUBSPOT_TOKEN: 'x' });
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^line\s+lead\s+rule\s+team\s+rep\s+hot\s+due$/);
    expect(lines[1]).toMatch(/^2\s+ana@bigcorp\.com\s+Enterprise\s+enterprise\s+erin\s+2026-11-25 10:30Z$/);
    expect(lines[2]).toMatch(/^3\s+jo@klein\.de\s+EMEA\s+emea\s+alice\s+hot\s+2026-11-25 10:05Z$/);
    expect(lines[4]).toMatch(/^5\s+sam@acme\.io\s+\(fallback\)\s+global\s+gus\s+/);
    expect(r.out).toContain('4 leads: 4 offered, 0 unroutable, 1 hot');
    expect(r.out).toMatch(/Per rep\nrep\s+leads\s+share\n/);
    expect(r.out).toMatch(/erin\s+1\s+25\.0%/);

    const json = JSON.parse(
      (await run(['simulate', 'leads.csv', '-c', CONFIG, '--json', '--at', AT], { HUBSPOT_TOKEN: 'x' })).out,
    );
    expect(json.leads.map((l: any) => l.trace.rules.at(-1)?.detail ?? null)).toEqual([
      'employees 5000 ≥ 1000',
      'country "DE" in ["DE", "FR", "GB"]',
      'country "FR" in ["DE", "FR", "GB"]',
      'country "US" in ["DE", "FR", "GB"]',
    ]);
  });

  it.each([
    [
      'bad-field.json',
      ['leads line 4, field "employes": unknown field', 'line 5, field "employees": expected a number, got "many"'],
    ],
    ['bad-syntax.json', ['bad-syntax.json line 3: broken JSON: unexpected "}"']],
    ['bad-type.csv', ['bad-type.csv line 3, field "employees": expected a number, got "lots"']],
    [
      'bad-line.csv',
      [
        'bad-line.csv line 3: broken CSV: text after the closing quote of column 2',
        'bad-line.csv line 4: broken CSV: 2 values, the header has 3',
      ],
    ],
    ['bad-header.csv', ['bad-header.csv line 1, field "contry": unknown field']],
  ])('rejects %s with exit 2 naming the line and field', async (file, messages) => {
    const r = await run(['simulate', file, '-c', CONFIG, '--at', AT]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('bad input:');
    for (const m of messages) expect(r.err).toContain(m.replace(/^leads /, `${file} `));
  });

  it('rejects a missing file and a bad --at with exit 2', async () => {
    const missing = await run(['simulate', 'nope.json', '-c', CONFIG]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope.json: cannot read the file (ENOENT)');
    const at = await run(['simulate', 'leads.json', '-c', CONFIG, '--at', 'tomorrow-ish']);
    expect(at.code).toBe(2);
    expect(at.err).toContain('--at: "tomorrow-ish" is not an ISO time');
  });

  it('gives a 3:2:1 weighted team shares within ±2% over 10,000 generated leads', async () => {
    const countries = ['US', 'CA', 'BR', 'JP', 'AU'];
    const leads = Array.from({ length: 10_000 }, (_, i) => ({
      email: `lead${i}@company${i % 97}.com`,
      country: countries[i % countries.length],
      employees: (i * 37) % 900,
      score: (i * 13) % 89,
    }));
    const file = path.join(dir, 'ten-thousand.json');
    await writeFile(file, JSON.stringify(leads));
    const r = await run(['simulate', file, '-c', CONFIG, '--json', '--at', AT], { HUBSPOT_TOKEN: 'x' });
    expect(r.code).toBe(0);
    const { summary, leads: routed } = JSON.parse(r.out);
    expect(routed).toHaveLength(10_000);
    expect(summary.total).toBe(10_000);
    expect(summary.byTeam).toEqual({ global: 10_000 });
    const shares = {
      gus: summary.byRep.gus / 10_000,
      gail: summary.byRep.gail / 10_000,
      gene: summary.byRep.gene / 10_000,
    };
    console.log(
      `3:2:1 weighted team over 10,000 simulated leads: gus ${(shares.gus * 100).toFixed(2)}% (target 50.00%), ` +
        `gail ${(shares.gail * 100).toFixed(2)}% (33.33%), gene ${(shares.gene * 100).toFixed(2)}% (16.67%)`,
    );
    expect(Math.abs(shares.gus - 3 / 6)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(shares.gail - 2 / 6)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(shares.gene - 1 / 6)).toBeLessThanOrEqual(0.02);
  });
});

// ---- commands over a real SQLite store ------------------------------------------------------------

async function storeConfig(name: string): Promise<{ file: string; url: string }> {
  const url = `sqlite:${path.join(dir, `${name}.db`)}`;
  const text = (await readFile(CONFIG, 'utf8')).replace('sqlite:./data/handoff.db', url);
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, text);
  return { file, url };
}

const ENV = { HUBSPOT_TOKEN: 'pat-test' };

function lead(n: number, overrides: Partial<Lead> = {}): Lead {
  const at = Date.now() - (100 - n) * 3_600_000;
  return {
    source: 'hubspot',
    externalId: `c-${n}`,
    email: `lead${n}@example.org`,
    firstName: `Lead${n}`,
    lastName: 'Test',
    fields: { country: 'DE', employees: 50 },
    props: {},
    mqlAt: at,
    modifiedAt: at,
    ownerId: null,
    recordUrl: null,
    ...overrides,
  };
}

describe('handoff explain', () => {
  it('prints the routing trace and the timeline of a hand-off, by id and by email', async () => {
    const { file, url } = await storeConfig('explain');
    const { config } = await loadConfig({ file, env: ENV, cwd: dir });
    const store = await openStore(url);
    let id: string;
    try {
      await store.migrate();
      const l = lead(1, { email: 'jo@klein.de', firstName: 'Jo', lastName: 'Klein' });
      const { handoff } = await store.ingest(
        { lead: l, hot: false, imported: false, events: [{ type: 'detected', actor: null }] },
        l.mqlAt,
      );
      id = handoff.id;
      const route = planOffer({
        store,
        settings: {
          reps: config.reps,
          teams: config.teams,
          routing: config.routing,
          sla: config.sla,
          hot: config.source.hot,
        },
        clock: { now: () => l.mqlAt },
      });
      const plan = await route(handoff, l);
      if (plan.kind !== 'offer') throw new Error('expected an offer');
      const changed = await store.applyChange(
        {
          handoffId: handoff.id,
          action: 'offer',
          expectVersion: handoff.version,
          set: { repId: plan.repId, teamId: plan.teamId, offerCount: 1, dueAt: plan.dueAt },
          insertOffers: [
            {
              repId: plan.repId,
              seq: 1,
              state: 'open',
              offeredAt: l.mqlAt,
              dueAt: plan.dueAt,
              remindAt: plan.remindAt,
              ownerMatch: false,
              trace: plan.trace,
            },
          ],
          events: [{ type: 'offered', actor: null, data: { repId: plan.repId } }],
          rotation: plan.rotation,
          expectLedger: plan.expectLedger,
        },
        l.mqlAt,
      );
      expect(changed.ok).toBe(true);
    } finally {
      await store.close();
    }

    const byId = await run(['explain', id, '-c', file], ENV, dir);
    expect(byId.code).toBe(0);
    expect(byId.out).toContain(`hand-off ${id}: Jo Klein <jo@klein.de>`);
    expect(byId.out).toContain('offer 1 → alice: open');
    expect(byId.out).toContain('✗ Enterprise → enterprise: employees 50 ≥ 1000');
    expect(byId.out).toContain('✓ EMEA → emea: country "DE" in ["DE", "FR", "GB"]');
    expect(byId.out).toMatch(/→ alice: eligible/);
    expect(byId.out).toMatch(/ {3}bruno: eligible/);
    expect(byId.out).toContain('deadline: 30m of working time (normal lane, Europe/Berlin)');
    expect(byId.out).toMatch(/timeline:\n.*detected\n.*offered {2}repId=alice/);

    const byEmail = await run(['explain', 'JO@klein.de', '-c', file, '--json'], ENV, dir);
    expect(byEmail.code).toBe(0);
    const json = JSON.parse(byEmail.out);
    expect(json.handoff.id).toBe(id);
    expect(json.offers[0].trace).toMatchObject({ version: 1, chosen: { repId: 'alice', rule: 'EMEA' } });
    expect(json.events.map((e: any) => e.type)).toEqual(['detected', 'offered']);

    // no connector secrets needed to read the store
    const noSecrets = await run(['explain', id, '-c', file], {}, dir);
    expect(noSecrets.code).toBe(0);
    expect(noSecrets.err).toContain('HUBSPOT_TOKEN not set; not needed for routing');
    expect(noSecrets.out).toBe(byId.out);

    const none = await run(['explain', 'nobody@nowhere.test', '-c', file], ENV, dir);
    expect(none.code).toBe(2);
    expect(none.err).toContain('no hand-off with id or lead email "nobody@nowhere.test"');
  });
});

describe('handoff backtest', () => {
  it('compares actual and would-be routing per team and rep', async () => {
    const { file, url } = await storeConfig('backtest');
    const store = await openStore(url);
    try {
      await store.migrate();
      // 10 EMEA leads all went to alice; 2 US leads went to gus (one by owner match); 1 imported, never offered
      const seed = async (
        n: number,
        repId: string | null,
        teamId: string | null,
        overrides: Partial<Lead> = {},
        ownerMatch = false,
      ) => {
        const l = lead(n, overrides);
        const { handoff } = await store.ingest({ lead: l, hot: false, imported: repId === null }, l.mqlAt);
        if (repId === null) return;
        const r = await store.applyChange(
          {
            handoffId: handoff.id,
            action: 'offer',
            expectVersion: handoff.version,
            set: { repId, teamId, offerCount: 1, dueAt: l.mqlAt + 1_800_000 },
            insertOffers: [
              {
                repId,
                seq: 1,
                state: 'open',
                offeredAt: l.mqlAt,
                dueAt: l.mqlAt + 1_800_000,
                remindAt: null,
                ownerMatch,
                trace: {},
              },
            ],
            events: [],
          },
          l.mqlAt,
        );
        expect(r.ok).toBe(true);
      };
      for (let n = 1; n <= 10; n++) await seed(n, 'alice', 'emea');
      await seed(11, 'gus', 'global', { fields: { country: 'US' } });
      await seed(12, 'gus', 'global', { fields: { country: 'US' } }, true);
      await seed(13, null, null, { fields: { country: 'US' } });
      // outside the window
      await seed(-2000, 'alice', 'emea');
    } finally {
      await store.close();
    }

    const r = await run(['backtest', '--since', '30d', '-c', file, '--json'], ENV, dir);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ total: 13, compared: 11, ownerMatched: 1, neverOffered: 1, unroutable: 0 });
    const rep = (id: string) => report.reps.find((x: any) => x.id === id);
    expect(rep('alice')).toEqual({ id: 'alice', actual: 10, wouldBe: 5 });
    expect(rep('bruno')).toEqual({ id: 'bruno', actual: 0, wouldBe: 5 });
    expect(rep('gus')).toEqual({ id: 'gus', actual: 2, wouldBe: 1 });
    // the weighted global team (3:2:1) takes the three US leads in pass order: gus, gail, gene
    expect(rep('gus').wouldBe + rep('gail').wouldBe + rep('gene').wouldBe).toBe(3);
    expect(report.teams.find((t: any) => t.id === 'emea')).toEqual({ id: 'emea', actual: 10, wouldBe: 10 });
    // alice keeps 5 of her 10 (the odd ones); lead 11 (gus) stays with gus under the weighted rotation
    expect(report.moved).toBe(5);
    expect(report.movedShare).toBeCloseTo(5 / 11, 5);

    const text = await run(['backtest', '-c', file], ENV, dir);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/alice\s+10\s+5\s+-5/);
    expect(text.out).toContain('would move: 5 of 11 routed leads (45.5%)');

    // a store URL from an unset variable is never replaced by a stand-in
    const envUrl = path.join(dir, 'env-url.yaml');
    await writeFile(envUrl, (await readFile(file, 'utf8')).replace(url, '${HANDOFF_TEST_STORE_URL}'));
    const unset = await run(['backtest', '-c', envUrl], ENV, dir);
    expect(unset.code).toBe(2);
    expect(unset.err).toContain('HANDOFF_TEST_STORE_URL (used at store.url)');

    const bad = await run(['backtest', '--since', 'a while', '-c', file], ENV, dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--since: "a while" is not a duration');
  });
});
