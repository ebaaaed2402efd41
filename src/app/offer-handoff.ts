// offerHandoff: route a detected hand-off and offer it to a rep, or escalate it as unroutable.
// Also the shared pieces that build an offer change (used by timeouts and manager assignment).
import { nextState } from '../domain/handoff-machine.js';
import { turnTaker } from '../domain/next-turn.js';
import type { Handoff, Lead, Millis, Offer } from '../domain/model.js';
import type { HandoffChange, NewJob, NewOffer } from '../ports/store.js';
import type { WhyYou } from '../ports/rep-notifier.js';
import type { AppDeps, RoutePlan, RoutingSession } from './deps.js';
import { escalationChange } from './escalate-handoff.js';
import { job } from './jobs.js';
import { findTeam } from './settings.js';
import { ownerJob } from './write-back.js';

export type OfferResult =
  | { kind: 'offered'; handoff: Handoff; offer: Offer }
  | { kind: 'escalated'; handoff: Handoff }
  | { kind: 'skipped'; why: string }
  | { kind: 'conflict' }
  /** The hand-off cannot be routed as stored (its lead is missing). */
  | { kind: 'failed'; why: string };

/** How often one hand-off is planned again after another replica wrote the team's ledger first. */
const LEDGER_RETRIES = 5;

type OfferPlan = Extract<RoutePlan, { kind: 'offer' }>;

/** What an offer row keeps of its routing: the card's "why you" and the full trace for explain. */
export interface StoredTrace {
  why: WhyYou | null;
  routing: unknown;
}

export function whyOf(offer: Offer): WhyYou {
  const t = offer.trace as Partial<StoredTrace> | null;
  return t?.why ?? { rule: null, team: null, strategy: null, ownerMatch: null };
}

/** The new offer row plus the jobs that go with it. */
export function newOfferParts(
  deps: AppDeps,
  handoff: Handoff,
  plan: Pick<OfferPlan, 'repId' | 'dueAt' | 'remindAt' | 'ownerMatch' | 'trace' | 'teamId'> & { why?: WhyYou },
  now: Millis,
): { offer: NewOffer & { id: string }; jobs: NewJob[] } {
  const offerId = deps.newId();
  const seq = handoff.offerCount + 1;
  const offer: NewOffer & { id: string } = {
    id: offerId,
    repId: plan.repId,
    seq,
    state: 'open',
    offeredAt: now,
    dueAt: plan.dueAt,
    remindAt: plan.remindAt,
    ownerMatch: plan.ownerMatch,
    trace: { why: plan.why ?? null, routing: plan.trace } satisfies StoredTrace,
  };
  const jobs: NewJob[] = [job('slack.offer', { offerId }, offerId, now, handoff.id)];
  if (deps.settings.crm.assignOwnerOn === 'offer' && deps.settings.crm.kind !== 'none')
    jobs.push(ownerJob(handoff, plan.repId, `${offerId}:owner`, now));
  const team = findTeam(deps.settings, plan.teamId);
  if (handoff.hot && team?.channel) {
    jobs.push(job('slack.hot_notice', { offerId, channel: team.channel }, offerId, now, handoff.id));
  }
  return { offer, jobs };
}

/** The change that offers the hand-off to the planned rep: the first offer, or the next one after a timeout. */
export function offerChange(
  deps: AppDeps,
  handoff: Handoff,
  action: 'offer' | 'reoffer',
  plan: OfferPlan,
  now: Millis,
  extra: Partial<HandoffChange> = {},
): HandoffChange {
  const parts = newOfferParts(deps, handoff, plan, now);
  return {
    handoffId: handoff.id,
    action,
    expectVersion: handoff.version,
    set: {
      repId: plan.repId,
      teamId: plan.teamId,
      offerCount: handoff.offerCount + 1,
      dueAt: plan.dueAt,
    },
    insertOffers: [parts.offer],
    updateOffers: extra.updateOffers ?? [],
    events: [
      ...(extra.events ?? []),
      {
        type: 'offered',
        actor: null,
        data: {
          offerId: parts.offer.id,
          repId: plan.repId,
          teamId: plan.teamId,
          seq: parts.offer.seq,
          dueAt: plan.dueAt,
          why: plan.why,
        },
      },
    ],
    jobs: [...(extra.jobs ?? []), ...parts.jobs],
    rotation: plan.rotation,
    ...(plan.expectLedger === undefined ? {} : { expectLedger: plan.expectLedger }),
  };
}

