// MQL detection in HubSpot: CRM search over contacts, oldest change first, with an overlapping window (the search
// index lags); each page's query starts where the previous page ended (keyset paging, so neither records changed
// during the walk nor the 10,000-result cap can make it skip any).
import type {
  Filter,
  FilterGroup,
  PublicObjectSearchRequest,
} from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import { chunk } from '../../src/domain/chunk.js';
import { LEAD_FIELDS } from '../../src/domain/model.js';
import type { Lead, LeadFieldName, LeadFieldValues, Millis } from '../../src/domain/model.js';
import type { LeadPage, LeadSource, LeadStatus } from '../../src/ports/lead-source.js';
import { ConnectorError } from '../../src/ports/failure.js';
import { createHubspotApi } from './hubspot.client.js';
import type { HubspotApi, HubspotClientDeps, HubspotClientOptions } from './hubspot.client.js';
import { batchResult, expectShape, parseHubspotDate, searchPage } from './hubspot.shapes.js';
import type { HubspotObject, SearchPage } from './hubspot.shapes.js';

export interface HubspotLeadSourceOptions extends HubspotClientOptions {
  mql: { lifecycleStage: string; minScore?: number | null };
  /** Lead field → HubSpot contact property (the config's `fields` section). */
  fields: Partial<Record<LeadFieldName, string>>;
  /** More raw properties to read (for `props.<name>` conditions and templates). */
  extraProperties?: string[];
  /** The score property for `minScore` when `fields.score` is not mapped. Default hubspotscore. */
  scoreProperty?: string;
  /** First run on an empty store, when the caller passes none. */
  startFrom?: Millis;
  /** How far before the cursor each poll starts again (search indexing lag). Default 60 s. */
  overlapMs?: number;
  /** For record links on cards. */
  portalId?: number | string | null;
  /** Search page size (HubSpot maximum 200). Tests may lower it. */
  pageSize?: number;
}

export interface HubspotLeadSourceDeps extends HubspotClientDeps {
  /** Share one API wrapper (one limiter) between the source and the CRM adapter of the same account. */
  api?: HubspotApi;
}

/** The poll cursor: where the last stored page ended. */
export interface HubspotCursor {
  modifiedAt: Millis;
}

export function parseHubspotCursor(cursor: string): HubspotCursor | null {
  try {
    const v: unknown = JSON.parse(cursor);
    if (typeof v === 'object' && v !== null && typeof (v as { modifiedAt?: unknown }).modifiedAt === 'number') {
      return { modifiedAt: (v as { modifiedAt: number }).modifiedAt };
    }
  } catch {
    // fall through
  }
  return null;
}

const MAX_SEARCH_BODY = 3_000;

export function hubspotRecordUrl(portalId: number | string | null | undefined, id: string): string | null {
  if (portalId === null || portalId === undefined || portalId === '') return null;
  return `https://app.hubspot.com/contacts/${portalId}/record/0-1/${id}`;
}

/** What the source reads and how it turns a contact into a Lead; shared with the CRM adapter. */
export interface ContactMapper {
  properties: string[];
  stageDateProperty: string;
  isMql(props: Record<string, string | null>): boolean;
  toLead(obj: HubspotObject): Lead;
}

export function createContactMapper(options: HubspotLeadSourceOptions): ContactMapper {
  const stage = options.mql.lifecycleStage;
  const stageDateProperty = `hs_lifecyclestage_${stage}_date`;
  const scoreProperty = options.fields.score ?? options.scoreProperty ?? 'hubspotscore';
  const minScore = options.mql.minScore ?? null;
  const properties = [
    ...new Set([
      'email',
      'firstname',
      'lastname',
      'lifecyclestage',
      'hubspot_owner_id',
      'lastmodifieddate',
      'hs_merged_object_ids',
      stageDateProperty,
      ...(minScore !== null ? [scoreProperty] : []),
      ...Object.values(options.fields).filter((p): p is string => typeof p === 'string' && p !== ''),
      ...(options.extraProperties ?? []),
    ]),
  ];

  function isMql(props: Record<string, string | null>): boolean {
    if (props['lifecyclestage'] !== stage) return false;
    if (minScore === null) return true;
    const score = Number(props[scoreProperty] ?? NaN);
    return Number.isFinite(score) && score >= minScore;
  }

  function toLead(obj: HubspotObject): Lead {
    const props = obj.properties;
    const modifiedAt = parseHubspotDate(props['lastmodifieddate']) ?? 0;
    const mqlAt = parseHubspotDate(props[stageDateProperty]) ?? modifiedAt;
    const fields: LeadFieldValues = {};
    for (const [field, prop] of Object.entries(options.fields) as Array<[LeadFieldName, string | undefined]>) {
      if (!prop) continue;
      const raw = props[prop];
      if (raw === null || raw === undefined || raw === '') continue;
      if (LEAD_FIELDS[field] === 'number') {
        const n = Number(raw);
        if (Number.isFinite(n)) (fields as Record<string, number>)[field] = n;
      } else {
        (fields as Record<string, string>)[field] = raw;
      }
    }
    const leadProps: Record<string, string | null> = {};
    for (const p of properties) leadProps[p] = props[p] ?? null;
    const email = props['email'] ?? null;
    return {
      source: 'hubspot',
      externalId: obj.id,
      email: email === '' ? null : email,
      firstName: props['firstname'] || null,
      lastName: props['lastname'] || null,
      fields,
      props: leadProps,
      mqlAt,
      modifiedAt,
      ownerId: props['hubspot_owner_id'] || null,
      recordUrl: hubspotRecordUrl(options.portalId, obj.id),
    };
  }

  return { properties, stageDateProperty, isMql, toLead };
}

