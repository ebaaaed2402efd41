// Intake payloads → leads: the generic signed JSON (one lead or a batch) and Mautic's
// mautic.lead_points_change webhook. Every value is read by a dotted path and checked against the type of
// the lead field it fills; a problem names the lead (by index) and the field.
import { evaluateCondition } from '../../src/domain/conditions.js';
import {
  LEAD_FIELDS,
  type Lead,
  type LeadFieldName,
  type LeadFieldValues,
  type Millis,
} from '../../src/domain/model.js';
import type { IntakeFieldName, IntakeSourceConfig } from '../../src/config/index.js';
import { headerValue, type HeaderBag } from '../../src/runtime/signed-request.js';

export const MAUTIC_EVENT = 'mautic.lead_points_change';
const MAX_KEY_LENGTH = 200;
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** One lead of a delivery: an MQL to store, or one the source's criterion leaves out. */
export type IntakeItem =
  | { index: number; key: string; kind: 'lead'; lead: Lead }
  | { index: number; key: string; kind: 'not_mql'; why: string };

export type IntakeParse =
  | { ok: true; items: IntakeItem[]; ignoredEvents: number }
  | { ok: false; status: 400 | 413 | 422; reason: string; field?: string };

class PayloadProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly status: 400 | 422 = 422,
  ) {
    super(message);
  }
}

/** The value at a dotted path (object keys, or array indexes as digits); undefined when any step is missing. */
export function valueAt(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const step of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(step)) return undefined;
      current = current[Number(step)];
    } else {
      if (!Object.hasOwn(current, step)) return undefined;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}

const isMissing = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}

function asText(v: unknown, where: string, path: string): string | null {
  if (isMissing(v)) return null;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new PayloadProblem(where, `${where}: expected text at "${path}", got ${describe(v)}`);
}

function asNumber(v: unknown, where: string, path: string): number | null {
  if (isMissing(v)) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  throw new PayloadProblem(where, `${where}: expected a number at "${path}", got ${describe(v)}`);
}

/** ISO 8601 text, or epoch seconds (< 10^11) / milliseconds. */
function asTime(v: unknown, where: string, path: string): Millis | null {
  if (isMissing(v)) return null;
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e11 ? Math.round(v * 1000) : Math.round(v);
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^\d+$/.test(s)) return asTime(Number(s), where, path);
    // Mautic writes "2026-12-07 09:30:00" (UTC) as well as ISO 8601.
    const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(s)
      ? `${s.replace(' ', 'T')}${/[Zz]|[+-]\d{2}:?\d{2}$/.test(s) ? '' : 'Z'}`
      : s;
    const at = /^\d{4}-\d{2}-\d{2}/.test(iso) ? Date.parse(iso) : Number.NaN;
    if (Number.isFinite(at)) return at;
  }
  throw new PayloadProblem(
    where,
    `${where}: expected a date/time (ISO 8601 or epoch) at "${path}", got ${describe(v)}`,
  );
}

function keyText(v: unknown, where: string, path: string): string {
  const text = isMissing(v) ? null : typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined;
  if (text === undefined)
    throw new PayloadProblem(where, `${where}: expected text or a number at "${path}", got ${describe(v)}`);
  if (text === null) throw new PayloadProblem(where, `${where}: no idempotency key at "${path}"`);
  if (text.length > MAX_KEY_LENGTH)
    throw new PayloadProblem(where, `${where}: the idempotency key is longer than ${MAX_KEY_LENGTH} characters`);
  return text;
}

