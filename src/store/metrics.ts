// The MetricsReader over SQL: every number is an aggregate computed by the database over the
// cohort's rows (found through the mql_at / team / rep / channel / campaign indexes); nothing loads
// the cohort into memory. Percentiles use window functions (row_number and count over the group),
// picking the nearest-rank value, so SQLite and Postgres return identical figures.
import { sql } from 'kysely';
import type { Kysely, RawBuilder } from 'kysely';
import { FIRST_MONDAY, WEEK } from '../domain/metrics.js';
import type { HandoffState, Millis, OfferState } from '../domain/model.js';
import { NO_GROUP } from '../ports/metrics.js';
import type {
  BacklogSnapshot,
  ExportOffer,
  ExportRow,
  FunnelCounts,
  FunnelGroup,
  FunnelResult,
  MetricsFilter,
  MetricsGroupBy,
  MetricsQuery,
  MetricsReader,
  Percentiles,
  RejectionNote,
  TimedOutOffer,
} from '../ports/metrics.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;
type Side = 'handoff' | 'offer';

const OPEN = sql.join(['detected', 'offered', 'escalated'].map((s) => sql.lit(s)));
const HOUR = 3_600_000;

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

/** WHERE conditions on the cohort (hand-offs `h`; the rep filter names the offer's rep on the offer side). */
function cohortWhere(q: MetricsQuery, side: Side): RawBuilder<unknown> {
  const f: MetricsFilter = q.filter ?? {};
  const parts: RawBuilder<unknown>[] = [sql`h.mql_at >= ${q.since}`, sql`h.mql_at < ${q.until}`];
  if (f.team !== undefined) parts.push(sql`h.team_id = ${f.team}`);
  if (f.rep !== undefined) parts.push(side === 'offer' ? sql`o.rep_id = ${f.rep}` : sql`h.rep_id = ${f.rep}`);
  if (f.source !== undefined) parts.push(sql`h.channel = ${f.source}`);
  if (f.campaign !== undefined) parts.push(sql`h.campaign = ${f.campaign}`);
  if (f.hot !== undefined) parts.push(sql`h.hot = ${f.hot ? 1 : 0}`);
  return sql.join(parts, sql` and `);
}

