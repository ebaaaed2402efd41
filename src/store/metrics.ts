// The MetricsReader over SQL: every number is an aggregate computed by the database. Whole UTC days
// of a window are read from the rollups (src/store/rollups.ts: per-day, per-week and per-month sums the
// store keeps in each change's transaction), the partial days at its ends from the cohort's rows (found through the
// mql_at / team / rep / channel / campaign indexes); nothing loads the cohort into memory. Percentiles of
// short windows are exact: Postgres' percentile_disc, and on SQLite one sorted pass picking the
// nearest-rank values; windows over 7 days with many values, and every window over 92 days, take them
// from the rollups' log-spaced buckets (src/store/rollup-buckets.ts). Speed to lead and response time are SPEED_TO_LEAD_SQL and
// RESPONSE_TIME_SQL, the SQL of speedToLeadMs and responseTimeMs (src/domain/metrics.ts). On Postgres the
// funnel's reads run through runRead (parallel workers off, see there).
import { sql } from 'kysely';
import type { Kysely, RawBuilder } from 'kysely';
import { OPEN_STATES, isFinal, isOpen, type OpenState } from '../domain/handoff-machine.js';
import { HANDOFF_STATES } from '../domain/model.js';
import { DAY, FIRST_MONDAY, WEEK, nearestRank, percentileRank } from '../domain/metrics.js';
import type { HandoffState, Millis, OfferState } from '../domain/model.js';
import { NO_GROUP } from '../ports/metrics.js';
import type {
  BacklogSnapshot,
  EscalatedHandoff,
  ExportOffer,
  ExportRow,
  FunnelCounts,
  FunnelResult,
  MetricsFilter,
  MetricsGroupBy,
  MetricsQuery,
  MetricsReader,
  Percentiles,
  RejectionNote,
  SettledCounts,
  SettledGroupBy,
  SettledQuery,
  SettledResult,
  TimedOutOffer,
} from '../ports/metrics.js';
import { bucketPercentile, emptyBuckets } from './rollup-buckets.js';
import {
  BACKLOG_COUNT_COLUMNS,
  FUNNEL_COUNT_COLUMNS,
  RESPONSE_TIME_SQL,
  SPEED_TO_LEAD_SQL,
  cubeFor,
  planWindow,
  readRollups,
  rollupBucketSql,
  runRead,
} from './rollups.js';
import type { Database, SqlDialect } from './schema.js';

type Db = Kysely<Database>;
type Side = 'handoff' | 'offer';

const OPEN = sql.join(OPEN_STATES.map((s) => sql.lit(s)));
/** One count column per open state, named after the state. */
const OPEN_BY_STATE = sql.join(
  OPEN_STATES.map((s) => sql`sum(case when state = ${sql.lit(s)} then 1 else 0 end) as ${sql.id(s)}`),
);
const HOUR = 3_600_000;
/** The live open counts of older days: hand-off side only (the offer side holds none). */
const BACKLOG_COLUMNS = { counts: BACKLOG_COUNT_COLUMNS, buckets: false, side: 'h' as const };
const OFFER_SLACK = 24 * HOUR;

/** The group column for hand-off rows (`h`) or offer rows joined to their hand-off (`o`, `h`). */
function groupExpr(by: MetricsGroupBy | null | undefined, side: Side): RawBuilder<unknown> {
  switch (by) {
    case 'week':
      return sql`((h.mql_at - ${sql.lit(FIRST_MONDAY)}) / ${sql.lit(WEEK)}) * ${sql.lit(WEEK)} + ${sql.lit(FIRST_MONDAY)}`;
    case 'rep':
      return side === 'offer' ? sql`o.rep_id` : sql`h.rep_id`;
    case 'team':
      return sql`h.team_id`;
    case 'source':
      return sql`h.channel`;
    case 'campaign':
      return sql`h.campaign`;
    case 'reason':
      return sql`h.reason_id`;
    default:
      return sql.lit('all');
  }
}

type Range = readonly [Millis, Millis];

/**
 * WHERE conditions on the cohort (hand-offs `h`; the rep filter names the offer's rep on the offer
 * side), over the MQL-time ranges given (the whole window, or the parts of it read from the rows).
 */
function cohortWhere(
  q: MetricsQuery,
  side: Side,
  ranges: readonly Range[] = [[q.since, q.until]],
): RawBuilder<unknown> {
  const f: MetricsFilter = q.filter ?? {};
  const inRanges = ranges.map(([a, b]) => sql`(h.mql_at >= ${a} and h.mql_at < ${b})`);
  const parts: RawBuilder<unknown>[] = [
    inRanges.length === 1 ? (inRanges[0] as RawBuilder<unknown>) : sql`(${sql.join(inRanges, sql` or `)})`,
  ];
  if (f.team !== undefined) parts.push(sql`h.team_id = ${f.team}`);
  if (f.rep !== undefined) parts.push(side === 'offer' ? sql`o.rep_id = ${f.rep}` : sql`h.rep_id = ${f.rep}`);
  if (f.source !== undefined) parts.push(sql`h.channel = ${f.source}`);
  if (f.campaign !== undefined) parts.push(sql`h.campaign = ${f.campaign}`);
  if (f.hot !== undefined) parts.push(sql`h.hot = ${f.hot ? 1 : 0}`);
  // Offers of a cohort hand-off are made after its MQL time (a day of slack for clock skew): lets the
  // database find them by offer time instead of joining every offer ever made.
  const first = Math.min(...ranges.map(([a]) => a));
  if (side === 'offer') parts.push(sql`o.offered_at >= ${first - OFFER_SLACK}`);
  return sql.join(parts, sql` and `);
}

