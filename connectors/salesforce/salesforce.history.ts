// Past MQLs in Salesforce for `handoff backfill`: Leads that reached the MQL status in a period, found by
//   1. the configured MQL date field (a Lead date/dateTime a flow sets), when there is one;
//   2. else field history on Status (LeadHistory rows whose NewValue is the MQL status; one episode per change);
//   3. else, when Status history is not tracked, the creation date (a lead counts only if it is an MQL now or
//      its outcome rules say it was worked — the app decides that from `stillMql`).
// Converted and moved-on leads are included: that is how outcomes are inferred. SOQL is paged through
// nextRecordsUrl, and a query that reaches its LIMIT goes on strictly after its last (time, Id). The backfill
// stops with its position saved before the org's daily API allowance gets tight.
import { chunk } from '../../src/domain/chunk.js';
import type { LeadFieldName, Millis } from '../../src/domain/model.js';
import type {
  HistoryEpisode,
  HistoryPage,
  HistoryRange,
  HistorySource,
  MqlEvidence,
} from '../../src/ports/history-source.js';
import { ConnectorError, isConnectorError } from '../../src/ports/failure.js';
import { parseSalesforceTime, soqlDateTime, soqlString } from './salesforce.connection.js';
import type { QueryPage, SalesforceConnection, SalesforceLogger, SalesforceSession } from './salesforce.connection.js';
import { asText, field as value, leadOfRecord, parseLeadTime } from './salesforce.lead-source.js';

export interface SalesforceHistoryOptions {
  mql: { status: string };
  /** Lead field → Salesforce API name. */
  fields: Partial<Record<LeadFieldName, string>>;
  /** A Lead date/dateTime field holding when the lead became MQL. */
  mqlDateField?: string | null;
  /** More Lead fields the outcome rules read (Status, IsConverted, our reason field…); absent ones are left out. */
  extraFields?: string[];
  /**
   * LIMIT of one query; on reaching it the read goes on after the last record. Default none: one query over the
   * period, paged by nextRecordsUrl, whose totalSize gives the progress total.
   */
  queryLimit?: number | null;
  /** Lead ids per `Id IN (…)` when reading the leads of LeadHistory rows. Default 200. */
  idChunkSize?: number;
  /** Stop (position kept) once this share of the daily API allowance is used. Default 0.9. */
  stopAtUsage?: number;
}

export interface SalesforceHistoryDeps {
  connection: SalesforceConnection;
  logger?: SalesforceLogger;
}

interface SfRow {
  Id: string;
  [field: string]: unknown;
}

interface DescribeResult {
  fields: Array<{ name: string; type: string }>;
}

/** The resume position: everything up to and including (at, id) in (time, Id) order was handed out. */
interface HistoryCursor {
  at: string;
  id: string;
}

type Mode = { kind: 'date'; field: string; type: 'date' | 'datetime' } | { kind: 'history' } | { kind: 'created' };

const BASE_FIELDS = [
  'Id',
  'FirstName',
  'LastName',
  'Email',
  'Status',
  'IsConverted',
  'ConvertedDate',
  'OwnerId',
  'CreatedDate',
  'SystemModstamp',
];

function parseCursor(cursor: string | null): HistoryCursor | null {
  if (cursor === null) return null;
  try {
    const v = JSON.parse(cursor) as Partial<HistoryCursor>;
    if (typeof v.at === 'string' && typeof v.id === 'string') return { at: v.at, id: v.id };
  } catch {
    // fall through
  }
  throw new ConnectorError('salesforce', { kind: 'invalid', reason: `unreadable backfill cursor ${cursor}` });
}

