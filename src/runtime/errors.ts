// Error helpers for the edges of the runtime: whatever was thrown becomes an Error with a code.
import { AppError, InputError, type ErrorCode } from '../domain/errors.js';
import { ConnectorError, isConnectorError } from '../ports/failure.js';

export { AppError, ConnectorError, InputError, isConnectorError, type ErrorCode };

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined was thrown';
  if (value === null) return 'null was thrown';
  if (typeof value === 'object') {
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
    try {
      return `non-error thrown: ${JSON.stringify(value)}`;
    } catch {
      return 'non-error object thrown';
    }
  }
  return `non-error thrown: ${String(value)}`;
}

/**
 * Returns `err` when it is an Error, otherwise an Error describing it with the original value as
 * `cause` (and its string `code`, when it had one, kept as `code`).
 */
export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  const wrapped = new Error(describe(err), { cause: err });
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string') Object.assign(wrapped, { code });
  return wrapped;
}

/**
 * A short, stable code for logs and metrics: the AppError code (`connector.auth`), else a Node or
 * library `code` string (`ECONNREFUSED`), else "abort" for aborts, else "internal".
 */
export function errorCode(err: unknown): string {
  if (err instanceof AppError) return err.code;
  if (isAbortError(err)) return 'abort';
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  return 'internal';
}

/** Whether `err` is what an aborted signal throws (AbortError / TimeoutError). */
export function isAbortError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const name = (err as { name?: unknown }).name;
  return name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR';
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return coerceError(err).message;
}

/** Socket and DNS error codes (Node, undici) that mean "try again": the network, not the request. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

export function isTransientNetworkCode(code: unknown): boolean {
  return typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code);
}
