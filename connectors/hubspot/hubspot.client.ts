// The one place that talks to @hubspot/api-client: our limiter, deadline, short retries and error classification
// wrap every call. The SDK's own retry and Bottleneck limiter stay off (its decorators are a process-wide singleton).
import { Client } from '@hubspot/api-client';
import { ConnectorError, isDailyLimit } from '../../src/ports/failure.js';
import type { Failure } from '../../src/ports/failure.js';
import { HubspotHttpError, HubspotTimeoutError, classifyHubspotError } from './hubspot.errors.js';
import type { Logger } from '../../src/ports/logger.js';

/** The ports' pino-style logger. */
export type HubspotLogger = Logger;

export interface HubspotRetryOptions {
  /** Total attempts per call, the first included (default 3). */
  attempts?: number;
  /** First backoff for transient failures (default 500 ms), doubled each attempt, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Wait out a 429 inside the call only when HubSpot asks for at most this long (default 11 s). */
  maxRateLimitWaitMs?: number;
}

export interface HubspotClientOptions {
  token: string;
  /** Default https://api.hubapi.com; the emulator's URL in tests and the demo. */
  baseUrl?: string;
  /** General calls per rolling 10 s (the private-app tier: 100, 190 or 250). Default 100. */
  rateLimitPer10s?: number;
  /** CRM search calls per second (HubSpot: 5 per account). Default 5. */
  searchPerSecond?: number;
  /** Deadline per HTTP call. Default 20 s. */
  timeoutMs?: number;
  retry?: HubspotRetryOptions;
}

