// The Marketo instance the emulator keeps in memory: lead records with a field schema, the activity log
// (Change Score, Change Data Value, New Lead), date-based paging tokens over the log, and the API user's
// permissions. Pure data and lookups; index.ts puts HTTP, tokens and limits in front of it.

export type MarketoValue = string | number | boolean | null;
export type MarketoLeadRecord = Record<string, MarketoValue> & { id: number };

export interface EmulatedField {
  /** REST name, e.g. leadScore. */
  name: string;
  displayName: string;
  dataType: 'string' | 'integer' | 'email' | 'datetime' | 'boolean' | 'text';
  readOnly?: boolean;
}

export interface EmulatedActivity {
  id: number;
  marketoGUID: string;
  leadId: number;
  /** ms; answered as an ISO date to the second, as Marketo does. */
  at: number;
  activityTypeId: number;
  primaryAttributeValue: string | null;
  attributes: Array<{ name: string; value: MarketoValue }>;
}

/** What the API-only user's role allows (Admin > Users & Roles). */
export interface EmulatedPermissions {
  readLead: boolean;
  writeLead: boolean;
  readActivity: boolean;
}

export const ACTIVITY_TYPES = [
  { id: 1, name: 'Visit Webpage', primaryAttribute: { name: 'Webpage ID', dataType: 'integer' } },
  { id: 12, name: 'New Lead', primaryAttribute: null },
  { id: 13, name: 'Change Data Value', primaryAttribute: { name: 'Attribute Name', dataType: 'string' } },
  { id: 22, name: 'Change Score', primaryAttribute: { name: 'Score Name', dataType: 'string' } },
  { id: 104, name: 'Change Status in Progression', primaryAttribute: { name: 'Program ID', dataType: 'integer' } },
] as const;

export const STANDARD_FIELDS: EmulatedField[] = [
  { name: 'id', displayName: 'Id', dataType: 'integer', readOnly: true },
  { name: 'email', displayName: 'Email Address', dataType: 'email' },
  { name: 'firstName', displayName: 'First Name', dataType: 'string' },
  { name: 'lastName', displayName: 'Last Name', dataType: 'string' },
  { name: 'title', displayName: 'Job Title', dataType: 'string' },
  { name: 'company', displayName: 'Company Name', dataType: 'string' },
  { name: 'country', displayName: 'Country', dataType: 'string' },
  { name: 'numberOfEmployees', displayName: 'Num Employees', dataType: 'integer' },
  { name: 'industry', displayName: 'Industry', dataType: 'string' },
  { name: 'leadScore', displayName: 'Lead Score', dataType: 'integer' },
  { name: 'leadStatus', displayName: 'Lead Status', dataType: 'string' },
  { name: 'leadSource', displayName: 'Lead Source', dataType: 'string' },
  { name: 'createdAt', displayName: 'Created At', dataType: 'datetime', readOnly: true },
  { name: 'updatedAt', displayName: 'Updated At', dataType: 'datetime', readOnly: true },
];

export interface MarketoInstance {
  now: () => number;
  fields: Map<string, EmulatedField>;
  leads: Map<number, MarketoLeadRecord>;
  activities: EmulatedActivity[];
  permissions: EmulatedPermissions;
  nextLeadId: number;
  nextActivityId: number;
}

export function createInstance(now: () => number): MarketoInstance {
  return {
    now,
    fields: new Map(STANDARD_FIELDS.map((f) => [f.name.toLowerCase(), f])),
    leads: new Map(),
    activities: [],
    permissions: { readLead: true, writeLead: true, readActivity: true },
    nextLeadId: 1001,
    nextActivityId: 500_001,
  };
}

