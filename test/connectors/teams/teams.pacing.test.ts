// The sliding windows behind our pacing (and the emulator's limits): Teams' per-thread limits, on a fake clock.
import { describe, expect, it } from 'vitest';
import { createSlidingWindows, TEAMS_THREAD_LIMITS } from '../../../connectors/teams/teams.pacing.js';

describe('createSlidingWindows', () => {
  it('lets 7 through in a second, then says how long until the next slot', () => {
    let now = 1_000_000;
    const w = createSlidingWindows(TEAMS_THREAD_LIMITS, () => now);
    for (let i = 0; i < 7; i++) expect(w.take('a')).toBe(0);
    expect(w.take('a')).toBe(1000);
    expect(w.take('b')).toBe(0); // other conversations are separate
    now += 1000;
    expect(w.take('a')).toBe(0); // the 8th, within 2 s
    expect(w.take('a')).toBe(1000); // the 9th waits for the 2-second window
  });

  it('holds at 60 in 30 seconds however they are spread', () => {
    let now = 0;
    const w = createSlidingWindows(TEAMS_THREAD_LIMITS, () => now);
    let taken = 0;
    while (taken < 60) {
      const wait = w.take('a');
      if (wait === 0) taken += 1;
      else now += wait;
    }
    const first60 = now;
    expect(first60).toBeLessThan(30_000);
    expect(w.take('a')).toBe(30_000 - first60 + 0);
  });

  it('blocks a key for a Retry-After', () => {
    let now = 0;
    const w = createSlidingWindows([], () => now);
    w.block('a', 5000);
    expect(w.take('a')).toBe(5000);
    now += 5000;
    expect(w.take('a')).toBe(0);
  });
});
