// Escalated hand-offs: a team member claims one (first claim wins), or a manager assigns it to a rep.
import { nextState } from '../domain/handoff-machine.js';
import type { Handoff } from '../domain/model.js';
import type { ClaimOutcome } from '../ports/handoff-actions.js';
import type { ChatPlatform } from '../domain/chat.js';
import type { AppDeps } from './deps.js';
import { job } from './jobs.js';
import { newOfferParts } from './offer-handoff.js';
import { findRep, findTeam, managersOf } from './settings.js';
import { decisionJobs } from './write-back.js';

export async function claimHandoff(
  deps: AppDeps,
  input: { handoffId: string; repId: string; via?: ChatPlatform },
): Promise<ClaimOutcome> {
  const { store, clock, settings } = deps;
  const handoff = await store.getHandoff(input.handoffId);
  if (!handoff) return { kind: 'not_found' };
  const move = nextState(handoff.state, 'claim');
  if (!move.ok) return alreadyTaken(handoff);
  const rep = findRep(settings, input.repId);
  if (!rep || !rep.active) return { kind: 'not_allowed', why: 'only active reps can claim leads' };
  const team = findTeam(settings, handoff.teamId);
  if (team && !team.members.includes(rep.id))
    return { kind: 'not_allowed', why: `only members of team ${team.id} can claim this lead` };
  const now = clock.now();
  const parts = newOfferParts(
    deps,
    handoff,
    { repId: rep.id, teamId: handoff.teamId, dueAt: now, remindAt: null, ownerMatch: false, trace: { claimed: true } },
    now,
  );
  const result = await store.applyChange(
    {
      handoffId: handoff.id,
      action: 'claim',
      expectVersion: handoff.version,
      set: {
        repId: rep.id,
        offerCount: handoff.offerCount + 1,
        decidedAt: now,
        decidedBy: rep.id,
        dueAt: null,
      },
      // The claimant's own offer, decided as it is made: it ends as the hand-off does.
      insertOffers: [{ ...parts.offer, state: move.to, decidedAt: now }],
      events: [{ type: 'claimed', actor: rep.id, data: { offerId: parts.offer.id, via: input.via ?? null } }],
      jobs: [
        job(
          'slack.close_escalation',
          { handoffId: handoff.id, kind: 'claimed', by: rep.id, to: rep.id },
          `${handoff.id}:claim`,
          now,
          handoff.id,
        ),
        ...decisionJobs(settings, handoff, {
          decision: move.to,
          rep,
          reasonId: null,
          note: null,
          at: now,
          key: parts.offer.id,
        }),
      ],
    },
    now,
  );
  if (!result.ok) return alreadyTaken(result.current);
  deps.telemetry?.offerMade({ seq: handoff.offerCount + 1, hot: handoff.hot });
  deps.telemetry?.decided({ outcome: move.to, reasonId: null, afterMs: 0 });
  deps.logger.info({ handoffId: handoff.id, repId: rep.id }, 'escalated hand-off claimed');
  return { kind: 'claimed', handoff: result.handoff, by: rep.id };
}

export async function assignHandoff(
  deps: AppDeps,
  input: { handoffId: string; managerId: string; repId: string; via?: ChatPlatform },
): Promise<ClaimOutcome> {
  const { store, clock, settings } = deps;
  const handoff = await store.getHandoff(input.handoffId);
  if (!handoff) return { kind: 'not_found' };
  if (
    !managersOf(settings, handoff.teamId).some((m) => m.id === input.managerId) &&
    !settings.managers.some((m) => m.id === input.managerId)
  ) {
    return { kind: 'not_allowed', why: 'only managers can assign leads' };
  }
  if (!nextState(handoff.state, 'assign').ok) return alreadyTaken(handoff);
  const rep = findRep(settings, input.repId);
  if (!rep || !rep.active) return { kind: 'not_allowed', why: `unknown or inactive rep "${input.repId}"` };
  const now = clock.now();
  const { dueAt, remindAt } = deps.deadlineFor(rep.id, now, handoff.hot);
  const parts = newOfferParts(
    deps,
    handoff,
    {
      repId: rep.id,
      teamId: handoff.teamId,
      dueAt,
      remindAt,
      ownerMatch: false,
      trace: { assignedBy: input.managerId },
    },
    now,
  );
  const result = await store.applyChange(
    {
      handoffId: handoff.id,
      action: 'assign',
      expectVersion: handoff.version,
      set: { repId: rep.id, offerCount: handoff.offerCount + 1, dueAt },
      insertOffers: [parts.offer],
      events: [
        {
          type: 'assigned',
          actor: input.managerId,
          data: { offerId: parts.offer.id, repId: rep.id, dueAt, via: input.via ?? null },
        },
      ],
      jobs: [
        job(
          'slack.close_escalation',
          { handoffId: handoff.id, kind: 'assigned', by: input.managerId, to: rep.id },
          `${handoff.id}:assign:${parts.offer.id}`,
          now,
          handoff.id,
        ),
        ...parts.jobs,
      ],
    },
    now,
  );
  if (!result.ok) return alreadyTaken(result.current);
  deps.telemetry?.offerMade({ seq: handoff.offerCount + 1, hot: handoff.hot });
  deps.logger.info({ handoffId: handoff.id, repId: rep.id, by: input.managerId }, 'escalated hand-off assigned');
  return { kind: 'assigned', handoff: result.handoff, to: rep.id };
}

/** The answer when someone else got there first: who has the hand-off now and in which state. */
function alreadyTaken(current: Handoff | null): ClaimOutcome {
  if (!current) return { kind: 'not_found' };
  return { kind: 'already_taken', by: current.decidedBy ?? current.repId, state: current.state };
}
