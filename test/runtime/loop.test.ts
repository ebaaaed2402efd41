import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../../src/runtime/abortable-sleep.js';
import { startLoop, type Loop, type LoopOptions } from '../../src/runtime/loop.js';
import { deferred } from '../helpers/deferred.js';
import { recordingLogger } from '../helpers/recording-logger.js';

describe('startLoop', () => {
  const loops: Loop[] = [];
  const start = (options: Partial<LoopOptions> & Pick<LoopOptions, 'tick'>) => {
    const logger = recordingLogger();
    const loop = startLoop({ name: 'sweeper', intervalMs: 1_000, logger, ...options });
    loops.push(loop);
    return { loop, logger };
  };

  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(async () => {
    await Promise.all(loops.splice(0).map((l) => l.stop()));
    vi.useRealTimers();
  });

  it('ticks at once and then once per interval', async () => {
    let ticks = 0;
    const { loop } = start({ tick: () => void ticks++ });
    await vi.advanceTimersByTimeAsync(0);
    expect(ticks).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(ticks).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ticks).toBe(2);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(ticks).toBe(5);
    expect(loop.ticks).toBe(5);
  });

  it('reports the interval it would pause for now', () => {
    let every = 1_000;
    const { loop } = start({ tick: () => undefined, intervalMs: () => every });
    expect(loop.intervalMs).toBe(1_000);
    every = 8_000;
    expect(loop.intervalMs).toBe(8_000);
  });

  it('waits one interval first when not immediate', async () => {
    let ticks = 0;
    start({ tick: () => void ticks++, immediate: false });
    await vi.advanceTimersByTimeAsync(999);
    expect(ticks).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(ticks).toBe(1);
  });

  it('never overlaps itself: the pause starts when a slow tick ends', async () => {
    const gates: Array<ReturnType<typeof deferred>> = [];
    let running = 0;
    let maxRunning = 0;
    const { loop } = start({
      tick: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
        running--;
      },
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(gates).toHaveLength(1);
    expect(loop.busy).toBe(true);
    gates[0]!.resolve();
    await vi.advanceTimersByTimeAsync(999);
    expect(gates).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(gates).toHaveLength(2);
    expect(maxRunning).toBe(1);
    gates[1]!.resolve();
  });

  it('survives failed ticks, counts them, logs them and logs the recovery', async () => {
    let calls = 0;
    const { loop, logger } = start({
      tick: () => {
        calls++;
        if (calls === 1) throw new Error('sync failure');
        if (calls === 2) return Promise.reject(new Error('async failure'));
        return undefined;
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(loop.consecutiveFailures).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(loop.consecutiveFailures).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(loop.consecutiveFailures).toBe(0);
    const errors = logger.records.filter((r) => r.level === 'error');
    expect(
      errors.map((r) => [r.msg, r.fields.loop, r.fields.consecutiveFailures, (r.fields.err as Error).message]),
    ).toEqual([
      ['loop tick failed', 'sweeper', 1, 'sync failure'],
      ['loop tick failed', 'sweeper', 2, 'async failure'],
    ]);
    expect(logger.records.some((r) => r.msg === 'loop recovered' && r.fields.failuresBefore === 2)).toBe(true);
  });

  it('tracks when it last ticked and last succeeded', async () => {
    let clock = 5_000;
    let fail = false;
    const { loop } = start({
      now: () => clock,
      tick: () => {
        if (fail) throw new Error('down');
      },
    });
    expect(loop.lastTickAt).toBeNull();
    await vi.advanceTimersByTimeAsync(0);
    expect(loop.lastTickAt).toBe(5_000);
    expect(loop.lastSuccessAt).toBe(5_000);
    fail = true;
    clock = 9_000;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(loop.lastTickAt).toBe(9_000);
    expect(loop.lastSuccessAt).toBe(5_000);
  });

  it('stop resolves only after the tick in progress has finished, and no tick follows', async () => {
    const gate = deferred();
    let ticks = 0;
    const { loop } = start({
      tick: async () => {
        ticks++;
        await gate.promise;
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(stopped).toBe(false);
    expect(loop.stopped).toBe(true);
    gate.resolve();
    await stopping;
    expect(stopped).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ticks).toBe(1);
  });

  it('stop is idempotent and ends a loop that is waiting at once', async () => {
    let ticks = 0;
    const { loop } = start({ tick: () => void ticks++, intervalMs: 3_600_000 });
    await vi.advanceTimersByTimeAsync(0);
    const first = loop.stop();
    const second = loop.stop();
    expect(second).toBe(first);
    await first;
    await loop.done;
    expect(ticks).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborts the signal given to the tick, and a tick cut short is not a failure', async () => {
    let seen: AbortSignal | null = null;
    const { loop, logger } = start({
      tick: async (signal) => {
        seen = signal;
        await sleep(3_600_000, signal);
        signal.throwIfAborted();
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(seen!.aborted).toBe(false);
    await loop.stop();
    expect(seen!.aborted).toBe(true);
    expect(loop.consecutiveFailures).toBe(0);
    expect(logger.records.filter((r) => r.level === 'error')).toEqual([]);
  });

  it('runNow ticks at once when idle', async () => {
    let ticks = 0;
    const { loop } = start({ tick: () => void ticks++, intervalMs: 60_000 });
    await vi.advanceTimersByTimeAsync(0);
    loop.runNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(ticks).toBe(2);
    // The interval restarts from that tick.
    await vi.advanceTimersByTimeAsync(59_999);
    expect(ticks).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(ticks).toBe(3);
  });

  it('runNow during a tick runs exactly one more tick right after it', async () => {
    const gate = deferred();
    let ticks = 0;
    const { loop } = start({
      intervalMs: 60_000,
      tick: async () => {
        ticks++;
        if (ticks === 1) await gate.promise;
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    loop.runNow();
    loop.runNow();
    loop.runNow();
    gate.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(ticks).toBe(2);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(ticks).toBe(2);
  });

  it('asks an interval function before every pause', async () => {
    const intervals = [100, 5_000];
    let ticks = 0;
    start({ tick: () => void ticks++, intervalMs: () => intervals.shift() ?? 1_000 });
    await vi.advanceTimersByTimeAsync(100);
    expect(ticks).toBe(2);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(ticks).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(ticks).toBe(3);
  });

  it('stops when the external signal aborts', async () => {
    const controller = new AbortController();
    let ticks = 0;
    const { loop } = start({ tick: () => void ticks++, signal: controller.signal });
    await vi.advanceTimersByTimeAsync(0);
    controller.abort();
    await loop.done;
    expect(loop.stopped).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ticks).toBe(1);
  });

  it('does not tick at all when the external signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let ticks = 0;
    const { loop } = start({ tick: () => void ticks++, signal: controller.signal });
    await loop.done;
    expect(ticks).toBe(0);
    loop.runNow();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ticks).toBe(0);
  });
});
