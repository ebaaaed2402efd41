import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/ports/failure.js';
import { computeBackoff, defaultShouldRetry, retry, type RetryInfo } from '../../src/runtime/backoff.js';

const fixed = (r: number) => () => r;

describe('computeBackoff', () => {
  it('doubles per attempt up to the cap (no jitter)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) =>
      computeBackoff({ attempt, baseMs: 1_000, maxMs: 30_000, jitter: 'none' }),
    );
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('uses equal jitter by default: between half and all of the nominal delay', () => {
    expect(computeBackoff({ attempt: 3, baseMs: 1_000, maxMs: 60_000, random: fixed(0) })).toBe(2_000);
    expect(computeBackoff({ attempt: 3, baseMs: 1_000, maxMs: 60_000, random: fixed(0.5) })).toBe(3_000);
    expect(computeBackoff({ attempt: 3, baseMs: 1_000, maxMs: 60_000, random: fixed(0.999999) })).toBe(4_000);
  });

  it('spreads from zero with full jitter', () => {
    expect(computeBackoff({ attempt: 3, baseMs: 1_000, maxMs: 60_000, jitter: 'full', random: fixed(0) })).toBe(0);
    expect(computeBackoff({ attempt: 3, baseMs: 1_000, maxMs: 60_000, jitter: 'full', random: fixed(0.25) })).toBe(
      1_000,
    );
  });

  it('stays within bounds for any attempt and random value', () => {
    for (const attempt of [0, 1, 2, 10, 60, 2_000, Number.NaN]) {
      for (const r of [0, 0.3, 0.999]) {
        const d = computeBackoff({ attempt, baseMs: 500, maxMs: 20_000, random: fixed(r) });
        expect(d).toBeGreaterThanOrEqual(250);
        expect(d).toBeLessThanOrEqual(20_000);
        expect(Number.isInteger(d)).toBe(true);
      }
    }
  });

  it('lets a larger Retry-After win, even beyond maxMs', () => {
    expect(computeBackoff({ attempt: 1, baseMs: 1_000, maxMs: 10_000, retryAfterMs: 45_000, random: fixed(0) })).toBe(
      45_000,
    );
  });

  it('ignores a Retry-After smaller than the computed delay', () => {
    expect(computeBackoff({ attempt: 4, baseMs: 1_000, maxMs: 60_000, retryAfterMs: 1_000, jitter: 'none' })).toBe(
      8_000,
    );
  });

  it('caps Retry-After at its own maximum', () => {
    expect(
      computeBackoff({
        attempt: 1,
        baseMs: 1_000,
        maxMs: 10_000,
        retryAfterMs: 86_400_000,
        maxRetryAfterMs: 600_000,
        random: fixed(0),
      }),
    ).toBe(600_000);
    expect(
      computeBackoff({ attempt: 1, baseMs: 1_000, maxMs: 10_000, retryAfterMs: 86_400_000, random: fixed(0) }),
    ).toBe(3_600_000);
  });
});

describe('defaultShouldRetry', () => {
  it.each([
    ['rate_limited', true],
    ['transient', true],
    ['auth', false],
    ['invalid', false],
    ['not_found', false],
  ] as const)('%s → retry %s', (kind, expected) => {
    expect(defaultShouldRetry(new ConnectorError('hubspot', { kind, reason: kind })).retry).toBe(expected);
  });

  it('passes the Retry-After of a rate limit on', () => {
    const err = new ConnectorError('slack', { kind: 'rate_limited', reason: '429', retryAfterMs: 7_000 });
    expect(defaultShouldRetry(err)).toEqual({ retry: true, retryAfterMs: 7_000 });
  });

  it('never retries a used-up daily allowance, however short its Retry-After', () => {
    const daily = new ConnectorError('hubspot', {
      kind: 'rate_limited',
      scope: 'daily',
      reason: 'daily limit',
      retryAfterMs: 1_000,
    });
    expect(defaultShouldRetry(daily).retry).toBe(false);
  });

  it('retries raw network errors and not programming errors', () => {
    expect(defaultShouldRetry(Object.assign(new Error('reset'), { code: 'ECONNRESET' })).retry).toBe(true);
    expect(defaultShouldRetry(new TypeError('undefined is not a function')).retry).toBe(false);
  });
});

