// How a failed vendor call is described to the outbox: classified at the edge by each connector.
import { AppError } from '../domain/errors.js';

export type FailureKind = 'rate_limited' | 'transient' | 'auth' | 'invalid' | 'not_found';

export interface Failure {
  kind: FailureKind;
  /** The vendor asked us to wait this long (Retry-After or an equivalent). */
  retryAfterMs?: number;
  reason: string;
  /**
   * Which allowance a rate limit is about, when it is not a short burst window: 'daily' means the
   * vendor's day quota is used up (HubSpot's daily limit, Salesforce's rolling 24-hour allocation).
   */
  scope?: 'daily';
}

/** True for the failure that means "this vendor's daily allowance is used up". */
export function isDailyLimit(f: Failure): boolean {
  return f.kind === 'rate_limited' && f.scope === 'daily';
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

/**
 * Not a failure: the call is scheduled for later by our own pacing (a Slack DM that already had its
 * share of messages this second). The outbox puts the job back for exactly `waitMs` without counting an
 * attempt, warning or reporting a failure.
 */
export class Deferral extends Error {
  readonly vendor: string;
  readonly waitMs: number;
  constructor(vendor: string, waitMs: number, reason: string) {
    super(`${vendor}: ${reason}`);
    this.name = 'Deferral';
    this.vendor = vendor;
    this.waitMs = Math.max(0, Math.ceil(waitMs));
  }
}

export function isDeferral(err: unknown): err is Deferral {
  return err instanceof Deferral;
}