export interface HubspotClientDeps {
  logger: HubspotLogger;
  /** Abortable sleep; tests may pass a fast one. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

export type CallKind = 'search' | 'general';

export interface HubspotApi {
  readonly client: Client;
  /** Runs one SDK call under the limiter of its kind, with our deadline, retries and classification. */
  call<T>(
    kind: CallKind,
    op: string,
    fn: (client: Client) => Promise<T>,
    options?: { signal?: AbortSignal },
  ): Promise<T>;
  /** Set while HubSpot's daily limit is exhausted: calls fail fast until then. */
  pausedUntil(): number | null;
  readonly logger: HubspotLogger;
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A rolling-window limiter: at most `max` requests in any `windowMs`. HubSpot counts requests in a rolling window,
 * so a plain token bucket (a full burst plus refill inside one window) would overshoot it. A request occupies its
 * slot from the grant until `windowMs` after it completed: the SDK may spend a while between our grant and the
 * moment the request leaves (lazy module loading), and HubSpot counts it when it arrives.
 */
export interface RateLimiter {
  /** Waits for a slot; call the returned function when the request has completed. */
  acquire(signal?: AbortSignal): Promise<() => void>;
}

export function createRateLimiter(
  options: { max: number; windowMs: number },
  deps: { now: () => number; sleep: (ms: number, signal?: AbortSignal) => Promise<void> },
): RateLimiter {
  // Completion times of finished requests; Infinity while a request is in flight.
  const slots: Array<{ until: number }> = [];
  let chain: Promise<unknown> = Promise.resolve();
  async function take(signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      const now = deps.now();
      for (let i = slots.length - 1; i >= 0; i--)
        if ((slots[i]?.until ?? 0) <= now - options.windowMs) slots.splice(i, 1);
      if (slots.length < options.max) {
        const slot = { until: Number.POSITIVE_INFINITY };
        slots.push(slot);
        return () => {
          slot.until = deps.now();
        };
      }
      const earliest = Math.min(...slots.map((s) => s.until));
      const wait = Number.isFinite(earliest) ? Math.max(1, earliest + options.windowMs - now) : 5;
      await deps.sleep(wait, signal);
    }
  }
  return {
    acquire(signal) {
      // Grants are handed out in arrival order.
      const next = chain.then(() => take(signal));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}

interface SdkResponseContext {
  httpStatusCode: number;
  headers: Record<string, string>;
  body: { text(): Promise<string> };
}

function isResponseContext(v: unknown): v is SdkResponseContext {
  return typeof v === 'object' && v !== null && typeof (v as { httpStatusCode?: unknown }).httpStatusCode === 'number';
}

/** Reads error bodies raw: the SDK deserializes them into a model that drops policyName and errorType. */
const rawErrorMiddleware = {
  pre: (ctx: unknown): unknown => ctx,
  post: async (ctx: unknown): Promise<unknown> => {
    if (!isResponseContext(ctx) || ctx.httpStatusCode < 400) return ctx;
    const text = await ctx.body.text().catch(() => '');
    let body: unknown = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      body = text.slice(0, 500);
    }
    throw new HubspotHttpError(ctx.httpStatusCode, body, ctx.headers, 'request');
  },
};

export function createHubspotApi(options: HubspotClientOptions, deps: HubspotClientDeps): HubspotApi {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const random = deps.random ?? Math.random;
  const logger = deps.logger;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const attempts = Math.max(1, options.retry?.attempts ?? 3);
  const baseDelay = options.retry?.baseDelayMs ?? 500;
  const maxDelay = options.retry?.maxDelayMs ?? 10_000;
  const maxRateLimitWait = options.retry?.maxRateLimitWaitMs ?? 11_000;

  const client = new Client({
    accessToken: options.token,
    basePath: (options.baseUrl ?? 'https://api.hubapi.com').replace(/\/+$/, ''),
    numberOfApiCallRetries: 0,
    middleware: [rawErrorMiddleware],
  });
  const limiters: Record<CallKind, RateLimiter> = {
    search: createRateLimiter({ max: options.searchPerSecond ?? 5, windowMs: 1_000 }, { now, sleep }),
    general: createRateLimiter({ max: options.rateLimitPer10s ?? 100, windowMs: 10_000 }, { now, sleep }),
  };
  let dailyPauseUntil: number | null = null;

  function withDeadline<T>(op: string, p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HubspotTimeoutError(op, timeoutMs)), timeoutMs);
    });
    return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
  }

  function backoff(attempt: number): number {
    const exp = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
    return Math.round(exp / 2 + random() * (exp / 2));
  }

  async function call<T>(
    kind: CallKind,
    op: string,
    fn: (c: Client) => Promise<T>,
    callOptions?: { signal?: AbortSignal },
  ): Promise<T> {
    const signal = callOptions?.signal;
    for (let attempt = 1; ; attempt++) {
      if (dailyPauseUntil !== null) {
        if (now() < dailyPauseUntil) {
          throw new ConnectorError('hubspot', {
            kind: 'rate_limited',
            retryAfterMs: dailyPauseUntil - now(),
            scope: 'daily',
            reason: 'HubSpot daily API limit reached earlier; paused',
          });
        }
        dailyPauseUntil = null;
      }
      const release = await limiters[kind].acquire(signal);
      let failure: Failure;
      let cause: unknown;
      try {
        return await withDeadline(op, fn(client));
      } catch (err) {
        cause = err instanceof HubspotHttpError ? new HubspotHttpError(err.status, err.body, err.headers, op) : err;
        failure = classifyHubspotError(cause);
      } finally {
        release();
      }
      if (isDailyLimit(failure)) {
        dailyPauseUntil = now() + (failure.retryAfterMs ?? 0);
        logger.error(
          { op, reason: failure.reason, pausedMs: failure.retryAfterMs },
          'hubspot daily limit reached; pausing calls',
        );
      } else if (failure.kind === 'auth') {
        logger.error({ op, reason: failure.reason }, `hubspot ${failure.reason}`);
      }
      const retryable =
        failure.kind === 'transient' ||
        (failure.kind === 'rate_limited' && !isDailyLimit(failure) && (failure.retryAfterMs ?? 0) <= maxRateLimitWait);
      if (!retryable || attempt >= attempts || signal?.aborted) {
        throw new ConnectorError('hubspot', failure, { cause });
      }
      const wait =
        failure.kind === 'rate_limited'
          ? (failure.retryAfterMs ?? 1_000)
          : Math.max(backoff(attempt), failure.retryAfterMs ?? 0);
      logger.warn(
        { op, attempt, waitMs: wait, kind: failure.kind, reason: failure.reason },
        'hubspot call failed; retrying',
      );
      await sleep(wait, signal);
    }
  }

  return { client, call, pausedUntil: () => dailyPauseUntil, logger };
}
