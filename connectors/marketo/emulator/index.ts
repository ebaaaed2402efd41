// A local Marketo for tests, benchmarks and `handoff demo --source marketo`: the identity endpoint (client
// credentials, tokens that expire), the REST lead database (Get Paging Token, Get Lead Activities with
// nextPageToken/moreResult over at most 300 activities a call, Get Leads by id or email, Sync Leads, Describe
// Lead, activity types, usage stats), the API user's role permissions (603), and the limits with Marketo's own
// codes: 100 calls per 20 s (606), the daily quota (607), 10 concurrent calls (615), and HTTP 414 for a URI
// over 8 KB. Errors come the Marketo way: HTTP 200 with success false and errors [{ code, message }], record
// errors in result[].reasons. An in-process control API seeds leads, changes scores (logging activities) and
// inspects calls.
import { randomUUID } from 'node:crypto';
import { listenLocal } from '../../../src/runtime/local-server.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../../../src/runtime/read-body.js';
import {
  ACTIVITY_TYPES,
  activityJson,
  createInstance,
  createLead,
  decodeToken,
  encodeToken,
  fieldOf,
  indexSince,
  isoSecond,
  projectLead,
  setField,
} from './state.js';
import type { EmulatedActivity, EmulatedField, EmulatedPermissions, MarketoLeadRecord, MarketoValue } from './state.js';

export type { EmulatedActivity, EmulatedField, EmulatedPermissions, MarketoLeadRecord, MarketoValue } from './state.js';

export interface MarketoEmulatorClient {
  clientId: string;
  clientSecret: string;
}

export interface MarketoEmulatorOptions {
  port?: number;
  host?: string;
  clients: MarketoEmulatorClient[];
  /** Access-token lifetime in seconds. Default 3600. */
  tokenTtlSeconds?: number;
  /** Calls per day. Default 50,000. */
  dailyQuota?: number;
  /** Calls per rolling 20 s. Default 100. */
  ratePer20s?: number;
  /** Calls in flight at once. Default 10. */
  concurrency?: number;
  /** Activities looked at per Get Lead Activities call. Default 300. */
  activityScan?: number;
  /** Added to every answer (tests of concurrency). Default 0. */
  latencyMs?: number;
  now?: () => number;
}

export interface MarketoCallCounts {
  /** REST calls that were executed (and counted against the quota). */
  rest: number;
  /** Identity (token) calls. */
  identity: number;
  /** REST calls refused with a response-level error (not counted by Marketo). */
  refused: number;
  byEndpoint: Record<string, number>;
  /** Refusals by error code, e.g. { '606': 3 }. */
  byError: Record<string, number>;
}

export interface MarketoFault {
  /** The response-level code to answer with, e.g. '606', '615', '604', '608', '611', or 'reset' to drop the socket. */
  code: string;
  /** How many of the next matching calls fail. */
  count: number;
  /** Only these endpoints (keys of MarketoCallCounts.byEndpoint); all REST calls when absent. */
  endpoints?: string[];
}

export interface MarketoEmulatorControl {
  createLead(values: Record<string, MarketoValue>): MarketoLeadRecord;
  createLeads(values: Array<Record<string, MarketoValue>>): MarketoLeadRecord[];
  /** Changes fields the way a campaign would, logging Change Score / Change Data Value activities. */
  updateLead(id: number, values: Record<string, MarketoValue>, reason?: string): MarketoLeadRecord;
  lead(id: number): MarketoLeadRecord | undefined;
  leads(): MarketoLeadRecord[];
  activities(): EmulatedActivity[];
  /** Adds a custom lead field (Admin > Field Management). */
  defineField(field: EmulatedField): void;
  fields(): EmulatedField[];
  setPermissions(p: Partial<EmulatedPermissions>): void;
  fault(f: MarketoFault | null): void;
  /** Calls of the day so far (the quota counter). */
  setDailyUsed(n: number): void;
  dailyUsed(): number;
  callCounts(): MarketoCallCounts;
  resetCallCounts(): void;
  /** Every access token stops working (as if they expired). */
  expireTokens(): void;
  /** How many Sync Leads records updated this lead. */
  updatesOf(id: number): number;
  /** The most calls that were ever in flight at once. */
  peakConcurrency(): number;
}

