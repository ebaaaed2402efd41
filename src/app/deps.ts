// What every use case is given. Built once by main.ts (or by a test with fakes).
import type { Handoff, Lead, Millis, RejectionReason } from '../domain/model.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Telemetry } from '../ports/telemetry.js';
import type { RotationEntry, Store } from '../ports/store.js';
import type { WhyYou } from '../ports/rep-notifier.js';
import type { AppSettings } from './settings.js';

/** The routing engine's answer for one hand-off, as the use cases consume it. */
export type RoutePlan =
  | {
      kind: 'offer';
      repId: string;
      teamId: string | null;
      dueAt: Millis;
      remindAt: Millis | null;
      ownerMatch: boolean;
      why: WhyYou;
      trace: unknown;
      rotation: RotationEntry[];
    }
  | { kind: 'unroutable'; trace: unknown; why: string };

export type Router = (handoff: Handoff, lead: Lead, now: Millis) => Promise<RoutePlan>;

export interface AppDeps {
  store: Store;
  clock: Clock;
  settings: AppSettings;
  route: Router;
  logger: Logger;
  newId: () => string;
  /** Called after a change queued jobs outside the loops (a click), so the outbox runs them at once. */
  wake?: () => void;
  /** Deadline for an offer made outside routing (manager assignment). */
  deadlineFor: (repId: string, from: Millis, hot: boolean) => { dueAt: Millis; remindAt: Millis | null };
  /** Counters and histograms (Prometheus in the worker); absent in tests and tools. */
  telemetry?: Telemetry;
}

export function reasonLabel(reasons: RejectionReason[], id: string | null): string {
  if (!id) return '';
  return reasons.find((r) => r.id === id)?.label ?? id;
}
