// What is known about each connector's recent calls: the alert loop and the readiness check read it.
import type { Millis } from '../domain/model.js';
import type { FailureKind } from './failure.js';

/** A connector whose last call failed. */
export interface ConnectorStatus {
  connector: string;
  kind: FailureKind;
  reason: string;
  /** The first failure of this run of failures. */
  since: Millis;
  /** Failures in a row. */
  consecutive: number;
}

export interface ConnectorHealth {
  /** Connectors whose last call failed. */
  failing(): ConnectorStatus[];
}
