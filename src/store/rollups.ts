// Rollups: per-day (and, for long windows, per-week and per-month) aggregates of the hand-off numbers,
// so `stats`, the dashboard and /metrics read a few thousand summed rows instead of a million hand-offs.
//
// One row per period start × side × team × rep × source (channel) × campaign × hot × rejection reason:
//   side 'h' — hand-off numbers (rep = the hand-off's rep): MQLs, imported, SALs, rejected, pending,
//              withdrawn, escalated, and the speed-to-lead histogram (speedToLeadMs of src/domain/metrics.ts);
//   side 'o' — offer numbers of live hand-offs (rep = the offered rep): timeouts, ended, on time, and
//              the response-time histogram (offer → decision).
// Empty group values are stored as '' (read back as NO_GROUP). The period is the UTC day (daily_rollups),
// the Monday-based week (weekly_rollups) or the UTC calendar month (monthly_rollups) of the hand-off's
// MQL time: a hand-off never changes cohort.
//
// Maintenance is transactional: the store calls trackRollups() before it changes a hand-off and
// commit() after, in the same transaction; the contribution of the hand-off (and its offers) before the
// change is subtracted and the one after added. rebuildRollups() recomputes the three tables from the
// rows (`handoff rollup --rebuild`, migrations 0005_daily_rollups, 0008_rollup_rep_source and
// 0009_monthly_rollups).
import { CompiledQuery, sql } from 'kysely';
import type { Kysely, QueryResult, RawBuilder } from 'kysely';
import { OPEN_STATES, isOpen } from '../domain/handoff-machine.js';
import { DAY, FIRST_MONDAY, WEEK, responseTimeMs, speedToLeadMs, weekStart } from '../domain/metrics.js';
import type { HandoffState, Millis } from '../domain/model.js';
import type { MetricsFilter, MetricsGroupBy } from '../ports/metrics.js';
import { BUCKET_COUNT, ROLLUP_EDGES, emptyBuckets, rollupBucket } from './rollup-buckets.js';
import type { Database, HandoffsTable, OffersTable, SqlDialect } from './schema.js';

type Db = Kysely<Database>;

/** The tables of migration 0005 (monthly_rollups came with 0009). */
export const ROLLUP_TABLES = ['daily_rollups', 'weekly_rollups'] as const;
export const MONTHLY_ROLLUPS = 'monthly_rollups' as const;
export type RollupTable = (typeof ROLLUP_TABLES)[number] | typeof MONTHLY_ROLLUPS;

