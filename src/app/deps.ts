// What every use case is given. Built once by main.ts (or by a test with fakes).
import type { Handoff, Lead, Millis, RejectionReason } from '../domain/model.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Telemetry } from '../ports/telemetry.js';
import type { LedgerVersion, RotationEntry, Store } from '../ports/store.js';
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
      /** The ledger versions the plan was made on (required by the store for every team `rotation` writes). */
      expectLedger?: LedgerVersion[];
    }
  | { kind: 'unroutable'; trace: unknown; why: string };

export type Router = (handoff: Handoff, lead: Lead, now: Millis) => Promise<RoutePlan>;

/** Routing for a batch of hand-offs over one read of the store, kept current in memory as offers commit. */
export interface RoutingSession {
  plan(handoff: Handoff, lead: Lead, now: Millis): Promise<RoutePlan>;
  /** The offer of this plan was stored: count it in the book (load, ledger rows, ledger versions). */
  committed(plan: Extract<RoutePlan, { kind: 'offer' }>): void;
  /** Reads the book again: another replica wrote a ledger this session had read. */
  refresh(): Promise<void>;
}

export type BatchRouter = (items: readonly { handoff: Handoff; lead: Lead }[], now: Millis) => Promise<RoutingSession>;

export interface AppDeps {
  store: Store;
  clock: Clock;
  settings: AppSettings;
  route: Router;
  /** Batch routing for the route jobs of one dispatch; without it each hand-off goes through `route`. */
  routeBatch?: BatchRouter;
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
