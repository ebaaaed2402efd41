// Telemetry: what the use cases and the outbox report as it happens (counters, histograms). The
// Prometheus implementation lives in src/http/metrics.ts; tests and tools use `noTelemetry`.
import type { Millis } from '../domain/model.js';
import type { FailureKind } from './failure.js';

export interface Telemetry {
  /** A new hand-off was stored; `latencyMs` = detection time − MQL time (live leads only). */
  mqlDetected(info: { source: string; hot: boolean; latencyMs: Millis | null }): void;
  offerMade(info: { seq: number; hot: boolean }): void;
  /** A rep (or manager) decided; `afterMs` = offer → decision. */
  decided(info: { outcome: 'accepted' | 'rejected'; reasonId: string | null; afterMs: Millis }): void;
  offerTimedOut(): void;
  escalated(reason: string): void;
  /** An outbox job failed (retried or dead). */
  jobFailed(kind: string, failure: FailureKind, dead: boolean): void;
  /** A connector call failed, by connector (hubspot, slack, email…) and failure kind. */
  connectorError(connector: string, failure: FailureKind): void;
}

export const noTelemetry: Telemetry = {
  mqlDetected: () => undefined,
  offerMade: () => undefined,
  decided: () => undefined,
  offerTimedOut: () => undefined,
  escalated: () => undefined,
  jobFailed: () => undefined,
  connectorError: () => undefined,
};