/** The first instant (UTC) of the calendar month holding `at`. */
export function monthStart(at: Millis): Millis {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The first instant (UTC) of the calendar month after the one holding `at`. */
export function nextMonthStart(at: Millis): Millis {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export const KEY_COLUMNS = ['cube', 'start', 'side', 'team', 'rep', 'channel', 'campaign', 'hot', 'reason'] as const;

/**
 * Three cubes. 'r' drops source and campaign (stored as '*'), 'c' drops the rep ('*'): both stay small
 * (a few reps or sources per team and day), and serve every query that does not need a rep together
 * with a source or campaign. 'x' keeps rep × source × campaign: up to one row per distinct combination
 * and day, far more rows than 'r' or 'c', so it is read only by queries that need a rep together with a
 * source or campaign (the dashboard's per-rep table under a source or campaign filter, `stats --by rep
 * --source …`); its weekly rows are found through (cube, channel | campaign, start) indexes.
 */
export type Cube = 'r' | 'c' | 'x';
export const CUBES: readonly Cube[] = ['r', 'c', 'x'];
export const ANY = '*';

/** The smallest cube that can answer a query with this filter and grouping (and second grouping). */
export function cubeFor(filter: MetricsFilter, by: MetricsGroupBy | null, by2: MetricsGroupBy | null = null): Cube {
  const groups = [by, by2];
  const rep = filter.rep !== undefined || groups.includes('rep');
  const campaign =
    filter.source !== undefined ||
    filter.campaign !== undefined ||
    groups.includes('source') ||
    groups.includes('campaign');
  if (rep && campaign) return 'x';
  return campaign ? 'c' : 'r';
}
const FIXED_COUNTS = [
  'mqls',
  'imported',
  'sals',
  'rejected',
  'pending',
  'withdrawn',
  'escalated',
  'timeouts',
  'ended',
  'on_time',
  /** Values in the histogram (speed-to-lead values on side 'h', decided offers on side 'o'). */
  'timed',
  /** Live open hand-offs escalated because nothing could take them (the backlog's unroutable). */
  'unroutable',
] as const;
/** Live (not imported) open hand-offs per open state: the backlog of older days. */
export const LIVE_OPEN_COLUMNS: readonly string[] = OPEN_STATES.map((s) => `live_${s}`);
export type CountColumn = (typeof FIXED_COUNTS)[number];
export const COUNT_COLUMNS: readonly string[] = [...FIXED_COUNTS, ...LIVE_OPEN_COLUMNS];
export type Counts = Record<CountColumn, number> & Record<string, number>;
export const BUCKET_COLUMNS: readonly string[] = Array.from({ length: BUCKET_COUNT }, (_, k) => `b${k}`);
/** The counts a funnel reads (the number of summed columns is most of what a rollup read costs). */
export const FUNNEL_COUNT_COLUMNS: readonly CountColumn[] = FIXED_COUNTS.filter((c) => c !== 'unroutable');
/** The counts of the backlog of older days. */
export const BACKLOG_COUNT_COLUMNS: readonly string[] = [...LIVE_OPEN_COLUMNS, 'unroutable'];

export type Side = 'h' | 'o';

/** One rollup row's worth of numbers for one key. */
export interface RollupCell {
  cube: Cube;
  start: Millis;
  side: Side;
  team: string;
  rep: string;
  channel: string;
  campaign: string;
  hot: number;
  reason: string;
  counts: Counts;
  buckets: number[];
}

const dayStart = (at: Millis): Millis => Math.floor(at / DAY) * DAY;

function emptyCell(key: Omit<RollupCell, 'counts' | 'buckets'>): RollupCell {
  const counts = Object.fromEntries(COUNT_COLUMNS.map((c) => [c, 0])) as Counts;
  return { ...key, counts, buckets: emptyBuckets() };
}

const cellKey = (c: Omit<RollupCell, 'counts' | 'buckets'>): string =>
  JSON.stringify([c.cube, c.start, c.side, c.team, c.rep, c.channel, c.campaign, c.hot, c.reason]);

/** The hand-off columns a contribution depends on. */
export type RollupHandoff = Pick<
  HandoffsTable,
  | 'mql_at'
  | 'state'
  | 'hot'
  | 'imported'
  | 'channel'
  | 'campaign'
  | 'team_id'
  | 'rep_id'
  | 'escalated_at'
  | 'escalation_reason'
  | 'decided_at'
  | 'reason_id'
>;
export type RollupOffer = Pick<OffersTable, 'rep_id' | 'state' | 'offered_at' | 'due_at' | 'decided_at'>;

const HANDOFF_COLUMNS = [
  'mql_at',
  'state',
  'hot',
  'imported',
  'channel',
  'campaign',
  'team_id',
  'rep_id',
  'escalated_at',
  'escalation_reason',
  'decided_at',
  'reason_id',
] as const;
const OFFER_COLUMNS = ['rep_id', 'state', 'offered_at', 'due_at', 'decided_at'] as const;

/**
 * What one hand-off and its offers add to the daily rollups (weekly cells are derived by the caller).
 * The same definitions as the exact SQL reader in src/store/metrics.ts.
 */
export function contributionOf(h: RollupHandoff, offers: readonly RollupOffer[]): RollupCell[] {
  return detailOf(h, offers).flatMap((c) => [
    { ...c, cube: 'r' as const, channel: ANY, campaign: ANY },
    { ...c, cube: 'c' as const, rep: ANY },
    { ...c, cube: 'x' as const },
  ]);
}

/** The cells of one hand-off with every dimension kept (before projecting them on the cubes). */
function detailOf(h: RollupHandoff, offers: readonly RollupOffer[]): RollupCell[] {
  const start = dayStart(h.mql_at);
  const base = {
    cube: 'r' as const,
    start,
    team: h.team_id ?? '',
    channel: h.channel ?? '',
    campaign: h.campaign ?? '',
    hot: h.hot,
    reason: h.reason_id ?? '',
  };
  const cells: RollupCell[] = [];
  const hc = emptyCell({ ...base, side: 'h', rep: h.rep_id ?? '' });
  const state = h.state as HandoffState;
  hc.counts.mqls = 1;
  hc.counts.imported = h.imported;
  if (state === 'accepted') hc.counts.sals = 1;
  else if (state === 'rejected') hc.counts.rejected = 1;
  else if (state === 'withdrawn') hc.counts.withdrawn = 1;
  else if (isOpen(state)) {
    hc.counts.pending = 1;
    if (h.imported === 0) hc.counts[`live_${state}`] = 1;
    if (h.imported === 0 && state === 'escalated' && h.escalation_reason === 'unroutable') hc.counts.unroutable = 1;
  }
  if (h.escalated_at !== null) hc.counts.escalated = 1;
  const speed = speedToLeadMs({ imported: h.imported === 1, state, mqlAt: h.mql_at, decidedAt: h.decided_at });
  if (speed !== null) {
    hc.counts.timed = 1;
    hc.buckets[rollupBucket(speed)] = 1;
  }
  cells.push(hc);
  if (h.imported === 1) return cells;
  for (const o of offers) {
    const oc = emptyCell({ ...base, side: 'o', rep: o.rep_id });
    const decided = o.state === 'accepted' || o.state === 'rejected';
    if (o.state === 'timed_out') oc.counts.timeouts = 1;
    if (decided || o.state === 'timed_out') oc.counts.ended = 1;
    if (decided && o.decided_at !== null && o.decided_at <= o.due_at) oc.counts.on_time = 1;
    const response = responseTimeMs({ state: o.state, offeredAt: o.offered_at, decidedAt: o.decided_at });
    if (response !== null) {
      oc.counts.timed = 1;
      oc.buckets[rollupBucket(response)] = 1;
    }
    cells.push(oc);
  }
  return cells;
}

/** Adds `sign` × cells into `into` (keyed by cell key), for the day table and its week. */
export function addCells(into: Map<string, RollupCell>, cells: readonly RollupCell[], sign: 1 | -1): void {
  for (const c of cells) {
    let t = into.get(cellKey(c));
    if (!t) {
      t = emptyCell(c);
      into.set(cellKey(c), t);
    }
    for (const col of COUNT_COLUMNS) t.counts[col] = (t.counts[col] ?? 0) + sign * (c.counts[col] ?? 0);
    for (let k = 0; k < BUCKET_COUNT; k++) t.buckets[k] = (t.buckets[k] ?? 0) + sign * (c.buckets[k] ?? 0);
  }
}

const isZero = (c: RollupCell): boolean =>
  COUNT_COLUMNS.every((col) => c.counts[col] === 0) && c.buckets.every((b) => b === 0);

async function readHandoff(db: Db, dialect: SqlDialect, handoffId: string): Promise<RollupCell[]> {
  let q = db.selectFrom('handoffs').select(HANDOFF_COLUMNS).where('id', '=', handoffId);
  if (dialect === 'postgres') q = q.forUpdate();
  const h = await q.executeTakeFirst();
  if (h === undefined) return [];
  const offers = await db.selectFrom('offers').select(OFFER_COLUMNS).where('handoff_id', '=', handoffId).execute();
  return contributionOf(h, offers);
}

const ALL_COLUMNS = [...KEY_COLUMNS, ...COUNT_COLUMNS, ...BUCKET_COLUMNS];

/** Whether a dialect numbers its placeholders ($1, $2: Postgres) or not (?: SQLite), per query adapter. */
const numberedPlaceholders = new WeakMap<object, boolean>();

function usesNumberedPlaceholders(db: Db): boolean {
  const adapter = db.getExecutor().adapter;
  let numbered = numberedPlaceholders.get(adapter);
  if (numbered === undefined) {
    numbered = sql`select ${0}`.compile(db).sql.includes('$1');
    numberedPlaceholders.set(adapter, numbered);
  }
  return numbered;
}

const quoted = (id: string): string => `"${id}"`;
const SUMMED_COLUMNS = [...COUNT_COLUMNS, ...BUCKET_COLUMNS];
const upsertTexts = new Map<string, string>();
/** Statements for up to this many rows are kept (a change touches a handful of cells; a bigger delta is rare). */
const CACHED_UPSERT_ROWS = 64;

/**
 * The upsert of `rows` rollup rows into `table`, as SQL text. Written out once per table, row count and dialect:
 * built through the query builder it took about a millisecond a change (two hundred nodes per row, each frozen,
 * then compiled), three times per change, on the hot path of every ingest, offer and decision.
 */
function upsertText(table: RollupTable, rows: number, numbered: boolean): string {
  const key = `${numbered ? '$' : '?'}:${table}:${rows}`;
  const cached = upsertTexts.get(key);
  if (cached !== undefined) return cached;
  const width = ALL_COLUMNS.length;
  const tuples = Array.from(
    { length: rows },
    (_, r) => `(${Array.from({ length: width }, (_, c) => (numbered ? `$${r * width + c + 1}` : '?')).join(', ')})`,
  );
  const sets = SUMMED_COLUMNS.map((c) => `${quoted(c)} = ${quoted(table)}.${quoted(c)} + excluded.${quoted(c)}`);
  const text =
    `insert into ${quoted(table)} (${ALL_COLUMNS.map(quoted).join(', ')}) values ${tuples.join(', ')} ` +
    `on conflict (${KEY_COLUMNS.map(quoted).join(', ')}) do update set ${sets.join(', ')}`;
  if (rows <= CACHED_UPSERT_ROWS) upsertTexts.set(key, text);
  return text;
}

/** Adds the non-zero deltas to the rollup rows (insert, or add to the existing row). */
async function upsertDeltas(db: Db, table: RollupTable, deltas: readonly RollupCell[]): Promise<void> {
  // Sorted by key: concurrent transactions (Postgres replicas) lock the rows they share in one order,
  // so they queue instead of deadlocking.
  const rows = deltas
    .filter((d) => !isZero(d))
    .map((d) => ({ d, key: cellKey(d) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ d }) => d);
  if (rows.length === 0) return;
  const parameters: unknown[] = [];
  for (const d of rows) {
    parameters.push(d.cube, d.start, d.side, d.team, d.rep, d.channel, d.campaign, d.hot, d.reason);
    for (const c of COUNT_COLUMNS) parameters.push(d.counts[c]);
    for (const b of d.buckets) parameters.push(b);
  }
  await db.executeQuery(CompiledQuery.raw(upsertText(table, rows.length, usesNumberedPlaceholders(db)), parameters));
}

/** Writes `delta` (daily cells) to the daily table and, summed by week and by month, to the weekly and monthly ones. */
export async function applyRollupDelta(db: Db, delta: Map<string, RollupCell>): Promise<void> {
  const days = [...delta.values()];
  const sumBy = (period: (at: Millis) => Millis): RollupCell[] => {
    const into = new Map<string, RollupCell>();
    addCells(
      into,
      days.map((d) => ({ ...d, start: period(d.start) })),
      1,
    );
    return [...into.values()];
  };
  await upsertDeltas(db, 'daily_rollups', days);
  await upsertDeltas(db, 'weekly_rollups', sumBy(weekStart));
  await upsertDeltas(db, MONTHLY_ROLLUPS, sumBy(monthStart));
}

export interface RollupTracker {
  /** Applies (after-change contribution − before-change contribution) to the rollups. */
  commit(): Promise<void>;
}

/**
 * Call inside the write transaction before changing hand-off `handoffId` (or its offers), then
 * commit() after the change, in the same transaction. On Postgres the read locks the hand-off row.
 */
export async function trackRollups(tx: Db, dialect: SqlDialect, handoffId: string): Promise<RollupTracker> {
  const before = await readHandoff(tx, dialect, handoffId);
  return {
    async commit() {
      const after = await readHandoff(tx, dialect, handoffId);
      const delta = new Map<string, RollupCell>();
      addCells(delta, before, -1);
      addCells(delta, after, 1);
      await applyRollupDelta(tx, delta);
    },
  };
}

/** Adds a newly created hand-off (no offers yet) to the rollups, inside its ingest transaction. */
export async function addHandoffToRollups(tx: Db, row: RollupHandoff): Promise<void> {
  const delta = new Map<string, RollupCell>();
  addCells(delta, contributionOf(row, []), 1);
  await applyRollupDelta(tx, delta);
}

/** speedToLeadMs (src/domain/metrics.ts) in SQL over a hand-off `h`: which hand-offs have one, and its value. */
export const SPEED_TO_LEAD_SQL = {
  has: sql`h.imported = 0 and h.state = 'accepted' and h.decided_at is not null`,
  value: sql<number>`h.decided_at - h.mql_at`,
};

/** responseTimeMs (src/domain/metrics.ts) in SQL over an offer `o`. */
export const RESPONSE_TIME_SQL = {
  has: sql`o.state in ('accepted', 'rejected') and o.decided_at is not null`,
  value: sql<number>`o.decided_at - o.offered_at`,
};

// --- rebuild ----------------------------------------------------------------------------------

/** SQL for the bucket index of `v` (the same integer edges as rollupBucket). */
export function rollupBucketSql(v: RawBuilder<unknown>): RawBuilder<number> {
  const branches = ROLLUP_EDGES.slice(1).map((edge, k) => sql`when ${v} < ${sql.lit(edge)} then ${sql.lit(k)}`);
  return sql<number>`case ${sql.join(branches, sql` `)} else ${sql.lit(BUCKET_COUNT - 1)} end`;
}

const bucketSums = sql.join(
  BUCKET_COLUMNS.map((_, k) => sql`sum(case when b = ${sql.lit(k)} then 1 else 0 end)`),
  sql`, `,
);
const OPEN = sql.join(OPEN_STATES.map((s) => sql.lit(s)));
const liveOpenSums = sql.join(
  OPEN_STATES.map((s) => sql`sum(case when imported = 0 and state = ${sql.lit(s)} then 1 else 0 end)`),
);
const dayExpr = sql`(h.mql_at / ${sql.lit(DAY)}) * ${sql.lit(DAY)}`;
const columnList = sql.join(ALL_COLUMNS.map((c) => sql.id(c)));

export interface RebuildReport {
  dailyRows: number;
  weeklyRows: number;
  monthlyRows: number;
  elapsedMs: number;
}

/** SQL for monthStart of a period start column (epoch ms, UTC). */
function monthSql(dialect: SqlDialect, col: RawBuilder<unknown>): RawBuilder<number> {
  return dialect === 'postgres'
    ? sql<number>`cast(extract(epoch from date_trunc('month', to_timestamp(${col} / 1000) at time zone 'UTC')) as bigint) * 1000`
    : sql<number>`cast(strftime('%s', ${col} / 1000, 'unixepoch', 'start of month') as integer) * 1000`;
}

/**
 * Recomputes the three rollup tables from the hand-off and offer rows, in one transaction (or in the
 * caller's, with `inTransaction`: a migration).
 */
export async function rebuildRollups(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration passes its Kysely<any>
  anyDb: Db | Kysely<any>,
  dialect: SqlDialect,
  options: {
    inTransaction?: boolean;
    /** false: leave monthly_rollups alone (the migrations before 0009, which creates it). Default true. */
    months?: boolean;
  } = {},
): Promise<RebuildReport> {
  const months = options.months !== false;
  const db = anyDb as Db;
  const t0 = performance.now();
  const run = async (tx: Db): Promise<RebuildReport> => {
    // Writers wait until the rebuild commits, so no change lands between the read and the new rows.
    if (dialect === 'postgres') {
      await sql`lock table handoffs, offers in share mode`.execute(tx);
      // Compiling these wide aggregates just in time costs seconds per statement and saves nothing;
      // memory enough to group a day's cells without spilling to disk.
      await sql`set local jit = off`.execute(tx);
      await sql`set local work_mem = '64MB'`.execute(tx);
    }
    await sql`delete from daily_rollups`.execute(tx);
    await sql`delete from weekly_rollups`.execute(tx);
    if (months) await sql`delete from monthly_rollups`.execute(tx);
    // Rows are inserted in key order, cube by cube: a period range of one cube is then one stretch of
    // the table (Postgres' heap is not kept in key order, and a hash aggregate's output is unordered).
    const speed = rollupBucketSql(SPEED_TO_LEAD_SQL.value);
    const response = rollupBucketSql(RESPONSE_TIME_SQL.value);
    for (const cube of CUBES) {
      const rep = (col: RawBuilder<unknown>) => (cube === 'c' ? sql.lit(ANY) : col);
      const camp = (col: RawBuilder<unknown>) => (cube === 'r' ? sql.lit(ANY) : col);
      await sql`insert into daily_rollups (${columnList})
      select ${sql.lit(cube)}, start, 'h', team, rep, channel, campaign, hot, reason,
        count(*), sum(imported),
        sum(case when state = 'accepted' then 1 else 0 end),
        sum(case when state = 'rejected' then 1 else 0 end),
        sum(case when state in (${OPEN}) then 1 else 0 end),
        sum(case when state = 'withdrawn' then 1 else 0 end),
        sum(case when escalated_at is not null then 1 else 0 end),
        0, 0, 0,
        sum(case when b is not null then 1 else 0 end),
        sum(case when imported = 0 and state = 'escalated' and escalation_reason = 'unroutable' then 1 else 0 end),
        ${liveOpenSums},
        ${bucketSums}
      from (
        select ${dayExpr} as start, coalesce(h.team_id, '') as team, ${rep(sql`coalesce(h.rep_id, '')`)} as rep,
          ${camp(sql`coalesce(h.channel, '')`)} as channel, ${camp(sql`coalesce(h.campaign, '')`)} as campaign, h.hot as hot,
          coalesce(h.reason_id, '') as reason, h.state as state, h.imported as imported, h.escalated_at as escalated_at,
          h.escalation_reason as escalation_reason,
          case when ${SPEED_TO_LEAD_SQL.has} then ${speed} end as b
        from handoffs h
      ) as x
      group by start, team, rep, channel, campaign, hot, reason
      order by start, team, rep, channel, campaign, hot, reason`.execute(tx);
      await sql`insert into daily_rollups (${columnList})
      select ${sql.lit(cube)}, start, 'o', team, rep, channel, campaign, hot, reason,
        0, 0, 0, 0, 0, 0, 0,
        sum(case when state = 'timed_out' then 1 else 0 end),
        sum(case when state in ('accepted', 'rejected', 'timed_out') then 1 else 0 end),
        sum(case when state in ('accepted', 'rejected') and decided_at <= due_at then 1 else 0 end),
        sum(case when b is not null then 1 else 0 end),
        0, ${sql.join(LIVE_OPEN_COLUMNS.map(() => sql`0`))},
        ${bucketSums}
      from (
        select ${dayExpr} as start, coalesce(h.team_id, '') as team, ${rep(sql`o.rep_id`)} as rep,
          ${camp(sql`coalesce(h.channel, '')`)} as channel, ${camp(sql`coalesce(h.campaign, '')`)} as campaign, h.hot as hot,
          coalesce(h.reason_id, '') as reason, o.state as state, o.decided_at as decided_at, o.due_at as due_at,
          case when ${RESPONSE_TIME_SQL.has} then ${response} end as b
        from handoffs h join offers o on o.handoff_id = h.id
        where h.imported = 0
      ) as x
      group by start, team, rep, channel, campaign, hot, reason
      order by start, team, rep, channel, campaign, hot, reason`.execute(tx);
    }
    // The weeks and months are sums of the days, each period start computed from the day's.
    const sumDaysInto = (table: RollupTable, periodStart: RawBuilder<unknown>) =>
      sql`insert into ${sql.table(table)} (${columnList})
      select cube, ${periodStart}, side, team, rep, channel, campaign, hot, reason,
        ${sql.join([...COUNT_COLUMNS, ...BUCKET_COLUMNS].map((c) => sql`sum(${sql.id(c)})`))}
      from daily_rollups
      group by cube, ${periodStart}, side, team, rep, channel, campaign, hot, reason
      order by cube, 2, side, team, rep, channel, campaign, hot, reason`.execute(tx);
    await sumDaysInto(
      'weekly_rollups',
      sql`((start - ${sql.lit(FIRST_MONDAY)}) / ${sql.lit(WEEK)}) * ${sql.lit(WEEK)} + ${sql.lit(FIRST_MONDAY)}`,
    );
    if (months) await sumDaysInto(MONTHLY_ROLLUPS, monthSql(dialect, sql`start`));
    const count = async (table: RollupTable) =>
      Number((await sql<{ n: unknown }>`select count(*) as n from ${sql.table(table)}`.execute(tx)).rows[0]?.n ?? 0);
    return {
      dailyRows: await count('daily_rollups'),
      weeklyRows: await count('weekly_rollups'),
      monthlyRows: months ? await count(MONTHLY_ROLLUPS) : 0,
      elapsedMs: 0,
    };
  };
  const report = options.inTransaction
    ? await run(db)
    : dialect === 'postgres'
      ? await db.transaction().execute(run)
      : await db.connection().execute(async (conn) => {
          await sql`begin immediate`.execute(conn);
          try {
            const r = await run(conn);
            await sql`commit`.execute(conn);
            return r;
          } catch (err) {
            await sql`rollback`.execute(conn).catch(() => undefined);
            throw err;
          }
        });
  return { ...report, elapsedMs: Math.round(performance.now() - t0) };
}

// --- reading ----------------------------------------------------------------------------------

/**
 * Runs one read of the numbers. On Postgres in a transaction of its own with parallel workers off: these
 * reads take milliseconds, starting workers for them costs about as much (a Gather's setup is 2–4 ms),
 * and on a busy machine the workers queue for the same cores the pool's other connections use — the
 * dashboard's reads took a third longer with them at a load of 3 on 2 cores. (A caller already inside a
 * transaction runs the read as it is.)
 */
export async function runRead<R>(db: Db, dialect: SqlDialect, query: RawBuilder<R>): Promise<QueryResult<R>> {
  if (dialect !== 'postgres' || db.isTransaction) return query.execute(db);
  return db.transaction().execute(async (tx) => {
    await sql`set local max_parallel_workers_per_gather = 0`.execute(tx);
    return query.execute(tx);
  });
}

/** A part of a window read from one rollup table: periods starting in [from, to). */
export interface RollupSlice {
  table: RollupTable;
  from: Millis;
  to: Millis;
}

export interface WindowPlan {
  /** MQL-time ranges read from the rows (the partial first and last days). */
  exact: [Millis, Millis][];
  /** Whole days, weeks and months read from the rollups. */
  slices: RollupSlice[];
}

/** The whole UTC days [d0, d1) as whole Monday-based weeks from the weekly table, the days around them from the daily one. */
function daysAndWeeks(d0: Millis, d1: Millis): RollupSlice[] {
  if (d1 <= d0) return [];
  const w0 = weekStart(d0) === d0 ? d0 : weekStart(d0) + WEEK;
  const w1 = weekStart(d1);
  if (w1 <= w0) return [{ table: 'daily_rollups', from: d0, to: d1 }];
  const slices: RollupSlice[] = [];
  if (d0 < w0) slices.push({ table: 'daily_rollups', from: d0, to: w0 });
  slices.push({ table: 'weekly_rollups', from: w0, to: w1 });
  if (w1 < d1) slices.push({ table: 'daily_rollups', from: w1, to: d1 });
  return slices;
}

/** How many periods (rollup rows per group) the slices read. */
function periodsOf(slices: readonly RollupSlice[]): number {
  let n = 0;
  for (const s of slices) {
    if (s.table === 'daily_rollups') n += (s.to - s.from) / DAY;
    else if (s.table === 'weekly_rollups') n += (s.to - s.from) / WEEK;
    else for (let m = s.from; m < s.to; m = nextMonthStart(m)) n += 1;
  }
  return n;
}

/**
 * Splits [since, until) into the partial days at its ends (read exactly from the rows) and the whole
 * UTC days between them, read from the rollups: the whole calendar months from the monthly table, the
 * whole Monday-based weeks around them from the weekly one, the days around those from the daily one
 * — or, when that reads fewer periods (a window holding no whole month, or one that a month boundary
 * would cut into more days), weeks and days only. `months: false` keeps to weeks and days (a grouping
 * by week cannot be read from months). null when the window holds no whole day.
 */
export function planWindow(since: Millis, until: Millis, options: { months?: boolean } = {}): WindowPlan | null {
  const d0 = Math.ceil(since / DAY) * DAY;
  const d1 = Math.floor(until / DAY) * DAY;
  if (d1 - d0 < DAY) return null;
  const exact: [Millis, Millis][] = [];
  if (since < d0) exact.push([since, d0]);
  if (d1 < until) exact.push([d1, until]);
  let slices = daysAndWeeks(d0, d1);
  const m0 = monthStart(d0) === d0 ? d0 : nextMonthStart(d0);
  const m1 = monthStart(d1);
  if (options.months !== false && m0 < m1) {
    const month: RollupSlice = { table: MONTHLY_ROLLUPS, from: m0, to: m1 };
    const withMonths = [...daysAndWeeks(d0, m0), month, ...daysAndWeeks(m1, d1)];
    if (periodsOf(withMonths) <= periodsOf(slices)) slices = withMonths;
  }
  return { exact, slices };
}

/** The group column of a rollup table for `by`. */
function rollupGroup(by: MetricsGroupBy | null): RawBuilder<unknown> {
  switch (by) {
    case 'week':
      return sql`((start - ${sql.lit(FIRST_MONDAY)}) / ${sql.lit(WEEK)}) * ${sql.lit(WEEK)} + ${sql.lit(FIRST_MONDAY)}`;
    case 'rep':
      return sql`rep`;
    case 'team':
      return sql`team`;
    case 'source':
      return sql`channel`;
    case 'campaign':
      return sql`campaign`;
    case 'reason':
      return sql`reason`;
    default:
      return sql.lit('all');
  }
}

function rollupWhere(cube: Cube, slice: RollupSlice, filter: MetricsFilter, side?: Side): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`cube = ${cube}`, sql`start >= ${slice.from}`, sql`start < ${slice.to}`];
  if (side !== undefined) parts.push(sql`side = ${side}`);
  if (filter.team !== undefined) parts.push(sql`team = ${filter.team}`);
  if (filter.rep !== undefined) parts.push(sql`rep = ${filter.rep}`);
  if (filter.source !== undefined) parts.push(sql`channel = ${filter.source}`);
  if (filter.campaign !== undefined) parts.push(sql`campaign = ${filter.campaign}`);
  if (filter.hot !== undefined) parts.push(sql`hot = ${filter.hot ? 1 : 0}`);
  return sql.join(parts, sql` and `);
}

