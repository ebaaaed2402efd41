// sweepDeadlines: reminders at sla.remindAt, and on timeout the next rep (never a previous one) or escalation.
import type { DueOffer } from '../ports/store.js';
import type { AppDeps } from './deps.js';
import { escalationChange } from './escalate-handoff.js';
import { job } from './jobs.js';
import { loadLead, offerChange } from './offer-handoff.js';

export interface SweepSummary {
  reminded: number;
  reoffered: number;
  escalated: number;
  conflicts: number;
}

export async function sweepDeadlines(deps: AppDeps, options: { limit?: number } = {}): Promise<SweepSummary> {
  const summary: SweepSummary = { reminded: 0, reoffered: 0, escalated: 0, conflicts: 0 };
  const now = deps.clock.now();
  const due = await deps.store.listDueOffers(now, options.limit ?? 200);
  for (const item of due) {
    const outcome = item.due === 'remind' ? await remind(deps, item) : await timeOut(deps, item);
    summary[outcome] += 1;
  }
  return summary;
}

async function remind(deps: AppDeps, { offer, handoff }: DueOffer): Promise<'reminded' | 'conflicts'> {
  const now = deps.clock.now();
  const result = await deps.store.applyChange(
    {
      handoffId: handoff.id,
      expect: { state: handoff.state, version: handoff.version },
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

async function timeOut(deps: AppDeps, { offer, handoff }: DueOffer): Promise<'reoffered' | 'escalated' | 'conflicts'> {
  const now = deps.clock.now();
  const log = deps.logger.child({ handoffId: handoff.id });
  const timedOut = {
    type: 'timed_out',
    actor: null,
    data: { offerId: offer.id, repId: offer.repId, dueAt: offer.dueAt, lateMs: now - offer.dueAt },
  };
  if (handoff.offerCount >= deps.settings.sla.maxOffers) {
    const change = escalationChange(
      deps,
      handoff,
      { reason: 'max_offers', detail: `${handoff.offerCount} offer(s) made` },
      now,
      {
        updateOffers: [{ id: offer.id, expectState: 'open', set: { state: 'timed_out', decidedAt: now } }],
        events: [timedOut],
        jobs: [
          job(
            'slack.close_offer',
            { offerId: offer.id, outcome: { kind: 'timed_out', at: now, next: null } },
            offer.id,
            now,
            handoff.id,
          ),
        ],
      },
    );
    const result = await deps.store.applyChange(change, now);
    if (!result.ok) return 'conflicts';
    log.warn(
      { offerId: offer.id, repId: offer.repId, lateMs: now - offer.dueAt },
      'offer timed out, escalated (max offers)',
    );
    deps.telemetry?.offerTimedOut();
    deps.telemetry?.escalated('max_offers');
    return 'escalated';
  }
  const lead = await loadLead(deps, handoff);
  const plan = await deps.route(handoff, lead, now);
  if (plan.kind === 'unroutable') {
    const change = escalationChange(
      deps,
      handoff,
      { reason: 'no_next_rep', detail: plan.why, trace: plan.trace },
      now,
      {
        updateOffers: [{ id: offer.id, expectState: 'open', set: { state: 'timed_out', decidedAt: now } }],
        events: [timedOut],
        jobs: [
          job(
            'slack.close_offer',
            { offerId: offer.id, outcome: { kind: 'timed_out', at: now, next: null } },
            offer.id,
            now,
            handoff.id,
          ),
        ],
      },
    );
    const result = await deps.store.applyChange(change, now);
    if (!result.ok) return 'conflicts';
    log.warn({ offerId: offer.id, repId: offer.repId }, 'offer timed out, no next rep, escalated');
    deps.telemetry?.offerTimedOut();
    deps.telemetry?.escalated('no_next_rep');
    return 'escalated';
  }
  const change = offerChange(deps, handoff, plan, now, {
    updateOffers: [{ id: offer.id, expectState: 'open', set: { state: 'timed_out', decidedAt: now } }],
    events: [timedOut],
    jobs: [
      job(
        'slack.close_offer',
        { offerId: offer.id, outcome: { kind: 'timed_out', at: now, next: plan.repId } },
        offer.id,
        now,
        handoff.id,
      ),
    ],
  });
  const result = await deps.store.applyChange(change, now);
  if (!result.ok) return 'conflicts';
  log.info({ offerId: offer.id, from: offer.repId, to: plan.repId }, 'offer timed out, reassigned');
  deps.telemetry?.offerTimedOut();
  deps.telemetry?.offerMade({ seq: handoff.offerCount + 1, hot: handoff.hot });
  return 'reoffered';
}
