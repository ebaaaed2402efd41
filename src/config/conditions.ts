// The condition language of the config (routing rules, hot lane, history rules):
//   { employees: { gte: 1000 } }                      one field, one operator
//   { country: { in: [DE, FR] }, score: { gte: 80 } } several fields in one map are ANDed
//   { all: [...] } / { any: [...] } / { not: {...} }   combinators
//   { country: DE }                                    shorthand for { country: { eq: DE } }
// The YAML form is checked by zod for shape, then turned into the Condition tree of the domain with
// the field's type checked against each operator's value.
import * as z from 'zod';
import { BUILTIN_FIELDS, LEAD_FIELDS } from '../domain/model.js';
import type { ComparisonOp, Condition, Scalar } from '../domain/model.js';

export const COMPARISON_OPS = [
  'eq',
  'ne',
  'in',
  'notIn',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
  'matches',
  'exists',
] as const;

type FieldType = 'string' | 'number' | 'boolean' | 'prop';
type Ops = { [K in ComparisonOp]?: Scalar | Scalar[] | undefined };
export interface ConditionInput {
  all?: ConditionInput[] | undefined;
  any?: ConditionInput[] | undefined;
  not?: ConditionInput | undefined;
  [field: string]: Scalar | Ops | ConditionInput | ConditionInput[] | undefined;
}

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** `{ op: value }` for one field. */
const comparisonInputSchema = z
  .strictObject({
    eq: scalar.optional().describe('equal to'),
    ne: scalar.optional().describe('not equal to'),
    in: z.array(scalar).min(1).optional().describe('one of the listed values'),
    notIn: z.array(scalar).min(1).optional().describe('none of the listed values'),
    gt: scalar.optional().describe('greater than (numbers)'),
    gte: scalar.optional().describe('greater than or equal to (numbers)'),
    lt: scalar.optional().describe('less than (numbers)'),
    lte: scalar.optional().describe('less than or equal to (numbers)'),
    contains: scalar.optional().describe('text contains (case-insensitive)'),
    matches: scalar.optional().describe('text matches this regular expression'),
    exists: z.boolean().optional().describe('true: the field has a value; false: it is empty'),
  })
  .describe('Operators for one field, e.g. { gte: 1000 } or { in: [DE, FR] }');

/** The YAML shape of a condition (no semantics yet). */
export const conditionInputSchema: z.ZodType<ConditionInput> = z.lazy(() =>
  z
    .object({
      all: z.array(conditionInputSchema).min(1).optional().describe('every condition in the list holds'),
      any: z.array(conditionInputSchema).min(1).optional().describe('at least one condition in the list holds'),
      not: conditionInputSchema.optional().describe('the condition does not hold'),
    })
    .catchall(z.union([comparisonInputSchema, scalar]))
    .meta({
      id: 'condition',
      description:
        'A condition: { field: { op: value } } (several fields are ANDed), all/any/not. Fields: ' +
        `${Object.keys(LEAD_FIELDS).join(', ')}, ${Object.keys(BUILTIN_FIELDS).join(', ')}, props.<CRM property>`,
    }),
);

export interface ConditionOptions {
  /** False for the hot-lane condition itself (it decides what `hot` means). */
  allowHot: boolean;
}

const LEAD_FIELD_NAMES = Object.keys(LEAD_FIELDS);
const BUILTIN_FIELD_NAMES = Object.keys(BUILTIN_FIELDS);

/** The type of a field a condition may name, or null when the name is unknown. */
export function fieldType(name: string): FieldType | null {
  if (name.startsWith('props.')) return /^props\.[^\s]+$/.test(name) ? 'prop' : null;
  if (Object.hasOwn(LEAD_FIELDS, name)) return LEAD_FIELDS[name as keyof typeof LEAD_FIELDS];
  if (Object.hasOwn(BUILTIN_FIELDS, name)) return BUILTIN_FIELDS[name as keyof typeof BUILTIN_FIELDS];
  return null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length] as number;
}

/** "did you mean" for a misspelt name among candidates. */
export function suggest(name: string, candidates: readonly string[]): string {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `text "${value}"`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `${value}`;
  return typeof value;
}

