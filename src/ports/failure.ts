// How a failed vendor call is described to the outbox: classified at the edge by each connector.
import { AppError } from '../domain/errors.js';

export type FailureKind = 'rate_limited' | 'transient' | 'auth' | 'invalid' | 'not_found';

export interface Failure {
  kind: FailureKind;
  /** The vendor asked us to wait this long (Retry-After or an equivalent). */
  retryAfterMs?: number;
  reason: string;
}

/** Thrown by connectors; carries the classification so the dispatcher knows whether to retry. */
export class ConnectorError extends AppError {
  readonly failure: Failure;
  readonly vendor: string;
  constructor(vendor: string, failure: Failure, options?: { cause?: unknown }) {
    super(`connector.${failure.kind}`, `${vendor}: ${failure.reason}`, options);
    this.name = 'ConnectorError';
    this.vendor = vendor;
    this.failure = failure;
  }
}

export function isConnectorError(err: unknown): err is ConnectorError {
  return err instanceof ConnectorError;
}
