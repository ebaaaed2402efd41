// Loading a config file: find it, parse the YAML (errors with line and column), interpolate
// ${VAR}s, validate with the schema and the cross-reference checks, and report every problem at
// once with its path. Messages never contain values that came from the environment.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type * as z from 'zod';
import { InputError } from '../domain/errors.js';
import { crossCheck } from './checks.js';
import { interpolateEnv, protectReferences } from './interpolate.js';
import { formatPath } from './paths.js';
import type { PathSegment, Problem } from './paths.js';
import { configSchema } from './schema.js';
import type { Config } from './schema.js';

/** Top-level sections of the config, in the order problems are listed (and the schema keeps them). */
export const CONFIG_SECTIONS: readonly string[] = [
  'store',
  'server',
  'source',
  'crm',
  'fields',
  'hubspot',
  'salesforce',
  'marketo',
  'slack',
  'msteams',
  'email',
  'reps',
  'managers',
  'teams',
  'routing',
  'sla',
  'rejectionReasons',
  'alerts',
  'digests',
  'history',
  'intake',
];

function receivedType(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `a ${typeof input}`;
}

const EXPECTED_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** True when a union branch failed only because the value is of another type altogether. */
function wrongTypeOnly(issues: readonly z.core.$ZodIssue[]): boolean {
  return issues.every(
    (i) =>
      i.path.length === 0 &&
      (i.code === 'invalid_type' ||
        i.code === 'invalid_value' ||
        (i.code === 'invalid_union' && i.errors.every(wrongTypeOnly))),
  );
}

/** What a union (or a plain type check) expected, as words. */
function expectedWords(issues: readonly z.core.$ZodIssue[]): string[] {
  const words: string[] = [];
  for (const i of issues) {
    if (i.code === 'invalid_type') words.push(EXPECTED_NAMES[i.expected] ?? i.expected);
    else if (i.code === 'invalid_value') words.push(...i.values.map((v) => JSON.stringify(v)));
    else if (i.code === 'invalid_union') for (const branch of i.errors) words.push(...expectedWords(branch));
  }
  return [...new Set(words)];
}

