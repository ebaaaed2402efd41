// The HandoffActions port implemented over the use cases: what Slack, Teams, email links and the demo page can do.
import type { HandoffActions, HandoffView, OfferView, QueueItem, RepSummary } from '../ports/handoff-actions.js';
import type { AppDeps } from './deps.js';
import { assignHandoff, claimHandoff } from './claim-handoff.js';
import { leadDisplayName as leadName } from '../domain/model.js';
import { nameOf, whoIs } from './people.js';
import { recordDecision } from './record-decision.js';
import { nearestRank } from '../domain/metrics.js';

export function createHandoffActions(deps: AppDeps): HandoffActions {
  const woken = <T>(result: T): T => {
    deps.wake?.();
    return result;
  };
  return {
    async accept({ offerId, actor }) {
      const who = await whoIs(deps, actor);
      if (!who) return { kind: 'unknown_user' };
      return woken(await recordDecision(deps, { offerId, actorId: actorId(who), via: actor.via, decision: 'accept' }));
    },
    async reject({ offerId, actor, reasonId, note }) {
      const who = await whoIs(deps, actor);
      if (!who) return { kind: 'unknown_user' };
      return woken(
        await recordDecision(deps, {
          offerId,
          actorId: actorId(who),
          via: actor.via,
          decision: 'reject',
          reasonId,
          note,
        }),
      );
    },
    async claim({ handoffId, actor }) {
      const who = await whoIs(deps, actor);
      if (!who) return { kind: 'unknown_user' };
      const rep = who.kind === 'rep' ? who.rep : who.rep;
      if (!rep)
        return { kind: 'not_allowed', why: 'managers assign escalated leads with "Assign to…"; claiming is for reps' };
      return woken(await claimHandoff(deps, { handoffId, repId: rep.id, via: actor.via }));
    },
    async assign({ handoffId, actor, repId }) {
      const who = await whoIs(deps, actor);
      if (!who) return { kind: 'unknown_user' };
      if (who.kind !== 'manager') return { kind: 'not_allowed', why: 'only managers can assign leads' };
      return woken(await assignHandoff(deps, { handoffId, managerId: who.manager.id, repId, via: actor.via }));
    },
    async setAway({ actor, until }) {
      const who = await whoIs(deps, actor);
      const rep = who?.kind === 'rep' ? who.rep : who?.rep;
      if (!rep) return { ok: false };
      await deps.store.setRepStatus(rep.id, { awayUntil: until, since: deps.clock.now(), note: null });
      deps.logger.info({ repId: rep.id, until }, 'rep away');
      return { ok: true, repId: rep.id };
    },
    async setBack({ actor }) {
      const who = await whoIs(deps, actor);
      const rep = who?.kind === 'rep' ? who.rep : who?.rep;
      if (!rep) return { ok: false };
      await deps.store.setRepStatus(rep.id, null);
      deps.logger.info({ repId: rep.id }, 'rep back');
      return { ok: true, repId: rep.id };
    },
    async queue({ actor }) {
      const who = await whoIs(deps, actor);
      const rep = who?.kind === 'rep' ? who.rep : who?.rep;
      if (!rep) return null;
      const offers = await deps.store.listOpenOffersForRep(rep.id);
      const items: QueueItem[] = [];
      for (const offer of offers) {
        const handoff = await deps.store.getHandoff(offer.handoffId);
        const lead = handoff ? await deps.store.getLead(handoff.leadId) : null;
        if (!handoff || !lead) continue;
        items.push({
          handoffId: handoff.id,
          offerId: offer.id,
          leadName: leadName(lead),
          company: lead.fields.company ?? null,
          dueAt: offer.dueAt,
          hot: handoff.hot,
        });
      }
      return items.sort((a, b) => a.dueAt - b.dueAt);
    },
    async summary({ actor, since }) {
      const who = await whoIs(deps, actor);
      const rep = who?.kind === 'rep' ? who.rep : who?.rep;
      if (!rep) return null;
      return repSummary(deps, rep.id, since);
    },
    async viewOffer({ offerId }) {
      const offer = await deps.store.getOffer(offerId);
      const handoff = offer ? await deps.store.getHandoff(offer.handoffId) : null;
      const lead = handoff ? await deps.store.getLead(handoff.leadId) : null;
      if (!offer || !handoff || !lead) return null;
      const view: OfferView = {
        offerId: offer.id,
        handoffId: handoff.id,
        repId: offer.repId,
        repName: nameOf(deps, offer.repId),
        offerState: offer.state,
        handoffState: handoff.state,
        hot: handoff.hot,
        dueAt: offer.dueAt,
        leadName: leadName(lead),
        company: lead.fields.company ?? null,
        decidedBy: handoff.decidedBy ? nameOf(deps, handoff.decidedBy) : null,
        decidedAt: offer.decidedAt ?? handoff.decidedAt,
      };
      return view;
    },
    async viewHandoff({ handoffId }) {
      const handoff = await deps.store.getHandoff(handoffId);
      const lead = handoff ? await deps.store.getLead(handoff.leadId) : null;
      if (!handoff || !lead) return null;
      const view: HandoffView = {
        handoffId: handoff.id,
        state: handoff.state,
        hot: handoff.hot,
        leadName: leadName(lead),
        company: lead.fields.company ?? null,
        ownerName: handoff.repId && handoff.state === 'accepted' ? nameOf(deps, handoff.repId) : null,
        teamId: handoff.teamId,
      };
      return view;
    },
  };
}

function actorId(who: NonNullable<Awaited<ReturnType<typeof whoIs>>>): string {
  return who.kind === 'rep' ? who.rep.id : (who.rep?.id ?? who.manager.id);
}

/** A rep's numbers since a moment, from their hand-offs (small: one rep, a month). */
async function repSummary(deps: AppDeps, repId: string, since: number): Promise<RepSummary> {
  const now = deps.clock.now();
  const handoffs = [];
  let after: { mqlAt: number; id: string } | undefined;
  for (;;) {
    const page = await deps.store.listHandoffsByMqlTime(since, now + 1, 500, after);
    handoffs.push(...page);
    if (page.length < 500) break;
    const last = page[page.length - 1] as (typeof page)[number];
    after = { mqlAt: last.mqlAt, id: last.id };
  }
  const summary: RepSummary = { offers: 0, accepted: 0, rejected: 0, timedOut: 0, medianResponseMs: null };
  const responses: number[] = [];
  for (const h of handoffs) {
    if (h.offerCount === 0) continue;
    for (const offer of await deps.store.listOffers(h.id)) {
      if (offer.repId !== repId) continue;
      summary.offers += 1;
      if (offer.state === 'accepted') summary.accepted += 1;
      if (offer.state === 'rejected') summary.rejected += 1;
      if (offer.state === 'timed_out') summary.timedOut += 1;
      if ((offer.state === 'accepted' || offer.state === 'rejected') && offer.decidedAt !== null)
        responses.push(offer.decidedAt - offer.offeredAt);
    }
  }
  // The median of src/domain/metrics.ts (nearest rank), as `stats` and the dashboard report it.
  summary.medianResponseMs = nearestRank(
    responses.sort((a, b) => a - b),
    50,
  );
  return summary;
}
