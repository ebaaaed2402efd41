// The query resources: query and queryAll (deleted records too) run SOQL over the org, follow relationship
// paths (Account.Owner.IsActive) and answer in batches; the rest of a result waits under a query locator
// (nextRecordsUrl, 15 minutes) for queryMore.
import { SfApiError } from './http.js';
import { RELATIONSHIPS } from './schema.js';
import type { EmulatedObject, EmulatorFieldDef, SfRecord } from './schema.js';
import { compareForOrder, matches, parseSoql, SoqlFieldError, SoqlSyntaxError, validateQuery } from './soql.js';
import type { FieldResolver, SoqlQuery } from './soql.js';
import type { Org } from './state.js';

export interface QueryApi {
  /** A query's first batch. */
  query(soql: string, ver: string, includeDeleted: boolean): Record<string, unknown>;
  /** The batch of a cursor that starts at offset. */
  queryMore(locator: string, offset: number, ver: string): Record<string, unknown>;
}

interface QueryCursor {
  rows: SfRecord[];
  expiresAt: number;
}

export function createQueryApi(org: Org, options: { batchSize: number; now: () => number }): QueryApi {
  const { batchSize, now } = options;
  const { obj, findRecord } = org;
  const cursors = new Map<string, QueryCursor>();
  let locatorCounter = 0;

  // ---- field resolution (relationship paths such as Account.OwnerId or Account.Owner.IsActive) ----
  function resolverFor(root: EmulatedObject): FieldResolver {
    const walk = (
      path: string,
    ): { object: EmulatedObject; def: EmulatorFieldDef; hops: string[] } | { error: string } => {
      const parts = path.split('.');
      let current = root;
      const hops: string[] = [];
      for (let i = 0; i < parts.length - 1; i += 1) {
        const rel = (parts[i] as string).toLowerCase();
        const refField = RELATIONSHIPS[current][rel];
        if (refField === undefined) {
          return {
            error: `Didn't understand relationship '${parts[i]}' in field path. No such column '${parts[i]}' on entity '${current}'.`,
          };
        }
        const def = obj(current).fields.get(refField.toLowerCase()) as EmulatorFieldDef;
        current = def.referenceTo?.[0] ?? current;
        hops.push(refField);
      }
      const last = parts[parts.length - 1] as string;
      const def = obj(current).fields.get(last.toLowerCase());
      if (!def) return { error: `No such column '${last}' on entity '${current}'.` };
      return { object: current, def, hops };
    };
    return {
      typeOf(path) {
        const w = walk(path);
        return 'error' in w ? { error: w.error } : w.def.type;
      },
      valueOf(record, path) {
        const w = walk(path);
        if ('error' in w) return null;
        let cur: SfRecord | null = record as SfRecord;
        for (const hop of w.hops) {
          const target = findRecord(cur?.[hop] as string | null);
          cur = target ? target.record : null;
          if (cur === null) return null;
        }
        return cur?.[w.def.name] ?? null;
      },
    };
  }

  function canonicalPath(root: EmulatedObject, path: string): string[] {
    const parts = path.split('.');
    const out: string[] = [];
    let current = root;
    for (let i = 0; i < parts.length - 1; i += 1) {
      const rel = (parts[i] as string).toLowerCase();
      const refField = RELATIONSHIPS[current][rel] as string;
      out.push(refField.replace(/Id$/, ''));
      const def = obj(current).fields.get(refField.toLowerCase()) as EmulatorFieldDef;
      current = def.referenceTo?.[0] ?? current;
    }
    out.push((obj(current).fields.get((parts[parts.length - 1] as string).toLowerCase()) as EmulatorFieldDef).name);
    return out;
  }

  const recordUrl = (ver: string, object: string, id: string): string =>
    `/services/data/v${ver}/sobjects/${object}/${id}`;

  function project(root: EmulatedObject, q: SoqlQuery, rec: SfRecord, ver: string): SfRecord {
    const out: Record<string, unknown> = { attributes: { type: root, url: recordUrl(ver, root, rec['Id'] as string) } };
    for (const path of q.fields) {
      const names = canonicalPath(root, path);
      let src: SfRecord | null = rec;
      let dst: Record<string, unknown> | null = out;
      for (let i = 0; i < names.length - 1; i += 1) {
        const relName = names[i] as string;
        const hopField = `${relName}Id`;
        const target = findRecord(src?.[hopField] as string | null);
        if (!target) {
          if (dst && !(relName in dst)) dst[relName] = null;
          dst = null;
          break;
        }
        const existing: unknown = dst?.[relName];
        const next: Record<string, unknown> =
          typeof existing === 'object' && existing !== null
            ? (existing as Record<string, unknown>)
            : {
                attributes: { type: target.object, url: recordUrl(ver, target.object, target.record['Id'] as string) },
              };
        if (dst) dst[relName] = next;
        dst = next;
        src = target.record;
      }
      if (dst && src) {
        const leaf = names[names.length - 1] as string;
        dst[leaf] = src[leaf] ?? null;
      }
    }
    return out as SfRecord;
  }

  function query(soql: string, ver: string, includeDeleted: boolean): Record<string, unknown> {
    let q: SoqlQuery;
    try {
      q = parseSoql(soql);
    } catch (err) {
      if (err instanceof SoqlSyntaxError) throw new SfApiError(400, 'MALFORMED_QUERY', err.message);
      throw err;
    }
    const root = org.objectByName(q.from);
    if (root === null) throw new SfApiError(400, 'INVALID_TYPE', `sObject type '${q.from}' is not supported.`);
    const resolver = resolverFor(root);
    try {
      validateQuery(q, resolver);
    } catch (err) {
      if (err instanceof SoqlFieldError) throw new SfApiError(400, 'INVALID_FIELD', err.message);
      throw err;
    }
    let rows = [...obj(root).records.values()].filter(
      (r) => (includeDeleted || r['IsDeleted'] !== true) && (q.where === null || matches(q.where, r, resolver)),
    );
    if (q.orderBy.length > 0) rows.sort((a, b) => compareForOrder(a, b, q.orderBy, resolver));
    if (q.limit !== null) rows = rows.slice(0, q.limit);
    const projected = rows.map((r) => project(root, q, r, ver));
    return page(projected, 0, ver, null);
  }

  function page(rows: SfRecord[], offset: number, ver: string, existing: string | null): Record<string, unknown> {
    const slice = rows.slice(offset, offset + batchSize);
    const done = offset + slice.length >= rows.length;
    const body: Record<string, unknown> = { totalSize: rows.length, done, records: slice };
    if (!done) {
      let locator = existing;
      if (locator === null) {
        locatorCounter += 1;
        locator = `01g${String(locatorCounter).padStart(12, '0')}AAA`;
        cursors.set(locator, { rows, expiresAt: now() + 15 * 60_000 });
      }
      body['nextRecordsUrl'] = `/services/data/v${ver}/query/${locator}-${offset + slice.length}`;
    } else if (existing !== null) cursors.delete(existing);
    return body;
  }

  function queryMore(locator: string, offset: number, ver: string): Record<string, unknown> {
    const cursor = cursors.get(locator);
    if (!cursor || cursor.expiresAt <= now())
      throw new SfApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return page(cursor.rows, offset, ver, locator);
  }

  return { query, queryMore };
}
