// The one record of connector health in a worker: job outcomes and polls write to it, the alert loop
// and the readiness check read it. A success clears the connector; failures count up in a row.
import type { ConnectorHealth, ConnectorStatus } from '../ports/connector-health.js';
import { ConnectorError, type Failure } from '../ports/failure.js';

export interface ConnectorHealthOptions {
  now: () => number;
  /** Told of every failure as it is recorded (metrics, waking the alert loop). */
  onFailure?: (connector: string, failure: Failure) => void;
}

export interface ConnectorHealthRecord extends ConnectorHealth {
  /** The outcome of a call or job of a connector (null = it worked). */
  record(connector: string, failure: Failure | null): void;
  /** Runs a call of the connector and records its outcome; a ConnectorError counts as its failure. */
  observe<T>(connector: string, call: () => Promise<T>): Promise<T>;
}

export function createConnectorHealth(options: ConnectorHealthOptions): ConnectorHealthRecord {
  const state = new Map<string, ConnectorStatus>();
  const record = (connector: string, failure: Failure | null): void => {
    if (failure === null) {
      state.delete(connector);
      return;
    }
    const prev = state.get(connector);
    state.set(connector, {
      connector,
      kind: failure.kind,
      reason: failure.reason,
      since: prev?.since ?? options.now(),
      consecutive: (prev?.consecutive ?? 0) + 1,
    });
    options.onFailure?.(connector, failure);
  };
  return {
    record,
    async observe(connector, call) {
      try {
        const result = await call();
        record(connector, null);
        return result;
      } catch (err) {
        if (err instanceof ConnectorError) record(connector, err.failure);
        throw err;
      }
    },
    failing: () => [...state.values()],
  };
}
