// Turns give way to requests arriving on new connections (one is accepted per event-loop iteration), bounded.
import { describe, expect, it } from 'vitest';
import {
  givingWay,
  nextTurn,
  oneStartPerTurn,
  requestsArriving,
  turnTaker,
  URGENT_MAX_WAIT_MS,
} from '../../src/domain/next-turn.js';

describe('nextTurn between loops', () => {
  // First in the file: the tests below leave requests 'arriving' for a minute (module state).
  it('resumes one waiting loop per event-loop iteration, not all of them in one go', async () => {
    // Three loops take a turn together. Resumed in one check phase (one setImmediate each), all three would run
    // before anything the first one queued meanwhile; one per iteration, the event loop comes round between them.
    const log: string[] = [];
    await Promise.all(
      [0, 1, 2].map(async (i) => {
        await nextTurn();
        log.push(`slice ${i}`);
        if (i === 0) setImmediate(() => log.push('queued by slice 0'));
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toHaveLength(4);
    expect(log.indexOf('queued by slice 0')).toBeLessThan(log.indexOf('slice 2'));
  });
});

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

describe('oneStartPerTurn', () => {
  it('starts pieces in call order, a turn of the event loop between starts, and lets them overlap once they wait', async () => {
    const start = oneStartPerTurn();
    const log: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const pieces = [0, 1, 2].map((i) =>
      start(async () => {
        log.push(`start ${i}`);
        // Queued by this piece's synchronous part: runs before the next piece starts.
        setImmediate(() => log.push(`turn after ${i}`));
        await held;
        log.push(`end ${i}`);
        return i;
      }),
    );
    // Every piece starts although the first has not ended.
    await new Promise<void>((resolve) => {
      const check = (): void => (log.includes('start 2') ? resolve() : void setImmediate(check));
      check();
    });
    release();
    expect(await Promise.all(pieces)).toEqual([0, 1, 2]);
    expect(log.slice(0, 5)).toEqual(['start 0', 'turn after 0', 'start 1', 'turn after 1', 'start 2']);
    expect(log.filter((l) => l.startsWith('end'))).toEqual(['end 0', 'end 1', 'end 2']);
  });

  it('keeps going after a piece fails', async () => {
    const start = oneStartPerTurn();
    await expect(start(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(start(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
