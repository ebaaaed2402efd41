// HubSpot's API rate limits: 100 calls per rolling 10 s (with the X-HubSpot-RateLimit-* headers), search 5 per
// second, and a daily allowance (250,000), each answered with its own 429 body when spent.
import { randomUUID } from 'node:crypto';
import type { EmulatorState } from './state.js';
import type { HubspotEmulatorOptions } from './types.js';
import { HttpFailure, type CallKind } from './wire.js';

export interface RateLimits {
  /** Counts a call against its limits: its rate-limit headers, or an HttpFailure with HubSpot's 429. */
  check(kind: CallKind): Record<string, string>;
}

function rateLimited(message: string, policyName: string, headers: Record<string, string>): HttpFailure {
  return new HttpFailure(
    429,
    {
      status: 'error',
      message,
      errorType: 'RATE_LIMIT',
      correlationId: randomUUID(),
      policyName,
      requestId: randomUUID(),
    },
    headers,
  );
}

/** How many calls in `log` fall in the window ending at `t` (older ones are dropped). */
function rollingCount(log: number[], windowMs: number, t: number): number {
  while (log.length > 0 && (log[0] ?? 0) <= t - windowMs) log.shift();
  return log.length;
}

export function createRateLimits(state: EmulatorState, settings: HubspotEmulatorOptions['rateLimits']): RateLimits {
  const { now } = state;
  const limits =
    settings === false
      ? null
      : {
          search: settings?.searchPerSecond ?? 5,
          general: settings?.generalPer10s ?? 100,
          daily: settings?.daily ?? 250_000,
        };
  const searchCalls: number[] = [];
  const generalCalls: number[] = [];
  let dailyCalls = 0;

  function rateHeaders(t: number): Record<string, string> {
    if (!limits) return {};
    const used = rollingCount(generalCalls, 10_000, t);
    return {
      'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
      'X-HubSpot-RateLimit-Max': String(limits.general),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, limits.general - used)),
      'X-HubSpot-RateLimit-Daily': String(limits.daily),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, limits.daily - dailyCalls)),
    };
  }

  return {
    check(kind) {
      if (!limits) return {};
      const t = now();
      if (dailyCalls >= limits.daily)
        throw rateLimited('You have reached your daily limit.', 'DAILY', kind === 'general' ? rateHeaders(t) : {});
      if (kind === 'search') {
        if (rollingCount(searchCalls, 1_000, t) >= limits.search)
          throw rateLimited('You have reached your secondly limit.', 'SECONDLY', {});
        searchCalls.push(t);
        dailyCalls++;
        return {};
      }
      if (rollingCount(generalCalls, 10_000, t) >= limits.general)
        throw rateLimited('You have reached your ten_secondly_rolling limit.', 'TEN_SECONDLY_ROLLING', rateHeaders(t));
      generalCalls.push(t);
      dailyCalls++;
      return rateHeaders(t);
    },
  };
}
