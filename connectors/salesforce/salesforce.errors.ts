// Turns anything a Salesforce call can throw (jsforce HttpApiError, OAuth errors, node-fetch errors, per-record
// SaveResult errors) into the outbox's Failure vocabulary. Pure: no I/O, no clock.
import type { Failure } from '../../src/ports/failure.js';
import { isConnectorError } from '../../src/ports/failure.js';
import { isTransientNetworkCode } from '../../src/runtime/errors.js';

/** The daily allocation is a rolling 24 h window: look again in an hour. */
export const DAILY_WAIT_MS = 60 * 60_000;
/** REQUEST_LIMIT_EXCEEDED for concurrent long-running requests clears as soon as others finish. */
export const CONCURRENCY_WAIT_MS = 30_000;

/** One error of a SaveResult or of a REST error array. */
export interface SalesforceApiErrorItem {
  statusCode?: string;
  errorCode?: string;
  message?: string;
  fields?: string[];
}

const TRANSIENT_API = new Set([
  'SERVER_UNAVAILABLE',
  'UNKNOWN_EXCEPTION',
  'UNABLE_TO_LOCK_ROW',
  'QUERY_TIMEOUT',
  'REQUEST_RUNNING_TOO_LONG',
  'TXN_SECURITY_NO_ACCESS_TEMPORARILY',
]);

const AUTH_API = new Set([
  'INVALID_SESSION_ID',
  'INSUFFICIENT_ACCESS_OR_READONLY',
  'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY',
  'INSUFFICIENT_ACCESS',
  'API_DISABLED_FOR_ORG',
  'API_CURRENTLY_DISABLED',
  'INVALID_AUTH_HEADER',
  'INVALID_OPERATION_WITH_EXPIRED_PASSWORD',
  'ORG_LOCKED',
  // OAuth token endpoint errors (jsforce puts `error` into the Error's name).
  'invalid_grant',
  'invalid_client',
  'invalid_client_id',
  'invalid_client_credentials',
  'unauthorized_client',
  'unsupported_grant_type',
  'inactive_user',
  'inactive_org',
  'invalid_app_access',
]);

const NOT_FOUND_API = new Set(['NOT_FOUND', 'ENTITY_IS_DELETED', 'INVALID_ID_FIELD']);

