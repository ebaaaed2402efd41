// pollSource: read new MQLs page by page; the cursor moves only after a page's leads are stored.
import type { Millis } from '../domain/model.js';
import type { LeadSource } from '../ports/lead-source.js';
import type { AppDeps } from './deps.js';
import { ingestLeads } from './ingest-leads.js';

export interface PollSummary {
  pages: number;
  leads: number;
  created: number;
  firstRun: boolean;
}

export function cursorName(source: LeadSource): string {
  return `source:${source.kind}`;
}

export async function pollSource(
  deps: AppDeps,
  source: LeadSource,
  options: { startFrom: Millis; signal?: AbortSignal },
): Promise<PollSummary> {
  const name = cursorName(source);
  const cursor = await deps.store.getCursor(name);
  const summary: PollSummary = { pages: 0, leads: 0, created: 0, firstRun: cursor === null };
  if (cursor === null) {
    deps.logger.info(
      { source: source.kind, startFrom: new Date(options.startFrom).toISOString() },
      'first run: live detection starts here; `handoff backfill` imports the MQLs that came before',
    );
  }
  const pollOptions = options.signal ? { startFrom: options.startFrom, signal: options.signal } : { startFrom: options.startFrom };
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
