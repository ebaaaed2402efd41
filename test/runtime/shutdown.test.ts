import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installShutdown, type ShutdownOptions } from '../../src/runtime/shutdown.js';
import { deferred } from '../helpers/deferred.js';
import { recordingLogger } from '../helpers/recording-logger.js';

describe('installShutdown', () => {
  const uninstalls: Array<() => void> = [];

  function setup(overrides: Partial<ShutdownOptions> = {}) {
    const proc = new EventEmitter();
    const exit = vi.fn<(code: number) => void>();
    const onForce = vi.fn<(reason: 'second_signal' | 'drain_timeout') => void>();
    const drain = deferred();
    const onDrain = vi.fn((_signal: string) => drain.promise);
    const logger = recordingLogger();
    const uninstall = installShutdown({ logger, drainMs: 10_000, onDrain, onForce, exit, process: proc, ...overrides });
    uninstalls.push(uninstall);
    return { proc, exit, onForce, drain, onDrain, logger, uninstall };
  }

  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    uninstalls.splice(0).forEach((u) => u());
    vi.useRealTimers();
  });

  it('drains on the first SIGTERM and exits 0 when draining completes', async () => {
    const { proc, exit, onDrain, drain, onForce } = setup();
    proc.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(onDrain).toHaveBeenCalledWith('SIGTERM');
    expect(exit).not.toHaveBeenCalled();
    drain.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(0);
    expect(onForce).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('handles SIGINT the same way', async () => {
    const { proc, exit, drain, onDrain } = setup();
    proc.emit('SIGINT', 'SIGINT');
    drain.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(onDrain).toHaveBeenCalledWith('SIGINT');
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('exits 1 when draining outlasts drainMs, and only once', async () => {
    const { proc, exit, onForce, drain, logger } = setup();
    proc.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(9_999);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(exit).toHaveBeenCalledWith(1);
    expect(onForce).toHaveBeenCalledWith('drain_timeout');
    expect(logger.records.some((r) => r.level === 'error' && r.msg === 'drain timed out, exiting')).toBe(true);
    drain.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it('forces an exit on a second signal while draining', async () => {
    const { proc, exit, onForce, onDrain } = setup();
    proc.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(100);
    proc.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(1);
    expect(onForce).toHaveBeenCalledWith('second_signal');
    expect(onDrain).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('exits 1 when draining fails', async () => {
    const { proc, exit, drain, logger } = setup();
    proc.emit('SIGTERM', 'SIGTERM');
    drain.reject(new Error('store close failed'));
    await vi.advanceTimersByTimeAsync(0);
    expect(exit).toHaveBeenCalledWith(1);
    const line = logger.records.find((r) => r.msg === 'drain failed, exiting');
    expect((line?.fields.err as Error).message).toBe('store close failed');
  });

  it('exits 1 when onDrain throws synchronously', async () => {
    const { proc, exit } = setup({
      onDrain: () => {
        throw new Error('sync');
      },
    });
    proc.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('ignores signals after it has exited', async () => {
    const { proc, exit, drain, onForce } = setup();
    proc.emit('SIGTERM', 'SIGTERM');
    drain.resolve();
    await vi.advanceTimersByTimeAsync(0);
    proc.emit('SIGTERM', 'SIGTERM');
    proc.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledTimes(1);
    expect(onForce).not.toHaveBeenCalled();
  });

  it('still exits when onForce throws', async () => {
    const { proc, exit } = setup({
      onForce: () => {
        throw new Error('flush failed');
      },
    });
    proc.emit('SIGTERM', 'SIGTERM');
    proc.emit('SIGTERM', 'SIGTERM');
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('uninstall removes its listeners and can be called twice', () => {
    const { proc, exit, onDrain, uninstall } = setup();
    expect(proc.listenerCount('SIGTERM')).toBe(1);
    expect(proc.listenerCount('SIGINT')).toBe(1);
    uninstall();
    uninstall();
    expect(proc.listenerCount('SIGTERM')).toBe(0);
    expect(proc.listenerCount('SIGINT')).toBe(0);
    proc.emit('SIGTERM', 'SIGTERM');
    expect(onDrain).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
  });

  it('attaches to the real process by default and detaches cleanly', () => {
    const before = process.listenerCount('SIGTERM');
    const uninstall = installShutdown({
      logger: recordingLogger(),
      drainMs: 1_000,
      onDrain: async () => undefined,
      exit: vi.fn(),
    });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    uninstall();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
