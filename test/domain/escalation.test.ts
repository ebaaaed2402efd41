import { describe, expect, it } from 'vitest';
import { describeEscalation } from '../../src/domain/escalation.js';

describe('escalation reasons in words', () => {
  it.each([
    ['unroutable', 'no rule, team or fallback could take it'],
    ['max_offers', 'every offer timed out or was passed on (maximum offers reached)'],
    ['no_next_rep', 'the offer timed out and no other rep is available'],
  ])('words %s', (code, words) => {
    expect(describeEscalation(code)).toBe(words);
  });

  it('shows a code it does not know as it is, and no code as "escalated"', () => {
    expect(describeEscalation('all_rejected')).toBe('all_rejected');
    expect(describeEscalation('toString')).toBe('toString');
    expect(describeEscalation(null)).toBe('escalated');
  });
});
