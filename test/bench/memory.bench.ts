// Benchmark: resident memory of the idle worker with 100,000 hand-offs stored (SQLite). The store is filled directly
// (the rows a year of hand-offs leaves: lead snapshots, hand-offs in every state, their offers and audit events; 1% still
// open with deadlines days ahead, so the idle worker has nothing to do), then the built worker starts on it, polls and
// sweeps with nothing new, and its RSS is read from /proc/<pid>/status. An empty store is measured the same way for
// comparison. Budget (DESIGN §9): ≤ 150 MB. Prints figures; not an assertion.
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { openStore } from '../../src/store/index.js';
import { createBenchWorld, runIfMain, stdoutLog, type BenchLog, type BenchRow } from './bench-kit.js';

export interface MemoryOptions {
  handoffs?: number;
  /** How long the worker idles before and while RSS is sampled (default 8 s + 8 s). */
  settleMs?: number;
  sampleMs?: number;
  log?: BenchLog;
}

const DAY = 86_400_000;

/** Resident set size of a process in MB (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** VmRSS split as the kernel counts it (anonymous memory: heaps and native allocations; file: the node binary and
 * libraries as mapped), in MB (Linux). */
export function rssParts(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): string =>
    (Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN) / 1024).toFixed(0);
  return `RssAnon ${kb('RssAnon')} MB, RssFile ${kb('RssFile')} MB, threads ${/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? '?'}`;
}

/** Writes `count` hand-offs with their leads, offers and events into a migrated SQLite store, in the database itself. */
async function seed(url: string, count: number, reps: string[], now: number): Promise<number> {
  const store = await openStore(url);
  try {
    await store.migrate();
    const t0 = performance.now();
    const span = 365 * DAY;
    const step = Math.floor(span / count);
    const start = now - span;
    const repCase = sql.raw(`case (i % ${reps.length}) ${reps.map((r, k) => `when ${k} then '${r}'`).join(' ')} end`);
    const series = sql`with recursive s(i) as (select 1 union all select i + 1 from s where i < ${sql.lit(count)})`;
    const fields = `'{"title":"Head of Operations","company":"Company ' || (i % 997) || '","country":"DE","employees":250,"industry":"Software","score":' || (50 + i % 50) || ',"channel":"Organic Search","campaign":"camp' || (i % 40) || '"}'`;
    const props = `'{"email":"lead' || i || '@company' || (i % 997) || '.example","firstname":"Bench","lastname":"K' || i || '","lifecyclestage":"marketingqualifiedlead","hs_lead_status":"OPEN","hubspotscore":"' || (50 + i % 50) || '","company":"Company ' || (i % 997) || '","jobtitle":"Head of Operations"}'`;
    await sql`${series} insert into leads (id, source, external_id, email, first_name, last_name, fields, props, mql_at, modified_at, owner_id, record_url, created_at, updated_at)
      select 'l' || i, 'hubspot', 'c' || i, 'lead' || i || '@company' || (i % 997) || '.example', 'Bench', 'K' || i, ${sql.raw(fields)}, ${sql.raw(props)},
        ${sql.lit(start)} + i * ${sql.lit(step)}, ${sql.lit(start)} + i * ${sql.lit(step)}, null, null, ${sql.lit(start)} + i * ${sql.lit(step)}, ${sql.lit(start)} + i * ${sql.lit(step)}
      from s`.execute(store.db);
    // 1% open (offered, due in 3 days), otherwise accepted 60%, rejected 30%, withdrawn 9%.
    const state = sql.raw(
      `case when i % 100 = 0 then 'offered' when i % 10 < 6 then 'accepted' when i % 10 < 9 then 'rejected' else 'withdrawn' end`,
    );
    await sql`${series} insert into handoffs (id, lead_id, source, external_id, mql_at, state, version, hot, imported, email, channel, campaign, team_id, rep_id,
        offer_count, due_at, escalated_at, escalation_reason, decided_at, decided_by, reason_id, note, created_at, updated_at)
      select 'h' || i, 'l' || i, 'hubspot', 'c' || i, ${sql.lit(start)} + i * ${sql.lit(step)}, ${state}, 3, case when i % 10 = 0 then 1 else 0 end, 0,
        'lead' || i || '@company' || (i % 997) || '.example', 'Organic Search', 'camp' || (i % 40), 'bench', ${repCase}, 1,
        case when i % 100 = 0 then ${sql.lit(now + 3 * DAY)} else null end, null, null,
        case when i % 100 = 0 then null else ${sql.lit(start)} + i * ${sql.lit(step)} + 600000 end,
        case when i % 100 = 0 then null else ${repCase} end,
        case when i % 100 <> 0 and i % 10 >= 6 and i % 10 < 9 then 'not_icp' else null end, null,
        ${sql.lit(start)} + i * ${sql.lit(step)}, ${sql.lit(start)} + i * ${sql.lit(step)} + 600000
      from s`.execute(store.db);
    const offerState = sql.raw(
      `case when h.state = 'offered' then 'open' when h.state = 'withdrawn' then 'withdrawn' else h.state end`,
    );
    await sql`insert into offers (id, handoff_id, rep_id, seq, state, offered_at, due_at, remind_at, reminded_at, decided_at, slack_channel, slack_ts, owner_match, trace)
      select 'o' || h.id, h.id, h.rep_id, 1, ${offerState}, h.mql_at + 5000, coalesce(h.due_at, h.mql_at + 1805000), null, null, h.decided_at, 'D0BENCH', '1700000000.' || substr('000000' || h.id, -6, 6), 0,
        '{"rule":null,"team":"bench","strategy":"round-robin","skipped":[]}'
      from handoffs h`.execute(store.db);
    await sql`insert into events (handoff_id, at, type, actor, data) select id, mql_at, 'detected', null, '{}' from handoffs`.execute(
      store.db,
    );
    await sql`insert into events (handoff_id, at, type, actor, data) select id, mql_at + 5000, 'offered', null, '{"repId":"' || rep_id || '"}' from handoffs`.execute(
      store.db,
    );
    await sql`insert into events (handoff_id, at, type, actor, data) select id, decided_at, state, rep_id, '{}' from handoffs where decided_at is not null`.execute(
      store.db,
    );
    await sql`analyze`.execute(store.db);
    return performance.now() - t0;
  } finally {
    await store.close();
  }
}

