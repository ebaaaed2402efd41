// Lead files: `handoff simulate FILE` (leads to route) and `handoff backfill --from FILE` (past MQLs
// to import). A JSON array of objects or an RFC 4180 CSV file whose header names the fields. Field
// names: the mapped lead fields (title, company, country, employees, industry, score, channel,
// campaign, need, budget, authority, timeline), email, firstName, lastName, `props.<name>`, mqlAt
// (ISO date/time or epoch milliseconds), externalId, source (hubspot | salesforce), plus the fields
// the caller reads itself (backfill: outcome, reason, rep).
//
// Values: an empty value (or JSON null / "") is no value; text is trimmed (props are kept as given);
// JSON numbers are accepted for text and numeric text for numbers. Every problem names the line, and
// the field, at fault; all of them are reported at once, and a row with a problem is left out.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../domain/errors.js';
import { LEAD_FIELDS, type Lead, type LeadFieldName, type Millis, type SourceKind } from '../domain/model.js';
import { parseIsoTime } from './options.js';

export interface LeadFileOptions {
  /** Shown in messages ("leads.csv line 4, field …"). */
  name: string;
  /** Source of rows that do not say. */
  source: SourceKind;
  /** MQL time of rows without mqlAt; without it, every row needs one. */
  defaultMqlAt?: Millis;
  /**
   * Record id of rows without externalId: `sim-<n>` (n = the row's place in the file), or
   * `email:<address>`, in which case a row needs one of the two.
   */
  missingId: 'numbered' | 'email';
  /** Fields the caller reads itself (backfill: outcome, reason, rep), handed back as trimmed text. */
  extraFields?: readonly string[];
}

export interface FileLead {
  lead: Lead;
  /** Line in the file where the row starts. */
  line: number;
  /** Values of the extra fields the row gives (not empty). */
  extra: Record<string, string>;
}

export interface LeadFile<T> {
  rows: T[];
  /** Every problem, `FILE line N, field "x": what is wrong`. */
  problems: string[];
  /** Rows left out because of a problem. */
  invalidRows: number;
}

/**
 * The caller's own checks of a row, and what it keeps of a good one. It also sees rows that already
 * have a problem (so that all problems show at once); null or a reported problem leaves the row out.
 */
export type RowCheck<T> = (row: FileLead, report: (field: string, message: string) => void) => T | null;

const MAX_PROBLEMS = 200;
const IDENTITY_FIELDS = ['email', 'firstName', 'lastName', 'mqlAt', 'externalId', 'source'] as const;
const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

class Problems {
  readonly list: string[] = [];
  constructor(private readonly name: string) {}
  add(line: number, field: string | null, message: string): void {
    if (this.list.length < MAX_PROBLEMS) {
      this.list.push(`${this.name} line ${line}${field === null ? '' : `, field "${field}"`}: ${message}`);
    } else if (this.list.length === MAX_PROBLEMS) {
      this.list.push(`${this.name}: more problems not shown`);
    }
  }
}

type Raw = string | number | boolean | null | object;

function describe(v: Raw): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** Why a column / key name is not a field of the file, or null when it is one. */
function fieldProblem(name: string, extra: readonly string[]): string | null {
  if (Object.hasOwn(LEAD_FIELDS, name)) return null;
  if ((IDENTITY_FIELDS as readonly string[]).includes(name) || extra.includes(name)) return null;
  if (name.startsWith('props.') && name.length > 'props.'.length) return null;
  const names = [...Object.keys(LEAD_FIELDS), ...IDENTITY_FIELDS, ...extra].join(', ');
  return `unknown field (use ${names} or props.<name>)`;
}

/** One field of a row as it stands in the file: its name, value, and the lines of both. */
interface RawField {
  field: string;
  value: Raw;
  line: number;
  nameLine: number;
}

/**
 * Builds the lead of one row. Problems go to `add`, each at its line: a wrongly named field is
 * reported and set aside, the others are still checked, so that all problems show at once. Returns
 * the row and a `report` that names a field's line, for the caller's own checks.
 */