export interface MarketoEmulator {
  url: string;
  control: MarketoEmulatorControl;
  close(): Promise<void>;
}

const MAX_IDS = 300;
const MAX_SYNC = 300;
const WINDOW_MS = 20_000;

function endpointKey(method: string, path: string): string {
  return `${method} ${path.replace(/^\/rest\/v1\//, '').replace(/\.json$/, '')}`;
}

class MarketoRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startMarketoEmulator(options: MarketoEmulatorOptions): Promise<MarketoEmulator> {
  const now = options.now ?? Date.now;
  const m = createInstance(now);
  const ttlMs = (options.tokenTtlSeconds ?? 3600) * 1000;
  const dailyQuota = options.dailyQuota ?? 50_000;
  const ratePer20s = options.ratePer20s ?? 100;
  const concurrency = options.concurrency ?? 10;
  const scan = options.activityScan ?? 300;
  const tokens = new Map<string, { clientId: string; expiresAt: number }>();
  const current = new Map<string, string>();
  let window: number[] = [];
  let inFlight = 0;
  let peak = 0;
  let dailyUsed = 0;
  let fault: MarketoFault | null = null;
  let counts: MarketoCallCounts = { rest: 0, identity: 0, refused: 0, byEndpoint: {}, byError: {} };
  const updates = new Map<number, number>();

  const envelope = (extra: Record<string, unknown>): Record<string, unknown> => ({
    requestId: `${randomUUID().slice(0, 4)}#${now().toString(16)}`,
    success: true,
    ...extra,
  });

