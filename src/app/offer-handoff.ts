// offerHandoff: route a detected hand-off and offer it to a rep, or escalate it as unroutable.
// Also the shared pieces that build an offer change (used by timeouts and manager assignment).
import { nextState } from '../domain/handoff-machine.js';
import type { Handoff, Lead, Millis, Offer } from '../domain/model.js';
import type { HandoffChange, NewJob, NewOffer } from '../ports/store.js';
import type { WhyYou } from '../ports/rep-notifier.js';
import type { AppDeps, RoutePlan } from './deps.js';
import { escalationChange } from './escalate-handoff.js';
import { job } from './jobs.js';
import { findTeam } from './settings.js';
import { ownerJob } from './write-back.js';

export type OfferResult =
  | { kind: 'offered'; handoff: Handoff; offer: Offer }
  | { kind: 'escalated'; handoff: Handoff }
  | { kind: 'skipped'; why: string }
  | { kind: 'conflict' };

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
  };
}

export async function loadLead(deps: AppDeps, handoff: Handoff): Promise<Lead> {
  const lead = await deps.store.getLead(handoff.leadId);
  if (!lead) throw new Error(`lead ${handoff.leadId} of hand-off ${handoff.id} is missing`);
  return lead;
}

export async function offerHandoff(deps: AppDeps, handoffId: string): Promise<OfferResult> {
  const { store, clock, logger } = deps;
  const handoff = await store.getHandoff(handoffId);
  if (!handoff) return { kind: 'skipped', why: 'not found' };
  if (handoff.imported) return { kind: 'skipped', why: 'imported history' };
  if (!nextState(handoff.state, 'offer').ok) return { kind: 'skipped', why: `already ${handoff.state}` };
  const lead = await loadLead(deps, handoff);
  const now = clock.now();
  const plan = await deps.route(handoff, lead, now);
  const log = logger.child({ handoffId });
  if (plan.kind === 'unroutable') {
    const change = escalationChange(deps, handoff, { reason: 'unroutable', detail: plan.why, trace: plan.trace }, now);
    const result = await store.applyChange(change, now);
    if (!result.ok) return { kind: 'conflict' };
    log.warn({ why: plan.why }, 'hand-off unroutable, escalated');
    deps.telemetry?.escalated('unroutable');
    return { kind: 'escalated', handoff: result.handoff };
  }
  const result = await store.applyChange(offerChange(deps, handoff, 'offer', plan, now), now);
  if (!result.ok) return { kind: 'conflict' };
  const offer = result.offers.find((o) => o.state === 'open' && o.repId === plan.repId) ?? result.offers[0];
  if (!offer) throw new Error(`offer for hand-off ${handoffId} was not returned by the store`);
  log.info(
    { repId: plan.repId, teamId: plan.teamId, dueAt: new Date(plan.dueAt).toISOString(), hot: handoff.hot },
    'offered',
  );
  deps.telemetry?.offerMade({ seq: offer.seq, hot: handoff.hot });
  return { kind: 'offered', handoff: result.handoff, offer };
}
