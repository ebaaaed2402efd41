// A local Salesforce for tests, benchmarks and `handoff demo`: the OAuth token endpoint (client credentials,
// username-password, JWT bearer), the REST query endpoint with nextRecordsUrl paging, sObject Collections
// writes with per-record SaveResults, Task creation, describe, limits with the Sforce-Limit-Info header and
// REQUEST_LIMIT_EXCEEDED, expiring tokens (INVALID_SESSION_ID) and a fault switch. Shapes follow
// reference/api-notes.md §3. A control API (in-process and under /__control) seeds and inspects the org.
import { createHmac, createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  compareForOrder,
  matches,
  parseSalesforceDateTime,
  parseSoql,
  SoqlFieldError,
  SoqlSyntaxError,
  validateQuery,
} from './salesforce.soql.js';
import type { FieldResolver, SfFieldType, SfValue, SoqlQuery } from './salesforce.soql.js';

export type { SfFieldType, SfValue } from './salesforce.soql.js';
export type SfRecord = Record<string, SfValue>;
export type EmulatedObject = 'Lead' | 'User' | 'Group' | 'Account' | 'Contact' | 'LeadStatus' | 'Task' | 'LeadHistory';

export interface EmulatorFieldDef {
  name: string;
  type: SfFieldType;
  label?: string;
  /** For picklists. */
  picklistValues?: string[];
  /** A restricted picklist refuses values outside picklistValues. */
  restricted?: boolean;
  updateable?: boolean;
  createable?: boolean;
  /** For reference fields: the objects an id may point at. */
  referenceTo?: EmulatedObject[];
  length?: number;
}

export interface SalesforceEmulatorClient {
  clientId: string;
  clientSecret: string;
  /** Users who may sign in through this client (password flow needs the password; JWT only the username). */
  users?: Array<{ username: string; password: string }>;
  /** PEM public key (certificate key) that verifies JWT bearer assertions signed for this client. */
  jwtPublicKey?: string;
}

export interface SalesforceEmulatorOptions {
  port?: number;
  host?: string;
  /** Highest API version served (requests for newer versions get 404). Default '62.0'. */
  apiVersion?: string;
  /** Access-token lifetime. Default 2 h. */
  tokenTtlMs?: number;
  /** DailyApiRequests allowance. Default 100,000. */
  dailyLimit?: number;
  /** Records per query batch before nextRecordsUrl paging. Default 2000 (Salesforce's maximum). */
  queryBatchSize?: number;
  clients: SalesforceEmulatorClient[];
  /** The emulator's clock. Default Date.now. */
  now?: () => number;
}

export interface CallCounts {
  /** Every request to the REST API (/services/data), whatever its answer. */
  api: number;
  /** Token requests (/services/oauth2/token). Salesforce does not count these against the API allowance. */
  token: number;
  /** Per endpoint, e.g. "GET query", "GET queryMore", "PATCH composite/sobjects". */
  byEndpoint: Record<string, number>;
}

export interface FaultSpec {
  /** How many of the next REST requests fail. */
  count: number;
  /** An HTTP status, or 'reset' to drop the connection without an answer. */
  status: 500 | 502 | 503 | 'reset';
  /** Only requests whose endpoint key (see CallCounts.byEndpoint) is listed; all when absent. */
  endpoints?: string[];
}

export type SeedRecord = Record<string, SfValue | undefined>;

export interface SalesforceEmulatorControl {
  seedLeads(leads: SeedRecord[]): SfRecord[];
  seedUsers(users: SeedRecord[]): SfRecord[];
  /** A lead queue (Group of type Queue, id prefix 00G). */
  seedQueue(name: string): SfRecord;
  seedAccounts(accounts: SeedRecord[]): SfRecord[];
  seedContacts(contacts: SeedRecord[]): SfRecord[];
  /** Changes a lead as a user or automation would: bumps LastModifiedDate and SystemModstamp. */
  updateLead(id: string, fields: SeedRecord): SfRecord;
  /**
   * Field history rows (LeadHistory, as field history tracking on Status writes them), e.g. a status change that
   * happened months ago: { LeadId, Field: 'Status', OldValue, NewValue, CreatedDate }. Status changes made through
   * updateLead or the API are tracked by themselves.
   */
  seedLeadHistory(rows: SeedRecord[]): SfRecord[];
  /** Deletes a lead (merged into another one when mergedInto is given); queryAll still sees it. */
  deleteLead(id: string, options?: { mergedInto?: string }): void;
  addLeadFields(fields: EmulatorFieldDef[]): void;
  addLeadStatus(apiName: string, options?: { converted?: boolean }): void;
  setObjectAccess(object: EmulatedObject, access: { updateable?: boolean; createable?: boolean }): void;
  record(object: EmulatedObject, id: string): SfRecord | null;
  records(object: EmulatedObject): SfRecord[];
  tasks(): SfRecord[];
  callCounts(): CallCounts;
  resetCallCounts(): void;
  setApiUsage(used: number, limit?: number): void;
  apiUsage(): { used: number; limit: number };
  expireTokens(): void;
  /** Lifetime of tokens issued from now on (0: they are refused on first use). */
  setTokenTtl(ms: number): void;
  setFault(fault: FaultSpec | null): void;
  /** The User that client-credentials tokens run as. */
  integrationUserId: string;
}

export interface SalesforceEmulator {
  url: string;
  control: SalesforceEmulatorControl;
  close(): Promise<void>;
}