function keyOf(by: MetricsGroupBy | null | undefined, raw: unknown): string {
  if (raw === null || raw === undefined || raw === '') return NO_GROUP;
  if (by === 'week') return new Date(Number(raw)).toISOString().slice(0, 10);
  return String(raw);
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

/** Nearest-rank p50/p90 of `value` per group, over the rows `from` selects (columns g and v). */
function percentilesSql(inner: RawBuilder<unknown>): RawBuilder<{ g: unknown; n: unknown; p50: unknown; p90: unknown }> {
  return sql<{ g: unknown; n: unknown; p50: unknown; p90: unknown }>`
    select g, max(cnt) as n,
      max(case when rn = (50 * cnt + 99) / 100 then v end) as p50,
      max(case when rn = (90 * cnt + 99) / 100 then v end) as p90
    from (
      select g, v,
        row_number() over (partition by g order by v) as rn,
        count(*) over (partition by g) as cnt
      from (${inner}) as vals
    ) as ranked
    group by g`;
}

async function runFunnel(db: Db, q: MetricsQuery, by: MetricsGroupBy | null): Promise<Map<string, FunnelCounts>> {
  const groups = new Map<string, FunnelCounts>();
  const at = (raw: unknown): FunnelCounts => {
    const key = keyOf(by, raw);
    let row = groups.get(key);
    if (!row) {
      row = emptyCounts();
      groups.set(key, row);
    }
    return row;
  };
  const hg = groupExpr(by, 'handoff');
  const og = groupExpr(by, 'offer');
  const hWhere = cohortWhere(q, 'handoff');
  const oWhere = cohortWhere(q, 'offer');
  const recycle =
    q.recycleReasons.length === 0 ? sql`0 = 1` : sql`h.reason_id in (${sql.join(q.recycleReasons.map((r) => sql`${r}`))})`;

  const counts = await sql<Record<string, unknown>>`
    select ${hg} as g,
      count(*) as mqls,
      sum(h.imported) as imported,
      sum(case when h.state = 'accepted' then 1 else 0 end) as sals,
      sum(case when h.state = 'rejected' then 1 else 0 end) as rejected,
      sum(case when h.state in (${OPEN}) then 1 else 0 end) as pending,
      sum(case when h.state = 'withdrawn' then 1 else 0 end) as withdrawn,
      sum(case when h.escalated_at is not null then 1 else 0 end) as escalated,
      sum(case when h.state = 'rejected' and ${recycle} then 1 else 0 end) as recycled
    from handoffs h
    where ${hWhere}
    group by 1`.execute(db);
  for (const r of counts.rows) {
    const row = at(r.g);
    row.mqls = num(r.mqls);
    row.imported = num(r.imported);
    row.sals = num(r.sals);
    row.rejected = num(r.rejected);
    row.pending = num(r.pending);
    row.withdrawn = num(r.withdrawn);
    row.escalated = num(r.escalated);
    row.recycled = num(r.recycled);
  }
  if (groups.size === 0) return groups;

  const reasons = await sql<{ g: unknown; reason: string | null; n: unknown }>`
    select ${hg} as g, h.reason_id as reason, count(*) as n
    from handoffs h
    where ${hWhere} and h.state = 'rejected'
    group by 1, 2`.execute(db);
  for (const r of reasons.rows) at(r.g).rejectedByReason[r.reason ?? NO_GROUP] = num(r.n);

  const offers = await sql<Record<string, unknown>>`
    select ${og} as g,
      sum(case when o.state = 'timed_out' then 1 else 0 end) as timeouts,
      sum(case when o.state in ('accepted', 'rejected', 'timed_out') then 1 else 0 end) as ended,
      sum(case when o.state in ('accepted', 'rejected') and o.decided_at <= o.due_at then 1 else 0 end) as on_time
    from handoffs h join offers o on o.handoff_id = h.id
    where ${oWhere} and h.imported = 0
    group by 1`.execute(db);
  for (const r of offers.rows) {
    const row = at(r.g);
    row.timeouts = num(r.timeouts);
    row.offersEnded = num(r.ended);
    row.offersOnTime = num(r.on_time);
  }

  const speed = await percentilesSql(sql`
    select ${hg} as g, h.decided_at - h.mql_at as v
    from handoffs h
    where ${hWhere} and h.state = 'accepted' and h.imported = 0 and h.decided_at is not null`).execute(db);
  for (const r of speed.rows) at(r.g).speedToLead = percentiles(r);

  const response = await percentilesSql(sql`
    select ${og} as g, o.decided_at - o.offered_at as v
    from handoffs h join offers o on o.handoff_id = h.id
    where ${oWhere} and h.imported = 0 and o.state in ('accepted', 'rejected') and o.decided_at is not null`).execute(db);
  for (const r of response.rows) at(r.g).responseTime = percentiles(r);
  return groups;
}

function percentiles(r: { n: unknown; p50: unknown; p90: unknown }): Percentiles {
  return { count: num(r.n), p50: numOrNull(r.p50), p90: numOrNull(r.p90) };
}

export function createSqlMetricsReader(db: Db): MetricsReader {
  return {
    async funnel(q: MetricsQuery): Promise<FunnelResult> {
      const total = (await runFunnel(db, q, null)).get('all') ?? emptyCounts();
      if (!q.by) return { total, groups: [] };
      const byKey = await runFunnel(db, q, q.by);
      const groups: FunnelGroup[] = [...byKey.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, counts]) => ({ key, ...counts }));
      return { total, groups };
    },

    async backlog(now: Millis): Promise<BacklogSnapshot> {
      const r = await sql<Record<string, unknown>>`
        select count(*) as open,
          sum(case when state = 'detected' then 1 else 0 end) as detected,
          sum(case when state = 'offered' then 1 else 0 end) as offered,
          sum(case when state = 'escalated' then 1 else 0 end) as escalated,
          sum(case when mql_at > ${now - HOUR} then 1 else 0 end) as under1h,
          sum(case when mql_at <= ${now - HOUR} and mql_at > ${now - 4 * HOUR} then 1 else 0 end) as under4h,
          sum(case when mql_at <= ${now - 4 * HOUR} and mql_at > ${now - 24 * HOUR} then 1 else 0 end) as under24h,
          sum(case when mql_at <= ${now - 24 * HOUR} then 1 else 0 end) as older,
          sum(case when state = 'escalated' and escalation_reason = 'unroutable' then 1 else 0 end) as unroutable,
          min(mql_at) as oldest
        from handoffs
        where state in (${OPEN})`.execute(db);
      const row = r.rows[0] ?? {};
      return {
        open: num(row.open),
        byState: { detected: num(row.detected), offered: num(row.offered), escalated: num(row.escalated) },
        byAge: { under1h: num(row.under1h), under4h: num(row.under4h), under24h: num(row.under24h), older: num(row.older) },
        oldestMqlAt: numOrNull(row.oldest),
        unroutable: num(row.unroutable),
      };
    },

    async countMqls(since: Millis, until: Millis): Promise<number> {
      const r = await sql<{ n: unknown }>`select count(*) as n from handoffs where mql_at >= ${since} and mql_at < ${until}`.execute(db);
      return num(r.rows[0]?.n);
    },

    async listTimedOutOffers(since: Millis, until: Millis, limit: number): Promise<TimedOutOffer[]> {
      const rows = await db
        .selectFrom('offers as o')
        .innerJoin('handoffs as h', 'h.id', 'o.handoff_id')
        .select(['o.id as offer_id', 'o.handoff_id', 'o.rep_id', 'o.seq', 'o.due_at', 'o.decided_at', 'h.state', 'h.email', 'h.hot'])
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
        q = q.where((eb) => eb.or([eb('h.mql_at', '>', a.mqlAt), eb.and([eb('h.mql_at', '=', a.mqlAt), eb('h.id', '>', a.id)])]));
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
        list.push({ seq: o.seq, repId: o.rep_id, state: o.state as OfferState, offeredAt: o.offered_at, dueAt: o.due_at, decidedAt: o.decided_at });
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
