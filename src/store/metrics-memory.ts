// The MetricsReader over any Store port (the in-memory store of unit tests): the same definitions as
// the SQL reader, computed by walking the cohort page by page. Not for big stores — SQL does that.
import { OPEN_STATES, isOpen, type OpenState } from '../domain/handoff-machine.js';
import { bucketIndex, nearestRank, responseTimeMs, speedToLeadMs, weekStart } from '../domain/metrics.js';
import type { Handoff, Millis, Offer } from '../domain/model.js';
import { NO_GROUP } from '../ports/metrics.js';
import type {
  BacklogSnapshot,
  ExportRow,
  FunnelCounts,
  FunnelResult,
  MetricsFilter,
  MetricsGroupBy,
  MetricsQuery,
  MetricsReader,
  RejectionNote,
  SettledCounts,
  SettledQuery,
  SettledResult,
  TimedOutOffer,
} from '../ports/metrics.js';
import type { Store } from '../ports/store.js';
import { createSqlMetricsReader, emptyCounts, emptySettled } from './metrics.js';
import { judgedUntil, settledStatus, type SettledStatus } from '../domain/settled.js';
import type { SqlStore } from './sql-store.js';

const PAGE = 500;
const HOUR = 3_600_000;

async function* cohort(store: Store, since: Millis, until: Millis): AsyncGenerator<Handoff> {
  let after: { mqlAt: Millis; id: string } | undefined;
  for (;;) {
    const page = await store.listHandoffsByMqlTime(since, until, PAGE, after);
    for (const h of page) yield h;
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) return;
    after = { mqlAt: last.mqlAt, id: last.id };
  }
}

function handoffKey(by: MetricsGroupBy | null, h: Handoff): string | null {
  switch (by) {
    case 'week':
      return new Date(weekStart(h.mqlAt)).toISOString().slice(0, 10);
    case 'rep':
      return h.repId;
    case 'team':
      return h.teamId;
    case 'source':
      return h.channel;
    case 'campaign':
      return h.campaign;
    case 'reason':
      return h.reasonId;
    default:
      return 'all';
  }
}

const ENDED = new Set(['accepted', 'rejected', 'timed_out']);
const DECIDED = new Set(['accepted', 'rejected']);

async function funnelBy(store: Store, q: MetricsQuery, by: MetricsGroupBy | null): Promise<Map<string, FunnelCounts>> {
  const f = q.filter ?? {};
  const groups = new Map<string, FunnelCounts & { speeds: number[]; responses: number[] }>();
  const at = (key: string | null) => {
    const k = key === null || key === '' ? NO_GROUP : key;
    let g = groups.get(k);
    if (!g) {
      g = { ...emptyCounts(), speeds: [], responses: [] };
      groups.set(k, g);
    }
    return g;
  };
  for await (const h of cohort(store, q.since, q.until)) {
    if (f.team !== undefined && h.teamId !== f.team) continue;
    if (f.source !== undefined && h.channel !== f.source) continue;
    if (f.campaign !== undefined && h.campaign !== f.campaign) continue;
    if (f.hot !== undefined && h.hot !== f.hot) continue;
    if (f.rep === undefined || h.repId === f.rep) {
      const g = at(handoffKey(by, h));
      g.mqls += 1;
      if (h.imported) g.imported += 1;
      if (h.state === 'accepted') g.sals += 1;
      if (h.state === 'rejected') {
        g.rejected += 1;
        const reason = h.reasonId ?? NO_GROUP;
        g.rejectedByReason[reason] = (g.rejectedByReason[reason] ?? 0) + 1;
        if (h.reasonId !== null && q.recycleReasons.includes(h.reasonId)) g.recycled += 1;
      }
      if (isOpen(h.state)) g.pending += 1;
      if (h.state === 'withdrawn') g.withdrawn += 1;
      if (h.escalatedAt !== null) g.escalated += 1;
      const speed = speedToLeadMs(h);
      if (speed !== null) g.speeds.push(speed);
    }
    if (h.imported) continue;
    const offers: Offer[] = await store.listOffers(h.id);
    for (const o of offers) {
      if (f.rep !== undefined && o.repId !== f.rep) continue;
      const g = at(by === 'rep' ? o.repId : handoffKey(by, h));
      if (o.state === 'timed_out') g.timeouts += 1;
      if (ENDED.has(o.state)) g.offersEnded += 1;
      if (DECIDED.has(o.state) && o.decidedAt !== null && o.decidedAt <= o.dueAt) g.offersOnTime += 1;
      const response = responseTimeMs(o);
      if (response !== null) g.responses.push(response);
    }
  }
  const out = new Map<string, FunnelCounts>();
  for (const [k, g] of groups) {
    const { speeds, responses, ...counts } = g;
    speeds.sort((a, b) => a - b);
    responses.sort((a, b) => a - b);
    counts.speedToLead = { count: speeds.length, p50: nearestRank(speeds, 50), p90: nearestRank(speeds, 90) };
    counts.responseTime = { count: responses.length, p50: nearestRank(responses, 50), p90: nearestRank(responses, 90) };
    out.set(k, counts);
  }
  return out;
}