// ---- schema --------------------------------------------------------------------------------------

const ID_PREFIX: Record<EmulatedObject, string> = {
  Lead: '00Q',
  User: '005',
  Group: '00G',
  Account: '001',
  Contact: '003',
  LeadStatus: '01J',
  Task: '00T',
  LeadHistory: '017',
};
const ORG_ID = '00D000000000001AAA';

const SYSTEM_FIELDS: EmulatorFieldDef[] = [
  { name: 'Id', type: 'id', updateable: false, createable: false },
  { name: 'IsDeleted', type: 'boolean', updateable: false, createable: false },
  { name: 'CreatedDate', type: 'datetime', updateable: false, createable: false },
  { name: 'CreatedById', type: 'reference', referenceTo: ['User'], updateable: false, createable: false },
  { name: 'LastModifiedDate', type: 'datetime', updateable: false, createable: false },
  { name: 'LastModifiedById', type: 'reference', referenceTo: ['User'], updateable: false, createable: false },
  { name: 'SystemModstamp', type: 'datetime', updateable: false, createable: false },
];

const STANDARD_FIELDS: Record<EmulatedObject, EmulatorFieldDef[]> = {
  Lead: [
    { name: 'FirstName', type: 'string', length: 40 },
    { name: 'LastName', type: 'string', length: 80 },
    { name: 'Email', type: 'email', length: 80 },
    { name: 'Company', type: 'string', length: 255 },
    { name: 'Title', type: 'string', length: 128 },
    { name: 'Country', type: 'string', length: 80 },
    { name: 'Phone', type: 'phone', length: 40 },
    { name: 'Website', type: 'url', length: 255 },
    { name: 'NumberOfEmployees', type: 'int' },
    {
      name: 'Industry',
      type: 'picklist',
      picklistValues: ['Agriculture', 'Banking', 'Education', 'Healthcare', 'Manufacturing', 'Retail', 'Technology'],
    },
    {
      name: 'LeadSource',
      type: 'picklist',
      picklistValues: ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'],
    },
    { name: 'Rating', type: 'picklist', picklistValues: ['Hot', 'Warm', 'Cold'] },
    { name: 'Status', type: 'picklist', restricted: true },
    { name: 'Description', type: 'textarea', length: 32000 },
    { name: 'OwnerId', type: 'reference', referenceTo: ['User', 'Group'] },
    { name: 'IsConverted', type: 'boolean', updateable: false, createable: false },
    { name: 'ConvertedDate', type: 'date', updateable: false, createable: false },
    { name: 'MasterRecordId', type: 'reference', referenceTo: ['Lead'], updateable: false, createable: false },
  ],
  User: [
    { name: 'Username', type: 'string', length: 80 },
    { name: 'Email', type: 'email', length: 128 },
    { name: 'FirstName', type: 'string', length: 40 },
    { name: 'LastName', type: 'string', length: 80 },
    { name: 'Name', type: 'string', updateable: false, createable: false },
    { name: 'IsActive', type: 'boolean' },
    { name: 'UserType', type: 'picklist', picklistValues: ['Standard', 'PowerPartner', 'CsnOnly'] },
  ],
  Group: [
    { name: 'Name', type: 'string', length: 40 },
    { name: 'Type', type: 'picklist', picklistValues: ['Queue', 'Regular'] },
  ],
  Account: [
    { name: 'Name', type: 'string', length: 255 },
    { name: 'Website', type: 'url', length: 255 },
    { name: 'Industry', type: 'picklist', picklistValues: [] },
    { name: 'NumberOfEmployees', type: 'int' },
    { name: 'OwnerId', type: 'reference', referenceTo: ['User'] },
  ],
  Contact: [
    { name: 'FirstName', type: 'string', length: 40 },
    { name: 'LastName', type: 'string', length: 80 },
    { name: 'Email', type: 'email', length: 80 },
    { name: 'Title', type: 'string', length: 128 },
    { name: 'AccountId', type: 'reference', referenceTo: ['Account'] },
    { name: 'OwnerId', type: 'reference', referenceTo: ['User'] },
  ],
  LeadStatus: [
    { name: 'ApiName', type: 'string', updateable: false },
    { name: 'MasterLabel', type: 'string', updateable: false },
    { name: 'IsConverted', type: 'boolean', updateable: false },
    { name: 'IsDefault', type: 'boolean', updateable: false },
    { name: 'SortOrder', type: 'int', updateable: false },
  ],
  Task: [
    { name: 'WhoId', type: 'reference', referenceTo: ['Lead', 'Contact'] },
    { name: 'WhatId', type: 'reference', referenceTo: ['Account'] },
    { name: 'Subject', type: 'string', length: 255 },
    { name: 'Description', type: 'textarea', length: 32000 },
    {
      name: 'Status',
      type: 'picklist',
      restricted: true,
      picklistValues: ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'],
    },
    { name: 'Priority', type: 'picklist', restricted: true, picklistValues: ['High', 'Normal', 'Low'] },
    { name: 'ActivityDate', type: 'date' },
    { name: 'OwnerId', type: 'reference', referenceTo: ['User'] },
  ],
  // Field history tracking; OldValue/NewValue are anyType in Salesforce (not filterable there either).
  LeadHistory: [
    { name: 'LeadId', type: 'reference', referenceTo: ['Lead'], updateable: false, createable: false },
    { name: 'Field', type: 'picklist', updateable: false, createable: false },
    { name: 'OldValue', type: 'string', updateable: false, createable: false },
    { name: 'NewValue', type: 'string', updateable: false, createable: false },
  ],
};

