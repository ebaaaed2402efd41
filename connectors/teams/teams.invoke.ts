// What an Adaptive Card Action.Execute invoke carries (parsed strictly: a forged or garbled value never reaches
// HandoffActions), what the handler learned from acting on it (the result a card is rendered from), and the
// plain wording and card used when no richer renderer is given.
import type { RejectionReason } from '../../src/domain/model.js';
import type { ClaimOutcome, DecisionOutcome, HandoffView, OfferView } from '../../src/ports/handoff-actions.js';
import type { Person } from '../../src/ports/rep-notifier.js';
import type { TeamsActionData } from './teams.types.js';

/** The invoke name of Universal Actions (Action.Execute). */
export const ADAPTIVE_CARD_ACTION = 'adaptiveCard/action';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const NOTE_MAX = 3000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An id as our cards write them; anything else (other types, spaces, markup, huge strings) is refused. */
function idOf(data: Record<string, unknown>, key: string): string | null {
  const v = data[key];
  return typeof v === 'string' && ID.test(v) ? v : null;
}

/** An optional input value: absent or '' is undefined, a string is trimmed, anything else is refused (null). */
function inputOf(data: Record<string, unknown>, key: string, max: number): string | undefined | null {
  const v = data[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) return null;
  const t = v.trim();
  return t === '' ? undefined : t;
}

export type ParsedAction = { ok: true; action: TeamsActionData } | { ok: false; problem: string };

/**
 * The action of an `adaptiveCard/action` invoke value (`{ action: { type: 'Action.Execute', verb, data } }`),
 * checked field by field; unknown fields in data are ignored, wrong ones refuse the whole action.
 */
export function parseActionValue(value: unknown): ParsedAction {
  const bad = (problem: string): ParsedAction => ({ ok: false, problem });
  if (!isObject(value) || !isObject(value.action)) return bad('no action in the invoke');
  const { type, verb } = value.action;
  const data = value.action.data === undefined ? {} : value.action.data;
  if (type !== 'Action.Execute') return bad('not an Action.Execute');
  if (!isObject(data)) return bad('action data is not an object');
  switch (verb) {
    case 'accept': {
      const offerId = idOf(data, 'offerId');
      return offerId === null ? bad('no valid offer id') : { ok: true, action: { verb, offerId } };
    }
    case 'reject': {
      const offerId = idOf(data, 'offerId');
      const reason = inputOf(data, 'reason', 128);
      const note = inputOf(data, 'note', NOTE_MAX);
      if (offerId === null) return bad('no valid offer id');
      if (reason === null) return bad('the reason is not valid');
      if (note === null) return bad(`the note is not text of at most ${NOTE_MAX} characters`);
      return {
        ok: true,
        action: {
          verb,
          offerId,
          ...(reason !== undefined ? { reason } : {}),
          ...(note !== undefined ? { note } : {}),
        },
      };
    }
    case 'claim': {
      const handoffId = idOf(data, 'handoffId');
      return handoffId === null ? bad('no valid hand-off id') : { ok: true, action: { verb, handoffId } };
    }
    case 'assign': {
      const handoffId = idOf(data, 'handoffId');
      const repId = inputOf(data, 'repId', 128);
      if (handoffId === null) return bad('no valid hand-off id');
      if (repId === null || (repId !== undefined && !ID.test(repId))) return bad('the rep is not valid');
      return { ok: true, action: { verb, handoffId, ...(repId !== undefined ? { repId } : {}) } };
    }
    case 'refresh': {
      const offerId = data.offerId === undefined ? undefined : idOf(data, 'offerId');
      const handoffId = data.handoffId === undefined ? undefined : idOf(data, 'handoffId');
      if (offerId === null || handoffId === null) return bad('no valid id to refresh');
      if (offerId === undefined && handoffId === undefined) return bad('nothing to refresh');
      return {
        ok: true,
        action: {
          verb,
          ...(offerId !== undefined ? { offerId } : {}),
          ...(handoffId !== undefined ? { handoffId } : {}),
        },
      };
    }
    default:
      return bad('unknown verb');
  }
}

/**
 * What the handler did with an invoke, for the card it answers with (the card replaces the clicked one for the
 * user who clicked; the notifier rewrites the message for everyone else). The same fields as the card builders'
 * InvokeRenderInput (teams.cards.ts renderInvokeResult), which adds the configured people, reasons and clock.
 */
export interface TeamsActionResult {
  /** The clicked Action.Execute (verb and data, inputs merged) or the automatic refresh. */
  action: TeamsActionData;
  /**
   * HandoffActions' answer: a DecisionOutcome for accept/reject, a ClaimOutcome for claim/assign; null for a
   * refresh. A reject form sent incomplete (no reason, a required note missing, an unknown reason) is
   * `{ kind: 'invalid', problem }` without HandoffActions being asked; an assign without a rep is `not_allowed`.
   */
  outcome: DecisionOutcome | ClaimOutcome | null;
  /** The offer as it stands now (viewOffer), for accept/reject/refresh of an offer card. */
  offer: OfferView | null;
  /** The hand-off as it stands now (viewHandoff), for claim/assign/refresh of a channel card. */
  handoff: HandoffView | null;
  /** Who clicked: Entra object id and Teams user id (29:…). */
  viewer: { aadObjectId: string; userId: string | null };
}

