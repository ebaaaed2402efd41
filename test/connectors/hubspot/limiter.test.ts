import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../connectors/hubspot/hubspot.client.js';

function fakeClock() {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
      await new Promise((r) => setImmediate(r));
      return true;
    },
  };
}

describe('rolling-window limiter', () => {
  it('never grants more than max in any window, counting each request until it completed', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ max: 5, windowMs: 1_000 }, clock);
    const grants: number[] = [];
    for (let i = 0; i < 23; i++) {
      const release = await limiter.acquire();
      grants.push(clock.now());
      release();
    }
    for (const g of grants) {
      expect(grants.filter((x) => x > g - 1_000 && x <= g).length).toBeLessThanOrEqual(5);
    }
    // 23 requests at 5 per second: the last one goes out after four full windows.
    expect(grants.at(-1)).toBe(4_000);
  });

  it('keeps a slot busy while its request is in flight', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ max: 1, windowMs: 100 }, clock);
    const release = await limiter.acquire();
    let second = false;
    const pending = limiter.acquire().then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    expect(second).toBe(false);
    release();
    (await pending)();
    expect(second).toBe(true);
    expect(clock.now()).toBeGreaterThanOrEqual(100);
  });
});
