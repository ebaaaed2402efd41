// pollSource: read new MQLs page by page; the cursor moves only after a page's leads are stored.
import type { Millis } from '../domain/model.js';
import type { LeadSource } from '../ports/lead-source.js';
import type { AppDeps } from './deps.js';
import { ingestLeads, liveFromName } from './ingest-leads.js';

export interface PollSummary {
  pages: number;
  leads: number;
  created: number;
  firstRun: boolean;
}

export function cursorName(source: LeadSource): string {
  return `source:${source.kind}`;
}

/**
 * Records, once per store, the moment live detection starts (`source.startFrom` on the first run).
 * MQLs from before it are history: never offered, even when their record is edited later.
 * Returns the recorded moment.
 */
export async function ensureLiveFrom(deps: AppDeps, kind: string, startFrom: Millis): Promise<Millis> {
  const name = liveFromName(kind);
  const existing = await deps.store.getCursor(name);
  if (existing !== null && Number.isFinite(Number(existing))) return Number(existing);
  // Whole seconds, one second early: some sources keep timestamps to the second.
  const at = Math.floor(startFrom / 1000) * 1000 - 1000;
  await deps.store.setCursor(name, String(at), deps.clock.now());
  deps.logger.info(
    { source: kind, liveFrom: new Date(at).toISOString() },
    'first run: live detection starts here; MQLs from before it are never offered (`handoff backfill` imports them as history)',
  );
  return at;
}

export async function pollSource(
  deps: AppDeps,
  source: LeadSource,
  options: { startFrom: Millis; signal?: AbortSignal },
): Promise<PollSummary> {
  const name = cursorName(source);
  const cursor = await deps.store.getCursor(name);
  const summary: PollSummary = { pages: 0, leads: 0, created: 0, firstRun: cursor === null };
  const pollOptions = options.signal
    ? { startFrom: options.startFrom, signal: options.signal }
    : { startFrom: options.startFrom };
  for await (const page of source.poll(cursor, pollOptions)) {
    const result = await ingestLeads(deps, page.leads);
    await deps.store.setCursor(name, page.cursor, deps.clock.now());
    summary.pages += 1;
    summary.leads += page.leads.length;
    summary.created += result.created;
    if (options.signal?.aborted) break;
  }
  return summary;
}