/**
 * Renders the Adaptive Card an invoke answers with, or null to leave the card as it is (an automatic refresh of
 * something still open).
 */
export type TeamsCardRenderer = (result: TeamsActionResult) => object | null;

/** Names for person ids in sentences. */
export type NameOf = (personId: string | null) => string | null;

export function nameLookup(people: readonly Person[]): NameOf {
  const byId = new Map(people.map((p) => [p.id, p.name]));
  return (id) => (id === null ? null : (byId.get(id) ?? id));
}

function when(at: number | null): string {
  return at === null ? '' : ` at ${new Date(at).toISOString().slice(11, 16)} UTC`;
}

function decisionText(o: DecisionOutcome, nameOf: NameOf, reasons: readonly RejectionReason[]): string {
  switch (o.kind) {
    case 'accepted':
      return `✅ Accepted${when(o.handoff.decidedAt)}. The lead is yours.`;
    case 'rejected': {
      const label = reasons.find((r) => r.id === o.handoff.reasonId)?.label ?? o.handoff.reasonId ?? 'other';
      return `❌ Rejected (${label})${when(o.handoff.decidedAt)}.`;
    }
    case 'already_decided':
      return `ℹ️ Already ${o.state}${o.by !== null ? ` by ${nameOf(o.by)}` : ''}${when(o.at)}. Nothing was changed.`;
    case 'offer_closed':
      return `ℹ️ This offer is closed (${o.offerState}${when(o.at)})${
        o.currentRep !== null ? `; the lead is now with ${nameOf(o.currentRep)}` : ''
      }. Nothing was changed.`;
    case 'not_yours':
      return `This lead is offered to ${nameOf(o.offeredTo)}, not to you. Nothing was changed.`;
    case 'unknown_user':
      return 'You are not set up as a rep or manager in handoff. Nothing was changed.';
    case 'invalid':
      return `That did not work: ${o.problem}. Nothing was changed.`;
    case 'not_found':
      return 'This lead is no longer known to handoff. Nothing was changed.';
  }
}

function claimText(o: ClaimOutcome, nameOf: NameOf): string {
  switch (o.kind) {
    case 'claimed':
      return `✅ Claimed by ${nameOf(o.by)}.`;
    case 'assigned':
      return `✅ Assigned to ${nameOf(o.to)}.`;
    case 'already_taken':
      return `ℹ️ Already taken${o.by !== null ? `: ${nameOf(o.by)} has it` : ''} (${o.state}). Nothing was changed.`;
    case 'not_allowed':
      return `You can't do that: ${o.why}. Nothing was changed.`;
    case 'unknown_user':
      return 'You are not set up as a rep or manager in handoff. Nothing was changed.';
    case 'not_found':
      return 'This lead is no longer known to handoff. Nothing was changed.';
  }
}

function refreshText(result: TeamsActionResult, nameOf: NameOf): string {
  const o = result.offer;
  if (o !== null)
    return o.offerState === 'open'
      ? `${o.leadName} is offered to ${o.repName}.`
      : `${o.leadName}: ${o.offerState}${o.decidedBy !== null ? ` by ${nameOf(o.decidedBy)}` : ''}.`;
  const h = result.handoff;
  if (h !== null) return `${h.leadName}: ${h.state}${h.ownerName !== null ? `, with ${h.ownerName}` : ''}.`;
  return 'This lead is no longer available.';
}

/** One sentence saying what happened, late and double clicks included; the fallback card's text. */
export function resultText(result: TeamsActionResult, nameOf: NameOf, reasons: readonly RejectionReason[]): string {
  const { action, outcome } = result;
  if (outcome === null) return refreshText(result, nameOf);
  if (action.verb === 'accept' || action.verb === 'reject')
    return decisionText(outcome as DecisionOutcome, nameOf, reasons);
  return claimText(outcome as ClaimOutcome, nameOf);
}

/** A minimal Adaptive Card: the lead's name (when known) and what happened. */
export function plainResultCard(
  result: TeamsActionResult,
  nameOf: NameOf,
  reasons: readonly RejectionReason[],
): Record<string, unknown> {
  const lead = result.offer?.leadName ?? result.handoff?.leadName ?? null;
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [
      ...(lead !== null ? [{ type: 'TextBlock', text: lead, weight: 'Bolder', wrap: true }] : []),
      { type: 'TextBlock', text: resultText(result, nameOf, reasons), wrap: true },
    ],
  };
}