function buildRow(
  raw: readonly RawField[],
  line: number,
  seq: number,
  opts: LeadFileOptions,
  add: (line: number, field: string, message: string) => void,
): { row: FileLead; report: (field: string, message: string) => void } {
  const lines = new Map<string, number>();
  const report = (field: string, message: string): void => add(lines.get(field) ?? line, field, message);
  const lead: Lead = {
    source: opts.source,
    externalId: '',
    email: null,
    firstName: null,
    lastName: null,
    fields: {},
    props: {},
    mqlAt: Number.NaN,
    modifiedAt: Number.NaN,
    ownerId: null,
    recordUrl: null,
  };
  const extra: Record<string, string> = {};
  let mqlGiven = false;
  for (const { field, value: v, line: valueLine, nameLine } of raw) {
    const wrong = lines.has(field) ? 'given twice' : fieldProblem(field, opts.extraFields ?? []);
    if (wrong !== null) {
      add(nameLine, field, wrong);
      continue;
    }
    lines.set(field, valueLine);
    const empty = v === null || (typeof v === 'string' && v.trim() === '');
    if (field.startsWith('props.')) {
      if (v !== null && typeof v === 'object') report(field, `expected text, got ${describe(v)}`);
      else lead.props[field.slice('props.'.length)] = empty ? null : String(v);
      continue;
    }
    if (empty) continue;
    const name = field as LeadFieldName;
    if (Object.hasOwn(LEAD_FIELDS, field) && LEAD_FIELDS[name] === 'number') {
      const n = typeof v === 'number' ? v : typeof v === 'string' && NUMERIC.test(v) ? Number(v) : null;
      if (n === null || !Number.isFinite(n)) report(field, `expected a number, got ${describe(v)}`);
      else (lead.fields as Record<string, number>)[name] = n;
      continue;
    }
    if (field === 'mqlAt') {
      mqlGiven = true;
      const at =
        typeof v === 'number' ? v : typeof v === 'string' ? (NUMERIC.test(v) ? Number(v) : parseIsoTime(v)) : null;
      if (at === null || !Number.isFinite(at))
        report(field, `expected an ISO time or epoch milliseconds, got ${describe(v)}`);
      else lead.mqlAt = lead.modifiedAt = at;
      continue;
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      report(field, `expected text, got ${describe(v)}`);
      continue;
    }
    const text = String(v).trim();
    if (Object.hasOwn(LEAD_FIELDS, field)) (lead.fields as Record<string, string>)[name] = text;
    else if (field === 'email') {
      if (/^[^\s@]+@[^\s@]+$/.test(text)) lead.email = text;
      else report(field, `not an email address: ${describe(v)}`);
    } else if (field === 'firstName' || field === 'lastName') lead[field] = text;
    else if (field === 'externalId') lead.externalId = text;
    else if (field === 'source') {
      if (text === 'hubspot' || text === 'salesforce') lead.source = text;
      else report(field, `expected hubspot or salesforce, got ${describe(v)}`);
    } else extra[field] = text;
  }
  if (Number.isNaN(lead.mqlAt)) {
    if (opts.defaultMqlAt !== undefined) lead.mqlAt = lead.modifiedAt = opts.defaultMqlAt;
    else if (!mqlGiven) report('mqlAt', 'required: when the lead became MQL (ISO time or epoch milliseconds)');
  }
  if (lead.externalId === '') {
    if (opts.missingId === 'numbered') lead.externalId = `sim-${seq}`;
    else if (lead.email !== null) lead.externalId = `email:${lead.email.toLowerCase()}`;
    else report('externalId', 'required when there is no email: the record id in the CRM');
  }
  return { row: { lead, line, extra }, report };
}

// ---- JSON, with line numbers ---------------------------------------------------------------------

type JNode =
  | { kind: 'object'; line: number; entries: { key: string; keyLine: number; value: JNode }[] }
  | { kind: 'array'; line: number; items: JNode[] }
  | { kind: 'scalar'; line: number; value: string | number | boolean | null };

