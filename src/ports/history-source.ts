// Where past MQLs come from for `handoff backfill`: every MQL episode whose MQL time falls in a
// period, oldest first, page by page, with a cursor to resume from after an interruption.
import type { Lead, Millis, SourceKind } from '../domain/model.js';

/** A period of MQL times: `from` inclusive, `to` exclusive. */
export interface HistoryRange {
  from: Millis;
  to: Millis;
}

/** How the source knows when the lead became MQL, strongest first. */
export type MqlEvidence = 'mql-date' | 'status-history' | 'created-date';

export interface HistoryEpisode {
  /** The record as it is now; `mqlAt` is the episode's MQL time, `props` hold what the outcome rules read. */
  lead: Lead;
  /** When the CRM says the outcome was reached (a later lifecycle stage date, a conversion date); null if unknown. */
  outcomeAt: Millis | null;
  evidence: MqlEvidence;
  /** The record meets the MQL criterion today (not moved on, not converted). */
  stillMql: boolean;
}

export interface HistoryPage {
  episodes: HistoryEpisode[];
  /** Where to resume after this page; store it only once every episode of the page is stored. */
  cursor: string;
  /** Episodes of the whole (remaining) range as the source counted them, for progress; null when unknown. */
  estimatedTotal: number | null;
  /** API calls this read has made so far (cumulative). */
  calls: number;
}

export interface HistorySource {
  readonly kind: SourceKind;
  /**
   * MQL episodes with MQL time in [range.from, range.to), oldest first. `cursor` null starts at the beginning;
   * a cursor from an earlier page resumes there (episodes at the cursor's own time may come again: dedupe).
   */
  read(range: HistoryRange, cursor: string | null, options?: { signal?: AbortSignal }): AsyncIterable<HistoryPage>;
}