/** Builds the lead of one item from the source's field paths. */
function leadOf(
  source: IntakeSourceConfig,
  item: unknown,
  index: number,
  key: string,
  now: Millis,
  required: ReadonlySet<IntakeFieldName>,
): Lead {
  const at = (name: IntakeFieldName): { value: unknown; where: string; path: string } | null => {
    const path = source.fields[name];
    if (path === undefined) return null;
    const value = valueAt(item, path);
    const where = `leads[${index}].${name}`;
    if (isMissing(value) && required.has(name))
      throw new PayloadProblem(where, `${where}: required, and nothing is at "${path}"`);
    return { value, where, path };
  };
  const text = (name: IntakeFieldName): string | null => {
    const v = at(name);
    return v ? asText(v.value, v.where, v.path) : null;
  };
  const email = text('email');
  if (email !== null && !/^[^@\s]+@[^@\s]+$/.test(email))
    throw new PayloadProblem(`leads[${index}].email`, `leads[${index}].email: "${email}" is not an email address`);
  const fields: LeadFieldValues = {};
  const props: Record<string, string | null> = { intake_source: source.id, intake_key: key };
  for (const [name, type] of Object.entries(LEAD_FIELDS) as Array<[LeadFieldName, 'string' | 'number']>) {
    const v = at(name);
    if (!v) continue;
    const value = type === 'number' ? asNumber(v.value, v.where, v.path) : asText(v.value, v.where, v.path);
    if (value === null) continue;
    (fields as Record<string, string | number>)[name] = value;
    props[name] = String(value);
  }
  // The channel (source in the numbers and the dashboard) is the intake source unless the payload says otherwise.
  fields.channel ??= source.id;
  const mqlAtField = at('mqlAt');
  const mqlAt = (mqlAtField ? asTime(mqlAtField.value, mqlAtField.where, mqlAtField.path) : null) ?? now;
  // A clock a little ahead is tolerated (as for signatures); an MQL time far in the future is a mapping mistake.
  if (mqlAtField && mqlAt > now + FUTURE_TOLERANCE_MS)
    throw new PayloadProblem(
      mqlAtField.where,
      `${mqlAtField.where}: ${new Date(mqlAt).toISOString()} is in the future`,
    );
  return {
    source: 'intake',
    externalId: `${source.id}:${key}`,
    email: email === null ? null : email.toLowerCase(),
    firstName: text('firstName'),
    lastName: text('lastName'),
    fields,
    props,
    mqlAt,
    modifiedAt: now,
    ownerId: null,
    recordUrl: text('recordUrl'),
  };
}

/** Lead fields the MQL condition names: a lead without them cannot be judged, so they are required. */
function conditionFieldsOf(source: IntakeSourceConfig): Set<IntakeFieldName> {
  const out = new Set<IntakeFieldName>(['email']);
  const walk = (c: IntakeSourceConfig['mql']): void => {
    if (c === null) return;
    if (c.kind === 'compare') {
      if (Object.hasOwn(LEAD_FIELDS, c.field) && c.op !== 'exists') out.add(c.field as LeadFieldName);
    } else if (c.kind === 'not') walk(c.of);
    else c.of.forEach(walk);
  };
  walk(source.mql);
  return out;
}

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

function fail(err: unknown): IntakeParse {
  if (err instanceof PayloadProblem) return { ok: false, status: err.status, reason: err.message, field: err.field };
  throw err;
}

/** The generic form: one lead (an object) or a batch (an array of objects). */
export function parseGenericIntake(
  source: IntakeSourceConfig,
  raw: Buffer,
  headers: HeaderBag,
  now: Millis,
): IntakeParse {
  const json = parseJson(raw);
  if (!json.ok) return { ok: false, status: 400, reason: 'body is not JSON' };
  const batch = Array.isArray(json.value);
  const list: unknown[] = batch ? (json.value as unknown[]) : [json.value];
  if (list.length === 0) return { ok: false, status: 400, reason: 'the batch is empty' };
  if (list.length > source.maxBatch)
    return {
      ok: false,
      status: 413,
      reason: `a batch may carry at most ${source.maxBatch} leads (got ${list.length})`,
    };
  const spec = source.idempotencyKey;
  if (spec === null) throw new Error(`intake source ${source.id} has no idempotency key`);
  let headerKey: string | null = null;
  if ('header' in spec) {
    const v = headerValue(headers, spec.header);
    if (v === undefined || v.trim() === '')
      return {
        ok: false,
        status: 400,
        reason: `missing ${spec.header} header (the idempotency key)`,
        field: spec.header,
      };
    if (v.trim().length > MAX_KEY_LENGTH)
      return {
        ok: false,
        status: 400,
        reason: `${spec.header} is longer than ${MAX_KEY_LENGTH} characters`,
        field: spec.header,
      };
    headerKey = v.trim();
  }
  const required = conditionFieldsOf(source);
  const items: IntakeItem[] = [];
  const keys = new Set<string>();
  try {
    list.forEach((item, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        throw new PayloadProblem(`leads[${index}]`, `leads[${index}]: expected an object, got ${describe(item)}`);
      const key =
        headerKey !== null
          ? batch
            ? `${headerKey}:${index}`
            : headerKey
          : keyText(
              valueAt(item, (spec as { field: string }).field),
              `leads[${index}].idempotencyKey`,
              (spec as { field: string }).field,
            );
      if (keys.has(key))
        throw new PayloadProblem(
          `leads[${index}].idempotencyKey`,
          `leads[${index}]: idempotency key "${key}" appears twice in this batch`,
        );
      keys.add(key);
      const lead = leadOf(source, item, index, key, now, required);
      if (source.mql !== null && !evaluateCondition(source.mql, { lead })) {
        items.push({ index, key, kind: 'not_mql', why: 'the mql condition does not hold' });
        return;
      }
      items.push({ index, key, kind: 'lead', lead });
    });
  } catch (err) {
    return fail(err);
  }
  return { ok: true, items, ignoredEvents: 0 };
}