export async function loadLead(deps: AppDeps, handoff: Handoff): Promise<Lead> {
  const lead = await deps.store.getLead(handoff.leadId);
  if (!lead) throw new Error(`lead ${handoff.leadId} of hand-off ${handoff.id} is missing`);
  return lead;
}

/** A routing session for the batch: the batch router when wired, else `deps.route` one hand-off at a time. */
async function openSession(
  deps: AppDeps,
  items: readonly { handoff: Handoff; lead: Lead }[],
  now: Millis,
): Promise<RoutingSession> {
  if (deps.routeBatch) return deps.routeBatch(items, now);
  return { plan: deps.route, committed: () => undefined, refresh: () => Promise.resolve() };
}

/**
 * Routes detected hand-offs (one route job each) in order over one routing session: one read of the
 * candidate teams' load and ledgers for the whole batch, kept current in memory as each offer commits.
 * When another replica wrote a team's ledger first, the session is read again and the lead re-planned.
 */
export async function routeHandoffs(deps: AppDeps, handoffIds: readonly string[]): Promise<OfferResult[]> {
  const { store } = deps;
  const results: OfferResult[] = handoffIds.map(() => ({ kind: 'skipped', why: 'not routed' }));
  const todo: { index: number; handoff: Handoff; lead: Lead }[] = [];
  for (const [index, handoffId] of handoffIds.entries()) {
    const handoff = await store.getHandoff(handoffId);
    if (!handoff) results[index] = { kind: 'skipped', why: 'not found' };
    else if (handoff.imported) results[index] = { kind: 'skipped', why: 'imported history' };
    else if (!nextState(handoff.state, 'offer').ok)
      results[index] = { kind: 'skipped', why: `already ${handoff.state}` };
    else {
      const lead = await store.getLead(handoff.leadId);
      if (lead) todo.push({ index, handoff, lead });
      else results[index] = { kind: 'failed', why: `lead ${handoff.leadId} of hand-off ${handoffId} is missing` };
    }
  }
  if (todo.length === 0) return results;
  const session = await openSession(deps, todo, deps.clock.now());
  const takeTurn = turnTaker();
  for (const item of todo) {
    // One transaction per lead: let Slack answers and clicks in now and then (the SQLite driver is synchronous).
    await takeTurn();
    results[item.index] = await offerOne(deps, session, item.handoff, item.lead);
  }
  return results;
}

async function offerOne(deps: AppDeps, session: RoutingSession, handoff: Handoff, lead: Lead): Promise<OfferResult> {
  const { store, clock } = deps;
  const log = deps.logger.child({ handoffId: handoff.id });
  for (let attempt = 0; ; attempt++) {
    const now = clock.now();
    const plan = await session.plan(handoff, lead, now);
    if (plan.kind === 'unroutable') {
      const change = escalationChange(
        deps,
        handoff,
        { reason: 'unroutable', detail: plan.why, trace: plan.trace },
        now,
      );
      const result = await store.applyChange(change, now);
      if (!result.ok) return { kind: 'conflict' };
      log.warn({ why: plan.why }, 'hand-off unroutable, escalated');
      deps.telemetry?.escalated('unroutable');
      return { kind: 'escalated', handoff: result.handoff };
    }
    const result = await store.applyChange(offerChange(deps, handoff, 'offer', plan, now), now);
    if (!result.ok) {
      if (result.ledgerConflict === true && attempt < LEDGER_RETRIES) {
        log.debug({ teamId: plan.teamId, attempt }, 'rotation ledger moved on, routing again');
        await session.refresh();
        continue;
      }
      return { kind: 'conflict' };
    }
    session.committed(plan);
    const offer = result.offers.find((o) => o.state === 'open' && o.repId === plan.repId) ?? result.offers[0];
    if (!offer) throw new Error(`offer for hand-off ${handoff.id} was not returned by the store`);
    log.info(
      { repId: plan.repId, teamId: plan.teamId, dueAt: new Date(plan.dueAt).toISOString(), hot: handoff.hot },
      'offered',
    );
    deps.telemetry?.offerMade({ seq: offer.seq, hot: handoff.hot });
    return { kind: 'offered', handoff: result.handoff, offer };
  }
}

export async function offerHandoff(deps: AppDeps, handoffId: string): Promise<OfferResult> {
  const [result] = await routeHandoffs(deps, [handoffId]);
  if (!result) throw new Error('routeHandoffs returned no result');
  if (result.kind === 'failed') throw new Error(result.why);
  return result;
}