/** Relationship name → the reference field that holds the id (Account → AccountId, Owner → OwnerId). */
const RELATIONSHIPS: Record<EmulatedObject, Record<string, string>> = {
  Lead: { owner: 'OwnerId', createdby: 'CreatedById', lastmodifiedby: 'LastModifiedById' },
  User: {},
  Group: {},
  Account: { owner: 'OwnerId' },
  Contact: { account: 'AccountId', owner: 'OwnerId' },
  LeadStatus: {},
  Task: { who: 'WhoId', what: 'WhatId', owner: 'OwnerId' },
  LeadHistory: { lead: 'LeadId' },
};

const DEFAULT_LEAD_STATUSES: Array<{ name: string; converted: boolean; isDefault?: boolean }> = [
  { name: 'Open - Not Contacted', converted: false, isDefault: true },
  { name: 'Working - Contacted', converted: false },
  { name: 'Marketing Qualified', converted: false },
  { name: 'Closed - Converted', converted: true },
  { name: 'Closed - Not Converted', converted: false },
];

interface ObjectState {
  fields: Map<string, EmulatorFieldDef>; // lower-case name → def
  records: Map<string, SfRecord>;
  updateable: boolean;
  createable: boolean;
}

/** A failure Salesforce reports as an error array: [{ errorCode, message, fields? }]. */
class SfApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }
}

interface SaveError {
  statusCode: string;
  message: string;
  fields: string[];
}

interface TokenInfo {
  userId: string;
  clientId: string;
  expiresAt: number;
}

interface QueryCursor {
  rows: SfRecord[];
  expiresAt: number;
}

/** Salesforce's dateTime format: second precision (as stored), "+0000" offset. */
function sfDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('Z', '+0000');
}

