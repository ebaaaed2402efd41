// MQL detection on Marketo by the activity log. A poll walks Get Lead Activities (the configured activity
// types, nextPageToken until moreResult is false), either on from the token the last walk ended on, or — on the
// first poll and every few minutes (a sweep) — from a paging token for the cursor time minus the overlap, for
// activities Marketo logged late. An activity is an MQL crossing when it moves a criterion field into the MQL
// range:
//  - a score change (type 22 Change Score, or a Change Data Value on the score field) from below
//    source.mql.minScore to at or above it;
//  - a change of marketo.statusField (type 13 Change Data Value, matched by name ignoring case and spaces) to
//    source.mql.status.
// The leads of the crossings are read in batches of up to 300 ids; a lead is an MQL when it still meets the
// whole criterion now. mqlAt is the crossing's activity date (or the configured date field), so re-reading an
// overlap yields the same episode keys (and crossings this process already handed out are not read again). The
// cursor (newest activity date, the token, the last sweep) is stored after each batch, so a restart resumes there.
import { chunk } from '../../src/domain/chunk.js';
import { InputError } from '../../src/domain/errors.js';
import { LEAD_FIELDS } from '../../src/domain/model.js';
import type { Lead, LeadFieldName, LeadFieldValues, Millis } from '../../src/domain/model.js';
import type { LeadPage, LeadSource, LeadStatus } from '../../src/ports/lead-source.js';
import { ConnectorError } from '../../src/ports/failure.js';
import type { MarketoApi, MarketoEnvelope } from './marketo.client.js';
import { marketoDateTime, parseMarketoTime } from './marketo.client.js';

export interface MarketoMqlCriterion {
  /** Score (fields.score) at or above which a lead is MQL; null: the score does not matter. */
  minScore: number | null;
  /** Value of statusField that means MQL; null: the status does not matter. */
  status: string | null;
  statusField: string;
  /** A lead datetime field holding when the lead became MQL (wins over the activity date). */
  dateField?: string | null;
}

export interface MarketoLeadSourceOptions {
  activityTypeIds: number[];
  mql: MarketoMqlCriterion;
  /** Lead field → Marketo REST field name (e.g. { score: 'leadScore', title: 'title' }). */
  fields: Partial<Record<LeadFieldName, string>>;
  /** More lead fields to read into `props`. */
  extraFields?: string[];
  /** Each poll starts this long before the cursor. Default 2 min. */
  overlapMs?: number;
  /** Ids per Get Leads call (Marketo: at most 300). Default 300. */
  leadBatchSize?: number;
  /** How often a poll re-reads the overlap instead of continuing from the last token. Default 5 min. */
  sweepEveryMs?: number;
}

export interface MarketoLeadSourceDeps {
  api: MarketoApi;
  now?: () => Millis;
  /** How often today's usage is read from Marketo (one call). Default 15 min. */
  usageEveryMs?: number;
}

export interface MarketoLeadSource extends LeadSource {
  /** Set while Marketo's daily quota is used up: the poller skips its ticks until then. */
  readonly pausedUntil: Millis | null;
  /** 1 normally, 2 from the quota warning level on (polls half as often). */
  readonly pollDelayMultiplier: number;
}

/** A Marketo activity as Get Lead Activities returns it. */
export interface MarketoActivity {
  id: number;
  leadId: number;
  activityDate: string;
  activityTypeId: number;
  primaryAttributeValue?: string;
  attributes?: Array<{ name: string; value: unknown }>;
}

export type MarketoRecord = Record<string, unknown> & { id: number };

const SCORE_CHANGE = 22;
const IDENTITY_FIELDS = ['id', 'email', 'firstName', 'lastName', 'updatedAt', 'createdAt'];
export const MAX_IDS_PER_CALL = 300;
const MAX_REMEMBERED = 50_000;

/** A field name for comparison: "Lead Status" and "leadStatus" are the same. */
const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function attribute(a: MarketoActivity, name: string): unknown {
  const wanted = norm(name);
  return a.attributes?.find((x) => norm(x.name) === wanted)?.value ?? null;
}

function asNumber(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(String(v).replace(/,/g, ''));
  return Number.isFinite(n) ? n : null;
}

function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

const sameText = (a: unknown, b: string): boolean => asText(a)?.trim().toLowerCase() === b.trim().toLowerCase();

/** Reads the criterion for a source built from config; throws config.invalid when it cannot work. */
export function checkCriterion(mql: MarketoMqlCriterion, fields: Partial<Record<LeadFieldName, string>>): void {
  if (mql.minScore === null && mql.status === null)
    throw new InputError('config.invalid', ['source.mql: a Marketo source needs minScore and/or status']);
  if (mql.minScore !== null && !fields.score)
    throw new InputError('config.invalid', ['source.mql.minScore: needs fields.score (the Marketo score field)']);
}

