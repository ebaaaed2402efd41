// The control API tests, benchmarks and the demo drive the org with: seeds, changes made "by a user", reads of
// what the connector wrote, call counts and usage, expired tokens and faults. In process (SalesforceEmulator
// .control) and over HTTP under /__control/.
import type { Answer } from './http.js';
import type { FaultSpec, Limits, CallCounts } from './limits.js';
import type { OAuth } from './oauth.js';
import type { EmulatedObject, EmulatorFieldDef, SeedRecord, SfRecord } from './schema.js';
import type { Org } from './state.js';

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

export function createControl(org: Org, limits: Limits, oauth: OAuth): SalesforceEmulatorControl {
  const { obj, insert, touch, integrationUserId } = org;
  const seed = (object: EmulatedObject, rows: SeedRecord[], defaults: SeedRecord): SfRecord[] =>
    rows.map((r) => ({ ...insert(object, { ...defaults, ...r }, integrationUserId) }));

  return {
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
        if (def.name === 'Status') org.trackLeadStatus(rec, v, integrationUserId);
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
    addLeadStatus: (apiName, opts) => org.addLeadStatus(apiName, opts?.converted ?? false),
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
    callCounts: limits.callCounts,
    resetCallCounts: limits.resetCallCounts,
    setApiUsage: limits.setApiUsage,
    apiUsage: limits.apiUsage,
    expireTokens: oauth.expireTokens,
    setTokenTtl: oauth.setTokenTtl,
    setFault: limits.setFault,
  };
}

/** One /__control/ request: the path after the prefix, its query and its JSON body ({} when there is none). */
export function controlRequest(
  control: SalesforceEmulatorControl,
  org: Org,
  request: { method: string; path: string; search: URLSearchParams; body: Record<string, unknown> },
): Answer {
  const { method, path, search, body } = request;
  const list = (k: string): SeedRecord[] => (Array.isArray(body[k]) ? (body[k] as SeedRecord[]) : []);
  if (method === 'POST' && path === 'seed') {
    return {
      status: 200,
      body: {
        users: control.seedUsers(list('users')),
        accounts: control.seedAccounts(list('accounts')),
        contacts: control.seedContacts(list('contacts')),
        leads: control.seedLeads(list('leads')),
      },
    };
  }
  const leadMatch = /^leads\/([A-Za-z0-9]+)$/.exec(path);
  if (method === 'POST' && leadMatch)
    return { status: 200, body: control.updateLead(leadMatch[1] as string, body as SeedRecord) };
  const recordsMatch = /^records\/([A-Za-z]+)$/.exec(path);
  if (method === 'GET' && recordsMatch) {
    const object = org.objectByName(recordsMatch[1] as string);
    if (object === null) return { status: 404, body: { error: 'unknown object' } };
    const id = search.get('id');
    return { status: 200, body: id ? control.record(object, id) : control.records(object) };
  }
  if (method === 'GET' && path === 'tasks') return { status: 200, body: control.tasks() };
  if (method === 'GET' && path === 'calls') return { status: 200, body: control.callCounts() };
  if (method === 'POST' && path === 'calls/reset') {
    control.resetCallCounts();
    return { status: 204, body: undefined };
  }
  if (method === 'POST' && path === 'api-usage') {
    control.setApiUsage(Number(body['used']), body['limit'] === undefined ? undefined : Number(body['limit']));
    return { status: 200, body: control.apiUsage() };
  }
  if (method === 'POST' && path === 'expire-tokens') {
    control.expireTokens();
    return { status: 204, body: undefined };
  }
  if (method === 'POST' && path === 'fault') {
    control.setFault(body['count'] ? (body as unknown as FaultSpec) : null);
    return { status: 204, body: undefined };
  }
  return { status: 404, body: { error: 'unknown control endpoint' } };
}
