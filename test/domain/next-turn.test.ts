// Turns give way to requests arriving on new connections (one is accepted per event-loop iteration), bounded.
import { describe, expect, it } from 'vitest';
import { givingWay, nextTurn, requestsArriving, turnTaker, URGENT_MAX_WAIT_MS } from '../../src/domain/next-turn.js';

describe('nextTurn giving way to arriving requests', () => {
  it('takes one plain turn when nothing arrived, and gives way, at most URGENT_MAX_WAIT_MS, while requests arrive', async () => {
    expect(givingWay()).toBe(false);
    let turns = 0;
    const counting = setInterval(() => turns++, 0);
    try {
      await nextTurn();
      expect(turns).toBeLessThanOrEqual(1);
      // A steady stream of connections (here: one that says it lasts a minute): the turn waits, bounded.
      requestsArriving(performance.now() + 60_000);
      expect(givingWay()).toBe(true);
      const started = performance.now();
      await nextTurn();
      expect(performance.now() - started).toBeGreaterThanOrEqual(URGENT_MAX_WAIT_MS);
      expect(turns).toBeGreaterThan(1); // the event loop ran timers (and would accept connections) meanwhile
    } finally {
      clearInterval(counting);
    }
  });

  it('makes a turnTaker take a turn between items while requests arrive, budget or not', async () => {
    const t = 0;
    const take = turnTaker(10, () => t);
    requestsArriving(performance.now() + 60_000);
    let ran = false;
    setImmediate(() => (ran = true));
    await take(); // within the budget, but giving way: a turn is taken
    expect(ran).toBe(true);
  });
});