describe('retry', () => {
  const transient = () => new ConnectorError('crm', { kind: 'transient', reason: '503' });

  /** Records requested waits and returns at once (or reports an abort). */
  function fakeSleep(onSleep?: (ms: number) => void) {
    const waits: number[] = [];
    const sleep = async (ms: number, signal?: AbortSignal) => {
      waits.push(ms);
      onSleep?.(ms);
      return signal?.aborted !== true;
    };
    return { waits, sleep };
  }

  it('returns the first success and reports each retry', async () => {
    const { waits, sleep } = fakeSleep();
    const retries: RetryInfo[] = [];
    let calls = 0;
    const result = await retry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw transient();
        return 'ok';
      },
      { attempts: 5, baseMs: 100, maxMs: 1_000, jitter: 'none', sleep, onRetry: (i) => retries.push(i) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toEqual([100, 200]);
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 100],
      [2, 200],
    ]);
  });

  it('rethrows the last failure when attempts run out', async () => {
    const { sleep } = fakeSleep();
    let n = 0;
    const failing = () => {
      n++;
      return Promise.reject(new ConnectorError('crm', { kind: 'transient', reason: `try ${n}` }));
    };
    await expect(retry(failing, { attempts: 3, baseMs: 1, maxMs: 1, sleep })).rejects.toThrow('crm: try 3');
    expect(n).toBe(3);
  });

  it('does not retry what shouldRetry refuses', async () => {
    const { waits, sleep } = fakeSleep();
    let calls = 0;
    const auth = new ConnectorError('crm', { kind: 'auth', reason: 'expired token' });
    await expect(
      retry(
        () => {
          calls++;
          return Promise.reject(auth);
        },
        { attempts: 5, baseMs: 1, maxMs: 1, sleep },
      ),
    ).rejects.toBe(auth);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('waits for the Retry-After the failure carries', async () => {
    const { waits, sleep } = fakeSleep();
    let calls = 0;
    await retry(
      () => {
        calls++;
        if (calls === 1)
          return Promise.reject(
            new ConnectorError('slack', { kind: 'rate_limited', reason: '429', retryAfterMs: 5_000 }),
          );
        return Promise.resolve();
      },
      { attempts: 3, baseMs: 100, maxMs: 1_000, sleep },
    );
    expect(waits).toEqual([5_000]);
  });

  it('hands a Retry-After longer than maxRetryAfterMs back to the caller at once', async () => {
    const { waits, sleep } = fakeSleep();
    const limited = new ConnectorError('hubspot', {
      kind: 'rate_limited',
      reason: 'daily limit',
      retryAfterMs: 3_600_000,
    });
    await expect(retry(() => Promise.reject(limited), { attempts: 5, baseMs: 100, maxMs: 1_000, sleep })).rejects.toBe(
      limited,
    );
    expect(waits).toEqual([]);
  });

  it('stops retrying when the signal aborts during a wait, throwing the abort reason', async () => {
    const controller = new AbortController();
    const stopping = new Error('shutting down');
    const { sleep } = fakeSleep(() => controller.abort(stopping));
    let calls = 0;
    await expect(
      retry(
        () => {
          calls++;
          return Promise.reject(transient());
        },
        { attempts: 5, baseMs: 100, maxMs: 1_000, signal: controller.signal, sleep },
      ),
    ).rejects.toBe(stopping);
    expect(calls).toBe(1);
  });

  it('rethrows the failure when the signal aborted while the attempt ran', async () => {
    const controller = new AbortController();
    const { waits, sleep } = fakeSleep();
    const err = transient();
    await expect(
      retry(
        () => {
          controller.abort();
          return Promise.reject(err);
        },
        { attempts: 5, baseMs: 100, maxMs: 1_000, signal: controller.signal, sleep },
      ),
    ).rejects.toBe(err);
    expect(waits).toEqual([]);
  });

  it('makes no attempt when already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    let calls = 0;
    await expect(
      retry(
        () => {
          calls++;
          return Promise.resolve();
        },
        { attempts: 3, baseMs: 1, maxMs: 1, signal: controller.signal },
      ),
    ).rejects.toThrow('shutting down');
    expect(calls).toBe(0);
  });

  it('cuts a real wait short on abort', async () => {
    const controller = new AbortController();
    let calls = 0;
    const started = Date.now();
    const run = retry(
      () => {
        calls++;
        if (calls === 1) setImmediate(() => controller.abort());
        return Promise.reject(transient());
      },
      { attempts: 3, baseMs: 60_000, maxMs: 60_000, signal: controller.signal },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
