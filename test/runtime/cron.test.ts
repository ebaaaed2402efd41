// Cron jobs on node-cron with fake timers: the expression is read in its own time zone, a slow run is
// never overlapped by the next one, a failed run is reported, and aborting the signal ends the job.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scheduleCron, type CronJobOptions } from '../../src/runtime/cron.js';
import { recordingLogger } from '../helpers/recording-logger.js';

const MIN = 60_000;

describe('scheduleCron', () => {
  const stopping: AbortController[] = [];
  let logger = recordingLogger();
  const schedule = (options: Partial<CronJobOptions> & Pick<CronJobOptions, 'run'>) => {
    const signal = new AbortController();
    stopping.push(signal);
    return {
      job: scheduleCron({
        name: 'test',
        expression: '* * * * *',
        timezone: 'UTC',
        onFailed: () => undefined,
        signal: signal.signal,
        logger,
        ...options,
      }),
      signal,
    };
  };

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-03-02T06:59:30Z') }); // a Monday
    logger = recordingLogger();
  });
  afterEach(() => {
    for (const s of stopping.splice(0)) s.abort();
    vi.useRealTimers();
  });

  it('reads the expression in its time zone', () => {
    const { job } = schedule({ expression: '0 8 * * 1-5', timezone: 'Europe/Berlin', run: async () => undefined });
    expect(job.matches(Date.parse('2026-03-02T07:00:00Z'))).toBe(true); // 08:00 in Berlin (CET)
    expect(job.matches(Date.parse('2026-03-02T08:00:00Z'))).toBe(false);
    expect(job.matches(Date.parse('2026-07-01T06:00:00Z'))).toBe(true); // 08:00 in Berlin (CEST)
    expect(job.matches(Date.parse('2026-03-07T07:00:00Z'))).toBe(false); // Saturday
  });

  it('runs at the scheduled minute with the scheduled time', async () => {
    const at: number[] = [];
    schedule({ expression: '0 8 * * 1-5', timezone: 'Europe/Berlin', run: async (t) => void at.push(t) });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(at).toEqual([]);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(at).toEqual([Date.parse('2026-03-02T07:00:00Z')]);
  });

  it('never starts a run while the previous one is still going', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    schedule({
      run: async () => {
        runs++;
        active++;
        most = Math.max(most, active);
        await new Promise((resolve) => setTimeout(resolve, 2.5 * MIN));
        active--;
      },
    });
    await vi.advanceTimersByTimeAsync(4 * MIN);
    expect(most).toBe(1);
    expect(runs).toBeLessThan(4);
    expect(logger.records).toContainEqual(
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ cron: 'test' }) }),
    );
  });

  it('reports a failed run and keeps the job scheduled', async () => {
    const failures: unknown[] = [];
    let runs = 0;
    schedule({
      run: async () => {
        runs++;
        throw new Error('store down');
      },
      onFailed: (err) => failures.push(err),
    });
    await vi.advanceTimersByTimeAsync(2 * MIN);
    expect(runs).toBe(2);
    expect(failures).toHaveLength(2);
    expect(String(failures[0])).toContain('store down');
  });

  it('ends the job when the signal aborts', async () => {
    let runs = 0;
    const { signal } = schedule({ run: async () => void runs++ });
    await vi.advanceTimersByTimeAsync(MIN);
    expect(runs).toBe(1);
    signal.abort();
    await vi.advanceTimersByTimeAsync(3 * MIN);
    expect(runs).toBe(1);
  });
});