export interface RollupGroupRow {
  side: Side;
  /** Raw group value (keyOf of the reader turns it into a key). */
  g: unknown;
  /** Raw value of the second group column ('all' without one). */
  g2: unknown;
  reason: string;
  /** The columns asked for (the others 0). */
  counts: Counts;
  /** Empty when buckets were not asked for. */
  buckets: number[];
}

/** What a rollup read sums: some count columns, and the bucket columns or not (of one side only, or both). */
export interface RollupColumns {
  counts: readonly string[];
  buckets: boolean;
  side?: Side;
}

/**
 * Sums of the `columns` of the rollup rows of `slices` matching `filter`, per side, group and reason,
 * from `cube` (see cubeFor). Ask only for the columns needed: SQLite sorts the rows it groups with every
 * summed column, so a read of 11 counts costs a third of one of every count and bucket.
 */
export async function readRollups(
  db: Db,
  dialect: SqlDialect,
  cube: Cube,
  slices: readonly RollupSlice[],
  filter: MetricsFilter,
  by: MetricsGroupBy | null,
  columns: RollupColumns,
  /** A second group column (g2 of the rows). */
  by2: MetricsGroupBy | null = null,
): Promise<RollupGroupRow[]> {
  if ((by === 'week' || by2 === 'week') && slices.some((s) => s.table === MONTHLY_ROLLUPS))
    throw new Error('readRollups: a grouping by week cannot be read from monthly rollups');
  const g = rollupGroup(by);
  const g2 = rollupGroup(by2);
  const withBuckets = columns.buckets;
  const cols = withBuckets ? [...columns.counts, ...BUCKET_COLUMNS] : [...columns.counts];
  const sums = sql.join(cols.map((c) => sql`sum(${sql.id(c)}) as ${sql.id(c)}`));
  const out: RollupGroupRow[] = [];
  if (slices.length === 0) return out;
  // One statement over all the slices (their rows brought together, then grouped once): a window's
  // groups come back once instead of once per slice, and SQLite, which runs statements one after the
  // other, prepares and steps one.
  const { rows } = await runRead(
    db,
    dialect,
    sql<Record<string, unknown>>`
      select side, g, g2, reason, ${sums}
      from (${sql.join(
        slices.map(
          (slice) => sql`select side, ${g} as g, ${g2} as g2, reason, ${sql.join(cols.map((c) => sql.id(c)))}
            from ${sql.table(slice.table)} where ${rollupWhere(cube, slice, filter, columns.side)}`,
        ),
        sql` union all `,
      )}) as slices
      group by 1, 2, 3, 4`,
  );
  for (const row of rows) {
    out.push({
      side: row.side === 'o' ? 'o' : 'h',
      g: row.g,
      g2: row.g2,
      reason: typeof row.reason === 'string' ? row.reason : '',
      counts: Object.fromEntries(COUNT_COLUMNS.map((c) => [c, Number(row[c] ?? 0)])) as Counts,
      buckets: withBuckets ? BUCKET_COLUMNS.map((c) => Number(row[c] ?? 0)) : [],
    });
  }
  return out;
}