type Window =
  /** Everything modified at or after (or strictly after) `from`, oldest first. */
  | { kind: 'time'; from: Millis; inclusive: boolean }
  /** More than a full query shares one timestamp: walk those records by id. */
  | { kind: 'tie'; at: Millis; afterId: number };

export function createHubspotLeadSource(options: HubspotLeadSourceOptions, deps: HubspotLeadSourceDeps): LeadSource {
  const api = deps.api ?? createHubspotApi(options, deps);
  const log = api.logger.child({ component: 'hubspot-source' });
  const mapper = createContactMapper(options);
  const overlapMs = options.overlapMs ?? 60_000;
  const pageSize = Math.min(200, options.pageSize ?? 200);
  const stage = options.mql.lifecycleStage;
  const minScore = options.mql.minScore ?? null;
  const scoreProperty = options.fields.score ?? options.scoreProperty ?? 'hubspotscore';

  function baseFilters(): Filter[] {
    const filters: Filter[] = [{ propertyName: 'lifecyclestage', operator: 'EQ' as Filter['operator'], value: stage }];
    if (minScore !== null)
      filters.push({ propertyName: scoreProperty, operator: 'GTE' as Filter['operator'], value: String(minScore) });
    return filters;
  }

  function request(window: Window): PublicObjectSearchRequest {
    const filters = baseFilters();
    let sort: { propertyName: string; direction: 'ASCENDING' };
    if (window.kind === 'time') {
      filters.push({
        propertyName: 'lastmodifieddate',
        operator: (window.inclusive ? 'GTE' : 'GT') as Filter['operator'],
        value: String(window.from),
      });
      sort = { propertyName: 'lastmodifieddate', direction: 'ASCENDING' };
    } else {
      filters.push({
        propertyName: 'lastmodifieddate',
        operator: 'EQ' as Filter['operator'],
        value: String(window.at),
      });
      filters.push({
        propertyName: 'hs_object_id',
        operator: 'GT' as Filter['operator'],
        value: String(window.afterId),
      });
      sort = { propertyName: 'hs_object_id', direction: 'ASCENDING' };
    }
    const body: PublicObjectSearchRequest = {
      filterGroups: [{ filters } as FilterGroup],
      // The SDK types sorts as string[]; HubSpot takes sort objects.
      sorts: [sort as unknown as string],
      properties: mapper.properties,
      limit: pageSize,
    };
    return body;
  }

  async function searchOnce(body: PublicObjectSearchRequest, signal?: AbortSignal): Promise<SearchPage> {
    const size = JSON.stringify(body).length;
    if (size > MAX_SEARCH_BODY) {
      throw new ConnectorError('hubspot', {
        kind: 'invalid',
        reason: `search body is ${size} characters (HubSpot allows ${MAX_SEARCH_BODY}); map fewer properties`,
      });
    }
    const raw = await api.call(
      'search',
      'contacts.search',
      (c) => c.crm.contacts.searchApi.doSearch(body),
      signal ? { signal } : {},
    );
    return expectShape(searchPage, raw, 'contacts.search');
  }

  async function* poll(
    cursor: string | null,
    pollOptions: { startFrom: Millis; signal?: AbortSignal },
  ): AsyncGenerator<LeadPage> {
    const parsed = cursor === null ? null : parseHubspotCursor(cursor);
    if (cursor !== null && parsed === null) log.warn({ cursor }, 'unreadable cursor; starting from startFrom');
    const start = parsed ? parsed.modifiedAt - overlapMs : (pollOptions.startFrom ?? options.startFrom ?? Date.now());
    const signal = pollOptions.signal;
    let window: Window = { kind: 'time', from: start, inclusive: true };
    // Ids already handed out whose lastmodifieddate equals the current boundary (deduped after a re-anchor).
    let boundary = new Set<string>();
    let boundaryAt = Number.NEGATIVE_INFINITY;

    for (;;) {
      if (signal?.aborted) return;
      const page = await searchOnce(request(window), signal);
      let lastAt: Millis | null = null;
      let lastId: number | null = null;
      const leads: Lead[] = [];
      for (const obj of page.results) {
        const lead = mapper.toLead(obj);
        lastAt = lead.modifiedAt;
        lastId = Number(obj.id);
        if (lead.modifiedAt === boundaryAt && boundary.has(obj.id)) continue;
        if (lead.modifiedAt !== boundaryAt) {
          boundary = new Set();
          boundaryAt = lead.modifiedAt;
        }
        boundary.add(obj.id);
        leads.push(lead);
      }
      if (page.results.length > 0 && lastAt !== null) {
        yield { leads, cursor: JSON.stringify({ modifiedAt: lastAt } satisfies HubspotCursor) };
      }
      if (page.paging?.next?.after === undefined) {
        if (window.kind === 'time') return;
        // Walked every record of the crowded timestamp; carry on after it.
        window = { kind: 'time', from: window.at, inclusive: false };
        continue;
      }
      // The next page starts where this one ended (keyset paging), never at an offset: a record changed while we
      // walk (a write-back, a rep editing it) moves to the end of the order, and offset paging would then skip as
      // many records as moved. Records read again are dropped by the boundary set (and by ingest's uniqueness).
      if (lastAt === null || lastId === null) return;
      if (window.kind === 'tie') {
        window = { kind: 'tie', at: window.at, afterId: lastId };
      } else if (lastAt === window.from && window.inclusive) {
        // A whole page at one timestamp, and HubSpot does not promise an order among equal timestamps: walk all
        // of them by id from the start; the boundary set drops the ones already handed out.
        log.warn({ at: lastAt }, 'more than a page of contacts share one lastmodifieddate; walking them by id');
        window = { kind: 'tie', at: lastAt, afterId: 0 };
      } else {
        window = { kind: 'time', from: lastAt, inclusive: true };
      }
    }
  }

  async function readContacts(ids: string[]): Promise<Map<string, HubspotObject>> {
    const byRequested = new Map<string, HubspotObject>();
    for (const part of chunk([...new Set(ids)], 100)) {
      const raw = await api.call('general', 'contacts.batchRead', (c) =>
        c.crm.contacts.batchApi.read(
          { inputs: part.map((id) => ({ id })), properties: mapper.properties, propertiesWithHistory: [] },
          false,
        ),
      );
      const res = expectShape(batchResult, raw, 'contacts.batchRead');
      for (const obj of res.results) {
        if (part.includes(obj.id)) byRequested.set(obj.id, obj);
        // A merged-away id resolves to the record it was merged into.
        for (const old of (obj.properties['hs_merged_object_ids'] ?? '').split(';')) {
          if (old !== '' && part.includes(old) && !byRequested.has(old)) byRequested.set(old, obj);
        }
      }
    }
    return byRequested;
  }

  return {
    kind: 'hubspot',
    poll,
    async fetchLeads(externalIds) {
      const found = await readContacts(externalIds);
      const seen = new Set<string>();
      const leads: Lead[] = [];
      for (const obj of found.values()) {
        if (seen.has(obj.id) || !mapper.isMql(obj.properties)) continue;
        seen.add(obj.id);
        leads.push(mapper.toLead(obj));
      }
      return leads;
    },
    async checkLeads(externalIds) {
      const found = await readContacts(externalIds);
      return externalIds.map((id): LeadStatus => {
        const obj = found.get(id);
        if (!obj) return { externalId: id, exists: false, mql: false, ownerId: null, mergedInto: null };
        return {
          externalId: id,
          exists: true,
          mql: mapper.isMql(obj.properties),
          ownerId: obj.properties['hubspot_owner_id'] || null,
          mergedInto: obj.id === id ? null : obj.id,
        };
      });
    },
  };
}
