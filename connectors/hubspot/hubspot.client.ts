// The one place that talks to @hubspot/api-client: our limiter, deadline, short retries (the runtime's retry) and
// error classification wrap every call. The SDK's own retry and Bottleneck limiter stay off (its decorators are a
// process-wide singleton).
import { Client } from '@hubspot/api-client';
import { ConnectorError, isDailyLimit } from '../../src/ports/failure.js';
import type { Logger } from '../../src/ports/logger.js';
import { sleep as abortableSleep } from '../../src/runtime/abortable-sleep.js';
import { retry } from '../../src/runtime/backoff.js';
import { HubspotHttpError, HubspotTimeoutError, classifyHubspotError } from './hubspot.errors.js';

/** The ports' pino-style logger. */
export type HubspotLogger = Logger;

export interface HubspotRetryOptions {
  /** Total attempts per call, the first included (default 3). */
  attempts?: number;
  /** First backoff (default 500 ms), doubled each attempt, with jitter; a longer Retry-After wins. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Wait inside the call only when HubSpot asks for at most this long (default 11 s); else fail at once. */
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
  /** The runtime's abortable sleep (true when the full time passed); tests may pass a fast one. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
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

/**
 * A rolling-window limiter: at most `max` requests in any `windowMs`. HubSpot counts requests in a rolling window,
 * so a plain token bucket (a full burst plus refill inside one window) would overshoot it. A request occupies its
 * slot from the grant until `windowMs` after it completed: the SDK may spend a while between our grant and the
 * moment the request leaves (lazy module loading), and HubSpot counts it when it arrives.
 */
export interface RateLimiter {
  /** Waits for a slot (rejects with the abort reason on abort); call the returned function when the request has completed. */
  acquire(signal?: AbortSignal): Promise<() => void>;
}

export function createRateLimiter(
  options: { max: number; windowMs: number },
  deps: { now: () => number; sleep: (ms: number, signal?: AbortSignal) => Promise<boolean> },
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
      if (!(await deps.sleep(wait, signal))) signal?.throwIfAborted();
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
  const sleep = deps.sleep ?? abortableSleep;
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

  /** One attempt: fails fast during a daily pause, else runs under the limiter and the deadline, failures classified. */
  async function attempt<T>(
    kind: CallKind,
    op: string,
    fn: (c: Client) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
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
    try {
      return await withDeadline(op, fn(client));
    } catch (err) {
      const cause = err instanceof HubspotHttpError ? new HubspotHttpError(err.status, err.body, err.headers, op) : err;
      const failure = classifyHubspotError(cause);
      if (isDailyLimit(failure)) {
        dailyPauseUntil = now() + (failure.retryAfterMs ?? 0);
        logger.error(
          { op, reason: failure.reason, pausedMs: failure.retryAfterMs },
          'hubspot daily limit reached; pausing calls',
        );
      } else if (failure.kind === 'auth') {
        logger.error({ op, reason: failure.reason }, `hubspot ${failure.reason}`);
      }
      throw new ConnectorError('hubspot', failure, { cause });
    } finally {
      release();
    }
  }

  function call<T>(
    kind: CallKind,
    op: string,
    fn: (c: Client) => Promise<T>,
    callOptions?: { signal?: AbortSignal },
  ): Promise<T> {
    const signal = callOptions?.signal;
    // Transient failures and short rate limits are retried; a daily limit, a long Retry-After and everything else
    // go back to the caller at once.
    return retry(() => attempt(kind, op, fn, signal), {
      attempts,
      baseMs: baseDelay,
      maxMs: maxDelay,
      maxRetryAfterMs: maxRateLimitWait,
      random,
      sleep,
      ...(signal !== undefined ? { signal } : {}),
      onRetry: ({ attempt: failed, delayMs, err }) => {
        const failure = classifyHubspotError(err);
        logger.warn(
          { op, attempt: failed, waitMs: delayMs, kind: failure.kind, reason: failure.reason },
          'hubspot call failed; retrying',
        );
      },
    });
  }

  return { client, call, pausedUntil: () => dailyPauseUntil, logger };
}
