// A dry run of the routing: a throw-away fairness ledger and simulated rep load, nothing written.
// Used by `handoff simulate` (a lead file routed at one moment) and `handoff backtest` (stored MQLs
// replayed at their MQL times).
//
// Load model: a dry run starts with no open offers and nothing offered today; every simulated offer
// then counts as open until its deadline and towards the rep's offers of that local day.
import type { Lead, Millis } from '../domain/model.js';
import {
  detectHot,
  routeLead,
  type LedgerEntry,
  type OwnerMatchInput,
  type RoutingConfig,
  type RoutingResult,
} from '../domain/routing/index.js';
import { localDayStart } from '../domain/sla-clock.js';

/** Sorted insertion into an ascending array. */
function insertSorted(list: number[], value: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, value);
}

export interface DryRunRoute {
  result: RoutingResult;
  hot: boolean;
}

export interface DryRun {
  /** Routes one lead at `now` (calls must come in non-decreasing time) and records the offer. */
  route(
    lead: Lead,
    now: Millis,
    owner?: { ownerMatch: OwnerMatchInput | null } | { ownerMatchSkipped: string },
  ): DryRunRoute;
  ledger(): LedgerEntry[];
}

/** Routing with a throw-away ledger and simulated rep load (see the load model above). */
export function createDryRun(settings: RoutingConfig): DryRun {
  const ledger = new Map<string, LedgerEntry>();
  const openDue = new Map<string, number[]>();
  const today = new Map<string, { dayStart: Millis; count: number }>();
  const tzOf = new Map(settings.reps.map((r) => [r.id, r.timezone] as const));

  function load(now: Millis) {
    const openOffers: Record<string, number> = {};
    const offersToday: Record<string, number> = {};
    for (const [repId, dues] of openDue) {
      let expired = 0;
      while (expired < dues.length && (dues[expired] as number) <= now) expired++;
      if (expired > 0) dues.splice(0, expired);
      openOffers[repId] = dues.length;
    }
    for (const [repId, day] of today) {
      const start = localDayStart(now, tzOf.get(repId) ?? 'UTC');
      offersToday[repId] = start === day.dayStart ? day.count : 0;
    }
    return { openOffers, offersToday };
  }

  return {
    route(lead, now, owner) {
      const hot = detectHot(lead, settings.hotLane);
      const { openOffers, offersToday } = load(now);
      const result = routeLead({
        lead,
        hot,
        now,
        settings,
        state: { openOffers, offersToday, statuses: [], alreadyOffered: [] },
        ledger: [...ledger.values()],
        ...(owner ?? { ownerMatchSkipped: 'dry run: no CRM lookup' }),
      });
      for (const row of result.rotation) ledger.set(`${row.teamId}\u0000${row.repId}`, row);
      const d = result.decision;
      if (d.kind === 'offer') {
        const dues = openDue.get(d.repId) ?? [];
        insertSorted(dues, d.dueAt);
        openDue.set(d.repId, dues);
        const start = localDayStart(now, tzOf.get(d.repId) ?? 'UTC');
        const day = today.get(d.repId);
        today.set(
          d.repId,
          day && day.dayStart === start ? { dayStart: start, count: day.count + 1 } : { dayStart: start, count: 1 },
        );
      }
      return { result, hot };
    },
    ledger: () => [...ledger.values()],
  };
}
