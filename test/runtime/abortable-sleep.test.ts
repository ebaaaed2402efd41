import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../../src/runtime/abortable-sleep.js';

describe('sleep', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves true after the full time', async () => {
    let result: boolean | undefined;
    void sleep(1_000).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(999);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toBe(true);
  });

  it('resolves false as soon as the signal aborts and clears its timer', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await expect(pending).resolves.toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves false at once when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sleep(60_000, controller.signal)).resolves.toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('treats negative and NaN delays as zero and clamps huge ones to the timer limit', async () => {
    const results: boolean[] = [];
    void sleep(-5).then((r) => results.push(r));
    void sleep(Number.NaN).then((r) => results.push(r));
    await vi.advanceTimersByTimeAsync(0);
    expect(results).toEqual([true, true]);
    let long: boolean | undefined;
    void sleep(Number.POSITIVE_INFINITY).then((r) => (long = r));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(long).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2_147_483_647);
    expect(long).toBe(true);
  });

  it('removes its abort listener after a full sleep', async () => {
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const pending = sleep(10, controller.signal);
    await vi.advanceTimersByTimeAsync(10);
    await expect(pending).resolves.toBe(true);
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });
});
