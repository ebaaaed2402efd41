// The Salesforce emulator's SOQL parser and evaluator: the query shapes the connector issues
// (SELECT fields FROM object WHERE … ORDER BY … LIMIT n), with Salesforce's literal rules (unquoted
// dateTime literals, quoted strings, true/false/null) and its refusal to mix AND and OR without parentheses.

export type SoqlLiteral =
  | { type: 'string'; raw: string; value: string }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' }
  | { type: 'datetime'; value: number; text: string }
  | { type: 'date'; value: string };

export type SoqlOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type SoqlExpr =
  | { kind: 'and'; items: SoqlExpr[] }
  | { kind: 'or'; items: SoqlExpr[] }
  | { kind: 'not'; item: SoqlExpr }
  | { kind: 'cmp'; field: string; op: SoqlOp; value: SoqlLiteral }
  | { kind: 'in'; field: string; negate: boolean; values: SoqlLiteral[] }
  | { kind: 'like'; field: string; pattern: SoqlLiteral & { type: 'string' } };

export interface SoqlOrder {
  field: string;
  direction: 'ASC' | 'DESC';
  nulls: 'FIRST' | 'LAST';
}

export interface SoqlQuery {
  fields: string[];
  from: string;
  where: SoqlExpr | null;
  orderBy: SoqlOrder[];
  limit: number | null;
}

/** A query Salesforce would refuse with MALFORMED_QUERY. */
export class SoqlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SoqlSyntaxError';
  }
}

type Token =
  | { t: 'ident'; v: string }
  | { t: 'string'; raw: string }
  | { t: 'number'; v: number }
  | { t: 'datetime'; v: number; text: string }
  | { t: 'date'; v: string }
  | { t: 'op'; v: SoqlOp }
  | { t: 'punc'; v: '(' | ')' | ',' };

const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}(?![\dT])/;
const NUMBER_RE = /^-?\d+(\.\d+)?(?![\w-])/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_.]*/;

/** Epoch ms of a SOQL dateTime literal or a Salesforce dateTime value ("…+0000" or "…Z"). */
export function parseSalesforceDateTime(text: string): number {
  const normalized = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalized);
  if (Number.isNaN(ms)) throw new SoqlSyntaxError(`invalid dateTime: ${text}`);
  return ms;
}

/** Unquoted tokens, tried in this order (a dateTime before a date, a date before a number). */
const WORDS: Array<[RegExp, (text: string) => Token]> = [
  [DATETIME_RE, (text) => ({ t: 'datetime', v: parseSalesforceDateTime(text), text })],
  [DATE_RE, (text) => ({ t: 'date', v: text })],
  [NUMBER_RE, (text) => ({ t: 'number', v: Number(text) })],
  [IDENT_RE, (text) => ({ t: 'ident', v: text })],
];

function readWord(rest: string): { token: Token; length: number } | null {
  for (const [re, make] of WORDS) {
    const m = re.exec(rest);
    if (m) return { token: make(m[0]), length: m[0].length };
  }
  return null;
}

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const c = soql[i] as string;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: 'punc', v: c });
      i += 1;
      continue;
    }
    const two = soql.slice(i, i + 2);
    if (two === '!=' || two === '<>') {
      tokens.push({ t: 'op', v: '!=' });
      i += 2;
      continue;
    }
    if (two === '<=' || two === '>=') {
      tokens.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      tokens.push({ t: 'op', v: c });
      i += 1;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let raw = '';
      for (;;) {
        if (j >= soql.length) throw new SoqlSyntaxError('unterminated string literal');
        const d = soql[j] as string;
        if (d === '\\') {
          raw += soql.slice(j, j + 2);
          j += 2;
          continue;
        }
        if (d === "'") break;
        raw += d;
        j += 1;
      }
      tokens.push({ t: 'string', raw });
      i = j + 1;
      continue;
    }
    const word = readWord(soql.slice(i));
    if (word) {
      tokens.push(word.token);
      i += word.length;
      continue;
    }
    throw new SoqlSyntaxError(`unexpected character '${c}' at position ${i}`);
  }
  return tokens;
}

