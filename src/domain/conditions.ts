// Evaluates and explains the condition language of routing rules, the hot lane and history rules.
//
// Field names: the mapped lead fields (LEAD_FIELDS), the built-in identity fields (email, domain =
// the part of the email after "@" lowercased, source, hot) and `props.<raw CRM property>`.
//
// Semantics, in one place:
// - A value is *missing* when the lead has none for the field: undefined, null or the empty string.
// - Missing values never match `eq`, `in`, `gt`/`gte`/`lt`/`lte`, `contains` or `matches`. They do
//   match `ne` and `notIn`, so that `{ ne: X }` always means exactly `not: { eq: X }` (and `notIn`
//   means `not: { in: […] }`). `exists: true` matches present values, `exists: false` missing ones.
// - eq / ne / in / notIn compare strings case-insensitively ("de" equals "DE"); when either side is
//   a number and the other is a number or a numeric string they compare as numbers ("1000" = 1000);
//   booleans compare with their text ("true").
// - gt / gte / lt / lte compare as numbers when both sides are numeric, else as strings (so ISO
//   dates such as "2026-11-01" order correctly); a number against non-numeric text never matches.
// - contains is a case-insensitive substring test on the value's text.
// - matches takes a regular expression; "/pattern/flags" sets flags, a bare pattern has none. An
//   invalid pattern matches nothing (the config loader rejects it before it gets here).
import { BUILTIN_FIELDS, LEAD_FIELDS, type Condition, type Lead, type Scalar } from './model.js';

export interface ConditionInput {
  lead: Lead;
  hot?: boolean;
}

export type FieldValue = string | number | boolean;

const PROPS_PREFIX = 'props.';

/** True when `name` is a field a condition may use (mapped, built-in or `props.<name>`). */
export function isConditionField(name: string): boolean {
  if (Object.hasOwn(LEAD_FIELDS, name) || Object.hasOwn(BUILTIN_FIELDS, name)) return true;
  return name.startsWith(PROPS_PREFIX) && name.length > PROPS_PREFIX.length;
}

/** The lowercased domain of an email address, or null when there is none. */
export function emailDomain(email: string | null | undefined): string | null {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  if (at < 0 || at === email.length - 1) return null;
  return (
    email
      .slice(at + 1)
      .trim()
      .toLowerCase() || null
  );
}

/** The value of a field for a lead, or null when it is missing. */
export function resolveField(field: string, input: ConditionInput): FieldValue | null {
  const { lead } = input;
  let value: FieldValue | null | undefined;
  if (field.startsWith(PROPS_PREFIX)) {
    value = lead.props[field.slice(PROPS_PREFIX.length)];
  } else if (Object.hasOwn(LEAD_FIELDS, field)) {
    value = lead.fields[field as keyof typeof LEAD_FIELDS];
  } else {
    switch (field) {
      case 'email':
        value = lead.email;
        break;
      case 'domain':
        value = emailDomain(lead.email);
        break;
      case 'source':
        value = lead.source;
        break;
      case 'hot':
        value = input.hot ?? false;
        break;
      default:
        value = undefined;
    }
  }
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number' && Number.isNaN(value)) return null;
  return value;
}

const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

function asNumber(v: FieldValue | Scalar): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return null;
}

function equals(actual: FieldValue, expected: Scalar): boolean {
  if (typeof actual === 'number' || typeof expected === 'number') {
    const a = asNumber(actual);
    const b = asNumber(expected);
    if (a !== null && b !== null) return a === b;
  }
  return String(actual).toLowerCase() === String(expected).toLowerCase();
}

function order(actual: FieldValue, expected: Scalar): number | null {
  const a = asNumber(actual);
  const b = asNumber(expected);
  if (a !== null && b !== null) return a - b;
  if (typeof actual === 'number' || typeof expected === 'number') return null;
  if (typeof actual === 'boolean' || typeof expected === 'boolean') return null;
  return actual < expected ? -1 : actual > expected ? 1 : 0;
}

const patternCache = new Map<string, RegExp | null>();

/** Compiles a `matches` pattern ("/re/flags" or a bare pattern); null when it is invalid. */
export function compilePattern(pattern: string): RegExp | null {
  const cached = patternCache.get(pattern);
  if (cached !== undefined) return cached;
  let re: RegExp | null;
  try {
    const slashed = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
    re = slashed ? new RegExp(slashed[1] as string, (slashed[2] as string).replace(/[gy]/g, '')) : new RegExp(pattern);
  } catch {
    re = null;
  }
  if (patternCache.size > 1000) patternCache.clear();
  patternCache.set(pattern, re);
  return re;
}

