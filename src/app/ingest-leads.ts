// ingestLeads: store each detected MQL once and queue its routing.
import { evaluateCondition } from '../domain/conditions.js';
import { isOpen } from '../domain/handoff-machine.js';
import type { Lead } from '../domain/model.js';
import { turnTaker } from '../domain/next-turn.js';
import type { AppDeps } from './deps.js';
import { job } from './jobs.js';

/** Where live detection of a source started (kept from the very first run on this store). */
export function liveFromName(kind: string): string {
  return `live-from:${kind}`;
}

export interface IngestSummary {
  created: number;
  duplicates: number;
  /** MQLs from before live detection started (history: never offered). */
  beforeStart: number;
  handoffIds: string[];
}

export async function ingestLeads(deps: AppDeps, leads: Lead[]): Promise<IngestSummary> {
  const { store, clock, settings, logger } = deps;
  const summary: IngestSummary = { created: 0, duplicates: 0, beforeStart: 0, handoffIds: [] };
  const liveFrom = new Map<string, number | null>();
  const takeTurn = turnTaker();
  for (const lead of leads) {
    // A page is 200 leads, one transaction each: let Slack answers and clicks in now and then.
    await takeTurn();
    const now = clock.now();
    if (!liveFrom.has(lead.source)) {
      const v = await store.getCursor(liveFromName(lead.source));
      liveFrom.set(lead.source, v === null ? null : Number(v));
    }
    const startedAt = liveFrom.get(lead.source);
    if (startedAt !== null && startedAt !== undefined && lead.mqlAt < startedAt) {
      summary.beforeStart += 1;
      continue;
    }
    // One open hand-off per record: a lead already being handed off is not a new MQL episode, even when
    // its MQL time reads differently (a source without a stable MQL date field).
    const [latest] = await store.findHandoffsByRecord(lead.source, lead.externalId);
    if (
      latest &&
      latest.mqlAt !== lead.mqlAt &&
      (isOpen(latest.state) || (latest.decidedAt !== null && latest.decidedAt >= lead.mqlAt))
    ) {
      summary.duplicates += 1;
      continue;
    }
    const hot = settings.hot ? evaluateCondition(settings.hot.when, { lead }) : false;
    const key = `${lead.source}:${lead.externalId}:${lead.mqlAt}`;
    const result = await store.ingest(
      {
        lead,
        hot,
        imported: false,
        events: [{ type: 'detected', actor: null, data: { hot, mqlAt: lead.mqlAt } }],
        jobs: [job('handoff.route', {}, key, now)],
      },
      now,
    );
    if (result.created) {
      summary.created += 1;
      deps.telemetry?.mqlDetected({ source: lead.source, hot, latencyMs: now - lead.mqlAt });
      summary.handoffIds.push(result.handoff.id);
      logger.info(
        { handoffId: result.handoff.id, source: lead.source, externalId: lead.externalId, hot },
        'hand-off detected',
      );
    } else {
      summary.duplicates += 1;
    }
  }
  return summary;
}