/** Checks one value for a field type and operator; returns the normalised value or an error. */
function checkScalar(
  field: string,
  type: FieldType,
  op: ComparisonOp,
  value: Scalar,
): { value: Scalar } | { error: string } {
  const ordered = op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte';
  const textual = op === 'contains' || op === 'matches';
  if (type === 'number') {
    if (textual) return { error: `${op} works on text; "${field}" is a number field` };
    if (typeof value === 'number') return { value };
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      return { value: Number(value) };
    return { error: `"${field}" is a number field; ${op} needs a number, not ${typeName(value)}` };
  }
  if (type === 'boolean') {
    if (ordered || textual) return { error: `${op} does not apply to "${field}" (true or false); use eq or ne` };
    if (typeof value === 'boolean') return { value };
    return { error: `"${field}" is true or false; ${op} needs true or false, not ${typeName(value)}` };
  }
  if (type === 'string') {
    if (ordered) return { error: `${op} compares numbers; "${field}" is a text field` };
    if (typeof value === 'string') return { value };
    if (typeof value === 'number') return { value: String(value) };
    return { error: `"${field}" is a text field; ${op} needs text, not ${typeName(value)}` };
  }
  // props.<name>: raw CRM values (text). Ordered comparisons take numbers or text (ISO dates compare as text).
  if (ordered) {
    if (typeof value === 'boolean') return { error: `${op} needs a number or text, not ${value}` };
    return { value };
  }
  return { value: String(value) };
}

function compileRegExp(pattern: string): string | null {
  try {
    new RegExp(pattern);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : 'invalid regular expression';
  }
}

export type Issue = { message: string; path: Array<string | number> };

function compareFor(
  field: string,
  type: FieldType,
  op: ComparisonOp,
  raw: Scalar | Scalar[],
  path: Array<string | number>,
  issues: Issue[],
): Condition | null {
  if (op === 'exists') {
    if (typeof raw !== 'boolean') {
      issues.push({ path, message: `exists needs true or false, not ${typeName(raw)}` });
      return null;
    }
    return { kind: 'compare', field, op, value: raw };
  }
  if (op === 'in' || op === 'notIn') {
    if (!Array.isArray(raw)) {
      issues.push({ path, message: `${op} needs a list such as [a, b], not ${typeName(raw)}` });
      return null;
    }
    const values: Scalar[] = [];
    let failed = false;
    for (const [i, item] of raw.entries()) {
      const checked = checkScalar(field, type, op, item);
      if ('error' in checked) {
        issues.push({ path: [...path, i], message: checked.error });
        failed = true;
      } else values.push(checked.value);
    }
    return failed ? null : { kind: 'compare', field, op, value: values };
  }
  if (Array.isArray(raw)) {
    issues.push({ path, message: `${op} takes one value; use in: [...] for a list` });
    return null;
  }
  const checked = checkScalar(field, type, op, raw);
  if ('error' in checked) {
    issues.push({ path, message: checked.error });
    return null;
  }
  if (op === 'matches') {
    const problem = compileRegExp(String(checked.value));
    if (problem !== null) {
      issues.push({ path, message: `not a valid regular expression: ${problem}` });
      return null;
    }
  }
  return { kind: 'compare', field, op, value: checked.value };
}

const KNOWN_FIELDS_TEXT = `${[...LEAD_FIELD_NAMES, ...BUILTIN_FIELD_NAMES].join(', ')} or props.<CRM property>`;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const OP_SET: ReadonlySet<string> = new Set(COMPARISON_OPS);

/**
 * Turns a YAML condition into the domain tree; problems go to `issues`. It checks the shape itself
 * as well, so it can also run on unchecked input (the cross-checks do, to report type errors in a
 * condition even when the schema stopped at another problem in it).
 */
