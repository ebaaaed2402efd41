// A local HubSpot: the subset of the CRM API that handoff calls, with HubSpot's shapes, limits, paging, rate limits,
// errors, indexing lag and signed webhooks. Serves the connector tests, the benchmarks and `handoff demo`.
import { createHash, createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HUBSPOT_SCOPES } from './hubspot.errors.js';

// ---- public types -------------------------------------------------------------------------------------------------

export interface HubspotEmulatorWebhookOptions {
  url: string;
  clientSecret: string;
  signatureVersion: 'v3' | 'v1';
  /** Contact properties whose changes are notified (default lifecyclestage and hubspotscore). */
  properties?: string[];
  /** Every n-th delivery is sent twice (HubSpot delivers at least once). 0 = never. */
  duplicateEvery?: number;
  /** Events per request (HubSpot: up to 100). */
  maxBatch?: number;
  /** Events are collected for this long before a delivery (default 10 ms). */
  flushMs?: number;
  /** Redeliveries after a non-2xx answer or a connection failure (default 0), spaced by retryDelayMs (default 50). */
  retries?: number;
  retryDelayMs?: number;
  appId?: number;
}

export interface HubspotEmulatorOptions {
  port?: number;
  host?: string;
  /** Accepted bearer tokens (default ['emulator-token']). */
  tokens?: string[];
  portalId?: number;
  rateLimits?: { searchPerSecond?: number; generalPer10s?: number; daily?: number } | false;
  /** Changes become visible to search this long after they happen. */
  indexDelayMs?: number;
  webhook?: HubspotEmulatorWebhookOptions;
  now?: () => number;
}

export interface EmulatorContactSeed {
  id?: string;
  /** Values may be numbers; read-only properties (lastmodifieddate, createdate…) may be set when seeding. */
  properties: Record<string, string | number | null | undefined>;
  archived?: boolean;
}

export interface EmulatorOwnerSeed {
  id?: string;
  email: string;
  firstName?: string;
  lastName?: string;
  userId?: number;
  archived?: boolean;
  type?: 'PERSON' | 'QUEUE';
  teams?: Array<{ id: string; name: string; primary: boolean }>;
}

export interface EmulatorCompanySeed {
  id?: string;
  properties: Record<string, string | number | null | undefined>;
}

export interface EmulatorContactView {
  id: string;
  properties: Record<string, string | null>;
  archived: boolean;
  mergedInto: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface EmulatorNoteView {
  id: string;
  properties: Record<string, string | null>;
  contactIds: string[];
}

export type EmulatorFault =
  | { kind: 'status'; status: number; count: number; match?: string; body?: unknown; headers?: Record<string, string> }
  | { kind: 'slow'; delayMs: number; count: number; match?: string }
  | { kind: 'reset'; count: number; match?: string };

export interface EmulatorWebhookDelivery {
  body: string;
  status: number | null;
  attempt: number;
  duplicate: boolean;
  events: number;
}

export interface EmulatorPropertyDef {
  name: string;
  label?: string;
  type?: 'string' | 'number' | 'datetime' | 'date' | 'enumeration' | 'bool';
  fieldType?: string;
  groupName?: string;
  description?: string;
  options?: Array<{ label: string; value: string; displayOrder?: number; hidden?: boolean }>;
  readOnly?: boolean;
  hubspotDefined?: boolean;
}

export interface HubspotEmulatorControl {
  seedContacts(contacts: EmulatorContactSeed[]): string[];
  createContact(properties: EmulatorContactSeed['properties']): string;
  /** Changes properties as a user in HubSpot would (read-only ones included). */
  updateContact(id: string, properties: EmulatorContactSeed['properties']): void;
  archiveContact(id: string): void;
  /** Merges `secondaryId` into `primaryId`: the secondary id then resolves to the primary record. */
  mergeContacts(primaryId: string, secondaryId: string): void;
  getContact(id: string): EmulatorContactView | undefined;
  contactIds(): string[];
  seedOwners(owners: EmulatorOwnerSeed[]): string[];
  seedCompanies(companies: EmulatorCompanySeed[]): string[];
  defineProperty(def: EmulatorPropertyDef): void;
  propertyNames(): string[];
  groupNames(): string[];
  notes(): EmulatorNoteView[];
  callCounts(): Record<string, number>;
  totalCalls(): number;
  resetCallCounts(): void;
  setFault(fault: EmulatorFault | null): void;
  /** null = every scope granted. */
  setScopes(scopes: string[] | null): void;
  setTokens(tokens: string[]): void;
  webhookDeliveries(): EmulatorWebhookDelivery[];
  /** Resolves once every queued webhook event has been delivered (or given up on). */
  flushWebhooks(): Promise<void>;
}

export interface HubspotEmulator {
  url: string;
  port: number;
  control: HubspotEmulatorControl;
  close(): Promise<void>;
}

// ---- scopes, bodies -------------------------------------------------------------------------------------------------

export { HUBSPOT_SCOPES };

const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
];
const LEAD_STATUSES = [
  'NEW',
  'OPEN',
  'IN_PROGRESS',
  'OPEN_DEAL',
  'UNQUALIFIED',
  'ATTEMPTED_TO_CONTACT',
  'CONNECTED',
  'BAD_TIMING',
];
const DEFAULT_SEARCH_PROPERTIES = ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'];
const SEARCH_CAP = 10_000;
const MAX_BODY = 3_000;
const NOTE_TO_CONTACT = 202;

interface StoredProperty {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  description: string;
  options: Array<{ label: string; value: string; displayOrder: number; hidden: boolean }>;
  readOnly: boolean;
  hubspotDefined: boolean;
  createdAt: number;
  updatedAt: number;
}

interface StoredGroup {
  name: string;
  label: string;
  displayOrder: number;
}

interface SearchVersion {
  props: Record<string, string>;
  archived: boolean;
  visibleFrom: number;
}

interface HistoryEntry {
  value: string;
  timestamp: number;
  sourceType: string;
}

interface StoredRecord {
  id: string;
  props: Record<string, string>;
  history: Record<string, HistoryEntry[]>;
  archived: boolean;
  archivedAt: number | null;
  mergedInto: string | null;
  createdAt: number;
  updatedAt: number;
  versions: SearchVersion[];
}

interface StoredOwner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  userId: number;
  archived: boolean;
  type: 'PERSON' | 'QUEUE';
  teams: Array<{ id: string; name: string; primary: boolean }>;
  createdAt: number;
  updatedAt: number;
}

interface StoredNote {
  id: string;
  props: Record<string, string>;
  contactIds: string[];
  createdAt: number;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body['message'] ?? status));
  }
}

