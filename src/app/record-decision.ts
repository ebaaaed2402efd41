// recordDecision: the rep (or a manager of the team) accepts or rejects an open offer. Exactly once.
import { isFinal, nextState } from '../domain/handoff-machine.js';
import type { ChatPlatform } from '../domain/chat.js';
import type { Handoff, Offer } from '../domain/model.js';
import type { DecisionOutcome } from '../ports/handoff-actions.js';
import type { AppDeps } from './deps.js';
import { job } from './jobs.js';
import { findRep, findReason, managersOf } from './settings.js';
import { decisionJobs } from './write-back.js';

export interface DecisionInput {
  offerId: string;
  /** Rep or manager id. */
  actorId: string;
  /** Where the decision was made (recorded on the event; explain shows it). */
  via?: ChatPlatform | 'demo';
  decision: 'accept' | 'reject';
  reasonId?: string | null;
  note?: string | null;
}

export async function recordDecision(deps: AppDeps, input: DecisionInput): Promise<DecisionOutcome> {
  const { store, clock, settings } = deps;
  for (let attempt = 0; attempt < 3; attempt++) {
    const offer = await store.getOffer(input.offerId);
    if (!offer) return { kind: 'not_found' };
    const handoff = await store.getHandoff(offer.handoffId);
    if (!handoff) return { kind: 'not_found' };
    const move = nextState(handoff.state, input.decision);
    if (!move.ok || offer.state !== 'open') return closedOutcome(handoff, offer);
    const isRep = input.actorId === offer.repId;
    const isManager = managersOf(settings, handoff.teamId).some((m) => m.id === input.actorId);
    if (!isRep && !isManager) {
      return { kind: 'not_yours', offeredTo: findRep(settings, offer.repId)?.name ?? offer.repId };
    }
    const note = input.note?.trim() ? input.note.trim() : null;
    let reasonId: string | null = null;
    if (input.decision === 'reject') {
      const reason = findReason(settings, input.reasonId);
      if (!reason) return { kind: 'invalid', problem: `unknown rejection reason "${input.reasonId ?? ''}"` };
      if (reason.noteRequired && !note) return { kind: 'invalid', problem: `a note is required for "${reason.label}"` };
      reasonId = reason.id;
    }
    const now = clock.now();
    // The offer ends the way the hand-off does: accepted or rejected.
    const state = move.to;
    const rep = findRep(settings, offer.repId);
    const result = await store.applyChange(
      {
        handoffId: handoff.id,
        action: input.decision,
        expectVersion: handoff.version,
        set: { decidedAt: now, decidedBy: input.actorId, reasonId, note, dueAt: null },
        updateOffers: [{ id: offer.id, expectState: 'open', set: { state, decidedAt: now } }],
        events: [
          {
            type: state,
            actor: input.actorId,
            data: { offerId: offer.id, reasonId, note, onBehalf: isRep ? null : offer.repId, via: input.via ?? null },
          },
        ],
        jobs: [
          job(
            'slack.close_offer',
            {
              offerId: offer.id,
              outcome:
                state === 'accepted'
                  ? { kind: 'accepted', by: input.actorId, at: now }
                  : { kind: 'rejected', by: input.actorId, at: now, reasonId: reasonId as string, note },
            },
            offer.id,
            now,
            handoff.id,
          ),
          ...decisionJobs(settings, handoff, { decision: state, rep, reasonId, note, at: now, key: offer.id }),
        ],
      },
      now,
    );
    if (result.ok) {
      deps.logger.info(
        { handoffId: handoff.id, offerId: offer.id, repId: offer.repId, by: input.actorId, reasonId },
        state,
      );
      deps.telemetry?.decided({ outcome: state, reasonId, afterMs: now - offer.offeredAt });
      return state === 'accepted'
        ? { kind: 'accepted', handoff: result.handoff }
        : { kind: 'rejected', handoff: result.handoff };
    }
    // Lost a race (another click, a timeout, a withdrawal): look again and report what happened.
  }
  const offer = await store.getOffer(input.offerId);
  const handoff = offer ? await store.getHandoff(offer.handoffId) : null;
  if (!offer || !handoff || (offer.state === 'open' && nextState(handoff.state, input.decision).ok)) {
    return { kind: 'not_found' };
  }
  return closedOutcome(handoff, offer);
}

/** The answer for a click on an offer that can no longer be decided. */
function closedOutcome(handoff: Handoff, offer: Offer): DecisionOutcome {
  if (isFinal(handoff.state)) {
    return { kind: 'already_decided', state: handoff.state, by: handoff.decidedBy, at: handoff.decidedAt };
  }
  return { kind: 'offer_closed', offerState: offer.state, at: offer.decidedAt, currentRep: handoff.repId };
}
