// MQL detection on Salesforce: SOQL on Lead for the configured MQL status (and score ≥ minScore), not converted,
// SystemModstamp since the cursor minus an overlap, ordered by (SystemModstamp, Id) and paged through
// nextRecordsUrl. The poll watches the API allowance (Sforce-Limit-Info): it asks the poller to slow down
// above 80%, warns above 90% and pauses on REQUEST_LIMIT_EXCEEDED.
//
// mqlAt: the configured `mqlDateField` (a Lead dateTime/date field a flow sets when the lead becomes MQL) when
// there is one. Without it Salesforce keeps no MQL timestamp, so mqlAt is the SystemModstamp at which this
// process first saw the lead as MQL (remembered in memory, so overlapping and repeated polls give the same
// value; after a restart an unchanged lead yields the same SystemModstamp again, a lead edited meanwhile a later
// one). Configure mqlDateField for exact episode keys.
import type { LeadPage, LeadSource, LeadStatus } from '../../src/ports/lead-source.js';
import { ConnectorError, isConnectorError, isDailyLimit } from '../../src/ports/failure.js';
import { chunk } from '../../src/domain/chunk.js';
import { InputError } from '../../src/domain/errors.js';
import { LEAD_FIELDS } from '../../src/domain/model.js';
import type { Lead, LeadFieldName, LeadFieldValues, Millis } from '../../src/domain/model.js';
import { parseSalesforceTime, soqlDateTime, soqlString } from './salesforce.connection.js';
import type {
  SalesforceConnection,
  SalesforceLogger,
  SalesforceSession,
  SalesforceUsage,
} from './salesforce.connection.js';

export interface SalesforceLeadSourceOptions {
  mql: { status: string; minScore?: number | null };
  /** Lead field → Salesforce API name (e.g. { score: 'Lead_Score__c', title: 'Title' }). */
  fields: Partial<Record<LeadFieldName, string>>;
  /** A Lead date/dateTime field holding when the lead became MQL; see the header comment. */
  mqlDateField?: string | null;
  /** More Lead fields to read into `props` (for `props.<name>` conditions and templates). */
  extraFields?: string[];
  /** Each poll starts this long before the cursor (records commit after their SystemModstamp). Default 2 min. */
  overlapMs?: number;
  /** LIMIT of one query; on reaching it the poll goes on after the last record. Default 10,000. */
  queryLimit?: number;
  /** Ids per `IN (…)` in fetchLeads/checkLeads. Default 200. */
  idChunkSize?: number;
  /** Share of the daily allowance above which polling slows down. Default 0.8. */
  slowDownAt?: number;
  /** Share of the daily allowance above which onLimitWarning fires. Default 0.9. */
  warnAt?: number;
}

export interface SalesforceLimitWarning extends SalesforceUsage {
  fraction: number;
  level: 'warning' | 'exceeded';
}

export interface SalesforceLeadSourceDeps {
  connection: SalesforceConnection;
  logger?: SalesforceLogger;
  /** Above warnAt (once per crossing) and on REQUEST_LIMIT_EXCEEDED. */
  onLimitWarning?: (warning: SalesforceLimitWarning) => void;
  now?: () => Millis;
}

export interface SalesforceLeadSource extends LeadSource {
  /** Usage is above slowDownAt. */
  readonly throttled: boolean;
  /** Multiply the poll interval by this: 1 normally, 2/4/8 as the allowance runs out. */
  readonly pollDelayMultiplier: number;
  /** After REQUEST_LIMIT_EXCEEDED: no call before this time (polls throw rate_limited until then). */
  readonly pausedUntil: Millis | null;
}

interface LeadRecord {
  Id: string;
  [field: string]: unknown;
}

const BASE_FIELDS = ['Id', 'FirstName', 'LastName', 'Email', 'Status', 'IsConverted', 'OwnerId', 'SystemModstamp'];
const MAX_REMEMBERED = 100_000;
/**
 * Salesforce's daily allocation is a rolling 24-hour window that frees calls gradually: after
 * REQUEST_LIMIT_EXCEEDED the source probes after 1 minute, then doubles the wait up to 1 hour.
 */
export const DAILY_PROBE_FIRST_MS = 60_000;
export const DAILY_PROBE_MAX_MS = 60 * 60_000;

