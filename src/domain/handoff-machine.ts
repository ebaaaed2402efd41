// The hand-off lifecycle of DESIGN §2 as data: a transition table and one function that applies it.
// Everything else about states is read from the table: which states are open or final, which states
// an action may start from (the store's compare-and-set guard) and where it leads (the state the
// store writes). Illegal moves come back as values, never as exceptions.
import { HANDOFF_STATES, type HandoffState } from './model.js';

export const HANDOFF_ACTIONS = [
  'offer',
  'reoffer',
  'accept',
  'reject',
  'escalate',
  'claim',
  'assign',
  'withdraw',
] as const;
export type HandoffAction = (typeof HANDOFF_ACTIONS)[number];

/** From each state, the actions allowed and where they lead. Final states allow nothing. */
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

type Table = typeof TRANSITIONS;

/** Where a hand-off starts: live MQLs are created here, and open history is imported here. */
export const INITIAL_STATE = 'detected' satisfies HandoffState;

/** The states `action` can lead to, read from the table (`'accept'` → `'accepted'`); a union maps member by member. */
export type TargetOf<A extends HandoffAction> = A extends HandoffAction
  ? { [S in HandoffState]: Table[S] extends Record<A, infer To> ? To : never }[HandoffState]
  : never;

/** States with at least one way out of them. */
export type OpenState = { [S in HandoffState]: keyof Table[S] extends never ? never : S }[HandoffState];

export type TransitionResult<A extends HandoffAction = HandoffAction> =
  | { ok: true; to: TargetOf<A> }
  | { ok: false; reason: string };

/** Where `action` takes a hand-off in state `from`, or why it cannot. */
export function nextState<A extends HandoffAction>(from: HandoffState, action: A): TransitionResult<A> {
  if (!isKnownState(from)) return { ok: false, reason: `unknown state "${String(from)}"` };
  const row: Partial<Record<HandoffAction, HandoffState>> = TRANSITIONS[from];
  const to = Object.hasOwn(row, action) ? row[action] : undefined;
  // The table row for `from` maps `action` to exactly this target, so it is one of TargetOf<A>.
  if (to !== undefined) return { ok: true, to: to as TargetOf<A> };
  if (isFinal(from)) return { ok: false, reason: `hand-off is already ${from}; cannot ${action}` };
  return {
    ok: false,
    reason: `cannot ${action} a hand-off that is ${from} (allowed: ${allowedActions(from).join(', ')})`,
  };
}

/** Actions allowed from a state, in table order. */
export function allowedActions(from: HandoffState): HandoffAction[] {
  return Object.keys(TRANSITIONS[from]) as HandoffAction[];
}

/** Every move `action` makes, one per state it may start from, in lifecycle order. */
export function movesOf(action: HandoffAction): { from: HandoffState; to: HandoffState }[] {
  return HANDOFF_STATES.flatMap((from) => {
    const move = nextState(from, action);
    return move.ok ? [{ from, to: move.to }] : [];
  });
}

/** Open: the hand-off still needs someone to act (detected, offered, escalated). */
export function isOpen(state: string): state is OpenState {
  return isKnownState(state) && !isFinal(state);
}

/** Final: no action leads anywhere from here (accepted, rejected, withdrawn). */
export function isFinal(state: string): boolean {
  return isKnownState(state) && allowedActions(state).length === 0;
}

/** The open states in lifecycle order, for the queries that list them (open hand-offs, backlog). */
export const OPEN_STATES: readonly OpenState[] = HANDOFF_STATES.filter(isOpen);

function isKnownState(state: string): state is HandoffState {
  return (HANDOFF_STATES as readonly string[]).includes(state);
}
