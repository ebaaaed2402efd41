// Past MQLs in HubSpot for `handoff backfill`: contacts whose MQL date (hs_lifecyclestage_marketingqualifiedlead_date,
// or the configured date property) falls in a period, whatever their stage is now. CRM search stops at 10,000 results
// per query, so a period with more is split into smaller periods first (and a single millisecond holding more is
// walked by record id); nothing is ever truncated. Calls go through the shared API wrapper and its search limiter.
import type {
  Filter,
  FilterGroup,
  PublicObjectSearchRequest,
} from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import type { Lead, LeadFieldName, Millis } from '../../src/domain/model.js';
import type { HistoryEpisode, HistoryPage, HistoryRange, HistorySource } from '../../src/ports/history-source.js';
import { ConnectorError } from '../../src/ports/failure.js';
import { createHubspotApi } from './hubspot.client.js';
import type { HubspotClientOptions } from './hubspot.client.js';
import { createContactMapper } from './hubspot.lead-source.js';
import type { HubspotLeadSourceDeps } from './hubspot.lead-source.js';
import { expectShape, parseHubspotDate, searchPage } from './hubspot.shapes.js';
import type { HubspotObject, SearchPage } from './hubspot.shapes.js';

export interface HubspotHistoryOptions extends HubspotClientOptions {
  mql: { lifecycleStage: string; minScore?: number | null };
  /** Lead field → HubSpot contact property (the config's `fields` section). */
  fields: Partial<Record<LeadFieldName, string>>;
  /** The contact property holding the MQL date. Default hs_lifecyclestage_<stage>_date. */
  dateProperty?: string | null;
  /** Raw properties the outcome rules read (hs_lead_status, our reason property…). */
  extraProperties?: string[];
  /** Lifecycle stages that come after MQL; their stage dates tell when a lead moved on. */
  laterStages?: string[];
  portalId?: number | string | null;
  /** Search page size (HubSpot maximum 200) and result cap per query (HubSpot: 10,000). Tests may lower them. */
  pageSize?: number;
  searchCap?: number;
}

/** The resume position: every episode with an MQL time before `at` has been handed out. */
interface HistoryCursor {
  at: Millis;
}

const DEFAULT_LATER_STAGES = ['salesqualifiedlead', 'opportunity', 'customer', 'evangelist'];
const MAX_SEARCH_BODY = 3_000;

function parseCursor(cursor: string | null): HistoryCursor | null {
  if (cursor === null) return null;
  try {
    const v = JSON.parse(cursor) as { at?: unknown };
    if (typeof v.at === 'number' && Number.isFinite(v.at)) return { at: v.at };
  } catch {
    // fall through
  }
  throw new ConnectorError('hubspot', { kind: 'invalid', reason: `unreadable backfill cursor ${cursor}` });
}

type Query =
  /** Contacts with an MQL date in [from, to), by MQL date, paged with `after`. */
  | { kind: 'range'; from: Millis; to: Millis }
  /** More contacts than one query may return share this exact MQL date: walk them by record id. */
  | { kind: 'tie'; at: Millis; afterId: number };

