// Builders for routing tests: leads, reps, teams and a routing config with sensible defaults.
import type { Lead, Rep, RoutingRule, SlaSettings, Team } from '../../src/domain/model.js';
import type { LedgerEntry, RepLoad, RoutingConfig, RoutingInput } from '../../src/domain/routing/index.js';
import { parseWorkingHours } from '../../src/domain/working-hours.js';

export function hours(text: string) {
  const r = parseWorkingHours(text);
  if (!r.ok) throw new Error(r.error);
  return r.hours;
}

export const ALWAYS = hours('24/7');

export function makeLead(overrides: Partial<Lead> & { fields?: Lead['fields'] } = {}): Lead {
  return {
    source: 'hubspot',
    externalId: 'c-1',
    email: 'jane@acme.io',
    firstName: 'Jane',
    lastName: 'Doe',
    fields: {},
    props: {},
    mqlAt: Date.UTC(2026, 10, 25, 10),
    modifiedAt: Date.UTC(2026, 10, 25, 10),
    ownerId: null,
    recordUrl: null,
    ...overrides,
  };
}

export function makeRep(id: string, overrides: Partial<Rep> = {}): Rep {
  return {
    id,
    name: id[0]!.toUpperCase() + id.slice(1),
    email: `${id}@example.com`,
    chat: 'slack',
    timezone: 'UTC',
    hours: ALWAYS,
    capacity: {},
    weight: 1,
    away: [],
    active: true,
    ...overrides,
  };
}

export function makeTeam(id: string, members: string[], strategy: Team['strategy'] = 'round-robin'): Team {
  return { id, members, strategy };
}

export const SLA: SlaSettings = {
  acceptWithin: 30 * 60_000,
  remindAt: 0.5,
  maxOffers: 3,
  holidays: [],
  routeOutsideHours: true,
};

export function makeConfig(
  overrides: Partial<RoutingConfig> & { rules?: RoutingRule[]; fallback?: string | null } = {},
): RoutingConfig {
  const { rules, fallback, ...rest } = overrides;
  return {
    routing: {
      ownerMatch: { enabled: true, skipFreeEmailDomains: true },
      rules: rules ?? [],
      fallback: fallback === null ? null : { team: fallback ?? 'global' },
    },
    sla: SLA,
    hotLane: { when: { kind: 'compare', field: 'score', op: 'gte', value: 90 }, acceptWithin: 5 * 60_000 },
    reps: [],
    teams: [],
    ...rest,
  };
}

export function emptyLoad(overrides: Partial<RepLoad> = {}): RepLoad {
  return { openOffers: {}, offersToday: {}, statuses: [], alreadyOffered: [], ...overrides };
}

export const NOW = Date.UTC(2026, 10, 25, 10, 0); // Wednesday 25 Nov 2026, 10:00 UTC

export function input(settings: RoutingConfig, overrides: Partial<RoutingInput> = {}): RoutingInput {
  return {
    lead: makeLead(),
    hot: false,
    now: NOW,
    settings,
    state: emptyLoad(),
    ledger: [],
    ...overrides,
  };
}

/** An in-memory ledger that applies the rows routeLead returns, like the store does. */
export class Ledger {
  readonly rows = new Map<string, LedgerEntry>();
  apply(rows: LedgerEntry[]): void {
    for (const r of rows) this.rows.set(`${r.teamId}\u0000${r.repId}`, r);
  }
  list(): LedgerEntry[] {
    return [...this.rows.values()];
  }
  get(teamId: string, repId: string): LedgerEntry | undefined {
    return this.rows.get(`${teamId}\u0000${repId}`);
  }
}