/**
 * Mautic's webhook body: `{ "mautic.lead_points_change": [{ contact, points: { old_points, new_points }, timestamp }],
 * timestamp }` (other event types in the same body are ignored). A contact is an MQL when its points cross the
 * threshold upward: old < threshold <= new. The key of an event is the contact id and the event time.
 */
export function parseMauticWebhook(source: IntakeSourceConfig, raw: Buffer, now: Millis): IntakeParse {
  const json = parseJson(raw);
  if (!json.ok) return { ok: false, status: 400, reason: 'body is not JSON' };
  const body = json.value;
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, status: 400, reason: 'expected a Mautic webhook body (an object keyed by event type)' };
  const events = (body as Record<string, unknown>)[MAUTIC_EVENT];
  const ignoredEvents = Object.keys(body).filter((k) => k !== MAUTIC_EVENT && k !== 'timestamp').length;
  if (events === undefined) return { ok: true, items: [], ignoredEvents };
  if (!Array.isArray(events))
    return { ok: false, status: 422, reason: `${MAUTIC_EVENT}: expected a list of events`, field: MAUTIC_EVENT };
  if (events.length > source.maxBatch)
    return {
      ok: false,
      status: 413,
      reason: `a delivery may carry at most ${source.maxBatch} events (got ${events.length})`,
    };
  const threshold = source.threshold ?? Number.POSITIVE_INFINITY;
  const required = new Set<IntakeFieldName>(['email']);
  const items: IntakeItem[] = [];
  try {
    events.forEach((event, index) => {
      const where = `leads[${index}]`;
      if (event === null || typeof event !== 'object' || Array.isArray(event))
        throw new PayloadProblem(where, `${where}: expected an event object, got ${describe(event)}`);
      const contactId = keyText(valueAt(event, 'contact.id'), `${where}.contact.id`, 'contact.id');
      const when = asTime(valueAt(event, 'timestamp'), `${where}.timestamp`, 'timestamp');
      if (when === null) throw new PayloadProblem(`${where}.timestamp`, `${where}.timestamp: required`);
      const oldPoints = asNumber(
        valueAt(event, 'points.old_points'),
        `${where}.points.old_points`,
        'points.old_points',
      );
      const newPoints = asNumber(
        valueAt(event, 'points.new_points'),
        `${where}.points.new_points`,
        'points.new_points',
      );
      if (oldPoints === null || newPoints === null)
        throw new PayloadProblem(`${where}.points`, `${where}.points: old_points and new_points are required`);
      const key = `${contactId}:${when}`;
      if (!(oldPoints < threshold && threshold <= newPoints)) {
        items.push({
          index,
          key,
          kind: 'not_mql',
          why: `points ${oldPoints} → ${newPoints} do not cross ${threshold}`,
        });
        return;
      }
      const lead = leadOf(source, event, index, key, now, required);
      lead.props.mautic_contact_id = contactId;
      lead.props.points_old = String(oldPoints);
      lead.props.points_new = String(newPoints);
      items.push({ index, key, kind: 'lead', lead });
    });
  } catch (err) {
    return fail(err);
  }
  return { ok: true, items, ignoredEvents };
}
