// Turns a failed Slack Web API call into the outbox's Failure classification (pure).
import { ConnectorError, type Failure } from '../../src/ports/failure.js';

/** Platform error codes (HTTP 200 { ok: false, error }) by what the outbox should do about them. */
const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'missing_scope',
  'no_permission',
  'not_allowed_token_type',
  'org_login_required',
  'ekm_access_denied',
  'team_access_not_granted',
]);
const NOT_FOUND_ERRORS = new Set([
  'channel_not_found',
  'user_not_found',
  'users_not_found',
  'message_not_found',
  'thread_not_found',
  'not_in_channel',
  'is_archived',
  'user_disabled',
  'cannot_dm_bot',
]);
const TRANSIENT_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * Classifies an error thrown by @slack/web-api (platform, rate-limited, HTTP or request error) or anything else.
 * Rate limits carry the wait Slack asked for; auth problems are persistent; 5xx and network trouble are transient.
 */
export function classifySlackError(err: unknown): Failure {
  const code = field(err, 'code');
  if (code === 'slack_webapi_rate_limited_error') {
    const seconds = Number(field(err, 'retryAfter'));
    const retryAfterMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000;
    return { kind: 'rate_limited', retryAfterMs, reason: `rate limited, retry after ${retryAfterMs / 1000}s` };
  }
  if (code === 'slack_webapi_platform_error') {
    const error = String(field(field(err, 'data'), 'error') ?? 'unknown_error');
    if (error === 'ratelimited' || error === 'rate_limited') {
      return { kind: 'rate_limited', retryAfterMs: 1000, reason: error };
    }
    if (AUTH_ERRORS.has(error)) return { kind: 'auth', reason: error };
    if (NOT_FOUND_ERRORS.has(error)) return { kind: 'not_found', reason: error };
    if (TRANSIENT_ERRORS.has(error)) return { kind: 'transient', reason: error };
    // invalid_blocks, msg_too_long, no_text, invalid_arguments, cant_update_message, expired_trigger_id, …
    return { kind: 'invalid', reason: error };
  }
  if (code === 'slack_webapi_http_error') {
    const status = Number(field(err, 'statusCode'));
    if (status === 429) return { kind: 'rate_limited', retryAfterMs: 1000, reason: 'http 429' };
    if (status === 401 || status === 403) return { kind: 'auth', reason: `http ${status}` };
    if (status === 404) return { kind: 'not_found', reason: 'http 404' };
    if (status >= 500 || status === 408) return { kind: 'transient', reason: `http ${status}` };
    return { kind: 'invalid', reason: `http ${status}` };
  }
  if (code === 'slack_webapi_request_error') {
    const original = field(err, 'original');
    const name = String(field(original, 'name') ?? '');
    const message = String(field(original, 'message') ?? 'request failed');
    const what = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : message;
    return { kind: 'transient', reason: `request failed: ${what}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'transient', reason: message };
}

/** The error every Slack connector method throws. */
export function slackConnectorError(err: unknown, context: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const failure = classifySlackError(err);
  return new ConnectorError('slack', { ...failure, reason: `${context}: ${failure.reason}` }, { cause: err });
}
