// One pino root logger for the process: JSON lines for machines, pino-pretty on a terminal.
// Secrets never reach the output (pino redact at known paths, plus a key-based scrub at any depth)
// and contact emails are masked (`a***@example.com`) wherever they sit under an email-ish key.
import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';

export type RootLogger = PinoLogger;

export interface LoggerOptions {
  /** pino level; default "info". */
  level?: LevelWithSilent;
  /** Human-readable output; default: when stdout is a TTY. */
  pretty?: boolean;
  /** Where lines go; default stdout. */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Fields on every line (default: pid and hostname). */
  base?: Record<string, unknown>;
}

export const REDACTED = '[Redacted]';

/** Keys whose values are secrets, compared case-insensitively after removing "-" and "_". */
const SECRET_KEYS = new Set([
  'token',
  'bottoken',
  'apptoken',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'dashboardtoken',
  'secret',
  'clientsecret',
  'signingsecret',
  'webhooksecret',
  'password',
  'passwd',
  'privatekey',
  'apikey',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'smtpurl',
]);
/** Suffixes that mark a secret whatever comes before them ("hubspotToken", "sfClientSecret"). */
const SECRET_SUFFIXES = ['token', 'secret', 'password', 'privatekey', 'apikey'];

/** Keys whose string values are contact addresses. */
const EMAIL_KEYS = new Set([
  'email',
  'emails',
  'to',
  'cc',
  'bcc',
  'from',
  'replyto',
  'recipient',
  'recipients',
  'address',
]);

/** Paths pino redacts itself (they also cover values that serializers produce). */
const SECRET_FIELDS = [
  'token',
  'botToken',
  'appToken',
  'accessToken',
  'refreshToken',
  'dashboardToken',
  'secret',
  'clientSecret',
  'signingSecret',
  'webhookSecret',
  'password',
  'privateKey',
  'apiKey',
  'authorization',
  'cookie',
];
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
];

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

export function isSecretKey(key: string): boolean {
  const k = normaliseKey(key);
  return SECRET_KEYS.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s));
}

function isEmailKey(key: string): boolean {
  const k = normaliseKey(key);
  return EMAIL_KEYS.has(k) || k.endsWith('email') || k.endsWith('emails');
}

// A match may only start where a run of local-part characters starts (the lookbehind): without it, a long
// run with no "@" is rescanned from every position, which took seconds on a 40 KB library message.
const EMAIL =
  /(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;
const SLACK_TOKEN = /\bx(?:ox[abposr]|app)-[A-Za-z0-9-]{6,}/g;

/** Masks every email address in `text`: "alice@example.com" → "a***@example.com". */
export function maskEmail(text: string): string {
  return text.replace(EMAIL, '$1***@$2');
}

/** Masks emails and blanks Slack tokens and URL passwords inside free text (messages from libraries). */
export function scrubText(text: string): string {
  return maskEmail(stripUrlCredentials(text)).replace(SLACK_TOKEN, REDACTED);
}

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s/@]+@/gi;

/** Blanks the password of URLs with credentials: "postgres://app:pw@db/x" → "postgres://app:[Redacted]@db/x". */
export function stripUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1${REDACTED}@`);
}

function isUrlKey(key: string): boolean {
  const k = normaliseKey(key);
  return k.endsWith('url') || k.endsWith('uri') || k.endsWith('dsn');
}

const MAX_DEPTH = 8;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function maskValue(value: unknown): unknown {
  if (typeof value === 'string') return maskEmail(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? maskEmail(v) : scrub(v, 1)));
  return scrub(value, 1);
}

/**
 * Returns `value` with secrets replaced and emails masked under the keys that hold them. Plain
 * objects and arrays are copied only where something changes; other objects pass through.
 */
export function scrub(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const s = scrub(v, depth + 1);
      if (s !== v) {
        out ??= value.slice();
        out[i] = s;
      }
    }
    return out ?? value;
  }
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    const v = value[key];
    let s: unknown = v;
    if (v === undefined || v === null) continue;
    if (isSecretKey(key)) s = REDACTED;
    else if (isEmailKey(key)) s = maskValue(v);
    else if (typeof v === 'string' && isUrlKey(key)) s = stripUrlCredentials(v);
    else s = scrub(v, depth + 1);
    if (s !== v) {
      out ??= { ...value };
      out[key] = s;
    }
  }
  return out ?? value;
}

function scrubRecord(obj: Record<string, unknown>): Record<string, unknown> {
  return scrub(obj) as Record<string, unknown>;
}

/** pino's error serializer, flattened to plain data (SDK errors carry request headers) and scrubbed. */
export function serializeError(value: unknown): unknown {
  const serialized: unknown = pino.stdSerializers.err(value as Error);
  if (serialized === value) return scrub(value);
  let plain: unknown;
  try {
    plain = JSON.parse(JSON.stringify(serialized)) as unknown;
  } catch {
    plain = { ...(serialized as Record<string, unknown>) };
  }
  return scrub(plain);
}

/** Creates the process's root logger. Give components children: `log.child({ component: 'router' })`. */
export function createLogger(options: LoggerOptions = {}): RootLogger {
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  const config = {
    level: options.level ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    formatters: { log: scrubRecord, bindings: scrubRecord },
    serializers: { err: serializeError, error: serializeError },
    ...(options.base !== undefined ? { base: options.base } : {}),
  };
  const root = usePretty ? pino(config, prettyStream(options)) : pino(config, jsonDestination(options));
  // pino formats child bindings without the bindings formatter, so scrub them on the way in. pino also
  // appends a child's bindings to its parent's as text, so a key given again ("component" set by the caller
  // and again by the module) would appear twice on every line: each child is made from the root with its
  // ancestors' bindings merged instead, later keys winning. Descendants inherit this wrapper.
  type ChildFn = (this: PinoLogger, bindings: Record<string, unknown>, opts?: object) => PinoLogger;
  const plainChild = root.child as unknown as ChildFn;
  const own = new WeakMap<PinoLogger, Record<string, unknown>>();
  function mergingChild(this: PinoLogger, bindings: Record<string, unknown>, opts?: object): PinoLogger {
    const merged = { ...(own.get(this) ?? {}), ...scrubRecord(bindings) };
    const child = plainChild.call(root, merged, opts);
    if (opts === undefined || !('level' in opts)) child.level = this.level;
    own.set(child, merged);
    return child;
  }
  Object.defineProperty(root, 'child', { value: mergingChild, writable: true, configurable: true });
  return root;
}

function jsonDestination(options: LoggerOptions): DestinationStream {
  return (options.destination as DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: true });
}

// pino-pretty (30 modules) is loaded only for a terminal: a worker writing JSON lines never needs it.
const requireModule = createRequire(import.meta.url);

function prettyStream(options: LoggerOptions): DestinationStream {
  const pretty = requireModule('pino-pretty') as typeof PinoPretty;
  return pretty({
    destination: options.destination ?? 1,
    colorize: options.destination === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
  });
}