  function send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
    res.end(text);
  }

  function identity(req: IncomingMessage, url: URL, res: ServerResponse, form: URLSearchParams): void {
    counts.identity += 1;
    const param = (k: string): string | null => url.searchParams.get(k) ?? form.get(k);
    const client = options.clients.find(
      (c) => c.clientId === param('client_id') && c.clientSecret === param('client_secret'),
    );
    if (param('grant_type') !== 'client_credentials') {
      send(res, 400, { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' });
      return;
    }
    if (!client) {
      send(res, 401, { error: 'invalid_client', error_description: 'Bad client credentials' });
      return;
    }
    // Marketo hands out the same token until it expires, with the time it has left.
    const existing = current.get(client.clientId);
    const held = existing ? tokens.get(existing) : undefined;
    let token = existing;
    let expiresAt = held?.expiresAt ?? 0;
    if (!token || !held || expiresAt <= now()) {
      token = `${randomUUID()}:ab`;
      expiresAt = now() + ttlMs;
      tokens.set(token, { clientId: client.clientId, expiresAt });
      current.set(client.clientId, token);
    }
    send(res, 200, {
      access_token: token,
      token_type: 'bearer',
      expires_in: Math.max(0, Math.floor((expiresAt - now()) / 1000)),
      scope: 'handoff-api@example.com',
    });
  }

  function authorize(req: IncomingMessage, url: URL): void {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1] ?? url.searchParams.get('access_token');
    if (!token) throw new MarketoRefusal('600', 'Access token not specified');
    const t = tokens.get(token);
    if (!t) throw new MarketoRefusal('601', 'Access token invalid');
    if (t.expiresAt <= now()) throw new MarketoRefusal('602', 'Access token expired');
  }

  function admit(key: string): void {
    const at = now();
    window = window.filter((t) => t > at - WINDOW_MS);
    if (window.length >= ratePer20s)
      throw new MarketoRefusal('606', `Max rate limit '${ratePer20s}' exceeded with in '20' secs`);
    if (dailyUsed >= dailyQuota) throw new MarketoRefusal('607', 'Daily quota reached');
    if (inFlight > concurrency) throw new MarketoRefusal('615', 'Concurrent access limit reached');
    window.push(at);
    dailyUsed += 1;
    counts.rest += 1;
    counts.byEndpoint[key] = (counts.byEndpoint[key] ?? 0) + 1;
  }

  function need(p: keyof EmulatedPermissions): void {
    if (!m.permissions[p]) throw new MarketoRefusal('603', 'Access denied');
  }

  function splitList(v: string | null): string[] {
    return (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  function requestedFields(param: string | null): EmulatedField[] {
    const names = splitList(param);
    const list = names.length > 0 ? names : ['email', 'firstName', 'lastName', 'updatedAt', 'createdAt'];
    return list.map((n) => {
      const f = fieldOf(m, n);
      if (!f) throw new MarketoRefusal('1006', `Field '${n}' not found`);
      return f;
    });
  }

  function pagingToken(url: URL): Record<string, unknown> {
    need('readActivity');
    const since = url.searchParams.get('sinceDatetime');
    const at = since ? Date.parse(since) : NaN;
    if (!since || !Number.isFinite(at)) throw new MarketoRefusal('1003', 'Invalid value for sinceDatetime');
    return envelope({ nextPageToken: encodeToken(indexSince(m, at)) });
  }

  function activities(url: URL): Record<string, unknown> {
    need('readActivity');
    const token = url.searchParams.get('nextPageToken');
    if (!token) throw new MarketoRefusal('701', 'nextPageToken cannot be blank');
    const start = decodeToken(token);
    if (start === null) throw new MarketoRefusal('1003', 'Invalid nextPageToken');
    const types = splitList(url.searchParams.get('activityTypeIds')).map(Number);
    if (types.length === 0) throw new MarketoRefusal('701', 'activityTypeIds cannot be blank');
    if (types.length > 10) throw new MarketoRefusal('1003', 'Too many activityTypeIds (max 10)');
    const leadIds = new Set(splitList(url.searchParams.get('leadIds')).map(Number));
    const batch = Math.min(300, Number(url.searchParams.get('batchSize') ?? 300) || 300);
    const out: Record<string, unknown>[] = [];
    let i = start;
    // Marketo looks at up to `scan` activities of any type per call and returns the matching ones.
    const end = Math.min(m.activities.length, start + scan);
    for (; i < end && out.length < batch; i++) {
      const a = m.activities[i] as EmulatedActivity;
      if (!types.includes(a.activityTypeId)) continue;
      if (leadIds.size > 0 && !leadIds.has(a.leadId)) continue;
      out.push(activityJson(a));
    }
    return envelope({
      nextPageToken: encodeToken(i),
      moreResult: i < m.activities.length,
      ...(out.length > 0 ? { result: out } : {}),
    });
  }

  function getLeads(url: URL): Record<string, unknown> {
    need('readLead');
    const filterType = url.searchParams.get('filterType');
    const values = splitList(url.searchParams.get('filterValues'));
    if (!filterType) throw new MarketoRefusal('701', 'filterType cannot be blank');
    if (values.length === 0) throw new MarketoRefusal('701', 'filterValues cannot be blank');
    if (values.length > MAX_IDS) throw new MarketoRefusal('1003', `Too many filterValues (max ${MAX_IDS})`);
    const fields = requestedFields(url.searchParams.get('fields'));
    let found: MarketoLeadRecord[];
    if (filterType === 'id') {
      found = values.map((v) => m.leads.get(Number(v))).filter((l): l is MarketoLeadRecord => l !== undefined);
    } else {
      const f = fieldOf(m, filterType);
      if (!f) throw new MarketoRefusal('1011', `Field '${filterType}' not supported`);
      const wanted = new Set(values.map((v) => v.toLowerCase()));
      found = [...m.leads.values()].filter((l) => wanted.has(String(l[f.name] ?? '').toLowerCase()));
    }
    return envelope({ result: found.map((l) => projectLead(l, fields)) });
  }

  function syncLeads(body: unknown): Record<string, unknown> {
    need('writeLead');
    const b = (body ?? {}) as { action?: unknown; lookupField?: unknown; input?: unknown };
    const action = typeof b.action === 'string' ? b.action : 'createOrUpdate';
    const lookup = typeof b.lookupField === 'string' ? b.lookupField : 'email';
    if (!Array.isArray(b.input) || b.input.length === 0) throw new MarketoRefusal('701', 'input cannot be blank');
    if (b.input.length > MAX_SYNC) throw new MarketoRefusal('1003', `Too many records (max ${MAX_SYNC})`);
    if (!['createOnly', 'updateOnly', 'createOrUpdate'].includes(action))
      throw new MarketoRefusal('1003', `Invalid action '${action}'`);
    const lookupField = fieldOf(m, lookup);
    if (!lookupField) throw new MarketoRefusal('1011', `Field '${lookup}' not supported`);
    const result = (b.input as Array<Record<string, MarketoValue>>).map((rec) => {
      const key = rec[lookupField.name];
      const matches =
        lookupField.name === 'id'
          ? [m.leads.get(Number(key))].filter((l): l is MarketoLeadRecord => l !== undefined)
          : [...m.leads.values()].filter(
              (l) => String(l[lookupField.name] ?? '').toLowerCase() === String(key ?? '').toLowerCase(),
            );
      const unknown = Object.keys(rec).find((k) => !fieldOf(m, k));
      if (unknown) return { status: 'skipped', reasons: [{ code: '1006', message: `Field '${unknown}' not found` }] };
      const readOnly = Object.keys(rec).find((k) => k !== lookupField.name && fieldOf(m, k)?.readOnly);
      if (readOnly)
        return { status: 'skipped', reasons: [{ code: '1003', message: `Field '${readOnly}' is read only` }] };
      if (matches.length > 1)
        return { status: 'skipped', reasons: [{ code: '1007', message: 'Multiple lead match lookup criteria' }] };
      const lead = matches[0];
      if (!lead) {
        if (action === 'updateOnly')
          return { status: 'skipped', reasons: [{ code: '1004', message: 'Lead not found' }] };
        const created = createLead(
          m,
          Object.fromEntries(Object.entries(rec).filter(([k]) => fieldOf(m, k)?.name !== 'id')),
        );
        return { id: created.id, status: 'created' };
      }
      if (action === 'createOnly')
        return { id: lead.id, status: 'skipped', reasons: [{ code: '1005', message: 'Lead already exists' }] };
      for (const [k, v] of Object.entries(rec)) {
        if (fieldOf(m, k)?.name === lookupField.name) continue;
        setField(m, lead, k, v, 'Web service API');
      }
      updates.set(lead.id, (updates.get(lead.id) ?? 0) + 1);
      return { id: lead.id, status: 'updated' };
    });
    return envelope({ result });
  }

  function describe(): Record<string, unknown> {
    need('readLead');
    let n = 1;
    return envelope({
      result: [...m.fields.values()].map((f) => ({
        id: n++,
        displayName: f.displayName,
        dataType: f.dataType,
        ...(f.dataType === 'string' ? { length: 255 } : {}),
        rest: { name: f.name, readOnly: f.readOnly === true },
        soap: { name: f.name, readOnly: f.readOnly === true },
      })),
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://marketo.local');
    const method = req.method ?? 'GET';
    // Marketo refuses a request URI over 8 KB at the HTTP level.
    if ((req.url ?? '').length > 8_192) {
      send(res, 414, { error: 'Request-URI Too Long' });
      return;
    }
    const raw = method === 'POST' ? await readBody(req, 2_000_000) : Buffer.alloc(0);
    if (raw === null) {
      send(res, 413, { error: 'Request Entity Too Large' });
      return;
    }
    const text = raw.toString('utf8');
    if (url.pathname === '/identity/oauth/token') {
      const form = req.headers['content-type']?.includes('x-www-form-urlencoded')
        ? new URLSearchParams(text)
        : new URLSearchParams();
      identity(req, url, res, form);
      return;
    }
    const key = endpointKey(method, url.pathname);
    try {
      authorize(req, url);
      if (fault && fault.count > 0 && (!fault.endpoints || fault.endpoints.includes(key))) {
        fault.count -= 1;
        if (fault.code === 'reset') {
          req.socket.destroy();
          return;
        }
        const messages: Record<string, string> = {
          '604': 'Request timed out',
          '606': `Max rate limit '${ratePer20s}' exceeded with in '20' secs`,
          '607': 'Daily quota reached',
          '608': 'API Temporarily Unavailable',
          '611': 'System error',
          '615': 'Concurrent access limit reached',
        };
        throw new MarketoRefusal(fault.code, messages[fault.code] ?? 'Injected fault');
      }
      admit(key);
      let body: Record<string, unknown>;
      const path = url.pathname;
      if (method === 'GET' && path === '/rest/v1/activities/pagingtoken.json') body = pagingToken(url);
      else if (method === 'GET' && path === '/rest/v1/activities.json') body = activities(url);
      else if (method === 'GET' && path === '/rest/v1/activities/types.json') {
        need('readActivity');
        body = envelope({ result: ACTIVITY_TYPES.map((t) => ({ ...t, attributes: [] })) });
      } else if (method === 'GET' && path === '/rest/v1/leads.json') body = getLeads(url);
      else if (method === 'POST' && path === '/rest/v1/leads.json') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new MarketoRefusal('609', 'Invalid JSON');
        }
        body = syncLeads(parsed);
      } else if (method === 'GET' && path === '/rest/v1/leads/describe.json') body = describe();
      else if (method === 'GET' && path === '/rest/v1/stats/usage.json') {
        body = envelope({
          result: [
            {
              date: isoSecond(now()).slice(0, 10),
              total: dailyUsed,
              users: [{ userId: 'handoff-api@example.com', count: dailyUsed }],
            },
          ],
        });
      } else throw new MarketoRefusal('610', 'Requested resource not found');
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      send(res, 200, body);
    } catch (err) {
      if (!(err instanceof MarketoRefusal)) throw err;
      counts.refused += 1;
      counts.byError[err.code] = (counts.byError[err.code] ?? 0) + 1;
      send(res, 200, envelope({ success: false, errors: [{ code: err.code, message: err.message }] }));
    }
  }

  const local = await listenLocal((req, res) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    return route(req, res)
      .catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, { error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        inFlight -= 1;
      });
  }, options);
  const url = local.url;

  const control: MarketoEmulatorControl = {
    createLead: (values) => createLead(m, values),
    createLeads: (list) => list.map((v) => createLead(m, v)),
    updateLead(id, values, reason = 'Scoring campaign') {
      const lead = m.leads.get(id);
      if (!lead) throw new Error(`no lead ${id}`);
      for (const [k, v] of Object.entries(values)) setField(m, lead, k, v, reason);
      return lead;
    },
    lead: (id) => m.leads.get(id),
    leads: () => [...m.leads.values()],
    activities: () => [...m.activities],
    defineField(field) {
      m.fields.set(field.name.toLowerCase(), field);
    },
    fields: () => [...m.fields.values()],
    setPermissions(p) {
      m.permissions = { ...m.permissions, ...p };
    },
    fault(f) {
      fault = f ? { ...f } : null;
    },
    setDailyUsed(n) {
      dailyUsed = n;
    },
    dailyUsed: () => dailyUsed,
    callCounts: () => structuredClone(counts),
    resetCallCounts() {
      counts = { rest: 0, identity: 0, refused: 0, byEndpoint: {}, byError: {} };
    },
    expireTokens() {
      for (const t of tokens.values()) t.expiresAt = 0;
    },
    updatesOf: (id) => updates.get(id) ?? 0,
    peakConcurrency: () => peak,
  };

  return {
    url,
    control,
    close: () => local.close(),
  };
}