function keyOf(by: MetricsGroupBy | null | undefined, raw: unknown): string {
  if (raw === null || raw === undefined || raw === '') return NO_GROUP;
  if (by === 'week') return new Date(Number(raw)).toISOString().slice(0, 10);
  return String(raw);
}

/** The group key of a pair grouping (runFunnel with by2): both keys, split again by funnelTwoWays. */
const pairKey = (a: string, b: string): string => JSON.stringify([a, b]);

/** Adds the counts of `g` into `into` (percentile counts too; p50/p90 are left alone). */
function addCounts(into: FunnelCounts, g: FunnelCounts): void {
  into.mqls += g.mqls;
  into.imported += g.imported;
  into.sals += g.sals;
  into.rejected += g.rejected;
  into.pending += g.pending;
  into.withdrawn += g.withdrawn;
  into.escalated += g.escalated;
  into.recycled += g.recycled;
  into.timeouts += g.timeouts;
  into.offersEnded += g.offersEnded;
  into.offersOnTime += g.offersOnTime;
  for (const [reason, n] of Object.entries(g.rejectedByReason))
    into.rejectedByReason[reason] = (into.rejectedByReason[reason] ?? 0) + n;
}

/**
 * The counts of one cohort grouped two ways from one read (runFunnel with by2): the pair groups summed
 * by their first key and by their second. Equal to funnel({ by: a, percentiles: false }) and
 * funnel({ by: b, percentiles: false }).
 */
