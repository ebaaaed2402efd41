// CRM search as HubSpot runs it: filter groups and operators with their limits, one sort, offset paging capped at
// 10,000 results, a 3,000-character body, and an index that shows a change only `indexDelayMs` after it happened.
import { isRecord, type EmulatorState, type SearchVersion, type StoredProperty, type StoredRecord } from './state.js';
import { compareValues } from './properties.js';
import { parseJson, publicObject, validation } from './wire.js';

const SEARCH_CAP = 10_000;
const MAX_BODY = 3_000;
const OPERATORS = new Set([
  'EQ',
  'NEQ',
  'GT',
  'GTE',
  'LT',
  'LTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);
/** Properties a free-text `query` looks in. */
const QUERY_PROPERTIES = ['email', 'firstname', 'lastname', 'domain', 'name'];

function matchesFilter(
  props: Record<string, string>,
  f: Record<string, unknown>,
  catalogue: Map<string, StoredProperty>,
): boolean {
  const name = String(f['propertyName']);
  const def = catalogue.get(name);
  const type = def?.type ?? 'string';
  const raw = props[name];
  const has = raw !== undefined && raw !== '';
  const op = String(f['operator'] ?? 'EQ');
  const ci = type === 'string';
  const norm = (v: string): string => (ci ? v.toLowerCase() : v);
  const value = f['value'] === undefined || f['value'] === null ? undefined : String(f['value']);
  const values = Array.isArray(f['values']) ? f['values'].map(String) : [];
  const eq = (v: string | undefined): boolean =>
    has &&
    v !== undefined &&
    (type === 'number' || type === 'datetime' || type === 'date'
      ? compareValues(type, raw, v) === 0
      : norm(raw) === norm(v));
  switch (op) {
    case 'EQ':
      return eq(value);
    case 'NEQ':
      return !eq(value);
    case 'GT':
      return has && value !== undefined && compareValues(type, raw, value) > 0;
    case 'GTE':
      return has && value !== undefined && compareValues(type, raw, value) >= 0;
    case 'LT':
      return has && value !== undefined && compareValues(type, raw, value) < 0;
    case 'LTE':
      return has && value !== undefined && compareValues(type, raw, value) <= 0;
    case 'BETWEEN': {
      const high = f['highValue'] === undefined ? undefined : String(f['highValue']);
      return (
        has &&
        value !== undefined &&
        high !== undefined &&
        compareValues(type, raw, value) >= 0 &&
        compareValues(type, raw, high) <= 0
      );
    }
    case 'IN':
      // HubSpot: IN values on string properties must be lowercase; the stored value is compared lowercased.
      return has && values.some((v) => (ci ? raw.toLowerCase() === v : eq(v)));
    case 'NOT_IN':
      return !(has && values.some((v) => (ci ? raw.toLowerCase() === v : eq(v))));
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const pattern = new RegExp(
        `^${(value ?? '')
          .toLowerCase()
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')}$`,
      );
      const found =
        has &&
        raw
          .toLowerCase()
          .split(/[\s@.,;]+/)
          .concat(raw.toLowerCase())
          .some((tok) => pattern.test(tok));
      return op === 'CONTAINS_TOKEN' ? found : !found;
    }
    default:
      throw validation(`Invalid operator: ${op}`);
  }
}

/** The newest version of `rec` that search can see at `at`; older ones are dropped. */
function searchView(rec: StoredRecord, at: number): SearchVersion | null {
  let idx = -1;
  for (let i = 0; i < rec.versions.length; i++) if ((rec.versions[i]?.visibleFrom ?? Infinity) <= at) idx = i;
  if (idx > 0) rec.versions.splice(0, idx);
  return idx >= 0 ? (rec.versions[0] ?? null) : null;
}

export interface Search {
  /** Records the record's current state for search, visible after the index delay. */
  snapshot(rec: StoredRecord): void;
  /** Changes the index delay for the changes that follow (the benches vary it lead by lead). */
  setIndexDelay(ms: number): void;
  /** Answers a search request body over `store`; `defaults` are the properties returned when none are asked for. */
  search(
    store: Map<string, StoredRecord>,
    catalogue: Map<string, StoredProperty>,
    rawBody: string,
    defaults: string[],
  ): Record<string, unknown>;
}

export function createSearch(state: EmulatorState, initialIndexDelayMs: number): Search {
  const { now } = state;
  let indexDelayMs = initialIndexDelayMs;
  return {
    setIndexDelay(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`index delay must be a number of ms ≥ 0, got ${ms}`);
      indexDelayMs = ms;
    },
    snapshot(rec) {
      rec.versions.push({ props: { ...rec.props }, archived: rec.archived, visibleFrom: now() + indexDelayMs });
    },
    search(store, catalogue, rawBody, defaults) {
      if (rawBody.length > MAX_BODY)
        throw validation(`Request body is too large: ${rawBody.length} characters (limit ${MAX_BODY})`);
      const body = parseJson(rawBody);
      const groupsIn = Array.isArray(body['filterGroups']) ? body['filterGroups'] : [];
      if (groupsIn.length > 5) throw validation(`Too many filter groups: ${groupsIn.length} (limit 5)`);
      let total = 0;
      const parsedGroups: Array<Array<Record<string, unknown>>> = [];
      for (const g of groupsIn) {
        const filters = isRecord(g) && Array.isArray(g['filters']) ? g['filters'].filter(isRecord) : [];
        if (filters.length > 6) throw validation(`Too many filters in a group: ${filters.length} (limit 6)`);
        total += filters.length;
        for (const f of filters) {
          const op = String(f['operator'] ?? '');
          if (!OPERATORS.has(op)) throw validation(`Invalid operator: ${op}`);
          if (typeof f['propertyName'] !== 'string') throw validation('filter.propertyName is required');
          if (!catalogue.has(f['propertyName'])) {
            throw validation(`There was a problem with the request: property ${f['propertyName']} does not exist`, {
              propertyName: [f['propertyName']],
            });
          }
        }
        parsedGroups.push(filters);
      }
      if (total > 18) throw validation(`Too many filters: ${total} (limit 18)`);
      const sortsIn = Array.isArray(body['sorts']) ? body['sorts'] : [];
      if (sortsIn.length > 1) throw validation('Only one sort is allowed');
      let sort: { name: string; dir: 1 | -1 } | null = null;
      const s0 = sortsIn[0];
      if (typeof s0 === 'string') sort = s0.startsWith('-') ? { name: s0.slice(1), dir: -1 } : { name: s0, dir: 1 };
      else if (isRecord(s0))
        sort = { name: String(s0['propertyName']), dir: s0['direction'] === 'DESCENDING' ? -1 : 1 };
      const limit = body['limit'] === undefined ? 10 : Number(body['limit']);
      if (!Number.isInteger(limit) || limit < 0 || limit > 200)
        throw validation(`limit must be between 0 and 200, got ${String(body['limit'])}`);
      const afterRaw =
        body['after'] === undefined || body['after'] === null || body['after'] === '' ? '0' : String(body['after']);
      if (!/^\d+$/.test(afterRaw)) throw validation(`after must be an integer, got "${afterRaw}"`);
      const offset = Number(afterRaw);
      if (offset + limit > SEARCH_CAP)
        throw validation(`Paging beyond ${SEARCH_CAP} results is not supported (after=${offset}, limit=${limit})`);
      const query = typeof body['query'] === 'string' ? body['query'].toLowerCase() : '';

      const t = now();
      const matched: Array<{ rec: StoredRecord; props: Record<string, string> }> = [];
      for (const rec of store.values()) {
        const view = searchView(rec, t);
        if (!view || view.archived || rec.mergedInto !== null) continue;
        const props = view.props;
        if (parsedGroups.length > 0 && !parsedGroups.some((fs) => fs.every((f) => matchesFilter(props, f, catalogue))))
          continue;
        if (query && !QUERY_PROPERTIES.some((k) => (props[k] ?? '').toLowerCase().includes(query))) continue;
        matched.push({ rec, props });
      }
      const type = sort ? (catalogue.get(sort.name)?.type ?? 'string') : 'datetime';
      matched.sort((a, b) => {
        let c = 0;
        if (sort) {
          const av = a.props[sort.name];
          const bv = b.props[sort.name];
          if (av === undefined && bv !== undefined) c = 1;
          else if (bv === undefined && av !== undefined) c = -1;
          else if (av !== undefined && bv !== undefined) c = compareValues(type, av, bv) * sort.dir;
        } else {
          c = a.rec.createdAt - b.rec.createdAt;
        }
        return c !== 0 ? c : Number(a.rec.id) - Number(b.rec.id);
      });
      const requested =
        Array.isArray(body['properties']) && body['properties'].length > 0 ? body['properties'].map(String) : defaults;
      const page = matched.slice(offset, offset + limit);
      const out: Record<string, unknown> = {
        total: matched.length,
        results: page.map((m) => publicObject(m.rec, m.props, requested, catalogue)),
      };
      if (offset + limit < matched.length)
        out['paging'] = { next: { after: String(offset + limit), link: `?after=${offset + limit}` } };
      return out;
    },
  };
}
