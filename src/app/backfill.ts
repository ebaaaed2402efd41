// backfill: import past MQLs as history — counted in the numbers, never offered, reminded, escalated or written
// back. Each episode is stored under the live unique key (source + external id + MQL time), so a second run, or a
// period that overlaps live hand-offs, creates nothing twice and never touches a live hand-off. The read position is
// kept in a cursor row after every stored page, so an interrupted backfill resumes where it stopped.
import { evaluateCondition } from '../domain/conditions.js';
import { INITIAL_STATE } from '../domain/handoff-machine.js';
import {
  decisionTime,
  inferOutcome,
  type HistoryOutcomeState,
  type HistoryRules,
  type InferredOutcome,
} from '../domain/history.js';
import type { Handoff, Lead, Millis, SourceKind } from '../domain/model.js';
import type { Clock } from '../ports/clock.js';
import type { HistoryEpisode, HistoryRange, HistorySource } from '../ports/history-source.js';
import type { Logger } from '../ports/logger.js';
import type { NewEvent, Store } from '../ports/store.js';
import type { AppSettings } from './settings.js';

export interface BackfillDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  settings: Pick<AppSettings, 'hot' | 'reasons' | 'reps' | 'teams'>;
}

export interface BackfillCounts {
  /** Episodes (or file rows) read. */
  read: number;
  /** Hand-offs stored (in a dry run: that would be stored). */
  created: number;
  skipped: {
    /** Already stored under the same key (an earlier backfill, or the live loop). */
    duplicate: number;
    /** The live loop already handed this record off at or after this MQL time (it wins). */
    live: number;
    /** Only a creation date to go by, and nothing says the lead was ever an MQL. */
    notMql: number;
  };
  /** Outcomes of the created hand-offs. */
  outcomes: Record<HistoryOutcomeState, number>;
  rejectedByReason: Record<string, number>;
}

export interface BackfillProgress extends BackfillCounts {
  estimatedTotal: number | null;
  elapsedMs: Millis;
  /** Remaining time at the current pace; null until it can be told. */
  etaMs: Millis | null;
}

export interface BackfillSummary extends BackfillCounts {
  source: SourceKind | 'file';
  /** The MQL times read in this run, [from, to). */
  from: Millis;
  to: Millis;
  dryRun: boolean;
  /** Went on from a cursor an earlier run left. */
  resumed: boolean;
  /** Reached the end of the period (false when stopped early: run again to resume). */
  complete: boolean;
  pages: number;
  /** Vendor API calls this run made. */
  calls: number;
  elapsedMs: Millis;
}

export interface BackfillOptions {
  range: HistoryRange;
  rules: HistoryRules;
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: BackfillProgress) => void;
}

/** What the backfill cursor row holds: the period end and the source's position in it. */
interface SavedPosition {
  to: Millis;
  position: string | null;
  done: boolean;
}

/** One cursor per source and period start: `--since 90d` run twice the same day finds the same row. */
export function backfillCursorName(source: SourceKind, from: Millis): string {
  return `backfill:${source}:${new Date(from).toISOString()}`;
}

function parseSaved(text: string | null): SavedPosition | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as Partial<SavedPosition>;
    if (
      typeof v.to === 'number' &&
      typeof v.done === 'boolean' &&
      (typeof v.position === 'string' || v.position === null)
    ) {
      return { to: v.to, position: v.position, done: v.done };
    }
  } catch {
    // an unreadable row is ignored: the run starts over, and the unique key makes that safe
  }
  return null;
}

function emptyCounts(): BackfillCounts {
  return {
    read: 0,
    created: 0,
    skipped: { duplicate: 0, live: 0, notMql: 0 },
    outcomes: { accepted: 0, rejected: 0, open: 0 },
    rejectedByReason: {},
  };
}

/** One episode or file row on its way into the store. */
export interface HistoryRecord {
  lead: Lead;
  outcome: InferredOutcome;
  /** When the outcome was reached, if known. */
  outcomeAt: Millis | null;
  /** The rep who decided (file imports); null when unknown. */
  repId: string | null;
  /** Where it came from, for the audit event. */
  origin: Record<string, unknown>;
}

type StoreVerdict = 'created' | 'duplicate' | 'live';

/**
 * Stores one history record unless its key exists, or the live loop already handed the record off at or after
 * this MQL time (a source without a stable MQL date reads the same episode at a different time; live wins).
 */
