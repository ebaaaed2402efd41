// HubSpot's wire conventions as the emulator speaks them: error bodies, routes, batch envelopes and the public shape
// of a CRM object.
import { randomUUID } from 'node:crypto';
import { isRecord, iso, type StoredProperty, type StoredRecord } from './state.js';

export interface Reply {
  status: number;
  body: unknown;
}

/** Thrown by a handler to answer with HubSpot's error status, body and headers. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body['message'] ?? status));
  }
}

export function errorBody(
  category: string,
  message: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

export function validation(message: string, context?: Record<string, string[]>): HttpFailure {
  return new HttpFailure(400, errorBody('VALIDATION_ERROR', message, context ? { context } : {}));
}

export function parseJson(raw: string): Record<string, unknown> {
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

/** Which rate limit a call counts against: search has its own per-second limit. */
export type CallKind = 'search' | 'general';

export interface Route {
  method: string;
  pattern: RegExp;
  /** The method and path template, e.g. 'GET /crm/v3/owners/{ownerId}': the key of the call counts. */
  key: string;
  scope: string;
  kind: CallKind;
  /** `params` are the path template's {placeholders}, URI-decoded, in order. */
  handle(params: string[], body: string, query: URLSearchParams): Reply;
}

/** A route for `path`, where each {name} matches one path segment. */
export function route(
  method: string,
  path: string,
  scope: string,
  handle: Route['handle'],
  kind: CallKind = 'general',
): Route {
  const source = path
    .split(/\{[^}]+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('([^/]+)');
  return { method, pattern: new RegExp(`^${source}$`), key: `${method} ${path}`, scope, kind, handle };
}

/** The `inputs` of a batch request (at most 100). */
export function batchInputs(body: Record<string, unknown>): Array<Record<string, unknown>> {
  const inputs = body['inputs'];
  if (!Array.isArray(inputs)) throw validation('inputs is required');
  if (inputs.length > 100) throw validation(`Too many inputs: ${inputs.length} (limit 100)`);
  return inputs.map((i) => (isRecord(i) ? i : {}));
}

/** A batch answer: 207 with `errors` when some inputs failed, else 200 (201 for creations). */
export function batchResponse(
  at: number,
  results: unknown[],
  errors: Array<Record<string, unknown>>,
  created = false,
): Reply {
  const t = iso(at);
  const body: Record<string, unknown> = { status: 'COMPLETE', results, startedAt: t, completedAt: t, requestedAt: t };
  if (errors.length > 0) {
    body['numErrors'] = errors.length;
    body['errors'] = errors.map((e) => ({ status: 'error', errors: [], links: {}, ...e }));
    return { status: 207, body };
  }
  return { status: created ? 201 : 200, body };
}

/** A record as the API returns it, with the requested properties the catalogue knows (or the record has). */
export function publicObject(
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