/** Marketo's date format: ISO 8601 to the second, UTC. */
export function isoSecond(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function fieldOf(m: MarketoInstance, name: string): EmulatedField | undefined {
  return m.fields.get(name.toLowerCase());
}

function coerce(field: EmulatedField, value: MarketoValue): MarketoValue {
  if (value === null || value === '') return null;
  if (field.dataType === 'integer') {
    const n = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(n) ? Math.trunc(n) : null;
  }
  if (field.dataType === 'boolean') return value === true || value === 'true';
  return String(value);
}

export function appendActivity(
  m: MarketoInstance,
  a: Omit<EmulatedActivity, 'id' | 'marketoGUID' | 'at'> & { at?: number },
): EmulatedActivity {
  const id = m.nextActivityId++;
  // The log is ordered by time: an activity back-dated before the last one is clamped to it.
  const last = m.activities[m.activities.length - 1];
  const at = Math.max(a.at ?? m.now(), last?.at ?? 0);
  const activity: EmulatedActivity = { ...a, id, marketoGUID: String(id), at };
  m.activities.push(activity);
  return activity;
}

/** Creates a lead (a New Lead activity; a score or status it starts with is logged as a change). */
export function createLead(m: MarketoInstance, values: Record<string, MarketoValue>): MarketoLeadRecord {
  const id = m.nextLeadId++;
  const stamp = isoSecond(m.now());
  const lead: MarketoLeadRecord = { id, createdAt: stamp, updatedAt: stamp };
  m.leads.set(id, lead);
  appendActivity(m, { leadId: id, activityTypeId: 12, primaryAttributeValue: null, attributes: [] });
  for (const [name, value] of Object.entries(values)) setField(m, lead, name, value, 'Created');
  return lead;
}

/**
 * Sets one field, logging the change as Marketo does: Change Score (22) for score fields, Change Data Value (13)
 * for the others. Unknown fields throw (the caller answers 1006).
 */
export function setField(
  m: MarketoInstance,
  lead: MarketoLeadRecord,
  name: string,
  raw: MarketoValue,
  reason: string,
): void {
  const field = fieldOf(m, name);
  if (!field) throw new Error(`Field '${name}' not found`);
  const value = coerce(field, raw);
  const old = lead[field.name] ?? null;
  if (old === value) return;
  lead[field.name] = value;
  lead.updatedAt = isoSecond(m.now());
  const isScore = field.dataType === 'integer' && /score/i.test(field.name);
  if (isScore) {
    const change = (typeof value === 'number' ? value : 0) - (typeof old === 'number' ? old : 0);
    appendActivity(m, {
      leadId: lead.id,
      activityTypeId: 22,
      primaryAttributeValue: field.displayName,
      attributes: [
        { name: 'Change Value', value: change >= 0 ? `+${change}` : String(change) },
        { name: 'New Value', value },
        { name: 'Old Value', value: old },
        { name: 'Reason', value: reason },
      ],
    });
  } else if (field.name !== 'email') {
    appendActivity(m, {
      leadId: lead.id,
      activityTypeId: 13,
      primaryAttributeValue: field.displayName,
      attributes: [
        { name: 'New Value', value },
        { name: 'Old Value', value: old },
        { name: 'Reason', value: reason },
      ],
    });
  }
}

/** A lead as the REST API shows it: id plus the requested fields (null when empty). */
export function projectLead(lead: MarketoLeadRecord, fields: EmulatedField[]): Record<string, MarketoValue> {
  const out: Record<string, MarketoValue> = { id: lead.id };
  for (const f of fields) out[f.name] = lead[f.name] ?? null;
  return out;
}

export function activityJson(a: EmulatedActivity): Record<string, unknown> {
  return {
    id: a.id,
    marketoGUID: a.marketoGUID,
    leadId: a.leadId,
    activityDate: isoSecond(a.at),
    activityTypeId: a.activityTypeId,
    ...(a.primaryAttributeValue !== null ? { primaryAttributeValue: a.primaryAttributeValue } : {}),
    attributes: a.attributes,
  };
}

/** Paging tokens are opaque to clients; here they hold the position in the log (the next activity's index). */
export function encodeToken(index: number): string {
  return Buffer.from(`mkto:${index}`).toString('base64url');
}

export function decodeToken(token: string): number | null {
  const m = /^mkto:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : null;
}

/** The index of the first activity at or after `since` (to the second). */
export function indexSince(m: MarketoInstance, since: number): number {
  const floor = Math.floor(since / 1000) * 1000;
  let lo = 0;
  let hi = m.activities.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((m.activities[mid]?.at ?? 0) < floor) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