export interface RollupStatus {
  dailyRows: number;
  weeklyRows: number;
  monthlyRows: number;
  /** Hand-offs stored, and hand-offs the rollups count (equal when they are in step). */
  handoffs: number;
  counted: number;
  inStep: boolean;
}

/** How many rollup rows there are and whether they count every stored hand-off. */
export async function rollupStatus(db: Db): Promise<RollupStatus> {
  const one = async (q: RawBuilder<{ n: unknown }>) => Number((await q.execute(db)).rows[0]?.n ?? 0);
  const dailyRows = await one(sql<{ n: unknown }>`select count(*) as n from daily_rollups`);
  const weeklyRows = await one(sql<{ n: unknown }>`select count(*) as n from weekly_rollups`);
  const monthlyRows = await one(sql<{ n: unknown }>`select count(*) as n from monthly_rollups`);
  const handoffs = await one(sql<{ n: unknown }>`select count(*) as n from handoffs`);
  const counted = await one(
    sql<{ n: unknown }>`select coalesce(sum(mqls), 0) as n from weekly_rollups where cube = 'r' and side = 'h'`,
  );
  const daily = await one(
    sql<{ n: unknown }>`select coalesce(sum(mqls), 0) as n from daily_rollups where cube = 'c' and side = 'h'`,
  );
  const detail = await one(
    sql<{ n: unknown }>`select coalesce(sum(mqls), 0) as n from weekly_rollups where cube = 'x' and side = 'h'`,
  );
  const monthly = await one(
    sql<{ n: unknown }>`select coalesce(sum(mqls), 0) as n from monthly_rollups where cube = 'c' and side = 'h'`,
  );
  return {
    dailyRows,
    weeklyRows,
    monthlyRows,
    handoffs,
    counted,
    inStep: counted === handoffs && daily === handoffs && detail === handoffs && monthly === handoffs,
  };
}
