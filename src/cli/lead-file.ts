// Lead files for `handoff simulate`: a JSON array of objects or a CSV file whose header names the
// fields. Field names: the mapped lead fields (title, company, country, employees, industry, score,
// channel, campaign, need, budget, authority, timeline), email, firstName, lastName, `props.<name>`,
// and optionally mqlAt (ISO time or epoch ms), externalId and source (hubspot | salesforce).
// Every problem names the line (and field) at fault; all of them are reported at once.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../domain/errors.js';
import { LEAD_FIELDS, type Lead, type LeadFieldName, type Millis, type SourceKind } from '../domain/model.js';

export interface LeadFileOptions {
  /** Shown in messages ("leads.csv line 4, field …"). */
  name: string;
  /** Source of leads that do not say (default hubspot). */
  source?: SourceKind;
  /** MQL time of leads without mqlAt. */
  defaultMqlAt: Millis;
}

export interface FileLead {
  lead: Lead;
  /** Line in the file where the lead starts. */
  line: number;
}

const MAX_PROBLEMS = 50;
const IDENTITY_FIELDS = ['email', 'firstName', 'lastName', 'mqlAt', 'externalId', 'source'] as const;

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
  throwIfAny(): void {
    if (this.list.length > 0) throw new InputError('input.invalid', this.list);
  }
}

/** Why a column / key name is not a lead file field, or null when it is one. */
export function checkFieldName(name: string): string | null {
  if (Object.hasOwn(LEAD_FIELDS, name)) return null;
  if ((IDENTITY_FIELDS as readonly string[]).includes(name)) return null;
  if (name.startsWith('props.') && name.length > 'props.'.length) return null;
  return `unknown field (use ${Object.keys(LEAD_FIELDS).join(', ')}, ${IDENTITY_FIELDS.join(', ')} or props.<name>)`;
}

type Raw = string | number | boolean | null | object;

function describe(v: Raw): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Turns one field value into the lead (or reports why it cannot). `fromCsv`: values are text, '' = empty. */
function setField(lead: Lead, field: string, v: Raw, fromCsv: boolean, report: (message: string) => void): void {
  if (fromCsv && v === '') v = null;
  if (field.startsWith('props.')) {
    if (v !== null && typeof v === 'object') return report(`expected text, got ${describe(v)}`);
    lead.props[field.slice('props.'.length)] = v === null ? null : String(v);
    return;
  }
  if (Object.hasOwn(LEAD_FIELDS, field)) {
    const name = field as LeadFieldName;
    if (v === null) return;
    if (LEAD_FIELDS[name] === 'number') {
      const n = typeof v === 'number' ? v : typeof v === 'string' && NUMERIC.test(v) ? Number(v) : null;
      if (n === null || !Number.isFinite(n)) return report(`expected a number, got ${describe(v)}`);
      (lead.fields as Record<string, number>)[name] = n;
    } else {
      if (typeof v !== 'string' && typeof v !== 'number') return report(`expected text, got ${describe(v)}`);
      (lead.fields as Record<string, string>)[name] = String(v);
    }
    return;
  }
  switch (field) {
    case 'email':
    case 'firstName':
    case 'lastName': {
      if (v === null) {
        lead[field] = null;
        return;
      }
      if (typeof v !== 'string') return report(`expected text, got ${describe(v)}`);
      if (field === 'email' && !/^[^\s@]+@[^\s@]+$/.test(v.trim()))
        return report(`not an email address: ${describe(v)}`);
      lead[field] = v.trim();
      return;
    }
    case 'mqlAt': {
      if (v === null) return;
      const at =
        typeof v === 'number' ? v : typeof v === 'string' ? (NUMERIC.test(v) ? Number(v) : Date.parse(v)) : NaN;
      if (!Number.isFinite(at)) return report(`expected an ISO time or epoch milliseconds, got ${describe(v)}`);
      lead.mqlAt = at;
      lead.modifiedAt = at;
      return;
    }
    case 'externalId': {
      if (v === null) return;
      if (typeof v !== 'string' && typeof v !== 'number') return report(`expected text, got ${describe(v)}`);
      lead.externalId = String(v);
      return;
    }
    case 'source': {
      if (v === null) return;
      if (v !== 'hubspot' && v !== 'salesforce') return report(`expected hubspot or salesforce, got ${describe(v)}`);
      lead.source = v;
      return;
    }
    default:
      report(checkFieldName(field) ?? 'unknown field');
  }
}

