// `handoff backfill` in-process: file imports with bad rows (exit 2, every line and field named, nothing stored),
// --skip-invalid, --dry-run, --json, argument errors, a CRM backfill through the command, and `stats` over a mixed
// live + imported cohort equal to a hand-computed answer on SQLite and Postgres.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backfillFromSource, importHistoryRecords } from '../../src/app/backfill.js';
import { ingestLeads } from '../../src/app/ingest-leads.js';
import { offerHandoff } from '../../src/app/offer-handoff.js';
import { recordDecision } from '../../src/app/record-decision.js';
import { computeStats } from '../../src/app/stats.js';
import { parseHistoryFile, registerBackfillCommand, type BackfillCliDeps } from '../../src/cli/commands/backfill.js';
import { registerStatsCommand } from '../../src/cli/commands/stats.js';
import { DEFAULT_HISTORY } from '../../src/config/schema.js';
import type { HistoryEpisode, HistorySource } from '../../src/ports/history-source.js';
import { silentLogger } from '../../src/ports/logger.js';
import type { Store } from '../../src/ports/store.js';
import { openStore } from '../../src/store/index.js';
import { metricsReaderFor } from '../../src/store/metrics-memory.js';
import { baseSettings, createHarness } from '../helpers/app-harness.js';
import { makeLead } from '../helpers/builders.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { openPostgresTestStore, openSqliteTestStore, postgresTestUrl, type TestStore } from '../helpers/stores.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const CONFIG = `
store: { url: "sqlite:./handoff.db" }
source: { kind: hubspot }
hubspot: { token: "\${HUBSPOT_TOKEN}" }
reps:
  - { id: alice, name: Alice Martin, email: alice@example.com, timezone: UTC, hours: "24/7" }
  - { id: bruno, name: Bruno Keller, email: bruno@example.com, timezone: UTC, hours: "24/7" }
teams:
  - { id: emea, members: [alice, bruno] }
routing: { rules: [], fallback: { team: emea } }
rejectionReasons:
  - { id: not_icp, label: Not our ideal customer }
  - { id: bad_timing, label: Bad timing, recycle: true }
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'handoff-backfill-cli-'));
  await writeFile(path.join(dir, 'handoff.yaml'), CONFIG);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await rm(path.join(dir, 'handoff.db'), { force: true });
  await rm(path.join(dir, 'handoff.db-wal'), { force: true });
  await rm(path.join(dir, 'handoff.db-shm'), { force: true });
});

function run(args: string[], deps: BackfillCliDeps = {}, isTty = false): Promise<CliRun> {
  return runCli(
    (program, io) => {
      registerBackfillCommand(program, io, { now: () => NOW, logger: silentLogger, ...deps });
      registerStatsCommand(program, io, () => NOW);
    },
    args,
    { cwd: dir, env: { HUBSPOT_TOKEN: 'pat-test' }, isTty },
  );
}

async function storedCount(): Promise<number> {
  const store = await openStore(`sqlite:${path.join(dir, 'handoff.db')}`, { exclusive: false });
  try {
    await store.migrate();
    return (await store.listHandoffsByMqlTime(0, Number.MAX_SAFE_INTEGER, 10_000)).length;
  } finally {
    await store.close();
  }
}

const GOOD_CSV = [
  'email,company,employees,mqlAt,outcome,reason,rep,props.hs_lead_status',
  'ana@acme.example,Acme,120,2026-10-01T10:00:00Z,accepted,,alice,OPEN',
  'ben@beta.example,Beta,40,2026-10-02T10:00:00Z,rejected,Bad timing,bruno,UNQUALIFIED',
  'cid@gamma.example,Gamma,,2026-10-03T10:00:00Z,,,,',
  'dee@delta.example,Delta,9,1791108000000,rejected,,,',
].join('\n');

describe('handoff backfill --from FILE', () => {
  it('refuses a CSV with bad rows: exit 2, each bad line and field named, nothing stored', async () => {
    const csv = [
      'email,employees,mqlAt,outcome,reason,rep',
      'ana@acme.example,120,2026-10-01T10:00:00Z,accepted,,alice',
      'not-an-email,many,yesterday,won,,zed',
      'ok@b.example,5,,rejected,too pricey,',
      'ok2@b.example,5,2026-10-04,accepted,not_icp,',
    ].join('\n');
    await writeFile(path.join(dir, 'bad.csv'), csv);
    const r = await run(['backfill', '--from', 'bad.csv']);
    expect(r.code).toBe(2);
    for (const expected of [
      'bad.csv line 3, field "email": not an email address',
      'bad.csv line 3, field "employees": expected a number, got "many"',
      'bad.csv line 3, field "mqlAt": expected an ISO time or epoch milliseconds, got "yesterday"',
      'bad.csv line 3, field "outcome": expected accepted, rejected or open, got "won"',
      'bad.csv line 3, field "rep": unknown rep "zed"',
      'bad.csv line 4, field "mqlAt": required',
      'bad.csv line 4, field "reason": unknown reason "too pricey" (use one of not_icp, bad_timing)',
      'bad.csv line 5, field "reason": a reason belongs to a rejected outcome only',
      'nothing was stored',
    ]) {
      expect(r.err).toContain(expected);
    }
    expect(r.err).not.toContain('line 2');
    expect(await storedCount()).toBe(0);
  });

  it('names the unknown column of a CSV header and the line of a bad JSON entry or field', async () => {
    await writeFile(path.join(dir, 'header.csv'), 'email,mqlAt,colour\na@b.example,2026-10-01,red\n');
    const h = await run(['backfill', '--from', 'header.csv']);
    expect(h.code).toBe(2);
    expect(h.err).toContain('header.csv line 1, field "colour": unknown field');
    const json = `[\n  { "email": "a@b.example", "mqlAt": "2026-10-01T00:00:00Z" },\n  {\n    "email": "c@d.example",\n    "outcome": "rejected",\n    "reason": "nope"\n  },\n  "x"\n]\n`;
    await writeFile(path.join(dir, 'bad.json'), json);
    const j = await run(['backfill', '--from', 'bad.json']);
    expect(j.code).toBe(2);
    expect(j.err).toContain('bad.json line 3, field "mqlAt": required');
    expect(j.err).toContain('bad.json line 6, field "reason": unknown reason "nope"');
    expect(j.err).toContain('bad.json line 8: entry 3 is not an object');
    expect(j.err).not.toContain('line 2');
  });

  it('imports the good rows with --skip-invalid and says how many it left out', async () => {
    await writeFile(path.join(dir, 'mixed.csv'), `${GOOD_CSV}\nbad@x.example,Bad,1,never,,,,\n`);
    const r = await run(['backfill', '--from', 'mixed.csv', '--skip-invalid']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('1 row(s) left out');
    expect(r.err).toContain('mixed.csv line 6, field "mqlAt"');
    expect(r.out).toContain('stored    4');
    expect(r.out).toContain('invalid   1 rows left out');
    expect(await storedCount()).toBe(4);
  });

  it('prints a JSON summary, stores nothing on --dry-run, and adds nothing when the same file comes again', async () => {
    await writeFile(path.join(dir, 'good.csv'), GOOD_CSV);
    const dry = await run(['backfill', '--from', 'good.csv', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.out)).toMatchObject({
      dryRun: true,
      read: 4,
      created: 4,
      outcomes: { accepted: 1, rejected: 2, open: 1 },
      rejectedByReason: { bad_timing: 1, unknown: 1 },
    });
    expect(await storedCount()).toBe(0);
    const first = await run(['backfill', '--from', 'good.csv', '--json']);
    expect(JSON.parse(first.out)).toMatchObject({ source: 'file', created: 4, from: '2026-10-01T10:00:00.000Z' });
    const again = await run(['backfill', '--from', 'good.csv', '--json']);
    expect(JSON.parse(again.out)).toMatchObject({ created: 0, skipped: { duplicate: 4 } });
    // stats shows the history: 4 MQLs, all imported, 1 SAL
    const stats = await run(['stats', '--since', '2026-09-30', '--json']);
    expect(JSON.parse(stats.out).total).toMatchObject({
      mqls: 4,
      imported: 4,
      sals: 1,
      rejected: 2,
      pending: 1,
      conversionPercent: 25,
    });
    const byRep = await run(['stats', '--since', '2026-09-30', '--by', 'rep', '--json']);
    expect(JSON.parse(byRep.out).groups.map((g: { key: string; mqls: number }) => [g.key, g.mqls])).toEqual([
      ['(none)', 2],
      ['alice', 1],
      ['bruno', 1],
    ]);
  });

  it('exits 2 on argument mistakes', async () => {
    expect((await run(['backfill'])).code).toBe(2);
    expect((await run(['backfill', '--since', '90d', '--from', 'good.csv'])).code).toBe(2);
    expect((await run(['backfill', '--since', '90d', '--skip-invalid'])).code).toBe(2);
    expect((await run(['backfill', '--since', 'soon'])).code).toBe(2);
    const missing = await run(['backfill', '--from', 'nope.csv']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope.csv: cannot read the file (ENOENT)');
  });
});

describe('handoff backfill --since (CRM)', () => {
  it('reads the period from UTC midnight 90 days back and prints the summary', async () => {
    const episodes: HistoryEpisode[] = [
      {
        lead: makeLead({ externalId: 'x1', mqlAt: NOW - 80 * DAY, props: { lifecyclestage: 'customer' } }),
        outcomeAt: null,
        evidence: 'mql-date',
        stillMql: false,
      },
      {
        lead: makeLead({
          externalId: 'x2',
          mqlAt: NOW - 10 * DAY,
          props: { lifecyclestage: 'marketingqualifiedlead' },
        }),
        outcomeAt: null,
        evidence: 'mql-date',
        stillMql: true,
      },
    ];
    const asked: Array<{ from: number; to: number }> = [];
    const source: HistorySource = {
      kind: 'hubspot',
      async *read(range) {
        asked.push(range);
        yield { episodes, cursor: JSON.stringify({ at: NOW - 10 * DAY }), estimatedTotal: 2, calls: 1 };
      },
    };
    const r = await run(['backfill', '--since', '90d'], { historySource: source }, true);
    expect(r.code).toBe(0);
    // on a terminal: a progress line on stderr (records read, stored, skipped, pace, ETA), cleared at the end
    const ESC = String.fromCharCode(27);
    const [line] = r.err.split(`${ESC}[K`);
    expect(line).toMatch(/^\rread 2 \/ ~2 · stored 2 · skipped 0( · [\d,]+\/s)?( · ETA .+)?$/);
    expect(r.err.endsWith('\r\u001b[K')).toBe(true);
    expect(asked).toEqual([{ from: Date.UTC(2026, 7, 27), to: NOW }]);
    expect(r.out).toContain('backfill from HubSpot: MQLs of 2026-08-27T00:00Z → 2026-11-25T12:00Z');
    expect(r.out).toContain('accepted 1 · rejected 0 · open 1');
    expect(r.out).toContain('never offered to reps');
    const again = await run(['backfill', '--since', '90d', '--json'], { historySource: source });
    expect(JSON.parse(again.out)).toMatchObject({ read: 0, created: 0, complete: true, resumed: true });
    expect(await storedCount()).toBe(2);
  });
});

describe('parseHistoryFile', () => {
  it('keys rows without a record id by email and keeps the file line for the audit trail', () => {
    const f = parseHistoryFile(GOOD_CSV, 'good.csv', {
      rejectionReasons: baseSettings().reasons,
      reps: baseSettings().reps,
      sourceKind: 'salesforce',
    });
    expect(f.problems).toEqual([]);
    expect(
      f.rows.map((r) => [
        r.line,
        r.record.lead.externalId,
        r.record.lead.source,
        r.record.outcome.state,
        r.record.repId,
      ]),
    ).toEqual([
      [2, 'email:ana@acme.example', 'salesforce', 'accepted', 'alice'],
      [3, 'email:ben@beta.example', 'salesforce', 'rejected', 'bruno'],
      [4, 'email:cid@gamma.example', 'salesforce', 'open', null],
      [5, 'email:dee@delta.example', 'salesforce', 'rejected', null],
    ]);
    expect(f.rows[0]?.record.lead).toMatchObject({
      fields: { company: 'Acme', employees: 120 },
      props: { hs_lead_status: 'OPEN' },
      mqlAt: Date.parse('2026-10-01T10:00:00Z'),
    });
    expect(f.rows[0]?.record.origin).toEqual({ from: 'file', file: 'good.csv', line: 2 });
  });
});

// ---- stats over a mixed live + imported cohort -----------------------------------------------------------------

async function mixedCohort(store: Store): Promise<void> {
  const h = createHarness(store, baseSettings(), NOW - 5 * DAY);
  // live: 3 MQLs, one accepted after 20 minutes, one rejected (not_icp), one still offered
  const live = [0, 1, 2].map((i) =>
    makeLead({ externalId: `live${i}`, mqlAt: NOW - 5 * DAY + i * 60_000, modifiedAt: NOW - 5 * DAY }),
  );
  const { handoffIds } = await ingestLeads(h.deps, live);
  const offers = [];
  for (const id of handoffIds) {
    const r = await offerHandoff(h.deps, id);
    if (r.kind !== 'offered') throw new Error(`not offered: ${r.kind}`);
    offers.push(r.offer);
  }
  h.clock.advance(20 * 60_000);
  await recordDecision(h.deps, { offerId: offers[0]!.id, actorId: offers[0]!.repId, decision: 'accept' });
  await recordDecision(h.deps, {
    offerId: offers[1]!.id,
    actorId: offers[1]!.repId,
    decision: 'reject',
    reasonId: 'not_icp',
  });
  // history: 5 MQLs — 2 accepted, 1 rejected (bad_timing), 1 rejected (unknown), 1 open
  const ep = (i: number, props: Record<string, string>): HistoryEpisode => ({
    lead: makeLead({ externalId: `past${i}`, mqlAt: NOW - 40 * DAY + i * DAY, modifiedAt: NOW - 30 * DAY, props }),
    outcomeAt: null,
    evidence: 'mql-date',
    stillMql: false,
  });
  const source: HistorySource = {
    kind: 'hubspot',
    async *read() {
      yield {
        episodes: [
          ep(1, { lifecyclestage: 'customer' }),
          ep(2, { lifecyclestage: 'marketingqualifiedlead', hs_lead_status: 'IN_PROGRESS' }),
          ep(3, {
            lifecyclestage: 'marketingqualifiedlead',
            hs_lead_status: 'UNQUALIFIED',
            handoff_rejection_reason: 'bad_timing',
          }),
          ep(4, { lifecyclestage: 'lead', hs_lead_status: 'BAD_TIMING' }),
          ep(5, { lifecyclestage: 'marketingqualifiedlead', hs_lead_status: 'NEW' }),
        ],
        cursor: '{"at":0}',
        estimatedTotal: 5,
        calls: 1,
      };
    },
  };
  const deps = { store, clock: { now: () => NOW }, logger: silentLogger, settings: baseSettings() };
  await backfillFromSource(deps, source, { range: { from: NOW - 90 * DAY, to: NOW }, rules: DEFAULT_HISTORY.hubspot });
  // one file row, accepted by alice
  await importHistoryRecords(deps, [
    {
      lead: makeLead({ externalId: 'file1', mqlAt: NOW - 20 * DAY, modifiedAt: NOW - 20 * DAY }),
      outcome: { state: 'accepted' },
      outcomeAt: null,
      repId: 'alice',
      origin: { from: 'file' },
    },
  ]);
}

const engines: Array<['sqlite' | 'postgres', () => Promise<TestStore>]> = [
  ['sqlite', () => openSqliteTestStore({ file: true })],
];
if (postgresTestUrl() !== null) engines.push(['postgres', () => openPostgresTestStore()]);

for (const [engine, open] of engines) {
  describe(`stats over live and imported hand-offs (${engine})`, () => {
    let ts: TestStore | null = null;
    afterEach(async () => {
      await ts?.close();
      ts = null;
    });

    it('counts history in MQLs and MQL→SAL %, and only live hand-offs in the timings', async () => {
      ts = await open();
      await mixedCohort(ts.store);
      const report = await computeStats(metricsReaderFor(ts.store), {
        since: NOW - 90 * DAY,
        until: NOW,
        reasons: baseSettings().reasons,
      });
      // hand-computed: 9 MQLs (3 live + 5 backfilled + 1 file), 6 imported; SALs 1 live + 2 + 1 = 4; rejected 1 + 2 = 3;
      // pending: 1 live offered + 1 imported open = 2; speed-to-lead and response time over the live ones only.
      expect(report.total).toMatchObject({
        mqls: 9,
        imported: 6,
        sals: 4,
        rejected: 3,
        pending: 2,
        withdrawn: 0,
        conversionPercent: 44.4,
        speedToLead: { count: 1 },
        responseTime: { count: 2 },
        sla: { ended: 2, onTime: 2 },
      });
      expect(Object.fromEntries(report.total.rejectedByReason.map((r) => [r.id, r.count]))).toEqual({
        not_icp: 1,
        bad_timing: 1,
        unknown: 1,
      });
    });
  });
}
