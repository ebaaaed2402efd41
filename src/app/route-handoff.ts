// planOffer and routeBatch: gather what routing needs from the store (and the CRM for owner match),
// then ask the pure routing engine who gets each hand-off. They write nothing: the caller stores the
// offer, the trace and the ledger rows in one change (see offerHandoff/routeHandoffs), expecting the
// ledger version the plan was made on. A batch reads the store once (load counters of the candidate
// teams' members, away statuses, ledgers) and keeps that book current in memory as offers commit.
import { emailDomain } from '../domain/conditions.js';
import { isFreeEmailDomain } from '../domain/free-email-domains.js';
import type { Handoff, Lead, Millis, Rep } from '../domain/model.js';
import {
  candidateTeams,
  ledgerRowsOf,
  ledgerVersionsFor,
  recordOffer,
  repLoadOf,
  routeLead,
  whyYou,
  type OwnerMatchInput,
  type RoutingBook,
  type RoutingConfig,
  type RoutingDecision,
  type RoutingTrace,
} from '../domain/routing/index.js';
import { localDayStart } from '../domain/sla-clock.js';
import type { Clock } from '../ports/clock.js';
import type { Crm } from '../ports/crm.js';
import type { Logger } from '../ports/logger.js';
import type { LedgerVersion, Store } from '../ports/store.js';
import type { RoutePlan, RoutingSession } from './deps.js';
import type { AppSettings } from './settings.js';
import { TEAMS_CONVERSATION } from './people.js';

/** The store methods routing reads. */
export type RoutingStore = Pick<
  Store,
  | 'countOpenOffersByRep'
  | 'countOffersByRepSince'
  | 'getRepStatuses'
  | 'listOffers'
  | 'getRotationLedgers'
  | 'getIdentity'
>;

export type RoutingAppSettings = Pick<AppSettings, 'reps' | 'teams' | 'routing' | 'sla' | 'hot'>;

export interface PlanOfferDeps {
  store: RoutingStore;
  /** Where owner match looks; without it owner match is reported as skipped. */
  crm?: Crm;
  settings: RoutingAppSettings;
  clock: Clock;
  logger?: Logger;
}

/** The routing plan in the shape offerHandoff consumes, plus the engine's decision and typed trace. */
export type PlannedRoute =
  | (Extract<RoutePlan, { kind: 'offer' }> & {
      decision: Extract<RoutingDecision, { kind: 'offer' }>;
      trace: RoutingTrace;
      expectLedger: LedgerVersion[];
    })
  | (Extract<RoutePlan, { kind: 'unroutable' }> & {
      decision: Extract<RoutingDecision, { kind: 'unroutable' }>;
      trace: RoutingTrace;
    });

export function routingConfigOf(settings: RoutingAppSettings): RoutingConfig {
  return {
    routing: settings.routing,
    sla: settings.sla,
    hotLane: settings.hot,
    reps: settings.reps,
    teams: settings.teams,
  };
}

/**
 * Reads the routing book for these teams: the load counters of their members and of `extraRepIds`
 * (owner matches), away statuses and the teams' ledgers with their versions. O(team size) rows.
 */
export async function readRoutingBook(
  store: RoutingStore,
  settings: RoutingAppSettings,
  teamIds: readonly string[],
  extraRepIds: readonly string[],
  now: Millis,
): Promise<RoutingBook> {
  const wanted = new Set(extraRepIds);
  for (const t of settings.teams) if (teamIds.includes(t.id)) for (const m of t.members) wanted.add(m);
  const reps = settings.reps.filter((r) => wanted.has(r.id));
  const since: Record<string, Millis> = {};
  for (const rep of reps) since[rep.id] = localDayStart(now, rep.timezone);
  const [openOffers, offersToday, statuses, ledgers, unreachable] = await Promise.all([
    store.countOpenOffersByRep(reps.map((r) => r.id)),
    store.countOffersByRepSince(since),
    store.getRepStatuses(),
    store.getRotationLedgers(teamIds),
    unreachableReps(store, reps),
  ]);
  return {
    openOffers,
    offersToday,
    statuses,
    ledgers: Object.fromEntries(ledgers.map((l) => [l.teamId, l])),
    ...(Object.keys(unreachable).length > 0 ? { unreachable } : {}),
  };
}