function base64url(buf: Buffer | string): string {
  return Buffer.from(buf).toString('base64url');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startSalesforceEmulator(options: SalesforceEmulatorOptions): Promise<SalesforceEmulator> {
  const now = options.now ?? Date.now;
  const apiVersion = options.apiVersion ?? '62.0';
  let tokenTtlMs = options.tokenTtlMs ?? 2 * 60 * 60_000;
  const batchSize = options.queryBatchSize ?? 2000;
  let dailyLimit = options.dailyLimit ?? 100_000;
  let apiUsed = 0;
  let fault: FaultSpec | null = null;
  let counts: CallCounts = { api: 0, token: 0, byEndpoint: {} };
  let url = '';
  let idCounter = 0;
  let locatorCounter = 0;
  const tokens = new Map<string, TokenInfo>();
  const cursors = new Map<string, QueryCursor>();
  const jwtKeys = new Map<string, KeyObject>();
  for (const c of options.clients) if (c.jwtPublicKey) jwtKeys.set(c.clientId, createPublicKey(c.jwtPublicKey));

  const objects = new Map<EmulatedObject, ObjectState>();
  for (const name of Object.keys(STANDARD_FIELDS) as EmulatedObject[]) {
    const fields = new Map<string, EmulatorFieldDef>();
    for (const f of [...SYSTEM_FIELDS, ...STANDARD_FIELDS[name]]) fields.set(f.name.toLowerCase(), { ...f });
    objects.set(name, { fields, records: new Map(), updateable: true, createable: true });
  }
  const obj = (name: EmulatedObject): ObjectState => objects.get(name) as ObjectState;
  const objectByName = (name: string): EmulatedObject | null => {
    for (const k of objects.keys()) if (k.toLowerCase() === name.toLowerCase()) return k;
    return null;
  };
  const objectOfId = (id: string): EmulatedObject | null => {
    for (const [k, p] of Object.entries(ID_PREFIX) as Array<[EmulatedObject, string]>) if (id.startsWith(p)) return k;
    return null;
  };
  const newId = (name: EmulatedObject): string => {
    idCounter += 1;
    return `${ID_PREFIX[name]}${String(idCounter).padStart(12, '0')}AAA`;
  };
  const findRecord = (id: string | null | undefined): { object: EmulatedObject; record: SfRecord } | null => {
    if (typeof id !== 'string') return null;
    const o = objectOfId(id);
    if (o === null) return null;
    const r = obj(o).records.get(id);
    return r ? { object: o, record: r } : null;
  };

  function insert(name: EmulatedObject, seed: SeedRecord, actor: string | null): SfRecord {
    const t = sfDateTime(now());
    const rec: SfRecord = {};
    for (const f of obj(name).fields.values()) rec[f.name] = f.type === 'boolean' ? false : null;
    for (const [k, v] of Object.entries(seed)) {
      if (v === undefined) continue;
      const def = obj(name).fields.get(k.toLowerCase());
      if (!def) throw new Error(`emulator: ${name} has no field ${k}`);
      rec[def.name] = def.type === 'datetime' && typeof v === 'string' ? sfDateTime(parseSalesforceDateTime(v)) : v;
    }
    rec['Id'] = typeof seed['Id'] === 'string' ? seed['Id'] : newId(name);
    rec['CreatedDate'] ??= t;
    rec['LastModifiedDate'] ??= t;
    rec['SystemModstamp'] ??= rec['LastModifiedDate'];
    rec['CreatedById'] ??= actor;
    rec['LastModifiedById'] ??= actor;
    obj(name).records.set(rec['Id'] as string, rec);
    return rec;
  }

  // The org starts with an integration user (client-credentials "run as" user) and the lead statuses.
  const integrationUser = insert(
    'User',
    {
      Username: 'integration@emulator.invalid',
      Email: 'integration@emulator.invalid',
      FirstName: 'Integration',
      LastName: 'User',
      Name: 'Integration User',
      IsActive: true,
      UserType: 'Standard',
    },
    null,
  );
  const integrationUserId = integrationUser['Id'] as string;
  const addLeadStatus = (apiName: string, converted: boolean, isDefault = false): void => {
    const existing = [...obj('LeadStatus').records.values()].some((r) => r['ApiName'] === apiName);
    if (existing) return;
    insert(
      'LeadStatus',
      {
        ApiName: apiName,
        MasterLabel: apiName,
        IsConverted: converted,
        IsDefault: isDefault,
        SortOrder: obj('LeadStatus').records.size + 1,
      },
      integrationUserId,
    );
  };
  for (const s of DEFAULT_LEAD_STATUSES) addLeadStatus(s.name, s.converted, s.isDefault ?? false);
  const loginUsers = new Map<string, string>(); // username (lower) → User id
  for (const c of options.clients) {
    for (const u of c.users ?? []) {
      if (loginUsers.has(u.username.toLowerCase())) continue;
      const rec = insert(
        'User',
        {
          Username: u.username,
          Email: u.username,
          LastName: u.username,
          Name: u.username,
          IsActive: true,
          UserType: 'Standard',
        },
        integrationUserId,
      );
      loginUsers.set(u.username.toLowerCase(), rec['Id'] as string);
    }
  }

  const picklistValues = (name: EmulatedObject, def: EmulatorFieldDef): string[] => {
    if (name === 'Lead' && def.name === 'Status') {
      return [...obj('LeadStatus').records.values()].map((r) => String(r['ApiName']));
    }
    return def.picklistValues ?? [];
  };

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

  function runQuery(soql: string, ver: string, includeDeleted: boolean): Record<string, unknown> {
    let q: SoqlQuery;
    try {
      q = parseSoql(soql);
    } catch (err) {
      if (err instanceof SoqlSyntaxError) throw new SfApiError(400, 'MALFORMED_QUERY', err.message);
      throw err;
    }
    const root = objectByName(q.from);
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

  // ---- writes ----------------------------------------------------------------------------------

  function coerce(
    def: EmulatorFieldDef,
    value: unknown,
    object: EmulatedObject,
  ): { ok: true; value: SfValue } | { ok: false; error: SaveError } {
    const bad = (statusCode: string, message: string): { ok: false; error: SaveError } => ({
      ok: false,
      error: { statusCode, message, fields: [def.name] },
    });
    if (value === null || value === '') {
      if (def.type === 'boolean') return { ok: true, value: false };
      if (def.type === 'picklist' && def.restricted && def.name === 'Status')
        return bad(
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${def.name}: bad value for restricted picklist field: ${String(value)}`,
        );
      return { ok: true, value: null };
    }
    switch (def.type) {
      case 'boolean':
        if (typeof value === 'boolean') return { ok: true, value };
        if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
        return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type: ${String(value)}`);
      case 'int':
      case 'double':
      case 'currency':
      case 'percent': {
        const n =
          typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
        if (Number.isNaN(n) || (def.type === 'int' && !Number.isInteger(n)))
          return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type: ${String(value)}`);
        return { ok: true, value: n };
      }
      case 'datetime':
        try {
          return { ok: true, value: sfDateTime(parseSalesforceDateTime(String(value))) };
        } catch {
          return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type: ${String(value)}`);
        }
      case 'date':
        if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return { ok: true, value };
        return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type: ${String(value)}`);
      case 'picklist': {
        const s = String(value);
        if (def.restricted && !picklistValues(object, def).includes(s)) {
          return bad(
            'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
            `${def.name}: bad value for restricted picklist field: ${s}`,
          );
        }
        return { ok: true, value: s };
      }
      case 'reference':
      case 'id': {
        const s = String(value);
        const target = findRecord(s);
        if (!target || !(def.referenceTo ?? []).includes(target.object) || target.record['IsDeleted'] === true) {
          return bad('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`);
        }
        if (target.object === 'User' && target.record['IsActive'] !== true) {
          return bad('INACTIVE_OWNER_OR_USER', `operation performed with inactive user [${s}] as owner of ${object}`);
        }
        return { ok: true, value: s };
      }
      default: {
        const s =
          typeof value === 'string'
            ? value
            : typeof value === 'number' || typeof value === 'boolean'
              ? String(value)
              : null;
        if (s === null) return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type`);
        if (def.length !== undefined && s.length > def.length) {
          return bad(
            'STRING_TOO_LONG',
            `${def.name}: data value too large: ${s.slice(0, 40)} (max length=${def.length})`,
          );
        }
        return { ok: true, value: s };
      }
    }
  }

  /** Validates one record's fields; returns the coerced changes or the errors. */
  function prepare(
    object: EmulatedObject,
    input: Record<string, unknown>,
    mode: 'create' | 'update',
  ): { changes: SfRecord; errors: SaveError[] } {
    const changes: SfRecord = {};
    const errors: SaveError[] = [];
    for (const [key, value] of Object.entries(input)) {
      if (key === 'attributes' || (mode === 'update' && key.toLowerCase() === 'id')) continue;
      const def = obj(object).fields.get(key.toLowerCase());
      if (!def) {
        errors.push({
          statusCode: 'INVALID_FIELD',
          message: `No such column '${key}' on sobject of type ${object}`,
          fields: [key],
        });
        continue;
      }
      const allowed = mode === 'update' ? def.updateable !== false : def.createable !== false;
      if (!allowed) {
        errors.push({
          statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
          message: `Unable to create/update fields: ${def.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          fields: [def.name],
        });
        continue;
      }
      const c = coerce(def, value, object);
      if (c.ok) changes[def.name] = c.value;
      else errors.push(c.error);
    }
    return { changes, errors };
  }

  interface SaveOutcome {
    result: { id?: string; success: boolean; errors: SaveError[] };
    apply?: () => void;
  }

  function planUpdate(input: Record<string, unknown>, actor: string): SaveOutcome {
    const fail = (e: SaveError): SaveOutcome => ({ result: { success: false, errors: [e] } });
    const attrs = input['attributes'] as { type?: unknown } | undefined;
    const object = typeof attrs?.type === 'string' ? objectByName(attrs.type) : null;
    if (object === null)
      return fail({ statusCode: 'INVALID_TYPE', message: 'sObject type not given or not supported', fields: [] });
    const id = input['id'] ?? input['Id'];
    if (typeof id !== 'string' || id === '')
      return fail({ statusCode: 'MISSING_ARGUMENT', message: 'Id not specified in an update call', fields: [] });
    if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id) || objectOfId(id) !== object) {
      return fail({
        statusCode: 'MALFORMED_ID',
        message: `${object} ID: id value of incorrect type: ${id}`,
        fields: ['Id'],
      });
    }
    const rec = obj(object).records.get(id);
    if (!rec)
      return fail({ statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: [] });
    if (rec['IsDeleted'] === true)
      return fail({ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] });
    if (!obj(object).updateable) {
      return fail({
        statusCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
        message: 'insufficient access rights on object id',
        fields: [],
      });
    }
    const { changes, errors } = prepare(object, input, 'update');
    if (errors.length > 0) return { result: { success: false, errors } };
    return {
      result: { id, success: true, errors: [] },
      apply: () => {
        if (object === 'Lead') trackLeadStatus(rec, changes['Status'], actor);
        Object.assign(rec, changes);
        touch(rec, actor);
      },
    };
  }

  function planCreate(input: Record<string, unknown>, fallbackType: EmulatedObject | null, actor: string): SaveOutcome {
    const fail = (e: SaveError): SaveOutcome => ({ result: { success: false, errors: [e] } });
    const attrs = input['attributes'] as { type?: unknown } | undefined;
    const object = typeof attrs?.type === 'string' ? objectByName(attrs.type) : fallbackType;
    if (object === null)
      return fail({ statusCode: 'INVALID_TYPE', message: 'sObject type not given or not supported', fields: [] });
    if (input['id'] !== undefined || input['Id'] !== undefined) {
      return fail({ statusCode: 'INVALID_FIELD', message: 'cannot specify Id in an insert call', fields: ['Id'] });
    }
    if (!obj(object).createable) {
      return fail({
        statusCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
        message: `insufficient access rights to create ${object}`,
        fields: [],
      });
    }
    const { changes, errors } = prepare(object, input, 'create');
    if (object === 'Task' && changes['OwnerId'] === undefined) changes['OwnerId'] = actor;
    if (errors.length > 0) return { result: { success: false, errors } };
    const id = newId(object);
    return {
      result: { id, success: true, errors: [] },
      apply: () => {
        insert(object, { ...changes, Id: id }, actor);
      },
    };
  }

  /** Field history tracking on Lead.Status: a LeadHistory row per change. */
  function trackLeadStatus(rec: SfRecord, next: SfValue | undefined, actor: string | null): void {
    if (next === undefined || next === rec['Status']) return;
    insert(
      'LeadHistory',
      { LeadId: rec['Id'], Field: 'Status', OldValue: rec['Status'] ?? null, NewValue: next },
      actor,
    );
  }

  function touch(rec: SfRecord, actor: string | null): void {
    const t = sfDateTime(now());
    rec['LastModifiedDate'] = t;
    rec['SystemModstamp'] = t;
    if (actor !== null) rec['LastModifiedById'] = actor;
  }

  function runCollection(outcomes: SaveOutcome[], allOrNone: boolean): SaveOutcome['result'][] {
    const anyFailed = outcomes.some((o) => !o.result.success);
    if (allOrNone && anyFailed) {
      return outcomes.map((o) =>
        o.result.success
          ? {
              success: false,
              errors: [
                {
                  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                  message:
                    'Record rolled back because not all records were valid and the request was using AllOrNone header',
                  fields: [],
                },
              ],
            }
          : o.result,
      );
    }
    for (const o of outcomes) o.apply?.();
    return outcomes.map((o) => o.result);
  }

  // ---- describe & limits -----------------------------------------------------------------------

  function describe(object: EmulatedObject): Record<string, unknown> {
    const state = obj(object);
    return {
      name: object,
      label: object,
      custom: false,
      queryable: true,
      createable: state.createable,
      updateable: state.updateable,
      deletable: state.updateable,
      fields: [...state.fields.values()].map((f) => {
        const updateable = state.updateable && f.updateable !== false;
        return {
          name: f.name,
          label: f.label ?? f.name,
          type: f.type,
          custom: f.name.endsWith('__c'),
          length: f.length ?? 0,
          nillable: f.name !== 'Id' && f.name !== 'LastName',
          updateable,
          createable: state.createable && f.createable !== false,
          restrictedPicklist: f.restricted === true,
          referenceTo: f.referenceTo ?? [],
          picklistValues:
            f.type === 'picklist'
              ? picklistValues(object, f).map((v) => ({ value: v, label: v, active: true, defaultValue: false }))
              : [],
        };
      }),
    };
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(text ? { 'content-type': 'application/json;charset=UTF-8' } : {}), ...headers });
    res.end(text);
  };
  const limitHeader = (): Record<string, string> => ({ 'Sforce-Limit-Info': `api-usage=${apiUsed}/${dailyLimit}` });
  const bump = (key: string): void => {
    counts.byEndpoint[key] = (counts.byEndpoint[key] ?? 0) + 1;
  };

  function issueToken(clientId: string, userId: string, secret: string): Record<string, unknown> {
    const accessToken = `${ORG_ID}!${base64url(randomBytes(24))}`;
    tokens.set(accessToken, { userId, clientId, expiresAt: now() + tokenTtlMs });
    const issuedAt = String(now());
    const id = `${url}/id/${ORG_ID}/${userId}`;
    return {
      access_token: accessToken,
      instance_url: url,
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
      signature: createHmac('sha256', secret)
        .update(id + issuedAt)
        .digest('base64'),
      scope: 'api',
    };
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counts.token += 1;
    bump('POST oauth2/token');
    const params = new URLSearchParams(await readBody(req));
    const oauthError = (status: number, error: string, description: string): void =>
      json(res, status, { error, error_description: description });
    const grant = params.get('grant_type');
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const assertion = params.get('assertion') ?? '';
      const parts = assertion.split('.');
      if (parts.length !== 3) return oauthError(400, 'invalid_grant', 'invalid assertion');
      const [h, p, s] = parts as [string, string, string];
      let header: Record<string, unknown>;
      let claims: Record<string, unknown>;
      try {
        header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
        claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
      } catch {
        return oauthError(400, 'invalid_grant', 'invalid assertion');
      }
      const client = options.clients.find((c) => c.clientId === claims['iss']);
      if (!client) return oauthError(400, 'invalid_client_id', 'client identifier invalid');
      const key = jwtKeys.get(client.clientId);
      if (header['alg'] !== 'RS256' || !key) return oauthError(400, 'invalid_grant', 'invalid assertion');
      const valid = verifySignature('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
      if (!valid) return oauthError(400, 'invalid_grant', 'invalid assertion');
      const aud = String(claims['aud'] ?? '').replace(/\/$/, '');
      if (aud !== url) return oauthError(400, 'invalid_grant', 'audience is invalid');
      const exp = claims['exp'];
      if (typeof exp !== 'number' || exp * 1000 <= now())
        return oauthError(400, 'invalid_grant', 'expired authorization code');
      const username = String(claims['sub'] ?? '');
      const allowed = (client.users ?? []).some((u) => u.username.toLowerCase() === username.toLowerCase());
      const userId = loginUsers.get(username.toLowerCase());
      if (!allowed || userId === undefined)
        return oauthError(400, 'invalid_grant', "user hasn't approved this consumer");
      return json(res, 200, issueToken(client.clientId, userId, client.clientSecret));
    }
    const client = options.clients.find((c) => c.clientId === params.get('client_id'));
    if (!client) return oauthError(400, 'invalid_client_id', 'client identifier invalid');
    if (client.clientSecret !== params.get('client_secret'))
      return oauthError(400, 'invalid_client', 'invalid client credentials');
    if (grant === 'client_credentials')
      return json(res, 200, issueToken(client.clientId, integrationUserId, client.clientSecret));
    if (grant === 'password') {
      const username = params.get('username') ?? '';
      const user = (client.users ?? []).find((u) => u.username.toLowerCase() === username.toLowerCase());
      const userId = loginUsers.get(username.toLowerCase());
      if (!user || user.password !== params.get('password') || userId === undefined) {
        return oauthError(400, 'invalid_grant', 'authentication failure');
      }
      return json(res, 200, issueToken(client.clientId, userId, client.clientSecret));
    }
    return oauthError(400, 'unsupported_grant_type', 'grant type not supported');
  }

  function endpointKey(method: string, rest: string): string {
    if (rest.startsWith('query/')) return 'GET queryMore';
    if (rest.startsWith('queryAll/')) return 'GET queryMore';
    if (rest === 'query' || rest === 'queryAll') return `GET ${rest}`;
    const describeMatch = /^sobjects\/([^/]+)\/describe$/.exec(rest);
    if (describeMatch) return `GET sobjects/${describeMatch[1]}/describe`;
    const sobjectMatch = /^sobjects\/([^/]+)(\/[^/]+)?$/.exec(rest);
    if (sobjectMatch) return `${method} sobjects/${sobjectMatch[1]}${sobjectMatch[2] ? '/{id}' : ''}`;
    return `${method} ${rest}`;
  }

  async function handleRest(
    req: IncomingMessage,
    res: ServerResponse,
    ver: string,
    rest: string,
    search: URLSearchParams,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const key = endpointKey(method, rest);
    counts.api += 1;
    bump(key);
    if (fault && fault.count > 0 && (fault.endpoints === undefined || fault.endpoints.includes(key))) {
      fault.count -= 1;
      const status = fault.status;
      if (fault.count <= 0) fault = null;
      if (status === 'reset') {
        req.socket.destroy();
        return;
      }
      const code = status === 503 ? 'SERVER_UNAVAILABLE' : 'UNKNOWN_EXCEPTION';
      return json(res, status, [{ errorCode: code, message: `emulated fault (${status})` }], limitHeader());
    }
    if (Number(ver) > Number(apiVersion)) {
      return json(
        res,
        404,
        [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }],
        limitHeader(),
      );
    }
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? tokens.get(auth.slice(7)) : undefined;
    if (!token || token.expiresAt <= now()) {
      return json(
        res,
        401,
        [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }],
        limitHeader(),
      );
    }
    if (apiUsed >= dailyLimit) {
      return json(
        res,
        403,
        [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
        limitHeader(),
      );
    }
    apiUsed += 1;
    const actor = token.userId;
    const raw = method === 'GET' ? '' : await readBody(req);
    let body: unknown = undefined;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        throw new SfApiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
      }
    }

    if (method === 'GET' && (rest === 'query' || rest === 'queryAll')) {
      const soql = search.get('q');
      if (!soql) throw new SfApiError(400, 'MALFORMED_QUERY', 'no query given');
      return json(res, 200, runQuery(soql, ver, rest === 'queryAll'), limitHeader());
    }
    const more = /^(?:query|queryAll)\/([A-Za-z0-9]+)-(\d+)$/.exec(rest);
    if (method === 'GET' && more) {
      const locator = more[1] as string;
      const cursor = cursors.get(locator);
      if (!cursor || cursor.expiresAt <= now())
        throw new SfApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      return json(res, 200, page(cursor.rows, Number(more[2]), ver, locator), limitHeader());
    }
    if (rest === 'composite/sobjects' && (method === 'PATCH' || method === 'POST')) {
      const b = body as { allOrNone?: unknown; records?: unknown } | undefined;
      if (!b || !Array.isArray(b.records)) throw new SfApiError(400, 'JSON_PARSER_ERROR', 'records must be an array');
      if (b.records.length > 200) {
        throw new SfApiError(
          400,
          'EXCEEDED_ID_LIMIT',
          'record limit reached. cannot submit more than 200 records into this call',
        );
      }
      const outcomes = (b.records as Array<Record<string, unknown>>).map((r) =>
        method === 'PATCH' ? planUpdate(r, actor) : planCreate(r, null, actor),
      );
      return json(res, 200, runCollection(outcomes, b.allOrNone === true), limitHeader());
    }
    const create = /^sobjects\/([^/]+)$/.exec(rest);
    if (method === 'POST' && create) {
      const object = objectByName(create[1] as string);
      if (object === null) throw new SfApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      const outcome = planCreate((body ?? {}) as Record<string, unknown>, object, actor);
      if (!outcome.result.success) {
        return json(
          res,
          400,
          outcome.result.errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })),
          limitHeader(),
        );
      }
      outcome.apply?.();
      return json(res, 201, outcome.result, limitHeader());
    }
    const describeMatch = /^sobjects\/([^/]+)\/describe$/.exec(rest);
    if (method === 'GET' && describeMatch) {
      const object = objectByName(describeMatch[1] as string);
      if (object === null) throw new SfApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      return json(res, 200, describe(object), limitHeader());
    }
    if (method === 'GET' && rest === 'limits') {
      return json(
        res,
        200,
        { DailyApiRequests: { Max: dailyLimit, Remaining: Math.max(0, dailyLimit - apiUsed) } },
        limitHeader(),
      );
    }
    throw new SfApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  // ---- control -----------------------------------------------------------------------------------

  const seed = (object: EmulatedObject, rows: SeedRecord[], defaults: SeedRecord): SfRecord[] =>
    rows.map((r) => ({ ...insert(object, { ...defaults, ...r }, integrationUserId) }));

  const control: SalesforceEmulatorControl = {
    integrationUserId,
    seedLeads: (rows) =>
      seed('Lead', rows, { Status: 'Open - Not Contacted', IsConverted: false, OwnerId: integrationUserId }),
    seedUsers: (rows) =>
      rows.map((r) => {
        const name = [r['FirstName'], r['LastName']].filter((x) => typeof x === 'string').join(' ');
        return {
          ...insert(
            'User',
            { IsActive: true, UserType: 'Standard', Username: r['Email'], Name: name || null, ...r },
            integrationUserId,
          ),
        };
      }),
    seedQueue: (name) => ({ ...insert('Group', { Name: name, Type: 'Queue' }, integrationUserId) }),
    seedAccounts: (rows) => seed('Account', rows, { OwnerId: integrationUserId }),
    seedContacts: (rows) => seed('Contact', rows, { OwnerId: integrationUserId }),
    updateLead(id, fields) {
      const rec = obj('Lead').records.get(id);
      if (!rec) throw new Error(`emulator: no lead ${id}`);
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        const def = obj('Lead').fields.get(k.toLowerCase());
        if (!def) throw new Error(`emulator: Lead has no field ${k}`);
        if (def.name === 'Status') trackLeadStatus(rec, v, integrationUserId);
        rec[def.name] = v;
      }
      touch(rec, integrationUserId);
      return { ...rec };
    },
    seedLeadHistory: (rows) => seed('LeadHistory', rows, { Field: 'Status' }),
    deleteLead(id, opts) {
      const rec = obj('Lead').records.get(id);
      if (!rec) throw new Error(`emulator: no lead ${id}`);
      rec['IsDeleted'] = true;
      if (opts?.mergedInto) rec['MasterRecordId'] = opts.mergedInto;
      touch(rec, integrationUserId);
    },
    addLeadFields(fields) {
      for (const f of fields) obj('Lead').fields.set(f.name.toLowerCase(), { ...f });
      for (const rec of obj('Lead').records.values())
        for (const f of fields) rec[f.name] ??= f.type === 'boolean' ? false : null;
    },
    addLeadStatus: (apiName, opts) => addLeadStatus(apiName, opts?.converted ?? false),
    setObjectAccess(object, access) {
      const state = obj(object);
      if (access.updateable !== undefined) state.updateable = access.updateable;
      if (access.createable !== undefined) state.createable = access.createable;
    },
    record: (object, id) => {
      const r = obj(object).records.get(id);
      return r ? { ...r } : null;
    },
    records: (object) => [...obj(object).records.values()].map((r) => ({ ...r })),
    tasks: () => [...obj('Task').records.values()].map((r) => ({ ...r })),
    callCounts: () => ({ api: counts.api, token: counts.token, byEndpoint: { ...counts.byEndpoint } }),
    resetCallCounts: () => {
      counts = { api: 0, token: 0, byEndpoint: {} };
    },
    setApiUsage(used, limit) {
      apiUsed = used;
      if (limit !== undefined) dailyLimit = limit;
    },
    apiUsage: () => ({ used: apiUsed, limit: dailyLimit }),
    expireTokens() {
      for (const t of tokens.values()) t.expiresAt = 0;
    },
    setTokenTtl(ms) {
      tokenTtlMs = ms;
    },
    setFault(f) {
      fault = f && f.count > 0 ? { ...f } : null;
    },
  };

  async function handleControl(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    search: URLSearchParams,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const raw = method === 'GET' ? '' : await readBody(req);
    const body = (raw === '' ? {} : JSON.parse(raw)) as Record<string, unknown>;
    const list = (k: string): SeedRecord[] => (Array.isArray(body[k]) ? (body[k] as SeedRecord[]) : []);
    if (method === 'POST' && path === 'seed') {
      return json(res, 200, {
        users: control.seedUsers(list('users')),
        accounts: control.seedAccounts(list('accounts')),
        contacts: control.seedContacts(list('contacts')),
        leads: control.seedLeads(list('leads')),
      });
    }
    const leadMatch = /^leads\/([A-Za-z0-9]+)$/.exec(path);
    if (method === 'POST' && leadMatch)
      return json(res, 200, control.updateLead(leadMatch[1] as string, body as SeedRecord));
    const recordsMatch = /^records\/([A-Za-z]+)$/.exec(path);
    if (method === 'GET' && recordsMatch) {
      const object = objectByName(recordsMatch[1] as string);
      if (object === null) return json(res, 404, { error: 'unknown object' });
      const id = search.get('id');
      return json(res, 200, id ? control.record(object, id) : control.records(object));
    }
    if (method === 'GET' && path === 'tasks') return json(res, 200, control.tasks());
    if (method === 'GET' && path === 'calls') return json(res, 200, control.callCounts());
    if (method === 'POST' && path === 'calls/reset') {
      control.resetCallCounts();
      return json(res, 204, undefined);
    }
    if (method === 'POST' && path === 'api-usage') {
      control.setApiUsage(Number(body['used']), body['limit'] === undefined ? undefined : Number(body['limit']));
      return json(res, 200, control.apiUsage());
    }
    if (method === 'POST' && path === 'expire-tokens') {
      control.expireTokens();
      return json(res, 204, undefined);
    }
    if (method === 'POST' && path === 'fault') {
      control.setFault(body['count'] ? (body as unknown as FaultSpec) : null);
      return json(res, 204, undefined);
    }
    return json(res, 404, { error: 'unknown control endpoint' });
  }

  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = u.pathname;
    const handle = async (): Promise<void> => {
      if (path === '/services/oauth2/token' && req.method === 'POST') return handleToken(req, res);
      const rest = /^\/services\/data\/v(\d+\.\d)\/(.*)$/.exec(path);
      if (rest) return handleRest(req, res, rest[1] as string, (rest[2] as string).replace(/\/$/, ''), u.searchParams);
      if (path.startsWith('/__control/'))
        return handleControl(req, res, path.slice('/__control/'.length), u.searchParams);
      json(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    };
    handle().catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof SfApiError) {
        const e: Record<string, unknown> = { message: err.message, errorCode: err.errorCode };
        if (err.fields) e['fields'] = err.fields;
        json(res, err.status, [e], path.startsWith('/services/data/') ? limitHeader() : {});
        return;
      }
      json(res, 500, [{ errorCode: 'UNKNOWN_EXCEPTION', message: err instanceof Error ? err.message : String(err) }]);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  url = `http://${options.host ?? '127.0.0.1'}:${addr.port}`;

  return {
    url,
    control,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
