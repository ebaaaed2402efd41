// Turns anything a Marketo call can throw into the outbox's Failure vocabulary. Pure: no I/O; the clock only
// comes in as an argument (for the time until the daily quota resets).
//
// Marketo answers most failures with HTTP 200, `success: false` and `errors: [{ code, message }]` (response
// level: the call did nothing and does not count against the quota), or, for writes, per record in
// `result[].reasons` (record level). Only the identity endpoint (401) and over-long requests (413/414) fail
// at the HTTP level in normal operation. Codes used here (Adobe's "Error Codes" page, see marketo.client.ts):
// 601/602 token invalid/expired, 603 access denied (role permission), 604/608/611/713 temporary, 606 rate
// limit (100 calls per 20 s), 607 daily quota, 615 concurrency (10 calls in flight), 609/612/701/704/1001-1003/
// 1006/1007/1011 bad request, 610 unknown resource, 1004 lead not found, 1013 object not found.
import type { Failure } from '../../src/ports/failure.js';
import { isConnectorError } from '../../src/ports/failure.js';
import { isTransientNetworkCode } from '../../src/runtime/errors.js';

/** A response-level (or record-level) Marketo error: a code such as "606" and its message. */
export class MarketoApiError extends Error {
  readonly code: string;
  readonly detail: string;
  constructor(code: string, detail: string, where: string) {
    super(`Marketo error ${code} (${detail}) in ${where}`);
    this.name = 'MarketoApiError';
    this.code = code;
    this.detail = detail;
  }
}