async function funnelTwoWays(
  db: Db,
  dialect: SqlDialect,
  q: MetricsQuery,
  a: MetricsGroupBy,
  b: MetricsGroupBy,
  options: Required<SqlMetricsOptions>,
): Promise<[FunnelResult, FunnelResult]> {
  const pairs = await runFunnel(db, dialect, { ...q, percentiles: false }, a, options, b);
  const split = (side: 0 | 1): FunnelResult => {
    const groups = new Map<string, FunnelCounts>();
    for (const { key, ...counts } of pairs.groups) {
      const k = (JSON.parse(key) as [string, string])[side];
      let row = groups.get(k);
      if (!row) {
        row = emptyCounts();
        groups.set(k, row);
      }
      addCounts(row, counts);
      row.speedToLead.count += counts.speedToLead.count;
      row.responseTime.count += counts.responseTime.count;
    }
    const sorted = [...groups.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return { total: pairs.total, groups: sorted.map(([key, counts]) => ({ key, ...counts })) };
  };
  return [split(0), split(1)];
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function emptyCounts(): FunnelCounts {
  return {
    mqls: 0,
    imported: 0,
    sals: 0,
    rejected: 0,
    pending: 0,
    withdrawn: 0,
    escalated: 0,
    recycled: 0,
    rejectedByReason: {},
    timeouts: 0,
    offersEnded: 0,
    offersOnTime: 0,
    speedToLead: { count: 0, p50: null, p90: null },
    responseTime: { count: 0, p50: null, p90: null },
  };
}

/** The values of one percentile figure: group column g, value v, from hand-offs or offers joined to them. */
interface ValuesRead {
  g: RawBuilder<unknown>;
  v: RawBuilder<number>;
  from: RawBuilder<unknown>;
  where: RawBuilder<unknown>;
}

const HANDOFFS_FROM = sql`handoffs h`;

const OFFERS_FROM = sql`handoffs h join offers o on o.handoff_id = h.id`;

/** Percentiles per group key, and over all groups together under TOTAL. */
type Picks = Map<string, Percentiles>;
const TOTAL = '\u0000total';

/**
 * Nearest-rank p50/p90 of the values `inner` selects (columns g and v), per group and in total.
 * Postgres has it built in: percentile_disc(p) is the smallest value whose cumulative share reaches
 * p, i.e. the value at rank ceil(p·n). SQLite has no percentile aggregate and its window functions
 * are slow on big cohorts, so it reads the value column once, sorted by value (bounded by the
 * cohort), and walks it keeping a running rank per group and overall: a group's values come in
 * ascending order too, so the values at the ranks computed from the known counts are the picks.
 */
async function percentiles(
  db: Db,
  dialect: SqlDialect,
  by: MetricsGroupBy | null,
  inner: ValuesRead,
  counts: Map<string, number>,
): Promise<Picks> {
  const picks: Picks = new Map();
  const from = inner.from;
  if (dialect === 'postgres') {
    const r = await runRead(
      db,
      dialect,
      sql<{ g: unknown; n: unknown; p50: unknown; p90: unknown; total: unknown }>`
      select g, grouping(g) as total, count(*) as n,
        percentile_disc(0.5) within group (order by v) as p50,
        percentile_disc(0.9) within group (order by v) as p90
      from (select ${inner.g} as g, ${inner.v} as v from ${from} where ${inner.where}) as vals
      group by grouping sets ((g), ())`,
    );
    for (const row of r.rows) {
      picks.set(num(row.total) === 1 ? TOTAL : keyOf(by, row.g), {
        count: num(row.n),
        p50: numOrNull(row.p50),
        p90: numOrNull(row.p90),
      });
    }
    return picks;
  }
  const { rows } = await sql<{
    g: unknown;
    v: unknown;
  }>`select ${inner.g} as g, ${inner.v} as v from ${from} where ${inner.where} order by 2`.execute(db);
  const walk = new Map<string, { rank: number; r50: number; r90: number; p: Percentiles }>();
  const step = (k: string, v: number, n: number) => {
    let w = walk.get(k);
    if (!w) {
      w = { rank: 0, r50: percentileRank(n, 50), r90: percentileRank(n, 90), p: { count: n, p50: null, p90: null } };
      walk.set(k, w);
      picks.set(k, w.p);
    }
    w.rank += 1;
    if (w.rank === w.r50) w.p.p50 = v;
    if (w.rank === w.r90) w.p.p90 = v;
  };
  for (const row of rows) {
    const k = keyOf(by, row.g);
    const v = Number(row.v);
    step(k, v, counts.get(k) ?? 0);
    if (by !== null) step(TOTAL, v, rows.length);
  }
  return picks;
}

export interface SqlMetricsOptions {
  /** Read the whole days of a window from the rollups (default true); false reads every row. */
  rollups?: boolean;
  /**
   * Windows up to this long get exact (nearest-rank) percentiles from the rows; longer ones get them
   * from the rollup histograms (bucket error, see src/store/rollup-buckets.ts). Default 7 days.
   */
  exactPercentilesUpTo?: Millis;
  /**
   * Any window up to exactPercentilesByCountUpTo whose percentiles are over at most this many values
   * gets exact ones too. Default 5,000.
   */
  exactPercentilesUpToValues?: number;
  /**
   * The longest window the values rule applies to (default 92 days, a quarter). Finding a few values of a long
   * window means walking the rows of its most selective indexed filter (every hand-off of a campaign
   * over two years for a team × source × campaign cohort), seconds at a million rows: longer windows
   * take their percentiles from the buckets whatever their count.
   */
  exactPercentilesByCountUpTo?: Millis;
}

export const EXACT_PERCENTILES_UP_TO: Millis = 7 * DAY;
export const EXACT_PERCENTILES_UP_TO_VALUES = 5_000;
export const EXACT_PERCENTILES_BY_COUNT_UP_TO: Millis = 92 * DAY;

function addBuckets(into: Map<string, number[]>, key: string, buckets: readonly number[]): void {
  let b = into.get(key);
  if (!b) {
    b = emptyBuckets();
    into.set(key, b);
  }
  for (let k = 0; k < buckets.length; k++) b[k] = (b[k] ?? 0) + (buckets[k] ?? 0);
}

function bucketPicks(buckets: Map<string, number[]>, by: MetricsGroupBy | null): Picks {
  const picks: Picks = new Map();
  const all = emptyBuckets();
  for (const [k, b] of buckets) {
    const count = b.reduce((x, y) => x + y, 0);
    picks.set(k, { count, p50: bucketPercentile(b, 50), p90: bucketPercentile(b, 90) });
    for (let i = 0; i < b.length; i++) all[i] = (all[i] ?? 0) + (b[i] ?? 0);
  }
  if (by !== null)
    picks.set(TOTAL, {
      count: all.reduce((x, y) => x + y, 0),
      p50: bucketPercentile(all, 50),
      p90: bucketPercentile(all, 90),
    });
  return picks;
}

/** Nearest-rank p50/p90 of the values per group, and of all of them under TOTAL (with a grouping). */
function valuePicks(values: Map<string, number[]>, by: MetricsGroupBy | null): Picks {
  const picks: Picks = new Map();
  const pick = (sorted: number[]): Percentiles => ({
    count: sorted.length,
    p50: nearestRank(sorted, 50),
    p90: nearestRank(sorted, 90),
  });
  const all: number[] = [];
  for (const [k, list] of values) {
    picks.set(k, pick(list.sort((a, b) => a - b)));
    if (by !== null) for (const v of list) all.push(v);
  }
  if (by !== null && all.length > 0) picks.set(TOTAL, pick(all.sort((a, b) => a - b)));
  return picks;
}

function countPicks(counts: Map<string, number>, by: MetricsGroupBy | null): Picks {
  const picks: Picks = new Map();
  let n = 0;
  for (const [k, c] of counts) {
    picks.set(k, { count: c, p50: null, p90: null });
    n += c;
  }
  if (by !== null) picks.set(TOTAL, { count: n, p50: null, p90: null });
  return picks;
}

async function runFunnel(
  db: Db,
  dialect: SqlDialect,
  q: MetricsQuery,
  by: MetricsGroupBy | null,
  options: Required<SqlMetricsOptions>,
  /**
   * A second grouping: groups are then keyed by pairKey(by key, by2 key) (counts only, see
   * funnelTwoWays, which splits them into the two reports).
   */
  by2: MetricsGroupBy | null = null,
): Promise<FunnelResult> {
  const groups = new Map<string, FunnelCounts>();
  const keyFor = (g: unknown, g2: unknown): string =>
    by2 === null ? keyOf(by, g) : pairKey(keyOf(by, g), keyOf(by2, g2));
  const at = (key: string): FunnelCounts => {
    let row = groups.get(key);
    if (!row) {
      row = emptyCounts();
      groups.set(key, row);
    }
    return row;
  };
  // Whole days from the rollups, the partial days at the ends from the rows; a window without a whole
  // day (or a reader without rollups) reads every row.
  const cube = options.rollups ? cubeFor(q.filter ?? {}, by, by2) : null;
  // A grouping by week reads whole weeks and days only (a month's rows hold no week).
  const plan = cube === null ? null : planWindow(q.since, q.until, { months: by !== 'week' && by2 !== 'week' });
  const exactRanges: Range[] = plan === null ? [[q.since, q.until]] : plan.exact;
  const wantPercentiles = q.percentiles !== false && by2 === null;
  // A long window may take its percentiles from the rollup buckets (decided below, once the number of
  // values is known): their bucket columns are read with the counts.
  const mayBucket = wantPercentiles && plan !== null && q.until - q.since > options.exactPercentilesUpTo;
  const hg = groupExpr(by, 'handoff');
  const og = groupExpr(by, 'offer');
  const hg2 = groupExpr(by2, 'handoff');
  const og2 = groupExpr(by2, 'offer');
  const recycle = new Set(q.recycleReasons);
  const speedCounts = new Map<string, number>();
  const responseCounts = new Map<string, number>();
  const speedBuckets = new Map<string, number[]>();
  const responseBuckets = new Map<string, number[]>();
  const addCount = (m: Map<string, number>, key: string, n: number) => m.set(key, (m.get(key) ?? 0) + n);
  const addRejected = (row: FunnelCounts, reasonId: string, n: number) => {
    row.rejected += n;
    row.rejectedByReason[reasonId] = (row.rejectedByReason[reasonId] ?? 0) + n;
    if (recycle.has(reasonId)) row.recycled += n;
  };

  // speedToLeadMs of src/domain/metrics.ts, in SQL: live accepted hand-offs, MQL time → decision time.
  const speedOf = (ranges: readonly Range[]): ValuesRead => ({
    g: hg,
    v: SPEED_TO_LEAD_SQL.value,
    from: HANDOFFS_FROM,
    where: sql`${cohortWhere(q, 'handoff', ranges)} and ${SPEED_TO_LEAD_SQL.has}`,
  });
  const responseOf = (ranges: readonly Range[]): ValuesRead => ({
    g: og,
    v: RESPONSE_TIME_SQL.value,
    from: OFFERS_FROM,
    where: sql`${cohortWhere(q, 'offer', ranges)} and h.imported = 0 and ${RESPONSE_TIME_SQL.has}`,
  });
  // Exact percentiles of the whole window on Postgres (percentile_disc needs no counts): when they
  // cannot come from buckets, issued together with the counts instead of after them.
  const whole: Range[] = [[q.since, q.until]];
  const earlyPicks =
    wantPercentiles && !mayBucket && dialect === 'postgres'
      ? Promise.all([
          percentiles(db, dialect, by, speedOf(whole), new Map()),
          percentiles(db, dialect, by, responseOf(whole), new Map()),
        ])
      : null;
  // Read later (or never, when the cohort is empty): a failure is thrown there, not reported as unhandled.
  earlyPicks?.catch(() => undefined);

  // One query per range: a partial day is a narrow MQL-time range the database finds by index, while an
  // OR of the first and the last day would have it look at every offer made since the first. The
  // queries of the rows and of the rollups are independent: issued together (Postgres runs them on
  // several pool connections at once; SQLite runs them one after the other), summed in any order.
  // SQLite, a window read from the rows alone with exact percentiles: the values come with the counts
  // (one pass over the cohort's hand-offs and one over its offers instead of two each), then are picked
  // by nearest rank here, as the sorted walk of percentiles() would.
  const valuesInline = wantPercentiles && plan === null && dialect === 'sqlite';
  const speedValues = new Map<string, number[]>();
  const responseValues = new Map<string, number[]>();
  const addValues = (m: Map<string, number[]>, key: string, list: unknown) => {
    if (typeof list !== 'string' || list === '') return;
    let into = m.get(key);
    if (!into) {
      into = [];
      m.set(key, into);
    }
    for (const v of list.split(',')) into.push(Number(v));
  };
  // A window that may take its percentiles from the buckets (decided once the counts are in): the
  // values of its partial days are counted per rollup bucket in the same pass (one more group column),
  // unused when the window turns out to get exact ones.
  const speedBucket = mayBucket
    ? sql`case when ${SPEED_TO_LEAD_SQL.has} then ${rollupBucketSql(SPEED_TO_LEAD_SQL.value)} end`
    : sql`null`;
  const responseBucket = mayBucket
    ? sql`case when ${RESPONSE_TIME_SQL.has} then ${rollupBucketSql(RESPONSE_TIME_SQL.value)} end`
    : sql`null`;
  const rowReads = exactRanges.map((range) => {
    const hWhere = cohortWhere(q, 'handoff', [range]);
    const oWhere = cohortWhere(q, 'offer', [range]);
    // One pass over the cohort rows: counts by group, state and reason (and bucket).
    const counts = runRead(
      db,
      dialect,
      sql<Record<string, unknown>>`
      select ${hg} as g, ${hg2} as g2, h.state as state, h.reason_id as reason, ${speedBucket} as b,
        count(*) as n,
        sum(h.imported) as imported,
        sum(case when h.escalated_at is not null then 1 else 0 end) as escalated,
        sum(case when ${SPEED_TO_LEAD_SQL.has} then 1 else 0 end) as timed${
          valuesInline
            ? sql`, group_concat(case when ${SPEED_TO_LEAD_SQL.has} then ${SPEED_TO_LEAD_SQL.value} end) as vals`
            : sql``
        }
      from handoffs h
      where ${hWhere}
      group by 1, 2, 3, 4, 5`,
    );
    const offers = runRead(
      db,
      dialect,
      sql<Record<string, unknown>>`
      select ${og} as g, ${og2} as g2, ${responseBucket} as b,
        sum(case when o.state = 'timed_out' then 1 else 0 end) as timeouts,
        sum(case when o.state in ('accepted', 'rejected', 'timed_out') then 1 else 0 end) as ended,
        sum(case when o.state in ('accepted', 'rejected') and o.decided_at <= o.due_at then 1 else 0 end) as on_time,
        sum(case when ${RESPONSE_TIME_SQL.has} then 1 else 0 end) as decided${
          valuesInline
            ? sql`, group_concat(case when ${RESPONSE_TIME_SQL.has} then ${RESPONSE_TIME_SQL.value} end) as vals`
            : sql``
        }
      from ${OFFERS_FROM}
      where ${oWhere} and h.imported = 0
      group by 1, 2, 3`,
    );
    return Promise.all([counts, offers]);
  });
  const rollupRead =
    plan !== null && cube !== null
      ? readRollups(
          db,
          dialect,
          cube,
          plan.slices,
          q.filter ?? {},
          by,
          { counts: FUNNEL_COUNT_COLUMNS, buckets: mayBucket },
          by2,
        )
      : Promise.resolve([]);
  const [rowResults, rollupRows] = await Promise.all([Promise.all(rowReads), rollupRead]);
  /** Adds `n` values in bucket `b` (a row's b column; null when the rows counted have no value). */
  const addBucketCount = (into: Map<string, number[]>, key: string, b: unknown, n: number) => {
    if (b === null || b === undefined || n === 0) return;
    const one = emptyBuckets();
    one[num(b)] = n;
    addBuckets(into, key, one);
  };
  for (const [counts, offers] of rowResults) {
    for (const r of counts.rows) {
      const key = keyFor(r.g, r.g2);
      const row = at(key);
      const n = num(r.n);
      const state = String(r.state);
      row.mqls += n;
      row.imported += num(r.imported);
      row.escalated += num(r.escalated);
      if (state === 'accepted') {
        row.sals += n;
        addCount(speedCounts, key, num(r.timed));
        if (valuesInline) addValues(speedValues, key, r.vals);
        if (mayBucket) addBucketCount(speedBuckets, key, r.b, num(r.timed));
      } else if (state === 'rejected') {
        addRejected(row, r.reason === null || r.reason === undefined ? NO_GROUP : String(r.reason), n);
      } else if (state === 'withdrawn') {
        row.withdrawn += n;
      } else if (isOpen(state)) {
        row.pending += n;
      }
    }
    for (const r of offers.rows) {
      const key = keyFor(r.g, r.g2);
      const row = at(key);
      row.timeouts += num(r.timeouts);
      row.offersEnded += num(r.ended);
      row.offersOnTime += num(r.on_time);
      addCount(responseCounts, key, num(r.decided));
      if (valuesInline) addValues(responseValues, key, r.vals);
      if (mayBucket) addBucketCount(responseBuckets, key, r.b, num(r.decided));
    }
  }

  {
    for (const r of rollupRows) {
      const c = r.counts;
      if (Object.values(c).every((v) => v === 0)) continue; // a group every hand-off has left
      const key = keyFor(r.g, r.g2);
      const row = at(key);
      if (r.side === 'h') {
        row.mqls += c.mqls;
        row.imported += c.imported;
        row.sals += c.sals;
        row.pending += c.pending;
        row.withdrawn += c.withdrawn;
        row.escalated += c.escalated;
        if (c.rejected > 0) addRejected(row, r.reason === '' ? NO_GROUP : r.reason, c.rejected);
        addCount(speedCounts, key, c.timed);
        if (mayBucket) addBuckets(speedBuckets, key, r.buckets);
      } else {
        row.timeouts += c.timeouts;
        row.offersEnded += c.ended;
        row.offersOnTime += c.on_time;
        addCount(responseCounts, key, c.timed);
        if (mayBucket) addBuckets(responseBuckets, key, r.buckets);
      }
    }
  }
  if (groups.size === 0) return { total: emptyCounts(), groups: [] };
  const values = [...speedCounts.values(), ...responseCounts.values()].reduce((a, b) => a + b, 0);
  const bucketed =
    mayBucket &&
    (values > options.exactPercentilesUpToValues || q.until - q.since > options.exactPercentilesByCountUpTo);

  let speed: Picks;
  let response: Picks;
  if (!wantPercentiles) {
    speed = countPicks(speedCounts, by);
    response = countPicks(responseCounts, by);
  } else if (bucketed) {
    // Rollup histograms, plus the values of the partial days bucketed the same way (counted above).
    speed = bucketPicks(speedBuckets, by);
    response = bucketPicks(responseBuckets, by);
  } else if (valuesInline) {
    speed = valuePicks(speedValues, by);
    response = valuePicks(responseValues, by);
  } else if (earlyPicks !== null) {
    [speed, response] = await earlyPicks;
  } else {
    speed = await percentiles(db, dialect, by, speedOf(whole), speedCounts);
    response = await percentiles(db, dialect, by, responseOf(whole), responseCounts);
  }
  const total = emptyCounts();
  for (const [k, p] of speed) {
    if (k === TOTAL) total.speedToLead = p;
    else at(k).speedToLead = p;
  }
  for (const [k, p] of response) {
    if (k === TOTAL) total.responseTime = p;
    else at(k).responseTime = p;
  }
  const sorted = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (by === null) return { total: groups.get('all') ?? total, groups: [] };
  // Counts add up across groups (every hand-off and every offer is in exactly one group).
  for (const [, g] of sorted) addCounts(total, g);
  return { total, groups: sorted.map(([key, counts]) => ({ key, ...counts })) };
}

export function createSqlMetricsReader(db: Db, dialect: SqlDialect, options: SqlMetricsOptions = {}): MetricsReader {
  const opts: Required<SqlMetricsOptions> = {
    rollups: options.rollups ?? true,
    exactPercentilesUpTo: options.exactPercentilesUpTo ?? EXACT_PERCENTILES_UP_TO,
    exactPercentilesUpToValues: options.exactPercentilesUpToValues ?? EXACT_PERCENTILES_UP_TO_VALUES,
    exactPercentilesByCountUpTo: options.exactPercentilesByCountUpTo ?? EXACT_PERCENTILES_BY_COUNT_UP_TO,
  };
  return {
    funnel(q: MetricsQuery): Promise<FunnelResult> {
      return runFunnel(db, dialect, q, q.by ?? null, opts);
    },

    funnelTwoWays(q: MetricsQuery, a: MetricsGroupBy, b: MetricsGroupBy): Promise<[FunnelResult, FunnelResult]> {
      return funnelTwoWays(db, dialect, q, a, b, opts);
    },

    async backlog(now: Millis): Promise<BacklogSnapshot> {
      // Hand-offs of the days before the one 24 hours back are all older than 24 hours: with rollups
      // their open counts come from there, and only the last day or two are read from the rows.
      const cut = opts.rollups ? Math.floor((now - 24 * HOUR) / DAY) * DAY : null;
      const r = await sql<Record<string, unknown>>`
        select count(*) as open,
          ${OPEN_BY_STATE},
          sum(case when mql_at > ${now - HOUR} then 1 else 0 end) as under1h,
          sum(case when mql_at <= ${now - HOUR} and mql_at > ${now - 4 * HOUR} then 1 else 0 end) as under4h,
          sum(case when mql_at <= ${now - 4 * HOUR} and mql_at > ${now - 24 * HOUR} then 1 else 0 end) as under24h,
          sum(case when mql_at <= ${now - 24 * HOUR} then 1 else 0 end) as older,
          sum(case when state = 'escalated' and escalation_reason = 'unroutable' then 1 else 0 end) as unroutable,
          min(mql_at) as oldest
        from handoffs
        where state in (${OPEN}) and imported = 0${cut === null ? sql`` : sql` and mql_at >= ${cut}`}`.execute(db);
      const row = r.rows[0] ?? {};
      const snap: BacklogSnapshot = {
        open: num(row.open),
        byState: Object.fromEntries(OPEN_STATES.map((s) => [s, num(row[s])])) as Record<OpenState, number>,
        byAge: {
          under1h: num(row.under1h),
          under4h: num(row.under4h),
          under24h: num(row.under24h),
          older: num(row.older),
        },
        oldestMqlAt: numOrNull(row.oldest),
        unroutable: num(row.unroutable),
      };
      const plan = cut === null ? null : planWindow(0, cut);
      if (plan === null) return snap;
      for (const x of await readRollups(db, dialect, 'r', plan.slices, {}, null, BACKLOG_COLUMNS)) {
        if (x.side !== 'h') continue;
        for (const s of OPEN_STATES) {
          const n = x.counts[`live_${s}`] ?? 0;
          snap.byState[s] += n;
          snap.open += n;
          snap.byAge.older += n;
        }
        snap.unroutable += x.counts.unroutable;
      }
      const oldest = await sql<{ oldest: unknown }>`
        select min(mql_at) as oldest from handoffs where state in (${OPEN}) and imported = 0`.execute(db);
      snap.oldestMqlAt = numOrNull(oldest.rows[0]?.oldest);
      return snap;
    },

    async countOpenHandoffs(filter: MetricsFilter, now: Millis): Promise<number> {
      // The whole days before today from the rollups' live open counts (kept in the store's
      // transactions, so exact); today's rows (and any later MQL time) counted from the rows.
      const f: MetricsFilter = {};
      if (filter.team !== undefined) f.team = filter.team;
      if (filter.source !== undefined) f.source = filter.source;
      if (filter.campaign !== undefined) f.campaign = filter.campaign;
      if (filter.hot !== undefined) f.hot = filter.hot;
      const cut = opts.rollups ? Math.floor(now / DAY) * DAY : null;
      const parts: RawBuilder<unknown>[] = [sql`state in (${OPEN})`, sql`imported = 0`];
      if (f.team !== undefined) parts.push(sql`team_id = ${f.team}`);
      if (f.source !== undefined) parts.push(sql`channel = ${f.source}`);
      if (f.campaign !== undefined) parts.push(sql`campaign = ${f.campaign}`);
      if (f.hot !== undefined) parts.push(sql`hot = ${f.hot ? 1 : 0}`);
      if (cut !== null) parts.push(sql`mql_at >= ${cut}`);
      const plan = cut === null ? null : planWindow(0, cut);
      const [rows, rolled] = await Promise.all([
        sql<{ n: unknown }>`select count(*) as n from handoffs where ${sql.join(parts, sql` and `)}`.execute(db),
        plan === null
          ? Promise.resolve([])
          : readRollups(db, dialect, cubeFor(f, null), plan.slices, f, null, BACKLOG_COLUMNS),
      ]);
      let n = num(rows.rows[0]?.n);
      for (const x of rolled) {
        if (x.side !== 'h') continue;
        for (const s of OPEN_STATES) n += x.counts[`live_${s}`] ?? 0;
      }
      return n;
    },

    async windowSpeedAndEscalations(
      since: Millis,
      until: Millis,
      filter: MetricsFilter,
      edges: readonly number[],
      escalations: number,
    ): Promise<{ speedCounts: number[]; escalated: EscalatedHandoff[] }> {
      const parts: RawBuilder<unknown>[] = [sql`h.mql_at >= ${since}`, sql`h.mql_at < ${until}`];
      if (filter.team !== undefined) parts.push(sql`h.team_id = ${filter.team}`);
      if (filter.source !== undefined) parts.push(sql`h.channel = ${filter.source}`);
      if (filter.campaign !== undefined) parts.push(sql`h.campaign = ${filter.campaign}`);
      if (filter.hot !== undefined) parts.push(sql`h.hot = ${filter.hot ? 1 : 0}`);
      const where = sql.join(parts, sql` and `);
      const v = SPEED_TO_LEAD_SQL.value;
      // bucketIndex of src/domain/metrics.ts: the last edge at or below the value (bucket 0 below edges[1]).
      const branches = edges
        .map((edge, k) => ({ edge, k }))
        .slice(1)
        .reverse()
        .map(({ edge, k }) => sql`when ${v} >= ${sql.lit(edge)} then ${sql.lit(k)}`);
      const bucket = branches.length === 0 ? sql`0` : sql`case ${sql.join(branches, sql` `)} else 0 end`;
      const [counts, rows] = await Promise.all([
        sql<{ b: unknown; n: unknown }>`
          select ${bucket} as b, count(*) as n from handoffs h
          where ${where} and ${SPEED_TO_LEAD_SQL.has} group by 1`.execute(db),
        escalations <= 0
          ? Promise.resolve({ rows: [] })
          : sql<Record<string, unknown>>`
          select h.id, h.lead_id, h.external_id, h.email, h.state, h.rep_id, h.channel, h.campaign,
            h.escalated_at, h.escalation_reason
          from handoffs h where ${where} and h.escalated_at is not null
          order by h.escalated_at desc, h.mql_at, h.id limit ${sql.lit(Math.floor(escalations))}`.execute(db),
      ]);
      const speedCounts = edges.map(() => 0);
      for (const r of counts.rows) speedCounts[num(r.b)] = num(r.n);
      const str = (x: unknown): string | null => (x === null || x === undefined ? null : String(x));
      const escalated = rows.rows.map((r) => ({
        id: String(r.id),
        leadId: String(r.lead_id),
        externalId: String(r.external_id),
        email: str(r.email),
        state: String(r.state) as HandoffState,
        repId: str(r.rep_id),
        channel: str(r.channel),
        campaign: str(r.campaign),
        escalatedAt: num(r.escalated_at),
        escalationReason: str(r.escalation_reason),
      }));
      return { speedCounts, escalated };
    },

    async countMqls(since: Millis, until: Millis): Promise<number> {
      const r = await sql<{
        n: unknown;
      }>`select count(*) as n from handoffs where mql_at >= ${since} and mql_at < ${until}`.execute(db);
      return num(r.rows[0]?.n);
    },

    async listTimedOutOffers(since: Millis, until: Millis, limit: number): Promise<TimedOutOffer[]> {
      const rows = await db
        .selectFrom('offers as o')
        .innerJoin('handoffs as h', 'h.id', 'o.handoff_id')
        .select([
          'o.id as offer_id',
          'o.handoff_id',
          'o.rep_id',
          'o.seq',
          'o.due_at',
          'o.decided_at',
          'h.state',
          'h.email',
          'h.hot',
        ])
        .where('o.state', '=', 'timed_out')
        .where('o.decided_at', '>=', since)
        .where('o.decided_at', '<', until)
        .orderBy('o.decided_at')
        .orderBy('o.id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        offerId: r.offer_id,
        handoffId: r.handoff_id,
        repId: r.rep_id,
        seq: r.seq,
        dueAt: r.due_at,
        timedOutAt: r.decided_at ?? r.due_at,
        handoffState: r.state as HandoffState,
        email: r.email,
        hot: r.hot === 1,
      }));
    },

    async rejectionNotes(since: Millis, until: Millis, perReason: number): Promise<RejectionNote[]> {
      const r = await sql<Record<string, unknown>>`
        select id, reason_id, note, channel, campaign, decided_at from (
          select h.id, h.reason_id, h.note, h.channel, h.campaign, h.decided_at,
            row_number() over (partition by h.reason_id order by h.decided_at desc, h.id) as rn
          from handoffs h
          where h.state = 'rejected' and h.decided_at >= ${since} and h.decided_at < ${until}
            and h.note is not null and h.note <> ''
        ) as notes
        where rn <= ${perReason}
        order by reason_id, decided_at desc, id`.execute(db);
      return r.rows.map((x) => ({
        handoffId: String(x.id),
        reasonId: x.reason_id === null ? NO_GROUP : String(x.reason_id),
        note: String(x.note),
        source: x.channel === null ? null : String(x.channel),
        campaign: x.campaign === null ? null : String(x.campaign),
        decidedAt: num(x.decided_at),
      }));
    },

    async exportHandoffs(since, until, limit, after): Promise<ExportRow[]> {
      let q = db
        .selectFrom('handoffs as h')
        .leftJoin('leads as l', 'l.id', 'h.lead_id')
        .selectAll('h')
        .select(['l.first_name', 'l.last_name', 'l.fields as lead_fields'])
        .where('h.mql_at', '>=', since)
        .where('h.mql_at', '<', until);
      if (after) {
        const a = after;
        q = q.where((eb) =>
          eb.or([eb('h.mql_at', '>', a.mqlAt), eb.and([eb('h.mql_at', '=', a.mqlAt), eb('h.id', '>', a.id)])]),
        );
      }
      const rows = await q.orderBy('h.mql_at').orderBy('h.id').limit(limit).execute();
      if (rows.length === 0) return [];
      const offers = await db
        .selectFrom('offers')
        .select(['handoff_id', 'seq', 'rep_id', 'state', 'offered_at', 'due_at', 'decided_at'])
        .where(
          'handoff_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('handoff_id')
        .orderBy('seq')
        .execute();
      const byHandoff = new Map<string, ExportOffer[]>();
      for (const o of offers) {
        const list = byHandoff.get(o.handoff_id) ?? [];
        list.push({
          seq: o.seq,
          repId: o.rep_id,
          state: o.state as OfferState,
          offeredAt: o.offered_at,
          dueAt: o.due_at,
          decidedAt: o.decided_at,
        });
        byHandoff.set(o.handoff_id, list);
      }
      return rows.map((h) => ({
        id: h.id,
        source: h.source,
        externalId: h.external_id,
        email: h.email,
        firstName: h.first_name ?? null,
        lastName: h.last_name ?? null,
        company: companyOf(h.lead_fields ?? null),
        channel: h.channel,
        campaign: h.campaign,
        hot: h.hot === 1,
        imported: h.imported === 1,
        mqlAt: h.mql_at,
        state: h.state as HandoffState,
        teamId: h.team_id,
        repId: h.rep_id,
        escalatedAt: h.escalated_at,
        escalationReason: h.escalation_reason,
        decidedAt: h.decided_at,
        decidedBy: h.decided_by,
        reasonId: h.reason_id,
        note: h.note,
        offers: byHandoff.get(h.id) ?? [],
      }));
    },

    async settledFunnel(q: SettledQuery): Promise<SettledResult> {
      const total = (await runSettled(db, q, null)).get('all') ?? emptySettled(q.until);
      if (!q.by) return { total, groups: [] };
      const byKey = await runSettled(db, q, q.by);
      const groups = [...byKey.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, c]) => ({ key, ...c }));
      return { total, groups };
    },
  };
}

