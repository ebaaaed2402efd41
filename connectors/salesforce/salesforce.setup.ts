// `handoff setup salesforce` and `doctor`: sign in, read the API allowance, describe Lead (and Task when notes are
// written), and check every field we read and write: it exists, has a fitting type, is updateable where we write
// it, and a fixed value for a restricted picklist is one of its values. Missing fields are listed with the type
// to create them with (custom fields are created by an admin in Setup; we do not change the org's schema).
import type { LeadFieldName } from '../../src/domain/model.js';
import { LEAD_FIELDS } from '../../src/domain/model.js';
import { isConnectorError } from '../../src/ports/failure.js';
import { createSalesforceConnection } from './salesforce.connection.js';
import type { SalesforceConnection, SalesforceConnectionOptions, SalesforceLogger } from './salesforce.connection.js';
import { classifySalesforceError } from './salesforce.errors.js';

/** The type to create a missing field with, as Salesforce's Setup names it. */
export type SalesforceFieldKind = 'Text' | 'Number' | 'Date/Time' | 'Picklist' | 'Checkbox' | 'Long Text Area';

export interface SalesforceSetupOptions {
  connection: SalesforceConnectionOptions;
  mql: { status: string; minScore?: number | null };
  /** Lead field → Salesforce API name (read). */
  fields: Partial<Record<LeadFieldName, string>>;
  mqlDateField?: string | null;
  extraFields?: string[];
  /** Field → value sets we write, by name (e.g. { onAccept: { Status: 'Working - Contacted' }, onReject: {…} }). */
  writes: Record<string, Record<string, string>>;
  /** We set OwnerId on the lead. Default true. */
  assignOwner?: boolean;
  /** Completed Tasks are created as notes. */
  notes: boolean;
  /** Our own custom fields and the type they should have (used for the "create it as" hint). */
  handoffFields?: Array<{ name: string; kind: SalesforceFieldKind; label?: string }>;
}

export interface SalesforceSetupDeps {
  /** Reuse an existing connection (otherwise one is made from options.connection). */
  connection?: SalesforceConnection;
  logger?: SalesforceLogger;
}

export interface SetupLine {
  name: string;
  ok: boolean;
  detail: string;
}

export interface MissingField {
  object: 'Lead';
  name: string;
  kind: SalesforceFieldKind;
  label: string;
  usedFor: string;
}

export interface SalesforceSetupResult {
  lines: SetupLine[];
  missing: MissingField[];
}

interface DescribeField {
  name: string;
  type: string;
  updateable: boolean;
  createable?: boolean;
  restrictedPicklist?: boolean;
  picklistValues?: Array<{ value: string; active: boolean }>;
}

interface DescribeResult {
  name: string;
  updateable: boolean;
  createable: boolean;
  fields: DescribeField[];
}

const NUMBER_TYPES = new Set(['double', 'int', 'long', 'currency', 'percent']);
const DATE_TYPES = new Set(['datetime', 'date']);

function lineFromError(name: string, err: unknown): SetupLine {
  const failure = isConnectorError(err) ? err.failure : classifySalesforceError(err);
  return { name, ok: false, detail: `${failure.kind}: ${failure.reason}` };
}

function labelOf(apiName: string): string {
  return apiName.replace(/__c$/, '').replace(/_/g, ' ');
}

function inferKind(values: string[]): SalesforceFieldKind {
  if (values.length > 0 && values.every((v) => /^-?\d+(\.\d+)?$/.test(v))) return 'Number';
  if (values.length > 0 && values.every((v) => v === 'true' || v === 'false')) return 'Checkbox';
  return 'Text';
}

function describeKind(kind: SalesforceFieldKind): string {
  switch (kind) {
    case 'Text':
      return 'Text(255)';
    case 'Number':
      return 'Number(18, 0)';
    default:
      return kind;
  }
}

