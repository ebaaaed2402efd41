// GET /metrics: counters and histograms fed through the Telemetry port, gauges read from the store at scrape time.
import { describe, expect, it } from 'vitest';
import { createPrometheusMetrics } from '../../src/http/metrics.js';
import { startHttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/ports/logger.js';
import { createMemoryStore } from '../../src/store/index.js';
import { createStoreMetricsReader } from '../../src/store/metrics-memory.js';
import { BACKLOG_NOW, seedGolden } from '../helpers/golden.js';

describe('Prometheus metrics', () => {
  it('serves counters, histograms and store gauges in the text format', async () => {
    const store = createMemoryStore();
    await seedGolden(store);
    const reader = createStoreMetricsReader(store);
    let failBacklog = false;
    const prom = createPrometheusMetrics({
      backlog: (now) => (failBacklog ? Promise.reject(new Error('store down')) : reader.backlog(now)),
      deadJobs: () => store.countJobs('dead'),
      now: () => BACKLOG_NOW,
      logger: silentLogger,
      processMetrics: false,
    });
    const t = prom.telemetry;
    t.mqlDetected({ source: 'hubspot', hot: true, latencyMs: 4_000 });
    t.mqlDetected({ source: 'hubspot', hot: false, latencyMs: 40_000 });
    t.offerMade({ seq: 1, hot: true });
    t.offerMade({ seq: 2, hot: false });
    t.decided({ outcome: 'rejected', reasonId: 'not_icp', afterMs: 300_000 });
    t.decided({ outcome: 'accepted', reasonId: null, afterMs: 45_000 });
    t.offerTimedOut();
    t.escalated('max_offers');
    t.jobFailed('crm.update', 'rate_limited', false);
    t.connectorError('crm', 'rate_limited');
    const http = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger,
      routes: { 'GET /metrics': (req, res) => prom.handler(req, res) },
      readiness: async () => [],
    });
    try {
      const res = await fetch(`${http.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const body = await res.text();
      expect(body).toContain('handoff_mqls_detected_total{source="hubspot",hot="true"} 1');
      expect(body).toContain('handoff_offers_total{kind="reoffer",hot="false"} 1');
      expect(body).toContain('handoff_decisions_total{outcome="rejected",reason="not_icp"} 1');
      expect(body).toContain('handoff_offer_timeouts_total 1');
      expect(body).toContain('handoff_escalations_total{reason="max_offers"} 1');
      expect(body).toContain('handoff_job_failures_total{kind="crm.update",failure="rate_limited",dead="false"} 1');
      expect(body).toContain('handoff_connector_errors_total{connector="crm",failure="rate_limited"} 1');
      expect(body).toContain('handoff_detection_latency_seconds_bucket{le="5"} 1');
      expect(body).toContain('handoff_detection_latency_seconds_count 2');
      expect(body).toContain('handoff_time_to_decision_seconds_bucket{le="60",outcome="accepted"} 1');
      // golden backlog at 12 Nov 12:00: offered H6, escalated H5 and H12; oldest H5 since 4 Nov 09:00
      expect(body).toContain('handoff_open_handoffs{state="offered"} 1');
      expect(body).toContain('handoff_open_handoffs{state="escalated"} 2');
      expect(body).toContain(
        `handoff_oldest_open_handoff_age_seconds ${(BACKLOG_NOW - Date.UTC(2026, 10, 4, 9)) / 1000}`,
      );
      expect(body).toContain('handoff_dead_jobs 0');
      failBacklog = true;
      const degraded = await (await fetch(`${http.url}/metrics`)).text();
      expect(degraded).toContain('handoff_metrics_store_errors_total 1');
      expect(degraded).toContain('handoff_offer_timeouts_total 1');
    } finally {
      await http.close();
    }
  });
});