export function buildCondition(
  input: unknown,
  options: ConditionOptions,
  issues: Issue[],
  path: Array<string | number> = [],
): Condition | null {
  if (!isPlainObject(input)) {
    issues.push({ path, message: 'expected a condition such as { country: { in: [DE, FR] } }' });
    return null;
  }
  const parts: Condition[] = [];
  const keys = Object.keys(input).filter((k) => input[k] !== undefined);
  if (keys.length === 0) {
    issues.push({ path, message: 'empty condition; name at least one field, or all/any/not' });
    return null;
  }
  let failed = false;
  for (const key of keys) {
    const value = input[key];
    if (key === 'all' || key === 'any') {
      if (!Array.isArray(value) || value.length === 0) {
        issues.push({ path: [...path, key], message: `${key} needs a non-empty list of conditions` });
        failed = true;
        continue;
      }
      const children = value.map((child: unknown, i) => buildCondition(child, options, issues, [...path, key, i]));
      if (children.some((c) => c === null)) failed = true;
      else parts.push({ kind: key, of: children as Condition[] });
      continue;
    }
    if (key === 'not') {
      const child = buildCondition(value, options, issues, [...path, key]);
      if (child === null) failed = true;
      else parts.push({ kind: 'not', of: child });
      continue;
    }
    const type = fieldType(key);
    if (type === null) {
      issues.push({
        path: [...path, key],
        message: `unknown field "${key}"${suggest(key, [...LEAD_FIELD_NAMES, ...BUILTIN_FIELD_NAMES])}; fields are ${KNOWN_FIELDS_TEXT}`,
      });
      failed = true;
      continue;
    }
    if (key === 'hot' && !options.allowHot) {
      issues.push({ path: [...path, key], message: 'the hot-lane condition cannot depend on "hot" itself' });
      failed = true;
      continue;
    }
    if (isScalar(value)) {
      const c = compareFor(key, type, 'eq', value, [...path, key], issues);
      if (c === null) failed = true;
      else parts.push(c);
      continue;
    }
    if (!isPlainObject(value)) {
      issues.push({
        path: [...path, key],
        message: `expected { op: value } (operators: ${COMPARISON_OPS.join(', ')}) or a value`,
      });
      failed = true;
      continue;
    }
    const opNames = Object.keys(value).filter((op) => value[op] !== undefined);
    if (opNames.length === 0) {
      issues.push({
        path: [...path, key],
        message: `no operator; write e.g. { eq: … } (operators: ${COMPARISON_OPS.join(', ')})`,
      });
      failed = true;
      continue;
    }
    for (const op of opNames) {
      const operand = value[op];
      if (!OP_SET.has(op)) {
        issues.push({
          path: [...path, key, op],
          message: `unknown operator${suggest(op, COMPARISON_OPS)}; operators are ${COMPARISON_OPS.join(', ')}`,
        });
        failed = true;
        continue;
      }
      if (!isScalar(operand) && !(Array.isArray(operand) && operand.every(isScalar))) {
        issues.push({
          path: [...path, key, op],
          message: 'expected a value (text, number, true/false) or a list of values',
        });
        failed = true;
        continue;
      }
      const c = compareFor(key, type, op as ComparisonOp, operand, [...path, key, op], issues);
      if (c === null) failed = true;
      else parts.push(c);
    }
  }
  if (failed) return null;
  return parts.length === 1 ? (parts[0] as Condition) : { kind: 'all', of: parts };
}

/** A zod schema for a condition: YAML shape in, domain Condition out. */
export function conditionSchema(options: ConditionOptions) {
  return conditionInputSchema.transform((input, ctx) => {
    // Unknown operator keys let zod reach this transform with them stripped; they are reported already.
    if (ctx.issues.length > 0) return z.NEVER;
    const issues: Issue[] = [];
    const condition = buildCondition(input, options, issues);
    for (const issue of issues) ctx.issues.push({ code: 'custom', message: issue.message, path: issue.path, input });
    return condition === null ? z.NEVER : condition;
  });
}

/**
 * The field names a raw (unchecked) condition mentions, with their paths — for cross-checks that
 * need the whole config (is the field mapped?). Tolerates any shape.
 */
export function conditionFields(
  raw: unknown,
  path: Array<string | number> = [],
): Array<{ field: string; path: Array<string | number> }> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const out: Array<{ field: string; path: Array<string | number> }> = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === 'all' || key === 'any') {
      if (Array.isArray(value)) value.forEach((child, i) => out.push(...conditionFields(child, [...path, key, i])));
    } else if (key === 'not') out.push(...conditionFields(value, [...path, key]));
    else out.push({ field: key, path: [...path, key] });
  }
  return out;
}