/** The value of a field in a query record, whatever the case of the configured name. */
export function field(rec: Record<string, unknown>, name: string): unknown {
  if (name in rec) return rec[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(rec)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** A Lead date or dateTime value as ms; null when it is empty or unreadable. */
export function parseLeadTime(v: unknown): Millis | null {
  if (typeof v !== 'string' || v === '') return null;
  let ms: number;
  try {
    ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : parseSalesforceTime(v);
  } catch {
    return null;
  }
  return Number.isFinite(ms) ? ms : null;
}

/**
 * The rep who owns a lead: a User (005…). A queue (00G…) is no owner, nor is the integration user itself (orgs
 * often default new leads to it).
 */
function personOwner(ownerId: unknown, session: SalesforceSession): string | null {
  const owner = asText(ownerId);
  return owner !== null && owner.startsWith('005') && owner !== session.userId ? owner : null;
}

/**
 * The Lead of a Salesforce Lead record: the configured fields (numbers read from text where needed), every
 * selected field as a prop, the owner when it is a rep, and the record's Lightning link.
 */
export function leadOfRecord(
  rec: { Id: string; [field: string]: unknown },
  read: { fields: Partial<Record<LeadFieldName, string>>; selected: string[]; session: SalesforceSession },
  times: { mqlAt: Millis; modifiedAt: Millis },
): Lead {
  const props: Record<string, string | null> = {};
  for (const name of read.selected) props[name] = asText(field(rec, name));
  const fields: LeadFieldValues = {};
  const out = fields as Record<string, string | number>;
  for (const [leadField, apiName] of Object.entries(read.fields) as Array<[LeadFieldName, string | undefined]>) {
    if (apiName === undefined) continue;
    const raw = field(rec, apiName);
    if (raw === null || raw === undefined || raw === '') continue;
    if (LEAD_FIELDS[leadField] === 'number') {
      const n = typeof raw === 'number' ? raw : Number(String(raw).replace(/,/g, ''));
      if (Number.isFinite(n)) out[leadField] = n;
    } else {
      const text = asText(raw);
      if (text !== null) out[leadField] = text;
    }
  }
  const instanceUrl = read.session.instanceUrl;
  return {
    source: 'salesforce',
    externalId: rec.Id,
    email: asText(rec['Email']),
    firstName: asText(rec['FirstName']),
    lastName: asText(rec['LastName']),
    fields,
    props,
    mqlAt: times.mqlAt,
    modifiedAt: times.modifiedAt,
    ownerId: personOwner(rec['OwnerId'], read.session),
    recordUrl: instanceUrl ? `${instanceUrl}/lightning/r/Lead/${rec.Id}/view` : null,
  };
}

function parseCursor(cursor: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    throw new InputError('input.invalid', [`salesforce: unreadable poll cursor ${cursor}`]);
  }
  const at = (parsed as { modifiedAt?: unknown } | null)?.modifiedAt;
  if (typeof at !== 'number' || !Number.isFinite(at)) {
    throw new InputError('input.invalid', [`salesforce: poll cursor without modifiedAt: ${cursor}`]);
  }
  return at;
}

export function createSalesforceLeadSource(
  options: SalesforceLeadSourceOptions,
  deps: SalesforceLeadSourceDeps,
): SalesforceLeadSource {
  const sf = deps.connection;
  const log = deps.logger?.child({ component: 'salesforce-lead-source' });
  const now = deps.now ?? Date.now;
  const overlapMs = options.overlapMs ?? 120_000;
  const queryLimit = options.queryLimit ?? 10_000;
  const idChunkSize = options.idChunkSize ?? 200;
  const slowDownAt = options.slowDownAt ?? 0.8;
  const warnAt = options.warnAt ?? 0.9;
  const scoreField = options.fields.score;
  const minScore = options.mql.minScore ?? null;
  if (minScore !== null && scoreField === undefined) {
    throw new InputError('config.invalid', [
      'source.mql.minScore: needs fields.score (the Lead field that holds the score)',
    ]);
  }

  const selected: string[] = [];
  for (const f of [
    ...BASE_FIELDS,
    ...Object.values(options.fields).filter((v): v is string => typeof v === 'string'),
    ...(options.mqlDateField ? [options.mqlDateField] : []),
    ...(options.extraFields ?? []),
  ]) {
    if (!selected.some((s) => s.toLowerCase() === f.toLowerCase())) selected.push(f);
  }
  const selectList = selected.join(', ');
  const mqlCriteria = [
    `Status = ${soqlString(options.mql.status)}`,
    'IsConverted = false',
    ...(minScore !== null && scoreField ? [`${scoreField} >= ${minScore}`] : []),
  ].join(' AND ');

  const firstSeen = new Map<string, Millis>();
  let fraction = 0;
  let warned = false;
  let pausedUntil: Millis | null = null;
  let probeDelay = DAILY_PROBE_FIRST_MS;

  sf.onUsage((u) => {
    if (u.limit <= 0) return;
    fraction = u.used / u.limit;
    if (fraction > warnAt && !warned) {
      warned = true;
      log?.warn({ used: u.used, limit: u.limit }, 'Salesforce API usage above the warning level');
      deps.onLimitWarning?.({ ...u, fraction, level: 'warning' });
    } else if (fraction <= warnAt) warned = false;
  });

  function multiplier(): number {
    if (fraction <= slowDownAt) return 1;
    if (fraction <= warnAt) return 2;
    if (fraction <= (1 + warnAt) / 2) return 4;
    return 8;
  }

  /** The daily-limit failure a paused source answers with until its next probe. */
  const pausedFailure = (left: Millis): ConnectorError =>
    new ConnectorError('salesforce', {
      kind: 'rate_limited',
      retryAfterMs: left,
      scope: 'daily',
      reason: 'Salesforce daily API request limit reached; source paused',
    });

  /**
   * While paused, one cheap call (the limits resource) asks whether the rolling 24-hour allowance has
   * freed calls again. True when it has; false (and the next probe scheduled, twice as far) when not.
   */
  async function probe(): Promise<boolean> {
    try {
      const limits = await sf.request<{ DailyApiRequests?: { Remaining?: number } }>('GET', '/limits');
      const remaining = limits.DailyApiRequests?.Remaining;
      if (remaining === undefined || remaining > 0) return true;
    } catch (err) {
      if (!(isConnectorError(err) && isDailyLimit(err.failure))) throw err;
    }
    probeDelay = Math.min(probeDelay * 2, DAILY_PROBE_MAX_MS);
    pausedUntil = now() + probeDelay;
    log?.info({ nextProbeInMs: probeDelay }, 'Salesforce daily allowance still used up');
    return false;
  }

  /** Runs a call; on REQUEST_LIMIT_EXCEEDED pauses the source (probing, see `probe`) and raises the alert. */
  async function guarded<T>(run: () => Promise<T>): Promise<T> {
    if (pausedUntil !== null) {
      const left = pausedUntil - now();
      if (left > 0) throw pausedFailure(left);
      if (!(await probe())) throw pausedFailure(probeDelay);
      log?.info({}, 'Salesforce daily allowance has room again; source resumed');
      pausedUntil = null;
      probeDelay = DAILY_PROBE_FIRST_MS;
    }
    try {
      return await run();
    } catch (err) {
      if (isConnectorError(err) && isDailyLimit(err.failure)) {
        probeDelay = DAILY_PROBE_FIRST_MS;
        pausedUntil = now() + probeDelay;
        const u = sf.usage() ?? { used: 0, limit: 0 };
        log?.error({ used: u.used, limit: u.limit, pausedUntil }, 'Salesforce API limit exceeded; source paused');
        deps.onLimitWarning?.({ ...u, fraction: u.limit > 0 ? u.used / u.limit : 1, level: 'exceeded' });
        throw pausedFailure(probeDelay);
      }
      throw err;
    }
  }

  function toLead(rec: LeadRecord, session: SalesforceSession): Lead {
    const modifiedAt = parseSalesforceTime(String(rec['SystemModstamp']));
    let mqlAt = options.mqlDateField ? parseLeadTime(field(rec, options.mqlDateField)) : null;
    if (mqlAt === null) {
      mqlAt = firstSeen.get(rec.Id) ?? modifiedAt;
      if (!firstSeen.has(rec.Id)) {
        firstSeen.set(rec.Id, mqlAt);
        if (firstSeen.size > MAX_REMEMBERED) {
          const oldest = firstSeen.keys().next().value;
          if (oldest !== undefined) firstSeen.delete(oldest);
        }
      }
    }
    return leadOfRecord(rec, { fields: options.fields, selected, session }, { mqlAt, modifiedAt });
  }

  /** Every record of a query, batch by batch. */
  async function* pages(soql: string, signal?: AbortSignal): AsyncGenerator<LeadRecord[]> {
    let page = await guarded(() => sf.query<LeadRecord>(soql));
    for (;;) {
      yield page.records;
      if (page.done || !page.nextRecordsUrl) return;
      signal?.throwIfAborted();
      const next = page.nextRecordsUrl;
      page = await guarded(() => sf.queryMore<LeadRecord>(next));
    }
  }

  async function* poll(
    cursor: string | null,
    opts: { startFrom: Millis; signal?: AbortSignal },
  ): AsyncIterable<LeadPage> {
    const from = cursor === null ? opts.startFrom : parseCursor(cursor) - overlapMs;
    const session = await guarded(() => sf.connect());
    let window = `SystemModstamp >= ${soqlDateTime(Math.max(0, from))}`;
    for (;;) {
      opts.signal?.throwIfAborted();
      const soql = `SELECT ${selectList} FROM Lead WHERE ${mqlCriteria} AND ${window} ORDER BY SystemModstamp ASC, Id ASC LIMIT ${queryLimit}`;
      let count = 0;
      let last: LeadRecord | null = null;
      for await (const records of pages(soql, opts.signal)) {
        if (records.length === 0) continue;
        count += records.length;
        last = records[records.length - 1] as LeadRecord;
        const leads = records.map((r) => toLead(r, session));
        const lastLead = leads[leads.length - 1] as Lead;
        yield { leads, cursor: JSON.stringify({ modifiedAt: lastLead.modifiedAt }) };
      }
      if (count < queryLimit || last === null) return;
      // LIMIT reached: go on strictly after the last record, so a run of equal SystemModstamps cannot stall.
      const t = soqlDateTime(parseSalesforceTime(String(last['SystemModstamp'])));
      window = `(SystemModstamp > ${t} OR (SystemModstamp = ${t} AND Id > ${soqlString(last.Id)}))`;
      log?.debug({ after: last.Id }, 'query limit reached; continuing after the last record');
    }
  }

  async function fetchLeads(externalIds: string[]): Promise<Lead[]> {
    const ids = [...new Set(externalIds)];
    if (ids.length === 0) return [];
    const session = await guarded(() => sf.connect());
    const out: Lead[] = [];
    for (const part of chunk(ids, idChunkSize)) {
      const soql = `SELECT ${selectList} FROM Lead WHERE Id IN (${part.map(soqlString).join(', ')}) AND ${mqlCriteria}`;
      for await (const records of pages(soql)) for (const r of records) out.push(toLead(r, session));
    }
    return out;
  }

  async function checkLeads(externalIds: string[]): Promise<LeadStatus[]> {
    const ids = [...new Set(externalIds)];
    if (ids.length === 0) return [];
    const session = await guarded(() => sf.connect());
    const fieldsToRead = [
      'Id',
      'Status',
      'IsConverted',
      'OwnerId',
      'IsDeleted',
      'MasterRecordId',
      ...(scoreField ? [scoreField] : []),
    ];
    const found = new Map<string, LeadRecord>();
    for (const part of chunk(ids, idChunkSize)) {
      const soql = `SELECT ${[...new Set(fieldsToRead)].join(', ')} FROM Lead WHERE Id IN (${part.map(soqlString).join(', ')})`;
      let page = await guarded(() => sf.query<LeadRecord>(soql, { includeDeleted: true }));
      for (;;) {
        for (const r of page.records) found.set(r.Id, r);
        if (page.done || !page.nextRecordsUrl) break;
        const next = page.nextRecordsUrl;
        page = await guarded(() => sf.queryMore<LeadRecord>(next));
      }
    }
    // Salesforce may answer with the 18-character form of a 15-character id.
    const lookup = (id: string): LeadRecord | undefined =>
      found.get(id) ?? [...found.values()].find((r) => r.Id.startsWith(id));
    return externalIds.map((id) => {
      const r = lookup(id);
      if (!r) return { externalId: id, exists: false, mql: false, ownerId: null, mergedInto: null };
      if (r['IsDeleted'] === true) {
        return { externalId: id, exists: false, mql: false, ownerId: null, mergedInto: asText(r['MasterRecordId']) };
      }
      const score = scoreField ? Number(field(r, scoreField)) : NaN;
      const scoreOk = minScore === null || (Number.isFinite(score) && score >= minScore);
      return {
        externalId: id,
        exists: true,
        mql: r['Status'] === options.mql.status && r['IsConverted'] !== true && scoreOk,
        ownerId: personOwner(r['OwnerId'], session),
        mergedInto: null,
      };
    });
  }

  return {
    kind: 'salesforce',
    get throttled() {
      return fraction > slowDownAt;
    },
    get pollDelayMultiplier() {
      return multiplier();
    },
    get pausedUntil() {
      return pausedUntil !== null && pausedUntil > now() ? pausedUntil : null;
    },
    poll,
    fetchLeads,
    checkLeads,
  };
}
