// The wait helpers decide whether a slow machine fails a test: they must not.
import { describe, expect, it } from 'vitest';
import { waitFor, waitForCount } from './wait.js';

/** A producer that adds one item every `everyMs` until it has `upTo` (or forever while upTo is null). */
function producer(everyMs: number, upTo: number | null) {
  let n = 0;
  const timer = setInterval(() => {
    if (upTo === null || n < upTo) n++;
  }, everyMs);
  return { count: () => n, stop: () => clearInterval(timer) };
}

describe('waitForCount', () => {
  it('passes for steady work that takes longer than a fixed bound would have allowed', async () => {
    const p = producer(15, 40); // ≈ 600 ms in all, but never more than 15 ms between items
    try {
      // A fixed 200 ms bound (what the e2e suite used to do, scaled down) gives up on this work…
      await expect(waitFor('40 items', () => p.count() >= 40, 200, 5)).rejects.toThrow(/timed out/);
      // …while waiting on progress lets it finish.
      expect(await waitForCount('40 items', p.count, 40, { stallMs: 2_000, everyMs: 5 })).toBeGreaterThanOrEqual(40);
    } finally {
      p.stop();
    }
  });

  it('fails, naming where it stuck, when the count stops growing', async () => {
    const p = producer(5, 3);
    try {
      await expect(waitForCount('10 items', p.count, 10, { stallMs: 500, everyMs: 5 })).rejects.toThrow(
        /stuck at 3 of 10/,
      );
    } finally {
      p.stop();
    }
  });

  it('fails at the cap even while work trickles in', async () => {
    const p = producer(5, null);
    try {
      await expect(waitForCount('a million', p.count, 1_000_000, { capMs: 150, everyMs: 5 })).rejects.toThrow(
        /after 150 ms/,
      );
    } finally {
      p.stop();
    }
  });
});