const INVALID_API = new Set([
  'INVALID_FIELD',
  'MALFORMED_QUERY',
  'INVALID_TYPE',
  'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
  'INVALID_TYPE_ON_FIELD_IN_RECORD',
  'INVALID_FIELD_FOR_INSERT_UPDATE',
  'STRING_TOO_LONG',
  'REQUIRED_FIELD_MISSING',
  'FIELD_CUSTOM_VALIDATION_EXCEPTION',
  'FIELD_INTEGRITY_EXCEPTION',
  'MALFORMED_ID',
  'JSON_PARSER_ERROR',
  'EXCEEDED_ID_LIMIT',
  'INACTIVE_OWNER_OR_USER',
  'DUPLICATE_VALUE',
  'INVALID_QUERY_LOCATOR',
  'INVALID_QUERY_FILTER_OPERATOR',
  'MISSING_ARGUMENT',
  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Classifies one Salesforce error code (REST errorCode or SaveResult statusCode). */
export function classifyErrorCode(code: string, message: string, fields: string[] = []): Failure {
  const text = message ? `${code}: ${message}` : code;
  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    if (/concurrent/i.test(message)) {
      return {
        kind: 'rate_limited',
        retryAfterMs: CONCURRENCY_WAIT_MS,
        reason: `concurrent request limit reached (${text})`,
      };
    }
    return {
      kind: 'rate_limited',
      retryAfterMs: DAILY_WAIT_MS,
      scope: 'daily',
      reason: `Salesforce daily API request limit reached (${text})`,
    };
  }
  if (code === 'INVALID_CROSS_REFERENCE_KEY') {
    // The record itself (no field named, or its Id) or the record a Task hangs on (WhoId/WhatId) is unknown,
    // versus a bad reference in a field we chose to write (OwnerId…).
    const onRecord = fields.length === 0 || fields.some((f) => ['id', 'whoid', 'whatid'].includes(f.toLowerCase()));
    return onRecord ? { kind: 'not_found', reason: `record not found (${text})` } : { kind: 'invalid', reason: text };
  }
  if (AUTH_API.has(code)) return { kind: 'auth', reason: text };
  if (NOT_FOUND_API.has(code)) return { kind: 'not_found', reason: text };
  if (TRANSIENT_API.has(code)) return { kind: 'transient', reason: text };
  if (INVALID_API.has(code)) return { kind: 'invalid', reason: text };
  const http = /^ERROR_HTTP_(\d{3})$/.exec(code);
  if (http) {
    const status = Number(http[1]);
    if (status === 401 || status === 403) return { kind: 'auth', reason: text };
    if (status === 404) return { kind: 'not_found', reason: text };
    if (status === 408 || status === 420 || status === 429 || status >= 500) return { kind: 'transient', reason: text };
    return { kind: 'invalid', reason: text };
  }
  return { kind: 'invalid', reason: text };
}

/** Classifies the errors of a failed SaveResult (first error decides; all are named in the reason). */
export function classifySaveErrors(errors: SalesforceApiErrorItem[]): Failure {
  const first = errors[0];
  if (first === undefined) return { kind: 'transient', reason: 'save failed without an error from Salesforce' };
  const code = first.statusCode ?? first.errorCode ?? 'UNKNOWN';
  const failure = classifyErrorCode(code, first.message ?? '', first.fields ?? []);
  if (errors.length === 1) return failure;
  const rest = errors
    .slice(1)
    .map((e) => e.statusCode ?? e.errorCode)
    .join(', ');
  return { ...failure, reason: `${failure.reason} (also ${rest})` };
}

/** Classifies a failed Salesforce call. Table-tested; keep it free of side effects. */
export function classifySalesforceError(err: unknown): Failure {
  if (isConnectorError(err)) return err.failure;
  if (!isRecord(err) && !(err instanceof Error))
    return { kind: 'transient', reason: `unexpected error: ${String(err)}` };
  const e = err as unknown as Record<string, unknown>;
  const message = err instanceof Error ? err.message : (str(e['message']) ?? 'unknown error');

  // jsforce wraps a failed re-authentication: the refresh flow's own cause decides.
  const refresh = /^Unable to refresh session due to: ([\s\S]*)$/.exec(message);
  if (refresh) {
    const cause = refresh[1] ?? '';
    if (/socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT|network timeout|ERROR_HTTP_5\d\d/i.test(cause)) {
      return { kind: 'transient', reason: `re-authentication failed: ${cause}` };
    }
    return { kind: 'auth', reason: `session expired and re-authentication failed: ${cause}` };
  }

  // jsforce HttpApiError: errorCode and the raw error object (or array, for MULTIPLE_API_ERRORS).
  const errorCode = str(e['errorCode']);
  if (errorCode === 'MULTIPLE_API_ERRORS' && Array.isArray(e['data'])) {
    return classifySaveErrors(e['data'] as SalesforceApiErrorItem[]);
  }
  if (errorCode !== undefined) {
    const data = isRecord(e['data']) ? e['data'] : {};
    const fields = Array.isArray(data['fields'])
      ? (data['fields'] as unknown[]).filter((f): f is string => typeof f === 'string')
      : [];
    return classifyErrorCode(errorCode, message, fields);
  }

  // node-fetch and socket errors.
  const code = str(e['code']) ?? str(e['errno']);
  if (isTransientNetworkCode(code)) return { kind: 'transient', reason: `${code}: ${message}` };
  const name = str(e['name']);
  if (name === 'AbortError' || e['type'] === 'aborted') return { kind: 'transient', reason: `aborted: ${message}` };
  if (e['type'] === 'request-timeout' || /timed? ?out|socket hang up/i.test(message))
    return { kind: 'transient', reason: message };
  if (name === 'FetchError' || e['type'] === 'system') return { kind: 'transient', reason: message };
  if (e['type'] === 'invalid-json' || err instanceof SyntaxError)
    return { kind: 'invalid', reason: `unparseable response: ${message}` };
  // OAuth token endpoint: jsforce sets the Error's name to the OAuth `error` value.
  if (name !== undefined && name !== 'Error' && (AUTH_API.has(name) || /^ERROR_HTTP_\d{3}$/.test(name))) {
    return classifyErrorCode(name, message);
  }
  return { kind: 'transient', reason: `unexpected error: ${message}` };
}