/** The crossing an activity is, if any: it moved a criterion field into the MQL range. */
export function isCrossing(a: MarketoActivity, mql: MarketoMqlCriterion, scoreField: string | undefined): boolean {
  const primary = a.primaryAttributeValue !== undefined ? norm(a.primaryAttributeValue) : null;
  const newValue = attribute(a, 'New Value');
  const oldValue = attribute(a, 'Old Value');
  const onScore =
    a.activityTypeId === SCORE_CHANGE || (scoreField !== undefined && primary !== null && primary === norm(scoreField));
  if (onScore) {
    if (mql.minScore === null) return false;
    const after = asNumber(newValue);
    const before = asNumber(oldValue);
    return after !== null && after >= mql.minScore && !(before !== null && before >= mql.minScore);
  }
  if (mql.status !== null && primary !== null && primary === norm(mql.statusField)) {
    return sameText(newValue, mql.status) && !sameText(oldValue, mql.status);
  }
  return false;
}

/** The lead meets the whole MQL criterion as it is now. */
export function meetsCriterion(rec: MarketoRecord, mql: MarketoMqlCriterion, scoreField: string | undefined): boolean {
  if (mql.minScore !== null) {
    const score = scoreField ? asNumber(field(rec, scoreField)) : null;
    if (score === null || score < mql.minScore) return false;
  }
  if (mql.status !== null && !sameText(field(rec, mql.statusField), mql.status)) return false;
  return true;
}

