import { afterEach, describe, expect, it } from 'vitest';
import { startIdleCollector, type IdleCollector } from '../../src/runtime/idle-gc.js';
import { recordingLogger } from '../helpers/recording-logger.js';

let collector: IdleCollector | null = null;
afterEach(() => {
  collector?.stop();
  collector = null;
});

/** A collector fed a scripted utilisation, one value per tick. */
function scripted(shares: number[]): { collector: IdleCollector; collected: () => number } {
  let calls = 0;
  const queue = [...shares];
  collector = startIdleCollector({
    logger: recordingLogger(),
    everyMs: 3_600_000,
    collect: () => void calls++,
    utilisation: () => queue.shift() ?? 0,
  });
  const c = collector;
  for (let i = 0; i < shares.length; i++) c.tick();
  return { collector: c, collected: () => calls };
}

describe('startIdleCollector', () => {
  it('collects once when the worker goes idle after start-up, not again while it stays idle', () => {
    const { collected } = scripted([0.01, 0.0, 0.01, 0.0]);
    expect(collected()).toBe(1);
  });

  it('collects once per busy → idle change', () => {
    const { collected } = scripted([0.01, 0.6, 0.9, 0.01, 0.01, 0.3, 0.0, 0.0]);
    expect(collected()).toBe(3);
  });

  it('does not collect while work goes on or in a half-busy interval', () => {
    const { collected } = scripted([0.5, 0.05, 0.08, 0.4, 0.05]);
    expect(collected()).toBe(0);
  });

  it('runs V8’s full collection by default', () => {
    collector = startIdleCollector({ logger: recordingLogger(), everyMs: 3_600_000, utilisation: () => 0 });
    collector.tick();
    expect(collector.runs).toBe(1);
  });
});
