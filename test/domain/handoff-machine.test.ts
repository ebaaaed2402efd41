import { describe, expect, it } from 'vitest';
import {
  HANDOFF_ACTIONS,
  TRANSITIONS,
  allowedActions,
  isOpen,
  isTerminal,
  nextState,
  type HandoffAction,
} from '../../src/domain/handoff-machine.js';
import { HANDOFF_STATES, OPEN_STATES, type HandoffState } from '../../src/domain/model.js';

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

  it('allows withdrawal from every open state and nothing from a terminal one', () => {
    for (const s of HANDOFF_STATES) {
      expect(nextState(s, 'withdraw').ok).toBe(isOpen(s));
      expect(allowedActions(s).length === 0).toBe(isTerminal(s));
    }
  });

  it('has exactly the table of DESIGN §2', () => {
    const fromTable = Object.entries(TRANSITIONS).flatMap(([from, row]) =>
      Object.entries(row).map(([action, to]) => [from, action, to]),
    );
    expect(fromTable.sort()).toEqual([...LEGAL].sort());
  });
});

describe('isOpen / isTerminal', () => {
  it.each([
    ['detected', true],
    ['offered', true],
    ['escalated', true],
    ['accepted', false],
    ['rejected', false],
    ['withdrawn', false],
  ] as const)('%s is open: %s', (state, open) => {
    expect(isOpen(state)).toBe(open);
    expect(isTerminal(state)).toBe(!open);
  });

  it('agrees with OPEN_STATES of the model', () => {
    expect(HANDOFF_STATES.filter(isOpen)).toEqual([...OPEN_STATES]);
  });

  it('calls an unknown state neither open nor terminal', () => {
    expect(isOpen('archived' as HandoffState)).toBe(false);
    expect(isTerminal('archived' as HandoffState)).toBe(false);
  });
});
