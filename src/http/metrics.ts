// Prometheus: a prom-client registry with the worker's counters and histograms (fed through the
// Telemetry port as things happen) and gauges read from the store at scrape time, plus the
// GET /metrics handler that serves them.
import type http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Millis } from '../domain/model.js';
import type { Logger } from '../ports/logger.js';
import type { BacklogSnapshot } from '../ports/metrics.js';
import type { Telemetry } from '../ports/telemetry.js';
import { sendText } from './server.js';

export interface PrometheusMetrics {
  readonly registry: Registry;
  readonly telemetry: Telemetry;
  /** The GET /metrics route: refreshes the store gauges, then renders the registry. */
  handler(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
}

export interface PrometheusOptions {
  /** Open hand-offs now (MetricsReader.backlog). */
  backlog: (now: Millis) => Promise<BacklogSnapshot>;
  /** Dead-lettered outbox jobs. */
  deadJobs: () => Promise<number>;
  now: () => Millis;
  logger: Logger;
  /** Also export the Node.js process metrics (default true). */
  processMetrics?: boolean;
}

const seconds = (ms: Millis): number => Math.max(0, ms) / 1000;

export function createPrometheusMetrics(options: PrometheusOptions): PrometheusMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'handoff_process_' });
  const registers = [registry];

  const mqls = new Counter({
    name: 'handoff_mqls_detected_total',
    help: 'MQLs detected (new hand-offs)',
    labelNames: ['source', 'hot'],
    registers,
  });
  const offers = new Counter({
    name: 'handoff_offers_total',
    help: 'Offers made to reps (first offers and re-offers)',
    labelNames: ['kind', 'hot'],
    registers,
  });
  const decisions = new Counter({
    name: 'handoff_decisions_total',
    help: 'Decisions on offers, by outcome and rejection reason',
    labelNames: ['outcome', 'reason'],
    registers,
  });
  const timeouts = new Counter({
    name: 'handoff_offer_timeouts_total',
    help: 'Offers whose deadline passed without a decision',
    registers,
  });
  const escalations = new Counter({
    name: 'handoff_escalations_total',
    help: 'Hand-offs escalated to managers, by reason',
    labelNames: ['reason'],
    registers,
  });
  const jobFailures = new Counter({
    name: 'handoff_job_failures_total',
    help: 'Outbox job failures, by job kind and failure kind',
    labelNames: ['kind', 'failure', 'dead'],
    registers,
  });
  const connectorErrors = new Counter({
    name: 'handoff_connector_errors_total',
    help: 'Failed connector calls, by connector and failure kind',
    labelNames: ['connector', 'failure'],
    registers,
  });
  const detection = new Histogram({
    name: 'handoff_detection_latency_seconds',
    help: 'From the MQL time in the CRM to the hand-off being stored',
    buckets: [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600],
    registers,
  });
  const toDecision = new Histogram({
    name: 'handoff_time_to_decision_seconds',
    help: 'From the offer to the rep decision',
    labelNames: ['outcome'],
    buckets: [30, 60, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400],
    registers,
  });
  const open = new Gauge({
    name: 'handoff_open_handoffs',
    help: 'Open hand-offs now, by state',
    labelNames: ['state'],
    registers,
  });
  const openByAge = new Gauge({
    name: 'handoff_open_handoffs_by_age',
    help: 'Open hand-offs now, by time since the MQL',
    labelNames: ['age'],
    registers,
  });
  const oldest = new Gauge({
    name: 'handoff_oldest_open_handoff_age_seconds',
    help: 'Age of the oldest open hand-off (0 when none)',
    registers,
  });
  const dead = new Gauge({
    name: 'handoff_dead_jobs',
    help: 'Outbox jobs dead-lettered after their last attempt',
    registers,
  });
  const scrapeErrors = new Counter({
    name: 'handoff_metrics_store_errors_total',
    help: 'Scrapes whose store gauges could not be read',
    registers,
  });

  const telemetry: Telemetry = {
    mqlDetected: ({ source, hot, latencyMs }) => {
      mqls.inc({ source, hot: String(hot) });
      if (latencyMs !== null) detection.observe(seconds(latencyMs));
    },
    offerMade: ({ seq, hot }) => offers.inc({ kind: seq > 1 ? 'reoffer' : 'first', hot: String(hot) }),
    decided: ({ outcome, reasonId, afterMs }) => {
      decisions.inc({ outcome, reason: reasonId ?? '' });
      toDecision.observe({ outcome }, seconds(afterMs));
    },
    offerTimedOut: () => timeouts.inc(),
    escalated: (reason) => escalations.inc({ reason }),
    jobFailed: (kind, failure, isDead) => jobFailures.inc({ kind, failure, dead: String(isDead) }),
    connectorError: (connector, failure) => connectorErrors.inc({ connector, failure }),
  };

  async function refresh(): Promise<void> {
    const now = options.now();
    const [b, d] = await Promise.all([options.backlog(now), options.deadJobs()]);
    for (const [state, n] of Object.entries(b.byState)) open.set({ state }, n);
    openByAge.set({ age: 'under_1h' }, b.byAge.under1h);
    openByAge.set({ age: '1h_4h' }, b.byAge.under4h);
    openByAge.set({ age: '4h_24h' }, b.byAge.under24h);
    openByAge.set({ age: 'over_24h' }, b.byAge.older);
    oldest.set(b.oldestMqlAt === null ? 0 : seconds(now - b.oldestMqlAt));
    dead.set(d);
  }

  return {
    registry,
    telemetry,
    async handler(_req, res) {
      try {
        await refresh();
      } catch (err) {
        scrapeErrors.inc();
        options.logger.warn({ err }, 'metrics: store gauges unavailable');
      }
      sendText(res, 200, await registry.metrics(), registry.contentType);
    },
  };
}