export function createStoreMetricsReader(store: Store): MetricsReader {
  return {
    async funnel(q: MetricsQuery): Promise<FunnelResult> {
      const total = (await funnelBy(store, q, null)).get('all') ?? emptyCounts();
      if (!q.by) return { total, groups: [] };
      const byKey = await funnelBy(store, q, q.by);
      const groups = [...byKey.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, c]) => ({ key, ...c }));
      return { total, groups };
    },

    async backlog(now: Millis): Promise<BacklogSnapshot> {
      const open = await store.listOpenHandoffs(Number.MAX_SAFE_INTEGER);
      const snap: BacklogSnapshot = {
        open: open.length,
        byState: Object.fromEntries(OPEN_STATES.map((s) => [s, 0])) as Record<OpenState, number>,
        byAge: { under1h: 0, under4h: 0, under24h: 0, older: 0 },
        oldestMqlAt: null,
        unroutable: 0,
      };
      for (const h of open) {
        if (isOpen(h.state)) snap.byState[h.state] += 1;
        const age = now - h.mqlAt;
        if (age < HOUR) snap.byAge.under1h += 1;
        else if (age < 4 * HOUR) snap.byAge.under4h += 1;
        else if (age < 24 * HOUR) snap.byAge.under24h += 1;
        else snap.byAge.older += 1;
        if (snap.oldestMqlAt === null || h.mqlAt < snap.oldestMqlAt) snap.oldestMqlAt = h.mqlAt;
        if (h.state === 'escalated' && h.escalationReason === 'unroutable') snap.unroutable += 1;
      }
      return snap;
    },

    async countOpenHandoffs(filter: MetricsFilter): Promise<number> {
      const { rep: _rep, ...columns } = filter;
      return (await store.listOpenHandoffs(Number.MAX_SAFE_INTEGER, columns)).length;
    },

    async windowSpeedAndEscalations(since, until, filter, edges, escalations) {
      const speedCounts = edges.map(() => 0);
      const escalated: Handoff[] = [];
      for await (const h of cohort(store, since, until)) {
        if (filter.team !== undefined && h.teamId !== filter.team) continue;
        if (filter.source !== undefined && h.channel !== filter.source) continue;
        if (filter.campaign !== undefined && h.campaign !== filter.campaign) continue;
        if (filter.hot !== undefined && h.hot !== filter.hot) continue;
        const s = speedToLeadMs(h);
        if (s !== null) {
          const k = bucketIndex(edges, s);
          speedCounts[k] = (speedCounts[k] ?? 0) + 1;
        }
        if (h.escalatedAt !== null) escalated.push(h);
      }
      // The cohort comes oldest MQL first: a stable sort keeps that order among equal escalation times.
      escalated.sort((a, b) => (b.escalatedAt ?? 0) - (a.escalatedAt ?? 0));
      return {
        speedCounts,
        escalated: escalated.slice(0, Math.max(0, escalations)).map((h) => ({
          id: h.id,
          leadId: h.leadId,
          externalId: h.externalId,
          email: h.email,
          state: h.state,
          repId: h.repId,
          channel: h.channel,
          campaign: h.campaign,
          escalatedAt: h.escalatedAt ?? 0,
          escalationReason: h.escalationReason,
        })),
      };
    },

    async countMqls(since: Millis, until: Millis): Promise<number> {
      let n = 0;
      for await (const _h of cohort(store, since, until)) n += 1;
      return n;
    },

    async listTimedOutOffers(since: Millis, until: Millis, limit: number): Promise<TimedOutOffer[]> {
      // Offers of hand-offs that are still open or decided recently enough to matter: scan them all.
      const out: TimedOutOffer[] = [];
      for await (const h of cohort(store, 0, Number.MAX_SAFE_INTEGER)) {
        for (const o of await store.listOffers(h.id)) {
          const t = o.decidedAt ?? o.dueAt;
          if (o.state !== 'timed_out' || t < since || t >= until) continue;
          out.push({
            offerId: o.id,
            handoffId: h.id,
            repId: o.repId,
            seq: o.seq,
            dueAt: o.dueAt,
            timedOutAt: t,
            handoffState: h.state,
            email: h.email,
            hot: h.hot,
          });
        }
      }
      out.sort((a, b) => a.timedOutAt - b.timedOutAt || (a.offerId < b.offerId ? -1 : 1));
      return out.slice(0, limit);
    },

    async rejectionNotes(since: Millis, until: Millis, perReason: number): Promise<RejectionNote[]> {
      const all: RejectionNote[] = [];
      for await (const h of cohort(store, 0, Number.MAX_SAFE_INTEGER)) {
        if (h.state !== 'rejected' || h.decidedAt === null || h.decidedAt < since || h.decidedAt >= until || !h.note)
          continue;
        all.push({
          handoffId: h.id,
          reasonId: h.reasonId ?? NO_GROUP,
          note: h.note,
          source: h.channel,
          campaign: h.campaign,
          decidedAt: h.decidedAt,
        });
      }
      all.sort((a, b) =>
        a.reasonId < b.reasonId
          ? -1
          : a.reasonId > b.reasonId
            ? 1
            : b.decidedAt - a.decidedAt || (a.handoffId < b.handoffId ? -1 : 1),
      );
      const seen = new Map<string, number>();
      return all.filter((n) => {
        const c = (seen.get(n.reasonId) ?? 0) + 1;
        seen.set(n.reasonId, c);
        return c <= perReason;
      });
    },

    async exportHandoffs(since, until, limit, after): Promise<ExportRow[]> {
      const page = await store.listHandoffsByMqlTime(since, until, limit, after);
      const rows: ExportRow[] = [];
      for (const h of page) {
        const lead = await store.getLead(h.leadId);
        const offers = await store.listOffers(h.id);
        rows.push({
          id: h.id,
          source: h.source,
          externalId: h.externalId,
          email: h.email,
          firstName: lead?.firstName ?? null,
          lastName: lead?.lastName ?? null,
          company: lead?.fields.company ?? null,
          channel: h.channel,
          campaign: h.campaign,
          hot: h.hot,
          imported: h.imported,
          mqlAt: h.mqlAt,
          state: h.state,
          teamId: h.teamId,
          repId: h.repId,
          escalatedAt: h.escalatedAt,
          escalationReason: h.escalationReason,
          decidedAt: h.decidedAt,
          decidedBy: h.decidedBy,
          reasonId: h.reasonId,
          note: h.note,
          offers: offers
            .sort((a, b) => a.seq - b.seq)
            .map((o) => ({
              seq: o.seq,
              repId: o.repId,
              state: o.state,
              offeredAt: o.offeredAt,
              dueAt: o.dueAt,
              decidedAt: o.decidedAt,
            })),
        });
      }
      return rows;
    },

    async settledFunnel(q: SettledQuery): Promise<SettledResult> {
      const rows: { groupKey: string; h: Handoff; status: SettledStatus }[] = [];
      for await (const h of cohort(store, q.since, q.until)) {
        const raw = q.by ? handoffKey(q.by, h) : 'all';
        rows.push({
          groupKey: raw === null || raw === '' ? NO_GROUP : raw,
          h,
          status: settledStatus(h, q.now, q.unofferedWithin),
        });
      }
      const total = settledCounts(rows, q.until);
      if (!q.by) return { total, groups: [] };
      const byKey = new Map<string, typeof rows>();
      for (const r of rows) {
        const list = byKey.get(r.groupKey);
        if (list) list.push(r);
        else byKey.set(r.groupKey, [r]);
      }
      const groups = [...byKey.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, list]) => ({ key, ...settledCounts(list, q.until) }));
      return { total, groups };
    },
  };
}