async function storeRecord(
  deps: BackfillDeps,
  rec: HistoryRecord,
  dryRun: { seen: Set<string> } | null,
): Promise<StoreVerdict> {
  const { store, clock, settings } = deps;
  const lead = rec.lead;
  const existing = await store.findHandoffsByRecord(lead.source, lead.externalId);
  if (existing.some((h) => h.mqlAt === lead.mqlAt)) return 'duplicate';
  if (existing.some((h) => !h.imported && h.mqlAt >= lead.mqlAt)) return 'live';
  if (dryRun) {
    // Nothing is written: remember the keys this run would have stored, so repeats count as duplicates.
    const key = `${lead.source}:${lead.externalId}:${lead.mqlAt}`;
    if (dryRun.seen.has(key)) return 'duplicate';
    dryRun.seen.add(key);
    return 'created';
  }
  const now = clock.now();
  const hot = settings.hot ? evaluateCondition(settings.hot.when, { lead }) : false;
  const decided = rec.outcome.state !== 'open';
  const events: NewEvent[] = [
    {
      type: 'imported',
      actor: null,
      data: {
        ...rec.origin,
        mqlAt: lead.mqlAt,
        outcome: rec.outcome.state,
        ...(rec.outcome.state === 'rejected' ? { reasonId: rec.outcome.reasonId } : {}),
      },
    },
  ];
  const result = await store.ingest(
    {
      lead,
      hot,
      imported: true,
      // Open history waits in the initial state without a routing job: counted as pending, never offered.
      state: rec.outcome.state === 'open' ? INITIAL_STATE : rec.outcome.state,
      decidedAt: decided ? decisionTime(lead.mqlAt, rec.outcomeAt, lead.modifiedAt) : null,
      reasonId: rec.outcome.state === 'rejected' ? rec.outcome.reasonId : null,
      decidedBy: decided ? rec.repId : null,
      events,
    },
    now,
  );
  if (!result.created) return 'duplicate';
  if (rec.repId !== null) await attachRep(deps, result.handoff, rec.repId, now);
  return 'created';
}

/** Records the rep (and their team) of an imported hand-off, so per-rep and per-team numbers include it. */
async function attachRep(deps: BackfillDeps, handoff: Handoff, repId: string, now: Millis): Promise<void> {
  const team = deps.settings.teams.find((t) => t.members.includes(repId));
  await deps.store.applyChange(
    {
      handoffId: handoff.id,
      action: null,
      expectVersion: handoff.version,
      set: { repId, teamId: team?.id ?? null },
      events: [{ type: 'imported_rep', actor: null, data: { repId, teamId: team?.id ?? null } }],
    },
    now,
  );
}

function tally(counts: BackfillCounts, rec: HistoryRecord, verdict: StoreVerdict): void {
  if (verdict === 'duplicate') counts.skipped.duplicate += 1;
  else if (verdict === 'live') counts.skipped.live += 1;
  else {
    counts.created += 1;
    counts.outcomes[rec.outcome.state] += 1;
    if (rec.outcome.state === 'rejected')
      counts.rejectedByReason[rec.outcome.reasonId] = (counts.rejectedByReason[rec.outcome.reasonId] ?? 0) + 1;
  }
}

function progressOf(counts: BackfillCounts, estimatedTotal: number | null, elapsedMs: Millis): BackfillProgress {
  let etaMs: Millis | null = null;
  if (estimatedTotal !== null && counts.read > 0 && elapsedMs > 0) {
    etaMs = Math.max(0, Math.round(((estimatedTotal - counts.read) * elapsedMs) / counts.read));
  }
  return { ...structuredClone(counts), estimatedTotal, elapsedMs, etaMs };
}

/** An episode from the CRM as a history record (null: nothing says it was ever an MQL). */
export function episodeRecord(
  ep: HistoryEpisode,
  rules: HistoryRules,
  settings: BackfillDeps['settings'],
): HistoryRecord | null {
  const outcome = inferOutcome(ep.lead, rules, settings.reasons);
  if (ep.evidence === 'created-date' && !ep.stillMql && outcome.state === 'open') return null;
  return {
    lead: ep.lead,
    outcome,
    outcomeAt: ep.outcomeAt,
    repId: null,
    origin: { from: ep.lead.source, evidence: ep.evidence },
  };
}

