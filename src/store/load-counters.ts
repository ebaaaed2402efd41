// Per-rep load counters, derived from the offer rows a change inserts or updates, so that no use case
// has to state them: open offers per rep, and offers made per rep per 15-minute slot (a rep's local day
// is a run of whole slots in every zone whose offset is a whole quarter hour).
import type { Millis } from '../domain/model.js';

/** Length of one offer-count slot: local midnights of every zone with a whole-quarter-hour offset fall on a boundary. */
export const OFFER_SLOT_MS = 15 * 60_000;

/** How long offer slots are kept per rep: a local day is at most 25 hours, so two days leave room for clock skew. */
export const SLOT_RETENTION_MS = 2 * 24 * 60 * 60_000;

export function offerSlot(at: Millis): Millis {
  return Math.floor(at / OFFER_SLOT_MS) * OFFER_SLOT_MS;
}

/** Counter changes one hand-off change makes, derived from its offer rows (so no use case has to state them). */
export interface LoadDelta {
  /** Open offers gained (+) or lost (−) per rep. */
  open: Map<string, number>;
  /** Offers made per rep per slot. */
  slots: Map<string, Map<Millis, number>>;
}

export function emptyLoadDelta(): LoadDelta {
  return { open: new Map(), slots: new Map() };
}

export function countInsertedOffer(delta: LoadDelta, offer: { repId: string; state: string; offeredAt: Millis }): void {
  if (offer.state === 'open') delta.open.set(offer.repId, (delta.open.get(offer.repId) ?? 0) + 1);
  const slots = delta.slots.get(offer.repId) ?? new Map<Millis, number>();
  const slot = offerSlot(offer.offeredAt);
  slots.set(slot, (slots.get(slot) ?? 0) + 1);
  delta.slots.set(offer.repId, slots);
}

export function countUpdatedOffer(delta: LoadDelta, repId: string, from: string, to: string): void {
  const change = (to === 'open' ? 1 : 0) - (from === 'open' ? 1 : 0);
  if (change !== 0) delta.open.set(repId, (delta.open.get(repId) ?? 0) + change);
}