/**
 * Reps a card cannot reach now: a Teams rep needs the app installed for them (its 1:1 conversation is kept when
 * it is); they are skipped with this reason in the routing trace, never offered into the void.
 */
async function unreachableReps(store: RoutingStore, reps: readonly Rep[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rep of reps) {
    if (rep.chat !== 'teams') continue;
    const conversation = await store.getIdentity(rep.id, TEAMS_CONVERSATION);
    if (conversation === null || conversation === '')
      // '' once the app was removed for them
      out[rep.id] = 'not reachable in Microsoft Teams: the app is not installed for them yet';
  }
  return out;
}

/** Plans one hand-off against the book (no I/O); `alreadyOffered` are the reps it was offered to before. */
export function planFromBook(
  settings: RoutingAppSettings,
  book: RoutingBook,
  handoff: Handoff,
  lead: Lead,
  alreadyOffered: string[],
  owner: OwnerLookup,
  now: Millis,
): PlannedRoute {
  const config = routingConfigOf(settings);
  const teams = candidateTeams(lead, handoff.hot, config.routing);
  const result = routeLead({
    lead,
    hot: handoff.hot,
    now,
    settings: config,
    state: repLoadOf(book, alreadyOffered),
    ledger: ledgerRowsOf(book, teams),
    ...('skipped' in owner ? { ownerMatchSkipped: owner.skipped } : { ownerMatch: owner.match }),
  });
  const { decision, trace } = result;
  if (decision.kind === 'unroutable') return { kind: 'unroutable', why: decision.reason, trace, decision };
  return {
    kind: 'offer',
    repId: decision.repId,
    teamId: decision.teamId,
    dueAt: decision.dueAt,
    remindAt: decision.remindAt,
    ownerMatch: decision.ownerMatch,
    why: whyYou(trace),
    trace,
    rotation: result.rotation,
    expectLedger: ledgerVersionsFor(book, result.rotation),
    decision,
  };
}

/** The rep whose CRM owner id this is: by `crmOwnerId` in config, else by the cached identity. */
export async function repForOwner(store: RoutingStore, reps: Rep[], ownerId: string): Promise<Rep | null> {
  const configured = reps.find((r) => r.crmOwnerId === ownerId);
  if (configured) return configured;
  for (const rep of reps) {
    if (rep.crmOwnerId !== undefined) continue;
    if ((await store.getIdentity(rep.id, 'crm')) === ownerId) return rep;
  }
  return null;
}

export type OwnerLookup = { match: OwnerMatchInput | null } | { skipped: string };

/** Asks the CRM for the lead's (or its account's) owner and maps it to one of our reps. */
export async function lookupOwnerMatch(
  deps: Pick<PlanOfferDeps, 'store' | 'crm' | 'settings' | 'logger'>,
  lead: Lead,
): Promise<OwnerLookup> {
  const { ownerMatch } = deps.settings.routing;
  if (!ownerMatch.enabled) return { match: null };
  if (!deps.crm) return { skipped: 'no CRM connected' };
  let found;
  try {
    found = await deps.crm.findOwnerMatch(lead, { skipFreeEmailDomains: ownerMatch.skipFreeEmailDomains });
  } catch (err) {
    // Owner match must not hold a lead back: route by the rules now, and say so in the trace.
    const message = err instanceof Error ? err.message : String(err);
    deps.logger?.warn({ err }, 'owner match lookup failed, routing by rules');
    return { skipped: `CRM lookup failed: ${message}` };
  }
  if (!found) return { match: null };
  const domain = emailDomain(lead.email);
  if (found.via !== 'contact' && ownerMatch.skipFreeEmailDomains && isFreeEmailDomain(domain)) {
    return { skipped: `${found.via} match ignored: ${domain ?? ''} is a free-mail domain` };
  }
  const rep = await repForOwner(deps.store, deps.settings.reps, found.ownerId);
  return { match: { repId: rep?.id ?? null, ownerId: found.ownerId, via: found.via, detail: found.detail } };
}