function list(value: Scalar | Scalar[]): Scalar[] {
  return Array.isArray(value) ? value : [value];
}

function show(v: Scalar | Scalar[] | FieldValue | null): string {
  if (v === null) return 'missing';
  if (Array.isArray(v)) return `[${v.map((x) => show(x)).join(', ')}]`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** How each comparison reads in traces and summaries. */
export const OP_TEXT: Record<string, string> = {
  eq: '=',
  ne: '≠',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  in: 'in',
  notIn: 'not in',
  contains: 'contains',
  matches: 'matches',
};

function compare(
  c: Extract<Condition, { kind: 'compare' }>,
  input: ConditionInput,
): { matched: boolean; detail: string } {
  const actual = resolveField(c.field, input);
  const { op, value } = c;
  if (op === 'exists') {
    const want = value !== false && value !== 'false';
    const has = actual !== null;
    return {
      matched: has === want,
      detail: has ? `${c.field} is present (${show(actual)})` : `${c.field} is missing`,
    };
  }
  const head = `${c.field} ${show(actual)} ${OP_TEXT[op] ?? op} ${show(value)}`;
  if (actual === null) {
    const matched = op === 'ne' || op === 'notIn';
    return { matched, detail: `${c.field} is missing (${OP_TEXT[op] ?? op} ${show(value)})` };
  }
  let matched: boolean;
  switch (op) {
    case 'eq':
      matched = list(value).some((v) => equals(actual, v));
      break;
    case 'ne':
      matched = !list(value).some((v) => equals(actual, v));
      break;
    case 'in':
      matched = list(value).some((v) => equals(actual, v));
      break;
    case 'notIn':
      matched = !list(value).some((v) => equals(actual, v));
      break;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const expected = list(value)[0];
      const d = expected === undefined ? null : order(actual, expected);
      if (d === null) return { matched: false, detail: `${head}: not comparable` };
      matched = op === 'gt' ? d > 0 : op === 'gte' ? d >= 0 : op === 'lt' ? d < 0 : d <= 0;
      break;
    }
    case 'contains': {
      const text = String(actual).toLowerCase();
      matched = list(value).some((v) => text.includes(String(v).toLowerCase()));
      break;
    }
    case 'matches': {
      const patterns = list(value).map((v) => compilePattern(String(v)));
      if (patterns.some((p) => p === null)) return { matched: false, detail: `${head}: invalid pattern` };
      matched = patterns.some((p) => (p as RegExp).test(String(actual)));
      break;
    }
    default:
      return { matched: false, detail: `${head}: unknown operator` };
  }
  return { matched, detail: head };
}

/** Whether the condition holds for the lead. */
export function evaluateCondition(c: Condition, input: ConditionInput): boolean {
  switch (c.kind) {
    case 'all':
      return c.of.every((x) => evaluateCondition(x, input));
    case 'any':
      return c.of.some((x) => evaluateCondition(x, input));
    case 'not':
      return !evaluateCondition(c.of, input);
    case 'compare':
      return compare(c, input).matched;
  }
}

/**
 * Whether the condition holds, with a one-line reason in words: for a match the parts that made it
 * match, for a miss the parts that failed ("employees 40 ≥ 1000 ✗").
 */
export function explainCondition(c: Condition, input: ConditionInput): { matched: boolean; detail: string } {
  switch (c.kind) {
    case 'compare':
      return compare(c, input);
    case 'not': {
      const inner = explainCondition(c.of, input);
      return { matched: !inner.matched, detail: `not (${inner.detail})` };
    }
    case 'all': {
      if (c.of.length === 0) return { matched: true, detail: 'all of nothing' };
      const parts = c.of.map((x) => explainCondition(x, input));
      const failed = parts.filter((p) => !p.matched);
      return failed.length === 0
        ? { matched: true, detail: parts.map((p) => p.detail).join(' and ') }
        : { matched: false, detail: failed.map((p) => p.detail).join(' and ') };
    }
    case 'any': {
      if (c.of.length === 0) return { matched: false, detail: 'any of nothing' };
      const parts = c.of.map((x) => explainCondition(x, input));
      const hit = parts.find((p) => p.matched);
      return hit
        ? { matched: true, detail: hit.detail }
        : { matched: false, detail: `none of (${parts.map((p) => p.detail).join('; ')})` };
    }
  }
}
