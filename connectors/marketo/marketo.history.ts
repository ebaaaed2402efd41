// Past MQLs in Marketo for `handoff backfill`: the MQL crossings of the activity log (the same crossings live
// detection uses, see marketo.lead-source.ts) whose activity date falls in the period, with each lead as it is
// now. Marketo purges most activities after a while (90 days for many types by default), so older periods come
// back thin; the evidence is "status-history" (the activity log). The cursor is the activity date up to which
// every crossing has been handed out.
import type { Lead, LeadFieldName, Millis } from '../../src/domain/model.js';
import type { HistoryEpisode, HistoryPage, HistoryRange, HistorySource } from '../../src/ports/history-source.js';
import { InputError } from '../../src/domain/errors.js';
import type { MarketoApi } from './marketo.client.js';
import { parseMarketoTime } from './marketo.client.js';
import {
  activityPages,
  checkCriterion,
  field,
  isCrossing,
  leadOfRecord,
  meetsCriterion,
  readLeads,
  selectedFields,
} from './marketo.lead-source.js';
import type { MarketoMqlCriterion } from './marketo.lead-source.js';

export interface MarketoHistoryOptions {
  activityTypeIds: number[];
  mql: MarketoMqlCriterion;
  fields: Partial<Record<LeadFieldName, string>>;
  /** Fields the outcome rules read (leadStatus, our reason field…). */
  extraFields?: string[];
}

function parseCursor(cursor: string): Millis {
  const at = (() => {
    try {
      return (JSON.parse(cursor) as { at?: unknown }).at;
    } catch {
      return undefined;
    }
  })();
  if (typeof at !== 'number' || !Number.isFinite(at))
    throw new InputError('input.invalid', [`marketo: unreadable backfill cursor ${cursor}`]);
  return at;
}

export function createMarketoHistorySource(options: MarketoHistoryOptions, deps: { api: MarketoApi }): HistorySource {
  const { api } = deps;
  const { mql } = options;
  const scoreField = options.fields.score;
  checkCriterion(mql, options.fields);
  const wanted = selectedFields(options.fields, mql, options.extraFields);

  /**
   * The fields to read, minus those the instance does not have (Get Leads refuses a whole call over one unknown
   * field, 1006): an optional history field such as the reason field is often not created yet.
   */
  async function readableFields(signal?: AbortSignal): Promise<string[]> {
    const env = await api.get<{ rest?: { name?: string } }>(
      'describe leads',
      '/rest/v1/leads/describe.json',
      {},
      signal ? { signal } : {},
    );
    const known = new Set((env.result ?? []).map((f) => String(f.rest?.name ?? '').toLowerCase()));
    const missing = wanted.filter((f) => !known.has(f.toLowerCase()));
    if (missing.length > 0)
      api.logger.warn({ missing }, 'backfill: these Marketo lead fields do not exist and are read as empty');
    return wanted.filter((f) => known.has(f.toLowerCase()));
  }

  async function* read(
    range: HistoryRange,
    cursor: string | null,
    opts: { signal?: AbortSignal } = {},
  ): AsyncIterable<HistoryPage> {
    const start = cursor === null ? range.from : Math.max(range.from, parseCursor(cursor));
    const callsAtStart = api.stats().calls;
    const selected = await readableFields(opts.signal);
    const seen = new Set<string>();
    for await (const page of activityPages(api, { since: start }, options.activityTypeIds, opts.signal)) {
      const crossings: Array<{ leadId: string; at: Millis }> = [];
      let last = start;
      let pastEnd = false;
      for (const a of page.activities) {
        const t = parseMarketoTime(a.activityDate);
        if (!Number.isFinite(t) || t < range.from) continue;
        if (t >= range.to) {
          pastEnd = true;
          break;
        }
        last = Math.max(last, t);
        if (!isCrossing(a, mql, scoreField)) continue;
        const key = `${a.leadId}:${t}`;
        if (seen.has(key)) continue;
        seen.add(key);
        crossings.push({ leadId: String(a.leadId), at: t });
      }
      const episodes: HistoryEpisode[] = [];
      if (crossings.length > 0) {
        const records = await readLeads(
          api,
          crossings.map((c) => c.leadId),
          selected,
          opts.signal ? { signal: opts.signal } : {},
        );
        for (const c of crossings) {
          const rec = records.get(c.leadId);
          if (!rec) continue; // deleted or merged away since
          let mqlAt = c.at;
          if (mql.dateField) {
            const t = parseMarketoTime(field(rec, mql.dateField));
            if (Number.isFinite(t)) mqlAt = t;
          }
          const updated = parseMarketoTime(rec['updatedAt']);
          const lead: Lead = leadOfRecord(
            rec,
            { fields: options.fields, selected },
            { mqlAt, modifiedAt: Number.isFinite(updated) ? updated : mqlAt },
          );
          episodes.push({
            lead,
            outcomeAt: null,
            evidence: 'status-history',
            stillMql: meetsCriterion(rec, mql, scoreField),
          });
        }
      }
      const done = pastEnd || !page.more;
      yield {
        episodes,
        cursor: JSON.stringify({ at: done ? range.to : last }),
        estimatedTotal: null,
        calls: api.stats().calls - callsAtStart,
      };
      if (done) return;
    }
  }

  return { kind: 'marketo', read };
}