async function run(options: SalesforceSetupOptions, deps: SalesforceSetupDeps): Promise<SalesforceSetupResult> {
  const sf =
    deps.connection ?? createSalesforceConnection(options.connection, deps.logger ? { logger: deps.logger } : {});
  const lines: SetupLine[] = [];
  const missing: MissingField[] = [];

  try {
    const s = await sf.connect();
    lines.push({
      name: 'salesforce sign-in',
      ok: true,
      detail: `${options.connection.auth.flow} flow, user ${s.userId} at ${s.instanceUrl}`,
    });
  } catch (err) {
    lines.push(lineFromError('salesforce sign-in', err));
    return { lines, missing };
  }

  try {
    const limits = await sf.request<{ DailyApiRequests?: { Max: number; Remaining: number } }>('GET', '/limits');
    const d = limits.DailyApiRequests;
    if (d) {
      const used = d.Max - d.Remaining;
      const share = d.Max > 0 ? used / d.Max : 1;
      lines.push({
        name: 'salesforce API allowance',
        ok: share < 0.9,
        detail: `${used} of ${d.Max} daily requests used (${Math.round(share * 100)}%)`,
      });
    } else {
      lines.push({ name: 'salesforce API allowance', ok: true, detail: 'DailyApiRequests not reported' });
    }
  } catch (err) {
    lines.push(lineFromError('salesforce API allowance', err));
  }

  let lead: DescribeResult;
  try {
    lead = await sf.request<DescribeResult>('GET', '/sobjects/Lead/describe');
  } catch (err) {
    lines.push(lineFromError('Lead describe', err));
    return { lines, missing };
  }
  const byName = new Map(lead.fields.map((f) => [f.name.toLowerCase(), f]));
  const get = (name: string): DescribeField | undefined => byName.get(name.toLowerCase());
  lines.push({
    name: 'Lead update permission',
    ok: lead.updateable,
    detail: lead.updateable
      ? 'the integration user can update leads'
      : 'the integration user cannot update Lead records: grant Edit on Lead',
  });

  const status = get('Status');
  const statusValues = (status?.picklistValues ?? []).filter((v) => v.active).map((v) => v.value);
  lines.push({
    name: `Lead.Status value "${options.mql.status}"`,
    ok: statusValues.includes(options.mql.status),
    detail: statusValues.includes(options.mql.status)
      ? 'the MQL status exists'
      : `not a Lead status; known: ${statusValues.map((v) => `"${v}"`).join(', ')}`,
  });

  // ---- fields we read
  const reads: Array<{ name: string; usedFor: string; want: 'number' | 'string' | 'date' }> = [];
  for (const [leadField, apiName] of Object.entries(options.fields) as Array<[LeadFieldName, string | undefined]>) {
    if (apiName)
      reads.push({
        name: apiName,
        usedFor: `fields.${leadField}`,
        want: LEAD_FIELDS[leadField] === 'number' ? 'number' : 'string',
      });
  }
  if (options.mqlDateField) reads.push({ name: options.mqlDateField, usedFor: 'MQL date', want: 'date' });
  for (const extra of options.extraFields ?? []) reads.push({ name: extra, usedFor: 'props', want: 'string' });
  for (const r of reads) {
    const f = get(r.name);
    const name = `read Lead.${r.name} (${r.usedFor})`;
    if (!f) {
      const kind: SalesforceFieldKind = r.want === 'number' ? 'Number' : r.want === 'date' ? 'Date/Time' : 'Text';
      missing.push({ object: 'Lead', name: r.name, kind, label: labelOf(r.name), usedFor: r.usedFor });
      lines.push({ name, ok: false, detail: `missing: create it as ${describeKind(kind)}` });
      continue;
    }
    if (r.want === 'date' && !DATE_TYPES.has(f.type)) {
      lines.push({ name, ok: false, detail: `is ${f.type}; the MQL date field must be a Date/Time (or Date) field` });
    } else if (r.want === 'number' && !NUMBER_TYPES.has(f.type)) {
      lines.push({ name, ok: true, detail: `is ${f.type}; values are read as numbers when they parse` });
    } else {
      lines.push({ name, ok: true, detail: f.type });
    }
  }
  if ((options.mql.minScore ?? null) !== null && !options.fields.score) {
    lines.push({
      name: 'MQL minimum score',
      ok: false,
      detail: 'source.mql.minScore needs fields.score (the Lead score field)',
    });
  }

  // ---- fields we write
  const writes = new Map<string, { usedFor: string[]; values: string[] }>();
  for (const [setName, set] of Object.entries(options.writes)) {
    for (const [field, value] of Object.entries(set)) {
      const entry = writes.get(field.toLowerCase()) ?? { usedFor: [], values: [] };
      entry.usedFor.push(setName);
      entry.values.push(value);
      writes.set(field.toLowerCase(), entry);
    }
  }
  const originalName = (lower: string): string => {
    for (const set of Object.values(options.writes))
      for (const k of Object.keys(set)) if (k.toLowerCase() === lower) return k;
    return lower;
  };
  for (const hf of options.handoffFields ?? []) {
    if (!writes.has(hf.name.toLowerCase()))
      writes.set(hf.name.toLowerCase(), { usedFor: ['hand-off fields'], values: [] });
  }
  if (options.assignOwner ?? true) writes.set('ownerid', { usedFor: ['owner assignment'], values: [] });
  for (const [lower, w] of writes) {
    const apiName =
      lower === 'ownerid'
        ? 'OwnerId'
        : (options.handoffFields?.find((h) => h.name.toLowerCase() === lower)?.name ?? originalName(lower));
    const name = `write Lead.${apiName} (${w.usedFor.join(', ')})`;
    const f = get(apiName);
    if (!f) {
      const declared = options.handoffFields?.find((h) => h.name.toLowerCase() === lower);
      const fixed = w.values.filter((v) => !v.includes('{{'));
      const kind = declared?.kind ?? (fixed.length === w.values.length ? inferKind(fixed) : 'Text');
      missing.push({
        object: 'Lead',
        name: apiName,
        kind,
        label: declared?.label ?? labelOf(apiName),
        usedFor: w.usedFor.join(', '),
      });
      lines.push({ name, ok: false, detail: `missing: create it as ${describeKind(kind)}` });
      continue;
    }
    if (!f.updateable || !lead.updateable) {
      lines.push({
        name,
        ok: false,
        detail: 'exists but is read-only for the integration user: grant Edit in field-level security',
      });
      continue;
    }
    if (f.type === 'picklist' && f.restrictedPicklist) {
      const allowed = (f.picklistValues ?? []).filter((v) => v.active).map((v) => v.value);
      const bad = w.values.filter((v) => !v.includes('{{') && v !== '' && !allowed.includes(v));
      if (bad.length > 0) {
        lines.push({
          name,
          ok: false,
          detail: `restricted picklist: ${bad.map((v) => `"${v}"`).join(', ')} not allowed; values: ${allowed.map((v) => `"${v}"`).join(', ')}`,
        });
        continue;
      }
      const templated = w.values.some((v) => v.includes('{{'));
      lines.push({
        name,
        ok: true,
        detail: templated
          ? `restricted picklist; templated values must be one of: ${allowed.join(', ')}`
          : 'restricted picklist; values allowed',
      });
      continue;
    }
    lines.push({ name, ok: true, detail: `${f.type}, updateable` });
  }

  if (options.notes) {
    try {
      const task = await sf.request<DescribeResult>('GET', '/sobjects/Task/describe');
      const whoId = task.fields.find((f) => f.name === 'WhoId');
      const ok = task.createable && whoId?.createable !== false;
      lines.push({
        name: 'Task create permission (notes)',
        ok,
        detail: ok
          ? 'completed Tasks can be logged on leads'
          : 'the integration user cannot create Tasks: grant Create on Task',
      });
    } catch (err) {
      lines.push(lineFromError('Task create permission (notes)', err));
    }
  }
  return { lines, missing };
}

/** The checks `doctor` prints: one line per check. */
export async function checkSalesforce(
  options: SalesforceSetupOptions,
  deps: SalesforceSetupDeps = {},
): Promise<SetupLine[]> {
  return (await run(options, deps)).lines;
}

/**
 * `handoff setup salesforce`: the same checks, plus the list of fields to create (API name, type, label and
 * what they are for) and a closing line saying what to do with them.
 */
export async function setupSalesforce(
  options: SalesforceSetupOptions,
  deps: SalesforceSetupDeps = {},
): Promise<SalesforceSetupResult> {
  const result = await run(options, deps);
  if (result.missing.length > 0) {
    const list = result.missing.map((m) => `${m.name} (${describeKind(m.kind)}, label "${m.label}")`).join('; ');
    result.lines.push({
      name: 'custom fields to create',
      ok: false,
      detail: `in Setup → Object Manager → Lead → Fields & Relationships create: ${list}; give the integration user Edit access`,
    });
  } else if (result.lines.every((l) => l.ok)) {
    result.lines.push({
      name: 'custom fields to create',
      ok: true,
      detail: 'none: every field we read and write exists',
    });
  }
  return result;
}