/** Imports the MQLs of a period from the CRM; resumes from the cursor an interrupted run left. */
export async function backfillFromSource(
  deps: BackfillDeps,
  source: HistorySource,
  options: BackfillOptions,
): Promise<BackfillSummary> {
  const { store, clock, logger } = deps;
  const dryRun = options.dryRun ?? false;
  const dry = dryRun ? { seen: new Set<string>() } : null;
  const started = clock.now();
  const name = backfillCursorName(source.kind, options.range.from);
  const saved = parseSaved(await store.getCursor(name));
  let range: HistoryRange = options.range;
  let position: string | null = null;
  let resumed = false;
  if (saved && !saved.done) {
    range = { from: options.range.from, to: Math.max(options.range.to, saved.to) };
    position = saved.position;
    resumed = true;
  } else if (saved?.done) {
    range = { from: Math.min(saved.to, options.range.to), to: options.range.to };
    resumed = true;
  }
  const counts = emptyCounts();
  const summary = (complete: boolean, pages: number, calls: number): BackfillSummary => ({
    ...counts,
    source: source.kind,
    from: range.from,
    to: range.to,
    dryRun,
    resumed,
    complete,
    pages,
    calls,
    elapsedMs: clock.now() - started,
  });
  const log = logger.child({ component: 'backfill', source: source.kind });
  if (range.from >= range.to) {
    log.info(
      { from: new Date(options.range.from).toISOString(), to: new Date(saved?.to ?? range.to).toISOString() },
      'period already imported',
    );
    return summary(true, 0, 0);
  }
  log.info(
    { from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), resumed, dryRun },
    resumed ? 'backfill resumes' : 'backfill starts',
  );
  let pages = 0;
  let calls = 0;
  let estimatedTotal: number | null = null;
  const readOptions = options.signal ? { signal: options.signal } : {};
  for await (const page of source.read(range, position, readOptions)) {
    pages += 1;
    calls = page.calls;
    if (estimatedTotal === null && page.estimatedTotal !== null) estimatedTotal = page.estimatedTotal;
    for (const ep of page.episodes) {
      counts.read += 1;
      const rec = episodeRecord(ep, options.rules, deps.settings);
      if (rec === null) {
        counts.skipped.notMql += 1;
        continue;
      }
      tally(counts, rec, await storeRecord(deps, rec, dry));
    }
    if (!dryRun)
      await store.setCursor(
        name,
        JSON.stringify({ to: range.to, position: page.cursor, done: false } satisfies SavedPosition),
        clock.now(),
      );
    options.onProgress?.(progressOf(counts, estimatedTotal, clock.now() - started));
    if (options.signal?.aborted) {
      log.warn({ read: counts.read, created: counts.created }, 'backfill stopped; run it again to resume');
      return summary(false, pages, calls);
    }
  }
  if (!dryRun)
    await store.setCursor(
      name,
      JSON.stringify({ to: range.to, position: null, done: true } satisfies SavedPosition),
      clock.now(),
    );
  const result = summary(true, pages, calls);
  log.info(
    {
      read: result.read,
      created: result.created,
      skipped: result.skipped,
      outcomes: result.outcomes,
      calls,
      elapsedMs: result.elapsedMs,
    },
    'backfill done',
  );
  return result;
}

/** Imports rows from a file (another router, a spreadsheet): same keys, same safety, no cursor. */
export async function importHistoryRecords(
  deps: BackfillDeps,
  records: HistoryRecord[],
  options: { dryRun?: boolean; onProgress?: (progress: BackfillProgress) => void } = {},
): Promise<BackfillSummary> {
  const started = deps.clock.now();
  const dry = options.dryRun ? { seen: new Set<string>() } : null;
  const counts = emptyCounts();
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const rec of records) {
    counts.read += 1;
    from = Math.min(from, rec.lead.mqlAt);
    to = Math.max(to, rec.lead.mqlAt + 1);
    tally(counts, rec, await storeRecord(deps, rec, dry));
    if (counts.read % 200 === 0) options.onProgress?.(progressOf(counts, records.length, deps.clock.now() - started));
  }
  options.onProgress?.(progressOf(counts, records.length, deps.clock.now() - started));
  return {
    ...counts,
    source: 'file',
    from: records.length > 0 ? from : started,
    to: records.length > 0 ? to : started,
    dryRun: options.dryRun ?? false,
    resumed: false,
    complete: true,
    pages: 1,
    calls: 0,
    elapsedMs: deps.clock.now() - started,
  };
}
