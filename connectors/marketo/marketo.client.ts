// The one place that talks to Marketo's REST API: access tokens (client credentials, renewed before they
// expire and once more on 601/602), a client-side limiter for the 20-second window and for calls in flight,
// the daily quota counted locally (synced from the usage endpoint) with a warning near it and a pause when it
// is used up, short retries (the runtime's retry) and error classification (marketo.errors.ts).
//
// Facts used (Adobe Experience League, Marketo developer docs):
// - Authentication: GET <Identity URL>/oauth/token?grant_type=client_credentials&client_id=…&client_secret=…
//   answers { access_token, token_type, expires_in (s), scope }; the same token comes back until it expires;
//   send it as "Authorization: Bearer". https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/authentication
// - Errors: HTTP 200 with success false and errors [{ code, message }] (6xx: nothing was done; these calls
//   do not count against quota or rate limit); record-level reasons in result[]; identity answers 401.
//   https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes
// - Limits: 100 calls per 20 s (606), 10 concurrent calls (615), a daily quota per subscription (607, 50,000 by
//   default) that resets at midnight US Central time. Usage: GET /rest/v1/stats/usage.json.
//   https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/marketo-integration-best-practices
// - Paging tokens: GET /rest/v1/activities/pagingtoken.json?sinceDatetime=ISO, then
//   GET /rest/v1/activities.json?activityTypeIds=…&nextPageToken=… (≤ 10 types; up to 300 activities looked at
//   per call; moreResult says whether to go on). https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/paging-tokens
//   https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/lead-database/activities
// - Leads: GET /rest/v1/leads.json?filterType=id&filterValues=…(≤ 300)&fields=…; Sync Leads POST
//   /rest/v1/leads.json { action: updateOnly, lookupField: id, input ≤ 300 } with one result per record
//   (status updated/skipped, reasons [{ code: 1004 … }]). Describe: GET /rest/v1/leads/describe.json.
//   https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/lead-database/leads
import { ConnectorError, isDailyLimit } from '../../src/ports/failure.js';
import type { Failure } from '../../src/ports/failure.js';
import type { Logger } from '../../src/ports/logger.js';
import { sleep as abortableSleep } from '../../src/runtime/abortable-sleep.js';
import { retry } from '../../src/runtime/backoff.js';
import { createRateLimiter, type RateLimiter } from '../hubspot/hubspot.client.js';
import {
  MarketoApiError,
  MarketoHttpError,
  MarketoShapeError,
  MarketoTimeoutError,
  RATE_WINDOW_MS,
  classifyMarketoError,
  isTokenCode,
  msUntilQuotaReset,
  quotaDay,
} from './marketo.errors.js';

export interface MarketoClientOptions {
  /** REST endpoint without /rest, e.g. https://123-ABC-456.mktorest.com. */
  baseUrl: string;
  /** Default baseUrl + /identity. */
  identityUrl?: string;
  clientId: string;
  clientSecret: string;
  /** Calls per rolling 20 s. Default 100 (Marketo's limit, shared with other integrations of the instance). */
  ratePer20s?: number;
  /** Calls in flight at once. Default 5 (Marketo allows 10 per instance). */
  concurrency?: number;
  /** Calls per day of the subscription. Default 50,000. */
  dailyQuota?: number;
  /** Share of the quota (0–100) above which onQuota is told once a day. Default 80. */
  warnAtPercent?: number;
  /** Deadline per HTTP call. Default 30 s. */
  timeoutMs?: number;
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number; maxRateLimitWaitMs?: number };
}

export interface MarketoQuotaNotice {
  level: 'warning' | 'exceeded';
  used: number;
  quota: number;
}

export interface MarketoClientDeps {
  logger: Logger;
  /** Near the quota (once per Marketo day) and when Marketo answers 607. */
  onQuota?: (notice: MarketoQuotaNotice) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
  now?: () => number;
  random?: () => number;
}

/** The envelope every REST answer has. */
export interface MarketoEnvelope<T> {
  requestId?: string;
  success: boolean;
  result?: T[];
  nextPageToken?: string;
  moreResult?: boolean;
  errors?: Array<{ code: string; message: string }>;
  warnings?: string[];
}

export interface MarketoStats {
  /** REST requests sent (identity excluded), whatever their answer. */
  calls: number;
  /** Identity (token) requests. */
  tokenCalls: number;
  /** Calls counted against today's quota, as far as this process knows. */
  usedToday: number;
  quota: number;
  /** Share of the quota (0–1) from which the quota warning holds. */
  warnAt: number;
}