export function createSalesforceHistorySource(
  options: SalesforceHistoryOptions,
  deps: SalesforceHistoryDeps,
): HistorySource {
  const sf = deps.connection;
  const log = deps.logger?.child({ component: 'salesforce-history' });
  const queryLimit = options.queryLimit ?? null;
  const idChunkSize = options.idChunkSize ?? 200;
  const stopAt = options.stopAtUsage ?? 0.9;

  async function* read(
    range: HistoryRange,
    cursor: string | null,
    readOptions: { signal?: AbortSignal } = {},
  ): AsyncGenerator<HistoryPage> {
    const signal = readOptions.signal;
    let calls = 0;

    /** One API call, then a look at the allowance: stop (the caller keeps its position) when it runs low. */
    async function counted<T>(run: () => Promise<T>): Promise<T> {
      calls += 1;
      const result = await run();
      const u = sf.usage();
      if (u && u.limit > 0 && u.used / u.limit >= stopAt) {
        throw new ConnectorError('salesforce', {
          kind: 'rate_limited',
          scope: 'daily',
          reason: `Salesforce API usage is at ${u.used}/${u.limit}; backfill stopped at ${Math.round(stopAt * 100)}% to leave room for the live loop (run it again later to resume)`,
        });
      }
      return result;
    }

    const session: SalesforceSession = await sf.connect();
    const describe = await counted(() => sf.request<DescribeResult>('GET', '/sobjects/Lead/describe'));
    const types = new Map(describe.fields.map((f) => [f.name.toLowerCase(), f]));
    const wanted = [
      ...BASE_FIELDS,
      ...Object.values(options.fields).filter((v): v is string => typeof v === 'string'),
      ...(options.mqlDateField ? [options.mqlDateField] : []),
      ...(options.extraFields ?? []),
    ];
    const selected: string[] = [];
    const missing: string[] = [];
    for (const f of wanted) {
      const def = types.get(f.toLowerCase());
      if (!def) {
        if (!missing.includes(f)) missing.push(f);
      } else if (!selected.includes(def.name)) selected.push(def.name);
    }
    if (missing.length > 0)
      log?.warn({ missing }, 'Lead fields named by the config or the history rules do not exist; read without them');

    let mode: Mode;
    if (options.mqlDateField) {
      const def = types.get(options.mqlDateField.toLowerCase());
      if (!def || (def.type !== 'date' && def.type !== 'datetime')) {
        throw new ConnectorError('salesforce', {
          kind: 'invalid',
          reason: `source.mql.dateField ${options.mqlDateField} is not a date or dateTime field of Lead`,
        });
      }
      mode = { kind: 'date', field: def.name, type: def.type };
    } else {
      mode = { kind: 'created' };
      try {
        const probe = await counted(() => sf.query<SfRow>("SELECT Id FROM LeadHistory WHERE Field = 'Status' LIMIT 1"));
        if (probe.records.length > 0) mode = { kind: 'history' };
      } catch (err) {
        if (!(isConnectorError(err) && err.failure.kind === 'invalid')) throw err;
      }
      if (mode.kind === 'created')
        log?.warn({}, 'no MQL date field and no Status history: MQL times are the creation dates of the leads');
    }
    const evidence: MqlEvidence =
      mode.kind === 'date' ? 'mql-date' : mode.kind === 'history' ? 'status-history' : 'created-date';
    const timeField = mode.kind === 'date' ? mode.field : 'CreatedDate';
    const literal = (ms: Millis): string =>
      mode.kind === 'date' && mode.type === 'date' ? new Date(ms).toISOString().slice(0, 10) : soqlDateTime(ms);
    const cursorLiteral = (at: string): string =>
      mode.kind === 'date' && mode.type === 'date' ? at.slice(0, 10) : soqlDateTime(parseSalesforceTime(at));

    function episode(rec: SfRow, mqlAt: Millis): HistoryEpisode {
      const converted = rec['IsConverted'] === true;
      const convertedAt = converted ? parseLeadTime(rec['ConvertedDate']) : null;
      return {
        lead: leadOfRecord(
          rec,
          { fields: options.fields, selected, session },
          { mqlAt, modifiedAt: parseLeadTime(rec['SystemModstamp']) ?? mqlAt },
        ),
        outcomeAt: convertedAt,
        evidence,
        stillMql: rec['Status'] === options.mql.status && !converted,
      };
    }

    /** Every batch of one query, following nextRecordsUrl. */
    async function* batches(soql: string): AsyncGenerator<QueryPage<SfRow>> {
      let page: QueryPage<SfRow> = await counted(() => sf.query<SfRow>(soql));
      for (;;) {
        yield page;
        if (page.done || !page.nextRecordsUrl) return;
        signal?.throwIfAborted();
        const next = page.nextRecordsUrl;
        page = await counted(() => sf.queryMore<SfRow>(next));
      }
    }

    const rootObject = mode.kind === 'history' ? 'LeadHistory' : 'Lead';
    const selectList = mode.kind === 'history' ? 'Id, LeadId, NewValue, CreatedDate' : selected.join(', ');
    const criteria = [
      ...(mode.kind === 'history' ? ["Field = 'Status'"] : []),
      `${timeField} >= ${literal(range.from)}`,
      `${timeField} < ${literal(range.to)}`,
    ].join(' AND ');
    const resume = parseCursor(cursor);
    let after: string | null = resume
      ? `(${timeField} > ${cursorLiteral(resume.at)} OR (${timeField} = ${cursorLiteral(resume.at)} AND Id > ${soqlString(resume.id)}))`
      : null;
    let estimatedTotal: number | null = null;

    for (;;) {
      signal?.throwIfAborted();
      const soql = `SELECT ${selectList} FROM ${rootObject} WHERE ${criteria}${after ? ` AND ${after}` : ''} ORDER BY ${timeField} ASC, Id ASC${queryLimit === null ? '' : ` LIMIT ${queryLimit}`}`;
      let count = 0;
      let last: SfRow | null = null;
      for await (const batch of batches(soql)) {
        // The first query's size is the total (LeadHistory: all Status changes, an upper bound); capped by a LIMIT it is not.
        if (estimatedTotal === null && (queryLimit === null || batch.totalSize < queryLimit))
          estimatedTotal = batch.totalSize;
        const rows = batch.records;
        if (rows.length === 0) continue;
        count += rows.length;
        last = rows[rows.length - 1] as SfRow;
        const episodes =
          mode.kind === 'history'
            ? await leadsOfHistory(rows)
            : rows.map((r) => episode(r, parseLeadTime(value(r, timeField)) ?? range.from));
        const at = asText(value(last, timeField)) ?? '';
        yield { episodes, cursor: JSON.stringify({ at, id: last.Id } satisfies HistoryCursor), estimatedTotal, calls };
        if (signal?.aborted) return;
      }
      if (queryLimit === null || count < queryLimit || last === null) return;
      const t = cursorLiteral(asText(value(last, timeField)) ?? '');
      after = `(${timeField} > ${t} OR (${timeField} = ${t} AND Id > ${soqlString(last.Id)}))`;
      log?.debug({ after: last.Id }, 'query limit reached; continuing after the last record');
    }

    /** Status changes to the MQL status → episodes of the leads they belong to (deleted leads are left out). */
    async function leadsOfHistory(rows: SfRow[]): Promise<HistoryEpisode[]> {
      const changes = rows.filter((r) => r['NewValue'] === options.mql.status && typeof r['LeadId'] === 'string');
      const ids = [...new Set(changes.map((r) => r['LeadId'] as string))];
      const leads = new Map<string, SfRow>();
      for (const part of chunk(ids, idChunkSize)) {
        const soql = `SELECT ${selected.join(', ')} FROM Lead WHERE Id IN (${part.map(soqlString).join(', ')})`;
        for await (const batch of batches(soql)) for (const r of batch.records) leads.set(r.Id, r);
      }
      const out: HistoryEpisode[] = [];
      for (const change of changes) {
        const lead = leads.get(change['LeadId'] as string);
        const at = parseLeadTime(change['CreatedDate']);
        if (lead && at !== null) out.push(episode(lead, at));
      }
      return out;
    }
  }

  return { kind: 'salesforce', read };
}
