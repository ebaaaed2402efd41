// Capped exponential backoff with jitter, and short in-call retries built on it. Long waits belong
// in the database (a job's run_at), not in a call: retry() hands those back to the caller.
import { ConnectorError, isDailyLimit } from '../ports/failure.js';
import { sleep as abortableSleep } from './abortable-sleep.js';
import { isTransientNetworkCode } from './errors.js';

/**
 * "equal" (the default): half the capped exponential delay plus a random half, so a retry never
 * comes sooner than half the nominal delay. "full": anywhere from 0 to the capped delay, which
 * spreads a crowd of clients best. "none": the capped delay itself (for tests and tooling).
 */
export type Jitter = 'equal' | 'full' | 'none';

/** A vendor's Retry-After is honoured up to this long unless the caller says otherwise. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 3_600_000;

export interface BackoffOptions {
  /** 1 for the wait after the first failure, 2 after the second… (values below 1 count as 1). */
  attempt: number;
  baseMs: number;
  maxMs: number;
  /** What the server asked for (Retry-After); wins when larger than the computed delay. */
  retryAfterMs?: number;
  /** Cap for retryAfterMs (it may exceed maxMs); default DEFAULT_MAX_RETRY_AFTER_MS. */
  maxRetryAfterMs?: number;
  jitter?: Jitter;
  /** A source of numbers in [0, 1); default Math.random. */
  random?: () => number;
}

/** Milliseconds to wait before the next attempt (an integer, never negative). */
export function computeBackoff(options: BackoffOptions): number {
  const attempt = Number.isFinite(options.attempt) ? Math.max(1, Math.floor(options.attempt)) : 1;
  const base = Math.max(0, options.baseMs);
  const cap = Math.max(0, options.maxMs);
  // 2 ** 1100 is Infinity, which the cap absorbs.
  const nominal = Math.min(cap, base * 2 ** (attempt - 1));
  const r = Math.min(Math.max((options.random ?? Math.random)(), 0), 1);
  let delay: number;
  switch (options.jitter ?? 'equal') {
    case 'full':
      delay = nominal * r;
      break;
    case 'none':
      delay = nominal;
      break;
    default:
      delay = nominal / 2 + (nominal / 2) * r;
  }
  if (options.retryAfterMs !== undefined && options.retryAfterMs > delay) {
    const honoured = Math.min(options.retryAfterMs, options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS);
    delay = Math.max(delay, honoured);
  }
  return Math.max(0, Math.round(delay));
}

export interface RetryDecision {
  retry: boolean;
  retryAfterMs?: number;
}

export interface RetryInfo {
  /** The attempt that just failed (1-based). */
  attempt: number;
  delayMs: number;
  err: unknown;
}

export interface RetryOptions {
  /** Total attempts, the first one included (1 = no retry). */
  attempts: number;
  baseMs: number;
  maxMs: number;
  signal?: AbortSignal;
  /** Whether a failure is worth another attempt; default: defaultShouldRetry. */
  shouldRetry?: (err: unknown, attempt: number) => RetryDecision;
  /**
   * The longest Retry-After worth waiting for inside a call (default 60 s). A longer one ends the
   * retries at once and rethrows, so the caller can reschedule durably instead of blocking.
   */
  maxRetryAfterMs?: number;
  jitter?: Jitter;
  random?: () => number;
  onRetry?: (info: RetryInfo) => void;
  /** For tests: how to wait; default the abortable sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
}

/**
 * Retries rate limits and transient failures classified by a connector (with their Retry-After)
 * and raw network errors; everything else (auth, invalid, not found, a used-up daily allowance,
 * aborts, bugs) fails at once.
 */
export function defaultShouldRetry(err: unknown): RetryDecision {
  if (err instanceof ConnectorError) {
    const { kind, retryAfterMs } = err.failure;
    if (kind !== 'rate_limited' && kind !== 'transient') return { retry: false };
    if (isDailyLimit(err.failure)) return { retry: false };
    return retryAfterMs !== undefined ? { retry: true, retryAfterMs } : { retry: true };
  }
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return { retry: isTransientNetworkCode(code) };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/**
 * Calls `fn` until it succeeds, the attempts run out, a failure is not retryable or `signal`
 * aborts. Rethrows the last failure, except that a stop during a wait (or before the first
 * attempt) throws the signal's abort reason, so a loop that is shutting down sees an abort and not
 * a vendor failure.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.attempts));
  const shouldRetry = options.shouldRetry ?? defaultShouldRetry;
  const wait = options.sleep ?? abortableSleep;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const { signal } = options;
  // A function, so the compiler does not assume the flag stays what it was at the last check.
  const aborted = (): boolean => signal?.aborted === true;
  for (let attempt = 1; ; attempt++) {
    if (signal !== undefined && aborted()) throw abortReason(signal);
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || aborted()) throw err;
      const decision = shouldRetry(err, attempt);
      if (!decision.retry) throw err;
      if (decision.retryAfterMs !== undefined && decision.retryAfterMs > maxRetryAfterMs) throw err;
      const delayMs = computeBackoff({
        attempt,
        baseMs: options.baseMs,
        maxMs: options.maxMs,
        maxRetryAfterMs,
        ...(decision.retryAfterMs !== undefined ? { retryAfterMs: decision.retryAfterMs } : {}),
        ...(options.jitter !== undefined ? { jitter: options.jitter } : {}),
        ...(options.random !== undefined ? { random: options.random } : {}),
      });
      options.onRetry?.({ attempt, delayMs, err });
      const slept = await wait(delayMs, signal);
      if (signal !== undefined && aborted()) throw abortReason(signal);
      if (!slept) throw err;
    }
  }
}