function errorBody(category: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

function validation(message: string, context?: Record<string, string[]>): HttpFailure {
  return new HttpFailure(400, errorBody('VALIDATION_ERROR', message, context ? { context } : {}));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toStringValue(v: string | number | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return String(v);
}

// ---- the emulator ---------------------------------------------------------------------------------------------------

export async function startHubspotEmulator(options: HubspotEmulatorOptions = {}): Promise<HubspotEmulator> {
  const now = options.now ?? Date.now;
  const portalId = options.portalId ?? 123456;
  const indexDelay = options.indexDelayMs ?? 0;
  const limits =
    options.rateLimits === false
      ? null
      : {
          search: options.rateLimits?.searchPerSecond ?? 5,
          general: options.rateLimits?.generalPer10s ?? 100,
          daily: options.rateLimits?.daily ?? 250_000,
        };
  let tokens = new Set(options.tokens ?? ['emulator-token']);
  let scopes: Set<string> | null = null;
  let fault: EmulatorFault | null = null;

  const contactProps = new Map<string, StoredProperty>();
  const companyProps = new Map<string, StoredProperty>();
  const groups = new Map<string, StoredGroup>();
  const contacts = new Map<string, StoredRecord>();
  const companies = new Map<string, StoredRecord>();
  const owners = new Map<string, StoredOwner>();
  const notes = new Map<string, StoredNote>();
  const counts = new Map<string, number>();
  let nextContactId = 1001;
  let nextCompanyId = 5001;
  let nextOwnerId = 70001;
  let nextNoteId = 90001;
  const searchCalls: number[] = [];
  const generalCalls: number[] = [];
  let dailyCalls = 0;

  // ---- property catalogue ----
  function addProperty(target: Map<string, StoredProperty>, def: EmulatorPropertyDef): void {
    const t = now();
    const type = def.type ?? 'string';
    target.set(def.name, {
      name: def.name,
      label: def.label ?? def.name,
      type,
      fieldType:
        def.fieldType ??
        (type === 'enumeration' ? 'select' : type === 'number' ? 'number' : type === 'datetime' ? 'date' : 'text'),
      groupName: def.groupName ?? 'contactinformation',
      description: def.description ?? '',
      options: (def.options ?? []).map((o, i) => ({
        label: o.label,
        value: o.value,
        displayOrder: o.displayOrder ?? i,
        hidden: o.hidden ?? false,
      })),
      readOnly: def.readOnly ?? false,
      hubspotDefined: def.hubspotDefined ?? true,
      createdAt: t,
      updatedAt: t,
    });
  }
  groups.set('contactinformation', { name: 'contactinformation', label: 'Contact information', displayOrder: -1 });
  const builtin: EmulatorPropertyDef[] = [
    { name: 'email', label: 'Email' },
    { name: 'firstname', label: 'First Name' },
    { name: 'lastname', label: 'Last Name' },
    { name: 'jobtitle', label: 'Job Title' },
    { name: 'company', label: 'Company Name' },
    { name: 'country', label: 'Country/Region' },
    { name: 'industry', label: 'Industry' },
    { name: 'numberofemployees', label: 'Number of Employees', type: 'number' },
    { name: 'hubspotscore', label: 'HubSpot Score', type: 'number', readOnly: true },
    {
      name: 'hs_analytics_source',
      label: 'Original Source',
      type: 'enumeration',
      readOnly: true,
      options: [
        'ORGANIC_SEARCH',
        'PAID_SEARCH',
        'EMAIL_MARKETING',
        'SOCIAL_MEDIA',
        'REFERRALS',
        'OTHER_CAMPAIGNS',
        'DIRECT_TRAFFIC',
        'OFFLINE',
        'PAID_SOCIAL',
      ].map((v) => ({ label: v, value: v })),
    },
    {
      name: 'lifecyclestage',
      label: 'Lifecycle Stage',
      type: 'enumeration',
      options: LIFECYCLE_STAGES.map((v) => ({ label: v, value: v })),
    },
    {
      name: 'hs_lead_status',
      label: 'Lead Status',
      type: 'enumeration',
      options: LEAD_STATUSES.map((v) => ({ label: v, value: v })),
    },
    { name: 'hubspot_owner_id', label: 'Contact owner', type: 'enumeration' },
    { name: 'lastmodifieddate', label: 'Last Modified Date', type: 'datetime', readOnly: true },
    { name: 'createdate', label: 'Create Date', type: 'datetime', readOnly: true },
    { name: 'hs_object_id', label: 'Record ID', type: 'number', readOnly: true },
    { name: 'hs_merged_object_ids', label: 'Merged Contact IDs', readOnly: true },
    ...LIFECYCLE_STAGES.map(
      (s): EmulatorPropertyDef => ({
        name: `hs_lifecyclestage_${s}_date`,
        label: `Became a ${s} Date`,
        type: 'datetime',
        readOnly: true,
      }),
    ),
  ];
  for (const def of builtin) addProperty(contactProps, def);
  for (const def of [
    { name: 'domain', label: 'Company Domain Name' },
    { name: 'name', label: 'Name' },
    { name: 'hubspot_owner_id', label: 'Company owner', type: 'enumeration' as const },
    { name: 'hs_object_id', label: 'Record ID', type: 'number' as const, readOnly: true },
    { name: 'hs_lastmodifieddate', label: 'Last Modified Date', type: 'datetime' as const, readOnly: true },
    { name: 'createdate', label: 'Create Date', type: 'datetime' as const, readOnly: true },
  ]) {
    addProperty(companyProps, { ...def, groupName: 'companyinformation' });
  }

  // ---- webhooks ----
  const webhook = options.webhook;
  const pendingEvents: Array<Record<string, unknown>> = [];
  let flushTimer: NodeJS.Timeout | null = null;
  const inFlight = new Set<Promise<void>>();
  const deliveries: EmulatorWebhookDelivery[] = [];
  let deliveryCount = 0;
  let eventSeq = 1;
  const notified = new Set(webhook?.properties ?? ['lifecyclestage', 'hubspotscore']);

  function queueEvent(event: Record<string, unknown>): void {
    if (!webhook) return;
    pendingEvents.push({
      eventId: eventSeq++,
      subscriptionId: event['propertyName'] === 'lifecyclestage' ? 1 : 2,
      portalId,
      appId: webhook.appId ?? 4242,
      occurredAt: now(),
      attemptNumber: 0,
      ...event,
    });
    if (flushTimer === null) {
      flushTimer = setTimeout(flushEvents, webhook.flushMs ?? 10);
    }
  }

  function flushEvents(): void {
    flushTimer = null;
    if (!webhook) return;
    const size = Math.max(1, Math.min(100, webhook.maxBatch ?? 100));
    while (pendingEvents.length > 0) {
      const batch = pendingEvents.splice(0, size);
      deliveryCount++;
      const duplicate = (webhook.duplicateEvery ?? 0) > 0 && deliveryCount % (webhook.duplicateEvery ?? 1) === 0;
      track(deliver(batch, 0, false));
      if (duplicate) track(deliver(batch, 0, true));
    }
  }

  function track(p: Promise<void>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  function signWebhook(body: string): Record<string, string> {
    if (!webhook) return {};
    if (webhook.signatureVersion === 'v1') {
      const sig = createHash('sha256')
        .update(webhook.clientSecret + body, 'utf8')
        .digest('hex');
      return { 'X-HubSpot-Signature': sig, 'X-HubSpot-Signature-Version': 'v1' };
    }
    const timestamp = String(now());
    const sig = createHmac('sha256', webhook.clientSecret)
      .update(`POST${webhook.url}${body}${timestamp}`, 'utf8')
      .digest('base64');
    return { 'X-HubSpot-Signature-v3': sig, 'X-HubSpot-Request-Timestamp': timestamp };
  }

  async function deliver(events: Array<Record<string, unknown>>, attempt: number, duplicate: boolean): Promise<void> {
    if (!webhook) return;
    const body = JSON.stringify(events.map((e) => ({ ...e, attemptNumber: attempt })));
    let status: number | null = null;
    try {
      const res = await fetch(webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook(body) },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      status = null;
    }
    deliveries.push({ body, status, attempt, duplicate, events: events.length });
    const ok = status !== null && status >= 200 && status < 300;
    if (!ok && attempt < (webhook.retries ?? 0)) {
      await new Promise((r) => setTimeout(r, webhook.retryDelayMs ?? 50));
      await deliver(events, attempt + 1, duplicate);
    }
  }

  // ---- records ----
  function visibleProps(rec: StoredRecord): Record<string, string> {
    return rec.props;
  }

  function snapshot(rec: StoredRecord): void {
    rec.versions.push({ props: { ...rec.props }, archived: rec.archived, visibleFrom: now() + indexDelay });
  }

  function searchView(rec: StoredRecord, at: number): SearchVersion | null {
    let idx = -1;
    for (let i = 0; i < rec.versions.length; i++) if ((rec.versions[i]?.visibleFrom ?? Infinity) <= at) idx = i;
    if (idx > 0) rec.versions.splice(0, idx);
    return idx >= 0 ? (rec.versions[0] ?? null) : null;
  }

  function setProp(rec: StoredRecord, name: string, value: string | null, t: number, sourceType: string): boolean {
    const before = rec.props[name] ?? null;
    const after = value === null || value === '' ? null : value;
    if (before === after) return false;
    if (after === null) delete rec.props[name];
    else rec.props[name] = after;
    const h = (rec.history[name] ??= []);
    h.unshift({ value: after ?? '', timestamp: t, sourceType });
    if (h.length > 20) h.length = 20;
    return true;
  }

  /** Applies a set of property values as one change: lastmodifieddate, stage dates, history, webhooks, index. */
  function applyContactChange(
    rec: StoredRecord,
    values: Record<string, string | null>,
    sourceType: string,
    explicitModified?: string,
  ): void {
    const t = now();
    const changed: string[] = [];
    for (const [k, v] of Object.entries(values)) if (setProp(rec, k, v, t, sourceType)) changed.push(k);
    if (changed.length === 0 && explicitModified === undefined) return;
    if (changed.includes('lifecyclestage') && rec.props['lifecyclestage'] !== undefined) {
      const stage = rec.props['lifecyclestage'];
      if (values[`hs_lifecyclestage_${stage}_date`] === undefined)
        setProp(rec, `hs_lifecyclestage_${stage}_date`, iso(t), t, 'CALCULATED');
    }
    const modified = explicitModified ?? iso(t);
    setProp(rec, 'lastmodifieddate', modified, t, 'CALCULATED');
    rec.updatedAt = Date.parse(modified);
    snapshot(rec);
    for (const name of changed) {
      if (!notified.has(name)) continue;
      queueEvent({
        objectId: Number(rec.id),
        propertyName: name,
        propertyValue: rec.props[name] ?? '',
        changeSource: sourceType === 'API' ? 'INTEGRATION' : 'CRM_UI',
        subscriptionType: 'contact.propertyChange',
      });
    }
  }

  function newContact(seed: EmulatorContactSeed, sourceType: string): StoredRecord {
    const id = seed.id ?? String(nextContactId++);
    if (seed.id !== undefined && Number(seed.id) >= nextContactId) nextContactId = Number(seed.id) + 1;
    if (contacts.has(id)) throw new Error(`contact ${id} already exists`);
    const t = now();
    const created = toStringValue(seed.properties['createdate']) ?? iso(t);
    const rec: StoredRecord = {
      id,
      props: { hs_object_id: id, createdate: created },
      history: {},
      archived: false,
      archivedAt: null,
      mergedInto: null,
      createdAt: Date.parse(created),
      updatedAt: t,
      versions: [],
    };
    contacts.set(id, rec);
    const values: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(seed.properties)) {
      if (k === 'lastmodifieddate' || k === 'createdate') continue;
      if (!contactProps.has(k)) addProperty(contactProps, { name: k, hubspotDefined: false });
      values[k] = toStringValue(v);
    }
    const explicit = toStringValue(seed.properties['lastmodifieddate']);
    applyContactChange(rec, values, sourceType, explicit === null ? iso(t) : normalizeDate(explicit));
    if (seed.archived) archive(rec);
    return rec;
  }

  function normalizeDate(v: string): string {
    const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    return Number.isNaN(ms) ? v : iso(ms);
  }

  function archive(rec: StoredRecord): void {
    if (rec.archived) return;
    rec.archived = true;
    rec.archivedAt = now();
    snapshot(rec);
    queueEvent({ objectId: Number(rec.id), subscriptionType: 'contact.deletion', changeSource: 'CRM_UI' });
  }

  function resolveContact(id: string, archived: boolean): StoredRecord | null {
    let rec = contacts.get(id);
    for (let hops = 0; rec && rec.mergedInto !== null && hops < 10; hops++) rec = contacts.get(rec.mergedInto);
    if (!rec || rec.archived !== archived) return null;
    return rec;
  }

  function findContactByEmail(email: string, archived: boolean): StoredRecord | null {
    const wanted = email.toLowerCase();
    for (const rec of contacts.values()) {
      if (rec.mergedInto === null && rec.archived === archived && (rec.props['email'] ?? '').toLowerCase() === wanted)
        return rec;
    }
    return null;
  }

  function publicObject(
    rec: StoredRecord,
    props: Record<string, string>,
    names: string[],
    catalogue: Map<string, StoredProperty>,
  ): Record<string, unknown> {
    const properties: Record<string, string | null> = {};
    for (const n of names) if (catalogue.has(n) || props[n] !== undefined) properties[n] = props[n] ?? null;
    const out: Record<string, unknown> = {
      id: rec.id,
      properties,
      createdAt: iso(rec.createdAt),
      updatedAt: iso(rec.updatedAt),
      archived: rec.archived,
    };
    if (rec.archived && rec.archivedAt !== null) out['archivedAt'] = iso(rec.archivedAt);
    return out;
  }

  // ---- search ----
  function compareValues(type: string, a: string, b: string): number {
    if (type === 'number') return Number(a) - Number(b);
    if (type === 'datetime' || type === 'date') return dateMs(a) - dateMs(b);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function dateMs(v: string): number {
    return /^-?\d+$/.test(v) ? Number(v) : Date.parse(v);
  }

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

  function search(
    store: Map<string, StoredRecord>,
    catalogue: Map<string, StoredProperty>,
    rawBody: string,
    defaults: string[],
  ): Record<string, unknown> {
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
    else if (isRecord(s0)) sort = { name: String(s0['propertyName']), dir: s0['direction'] === 'DESCENDING' ? -1 : 1 };
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
      if (
        query &&
        !['email', 'firstname', 'lastname', 'domain', 'name'].some((k) =>
          (props[k] ?? '').toLowerCase().includes(query),
        )
      )
        continue;
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
  }

  // ---- validation of writes ----
  function validateValue(def: StoredProperty, value: string): string | null {
    if (value === '') return null;
    if (def.type === 'number' && Number.isNaN(Number(value))) return `${value} is not a valid number`;
    if ((def.type === 'datetime' || def.type === 'date') && Number.isNaN(dateMs(value)))
      return `${value} is not a valid date`;
    if (def.type === 'enumeration' && def.options.length > 0) {
      const parts = def.fieldType === 'checkbox' ? value.split(';') : [value];
      for (const p of parts)
        if (!def.options.some((o) => o.value === p))
          return `${p} was not one of the allowed options: [${def.options.map((o) => o.value).join(', ')}]`;
    }
    return null;
  }

  function checkWrite(
    rec: StoredRecord,
    properties: Record<string, unknown>,
  ): { error: Record<string, unknown> } | { values: Record<string, string | null> } {
    const values: Record<string, string | null> = {};
    for (const [name, raw] of Object.entries(properties)) {
      const value = raw === null || raw === undefined ? '' : String(raw);
      const def = contactProps.get(name);
      if (!def) {
        return {
          error: errorBody('VALIDATION_ERROR', `Property "${name}" does not exist`, {
            context: { propertyName: [name], ids: [rec.id] },
            errors: [
              {
                message: `Property "${name}" does not exist`,
                code: 'PROPERTY_DOESNT_EXIST',
                context: { propertyName: [name] },
              },
            ],
          }),
        };
      }
      if (def.readOnly) {
        return {
          error: errorBody('VALIDATION_ERROR', `${name} is a read only property; its value cannot be set.`, {
            context: { propertyName: [name], ids: [rec.id] },
            errors: [
              {
                message: `${name} is a read only property`,
                code: 'READ_ONLY_VALUE',
                context: { propertyName: [name] },
              },
            ],
          }),
        };
      }
      const problem = validateValue(def, value);
      if (problem) {
        return {
          error: errorBody('VALIDATION_ERROR', `Property values were not valid: ${problem}`, {
            context: { propertyName: [name], ids: [rec.id] },
            errors: [{ message: problem, code: 'INVALID_OPTION', context: { propertyName: [name] } }],
          }),
        };
      }
      if (name === 'lifecyclestage' && value !== '') {
        const current = rec.props['lifecyclestage'];
        const order = (s: string | undefined): number =>
          s === undefined ? -1 : (def.options.find((o) => o.value === s)?.displayOrder ?? -1);
        if (current !== undefined && order(value) < order(current)) {
          return {
            error: errorBody(
              'VALIDATION_ERROR',
              `lifecyclestage can only move forward (${current} → ${value}); clear it first`,
              { context: { propertyName: [name], ids: [rec.id] } },
            ),
          };
        }
      }
      values[name] = value;
    }
    return { values };
  }

  // ---- HTTP plumbing ----
  function parseJson(raw: string): Record<string, unknown> {
    if (raw === '') return {};
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw new HttpFailure(400, errorBody('VALIDATION_ERROR', 'Invalid input JSON on line 1'));
    }
    if (!isRecord(v)) throw validation('Request body must be a JSON object');
    return v;
  }

  function count(key: string): void {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }

  function rollingCount(log: number[], windowMs: number, t: number): number {
    while (log.length > 0 && (log[0] ?? 0) <= t - windowMs) log.shift();
    return log.length;
  }

  function rateHeaders(t: number): Record<string, string> {
    if (!limits) return {};
    const used = rollingCount(generalCalls, 10_000, t);
    return {
      'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
      'X-HubSpot-RateLimit-Max': String(limits.general),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, limits.general - used)),
      'X-HubSpot-RateLimit-Daily': String(limits.daily),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, limits.daily - dailyCalls)),
    };
  }

  function checkRateLimit(kind: 'search' | 'general'): Record<string, string> {
    if (!limits) return {};
    const t = now();
    if (dailyCalls >= limits.daily) {
      throw new HttpFailure(
        429,
        {
          status: 'error',
          message: 'You have reached your daily limit.',
          errorType: 'RATE_LIMIT',
          correlationId: randomUUID(),
          policyName: 'DAILY',
          requestId: randomUUID(),
        },
        kind === 'general' ? rateHeaders(t) : {},
      );
    }
    if (kind === 'search') {
      if (rollingCount(searchCalls, 1_000, t) >= limits.search) {
        throw new HttpFailure(429, {
          status: 'error',
          message: 'You have reached your secondly limit.',
          errorType: 'RATE_LIMIT',
          correlationId: randomUUID(),
          policyName: 'SECONDLY',
          requestId: randomUUID(),
        });
      }
      searchCalls.push(t);
      dailyCalls++;
      return {};
    }
    if (rollingCount(generalCalls, 10_000, t) >= limits.general) {
      throw new HttpFailure(
        429,
        {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          correlationId: randomUUID(),
          policyName: 'TEN_SECONDLY_ROLLING',
          requestId: randomUUID(),
        },
        rateHeaders(t),
      );
    }
    generalCalls.push(t);
    dailyCalls++;
    return rateHeaders(t);
  }

  function checkAuth(req: http.IncomingMessage): void {
    const auth = req.headers['authorization'] ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (!m || !tokens.has(m[1] ?? '')) {
      throw new HttpFailure(
        401,
        errorBody(
          m ? 'EXPIRED_AUTHENTICATION' : 'INVALID_AUTHENTICATION',
          m
            ? 'The OAuth token used to make this call expired or is not valid.'
            : 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
        ),
      );
    }
  }

  function requireScope(scope: string): void {
    if (scopes === null || scopes.has(scope)) return;
    throw new HttpFailure(
      403,
      errorBody(
        'MISSING_SCOPES',
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
        {
          errors: [
            {
              message: 'One or more of the following scopes are required.',
              context: { requiredGranularScopes: [scope] },
            },
          ],
          links: { scopes: 'https://developers.hubspot.com/scopes' },
        },
      ),
    );
  }

  interface Route {
    method: string;
    pattern: RegExp;
    key: string;
    scope: string;
    kind: 'search' | 'general';
    handle(m: RegExpExecArray, body: string, query: URLSearchParams): { status: number; body: unknown };
  }

  const routes: Route[] = [
    {
      method: 'POST',
      pattern: /^\/crm\/v3\/objects\/contacts\/search$/,
      key: 'POST /crm/v3/objects/contacts/search',
      scope: HUBSPOT_SCOPES.contactsRead,
      kind: 'search',
      handle: (_m, body) => ({ status: 200, body: search(contacts, contactProps, body, DEFAULT_SEARCH_PROPERTIES) }),
    },
    {
      method: 'POST',
      pattern: /^\/crm\/v3\/objects\/companies\/search$/,
      key: 'POST /crm/v3/objects/companies/search',
      scope: HUBSPOT_SCOPES.companiesRead,
      kind: 'search',
      handle: (_m, body) => ({
        status: 200,
        body: search(companies, companyProps, body, [
          'createdate',
          'domain',
          'hs_lastmodifieddate',
          'hs_object_id',
          'name',
        ]),
      }),
    },
    {
      method: 'POST',
      pattern: /^\/crm\/v3\/objects\/contacts\/batch\/read$/,
      key: 'POST /crm/v3/objects/contacts/batch/read',
      scope: HUBSPOT_SCOPES.contactsRead,
      kind: 'general',
      handle: (_m, raw, query) => batchRead(parseJson(raw), query.get('archived') === 'true'),
    },
    {
      method: 'POST',
      pattern: /^\/crm\/v3\/objects\/contacts\/batch\/update$/,
      key: 'POST /crm/v3/objects/contacts/batch/update',
      scope: HUBSPOT_SCOPES.contactsWrite,
      kind: 'general',
      handle: (_m, raw) => batchUpdate(parseJson(raw)),
    },
    {
      method: 'GET',
      pattern: /^\/crm\/v3\/owners\/?$/,
      key: 'GET /crm/v3/owners',
      scope: HUBSPOT_SCOPES.ownersRead,
      kind: 'general',
      handle: (_m, _b, query) => listOwners(query),
    },
    {
      method: 'GET',
      pattern: /^\/crm\/v3\/owners\/([^/]+)$/,
      key: 'GET /crm/v3/owners/{ownerId}',
      scope: HUBSPOT_SCOPES.ownersRead,
      kind: 'general',
      handle: (m, _b, query) => {
        const o = owners.get(decodeURIComponent(m[1] ?? ''));
        const archived = query.get('archived') === 'true';
        if (!o || o.archived !== archived) throw new HttpFailure(404, errorBody('OBJECT_NOT_FOUND', 'Owner not found'));
        return { status: 200, body: ownerJson(o) };
      },
    },
    {
      method: 'POST',
      pattern: /^\/crm\/v3\/objects\/notes$/,
      key: 'POST /crm/v3/objects/notes',
      scope: HUBSPOT_SCOPES.contactsWrite,
      kind: 'general',
      handle: (_m, raw) => {
        const r = createNote(parseJson(raw));
        if ('error' in r) throw new HttpFailure(400, r.error);
        return { status: 201, body: r.note };
      },
    },
    {
      method: 'POST',
      pattern: /^\/crm\/v3\/objects\/notes\/batch\/create$/,
      key: 'POST /crm/v3/objects/notes/batch/create',
      scope: HUBSPOT_SCOPES.contactsWrite,
      kind: 'general',
      handle: (_m, raw) => batchCreateNotes(parseJson(raw)),
    },
    {
      method: 'GET',
      pattern: /^\/crm\/v3\/properties\/contacts\/groups$/,
      key: 'GET /crm/v3/properties/contacts/groups',
      scope: HUBSPOT_SCOPES.schemasRead,
      kind: 'general',
      handle: () => ({ status: 200, body: { results: [...groups.values()].map(groupJson) } }),
    },
    {
      method: 'POST',
      pattern: /^\/crm\/v3\/properties\/contacts\/groups$/,
      key: 'POST /crm/v3/properties/contacts/groups',
      scope: HUBSPOT_SCOPES.schemasWrite,
      kind: 'general',
      handle: (_m, raw) => {
        const b = parseJson(raw);
        const name = typeof b['name'] === 'string' ? b['name'] : '';
        if (!/^[a-z][a-z0-9_]*$/.test(name)) throw validation(`Invalid group name "${name}"`);
        if (groups.has(name))
          throw new HttpFailure(
            409,
            errorBody('OBJECT_ALREADY_EXISTS', `A property group named '${name}' already exists.`),
          );
        const g = {
          name,
          label: typeof b['label'] === 'string' ? b['label'] : name,
          displayOrder: typeof b['displayOrder'] === 'number' ? b['displayOrder'] : -1,
        };
        groups.set(name, g);
        return { status: 201, body: groupJson(g) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/crm\/v3\/properties\/contacts$/,
      key: 'GET /crm/v3/properties/contacts',
      scope: HUBSPOT_SCOPES.schemasRead,
      kind: 'general',
      handle: () => ({ status: 200, body: { results: [...contactProps.values()].map(propertyJson) } }),
    },
    {
      method: 'POST',
      pattern: /^\/crm\/v3\/properties\/contacts$/,
      key: 'POST /crm/v3/properties/contacts',
      scope: HUBSPOT_SCOPES.schemasWrite,
      kind: 'general',
      handle: (_m, raw) => createProperty(parseJson(raw)),
    },
    {
      method: 'GET',
      pattern: /^\/crm\/v3\/properties\/contacts\/([^/]+)$/,
      key: 'GET /crm/v3/properties/contacts/{name}',
      scope: HUBSPOT_SCOPES.schemasRead,
      kind: 'general',
      handle: (m) => {
        const p = contactProps.get(decodeURIComponent(m[1] ?? ''));
        if (!p)
          throw new HttpFailure(
            404,
            errorBody('OBJECT_NOT_FOUND', `Unable to find property ${m[1] ?? ''} for object type contacts`),
          );
        return { status: 200, body: propertyJson(p) };
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/crm\/v3\/properties\/contacts\/([^/]+)$/,
      key: 'PATCH /crm/v3/properties/contacts/{name}',
      scope: HUBSPOT_SCOPES.schemasWrite,
      kind: 'general',
      handle: (m, raw) => updateProperty(decodeURIComponent(m[1] ?? ''), parseJson(raw)),
    },
  ];

  function batchInputs(body: Record<string, unknown>): Array<Record<string, unknown>> {
    const inputs = body['inputs'];
    if (!Array.isArray(inputs)) throw validation('inputs is required');
    if (inputs.length > 100) throw validation(`Too many inputs: ${inputs.length} (limit 100)`);
    return inputs.map((i) => (isRecord(i) ? i : {}));
  }

  function batchResponse(
    results: unknown[],
    errors: Array<Record<string, unknown>>,
    created = false,
  ): { status: number; body: unknown } {
    const t = iso(now());
    const body: Record<string, unknown> = { status: 'COMPLETE', results, startedAt: t, completedAt: t, requestedAt: t };
    if (errors.length > 0) {
      body['numErrors'] = errors.length;
      body['errors'] = errors.map((e) => ({ status: 'error', errors: [], links: {}, ...e }));
      return { status: 207, body };
    }
    return { status: created ? 201 : 200, body };
  }

  function batchRead(body: Record<string, unknown>, archived: boolean): { status: number; body: unknown } {
    const inputs = batchInputs(body);
    const idProperty = typeof body['idProperty'] === 'string' ? body['idProperty'] : 'hs_object_id';
    const props =
      Array.isArray(body['properties']) && body['properties'].length > 0
        ? body['properties'].map(String)
        : DEFAULT_SEARCH_PROPERTIES;
    const withHistory = Array.isArray(body['propertiesWithHistory']) ? body['propertiesWithHistory'].map(String) : [];
    const results: unknown[] = [];
    const seen = new Set<string>();
    const missing: string[] = [];
    for (const input of inputs) {
      const key = String(input['id'] ?? '');
      const rec =
        idProperty === 'email'
          ? findContactByEmail(key, archived)
          : idProperty === 'hs_object_id'
            ? resolveContact(key, archived)
            : null;
      if (!rec) {
        missing.push(key);
        continue;
      }
      if (seen.has(rec.id)) continue;
      seen.add(rec.id);
      const out = publicObject(rec, visibleProps(rec), props, contactProps);
      if (withHistory.length > 0) {
        out['propertiesWithHistory'] = Object.fromEntries(
          withHistory.map((n) => [
            n,
            (rec.history[n] ?? []).map((h) => ({
              value: h.value,
              timestamp: iso(h.timestamp),
              sourceType: h.sourceType,
            })),
          ]),
        );
      }
      results.push(out);
    }
    const errors =
      missing.length > 0
        ? [
            {
              category: 'OBJECT_NOT_FOUND',
              message:
                'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
              context: { ids: missing },
            },
          ]
        : [];
    return batchResponse(results, errors);
  }

  function batchUpdate(body: Record<string, unknown>): { status: number; body: unknown } {
    const inputs = batchInputs(body);
    const ids = inputs.map((i) => String(i['id'] ?? ''));
    const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (dupes.length > 0)
      throw validation(`Duplicate IDs found in batch input: [${[...new Set(dupes)].join(', ')}]. IDs must be unique`);
    const results: unknown[] = [];
    const errors: Array<Record<string, unknown>> = [];
    for (const input of inputs) {
      const id = String(input['id'] ?? '');
      const rec = input['idProperty'] === 'email' ? findContactByEmail(id, false) : resolveContact(id, false);
      if (!rec) {
        errors.push({
          category: 'OBJECT_NOT_FOUND',
          message: `Object not found. objectId are usually numeric.`,
          context: { ids: [id] },
        });
        continue;
      }
      const properties = isRecord(input['properties']) ? input['properties'] : {};
      const checked = checkWrite(rec, properties);
      if ('error' in checked) {
        const ctx = isRecord(checked.error['context']) ? checked.error['context'] : {};
        errors.push({ ...checked.error, context: { ...ctx, ids: [id] } });
        continue;
      }
      applyContactChange(rec, checked.values, 'API');
      results.push(publicObject(rec, rec.props, Object.keys(properties), contactProps));
    }
    return batchResponse(results, errors);
  }

  function ownerJson(o: StoredOwner): Record<string, unknown> {
    return {
      id: o.id,
      email: o.email,
      type: o.type,
      firstName: o.firstName,
      lastName: o.lastName,
      userId: o.userId,
      userIdIncludingInactive: o.userId,
      createdAt: iso(o.createdAt),
      updatedAt: iso(o.updatedAt),
      archived: o.archived,
      teams: o.teams,
    };
  }

  function listOwners(query: URLSearchParams): { status: number; body: unknown } {
    const archived = query.get('archived') === 'true';
    const email = query.get('email')?.toLowerCase();
    const limit = Math.min(500, Math.max(1, Number(query.get('limit') ?? 100) || 100));
    const after = query.get('after');
    let list = [...owners.values()].filter(
      (o) => o.archived === archived && (email === undefined || o.email.toLowerCase() === email),
    );
    list.sort((a, b) => Number(a.id) - Number(b.id));
    if (after !== null) list = list.filter((o) => Number(o.id) > Number(after));
    const page = list.slice(0, limit);
    const out: Record<string, unknown> = { results: page.map(ownerJson) };
    const last = page[page.length - 1];
    if (list.length > limit && last) out['paging'] = { next: { after: last.id, link: `?after=${last.id}` } };
    return { status: 200, body: out };
  }

  function noteJson(n: StoredNote): Record<string, unknown> {
    return {
      id: n.id,
      properties: { ...n.props, hs_object_id: n.id },
      createdAt: iso(n.createdAt),
      updatedAt: iso(n.createdAt),
      archived: false,
    };
  }

  function createNote(
    input: Record<string, unknown>,
  ): { note: Record<string, unknown> } | { error: Record<string, unknown> } {
    const trace = typeof input['objectWriteTraceId'] === 'string' ? input['objectWriteTraceId'] : undefined;
    const traceCtx = trace ? { objectWriteTraceId: [trace] } : {};
    const props = isRecord(input['properties']) ? input['properties'] : {};
    if (props['hs_timestamp'] === undefined || props['hs_timestamp'] === '') {
      return {
        error: errorBody('VALIDATION_ERROR', 'Property values were not valid: hs_timestamp is required', {
          context: { propertyName: ['hs_timestamp'], ...traceCtx },
        }),
      };
    }
    const contactIds: string[] = [];
    const assocs = Array.isArray(input['associations']) ? input['associations'] : [];
    for (const a of assocs) {
      if (!isRecord(a) || !isRecord(a['to']))
        return { error: errorBody('VALIDATION_ERROR', 'association.to is required', { context: traceCtx }) };
      const types = Array.isArray(a['types']) ? a['types'].filter(isRecord) : [];
      const toId = String(a['to']['id'] ?? '');
      if (!types.some((t) => Number(t['associationTypeId']) === NOTE_TO_CONTACT)) {
        return {
          error: errorBody('VALIDATION_ERROR', `Unsupported association type for note ${JSON.stringify(types)}`, {
            context: traceCtx,
          }),
        };
      }
      const rec = resolveContact(toId, false);
      if (!rec)
        return {
          error: errorBody('VALIDATION_ERROR', `Invalid association: contact ${toId} does not exist`, {
            context: { ids: [toId], ...traceCtx },
          }),
        };
      contactIds.push(rec.id);
    }
    const id = String(nextNoteId++);
    const stored: StoredNote = {
      id,
      props: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, String(v)])),
      contactIds,
      createdAt: now(),
    };
    notes.set(id, stored);
    const out = noteJson(stored);
    if (trace) out['objectWriteTraceId'] = trace;
    return { note: out };
  }

  function batchCreateNotes(body: Record<string, unknown>): { status: number; body: unknown } {
    const inputs = batchInputs(body);
    const results: unknown[] = [];
    const errors: Array<Record<string, unknown>> = [];
    for (const input of inputs) {
      const r = createNote(input);
      if ('error' in r) errors.push(r.error);
      else results.push(r.note);
    }
    return batchResponse(results, errors, true);
  }

  function groupJson(g: StoredGroup): Record<string, unknown> {
    return { name: g.name, label: g.label, displayOrder: g.displayOrder, archived: false };
  }

  function propertyJson(p: StoredProperty): Record<string, unknown> {
    return {
      name: p.name,
      label: p.label,
      type: p.type,
      fieldType: p.fieldType,
      groupName: p.groupName,
      description: p.description,
      options: p.options,
      displayOrder: -1,
      calculated: false,
      externalOptions: false,
      hasUniqueValue: false,
      hidden: false,
      hubspotDefined: p.hubspotDefined,
      formField: !p.readOnly,
      modificationMetadata: {
        archivable: !p.hubspotDefined,
        readOnlyDefinition: p.hubspotDefined,
        readOnlyValue: p.readOnly,
      },
      createdAt: iso(p.createdAt),
      updatedAt: iso(p.updatedAt),
      archived: false,
    };
  }

  function readOptions(raw: unknown): EmulatorPropertyDef['options'] {
    if (!Array.isArray(raw)) return [];
    return raw.filter(isRecord).map((o, i) => ({
      label: String(o['label'] ?? o['value'] ?? ''),
      value: String(o['value'] ?? ''),
      displayOrder: typeof o['displayOrder'] === 'number' ? o['displayOrder'] : i,
      hidden: o['hidden'] === true,
    }));
  }

  const TYPES = new Set(['string', 'number', 'datetime', 'date', 'enumeration', 'bool']);

  function createProperty(b: Record<string, unknown>): { status: number; body: unknown } {
    const name = typeof b['name'] === 'string' ? b['name'] : '';
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw validation(`Invalid property name "${name}"`);
    if (contactProps.has(name))
      throw new HttpFailure(
        409,
        errorBody('OBJECT_ALREADY_EXISTS', `Property named '${name}' already exists.`, { context: { name: [name] } }),
      );
    const type = String(b['type'] ?? '');
    if (!TYPES.has(type)) throw validation(`Invalid property type "${type}"`);
    const groupName = String(b['groupName'] ?? '');
    if (!groups.has(groupName)) throw validation(`Property group "${groupName}" does not exist`);
    if (typeof b['fieldType'] !== 'string' || typeof b['label'] !== 'string')
      throw validation('label and fieldType are required');
    const options = readOptions(b['options']);
    if (
      type === 'enumeration' &&
      (options ?? []).length === 0 &&
      b['fieldType'] !== 'select' &&
      b['fieldType'] !== 'radio' &&
      b['fieldType'] !== 'checkbox'
    ) {
      throw validation('enumeration properties need a select, radio or checkbox fieldType');
    }
    addProperty(contactProps, {
      name,
      label: b['label'],
      type: type as NonNullable<EmulatorPropertyDef['type']>,
      fieldType: b['fieldType'],
      groupName,
      description: typeof b['description'] === 'string' ? b['description'] : '',
      options: options ?? [],
      hubspotDefined: false,
    });
    const p = contactProps.get(name);
    return { status: 201, body: p ? propertyJson(p) : {} };
  }

  function updateProperty(name: string, b: Record<string, unknown>): { status: number; body: unknown } {
    const p = contactProps.get(name);
    if (!p)
      throw new HttpFailure(
        404,
        errorBody('OBJECT_NOT_FOUND', `Unable to find property ${name} for object type contacts`),
      );
    if (p.hubspotDefined && b['options'] !== undefined && p.readOnly) throw validation(`Property ${name} is read only`);
    if (typeof b['label'] === 'string') p.label = b['label'];
    if (typeof b['description'] === 'string') p.description = b['description'];
    if (typeof b['groupName'] === 'string') {
      if (!groups.has(b['groupName'])) throw validation(`Property group "${b['groupName']}" does not exist`);
      p.groupName = b['groupName'];
    }
    if (b['options'] !== undefined)
      p.options = (readOptions(b['options']) ?? []).map((o, i) => ({
        label: o.label,
        value: o.value,
        displayOrder: o.displayOrder ?? i,
        hidden: o.hidden ?? false,
      }));
    p.updatedAt = now();
    return { status: 200, body: propertyJson(p) };
  }

  // ---- control ----
  const control: HubspotEmulatorControl = {
    seedContacts: (list) => list.map((seed) => newContact(seed, 'IMPORT').id),
    createContact: (properties) => newContact({ properties }, 'CRM_UI').id,
    updateContact(id, properties) {
      const rec = contacts.get(id);
      if (!rec) throw new Error(`no contact ${id}`);
      const values: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(properties)) {
        if (k === 'lastmodifieddate') continue;
        if (!contactProps.has(k)) addProperty(contactProps, { name: k, hubspotDefined: false });
        values[k] = toStringValue(v);
      }
      const explicit = toStringValue(properties['lastmodifieddate']);
      applyContactChange(rec, values, 'CRM_UI', explicit === null ? undefined : normalizeDate(explicit));
    },
    archiveContact(id) {
      const rec = contacts.get(id);
      if (!rec) throw new Error(`no contact ${id}`);
      archive(rec);
    },
    mergeContacts(primaryId, secondaryId) {
      const primary = contacts.get(primaryId);
      const secondary = contacts.get(secondaryId);
      if (!primary || !secondary) throw new Error(`cannot merge ${secondaryId} into ${primaryId}`);
      secondary.mergedInto = primaryId;
      snapshot(secondary);
      const merged = new Set((primary.props['hs_merged_object_ids'] ?? '').split(';').filter(Boolean));
      merged.add(secondaryId);
      applyContactChange(primary, { hs_merged_object_ids: [...merged].join(';') }, 'CRM_UI');
      queueEvent({
        objectId: Number(primaryId),
        subscriptionType: 'contact.merge',
        primaryObjectId: Number(primaryId),
        mergedObjectIds: [Number(secondaryId)],
        newObjectId: Number(primaryId),
        changeSource: 'CRM_UI',
      });
    },
    getContact(id) {
      const rec = contacts.get(id);
      if (!rec) return undefined;
      return {
        id: rec.id,
        properties: { ...rec.props },
        archived: rec.archived,
        mergedInto: rec.mergedInto,
        createdAt: rec.createdAt,
        updatedAt: rec.updatedAt,
      };
    },
    contactIds: () => [...contacts.keys()],
    seedOwners(list) {
      return list.map((o) => {
        const id = o.id ?? String(nextOwnerId++);
        const t = now();
        owners.set(id, {
          id,
          email: o.email,
          firstName: o.firstName ?? '',
          lastName: o.lastName ?? '',
          userId: o.userId ?? Number(id) + 1_000_000,
          archived: o.archived ?? false,
          type: o.type ?? 'PERSON',
          teams: o.teams ?? [],
          createdAt: t,
          updatedAt: t,
        });
        return id;
      });
    },
    seedCompanies(list) {
      return list.map((c) => {
        const id = c.id ?? String(nextCompanyId++);
        const t = now();
        const props: Record<string, string> = { hs_object_id: id, createdate: iso(t), hs_lastmodifieddate: iso(t) };
        for (const [k, v] of Object.entries(c.properties)) {
          const s = toStringValue(v);
          if (s !== null) props[k] = s;
          if (!companyProps.has(k))
            addProperty(companyProps, { name: k, groupName: 'companyinformation', hubspotDefined: false });
        }
        const rec: StoredRecord = {
          id,
          props,
          history: {},
          archived: false,
          archivedAt: null,
          mergedInto: null,
          createdAt: t,
          updatedAt: t,
          versions: [],
        };
        companies.set(id, rec);
        snapshot(rec);
        return id;
      });
    },
    defineProperty(def) {
      if (def.groupName !== undefined && !groups.has(def.groupName))
        groups.set(def.groupName, { name: def.groupName, label: def.groupName, displayOrder: -1 });
      addProperty(contactProps, def);
    },
    propertyNames: () => [...contactProps.keys()],
    groupNames: () => [...groups.keys()],
    notes: () =>
      [...notes.values()].map((n) => ({ id: n.id, properties: { ...n.props }, contactIds: [...n.contactIds] })),
    callCounts: () => Object.fromEntries(counts),
    totalCalls: () => [...counts.values()].reduce((a, b) => a + b, 0),
    resetCallCounts: () => counts.clear(),
    setFault(f) {
      fault = f;
    },
    setScopes(list) {
      scopes = list === null ? null : new Set(list);
    },
    setTokens(list) {
      tokens = new Set(list);
    },
    webhookDeliveries: () => [...deliveries],
    async flushWebhooks() {
      for (let i = 0; i < 100; i++) {
        if (flushTimer !== null) {
          clearTimeout(flushTimer);
          flushEvents();
        }
        if (inFlight.size === 0 && pendingEvents.length === 0) return;
        await Promise.allSettled([...inFlight]);
      }
    },
  };

  // ---- server ----
  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json;charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  async function handleControl(name: string, rawBody: string, res: http.ServerResponse): Promise<void> {
    const fn = (control as unknown as Record<string, unknown>)[name];
    if (typeof fn !== 'function') {
      send(res, 404, { error: `unknown control method ${name}` });
      return;
    }
    let args: unknown[] = [];
    if (rawBody !== '') {
      const parsed: unknown = JSON.parse(rawBody);
      args = isRecord(parsed) && Array.isArray(parsed['args']) ? parsed['args'] : [parsed];
    }
    try {
      const result: unknown = await (fn as (...a: unknown[]) => unknown)(...args);
      send(res, 200, { result: result ?? null });
    } catch (err) {
      send(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  function takeFault(path: string): EmulatorFault | null {
    if (!fault || fault.count <= 0) return null;
    if (fault.match !== undefined && !path.includes(fault.match)) return null;
    const f = fault;
    fault = { ...f, count: f.count - 1 };
    if (fault.count <= 0) fault = null;
    return f;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://emulator.local');
        const method = req.method ?? 'GET';
        if (url.pathname.startsWith('/__control/')) {
          await handleControl(url.pathname.slice('/__control/'.length), rawBody, res).catch((err: unknown) =>
            send(res, 400, { error: err instanceof Error ? err.message : String(err) }),
          );
          return;
        }
        const route = routes.find((r) => r.method === method && r.pattern.test(url.pathname));
        count(route ? route.key : `${method} ${url.pathname}`);
        const f = takeFault(url.pathname);
        if (f?.kind === 'reset') {
          req.socket.destroy();
          return;
        }
        if (f?.kind === 'slow') await new Promise((r) => setTimeout(r, f.delayMs));
        if (f?.kind === 'status') {
          send(res, f.status, f.body ?? errorBody('INTERNAL_ERROR', 'internal error'), f.headers ?? {});
          return;
        }
        if (!route) {
          send(res, 404, errorBody('OBJECT_NOT_FOUND', `No route for ${method} ${url.pathname}`));
          return;
        }
        let headers: Record<string, string> = {};
        try {
          checkAuth(req);
          requireScope(route.scope);
          headers = checkRateLimit(route.kind);
          const m = route.pattern.exec(url.pathname);
          const out = route.handle(m ?? ([] as unknown as RegExpExecArray), rawBody, url.searchParams);
          send(res, out.status, out.body, headers);
        } catch (err) {
          if (err instanceof HttpFailure) send(res, err.status, err.body, { ...headers, ...err.headers });
          else send(res, 500, errorBody('INTERNAL_ERROR', err instanceof Error ? err.message : String(err)));
        }
      })();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    control,
    async close() {
      if (flushTimer !== null) clearTimeout(flushTimer);
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
