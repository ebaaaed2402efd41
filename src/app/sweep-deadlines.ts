// sweepDeadlines: reminders at sla.remindAt, and on timeout the next rep (never a previous one) or escalation.
import type { DueOffer, HandoffChange } from '../ports/store.js';
import type { AppDeps } from './deps.js';
import { escalationChange, type EscalationInput } from './escalate-handoff.js';
import { job } from './jobs.js';
import { loadLead, offerChange } from './offer-handoff.js';

export interface SweepSummary {
  reminded: number;
  reoffered: number;
  escalated: number;
  conflicts: number;
}

/**
 * Handles every due deadline, hot lanes first (the store's order), page after page until none is left
 * (at most `maxPages`): after a takeover everything that fell due while no replica swept goes at once,
 * not one page per sweep interval.
 */
export async function sweepDeadlines(
  deps: AppDeps,
  options: { limit?: number; maxPages?: number } = {},
): Promise<SweepSummary> {
  const summary: SweepSummary = { reminded: 0, reoffered: 0, escalated: 0, conflicts: 0 };
  const limit = options.limit ?? 200;
  const maxPages = options.maxPages ?? 10;
  for (let page = 0; page < maxPages; page++) {
    const due = await deps.store.listDueOffers(deps.clock.now(), limit);
    let moved = 0;
    for (const item of due) {
      const outcome = item.due === 'remind' ? await remind(deps, item) : await timeOut(deps, item);
      summary[outcome] += 1;
      if (outcome !== 'conflicts') moved += 1;
    }
    // A short page was the last one; a page of conflicts only would come back the same.
    if (due.length < limit || moved === 0) break;
  }
  return summary;
}

async function remind(deps: AppDeps, { offer, handoff }: DueOffer): Promise<'reminded' | 'conflicts'> {
  const now = deps.clock.now();
  const result = await deps.store.applyChange(
    {
      handoffId: handoff.id,
      action: null,
      expectVersion: handoff.version,
      set: {},
      updateOffers: [{ id: offer.id, expectState: 'open', set: { remindedAt: now } }],
      events: [{ type: 'reminded', actor: null, data: { offerId: offer.id, repId: offer.repId, dueAt: offer.dueAt } }],
      jobs: [job('slack.remind', { offerId: offer.id }, offer.id, now, handoff.id)],
    },
    now,
  );
  if (!result.ok) return 'conflicts';
  deps.logger.info({ handoffId: handoff.id, offerId: offer.id, repId: offer.repId }, 'reminder queued');
  return 'reminded';
}

const ESCALATED_BECAUSE: Record<'max_offers' | 'no_next_rep', string> = {
  max_offers: 'offer timed out, escalated (max offers)',
  no_next_rep: 'offer timed out, no next rep, escalated',
};

async function timeOut(deps: AppDeps, { offer, handoff }: DueOffer): Promise<'reoffered' | 'escalated' | 'conflicts'> {
  const now = deps.clock.now();
  const log = deps.logger.child({ handoffId: handoff.id });
  const lateMs = now - offer.dueAt;
  /** Closes the timed-out offer, in the same change that offers the lead to `next` or escalates it. */
  const closeOffer = (next: string | null): Partial<HandoffChange> => ({
    updateOffers: [{ id: offer.id, expectState: 'open', set: { state: 'timed_out', decidedAt: now } }],
    events: [
      { type: 'timed_out', actor: null, data: { offerId: offer.id, repId: offer.repId, dueAt: offer.dueAt, lateMs } },
    ],
    jobs: [
      job(
        'slack.close_offer',
        { offerId: offer.id, outcome: { kind: 'timed_out', at: now, next } },
        offer.id,
        now,
        handoff.id,
      ),
    ],
  });

  let escalation: EscalationInput & { reason: keyof typeof ESCALATED_BECAUSE };
  if (handoff.offerCount >= deps.settings.sla.maxOffers) {
    escalation = { reason: 'max_offers', detail: `${handoff.offerCount} offer(s) made` };
  } else {
    const plan = await deps.route(handoff, await loadLead(deps, handoff), now);
    if (plan.kind === 'offer') {
      const result = await deps.store.applyChange(
        offerChange(deps, handoff, 'reoffer', plan, now, closeOffer(plan.repId)),
        now,
      );
      if (!result.ok) return 'conflicts';
      log.info({ offerId: offer.id, from: offer.repId, to: plan.repId }, 'offer timed out, reassigned');
      deps.telemetry?.offerTimedOut();
      deps.telemetry?.offerMade({ seq: handoff.offerCount + 1, hot: handoff.hot });
      return 'reoffered';
    }
    escalation = { reason: 'no_next_rep', detail: plan.why, trace: plan.trace };
  }
  const result = await deps.store.applyChange(escalationChange(deps, handoff, escalation, now, closeOffer(null)), now);
  if (!result.ok) return 'conflicts';
  log.warn({ offerId: offer.id, repId: offer.repId, lateMs }, ESCALATED_BECAUSE[escalation.reason]);
  deps.telemetry?.offerTimedOut();
  deps.telemetry?.escalated(escalation.reason);
  return 'escalated';
}