function companyOf(fieldsJson: string | null): string | null {
  if (fieldsJson === null) return null;
  try {
    const fields = JSON.parse(fieldsJson) as { company?: unknown };
    return typeof fields.company === 'string' ? fields.company : null;
  } catch {
    return null;
  }
}

// ---- settled cohorts (rate alerts) --------------------------------------------------------------

export function emptySettled(until: Millis): SettledCounts {
  return {
    mqls: 0,
    judgedUntil: until,
    settled: 0,
    sals: 0,
    rejected: 0,
    rejectedByReason: {},
    withdrawn: 0,
    escalated: 0,
    overdue: 0,
    pending: 0,
    notJudged: 0,
  };
}

const FINAL = sql.join(HANDOFF_STATES.filter(isFinal).map((s) => sql.lit(s)));

/**
 * settledStatus and judgedUntil of src/domain/settled.ts in SQL, per group: the oldest pending MQL
 * of each group (a CTE over the (state, mql_at) index), then one pass over the window counting each
 * status, judged (before its group's oldest pending MQL) or not. The group column is wrapped in
 * coalesce (empty = no group, as keyOf reads it) so SQLite walks the mql_at range instead of a whole
 * (channel, mql_at) index to get the rows in group order.
 */
async function runSettled(db: Db, q: SettledQuery, by: SettledGroupBy | null): Promise<Map<string, SettledCounts>> {
  const g = groupExpr(by, 'handoff');
  const window = sql`h.mql_at >= ${q.since} and h.mql_at < ${q.until}`;
  const lastDeadline = sql`coalesce(h.due_at, h.mql_at + ${q.unofferedWithin})`;
  const r = await sql<Record<string, unknown>>`
    with hz as (
      select coalesce(${g}, '') as gk, min(h.mql_at) as hz
      from handoffs h
      where ${window} and h.state in (${OPEN}) and h.escalated_at is null and ${lastDeadline} > ${q.now}
      group by 1
    )
    select coalesce(${g}, '') as g,
      case when h.state in (${FINAL}) then h.state
        when h.escalated_at is not null then 'escalated'
        when ${lastDeadline} <= ${q.now} then 'overdue'
        else 'pending' end as status,
      case when h.state = 'rejected' then h.reason_id else null end as reason,
      case when hz.hz is null or h.mql_at < hz.hz then 1 else 0 end as judged,
      min(hz.hz) as hz,
      count(*) as n
    from handoffs h left join hz on hz.gk = coalesce(${g}, '')
    where ${window}
    group by 1, 2, 3, 4`.execute(db);
  const out = new Map<string, SettledCounts>();
  for (const row of r.rows) {
    const key = keyOf(by, row.g);
    let c = out.get(key);
    if (!c) {
      c = emptySettled(q.until);
      out.set(key, c);
    }
    const n = num(row.n);
    const status = String(row.status);
    if (row.hz !== null && row.hz !== undefined) c.judgedUntil = Math.min(c.judgedUntil, num(row.hz));
    c.mqls += n;
    if (status === 'pending') c.pending += n;
    if (num(row.judged) !== 1) {
      c.notJudged += n;
      continue;
    }
    c.settled += n;
    if (status === 'accepted') c.sals += n;
    else if (status === 'rejected') {
      c.rejected += n;
      const reason = row.reason === null || row.reason === undefined ? NO_GROUP : String(row.reason);
      c.rejectedByReason[reason] = (c.rejectedByReason[reason] ?? 0) + n;
    } else if (status === 'withdrawn') c.withdrawn += n;
    else if (status === 'escalated') c.escalated += n;
    else if (status === 'overdue') c.overdue += n;
  }
  return out;
}