function blankLead(seq: number, opts: LeadFileOptions): Lead {
  return {
    source: opts.source ?? 'hubspot',
    externalId: `sim-${seq}`,
    email: null,
    firstName: null,
    lastName: null,
    fields: {},
    props: {},
    mqlAt: opts.defaultMqlAt,
    modifiedAt: opts.defaultMqlAt,
    ownerId: null,
    recordUrl: null,
  };
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

export function parseJsonLeads(text: string, opts: LeadFileOptions): FileLead[] {
  const problems = new Problems(opts.name);
  let root: JNode;
  try {
    root = parseJsonWithLines(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      problems.add(err.line, null, `broken JSON: ${err.message}`);
      problems.throwIfAny();
    }
    throw err;
  }
  if (root.kind !== 'array') {
    problems.add(root.line, null, 'expected a JSON array of lead objects');
    problems.throwIfAny();
    return [];
  }
  const out: FileLead[] = [];
  root.items.forEach((item, index) => {
    const seq = index + 1;
    if (item.kind !== 'object') {
      problems.add(item.line, null, `lead ${seq} is not an object`);
      return;
    }
    const lead = blankLead(seq, opts);
    const seen = new Set<string>();
    for (const e of item.entries) {
      if (seen.has(e.key)) {
        problems.add(e.keyLine, e.key, 'given twice');
        continue;
      }
      seen.add(e.key);
      const bad = checkFieldName(e.key);
      if (bad) {
        problems.add(e.keyLine, e.key, bad);
        continue;
      }
      setField(lead, e.key, plain(e.value), false, (m) => problems.add(e.value.line, e.key, m));
    }
    out.push({ lead, line: item.line });
  });
  problems.throwIfAny();
  return out;
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

export function parseCsvLeads(text: string, opts: LeadFileOptions): FileLead[] {
  const problems = new Problems(opts.name);
  const records = parseCsv(text, problems);
  const header = records[0];
  if (!header) {
    problems.add(1, null, 'the file is empty (expected a header line naming the fields)');
    problems.throwIfAny();
    return [];
  }
  const columns = header.values.map((v) => v.trim());
  const syntaxProblems = problems.list.length;
  const seen = new Set<string>();
  columns.forEach((name, col) => {
    if (name === '') problems.add(header.line, null, `column ${col + 1} has no name`);
    else if (seen.has(name)) problems.add(header.line, name, 'given twice in the header');
    else {
      const bad = checkFieldName(name);
      if (bad) problems.add(header.line, name, bad);
    }
    seen.add(name);
  });
  // a bad header would make every row wrong: report the header (and syntax) problems alone
  if (problems.list.length > syntaxProblems) problems.throwIfAny();
  const out: FileLead[] = [];
  records.slice(1).forEach((rec, index) => {
    const seq = index + 1;
    if (rec.values.length !== columns.length) {
      problems.add(rec.line, null, `broken CSV: ${rec.values.length} values, the header has ${columns.length}`);
      return;
    }
    const lead = blankLead(seq, opts);
    columns.forEach((name, col) => {
      setField(lead, name, rec.values[col] as string, true, (m) => problems.add(rec.line, name, m));
    });
    out.push({ lead, line: rec.line });
  });
  problems.throwIfAny();
  return out;
}

// ---- files ---------------------------------------------------------------------------------------

/** Parses lead file text; the format comes from the name (.json / .csv) or, failing that, the content. */
export function parseLeadFile(text: string, opts: LeadFileOptions): FileLead[] {
  const ext = path.extname(opts.name).toLowerCase();
  const json = ext === '.json' || (ext !== '.csv' && /^\uFEFF?\s*[[{]/.test(text));
  return json ? parseJsonLeads(text, opts) : parseCsvLeads(text, opts);
}

/** Reads and parses a lead file (relative to `cwd`); a missing file is bad input too. */
export async function readLeadFile(
  file: string,
  cwd: string,
  opts: Omit<LeadFileOptions, 'name'>,
): Promise<FileLead[]> {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError('input.invalid', [`${file}: cannot read the lead file (${code ?? String(err)})`]);
  }
  return parseLeadFile(text, { ...opts, name: file });
}
