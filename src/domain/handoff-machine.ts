// The hand-off lifecycle of DESIGN §2 as data: a transition table and one function that applies it.
// The store guards every move with compare-and-set (`WHERE state = :from AND version = :v`); this
// table decides which moves exist at all. Illegal moves come back as values, never as exceptions.
import { HANDOFF_STATES, type HandoffState } from './model.js';

export type HandoffAction = 'offer' | 'reoffer' | 'accept' | 'reject' | 'escalate' | 'claim' | 'assign' | 'withdraw';

export const HANDOFF_ACTIONS: readonly HandoffAction[] = [
  'offer',
  'reoffer',
  'accept',
  'reject',
  'escalate',
  'claim',
  'assign',
  'withdraw',
];

/** From each state, the actions allowed and where they lead. Terminal states allow nothing. */
export const TRANSITIONS = {
  detected: { offer: 'offered', escalate: 'escalated', withdraw: 'withdrawn' },
  offered: {
    accept: 'accepted',
    reject: 'rejected',
    // The offer timed out (or was handed on): the same hand-off is offered to the next rep.
    reoffer: 'offered',
    escalate: 'escalated',
    withdraw: 'withdrawn',
  },
  escalated: { assign: 'offered', claim: 'accepted', withdraw: 'withdrawn' },
  accepted: {},
  rejected: {},
  withdrawn: {},
} as const satisfies Record<HandoffState, Partial<Record<HandoffAction, HandoffState>>>;

export type TransitionResult = { ok: true; to: HandoffState } | { ok: false; reason: string };

/** Where `action` takes a hand-off in state `from`, or why it cannot. */
export function nextState(from: HandoffState, action: HandoffAction): TransitionResult {
  if (!isKnownState(from)) return { ok: false, reason: `unknown state "${String(from)}"` };
  const row: Partial<Record<HandoffAction, HandoffState>> = TRANSITIONS[from];
  const to = Object.hasOwn(row, action) ? row[action] : undefined;
  if (to !== undefined) return { ok: true, to };
  if (isTerminal(from)) return { ok: false, reason: `hand-off is already ${from}; cannot ${action}` };
  const allowed = Object.keys(row).join(', ');
  return { ok: false, reason: `cannot ${action} a hand-off that is ${from} (allowed: ${allowed})` };
}

/** Actions allowed from a state, in table order. */
export function allowedActions(from: HandoffState): HandoffAction[] {
  return Object.keys(TRANSITIONS[from]) as HandoffAction[];
}

/** Open: the hand-off still needs someone to act (detected, offered, escalated). */
export function isOpen(state: HandoffState): boolean {
  return isKnownState(state) && !isTerminal(state);
}

/** Terminal: no action leads anywhere from here (accepted, rejected, withdrawn). */
export function isTerminal(state: HandoffState): boolean {
  return isKnownState(state) && Object.keys(TRANSITIONS[state]).length === 0;
}

function isKnownState(state: string): state is HandoffState {
  return (HANDOFF_STATES as readonly string[]).includes(state);
}