class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** A small JSON parser that remembers the line of every value and key (JSON.parse does not). */
function parseJsonWithLines(text: string): JNode {
  let i = 0;
  let line = 1;
  const fail = (message: string): never => {
    throw new JsonSyntaxError(line, message);
  };
  const ws = () => {
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '\n') line++;
      else if (c !== ' ' && c !== '\t' && c !== '\r') break;
    }
  };
  const what = () => (i >= text.length ? 'end of file' : JSON.stringify(text[i]));
  const str = (): string => {
    const start = i;
    i++;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '\\') i++;
      else if (c === '"') break;
      else if (c === '\n') fail('text value is not closed on its line');
    }
    if (i >= text.length) fail('text value is not closed');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('invalid escape in a text value');
    }
  };
  const value = (): JNode => {
    ws();
    const at = line;
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: { key: string; keyLine: number; value: JNode }[] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', line: at, entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a quoted key, found ${what()}`);
        const keyLine = line;
        const key = str();
        ws();
        if (text[i] !== ':') fail(`expected ":" after key "${key}", found ${what()}`);
        i++;
        entries.push({ key, keyLine, value: value() });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', line: at, entries };
        }
        fail(`expected "," or "}", found ${what()}`);
      }
    }
    if (c === '[') {
      i++;
      const items: JNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', line: at, items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', line: at, items };
        }
        fail(`expected "," or "]", found ${what()}`);
      }
    }
    if (c === '"') return { kind: 'scalar', line: at, value: str() };
    const word = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!word) return fail(`unexpected ${what()}`);
    i += word[0].length;
    const w = word[0];
    return {
      kind: 'scalar',
      line: at,
      value: w === 'true' ? true : w === 'false' ? false : w === 'null' ? null : Number(w),
    };
  };
  const root = value();
  ws();
  if (i < text.length) fail(`unexpected ${what()} after the end of the data`);
  return root;
}

function plain(node: JNode): Raw {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'array') return node.items.map(plain);
  return Object.fromEntries(node.entries.map((e) => [e.key, plain(e.value)]));
}

// ---- CSV (RFC 4180) ------------------------------------------------------------------------------

interface CsvRecord {
  line: number;
  values: string[];
}

/** Splits CSV text into records (quoted values may hold commas, quotes as "" and line breaks). */
export function parseCsv(
  text: string,
  problems: { add(line: number, field: string | null, message: string): void },
): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const values: string[] = [];
    let broken = false;
    // one record
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i++;
        let closed = false;
        while (i < text.length) {
          const c = text[i] as string;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n') line++;
          value += c;
          i++;
        }
        if (!closed) {
          problems.add(start, null, `broken CSV: a quoted value (column ${values.length + 1}) is never closed`);
          return records;
        }
        if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          problems.add(line, null, `broken CSV: text after the closing quote of column ${values.length + 1}`);
          broken = true;
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') {
            if (!broken)
              problems.add(
                line,
                null,
                `broken CSV: a quote inside unquoted column ${values.length + 1} (quote the whole value and double the quote)`,
              );
            broken = true;
          }
          value += text[i];
          i++;
        }
      }
      if (broken) {
        while (i < text.length && text[i] !== '\n') i++;
      }
      values.push(value);
      if (i < text.length && text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') {
      i++;
      line++;
    }
    const blank = values.length === 1 && values[0] === '';
    if (!broken && !blank) records.push({ line: start, values });
  }
  return records;
}

// ---- files ---------------------------------------------------------------------------------------

/** A row as it stands in the file: its fields, or null and why it cannot be read (nothing to add: a bad header). */
interface RawRow {
  line: number;
  fields: RawField[] | null;
  problem?: string;
}