/** Turns zod issues into problems with readable messages (unions flattened to the branch that fits). */
function zodProblems(issues: readonly z.core.$ZodIssue[], prefix: PathSegment[], input: unknown): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const issuePath = [...prefix, ...(issue.path as PathSegment[])];
    switch (issue.code) {
      case 'invalid_union': {
        if (issue.errors.length === 0) {
          out.push({ path: issuePath, message: issue.message });
          break;
        }
        const fitting = issue.errors.filter((branch) => !wrongTypeOnly(branch));
        if (fitting.length === 1) {
          out.push(...zodProblems(fitting[0] as z.core.$ZodIssue[], issuePath, input));
        } else {
          const words = expectedWords(issue.errors.flat());
          out.push({
            path: issuePath,
            message: `expected ${words.join(' or ')}, got ${receivedType(valueAt(input, issuePath))}`,
          });
        }
        break;
      }
      case 'invalid_type': {
        const got = valueAt(input, issuePath);
        out.push({
          path: issuePath,
          message:
            got === undefined
              ? 'required'
              : `expected ${EXPECTED_NAMES[issue.expected] ?? issue.expected}, got ${receivedType(got)}`,
        });
        break;
      }
      case 'invalid_value':
        out.push({
          path: issuePath,
          message: `expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        });
        break;
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push({ path: [...issuePath, key], message: 'unknown key' });
        break;
      default:
        out.push({ path: issuePath, message: issue.message.replace(/^Invalid input: /, '') });
    }
  }
  return out;
}

function valueAt(root: unknown, at: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of at) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** The line of the deepest node of the path that exists in the document, if any. */
function lineOf(doc: Document, lines: LineCounter, at: readonly PathSegment[]): number | null {
  for (let n = at.length; n > 0; n--) {
    const node = doc.getIn(at.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node !== undefined && node !== null && Array.isArray(node.range)) return lines.linePos(node.range[0]).line;
  }
  return null;
}

function sectionRank(problem: Problem): number {
  const first = problem.path[0];
  const i = typeof first === 'string' ? CONFIG_SECTIONS.indexOf(first) : -1;
  return i === -1 ? CONFIG_SECTIONS.length : i;
}

/** Replaces values that came from the environment with their ${NAME}, so no secret is printed. */
function hideEnvValues(message: string, substituted: Map<string, string>): string {
  let out = message;
  for (const [name, value] of substituted) {
    if (value.length >= 6) out = out.split(value).join(`\${${name}}`);
  }
  return out;
}

/** Parses and validates config text. `file` names the source in messages and anchors relative paths. */
export function parseConfigText(text: string, env: NodeJS.ProcessEnv, file: string): Config {
  const guarded = protectReferences(text);
  const lines = new LineCounter();
  // `merge: true` lets admins share rep defaults with `<<: *defaults`.
  const doc = parseDocument(guarded.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    // Later syntax errors are mostly echoes of the first; show a few.
    const shown = doc.errors.slice(0, 3);
    const more = doc.errors.length - shown.length;
    throw new InputError(
      'config.invalid',
      shown.map((e, i) => {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
        const tail = i === shown.length - 1 && more > 0 ? ` (and ${more} more after it)` : '';
        return `${where}: YAML syntax: ${guarded.restore(e.message.split('\n')[0] ?? e.message)}${tail}`;
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new InputError('config.invalid', [`${file}: ${err instanceof Error ? err.message : String(err)}`]);
  }
  if (raw === null || raw === undefined) throw new InputError('config.invalid', [`${file}: the file is empty`]);
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError('config.invalid', [
      `${file}: expected a mapping of sections (store, source, reps, …) at the top level`,
    ]);
  }

  // Top-level "x-…" keys are free for YAML anchors (as in docker-compose); they are not config.
  const sections = Object.fromEntries(
    Object.entries(raw as Record<string, unknown>).filter(([key]) => !key.startsWith('x-')),
  );
  const interpolated = interpolateEnv(sections, env, guarded.restore);
  if (interpolated.missing.size > 0) {
    throw new InputError(
      'config.missing_env',
      [...interpolated.missing].map(
        ([name, paths]) => `${name} (used at ${paths.map((p) => formatPath(p)).join(', ')})`,
      ),
    );
  }
  const value = interpolated.value;
  const parsed = configSchema.safeParse(value);
  const problems: Problem[] = [...interpolated.problems];
  if (!parsed.success) problems.push(...zodProblems(parsed.error.issues, [], value));
  // The cross-checks also re-check conditions; where the schema already spoke about a path, it wins.
  const reported = new Set(problems.map((p) => formatPath(p.path)));
  problems.push(...crossCheck(value).filter((p) => !reported.has(formatPath(p.path))));
  if (problems.length > 0 || !parsed.success) {
    const seen = new Set<string>();
    const located = problems.map((p, i) => ({ p, i, line: lineOf(doc, lines, p.path) }));
    located.sort((a, b) => sectionRank(a.p) - sectionRank(b.p) || (a.line ?? 0) - (b.line ?? 0) || a.i - b.i);
    const messages: string[] = [];
    for (const { p, line } of located) {
      const message = `${formatPath(p.path)}: ${hideEnvValues(p.message, interpolated.substituted)}${line === null ? '' : ` (line ${line})`}`;
      if (!seen.has(message)) {
        seen.add(message);
        messages.push(message);
      }
    }
    throw new InputError('config.invalid', messages.length > 0 ? messages : [`${file}: invalid`]);
  }
  const config = parsed.data;
  // A JWT key file is relative to the config file, like every other path a user writes there.
  const auth = config.salesforce?.auth;
  if (auth?.flow === 'jwt' && auth.privateKeyFile !== null) {
    auth.privateKeyFile = path.resolve(path.dirname(path.resolve(file)), auth.privateKeyFile);
  }
  return config;
}

export interface LoadConfigOptions {
  /** From --config / -c. */
  file?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Finds (argument, else HANDOFF_CONFIG, else ./handoff.yaml), reads and validates the config file. */
export async function loadConfig(opts: LoadConfigOptions): Promise<{ config: Config; file: string }> {
  const given =
    opts.file ??
    (opts.env.HANDOFF_CONFIG !== undefined && opts.env.HANDOFF_CONFIG !== '' ? opts.env.HANDOFF_CONFIG : undefined);
  const origin = opts.file !== undefined ? '--config' : given !== undefined ? 'HANDOFF_CONFIG' : 'the default location';
  const file = path.resolve(opts.cwd, given ?? 'handoff.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new InputError('config.not_found', [
        `${file} (from ${origin}; pass -c FILE or set HANDOFF_CONFIG; config/handoff.example.yaml is a starting point)`,
      ]);
    }
    throw new InputError('config.invalid', [
      `${file}: cannot read (${code ?? (err instanceof Error ? err.message : String(err))})`,
    ]);
  }
  return { config: parseConfigText(text, opts.env, file), file };
}