async function idleRss(
  handoffs: number,
  options: Required<Pick<MemoryOptions, 'settleMs' | 'sampleMs'>>,
  log: BenchLog,
): Promise<{ maxMb: number; lastMb: number }> {
  const { world, reps } = await createBenchWorld({
    reps: 20,
    config: (c) => {
      const hubspot = { ...(c.hubspot as Record<string, unknown>) };
      delete hubspot.webhookSecret;
      return {
        ...c,
        hubspot,
        source: { ...(c.source as Record<string, unknown>), pollEvery: '30s', startFrom: 'now' },
      };
    },
  });
  try {
    if (handoffs > 0) {
      const seedMs = await seed(
        world.storeUrl,
        handoffs,
        reps.map((r) => r.id),
        Date.now(),
      );
      log(
        `memory: seeded ${handoffs.toLocaleString('en')} hand-offs (with leads, offers, events) in ${(seedMs / 1000).toFixed(1)} s`,
      );
    }
    await world.startWorker({ LOG_LEVEL: 'warn' });
    const pid = world.worker?.pid;
    if (pid === undefined) throw new Error('worker has no pid');
    await new Promise((r) => setTimeout(r, options.settleMs));
    const samples: number[] = [];
    const until = Date.now() + options.sampleMs;
    while (Date.now() < until) {
      samples.push(rssMb(pid));
      await new Promise((r) => setTimeout(r, 500));
    }
    const problems = world.output.filter((l) => /"level":(40|50|60)/.test(l));
    if (problems.length > 0)
      log(
        `memory: the worker logged ${problems.length} warnings/errors while idle, e.g. ${problems[0]?.slice(0, 300) ?? ''}`,
      );
    return { maxMb: Math.max(...samples), lastMb: samples[samples.length - 1] ?? Number.NaN };
  } finally {
    await world.close();
  }
}

export async function run(options: MemoryOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? stdoutLog;
  const handoffs = options.handoffs ?? 100_000;
  const timing = { settleMs: options.settleMs ?? 8_000, sampleMs: options.sampleMs ?? 8_000 };
  const empty = await idleRss(0, timing, log);
  const full = await idleRss(handoffs, timing, log);
  log(
    `memory: idle RSS, empty store ${empty.maxMb.toFixed(0)} MB; with ${handoffs.toLocaleString('en')} hand-offs ${full.maxMb.toFixed(0)} MB (last sample ${full.lastMb.toFixed(0)} MB)`,
  );
  return [
    {
      figure: `resident memory, idle, ${handoffs.toLocaleString('en')} hand-offs stored`,
      measured: `${full.maxMb.toFixed(0)} MB (empty store: ${empty.maxMb.toFixed(0)} MB)`,
      budget: '≤ 150 MB',
      ok: full.maxMb <= 150,
      note: `SQLite; the highest VmRSS of the worker process over ${timing.sampleMs / 1000} s of idling, after ${timing.settleMs / 1000} s to settle`,
    },
  ];
}

runIfMain(import.meta.url, 'memory', run);
