import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  HANDOFF_ACTIONS,
  INITIAL_STATE,
  OPEN_STATES,
  TRANSITIONS,
  allowedActions,
  isFinal,
  isOpen,
  movesOf,
  nextState,
  type HandoffAction,
  type OpenState,
  type TargetOf,
} from '../../src/domain/handoff-machine.js';
import { HANDOFF_STATES, type HandoffState } from '../../src/domain/model.js';

/** DESIGN §2, written out independently of the table: every legal move. */
const LEGAL: Array<[HandoffState, HandoffAction, HandoffState]> = [
  ['detected', 'offer', 'offered'],
  ['detected', 'escalate', 'escalated'],
  ['detected', 'withdraw', 'withdrawn'],
  ['offered', 'accept', 'accepted'],
  ['offered', 'reject', 'rejected'],
  ['offered', 'reoffer', 'offered'],
  ['offered', 'escalate', 'escalated'],
  ['offered', 'withdraw', 'withdrawn'],
  ['escalated', 'assign', 'offered'],
  ['escalated', 'claim', 'accepted'],
  ['escalated', 'withdraw', 'withdrawn'],
];

const expected = new Map(LEGAL.map(([from, action, to]) => [`${from}/${action}`, to]));
const everyPair = HANDOFF_STATES.flatMap((from) => HANDOFF_ACTIONS.map((action) => [from, action] as const));

describe('nextState', () => {
  it('covers 6 states × 8 actions', () => {
    expect(everyPair).toHaveLength(48);
  });

  it.each(everyPair)('%s + %s', (from, action) => {
    const to = expected.get(`${from}/${action}`);
    const result = nextState(from, action);
    if (to !== undefined) {
      expect(result).toEqual({ ok: true, to });
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.reason).toContain(action);
        expect(result.reason).toContain(from);
      }
    }
  });

  it('says a decided hand-off is already decided', () => {
    expect(nextState('accepted', 'reject')).toEqual({
      ok: false,
      reason: 'hand-off is already accepted; cannot reject',
    });
  });

  it('lists the allowed actions when a move is illegal from an open state', () => {
    const result = nextState('escalated', 'accept');
    expect(result).toEqual({
      ok: false,
      reason: 'cannot accept a hand-off that is escalated (allowed: assign, claim, withdraw)',
    });
  });

  it('returns a value instead of throwing for a state it does not know', () => {
    expect(nextState('archived' as HandoffState, 'offer')).toEqual({ ok: false, reason: 'unknown state "archived"' });
  });

  it('does not treat inherited object keys as actions', () => {
    expect(nextState('accepted', 'toString' as HandoffAction).ok).toBe(false);
    expect(nextState('offered', 'constructor' as HandoffAction).ok).toBe(false);
  });

  it('allows withdrawal from every open state and nothing from a final one', () => {
    for (const s of HANDOFF_STATES) {
      expect(nextState(s, 'withdraw').ok).toBe(isOpen(s));
      expect(allowedActions(s).length === 0).toBe(isFinal(s));
    }
  });

  it('has exactly the table of DESIGN §2', () => {
    const fromTable = Object.entries(TRANSITIONS).flatMap(([from, row]) =>
      Object.entries(row).map(([action, to]) => [from, action, to]),
    );
    expect(fromTable.sort()).toEqual([...LEGAL].sort());
  });
});

describe('movesOf', () => {
  it('lists, per action, every state it starts from and where it leads', () => {
    const fromMoves = HANDOFF_ACTIONS.flatMap((action) => movesOf(action).map(({ from, to }) => [from, action, to]));
    expect(fromMoves.sort()).toEqual([...LEGAL].sort());
  });

  it('gives every action at least one move (the store never guards with an empty state list)', () => {
    for (const action of HANDOFF_ACTIONS) expect(movesOf(action).length).toBeGreaterThan(0);
  });

  it('reads the targets of an action off the table, in the types too', () => {
    expect(movesOf('escalate')).toEqual([
      { from: 'detected', to: 'escalated' },
      { from: 'offered', to: 'escalated' },
    ]);
    expectTypeOf<TargetOf<'accept'>>().toEqualTypeOf<'accepted'>();
    expectTypeOf<TargetOf<'accept' | 'reject'>>().toEqualTypeOf<'accepted' | 'rejected'>();
    expectTypeOf<TargetOf<'assign' | 'offer' | 'reoffer'>>().toEqualTypeOf<'offered'>();
    expectTypeOf<OpenState>().toEqualTypeOf<'detected' | 'offered' | 'escalated'>();
  });
});

describe('isOpen / isFinal', () => {
  it.each([
    ['detected', true],
    ['offered', true],
    ['escalated', true],
    ['accepted', false],
    ['rejected', false],
    ['withdrawn', false],
  ] as const)('%s is open: %s', (state, open) => {
    expect(isOpen(state)).toBe(open);
    expect(isFinal(state)).toBe(!open);
  });

  it('lists the open states in lifecycle order', () => {
    expect(OPEN_STATES).toEqual(['detected', 'offered', 'escalated']);
  });

  it('starts a hand-off in an open state that can be offered', () => {
    expect(INITIAL_STATE).toBe('detected');
    expect(nextState(INITIAL_STATE, 'offer')).toEqual({ ok: true, to: 'offered' });
  });

  it('calls an unknown state neither open nor final', () => {
    expect(isOpen('archived')).toBe(false);
    expect(isFinal('archived')).toBe(false);
  });
});
