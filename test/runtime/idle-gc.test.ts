import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { nextTurn } from '../../src/domain/next-turn.js';
import { startIdleCollector, type IdleCollector } from '../../src/runtime/idle-gc.js';
import { recordingLogger } from '../helpers/recording-logger.js';

const MB = 1024 * 1024;

/**
 * Takes `n` turns (each further pass of a collection takes one). Turns are handed out in order, one per event-loop
 * iteration, so a turn taken here comes after the turn a collection is already waiting for.
 */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await nextTurn();
}
let collector: IdleCollector | null = null;
afterEach(() => {
  collector?.stop();
  collector = null;
});

describe('startIdleCollector', () => {
  it('collects when quiet once the heap has grown 32 MB since the last collection, not again while it stays put', () => {
    let heap = 100 * MB;
    let calls = 0;
    const shares = [0.9, 0.05, 0.05, 0.05, 0.05];
    collector = startIdleCollector({
      logger: recordingLogger(),
      everyMs: 3_600_000,
      collect: () => {
        calls++;
        heap = 40 * MB;
      },
      heapBytes: () => heap,
      utilisation: () => shares.shift() ?? 0,
    });
    collector.tick(); // busy: a drain
    collector.tick(); // the first quiet interval: reps may be clicking
    expect(calls).toBe(0);
    collector.tick(); // quiet again, heap 100 MB: collected down to 40
    expect(calls).toBe(1);
    heap = 60 * MB;
    collector.tick(); // quiet, grown 20 MB only
    collector.tick();
    expect(calls).toBe(1);
  });

  it('collects again after a second burst grows the heap, never while the event loop is busy', () => {
    let heap = 50 * MB;
    let calls = 0;
    const ticks: Array<[number, number]> = [
      [0.5, 50], // busy
      [0.01, 50], // quiet once
      [0.01, 50], // quiet twice, 50 ≥ 0 + 32: collect → 30
      [0.8, 120], // busy, grown: wait
      [0.6, 140], // busy
      [0.02, 140], // quiet once
      [0.5, 140], // busy again
      [0.02, 140], // quiet once
      [0.02, 140], // quiet twice: collect → 30
      [0.01, 40], // quiet, small growth
    ];
    let share = 0;
    collector = startIdleCollector({
      logger: recordingLogger(),
      everyMs: 3_600_000,
      collect: () => {
        calls++;
        heap = 30 * MB;
      },
      heapBytes: () => heap,
      utilisation: () => share,
    });
    const seen: number[] = [];
    for (const [s, h] of ticks) {
      share = s;
      heap = h * MB;
      collector.tick();
      seen.push(calls);
    }
    expect(seen).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 2, 2]);
  });

  it('runs more full collections, one per turn, while each still shrinks the heap by a megabyte, up to 4', async () => {
    const after = [90, 60, 59.5, 59]; // MB after each pass: the third shrinks by less than 1 MB
    let heap = 120 * MB;
    let calls = 0;
    collector = startIdleCollector({
      logger: recordingLogger(),
      everyMs: 3_600_000,
      collect: () => {
        heap = (after[calls] ?? 59) * MB;
        calls++;
      },
      heapBytes: () => heap,
      utilisation: () => 0,
    });
    collector.tick();
    collector.tick();
    expect(calls).toBe(1); // the first pass at once, the others on later turns
    await turns(1);
    expect(calls).toBe(2);
    await turns(5);
    expect(calls).toBe(3);
    expect(collector.runs).toBe(1);

    const shrinking = [100, 80, 60, 40, 20];
    heap = 140 * MB;
    calls = 0;
    collector.stop();
    collector = startIdleCollector({
      logger: recordingLogger(),
      everyMs: 3_600_000,
      collect: () => {
        heap = (shrinking[calls] ?? 10) * MB;
        calls++;
      },
      heapBytes: () => heap,
      utilisation: () => 0,
    });
    collector.tick();
    collector.tick();
    await turns(8);
    expect(calls).toBe(4);
  });

  it('runs V8’s full collection by default', () => {
    collector = startIdleCollector({
      logger: recordingLogger(),
      everyMs: 3_600_000,
      utilisation: () => 0,
      heapBytes: () => 64 * MB,
    });
    collector.tick();
    collector.tick();
    expect(collector.runs).toBe(1);
  });
});

describe('the idle collection itself', () => {
  it('compacts a fragmented old space (a plain full GC keeps its half-empty pages)', () => {
    // In a fresh process (dist/, built by `npm test`), so the heap is this scenario alone: 600,000 small objects
    // promoted to the old space, then all but one in 16 dropped, which leaves every page mostly empty.
    const script = (mode: 'plain' | 'idle'): string => `
      const { fullCollection } = await import(${JSON.stringify(new URL('../../dist/src/runtime/idle-gc.js', import.meta.url).href)});
      const all = [];
      for (let i = 0; i < 600000; i++) all.push({ a: i, b: 'x' + i, c: [i, i + 1] });
      globalThis.gc(); globalThis.gc();
      const keep = all.filter((_, i) => i % 16 === 0);
      all.length = 0;
      ${mode === 'idle' ? 'fullCollection()();' : 'globalThis.gc();'}
      process.stdout.write(String(process.memoryUsage().heapTotal / 1048576 + keep.length * 0));
    `;
    const heapAfter = (mode: 'plain' | 'idle'): number =>
      Number(
        execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script(mode)], {
          encoding: 'utf8',
        }),
      );
    const plain = heapAfter('plain');
    const idle = heapAfter('idle');
    expect(idle).toBeLessThan(plain * 0.75);
  });
});