export function createHubspotHistorySource(options: HubspotHistoryOptions, deps: HubspotLeadSourceDeps): HistorySource {
  const api = deps.api ?? createHubspotApi(options, deps);
  const log = api.logger.child({ component: 'hubspot-history' });
  const stage = options.mql.lifecycleStage;
  const dateProperty = options.dateProperty ?? `hs_lifecyclestage_${stage}_date`;
  const laterDates = (options.laterStages ?? DEFAULT_LATER_STAGES)
    .filter((s) => s !== stage)
    .map((s) => `hs_lifecyclestage_${s}_date`);
  const mapper = createContactMapper({
    token: options.token,
    mql: options.mql,
    fields: options.fields,
    portalId: options.portalId ?? null,
    extraProperties: [...new Set(['hs_lead_status', dateProperty, ...laterDates, ...(options.extraProperties ?? [])])],
  });
  const pageSize = Math.min(200, options.pageSize ?? 200);
  const cap = options.searchCap ?? 10_000;
  // `after` + limit may not pass the cap: a query is paged to the end only if it holds at most this many.
  const pageable = Math.max(pageSize, Math.floor(cap / pageSize) * pageSize);

  function request(q: Query, after: string | undefined): PublicObjectSearchRequest {
    const filters: Filter[] =
      q.kind === 'range'
        ? [
            { propertyName: dateProperty, operator: 'GTE' as Filter['operator'], value: String(q.from) },
            { propertyName: dateProperty, operator: 'LT' as Filter['operator'], value: String(q.to) },
          ]
        : [
            { propertyName: dateProperty, operator: 'EQ' as Filter['operator'], value: String(q.at) },
            { propertyName: 'hs_object_id', operator: 'GT' as Filter['operator'], value: String(q.afterId) },
          ];
    const sort = { propertyName: q.kind === 'range' ? dateProperty : 'hs_object_id', direction: 'ASCENDING' };
    const body: PublicObjectSearchRequest = {
      filterGroups: [{ filters } as FilterGroup],
      // The SDK types sorts as string[]; HubSpot takes sort objects.
      sorts: [sort as unknown as string],
      properties: mapper.properties,
      limit: pageSize,
    };
    if (after !== undefined) body.after = after;
    return body;
  }

  function toEpisode(obj: HubspotObject): HistoryEpisode {
    const lead: Lead = mapper.toLead(obj);
    const mqlAt = parseHubspotDate(obj.properties[dateProperty]);
    if (mqlAt !== null) lead.mqlAt = mqlAt;
    let outcomeAt: Millis | null = null;
    for (const p of laterDates) {
      const at = parseHubspotDate(obj.properties[p]);
      if (at !== null && at >= lead.mqlAt && (outcomeAt === null || at < outcomeAt)) outcomeAt = at;
    }
    return { lead, outcomeAt, evidence: 'mql-date', stillMql: mapper.isMql(obj.properties) };
  }

  async function* read(
    range: HistoryRange,
    cursor: string | null,
    readOptions: { signal?: AbortSignal } = {},
  ): AsyncGenerator<HistoryPage> {
    const signal = readOptions.signal;
    const resumeAt = parseCursor(cursor)?.at ?? range.from;
    let calls = 0;
    let estimatedTotal: number | null = null;

    async function search(q: Query, after?: string): Promise<SearchPage> {
      const body = request(q, after);
      const size = JSON.stringify(body).length;
      if (size > MAX_SEARCH_BODY) {
        throw new ConnectorError('hubspot', {
          kind: 'invalid',
          reason: `search body is ${size} characters (HubSpot allows ${MAX_SEARCH_BODY}); map fewer properties`,
        });
      }
      calls += 1;
      const raw = await api.call(
        'search',
        'contacts.search',
        (c) => c.crm.contacts.searchApi.doSearch(body),
        signal ? { signal } : {},
      );
      return expectShape(searchPage, raw, 'contacts.search');
    }

    function pageOf(results: HubspotObject[]): HistoryPage | null {
      if (results.length === 0) return null;
      const episodes = results.map(toEpisode);
      const last = episodes[episodes.length - 1] as HistoryEpisode;
      return {
        episodes,
        cursor: JSON.stringify({ at: last.lead.mqlAt } satisfies HistoryCursor),
        estimatedTotal,
        calls,
      };
    }

    // Periods still to read, the earliest on top.
    const stack: Array<{ from: Millis; to: Millis }> = [{ from: Math.max(range.from, resumeAt), to: range.to }];
    while (stack.length > 0) {
      if (signal?.aborted) return;
      const r = stack.pop() as { from: Millis; to: Millis };
      if (r.from >= r.to) continue;
      let page = await search({ kind: 'range', ...r });
      estimatedTotal ??= page.total;
      if (page.total > pageable) {
        if (r.to - r.from <= 1) {
          log.warn(
            { at: r.from, total: page.total },
            'more contacts than one search returns share one MQL date; walking them by id',
          );
          let afterId = 0;
          for (;;) {
            if (signal?.aborted) return;
            const tie = await search({ kind: 'tie', at: r.from, afterId });
            const out = pageOf(tie.results);
            if (out) yield out;
            const lastId = tie.results[tie.results.length - 1]?.id;
            if (tie.paging?.next?.after === undefined || lastId === undefined) break;
            afterId = Number(lastId);
          }
          continue;
        }
        // Split into pieces that should each fit one query (MQL dates are rarely even; a piece that still
        // does not fit is split again when its turn comes).
        const pieces = Math.min(r.to - r.from, Math.max(2, Math.ceil(page.total / (pageable * 0.8))));
        log.debug(
          { from: r.from, to: r.to, total: page.total, pieces },
          'period holds more than one search returns; splitting',
        );
        const bounds: Millis[] = [];
        for (let i = 0; i <= pieces; i++) bounds.push(r.from + Math.floor(((r.to - r.from) * i) / pieces));
        for (let i = pieces - 1; i >= 0; i--) stack.push({ from: bounds[i] as Millis, to: bounds[i + 1] as Millis });
        continue;
      }
      for (;;) {
        const out = pageOf(page.results);
        if (out) yield out;
        const next = page.paging?.next?.after;
        if (next === undefined) break;
        if (signal?.aborted) return;
        page = await search({ kind: 'range', ...r }, next);
      }
    }
  }

  return { kind: 'hubspot', read };
}