/** A field of a record, whatever the case of the configured name. */
export function field(rec: Record<string, unknown>, name: string): unknown {
  if (name in rec) return rec[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(rec)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The fields a Get Leads call asks for: identity fields, mapped fields, criterion fields, extras. */
export function selectedFields(
  fields: Partial<Record<LeadFieldName, string>>,
  mql: MarketoMqlCriterion,
  extra: string[] = [],
): string[] {
  const out: string[] = [];
  for (const f of [
    ...IDENTITY_FIELDS,
    ...Object.values(fields).filter((v): v is string => typeof v === 'string'),
    ...(mql.status !== null ? [mql.statusField] : []),
    ...(mql.dateField ? [mql.dateField] : []),
    ...extra,
  ]) {
    if (!out.some((s) => s.toLowerCase() === f.toLowerCase())) out.push(f);
  }
  return out;
}

/** The Lead of a Marketo lead record. */
export function leadOfRecord(
  rec: MarketoRecord,
  read: { fields: Partial<Record<LeadFieldName, string>>; selected: string[] },
  times: { mqlAt: Millis; modifiedAt: Millis },
): Lead {
  const props: Record<string, string | null> = {};
  for (const name of read.selected) props[name] = asText(field(rec, name));
  const values: LeadFieldValues = {};
  const out = values as Record<string, string | number>;
  for (const [leadField, name] of Object.entries(read.fields) as Array<[LeadFieldName, string | undefined]>) {
    if (name === undefined) continue;
    const raw = field(rec, name);
    if (raw === null || raw === undefined || raw === '') continue;
    if (LEAD_FIELDS[leadField] === 'number') {
      const n = asNumber(raw);
      if (n !== null) out[leadField] = n;
    } else {
      const text = asText(raw);
      if (text !== null) out[leadField] = text;
    }
  }
  return {
    source: 'marketo',
    externalId: String(rec.id),
    email: asText(rec['email']),
    firstName: asText(rec['firstName']),
    lastName: asText(rec['lastName']),
    fields: values,
    props,
    mqlAt: times.mqlAt,
    modifiedAt: times.modifiedAt,
    ownerId: null,
    recordUrl: null,
  };
}

/** Reads lead records by id, up to 300 ids a call; missing ids (deleted, merged away) are absent. */
export async function readLeads(
  api: MarketoApi,
  ids: Array<number | string>,
  fields: string[],
  options: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<Map<string, MarketoRecord>> {
  const out = new Map<string, MarketoRecord>();
  const size = Math.min(MAX_IDS_PER_CALL, Math.max(1, options.batchSize ?? MAX_IDS_PER_CALL));
  for (const part of chunk([...new Set(ids.map(String))], size)) {
    const env = await api.get<MarketoRecord>(
      'get leads',
      '/rest/v1/leads.json',
      { filterType: 'id', filterValues: part.join(','), fields: fields.join(',') },
      options.signal ? { signal: options.signal } : {},
    );
    for (const r of env.result ?? []) out.set(String(r.id), r);
  }
  return out;
}

/** One page of Get Lead Activities. */
export interface ActivityPage {
  activities: MarketoActivity[];
  /** The token after this page. */
  nextPageToken: string;
  more: boolean;
}

/**
 * Walks the activity log, one page per Get Lead Activities call: from `since` (a Get Paging Token call first) or
 * from a token an earlier walk ended on.
 */
export async function* activityPages(
  api: MarketoApi,
  start: { since: Millis } | { token: string },
  activityTypeIds: number[],
  signal?: AbortSignal,
): AsyncGenerator<ActivityPage> {
  const opts = signal ? { signal } : {};
  let token: string | undefined;
  if ('token' in start) token = start.token;
  else {
    const first = await api.get<never>(
      'get paging token',
      '/rest/v1/activities/pagingtoken.json',
      { sinceDatetime: marketoDateTime(Math.max(0, start.since)) },
      opts,
    );
    token = first.nextPageToken;
  }
  if (!token) throw new InputError('input.invalid', ['marketo: Get Paging Token answered without nextPageToken']);
  for (;;) {
    signal?.throwIfAborted();
    const env: MarketoEnvelope<MarketoActivity> = await api.get<MarketoActivity>(
      'get lead activities',
      '/rest/v1/activities.json',
      { activityTypeIds: activityTypeIds.join(','), nextPageToken: token },
      opts,
    );
    const next: string = env.nextPageToken ?? token;
    const more = env.moreResult === true && next !== token;
    yield { activities: env.result ?? [], nextPageToken: next, more };
    if (!more) return;
    token = next;
  }
}

/**
 * Where the next poll starts: `token` continues the log where the last walk ended (no overlap, no paging-token
 * call); every `sweepEveryMs` a sweep starts again at `at` minus the overlap, for activities Marketo logged late.
 */
interface PollCursor {
  at: Millis;
  token?: string;
  /** When the last complete sweep started. */
  sweptAt?: Millis;
}

function parseCursor(cursor: string): PollCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    throw new InputError('input.invalid', [`marketo: unreadable poll cursor ${cursor}`]);
  }
  const c = (parsed ?? {}) as { at?: unknown; token?: unknown; sweptAt?: unknown };
  if (typeof c.at !== 'number' || !Number.isFinite(c.at))
    throw new InputError('input.invalid', [`marketo: poll cursor without at: ${cursor}`]);
  return {
    at: c.at,
    ...(typeof c.token === 'string' && c.token !== '' ? { token: c.token } : {}),
    ...(typeof c.sweptAt === 'number' ? { sweptAt: c.sweptAt } : {}),
  };
}

export function createMarketoLeadSource(
  options: MarketoLeadSourceOptions,
  deps: MarketoLeadSourceDeps,
): MarketoLeadSource {
  const { api } = deps;
  const now = deps.now ?? Date.now;
  const log = api.logger.child({ component: 'marketo-lead-source' });
  const overlapMs = options.overlapMs ?? 120_000;
  const usageEveryMs = deps.usageEveryMs ?? 15 * 60_000;
  const mql = options.mql;
  const scoreField = options.fields.score;
  checkCriterion(mql, options.fields);
  const selected = selectedFields(options.fields, mql, options.extraFields);
  const batch = { batchSize: Math.min(MAX_IDS_PER_CALL, options.leadBatchSize ?? MAX_IDS_PER_CALL) };
  const sweepEveryMs = options.sweepEveryMs ?? 5 * 60_000;

  function mqlTime(rec: MarketoRecord, crossedAt: Millis | null): Millis {
    if (mql.dateField) {
      const t = parseMarketoTime(field(rec, mql.dateField));
      if (Number.isFinite(t)) return t;
    }
    if (crossedAt !== null) return crossedAt;
    const updated = parseMarketoTime(rec['updatedAt']);
    return Number.isFinite(updated) ? updated : now();
  }

  function toLead(rec: MarketoRecord, crossedAt: Millis | null): Lead {
    const updated = parseMarketoTime(rec['updatedAt']);
    const mqlAt = mqlTime(rec, crossedAt);
    return leadOfRecord(
      rec,
      { fields: options.fields, selected },
      { mqlAt, modifiedAt: Number.isFinite(updated) ? updated : mqlAt },
    );
  }

  async function maybeRefreshUsage(signal?: AbortSignal): Promise<void> {
    const at = api.usageReadAt();
    if (at !== null && now() - at < usageEveryMs) return;
    try {
      await api.refreshUsage(signal ? { signal } : {});
    } catch (err) {
      // The usage figure is a nicety (other integrations' calls); detection goes on without it.
      log.warn({ err }, 'could not read Marketo API usage');
    }
  }

  /** Crossings already handed out by this process (lead:time), so re-read overlaps cost no lead reads. */
  const handedOut = new Set<string>();
  const remember = (keys: string[]): void => {
    for (const k of keys) handedOut.add(k);
    if (handedOut.size > MAX_REMEMBERED) {
      const drop = handedOut.size - MAX_REMEMBERED;
      let i = 0;
      for (const k of handedOut) {
        if (i++ >= drop) break;
        handedOut.delete(k);
      }
    }
  };

  async function* walk(
    prev: PollCursor | null,
    sweep: boolean,
    opts: { startFrom: Millis; signal?: AbortSignal },
  ): AsyncGenerator<LeadPage> {
    const startedAt = now();
    let at = prev?.at ?? opts.startFrom;
    const start =
      !sweep && prev?.token ? { token: prev.token } : { since: prev === null ? opts.startFrom : prev.at - overlapMs };
    // Crossings waiting for their lead reads: lead id → the last crossing time. Read 300 ids at a time.
    const pending = new Map<string, Millis>();
    for await (const page of activityPages(api, start, options.activityTypeIds, opts.signal)) {
      for (const a of page.activities) {
        const t = parseMarketoTime(a.activityDate);
        if (Number.isFinite(t)) at = Math.max(at, t);
        // The last crossing of a lead: the one that started the episode it is in now (a lead whose score
        // crossed while its status was not MQL yet becomes MQL at the later status change).
        if (Number.isFinite(t) && isCrossing(a, mql, scoreField)) pending.set(String(a.leadId), t);
      }
      for (const [id, t] of pending) if (handedOut.has(`${id}:${t}`)) pending.delete(id);
      if (page.more && pending.size < batch.batchSize) {
        if (pending.size > 0) continue; // the cursor moves once the pending crossings are stored
      }
      const leads: Lead[] = [];
      const keys = [...pending].map(([id, t]) => `${id}:${t}`);
      if (pending.size > 0) {
        const records = await readLeads(api, [...pending.keys()], selected, {
          ...batch,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        for (const [id, crossedAt] of pending) {
          const rec = records.get(id);
          if (rec && meetsCriterion(rec, mql, scoreField)) leads.push(toLead(rec, crossedAt));
        }
        leads.sort((a, b) => a.mqlAt - b.mqlAt);
        pending.clear();
      }
      // Read to the end: everything logged before this poll started has been seen.
      if (!page.more) at = Math.max(at, startedAt);
      const sweptAt = sweep ? (page.more ? prev?.sweptAt : startedAt) : prev?.sweptAt;
      const next: PollCursor = { at, token: page.nextPageToken, ...(sweptAt !== undefined ? { sweptAt } : {}) };
      yield { leads, cursor: JSON.stringify(next) };
      // Here the caller has stored the page: its crossings need no lead reads when an overlap brings them again.
      remember(keys);
    }
  }

  async function* poll(
    cursor: string | null,
    opts: { startFrom: Millis; signal?: AbortSignal },
  ): AsyncIterable<LeadPage> {
    await maybeRefreshUsage(opts.signal);
    const prev = cursor === null ? null : parseCursor(cursor);
    const sweep = prev === null || prev.token === undefined || now() - (prev.sweptAt ?? 0) >= sweepEveryMs;
    try {
      yield* walk(prev, sweep, opts);
    } catch (err) {
      // A token Marketo no longer takes: sweep from the cursor's time instead.
      if (sweep || !(err instanceof ConnectorError) || err.failure.kind !== 'invalid') throw err;
      log.warn(
        { reason: err.failure.reason },
        'marketo refused the stored paging token; sweeping from the cursor time',
      );
      yield* walk(prev, true, opts);
    }
  }

  async function fetchLeads(externalIds: string[]): Promise<Lead[]> {
    if (externalIds.length === 0) return [];
    const records = await readLeads(api, externalIds, selected, batch);
    return [...records.values()].filter((r) => meetsCriterion(r, mql, scoreField)).map((r) => toLead(r, null));
  }

  async function checkLeads(externalIds: string[]): Promise<LeadStatus[]> {
    if (externalIds.length === 0) return [];
    const records = await readLeads(api, externalIds, selected, batch);
    return externalIds.map((id) => {
      const r = records.get(String(id));
      // A lead merged into another is deleted in Marketo: it no longer exists.
      if (!r) return { externalId: id, exists: false, mql: false, ownerId: null, mergedInto: null };
      return { externalId: id, exists: true, mql: meetsCriterion(r, mql, scoreField), ownerId: null, mergedInto: null };
    });
  }

  return {
    kind: 'marketo',
    get pausedUntil() {
      return api.pausedUntil();
    },
    get pollDelayMultiplier() {
      const s = api.stats();
      return s.usedToday >= s.quota * s.warnAt ? 2 : 1;
    },
    poll,
    fetchLeads,
    checkLeads,
  };
}