/** A routing session whose plans carry the engine's decision and trace. */
export interface PlanningSession extends RoutingSession {
  plan(handoff: Handoff, lead: Lead, now: Millis): Promise<PlannedRoute>;
}

/**
 * Opens a routing session for a batch of hand-offs: owner matches looked up side by side, then one read
 * of the book for every candidate team of the batch. `plan` routes against the book; `committed`
 * advances it by an offer the caller stored; `refresh` reads it again (after a ledger conflict).
 */
export function routeBatch(
  deps: PlanOfferDeps,
): (items: readonly { handoff: Handoff; lead: Lead }[], now?: Millis) => Promise<PlanningSession> {
  return async (items, at) => {
    const now = at ?? deps.clock.now();
    const config = routingConfigOf(deps.settings);
    const teams = [...new Set(items.flatMap((i) => candidateTeams(i.lead, i.handoff.hot, config.routing)))];
    // Owner lookups run side by side while the book is read; each lead waits only for its own.
    const owners = new Map<string, Promise<OwnerLookup>>();
    for (const i of items) {
      const lookup = lookupOwnerMatch(deps, i.lead);
      lookup.catch(() => undefined); // awaited (and its error raised) when that lead is planned
      owners.set(i.handoff.id, lookup);
    }
    const members = new Set(deps.settings.teams.filter((t) => teams.includes(t.id)).flatMap((t) => t.members));
    const read = () => readRoutingBook(deps.store, deps.settings, teams, [], now);
    let book = await read();
    let loaded = new Set(members);
    /** An owner-matched rep outside the candidate teams: their counters, read once and kept in the book. */
    async function loadRep(repId: string): Promise<void> {
      const rep = deps.settings.reps.find((r) => r.id === repId);
      loaded.add(repId);
      if (!rep) return;
      const [open, today] = await Promise.all([
        deps.store.countOpenOffersByRep([repId]),
        deps.store.countOffersByRepSince({ [repId]: localDayStart(now, rep.timezone) }),
      ]);
      book.openOffers[repId] = open[repId] ?? 0;
      book.offersToday[repId] = today[repId] ?? 0;
      const why = (await unreachableReps(deps.store, [rep]))[repId];
      if (why !== undefined) book.unreachable = { ...book.unreachable, [repId]: why };
    }
    return {
      async plan(handoff, lead, planAt) {
        const owner = await (owners.get(handoff.id) ?? lookupOwnerMatch(deps, lead));
        const ownerRep = 'match' in owner ? (owner.match?.repId ?? null) : null;
        if (ownerRep !== null && !loaded.has(ownerRep)) await loadRep(ownerRep);
        const offers = handoff.offerCount > 0 ? await deps.store.listOffers(handoff.id) : [];
        return planFromBook(
          deps.settings,
          book,
          handoff,
          lead,
          [...new Set(offers.map((o) => o.repId))],
          owner,
          planAt,
        );
      },
      committed(plan: Extract<RoutePlan, { kind: 'offer' }>) {
        recordOffer(book, plan.repId, plan.rotation);
      },
      async refresh() {
        book = await read();
        loaded = new Set(members);
      },
    };
  };
}

/** Builds the router offerHandoff calls for one hand-off: `(handoff, lead, now?) → plan`. */
export function planOffer(deps: PlanOfferDeps): (handoff: Handoff, lead: Lead, now?: Millis) => Promise<PlannedRoute> {
  const open = routeBatch(deps);
  return async (handoff, lead, at) => {
    const now = at ?? deps.clock.now();
    const session = await open([{ handoff, lead }], now);
    return session.plan(handoff, lead, now);
  };
}
