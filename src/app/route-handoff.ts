// planOffer: gathers what routing needs from the store (and the CRM for owner match), then asks the
// pure routing engine who gets the hand-off. It writes nothing: the caller stores the offer, the
// trace and the ledger rows in one change (see offerHandoff).
import { emailDomain } from '../domain/conditions.js';
import { isFreeEmailDomain } from '../domain/free-email-domains.js';
import type { Handoff, Lead, Millis, Rep } from '../domain/model.js';
import {
  candidateTeams,
  routeLead,
  whyYou,
  type OwnerMatchInput,
  type RepLoad,
  type RoutingConfig,
  type RoutingDecision,
  type RoutingTrace,
} from '../domain/routing/index.js';
import { localDayStart } from '../domain/sla-clock.js';
import type { Clock } from '../ports/clock.js';
import type { Crm } from '../ports/crm.js';
import type { Logger } from '../ports/logger.js';
import type { RotationEntry, Store } from '../ports/store.js';
import type { RoutePlan } from './deps.js';
import type { AppSettings } from './settings.js';

/** The store methods routing reads. */
export type RoutingStore = Pick<
  Store,
  'countOpenOffersByRep' | 'countOffersByRepSince' | 'getRepStatuses' | 'listOffers' | 'getRotation' | 'getIdentity'
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

/** Open offers, today's offers (each rep's local day), away statuses and reps already offered this hand-off. */
export async function loadRepLoad(
  store: RoutingStore,
  reps: Rep[],
  handoffId: string | null,
  now: Millis,
): Promise<RepLoad> {
  const since: Record<string, Millis> = {};
  for (const rep of reps) since[rep.id] = localDayStart(now, rep.timezone);
  const [openOffers, offersToday, statuses, offers] = await Promise.all([
    store.countOpenOffersByRep(),
    store.countOffersByRepSince(since),
    store.getRepStatuses(),
    handoffId === null ? Promise.resolve([]) : store.listOffers(handoffId),
  ]);
  return { openOffers, offersToday, statuses, alreadyOffered: [...new Set(offers.map((o) => o.repId))] };
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

/** Builds the router offerHandoff calls: `(handoff, lead, now?) → plan`. */
export function planOffer(deps: PlanOfferDeps): (handoff: Handoff, lead: Lead, now?: Millis) => Promise<PlannedRoute> {
  return async (handoff, lead, at) => {
    const now = at ?? deps.clock.now();
    const config = routingConfigOf(deps.settings);
    const teams = candidateTeams(lead, handoff.hot, config.routing);
    const [state, ledgers, owner] = await Promise.all([
      loadRepLoad(deps.store, config.reps, handoff.id, now),
      Promise.all(teams.map((t) => deps.store.getRotation(t))),
      lookupOwnerMatch(deps, lead),
    ]);
    const ledger: RotationEntry[] = ledgers.flat();
    const result = routeLead({
      lead,
      hot: handoff.hot,
      now,
      settings: config,
      state,
      ledger,
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
      decision,
    };
  };
}