/** Unescapes a SOQL string literal body (\' \" \\ \n \t \r \b \f; \% and \_ keep their backslash-free form). */
function unescapeSoqlString(raw: string): string {
  return raw.replace(/\\(.)/g, (_m, ch: string) => {
    switch (ch) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      default:
        return ch;
    }
  });
}

/** A LIKE pattern as a case-insensitive RegExp: % any run, _ one character, \% and \_ literal. */
function likeToRegExp(raw: string): RegExp {
  let out = '';
  for (let i = 0; i < raw.length; i += 1) {
    const c = raw[i] as string;
    if (c === '\\' && i + 1 < raw.length) {
      out += unescapeSoqlString(raw.slice(i, i + 2)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i += 1;
    } else if (c === '%') out += '[\\s\\S]*';
    else if (c === '_') out += '[\\s\\S]';
    else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 'i');
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private next(): Token {
    const t = this.tokens[this.pos];
    if (t === undefined) throw new SoqlSyntaxError('unexpected end of query');
    this.pos += 1;
    return t;
  }
  private isKeyword(word: string, offset = 0): boolean {
    const t = this.tokens[this.pos + offset];
    return t !== undefined && t.t === 'ident' && t.v.toUpperCase() === word;
  }
  private expectKeyword(word: string): void {
    if (!this.isKeyword(word)) throw new SoqlSyntaxError(`expected ${word} ${this.where()}`);
    this.pos += 1;
  }
  private isPunc(v: '(' | ')' | ','): boolean {
    const t = this.peek();
    return t !== undefined && t.t === 'punc' && t.v === v;
  }
  private expectPunc(v: '(' | ')' | ','): void {
    if (!this.isPunc(v)) throw new SoqlSyntaxError(`expected '${v}' ${this.where()}`);
    this.pos += 1;
  }
  private ident(what: string): string {
    const t = this.next();
    if (t.t !== 'ident') throw new SoqlSyntaxError(`expected ${what} ${this.where(-1)}`);
    return t.v;
  }
  private where(offset = 0): string {
    const t = this.tokens[this.pos + offset];
    if (t === undefined) return 'at end of query';
    const shown = t.t === 'string' ? `'${t.raw}'` : 'v' in t ? String(t.v) : '?';
    return `near "${shown}"`;
  }

  parse(): SoqlQuery {
    this.expectKeyword('SELECT');
    const fields = [this.ident('a field name')];
    while (this.isPunc(',')) {
      this.pos += 1;
      fields.push(this.ident('a field name'));
    }
    this.expectKeyword('FROM');
    const from = this.ident('an object name');
    let where: SoqlExpr | null = null;
    if (this.isKeyword('WHERE')) {
      this.pos += 1;
      where = this.expr();
    }
    const orderBy: SoqlOrder[] = [];
    if (this.isKeyword('ORDER')) {
      this.pos += 1;
      this.expectKeyword('BY');
      for (;;) {
        const field = this.ident('a field name');
        let direction: 'ASC' | 'DESC' = 'ASC';
        if (this.isKeyword('ASC')) this.pos += 1;
        else if (this.isKeyword('DESC')) {
          this.pos += 1;
          direction = 'DESC';
        }
        let nulls: 'FIRST' | 'LAST' = direction === 'ASC' ? 'FIRST' : 'LAST';
        if (this.isKeyword('NULLS')) {
          this.pos += 1;
          if (this.isKeyword('FIRST')) nulls = 'FIRST';
          else if (this.isKeyword('LAST')) nulls = 'LAST';
          else throw new SoqlSyntaxError(`expected FIRST or LAST ${this.where()}`);
          this.pos += 1;
        }
        orderBy.push({ field, direction, nulls });
        if (!this.isPunc(',')) break;
        this.pos += 1;
      }
    }
    let limit: number | null = null;
    if (this.isKeyword('LIMIT')) {
      this.pos += 1;
      const t = this.next();
      if (t.t !== 'number' || !Number.isInteger(t.v) || t.v < 0)
        throw new SoqlSyntaxError('LIMIT needs a whole number');
      limit = t.v;
    }
    if (this.pos < this.tokens.length) throw new SoqlSyntaxError(`unexpected token ${this.where()}`);
    return { fields, from, where, orderBy, limit };
  }

  // expr := term ((AND term)* | (OR term)*) — SOQL refuses mixing AND and OR without parentheses.
  private expr(): SoqlExpr {
    const first = this.term();
    const items = [first];
    let joiner: 'AND' | 'OR' | null = null;
    while (this.isKeyword('AND') || this.isKeyword('OR')) {
      const word = (this.next() as { v: string }).v.toUpperCase() as 'AND' | 'OR';
      if (joiner !== null && joiner !== word) {
        throw new SoqlSyntaxError('unexpected token: mixing AND and OR requires parentheses');
      }
      joiner = word;
      items.push(this.term());
    }
    if (joiner === null) return first;
    return joiner === 'AND' ? { kind: 'and', items } : { kind: 'or', items };
  }

  private term(): SoqlExpr {
    if (this.isKeyword('NOT')) {
      this.pos += 1;
      return { kind: 'not', item: this.term() };
    }
    if (this.isPunc('(')) {
      this.pos += 1;
      const inner = this.expr();
      this.expectPunc(')');
      return inner;
    }
    const field = this.ident('a field name');
    if (this.isKeyword('IN') || (this.isKeyword('NOT') && this.isKeyword('IN', 1))) {
      const negate = this.isKeyword('NOT');
      this.pos += negate ? 2 : 1;
      this.expectPunc('(');
      const values = [this.literal()];
      while (this.isPunc(',')) {
        this.pos += 1;
        values.push(this.literal());
      }
      this.expectPunc(')');
      return { kind: 'in', field, negate, values };
    }
    if (this.isKeyword('LIKE')) {
      this.pos += 1;
      const pattern = this.literal();
      if (pattern.type !== 'string') throw new SoqlSyntaxError('LIKE needs a string literal');
      return { kind: 'like', field, pattern };
    }
    const op = this.next();
    if (op.t !== 'op') throw new SoqlSyntaxError(`expected an operator ${this.where(-1)}`);
    return { kind: 'cmp', field, op: op.v, value: this.literal() };
  }

  private literal(): SoqlLiteral {
    const t = this.next();
    switch (t.t) {
      case 'string':
        return { type: 'string', raw: t.raw, value: unescapeSoqlString(t.raw) };
      case 'number':
        return { type: 'number', value: t.v };
      case 'datetime':
        return { type: 'datetime', value: t.v, text: t.text };
      case 'date':
        return { type: 'date', value: t.v };
      case 'ident': {
        const w = t.v.toLowerCase();
        if (w === 'true' || w === 'false') return { type: 'boolean', value: w === 'true' };
        if (w === 'null') return { type: 'null' };
        throw new SoqlSyntaxError(`unexpected token: '${t.v}' (dateTime literals are unquoted, strings are quoted)`);
      }
      default:
        throw new SoqlSyntaxError(`expected a value ${this.where(-1)}`);
    }
  }
}

export function parseSoql(soql: string): SoqlQuery {
  return new Parser(tokenize(soql)).parse();
}

// ---- evaluation -----------------------------------------------------------------------------------

export type SfValue = string | number | boolean | null;
export type SfFieldType =
  | 'id'
  | 'reference'
  | 'string'
  | 'textarea'
  | 'email'
  | 'url'
  | 'phone'
  | 'picklist'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime';

/** How the evaluator sees a field: its type and, for a relationship path, the value at its end. */
export interface FieldResolver {
  /** The field's type, or an error message when it does not exist. */
  typeOf(path: string): SfFieldType | { error: string };
  valueOf(record: unknown, path: string): SfValue;
}

/** Salesforce refuses a filter whose value type does not fit the field (e.g. a quoted dateTime). */
export class SoqlFieldError extends Error {
  readonly code: 'INVALID_FIELD';
  constructor(message: string) {
    super(message);
    this.name = 'SoqlFieldError';
    this.code = 'INVALID_FIELD';
  }
}

const NUMBER_TYPES = new Set<SfFieldType>(['int', 'double', 'currency', 'percent']);

function checkLiteral(path: string, type: SfFieldType, lit: SoqlLiteral): void {
  if (lit.type === 'null') return;
  const ok =
    type === 'datetime'
      ? lit.type === 'datetime'
      : type === 'date'
        ? lit.type === 'date'
        : type === 'boolean'
          ? lit.type === 'boolean'
          : NUMBER_TYPES.has(type)
            ? lit.type === 'number'
            : lit.type === 'string';
  if (!ok) {
    const hint = type === 'datetime' || type === 'date' ? ' and should not be enclosed in quotes' : '';
    throw new SoqlFieldError(`value of filter criterion for field '${path}' must be of type ${type}${hint}`);
  }
}

/** Orders two non-null values of one field; strings compare case-insensitively, as SOQL does. */
function compareValues(a: SfValue, b: SfValue, type: SfFieldType): number {
  if (type === 'datetime') return parseSalesforceDateTime(String(a)) - parseSalesforceDateTime(String(b));
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function literalValue(lit: SoqlLiteral): SfValue {
  switch (lit.type) {
    case 'null':
      return null;
    case 'datetime':
      return new Date(lit.value).toISOString();
    default:
      return lit.value;
  }
}

/** Checks every field the query names, so a bad one fails the whole query as Salesforce does. */
export function validateQuery(q: SoqlQuery, fields: FieldResolver): void {
  const check = (path: string): SfFieldType => {
    const t = fields.typeOf(path);
    if (typeof t === 'object') throw new SoqlFieldError(t.error);
    return t;
  };
  for (const f of q.fields) check(f);
  for (const o of q.orderBy) check(o.field);
  const walk = (e: SoqlExpr): void => {
    switch (e.kind) {
      case 'and':
      case 'or':
        e.items.forEach(walk);
        return;
      case 'not':
        walk(e.item);
        return;
      case 'cmp':
        checkLiteral(e.field, check(e.field), e.value);
        return;
      case 'in':
        for (const v of e.values) checkLiteral(e.field, check(e.field), v);
        return;
      case 'like':
        check(e.field);
        return;
    }
  };
  if (q.where) walk(q.where);
}

export function matches(e: SoqlExpr, record: unknown, fields: FieldResolver): boolean {
  switch (e.kind) {
    case 'and':
      return e.items.every((i) => matches(i, record, fields));
    case 'or':
      return e.items.some((i) => matches(i, record, fields));
    case 'not':
      return !matches(e.item, record, fields);
    case 'like': {
      const v = fields.valueOf(record, e.field);
      return v !== null && likeToRegExp(e.pattern.raw).test(String(v));
    }
    case 'in': {
      const v = fields.valueOf(record, e.field);
      const type = fields.typeOf(e.field) as SfFieldType;
      const found = e.values.some((lit) => {
        const w = literalValue(lit);
        if (v === null || w === null) return v === w;
        return compareValues(v, w, type) === 0;
      });
      return e.negate ? !found : found;
    }
    case 'cmp': {
      const v = fields.valueOf(record, e.field);
      const w = literalValue(e.value);
      const type = fields.typeOf(e.field) as SfFieldType;
      if (v === null || w === null) {
        if (e.op === '=') return v === w;
        if (e.op === '!=') return v !== w;
        return false;
      }
      const c = compareValues(v, w, type);
      switch (e.op) {
        case '=':
          return c === 0;
        case '!=':
          return c !== 0;
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
      }
    }
  }
}

export function compareForOrder(a: unknown, b: unknown, order: SoqlOrder[], fields: FieldResolver): number {
  for (const o of order) {
    const x = fields.valueOf(a, o.field);
    const y = fields.valueOf(b, o.field);
    let c: number;
    if (x === null && y === null) c = 0;
    else if (x === null) c = o.nulls === 'FIRST' ? -1 : 1;
    else if (y === null) c = o.nulls === 'FIRST' ? 1 : -1;
    else {
      c = compareValues(x, y, fields.typeOf(o.field) as SfFieldType);
      if (o.direction === 'DESC') c = -c;
    }
    if (c !== 0) return c;
  }
  return 0;
}