/** A non-2xx HTTP answer (identity 401, 413, 414, a gateway's 5xx). */
export class MarketoHttpError extends Error {
  readonly status: number;
  readonly body: string;
  readonly retryAfter: string | null;
  constructor(status: number, body: string, where: string, retryAfter: string | null = null) {
    super(`Marketo answered HTTP ${status} to ${where}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.name = 'MarketoHttpError';
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

export class MarketoTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(op: string, ms: number) {
    super(`${op} timed out after ${ms} ms`);
    this.name = 'MarketoTimeoutError';
  }
}

/** A 2xx answer that is not the shape we depend on. */
export class MarketoShapeError extends Error {
  constructor(op: string, detail: string) {
    super(`unexpected response shape from ${op}: ${detail}`);
    this.name = 'MarketoShapeError';
  }
}

/** 606: the 20-second window is full; Marketo frees it as calls age out. */
export const RATE_WINDOW_MS = 20_000;
/** 615: ten calls in flight for the subscription; one of them finishes soon. */
export const CONCURRENCY_WAIT_MS = 2_000;

/**
 * When the daily quota resets: Marketo resets it at midnight US Central time. Taken as 06:00 UTC (CST); in
 * summer (CDT) that is an hour after the real reset, which errs on the safe side.
 */
export function msUntilQuotaReset(now: number): number {
  const d = new Date(now);
  let reset = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 6, 0, 0);
  if (reset <= now) reset += 86_400_000;
  return reset - now;
}

/** The Marketo day (a key that changes at the quota reset). */
export function quotaDay(now: number): string {
  return new Date(now - 6 * 3_600_000).toISOString().slice(0, 10);
}

const TOKEN_CODES = new Set(['600', '601', '602']);
const TRANSIENT_CODES = new Set(['502', '604', '608', '611', '614', '713', '719']);
const NOT_FOUND_CODES = new Set(['702', '1004', '1013']);

/** True for the codes that a fresh access token fixes. */
export function isTokenCode(code: string): boolean {
  return TOKEN_CODES.has(code);
}

/** A Marketo error code (response or record level) as a Failure. */
export function failureOfCode(code: string, message: string, now?: number): Failure {
  const text = `${code} ${message}`;
  if (TOKEN_CODES.has(code)) return { kind: 'auth', reason: `access token rejected (${text})` };
  if (code === '603')
    return { kind: 'auth', reason: `access denied (${text}): the API user's role lacks a permission this call needs` };
  if (code === '1008') return { kind: 'auth', reason: `partition access denied (${text})` };
  if (code === '606') return { kind: 'rate_limited', retryAfterMs: RATE_WINDOW_MS, reason: `rate limit (${text})` };
  if (code === '615')
    return { kind: 'rate_limited', retryAfterMs: CONCURRENCY_WAIT_MS, reason: `concurrency limit (${text})` };
  if (code === '607') {
    return {
      kind: 'rate_limited',
      scope: 'daily',
      retryAfterMs: now === undefined ? 3_600_000 : msUntilQuotaReset(now),
      reason: `Marketo daily API quota reached (${text})`,
    };
  }
  if (TRANSIENT_CODES.has(code)) return { kind: 'transient', reason: `temporary Marketo error (${text})` };
  if (NOT_FOUND_CODES.has(code)) return { kind: 'not_found', reason: text };
  return { kind: 'invalid', reason: text };
}

/** Record-level reasons of a Sync Leads result (the first one decides). */
export function failureOfReasons(reasons: Array<{ code?: unknown; message?: unknown }> | undefined): Failure {
  const first = reasons?.[0];
  if (!first) return { kind: 'invalid', reason: 'record skipped without a reason' };
  return failureOfCode(String(first.code ?? ''), String(first.message ?? ''));
}

/** Classifies a failed Marketo call. Table-tested; keep it free of side effects. */
export function classifyMarketoError(err: unknown, now?: number): Failure {
  if (isConnectorError(err)) return err.failure;
  if (err instanceof MarketoApiError) return failureOfCode(err.code, err.detail, now);
  if (err instanceof MarketoHttpError) {
    if (err.status === 401) return { kind: 'auth', reason: 'client id or secret rejected by the identity endpoint' };
    if (err.status === 403) return { kind: 'auth', reason: `forbidden (HTTP 403)` };
    if (err.status === 404) return { kind: 'invalid', reason: `no such endpoint (HTTP 404): check marketo.baseUrl` };
    if (err.status === 429) {
      const s = err.retryAfter !== null ? Number(err.retryAfter) : NaN;
      return {
        kind: 'rate_limited',
        retryAfterMs: Number.isFinite(s) ? s * 1000 : RATE_WINDOW_MS,
        reason: 'rate limit (HTTP 429)',
      };
    }
    if (err.status === 408 || err.status >= 500) return { kind: 'transient', reason: `HTTP ${err.status}` };
    return { kind: 'invalid', reason: `HTTP ${err.status}${err.body ? `: ${err.body.slice(0, 200)}` : ''}` };
  }
  if (err instanceof MarketoTimeoutError) return { kind: 'transient', reason: err.message };
  if (err instanceof MarketoShapeError) return { kind: 'invalid', reason: err.message };
  if (err instanceof SyntaxError) return { kind: 'invalid', reason: `unparseable response: ${err.message}` };
  if (err instanceof Error || (typeof err === 'object' && err !== null)) {
    const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    const cause = e.cause as { code?: unknown } | undefined;
    const code = typeof e.code === 'string' ? e.code : typeof cause?.code === 'string' ? cause.code : undefined;
    const message = typeof e.message === 'string' ? e.message : 'unknown error';
    if (isTransientNetworkCode(code)) return { kind: 'transient', reason: `${code}: ${message}` };
    // fetch() reports a dropped connection as "TypeError: fetch failed" with the socket error as cause.
    if (e.name === 'TypeError' && /fetch failed/i.test(message)) return { kind: 'transient', reason: message };
    if (e.name === 'AbortError' || e.name === 'TimeoutError') return { kind: 'transient', reason: 'aborted' };
    return { kind: 'transient', reason: `unexpected error: ${message}` };
  }
  return { kind: 'transient', reason: `unexpected error: ${String(err)}` };
}