/** The counts of one window or group: its judged part ends at its own oldest pending MQL. */
function settledCounts(rows: readonly { h: Handoff; status: SettledStatus }[], until: Millis): SettledCounts {
  const c = emptySettled(until);
  c.judgedUntil = judgedUntil(
    rows.map((r) => ({ mqlAt: r.h.mqlAt, status: r.status })),
    until,
  );
  for (const { h, status } of rows) {
    c.mqls += 1;
    if (status === 'pending') c.pending += 1;
    if (h.mqlAt >= c.judgedUntil) {
      c.notJudged += 1;
      continue;
    }
    c.settled += 1;
    if (status === 'accepted') c.sals += 1;
    else if (status === 'rejected') {
      c.rejected += 1;
      const reason = h.reasonId ?? NO_GROUP;
      c.rejectedByReason[reason] = (c.rejectedByReason[reason] ?? 0) + 1;
    } else if (status === 'withdrawn') c.withdrawn += 1;
    else if (status === 'escalated') c.escalated += 1;
    else if (status === 'overdue') c.overdue += 1;
  }
  return c;
}

/** The MetricsReader for a store: SQL for the SQL stores, the port walk for the memory store. */
export function metricsReaderFor(store: Store): MetricsReader {
  if (store.dialect !== 'memory' && 'db' in store)
    return createSqlMetricsReader((store as SqlStore).db, (store as SqlStore).dialect);
  return createStoreMetricsReader(store);
}
