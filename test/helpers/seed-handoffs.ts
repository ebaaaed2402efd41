// Writes one hand-off's history through the Store port with explicit times, as the use cases would have: the
// ingest (live, or imported history), its offers one after another (each accepted, rejected, timed out, withdrawn
// or left open), then an optional escalation. The dashboard and golden datasets are lists of these plans.
import type { Lead } from '../../src/domain/model.js';
import type { Store } from '../../src/ports/store.js';
import { OFFER_END_ACTION } from './builders.js';

const M = 60_000;

/** One offer; `at`, `due` and `endAt` are minutes after the MQL. */
export type OfferStep =
  | {
      rep: string;
      at: number;
      due: number;
      end: 'accepted' | 'rejected' | 'timed_out' | 'withdrawn';
      endAt: number;
      reason?: string;
      note?: string;
    }
  | { rep: string; at: number; due: number; end: 'open' };

export interface HandoffPlan {
  /** Its `mqlAt` is the time everything else counts from. */
  lead: Lead;
  hot: boolean;
  team: string | null;
  /** Imported history, decided `after` ms after the MQL; never offered. */
  imported?: { state: 'accepted' | 'rejected'; after: number; reason?: string };
  offers: OfferStep[];
  /** Escalated `after` ms after the MQL (after the offers), staying escalated. */
  escalate?: { after: number; reason: string };
}

/**
 * Writes `plan` and returns the hand-off id. `offerId(seq)` names the offers (seq from 1); `label` names the
 * hand-off in the error thrown when the store refuses a step.
 */
export async function seedHandoff(
  store: Store,
  plan: HandoffPlan,
  names: { label: string; offerId: (seq: number) => string },
): Promise<string> {
  const { lead, hot, team, imported: imp } = plan;
  const mqlAt = lead.mqlAt;
  const ingested = await store.ingest(
    imp
      ? {
          lead,
          hot,
          imported: true,
          state: imp.state,
          decidedAt: mqlAt + imp.after,
          reasonId: imp.state === 'rejected' ? (imp.reason ?? null) : null,
          decidedBy: null,
        }
      : { lead, hot, imported: false, events: [{ type: 'detected', actor: null }] },
    mqlAt,
  );
  let h = ingested.handoff;
  for (let i = 0; i < plan.offers.length; i++) {
    const step = plan.offers[i]!;
    const offerId = names.offerId(i + 1);
    const offeredAt = mqlAt + step.at * M;
    const offered = await store.applyChange(
      {
        handoffId: h.id,
        action: i === 0 ? 'offer' : 'reoffer',
        expectVersion: h.version,
        set: { repId: step.rep, teamId: team, offerCount: i + 1, dueAt: mqlAt + step.due * M },
        insertOffers: [
          {
            id: offerId,
            repId: step.rep,
            seq: i + 1,
            state: 'open',
            offeredAt,
            dueAt: mqlAt + step.due * M,
            remindAt: null,
            ownerMatch: false,
            trace: {},
          },
        ],
        events: [{ type: 'offered', actor: null, data: { offerId, repId: step.rep } }],
      },
      offeredAt,
    );
    if (!offered.ok) throw new Error(`${names.label}: offering ${offerId} failed`);
    h = offered.handoff;
    if (step.end === 'open') continue;
    const endAt = mqlAt + step.endAt * M;
    const ended = await store.applyChange(
      {
        handoffId: h.id,
        action: OFFER_END_ACTION[step.end],
        expectVersion: h.version,
        // A timed-out offer leaves the hand-off open for the next one; the other ends decide it.
        set:
          step.end === 'timed_out'
            ? {}
            : {
                decidedAt: endAt,
                decidedBy: step.end === 'withdrawn' ? null : step.rep,
                reasonId: step.end === 'rejected' ? (step.reason ?? null) : null,
                note: step.end === 'rejected' ? (step.note ?? null) : null,
                dueAt: null,
              },
        updateOffers: [{ id: offerId, expectState: 'open', set: { state: step.end, decidedAt: endAt } }],
        events: [{ type: step.end, actor: step.rep }],
      },
      endAt,
    );
    if (!ended.ok) throw new Error(`${names.label}: ending ${offerId} failed`);
    h = ended.handoff;
  }
  if (plan.escalate) {
    const at = mqlAt + plan.escalate.after;
    const esc = await store.applyChange(
      {
        handoffId: h.id,
        action: 'escalate',
        expectVersion: h.version,
        set: { teamId: team, escalatedAt: at, escalationReason: plan.escalate.reason, dueAt: null },
        events: [{ type: 'escalated', actor: null, data: { reason: plan.escalate.reason } }],
      },
      at,
    );
    if (!esc.ok) throw new Error(`${names.label}: escalating failed`);
  }
  return h.id;
}