export interface MarketoApi {
  get<T>(
    op: string,
    path: string,
    query?: Record<string, string | number | undefined>,
    options?: { signal?: AbortSignal },
  ): Promise<MarketoEnvelope<T>>;
  post<T>(op: string, path: string, body: unknown, options?: { signal?: AbortSignal }): Promise<MarketoEnvelope<T>>;
  /** Reads today's usage from Marketo (one call) so the local count includes other integrations' calls. */
  refreshUsage(options?: { signal?: AbortSignal }): Promise<void>;
  /** When the usage was last read from Marketo (ms), or null. */
  usageReadAt(): number | null;
  stats(): MarketoStats;
  /** Set while the daily quota is used up: calls fail fast until then. */
  pausedUntil(): number | null;
  readonly logger: Logger;
}

interface Semaphore {
  acquire(signal?: AbortSignal): Promise<() => void>;
}

function createSemaphore(max: number): Semaphore {
  let free = max;
  const waiting: Array<() => void> = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else free += 1;
  };
  return {
    async acquire(signal) {
      if (free > 0) {
        free -= 1;
        return release;
      }
      await new Promise<void>((resolve, reject) => {
        const grant = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const i = waiting.indexOf(grant);
          if (i >= 0) waiting.splice(i, 1);
          reject(signal?.reason ?? new DOMException('aborted', 'AbortError'));
        };
        waiting.push(grant);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      return release;
    },
  };
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

export function createMarketoApi(options: MarketoClientOptions, deps: MarketoClientDeps): MarketoApi {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? abortableSleep;
  const random = deps.random ?? Math.random;
  const logger = deps.logger;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const identityUrl = (options.identityUrl ?? `${baseUrl}/identity`).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const quota = options.dailyQuota ?? 50_000;
  const warnAt = (options.warnAtPercent ?? 80) / 100;
  const attempts = Math.max(1, options.retry?.attempts ?? 4);
  const baseDelay = options.retry?.baseDelayMs ?? 1_000;
  const maxDelay = options.retry?.maxDelayMs ?? RATE_WINDOW_MS;
  const maxRateLimitWait = options.retry?.maxRateLimitWaitMs ?? RATE_WINDOW_MS + 1_000;
  const limiter: RateLimiter = createRateLimiter(
    { max: options.ratePer20s ?? 100, windowMs: RATE_WINDOW_MS },
    { now, sleep },
  );
  const inFlight = createSemaphore(Math.max(1, Math.min(10, options.concurrency ?? 5)));

  let token: { value: string; renewAt: number } | null = null;
  let tokenRequest: Promise<string> | null = null;
  let calls = 0;
  let tokenCalls = 0;
  let day = quotaDay(now());
  let usedToday = 0;
  let warnedDay: string | null = null;
  let usageAt: number | null = null;
  let pauseUntil: number | null = null;

  function countUse(n = 1): void {
    const today = quotaDay(now());
    if (today !== day) {
      day = today;
      usedToday = 0;
    }
    usedToday += n;
    if (usedToday >= quota * warnAt && warnedDay !== day) {
      warnedDay = day;
      logger.warn({ used: usedToday, quota }, 'Marketo API usage is near the daily quota');
      deps.onQuota?.({ level: 'warning', used: usedToday, quota });
    }
  }

  async function fetchJson(op: string, url: string, init: RequestInit, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: combined });
    } catch (err) {
      if (timeout.aborted && !signal?.aborted) throw new MarketoTimeoutError(op, timeoutMs);
      throw err;
    }
    const text = await res.text();
    if (!res.ok) throw new MarketoHttpError(res.status, text, op, res.headers.get('retry-after'));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new MarketoShapeError(op, `not JSON: ${text.slice(0, 100)}`);
    }
  }

  async function requestToken(signal?: AbortSignal): Promise<string> {
    tokenCalls += 1;
    const url = `${identityUrl}/oauth/token${queryString({
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
    })}`;
    const body = (await fetchJson('identity', url, { method: 'GET' }, signal)) as {
      access_token?: unknown;
      expires_in?: unknown;
    };
    if (typeof body.access_token !== 'string' || body.access_token === '')
      throw new MarketoShapeError('identity', 'no access_token');
    const lifeMs = (typeof body.expires_in === 'number' ? body.expires_in : 0) * 1000;
    // Renew a minute before expiry; a token handed back with less than that left is used until it expires.
    const at = now();
    const renewAt = lifeMs > 60_000 ? at + lifeMs - 60_000 : at + lifeMs;
    token = { value: body.access_token, renewAt };
    logger.debug({ expiresInS: lifeMs / 1000 }, 'marketo access token obtained');
    return body.access_token;
  }

  function accessToken(force: boolean, signal?: AbortSignal): Promise<string> {
    if (!force && token && now() < token.renewAt) return Promise.resolve(token.value);
    if (force) token = null;
    tokenRequest ??= requestToken(signal).finally(() => {
      tokenRequest = null;
    });
    return tokenRequest;
  }

  function pausedFailure(left: number): ConnectorError {
    return new ConnectorError('marketo', {
      kind: 'rate_limited',
      scope: 'daily',
      retryAfterMs: left,
      reason: 'Marketo daily API quota used up; calls paused until it resets',
    });
  }

  /** One attempt: quota gate, limiter, token, the HTTP call, one token renewal on 601/602. */
  async function attempt<T>(
    op: string,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<MarketoEnvelope<T>> {
    if (pauseUntil !== null) {
      if (now() < pauseUntil) throw pausedFailure(pauseUntil - now());
      pauseUntil = null;
    }
    if (quotaDay(now()) === day && usedToday >= quota) {
      pauseUntil = now() + msUntilQuotaReset(now());
      throw pausedFailure(pauseUntil - now());
    }
    for (let renewed = false; ; renewed = true) {
      const bearer = await accessToken(renewed, signal);
      const releaseSlot = await limiter.acquire(signal);
      const releaseFlight = await inFlight.acquire(signal).catch((err: unknown) => {
        releaseSlot();
        throw err;
      });
      let envelope: MarketoEnvelope<T>;
      try {
        calls += 1;
        envelope = (await fetchJson(
          op,
          `${baseUrl}${path}`,
          {
            method,
            headers: {
              authorization: `Bearer ${bearer}`,
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          },
          signal,
        )) as MarketoEnvelope<T>;
      } finally {
        releaseFlight();
        releaseSlot();
      }
      if (typeof envelope !== 'object' || envelope === null || typeof envelope.success !== 'boolean')
        throw new MarketoShapeError(op, 'no success flag');
      if (envelope.success) {
        countUse();
        return envelope;
      }
      const first = envelope.errors?.[0];
      const code = String(first?.code ?? '');
      if (isTokenCode(code) && !renewed) {
        logger.info({ op, code }, 'marketo access token refused; getting a new one');
        continue;
      }
      throw new MarketoApiError(code || 'unknown', String(first?.message ?? 'no message'), op);
    }
  }

  function run<T>(
    op: string,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<MarketoEnvelope<T>> {
    const once = async (): Promise<MarketoEnvelope<T>> => {
      try {
        return await attempt<T>(op, method, path, body, signal);
      } catch (err) {
        if (err instanceof ConnectorError) throw err;
        const failure: Failure = classifyMarketoError(err, now());
        if (isDailyLimit(failure)) {
          pauseUntil = now() + (failure.retryAfterMs ?? 3_600_000);
          logger.error({ op, used: usedToday, quota, pausedMs: failure.retryAfterMs }, 'marketo daily quota reached');
          deps.onQuota?.({ level: 'exceeded', used: usedToday, quota });
        } else if (failure.kind === 'auth') {
          logger.error({ op, reason: failure.reason }, 'marketo refused the credentials');
        }
        throw new ConnectorError('marketo', failure, { cause: err });
      }
    };
    return retry(once, {
      attempts,
      baseMs: baseDelay,
      maxMs: maxDelay,
      maxRetryAfterMs: maxRateLimitWait,
      random,
      sleep,
      ...(signal !== undefined ? { signal } : {}),
      onRetry: ({ attempt: failed, delayMs, err }) => {
        const failure = classifyMarketoError(err);
        logger.warn(
          { op, attempt: failed, waitMs: delayMs, kind: failure.kind, reason: failure.reason },
          'marketo call failed; retrying',
        );
      },
    });
  }

  const api: MarketoApi = {
    get: (op, path, query = {}, opts = {}) => run(op, 'GET', `${path}${queryString(query)}`, undefined, opts.signal),
    post: (op, path, body, opts = {}) => run(op, 'POST', path, body, opts.signal),
    async refreshUsage(opts = {}) {
      const env = await api.get<{ date?: string; total?: number }>('usage', '/rest/v1/stats/usage.json', {}, opts);
      const total = env.result?.[0]?.total;
      usageAt = now();
      if (typeof total === 'number' && Number.isFinite(total)) {
        // The usage call itself was counted by countUse(); Marketo's total may or may not include it yet.
        day = quotaDay(now());
        usedToday = Math.max(0, total - 1);
        countUse();
      }
    },
    usageReadAt: () => usageAt,
    stats: () => ({ calls, tokenCalls, usedToday, quota, warnAt }),
    pausedUntil: () => (pauseUntil !== null && pauseUntil > now() ? pauseUntil : null),
    logger,
  };
  return api;
}

/** Marketo's activityDate (ISO, to the second) as ms; NaN when unreadable. */
export function parseMarketoTime(v: unknown): number {
  return typeof v === 'string' ? Date.parse(v) : Number.NaN;
}

/** An ISO date-time for sinceDatetime (UTC, to the second). */
export function marketoDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
