// Turns a failed Bot Connector (or token endpoint) call into the outbox's Failure classification (pure).
import { ConnectorError, type Failure } from '../../src/ports/failure.js';

/** What a failed HTTP answer looked like, whatever client made the call. */
export interface HttpFailure {
  status: number;
  /** The Retry-After header as sent (seconds, or an HTTP date). */
  retryAfter?: string | null;
  /** The error code in the body (`{ error: { code } }` from the connector, `{ error }` from the token endpoint). */
  code?: string | null;
}

/**
 * 403 codes that mean "this person is gone for the bot", not "our credentials are wrong": the user removed the
 * app or blocked it, or the bot was removed from the team. The message cannot be delivered, whatever we retry.
 */
const GONE_403 = new Set(['BotNotInConversationRoster', 'ConversationBlockedByUser', 'BotDisabledByAdmin']);

/** Retry-After in milliseconds (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds * 1000) : null;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

/**
 * The failure an HTTP answer means. Teams documents 429 (with Retry-After) for its rate limits and asks bots to
 * retry 412, 502 and 504 as well; 5xx and 408 are transient; 401/403 are our credentials or permissions; 404 a
 * conversation or member that does not exist; the rest of 4xx a message Teams will never take (invalid).
 */
export function classifyTeamsHttp(failure: HttpFailure): Failure {
  const { status } = failure;
  const code = failure.code ?? null;
  const what = code !== null ? `http ${status} ${code}` : `http ${status}`;
  if (status === 429) {
    const wait = retryAfterMs(failure.retryAfter) ?? 1000;
    return { kind: 'rate_limited', retryAfterMs: wait, reason: `${what}, retry after ${wait / 1000}s` };
  }
  if (status === 403 && code !== null && GONE_403.has(code)) return { kind: 'not_found', reason: what };
  if (status === 401 || status === 403) return { kind: 'auth', reason: what };
  if (status === 404) return { kind: 'not_found', reason: what };
  if (status === 408 || status === 412 || status >= 500) {
    const wait = retryAfterMs(failure.retryAfter);
    return wait !== null
      ? { kind: 'transient', retryAfterMs: wait, reason: what }
      : { kind: 'transient', reason: what };
  }
  return { kind: 'invalid', reason: what };
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The error code of a Bot Connector error body (`{ error: { code, message } }`) or an OAuth one (`{ error }`). */
export function errorCodeOf(body: unknown): string | null {
  const error = field(body, 'error');
  if (typeof error === 'string') return error;
  const code = field(error, 'code');
  return typeof code === 'string' ? code : null;
}

/**
 * Classifies anything a call threw: an HTTP error of the Agents SDK's client (status, response headers and body),
 * a timeout or network failure (transient), or an unexpected error (transient, so the outbox retries and alerts).
 */
export function classifyTeamsError(err: unknown): Failure {
  if (err instanceof ConnectorError) return err.failure;
  const status = field(err, 'status');
  const response = field(err, 'response');
  if (typeof status === 'number' && status >= 400) {
    const headers = field(response, 'headers');
    const retryAfter = headers instanceof Headers ? headers.get('retry-after') : null;
    return classifyTeamsHttp({ status, retryAfter, code: errorCodeOf(field(response, 'data')) });
  }
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'transient', reason: 'timeout' };
  const cause = field(err, 'cause');
  const message = err instanceof Error ? err.message : String(err);
  const detail = cause instanceof Error ? `${message} (${cause.message})` : message;
  return { kind: 'transient', reason: `request failed: ${detail}` };
}

/** The error every Teams connector call throws. */
export function teamsConnectorError(err: unknown, context: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const failure = classifyTeamsError(err);
  return new ConnectorError('teams', { ...failure, reason: `${context}: ${failure.reason}` }, { cause: err });
}