/** The rows of a JSON file; null when the file cannot be read as rows. */
function jsonRows(text: string, problems: Problems): RawRow[] | null {
  let root: JNode;
  try {
    root = parseJsonWithLines(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    problems.add(err.line, null, `broken JSON: ${err.message}`);
    return null;
  }
  if (root.kind !== 'array') {
    problems.add(root.line, null, 'expected a JSON array of objects, one per lead');
    return null;
  }
  return root.items.map((item, index) =>
    item.kind === 'object'
      ? {
          line: item.line,
          fields: item.entries.map((e) => ({
            field: e.key,
            value: plain(e.value),
            line: e.value.line,
            nameLine: e.keyLine,
          })),
        }
      : { line: item.line, fields: null, problem: `entry ${index + 1} is not an object` },
  );
}

/** The rows of a CSV file; null when the file is empty. */
function csvRows(text: string, opts: LeadFileOptions, problems: Problems): RawRow[] | null {
  const records = parseCsv(text, problems);
  const header = records[0];
  if (!header) {
    problems.add(1, null, 'the file is empty (expected a header line naming the fields)');
    return null;
  }
  const columns = header.values.map((v) => v.trim());
  const extra = opts.extraFields ?? [];
  let headerOk = true;
  columns.forEach((name, col) => {
    const bad =
      name === ''
        ? `column ${col + 1} has no name`
        : columns.indexOf(name) < col
          ? 'given twice in the header'
          : fieldProblem(name, extra);
    if (bad) {
      problems.add(header.line, name === '' ? null : name, bad);
      headerOk = false;
    }
  });
  const data = records.slice(1);
  // a bad header would make every row wrong: report the header (and syntax) problems alone
  if (!headerOk) return data.map((rec) => ({ line: rec.line, fields: null }));
  return data.map((rec) =>
    rec.values.length === columns.length
      ? {
          line: rec.line,
          fields: columns.map((field, i) => ({
            field,
            value: rec.values[i] ?? '',
            line: rec.line,
            nameLine: rec.line,
          })),
        }
      : {
          line: rec.line,
          fields: null,
          problem: `broken CSV: ${rec.values.length} values, the header has ${columns.length}`,
        },
  );
}

/**
 * Parses lead file text; the format comes from the name (.json / .csv) or, failing that, the content.
 * `check` adds the caller's own checks and turns each good row into what the caller keeps.
 */
export function parseLeadFile(text: string, opts: LeadFileOptions): LeadFile<FileLead>;
export function parseLeadFile<T>(text: string, opts: LeadFileOptions, check: RowCheck<T>): LeadFile<T>;
export function parseLeadFile<T>(
  text: string,
  opts: LeadFileOptions,
  check?: RowCheck<T>,
): LeadFile<T> | LeadFile<FileLead> {
  const problems = new Problems(opts.name);
  const ext = path.extname(opts.name).toLowerCase();
  const json = ext === '.json' || (ext !== '.csv' && /^\uFEFF?\s*[[{]/.test(text));
  const raws = (json ? jsonRows(text, problems) : csvRows(text, opts, problems)) ?? [];
  const rows: (T | FileLead)[] = [];
  raws.forEach((raw, index) => {
    if (raw.fields === null) {
      if (raw.problem !== undefined) problems.add(raw.line, null, raw.problem);
      return;
    }
    let bad = false;
    const { row, report } = buildRow(raw.fields, raw.line, index + 1, opts, (line, field, message) => {
      bad = true;
      problems.add(line, field, message);
    });
    // The caller's checks run on a row with problems too, so that all of them show at once.
    const kept = check ? check(row, report) : row;
    if (kept !== null && !bad) rows.push(kept);
  });
  return { rows, problems: problems.list, invalidRows: raws.length - rows.length } as LeadFile<T> | LeadFile<FileLead>;
}

/** Reads a lead file (relative to `cwd`); a file that cannot be read is bad input too. */
export async function readLeadFileText(file: string, cwd: string): Promise<string> {
  try {
    return await readFile(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError('input.invalid', [`${file}: cannot read the file (${code ?? String(err)})`]);
  }
}
