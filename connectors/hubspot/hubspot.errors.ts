// Turns anything a HubSpot call can throw into the outbox's Failure vocabulary. Pure: no I/O, no clock.
import type { Failure } from '../../src/ports/failure.js';
import { isConnectorError } from '../../src/ports/failure.js';
import { isTransientNetworkCode } from '../../src/runtime/errors.js';

/** A non-2xx HubSpot answer, with the raw JSON body (the SDK's own ApiException drops fields such as policyName). */
export class HubspotHttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
  constructor(status: number, body: unknown, headers: Record<string, string>, where: string) {
    super(`HubSpot answered ${status} to ${where}${describeBody(body)}`);
    this.name = 'HubspotHttpError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** The call took longer than our own deadline (the SDK has no timeout of its own). */
export class HubspotTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(op: string, ms: number) {
    super(`${op} timed out after ${ms} ms`);
    this.name = 'HubspotTimeoutError';
  }
}

/** A 2xx answer whose body is not the shape we depend on. */
export class HubspotShapeError extends Error {
  constructor(op: string, detail: string) {
    super(`unexpected response shape from ${op}: ${detail}`);
    this.name = 'HubspotShapeError';
  }
}

/** The private-app scopes each API area needs. */
export const HUBSPOT_SCOPES = {
  contactsRead: 'crm.objects.contacts.read',
  contactsWrite: 'crm.objects.contacts.write',
  ownersRead: 'crm.objects.owners.read',
  companiesRead: 'crm.objects.companies.read',
  schemasRead: 'crm.schemas.contacts.read',
  schemasWrite: 'crm.schemas.contacts.write',
} as const;

export const TEN_SECONDLY_WAIT_MS = 10_000;
export const SECONDLY_WAIT_MS = 1_000;
/** The daily limit resets at midnight in the account's time zone, which we do not know: look again in an hour. */
export const DAILY_WAIT_MS = 60 * 60_000;
export const SECONDLY_LIMIT_MESSAGE = 'You have reached your secondly limit.';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function describeBody(body: unknown): string {
  if (!isRecord(body)) return '';
  const parts = [str(body['category']) ?? str(body['policyName']), str(body['message'])].filter(Boolean);
  return parts.length > 0 ? `: ${parts.join(' ')}` : '';
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now?: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at) || now === undefined) return undefined;
  return Math.max(0, at - now);
}

function header(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** The scope names a 403 MISSING_SCOPES body asks for (HubSpot lists them under errors[].context). */
export function missingScopes(body: unknown): string[] {
  if (!isRecord(body)) return [];
  const found = new Set<string>();
  const collect = (ctx: unknown): void => {
    if (!isRecord(ctx)) return;
    for (const key of ['requiredGranularScopes', 'requiredScopes', 'requiredScope', 'scopes']) {
      const v = ctx[key];
      if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') found.add(s);
      if (typeof v === 'string') found.add(v);
    }
  };
  collect(body['context']);
  const errors = body['errors'];
  if (Array.isArray(errors)) for (const e of errors) if (isRecord(e)) collect(e['context']);
  return [...found];
}

function fromStatus(status: number, body: unknown, headers: Record<string, string>): Failure {
  const b = isRecord(body) ? body : {};
  const message = str(b['message']) ?? '';
  const category = str(b['category']);
  const retryAfter = parseRetryAfter(header(headers, 'retry-after'));
  const withWait = (ms: number | undefined, f: Omit<Failure, 'retryAfterMs'>): Failure =>
    ms === undefined ? f : { ...f, retryAfterMs: ms };

  if (status === 429) {
    const policy = str(b['policyName']);
    if (policy === 'DAILY' || /daily limit/i.test(message)) {
      return {
        kind: 'rate_limited',
        retryAfterMs: retryAfter ?? DAILY_WAIT_MS,
        scope: 'daily',
        reason: `HubSpot daily API limit reached (${message || 'DAILY'})`,
      };
    }
    if (message === SECONDLY_LIMIT_MESSAGE || policy === 'SECONDLY') {
      return {
        kind: 'rate_limited',
        retryAfterMs: retryAfter ?? SECONDLY_WAIT_MS,
        reason: 'search rate limit reached (secondly)',
      };
    }
    return {
      kind: 'rate_limited',
      retryAfterMs: retryAfter ?? TEN_SECONDLY_WAIT_MS,
      reason: `rate limit reached (${policy ?? 'TEN_SECONDLY_ROLLING'})`,
    };
  }
  if (status === 401) {
    return {
      kind: 'auth',
      reason: `token rejected (${category ?? 'INVALID_AUTHENTICATION'})${message ? `: ${message}` : ''}`,
    };
  }
  if (status === 403) {
    const scopes = missingScopes(body);
    if (category === 'MISSING_SCOPES' || scopes.length > 0) {
      return {
        kind: 'auth',
        reason: `missing scope ${scopes.length > 0 ? scopes.join(', ') : '(not named by HubSpot)'}`,
      };
    }
    return { kind: 'auth', reason: `forbidden (${category ?? '403'})${message ? `: ${message}` : ''}` };
  }
  if (status === 404) return { kind: 'not_found', reason: message || 'not found' };
  if (status === 408) return withWait(retryAfter, { kind: 'transient', reason: 'request timeout (408)' });
  if (status >= 500)
    return withWait(retryAfter, {
      kind: 'transient',
      reason: `server error ${status}${message ? `: ${message}` : ''}`,
    });
  return { kind: 'invalid', reason: `${category ?? `HTTP ${status}`}${message ? `: ${message}` : ''}` };
}

/** Classifies a failed HubSpot call. Table-tested; keep it free of side effects. */
export function classifyHubspotError(err: unknown): Failure {
  if (isConnectorError(err)) return err.failure;
  if (err instanceof HubspotHttpError) return fromStatus(err.status, err.body, err.headers);
  if (err instanceof HubspotShapeError) return { kind: 'invalid', reason: err.message };
  if (err instanceof HubspotTimeoutError) return { kind: 'transient', reason: err.message };
  if (err instanceof SyntaxError) return { kind: 'invalid', reason: `unparseable response: ${err.message}` };
  if (isRecord(err) || err instanceof Error) {
    const e = err as unknown as Record<string, unknown>;
    // The SDK's ApiException: a numeric code with body and headers.
    if (typeof e['code'] === 'number' && e['code'] >= 100) {
      const headers = isRecord(e['headers'])
        ? Object.fromEntries(Object.entries(e['headers']).map(([k, v]) => [k, String(v)]))
        : {};
      return fromStatus(e['code'], e['body'], headers);
    }
    const code = str(e['code']) ?? str(e['errno']);
    const message = err instanceof Error ? err.message : (str(e['message']) ?? 'unknown error');
    if (isTransientNetworkCode(code)) return { kind: 'transient', reason: `${code}: ${message}` };
    if (e['type'] === 'invalid-json') return { kind: 'invalid', reason: `unparseable response: ${message}` };
    if (e['type'] === 'request-timeout' || /socket hang up|network timeout/i.test(message)) {
      return { kind: 'transient', reason: message };
    }
    if (e['type'] === 'system') return { kind: 'transient', reason: message };
    if (e['name'] === 'ZodError') return { kind: 'invalid', reason: `unexpected response shape: ${message}` };
    if (e['name'] === 'AbortError') return { kind: 'transient', reason: 'aborted' };
    return { kind: 'transient', reason: `unexpected error: ${message}` };
  }
  return { kind: 'transient', reason: `unexpected error: ${String(err)}` };
}
