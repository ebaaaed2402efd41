// A local Slack: the Web API subset handoff calls, with Slack's shapes, limits and errors, and Slack's side
// toward the app (signed interactivity requests in HTTP mode, envelopes over a Socket Mode WebSocket).
// Serves the tests, the benchmarks and `handoff demo`. It behaves like Slack, it is not a mock of our code.
import { createHmac, randomBytes } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';

// ---- public types -------------------------------------------------------------------------------

export interface EmulatorUser {
  id: string;
  name: string;
  realName?: string;
  email?: string;
  tz?: string;
  isBot?: boolean;
}

export interface EmulatorChannel {
  id: string;
  name: string;
  /** Human members (user ids). */
  members: string[];
  /** Whether the app's bot user has been invited (not_in_channel otherwise). */
  botIsMember: boolean;
}

export interface MessageEdit {
  at: number;
  text: string;
  blocks: unknown[];
}

export interface RecordedMessage {
  channel: string;
  ts: string;
  /** Author: the bot user id for app posts. */
  user: string;
  text: string;
  blocks: unknown[];
  threadTs: string | null;
  postedAt: number;
  edits: MessageEdit[];
  deleted: boolean;
}

export interface RecordedEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[];
  at: number;
  via: 'chat.postEphemeral' | 'response_url' | 'ack';
}

export interface RecordedView {
  id: string;
  user: string;
  type: 'modal' | 'home';
  view: Record<string, unknown>;
  openedAt: number;
  closed: boolean;
}

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  status: number;
  ok: boolean;
  error?: string;
}

export interface Signing {
  /** Sign with this secret instead of the real one (a wrong signature). */
  secret?: string;
  /** Unix seconds to put in X-Slack-Request-Timestamp (a stale request). */
  timestamp?: number;
}

export interface DeliveryResult {
  via: 'http' | 'socket';
  /** HTTP status of the app's answer; 0 when nothing came back in time or the client refused to send. */
  status: number;
  /** The app's answer body (parsed JSON when it is JSON; the ack payload in Socket Mode). */
  body: unknown;
  /** Time until the app acknowledged. */
  ackMs: number;
  triggerId?: string;
  /** Client-side validation errors (a required modal field left empty): nothing was sent. */
  errors?: Record<string, string>;
}

export interface FaultSpec {
  count: number;
  status: 500 | 429 | 503;
  /** Seconds for Retry-After on 429. */
  retryAfter?: number;
  /** Only calls of this method fail (default: any method). */
  method?: string;
}

export interface ClickInput {
  user: string;
  channel: string;
  ts: string;
  actionId: string;
  /** Which button (by value) when several share the action id; for a select, the option value to pick. */
  value?: string;
  signing?: Signing;
}

export interface SubmitInput {
  user: string;
  /** Defaults to the user's most recently opened, still open modal. */
  viewId?: string;
  /** Values by block_id and action_id; a select takes the option value, a text input the text; null leaves it empty. */
  values: Record<string, Record<string, string | null>>;
  signing?: Signing;
}

export interface SlashCommandInput {
  user: string;
  channel: string;
  command?: string;
  text: string;
  signing?: Signing;
}

export interface SlackEmulatorControl {
  addUser(user: EmulatorUser): void;
  addChannel(channel: Omit<EmulatorChannel, 'botIsMember'> & { botIsMember?: boolean }): void;
  users(): EmulatorUser[];
  /** The DM channel between the app and a user, if one was opened. */
  dmChannel(user: string): string | null;
  messages(channel?: string): RecordedMessage[];
  message(channel: string, ts: string): RecordedMessage | null;
  ephemerals(filter?: { channel?: string; user?: string }): RecordedEphemeral[];
  views(user?: string): RecordedView[];
  homeView(user: string): RecordedView | null;
  calls(method?: string): RecordedCall[];
  /** Where HTTP-mode requests go (the app's /slack/events URL). */
  setRequestUrl(url: string | null): void;
  /** The next `count` Web API calls (of `method`, if given) fail with `status`. */
  fail(spec: FaultSpec): void;
  /** Ends every fault still pending (an outage that lasted a while). */
  clearFaults(): void;
  /** Makes every trigger id issued so far expired (as if 3 s had passed). */
  expireTriggers(): void;
  socketConnected(): boolean;
  waitForSocket(timeoutMs?: number): Promise<void>;
  clickButton(input: ClickInput): Promise<DeliveryResult>;
  /** Picks an option of a static_select in a message (same as clickButton with the option value). */
  selectOption(input: ClickInput & { value: string }): Promise<DeliveryResult>;
  /** Clicks a button in the user's published App Home view. */
  clickHomeButton(input: {
    user: string;
    actionId: string;
    value?: string;
    signing?: Signing;
  }): Promise<DeliveryResult>;
  submitView(input: SubmitInput): Promise<DeliveryResult>;
  slashCommand(input: SlashCommandInput): Promise<DeliveryResult>;
  /** The user opens the app's Home tab (`app_home_opened` event). */
  openAppHome(input: { user: string; retryNum?: number; eventId?: string; signing?: Signing }): Promise<DeliveryResult>;
  /** Sends an arbitrary body to the request URL, signed (or mis-signed) like Slack does. */
  sendRaw(input: {
    body: string;
    contentType: string;
    signing?: Signing;
    headers?: Record<string, string>;
  }): Promise<DeliveryResult>;
}

export interface SlackEmulatorOptions {
  port?: number;
  host?: string;
  /** Enforce chat.postMessage's ≈1 message per second per channel (bursts allowed). Default true. */
  rateLimit?: boolean | { perSecond: number; burst: number };
  signingSecret: string;
  botToken: string;
  appToken?: string;
  /** Where HTTP-mode interactivity goes; can be set later with control.setRequestUrl. */
  requestUrl?: string;
  /** Trigger id lifetime (Slack: 3 s). */
  triggerTtlMs?: number;
  /** Bot token scopes, reported in X-OAuth-Scopes like Slack does (default: what handoff needs). */
  scopes?: string[];
  /** How long to wait for an app's ack (Slack: 3 s). */
  ackTimeoutMs?: number;
  now?: () => number;
}

/** An extra page served by the emulator (the demo's /demo); answers true when it handled the request. */
export type MountedHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface SlackEmulator {
  url: string;
  apiUrl: string;
  control: SlackEmulatorControl;
  /** Serves extra pages beside the emulated API; asked first, in the order mounted. */
  mount(handler: MountedHandler): void;
  close(): Promise<void>;
}

// ---- constants ----------------------------------------------------------------------------------

const TEAM = { id: 'T0HANDOFF', domain: 'handoff-emulated' };
const APP_ID = 'A0HANDOFF';
const BOT = { userId: 'U0HANDOFFBOT', botId: 'B0HANDOFF', name: 'handoff' };
const VERIFICATION_TOKEN = 'emulated-verification-token';

class SlackError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

class HttpFault extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: string,
  ) {
    super(`http ${status}`);
  }
}

// ---- block validation (documented limits) --------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkText(v: unknown, max: number, where: string, plainOnly = false): string | null {
  if (!isObject(v) || typeof v.text !== 'string') return `${where}: missing text object`;
  if (v.type !== 'plain_text' && (plainOnly || v.type !== 'mrkdwn'))
    return `${where}: must be ${plainOnly ? 'plain_text' : 'a text object'}`;
  if (v.text.length === 0) return `${where}: must not be empty`;
  if (v.text.length > max) return `${where}: must be less than ${max + 1} characters`;
  return null;
}

function checkElement(el: unknown, where: string): string | null {
  if (!isObject(el) || typeof el.type !== 'string') return `${where}: element without type`;
  if (typeof el.action_id === 'string' && el.action_id.length > 255) return `${where}: action_id too long`;
  switch (el.type) {
    case 'button': {
      const t = checkText(el.text, 75, `${where}.text`, true);
      if (t !== null) return t;
      if (typeof el.value === 'string' && el.value.length > 2000)
        return `${where}.value: must be less than 2001 characters`;
      if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') return `${where}.style: invalid`;
      return null;
    }
    case 'static_select': {
      if (!Array.isArray(el.options) || el.options.length === 0) return `${where}.options: required`;
      if (el.options.length > 100) return `${where}.options: must provide at most 100 items`;
      for (const [i, o] of el.options.entries()) {
        const t = checkText(isObject(o) ? o.text : null, 75, `${where}.options[${i}].text`, true);
        if (t !== null) return t;
        if (!isObject(o) || typeof o.value !== 'string' || o.value.length > 150)
          return `${where}.options[${i}].value: invalid`;
      }
      return null;
    }
    case 'plain_text_input':
      if (typeof el.max_length === 'number' && el.max_length > 3000) return `${where}.max_length: at most 3000`;
      return null;
    default:
      return null;
  }
}

/** Returns the first problem with the blocks, or null when Slack would accept them. */
export function validateBlocks(blocks: unknown, maxBlocks: number): string | null {
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > maxBlocks) return `no more than ${maxBlocks} items allowed`;
  const ids = new Set<string>();
  for (const [i, b] of blocks.entries()) {
    const where = `[${i}]`;
    if (!isObject(b) || typeof b.type !== 'string') return `${where}: block without type`;
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== 'string' || b.block_id.length > 255) return `${where}.block_id: invalid`;
      if (ids.has(b.block_id)) return `${where}.block_id: duplicate "${b.block_id}"`;
      ids.add(b.block_id);
    }
    switch (b.type) {
      case 'header': {
        const t = checkText(b.text, 150, `${where}.text`, true);
        if (t !== null) return t;
        break;
      }
      case 'section': {
        if (b.text === undefined && b.fields === undefined) return `${where}: section needs text or fields`;
        if (b.text !== undefined) {
          const t = checkText(b.text, 3000, `${where}.text`);
          if (t !== null) return t;
        }
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length > 10) return `${where}.fields: at most 10 items`;
          for (const [j, f] of b.fields.entries()) {
            const t = checkText(f, 2000, `${where}.fields[${j}]`);
            if (t !== null) return t;
          }
        }
        if (b.accessory !== undefined) {
          const t = checkElement(b.accessory, `${where}.accessory`);
          if (t !== null) return t;
        }
        break;
      }
      case 'actions': {
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) {
          return `${where}.elements: between 1 and 25 items`;
        }
        for (const [j, el] of b.elements.entries()) {
          const t = checkElement(el, `${where}.elements[${j}]`);
          if (t !== null) return t;
        }
        break;
      }
      case 'context': {
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) {
          return `${where}.elements: between 1 and 10 items`;
        }
        break;
      }
      case 'input': {
        const t = checkText(b.label, 2000, `${where}.label`, true);
        if (t !== null) return t;
        const e = checkElement(b.element, `${where}.element`);
        if (e !== null) return e;
        break;
      }
      case 'divider':
      case 'image':
      case 'rich_text':
        break;
      default:
        return `${where}: unsupported block type "${b.type}"`;
    }
  }
  return null;
}

function validateView(view: unknown, expected: 'modal' | 'home'): string | null {
  if (!isObject(view)) return 'view must be an object';
  if (view.type !== expected) return `view.type must be ${expected}`;
  if (expected === 'modal') {
    for (const key of ['title', 'submit', 'close'] as const) {
      if (view[key] === undefined && key !== 'title') continue;
      const t = checkText(view[key], 24, `view.${key}`, true);
      if (t !== null) return t;
    }
  }
  if (typeof view.callback_id === 'string' && view.callback_id.length > 255) return 'view.callback_id: too long';
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000)
    return 'view.private_metadata: too long';
  if (JSON.stringify(view).length > 250_000) return 'view_too_large';
  return validateBlocks(view.blocks, 100);
}

// ---- helpers ------------------------------------------------------------------------------------

/** X-Slack-Signature for a body: v0=hex(HMAC-SHA256(secret, "v0:ts:body")). */
export function signSlackRequest(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function readBody(req: IncomingMessage, limit = 2_000_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseArgs(raw: string, contentType: string | undefined): Json {
  if (contentType?.includes('application/json') === true) {
    const parsed: unknown = raw === '' ? {} : JSON.parse(raw);
    return isObject(parsed) ? parsed : {};
  }
  const out: Json = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
  return out;
}

/** Web API args arrive form-encoded with nested values as JSON strings. */
function jsonArg(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return Symbol.for('invalid-json');
  }
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...headers,
  });
  res.end(text);
}

function tzOffsetSeconds(tz: string, at: number): number {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
      .formatToParts(new Date(at))
      .find((p) => p.type === 'timeZoneName')?.value;
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part ?? '');
    if (m === null) return 0;
    const sign = m[1] === '-' ? -1 : 1;
    return sign * (Number(m[2]) * 3600 + Number(m[3]) * 60);
  } catch {
    return 0;
  }
}

function findInteractive(
  blocks: unknown[],
  actionId: string,
  value: string | undefined,
): { block: Json; element: Json } | null {
  for (const b of blocks) {
    if (!isObject(b)) continue;
    const elements: unknown[] =
      b.type === 'actions' && Array.isArray(b.elements) ? b.elements : b.accessory !== undefined ? [b.accessory] : [];
    for (const el of elements) {
      if (!isObject(el) || el.action_id !== actionId) continue;
      if (el.type === 'static_select') {
        if (value === undefined) return { block: b, element: el };
        const options = Array.isArray(el.options) ? el.options : [];
        if (options.some((o) => isObject(o) && o.value === value)) return { block: b, element: el };
        continue;
      }
      if (value === undefined || el.value === value) return { block: b, element: el };
    }
  }
  return null;
}

// ---- the emulator -------------------------------------------------------------------------------

export async function startSlackEmulator(options: SlackEmulatorOptions): Promise<SlackEmulator> {
  const now = options.now ?? Date.now;
  const triggerTtl = options.triggerTtlMs ?? 3000;
  const ackTimeout = options.ackTimeoutMs ?? 3000;
  const scopes = options.scopes ?? ['chat:write', 'commands', 'im:write', 'users:read', 'users:read.email'];
  const limit =
    options.rateLimit === false
      ? null
      : options.rateLimit === true || options.rateLimit === undefined
        ? { perSecond: 1, burst: 3 }
        : options.rateLimit;

  const users = new Map<string, EmulatorUser>();
  const channels = new Map<string, EmulatorChannel>();
  const dms = new Map<string, string>(); // user id → D… channel
  const messages: RecordedMessage[] = [];
  const messageIndex = new Map<string, RecordedMessage>(); // `${channel}:${ts}`
  const ephemerals: RecordedEphemeral[] = [];
  const views = new Map<string, RecordedView>();
  const homes = new Map<string, RecordedView>();
  const calls: RecordedCall[] = [];
  const triggers = new Map<string, { user: string; issuedAt: number; used: boolean; expired: boolean }>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  const responseUrls = new Map<string, { channel: string; user: string; messageTs: string | null; uses: number }>();
  const faults: FaultSpec[] = [];
  const socketTickets = new Set<string>();
  const sockets = new Set<WebSocket>();
  const pendingAcks = new Map<string, (payload: unknown) => void>();
  const socketWaiters = new Set<() => void>();
  let requestUrl: string | null = options.requestUrl ?? null;
  let lastTsMicros = 0;
  let counter = 0;
  let baseUrl = '';
  let wss: WebSocketServer | null = null;
  let pingTimer: NodeJS.Timeout | null = null;
  const deliveryAgent = new Agent({ keepAlive: true, maxSockets: 256 });

  const nextId = (prefix: string): string => `${prefix}${(++counter).toString(36).toUpperCase().padStart(8, '0')}`;

  function nextTs(): string {
    const micros = Math.max(now() * 1000, lastTsMicros + 1);
    lastTsMicros = micros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  function issueTrigger(user: string): string {
    const id = `${Math.floor(now() / 1000)}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
    triggers.set(id, { user, issuedAt: now(), used: false, expired: false });
    return id;
  }

  function issueResponseUrl(channel: string, user: string, messageTs: string | null): string {
    const id = randomBytes(12).toString('hex');
    responseUrls.set(id, { channel, user, messageTs, uses: 0 });
    return `${baseUrl}/__response/${id}`;
  }

  function userJson(u: EmulatorUser): Json {
    const tz = u.tz ?? 'UTC';
    return {
      id: u.id,
      team_id: TEAM.id,
      name: u.name,
      real_name: u.realName ?? u.name,
      deleted: false,
      is_bot: u.isBot === true,
      tz,
      tz_offset: tzOffsetSeconds(tz, now()),
      profile: {
        email: u.email,
        real_name: u.realName ?? u.name,
        display_name: u.name,
      },
    };
  }

  function openDm(user: string): { id: string; created: boolean } {
    const existing = dms.get(user);
    if (existing !== undefined) return { id: existing, created: false };
    const id = nextId('D');
    dms.set(user, id);
    channels.set(id, { id, name: `dm-${user}`, members: [user], botIsMember: true });
    return { id, created: true };
  }

  /** Resolves a channel argument as Slack does (a user id posts to the app's DM with them). */
  function resolveChannel(arg: unknown): EmulatorChannel {
    const id = str(arg);
    if (id === undefined || id === '') throw new SlackError('channel_not_found');
    if (id.startsWith('U') || id.startsWith('W')) {
      if (!users.has(id)) throw new SlackError('channel_not_found');
      const dm = channels.get(openDm(id).id);
      if (dm === undefined) throw new SlackError('channel_not_found');
      return dm;
    }
    const ch = channels.get(id);
    if (ch === undefined) throw new SlackError('channel_not_found');
    if (!ch.botIsMember) throw new SlackError('not_in_channel');
    return ch;
  }

  function checkRate(channel: string): void {
    if (limit === null) return;
    const t = now();
    const b = buckets.get(channel) ?? { tokens: limit.burst, at: t };
    b.tokens = Math.min(limit.burst, b.tokens + ((t - b.at) / 1000) * limit.perSecond);
    b.at = t;
    buckets.set(channel, b);
    if (b.tokens < 1) {
      const wait = Math.max(1, Math.ceil((1 - b.tokens) / limit.perSecond));
      throw new HttpFault(429, { 'retry-after': String(wait) }, JSON.stringify({ ok: false, error: 'ratelimited' }));
    }
    b.tokens -= 1;
  }

  function messageArgs(args: Json, maxBlocks = 50): { text: string; blocks: unknown[] } {
    const text = str(args.text) ?? '';
    let blocks: unknown[] = [];
    if (args.blocks !== undefined && args.blocks !== '') {
      const parsed = jsonArg(args.blocks);
      const problem = validateBlocks(parsed, maxBlocks);
      if (problem !== null) {
        throw new SlackError('invalid_blocks', {
          errors: [problem],
          response_metadata: { messages: [`[ERROR] ${problem}`] },
        });
      }
      blocks = parsed as unknown[];
    }
    if (text === '' && blocks.length === 0) throw new SlackError('no_text');
    if (text.length > 40_000) throw new SlackError('msg_too_long');
    return { text, blocks };
  }

  function messageJson(m: RecordedMessage): Json {
    return {
      type: 'message',
      user: m.user,
      bot_id: m.user === BOT.userId ? BOT.botId : undefined,
      app_id: m.user === BOT.userId ? APP_ID : undefined,
      text: m.text,
      blocks: m.blocks,
      ts: m.ts,
      thread_ts: m.threadTs ?? undefined,
      team: TEAM.id,
    };
  }

  function viewJson(v: RecordedView): Json {
    return {
      ...v.view,
      id: v.id,
      team_id: TEAM.id,
      app_id: APP_ID,
      bot_id: BOT.botId,
      state: { values: {} },
      hash: `${Math.floor(v.openedAt / 1000)}.${v.id}`,
      root_view_id: v.id,
      previous_view_id: null,
      private_metadata: str(v.view.private_metadata) ?? '',
      callback_id: str(v.view.callback_id) ?? '',
    };
  }

  // ---- Web API methods ----

  const methods: Record<string, (args: Json) => Json> = {
    'auth.test': () => ({
      url: `https://${TEAM.domain}.slack.com/`,
      team: 'Handoff (emulated)',
      user: BOT.name,
      team_id: TEAM.id,
      user_id: BOT.userId,
      bot_id: BOT.botId,
      is_enterprise_install: false,
    }),
    'chat.postMessage': (args) => {
      const ch = resolveChannel(args.channel);
      const { text, blocks } = messageArgs(args);
      const threadTs = str(args.thread_ts) ?? null;
      if (threadTs !== null && !messageIndex.has(`${ch.id}:${threadTs}`)) throw new SlackError('thread_not_found');
      checkRate(ch.id);
      const m: RecordedMessage = {
        channel: ch.id,
        ts: nextTs(),
        user: BOT.userId,
        text,
        blocks,
        threadTs,
        postedAt: now(),
        edits: [],
        deleted: false,
      };
      messages.push(m);
      messageIndex.set(`${ch.id}:${m.ts}`, m);
      return { channel: ch.id, ts: m.ts, message: messageJson(m) };
    },
    'chat.update': (args) => {
      const ch = resolveChannel(args.channel);
      const ts = str(args.ts);
      if (ts === undefined) throw new SlackError('message_not_found');
      const m = messageIndex.get(`${ch.id}:${ts}`);
      if (m === undefined || m.deleted) throw new SlackError('message_not_found');
      if (m.user !== BOT.userId) throw new SlackError('cant_update_message');
      const hasBlocks = args.blocks !== undefined && args.blocks !== '';
      const { text, blocks } = messageArgs({
        text: args.text ?? m.text,
        blocks: hasBlocks ? args.blocks : JSON.stringify(m.blocks),
      });
      m.edits.push({ at: now(), text: m.text, blocks: m.blocks });
      m.text = text;
      m.blocks = blocks;
      return { channel: ch.id, ts: m.ts, text: m.text, message: messageJson(m) };
    },
    'chat.postEphemeral': (args) => {
      const ch = resolveChannel(args.channel);
      const user = str(args.user);
      if (user === undefined || !users.has(user)) throw new SlackError('user_not_found');
      if (!ch.members.includes(user)) throw new SlackError('user_not_in_channel');
      const { text, blocks } = messageArgs(args);
      ephemerals.push({ channel: ch.id, user, text, blocks, at: now(), via: 'chat.postEphemeral' });
      return { message_ts: nextTs() };
    },
    'views.open': (args) => {
      const triggerId = str(args.trigger_id);
      if (triggerId === undefined) throw new SlackError('invalid_arguments');
      const trigger = triggers.get(triggerId);
      if (trigger === undefined) throw new SlackError('invalid_trigger_id');
      if (trigger.used) throw new SlackError('exchanged_trigger_id');
      if (trigger.expired || now() - trigger.issuedAt > triggerTtl) throw new SlackError('expired_trigger_id');
      const view = jsonArg(args.view);
      const problem = validateView(view, 'modal');
      if (problem === 'view_too_large') throw new SlackError('view_too_large');
      if (problem !== null)
        throw new SlackError('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${problem}`] } });
      trigger.used = true;
      const v: RecordedView = {
        id: nextId('V'),
        user: trigger.user,
        type: 'modal',
        view: view as Json,
        openedAt: now(),
        closed: false,
      };
      views.set(v.id, v);
      return { view: viewJson(v) };
    },
    'views.publish': (args) => {
      const user = str(args.user_id);
      if (user === undefined || !users.has(user)) throw new SlackError('user_not_found');
      const view = jsonArg(args.view);
      const problem = validateView(view, 'home');
      if (problem !== null)
        throw new SlackError('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${problem}`] } });
      const previous = homes.get(user);
      const v: RecordedView = {
        id: previous?.id ?? nextId('V'),
        user,
        type: 'home',
        view: view as Json,
        openedAt: now(),
        closed: false,
      };
      homes.set(user, v);
      return { view: viewJson(v) };
    },
    'conversations.open': (args) => {
      const list = (str(args.users) ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u !== '');
      if (list.length === 0) throw new SlackError('users_list_not_supplied');
      if (list.length > 8) throw new SlackError('too_many_users');
      for (const u of list) {
        if (u === BOT.userId) throw new SlackError('cannot_dm_bot');
        if (!users.has(u)) throw new SlackError('user_not_found');
      }
      if (list.length > 1) {
        const key = [...list].sort().join(',');
        const existing = [...channels.values()].find((c) => c.name === `mpdm-${key}`);
        if (existing !== undefined) return { channel: { id: existing.id }, already_open: true, no_op: true };
        const id = nextId('G');
        channels.set(id, { id, name: `mpdm-${key}`, members: list, botIsMember: true });
        return { channel: { id } };
      }
      const [only] = list as [string];
      const dm = openDm(only);
      return dm.created ? { channel: { id: dm.id } } : { channel: { id: dm.id }, already_open: true, no_op: true };
    },
    'users.lookupByEmail': (args) => {
      const email = (str(args.email) ?? '').toLowerCase();
      const u = [...users.values()].find((x) => x.email !== undefined && x.email.toLowerCase() === email);
      if (u === undefined) throw new SlackError('users_not_found');
      return { user: userJson(u) };
    },
    'users.info': (args) => {
      const u = users.get(str(args.user) ?? '');
      if (u === undefined) throw new SlackError('user_not_found');
      return { user: userJson(u) };
    },
    'apps.connections.open': () => {
      const ticket = randomBytes(16).toString('hex');
      socketTickets.add(ticket);
      return { url: `${baseUrl.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${APP_ID}` };
    },
  };

  function handleApi(
    method: string,
    args: Json,
    token: string | undefined,
  ): { status: number; body: Json | string; headers?: Record<string, string> } {
    const fault = faults.find((f) => f.method === undefined || f.method === method);
    if (fault !== undefined) {
      fault.count -= 1;
      if (fault.count <= 0) faults.splice(faults.indexOf(fault), 1);
      if (fault.status === 429) {
        return {
          status: 429,
          headers: { 'retry-after': String(fault.retryAfter ?? 1) },
          body: { ok: false, error: 'ratelimited' },
        };
      }
      return { status: fault.status, body: fault.status === 503 ? 'Service Unavailable' : 'Internal Server Error' };
    }
    const handler = methods[method];
    if (handler === undefined) return { status: 200, body: { ok: false, error: 'unknown_method' } };
    if (token === undefined || token === '') return { status: 200, body: { ok: false, error: 'not_authed' } };
    if (method === 'apps.connections.open') {
      if (token === options.botToken) return { status: 200, body: { ok: false, error: 'not_allowed_token_type' } };
      if (options.appToken === undefined || token !== options.appToken)
        return { status: 200, body: { ok: false, error: 'invalid_auth' } };
    } else if (token !== options.botToken) {
      if (options.appToken !== undefined && token === options.appToken)
        return { status: 200, body: { ok: false, error: 'not_allowed_token_type' } };
      return { status: 200, body: { ok: false, error: 'invalid_auth' } };
    }
    try {
      return { status: 200, body: { ok: true, ...handler(args) } };
    } catch (err) {
      if (err instanceof SlackError) return { status: 200, body: { ok: false, error: err.error, ...err.extra } };
      if (err instanceof HttpFault)
        return { status: err.status, headers: err.headers, body: JSON.parse(err.body) as Json };
      throw err;
    }
  }

  // ---- Slack → app deliveries ----

  function activeSocket(): WebSocket | null {
    let last: WebSocket | null = null;
    for (const s of sockets) if (s.readyState === 1) last = s;
    return last;
  }

  async function deliverHttp(
    body: string,
    contentType: string,
    signing: Signing | undefined,
    headers: Record<string, string> = {},
  ): Promise<DeliveryResult> {
    if (requestUrl === null) throw new Error('slack emulator: no request URL set and no Socket Mode connection');
    const target = new URL(requestUrl);
    const ts = signing?.timestamp ?? Math.floor(now() / 1000);
    const signature = signSlackRequest(signing?.secret ?? options.signingSecret, ts, body);
    const started = performance.now();
    return new Promise<DeliveryResult>((resolve, reject) => {
      const req = httpRequest(
        {
          agent: deliveryAgent,
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          headers: {
            'content-type': contentType,
            'content-length': Buffer.byteLength(body),
            'x-slack-request-timestamp': String(ts),
            'x-slack-signature': signature,
            ...headers,
          },
          timeout: ackTimeout,
        },
        (res) => {
          const ackMs = performance.now() - started;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            if (text !== '') {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            resolve({ via: 'http', status: res.statusCode ?? 0, body: parsed, ackMs });
          });
          res.on('error', reject);
        },
      );
      // Slack gives up after 3 s and shows the user an error; so does the emulator.
      req.on('timeout', () => {
        req.destroy();
        resolve({ via: 'http', status: 0, body: null, ackMs: performance.now() - started });
      });
      req.on('error', (err) => {
        if (req.destroyed && performance.now() - started >= ackTimeout) return;
        reject(err);
      });
      req.end(body);
    });
  }

  async function deliverSocket(
    socket: WebSocket,
    type: 'interactive' | 'slash_commands' | 'events_api',
    payload: Json,
    extra: Json = {},
  ): Promise<DeliveryResult> {
    const envelopeId = randomBytes(16).toString('hex');
    const started = performance.now();
    const acked = new Promise<unknown>((resolve) => {
      const timer = setTimeout(() => {
        pendingAcks.delete(envelopeId);
        resolve(undefined);
      }, ackTimeout);
      pendingAcks.set(envelopeId, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
    });
    socket.send(
      JSON.stringify({
        envelope_id: envelopeId,
        type,
        payload,
        accepts_response_payload: type !== 'events_api',
        ...extra,
      }),
    );
    const ack = await acked;
    const ackMs = performance.now() - started;
    if (ack === undefined) return { via: 'socket', status: 0, body: null, ackMs };
    const body = isObject(ack) && Object.keys(ack).length > 0 ? ack : null;
    return { via: 'socket', status: 200, body, ackMs };
  }

  async function deliverInteractive(payload: Json, signing: Signing | undefined): Promise<DeliveryResult> {
    const socket = activeSocket();
    if (socket !== null) return deliverSocket(socket, 'interactive', payload);
    return deliverHttp(
      `payload=${encodeURIComponent(JSON.stringify(payload))}`,
      'application/x-www-form-urlencoded',
      signing,
    );
  }

  function userRef(userId: string): Json {
    const u = users.get(userId);
    if (u === undefined) throw new Error(`slack emulator: unknown user ${userId} (seed it with control.addUser)`);
    return { id: u.id, username: u.name, name: u.name, team_id: TEAM.id };
  }

  function actionJson(block: Json, element: Json, value: string | undefined): Json {
    const base = { block_id: block.block_id, action_id: element.action_id, action_ts: nextTs() };
    if (element.type === 'static_select') {
      const options = Array.isArray(element.options) ? (element.options as Json[]) : [];
      const picked = options.find((o) => o.value === value) ?? options[0];
      return { ...base, type: 'static_select', selected_option: picked, placeholder: element.placeholder };
    }
    return { ...base, type: element.type, text: element.text, value: element.value, style: element.style };
  }

  async function click(input: ClickInput): Promise<DeliveryResult> {
    const m = messageIndex.get(`${input.channel}:${input.ts}`);
    if (m === undefined || m.deleted) throw new Error(`slack emulator: no message ${input.channel}/${input.ts}`);
    const ch = channels.get(input.channel);
    if (ch === undefined || !ch.members.includes(input.user)) {
      throw new Error(`slack emulator: ${input.user} cannot see channel ${input.channel}`);
    }
    const found = findInteractive(m.blocks, input.actionId, input.value);
    if (found === null) throw new Error(`slack emulator: no live "${input.actionId}" control on message ${input.ts}`);
    const triggerId = issueTrigger(input.user);
    const payload: Json = {
      type: 'block_actions',
      user: userRef(input.user),
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      container: { type: 'message', message_ts: m.ts, channel_id: m.channel, is_ephemeral: false },
      trigger_id: triggerId,
      team: TEAM,
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: ch.id, name: ch.name },
      message: messageJson(m),
      state: { values: {} },
      response_url: issueResponseUrl(ch.id, input.user, m.ts),
      actions: [actionJson(found.block, found.element, input.value)],
    };
    const result = await deliverInteractive(payload, input.signing);
    return { ...result, triggerId };
  }

  async function clickHome(input: {
    user: string;
    actionId: string;
    value?: string;
    signing?: Signing;
  }): Promise<DeliveryResult> {
    const home = homes.get(input.user);
    if (home === undefined) throw new Error(`slack emulator: no App Home published for ${input.user}`);
    const blocks = Array.isArray(home.view.blocks) ? (home.view.blocks as unknown[]) : [];
    const found = findInteractive(blocks, input.actionId, input.value);
    if (found === null) throw new Error(`slack emulator: no "${input.actionId}" control in ${input.user}'s App Home`);
    const triggerId = issueTrigger(input.user);
    const payload: Json = {
      type: 'block_actions',
      user: userRef(input.user),
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      container: { type: 'view', view_id: home.id },
      trigger_id: triggerId,
      team: TEAM,
      enterprise: null,
      is_enterprise_install: false,
      view: viewJson(home),
      actions: [actionJson(found.block, found.element, input.value)],
    };
    const result = await deliverInteractive(payload, input.signing);
    return { ...result, triggerId };
  }

  async function submit(input: SubmitInput): Promise<DeliveryResult> {
    const v =
      input.viewId !== undefined
        ? views.get(input.viewId)
        : [...views.values()].filter((x) => x.user === input.user && !x.closed).pop();
    if (v === undefined || v.closed) throw new Error(`slack emulator: no open modal for ${input.user}`);
    const values: Record<string, Record<string, Json>> = {};
    const missing: Record<string, string> = {};
    for (const b of Array.isArray(v.view.blocks) ? (v.view.blocks as Json[]) : []) {
      if (b.type !== 'input' || !isObject(b.element) || typeof b.block_id !== 'string') continue;
      const el = b.element;
      const actionId = String(el.action_id);
      const given = input.values[b.block_id]?.[actionId] ?? null;
      const empty = given === null || given === '';
      if (empty && b.optional !== true) missing[b.block_id] = 'Please complete this required field.';
      if (el.type === 'static_select') {
        const options = Array.isArray(el.options) ? (el.options as Json[]) : [];
        const picked = given === null ? null : (options.find((o) => o.value === given) ?? null);
        if (given !== null && picked === null)
          throw new Error(`slack emulator: option "${given}" is not in ${b.block_id}`);
        values[b.block_id] = { [actionId]: { type: 'static_select', selected_option: picked } };
      } else {
        values[b.block_id] = { [actionId]: { type: String(el.type), value: given } };
      }
    }
    if (Object.keys(missing).length > 0)
      return { via: activeSocket() !== null ? 'socket' : 'http', status: 0, body: null, ackMs: 0, errors: missing };
    const payload: Json = {
      type: 'view_submission',
      team: TEAM,
      user: userRef(input.user),
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      trigger_id: issueTrigger(input.user),
      enterprise: null,
      is_enterprise_install: false,
      response_urls: [],
      view: { ...viewJson(v), state: { values } },
    };
    const result = await deliverInteractive(payload, input.signing);
    const body = isObject(result.body) ? result.body : null;
    const action = body?.response_action;
    if (result.status === 200 && action === 'errors') {
      return { ...result, errors: (isObject(body?.errors) ? body.errors : {}) as Record<string, string> };
    }
    if (result.status === 200 && action === 'update' && isObject(body?.view)) {
      v.view = body.view;
    } else if (result.status === 200) {
      v.closed = true;
    }
    return result;
  }

  async function slash(input: SlashCommandInput): Promise<DeliveryResult> {
    const u = users.get(input.user);
    if (u === undefined) throw new Error(`slack emulator: unknown user ${input.user}`);
    const ch = channels.get(input.channel) ?? channels.get(openDm(input.user).id);
    if (ch === undefined) throw new Error(`slack emulator: unknown channel ${input.channel}`);
    const fields: Record<string, string> = {
      token: VERIFICATION_TOKEN,
      team_id: TEAM.id,
      team_domain: TEAM.domain,
      channel_id: ch.id,
      channel_name: ch.name,
      user_id: u.id,
      user_name: u.name,
      command: input.command ?? '/handoff',
      text: input.text,
      api_app_id: APP_ID,
      is_enterprise_install: 'false',
      response_url: issueResponseUrl(ch.id, u.id, null),
      trigger_id: issueTrigger(u.id),
    };
    const socket = activeSocket();
    const result =
      socket !== null
        ? await deliverSocket(socket, 'slash_commands', fields)
        : await deliverHttp(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded', input.signing);
    const reply = isObject(result.body)
      ? result.body
      : typeof result.body === 'string' && result.body !== ''
        ? { text: result.body }
        : null;
    if (result.status === 200 && reply !== null && (typeof reply.text === 'string' || Array.isArray(reply.blocks))) {
      ephemerals.push({
        channel: ch.id,
        user: u.id,
        text: str(reply.text) ?? '',
        blocks: Array.isArray(reply.blocks) ? reply.blocks : [],
        at: now(),
        via: 'ack',
      });
    }
    return result;
  }

  async function appHome(input: {
    user: string;
    retryNum?: number;
    eventId?: string;
    signing?: Signing;
  }): Promise<DeliveryResult> {
    if (!users.has(input.user)) throw new Error(`slack emulator: unknown user ${input.user}`);
    const home = homes.get(input.user);
    const eventId = input.eventId ?? nextId('Ev');
    const body: Json = {
      token: VERIFICATION_TOKEN,
      team_id: TEAM.id,
      api_app_id: APP_ID,
      event: {
        type: 'app_home_opened',
        user: input.user,
        channel: openDm(input.user).id,
        tab: 'home',
        event_ts: nextTs(),
        ...(home !== undefined ? { view: viewJson(home) } : {}),
      },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(now() / 1000),
      authorizations: [
        { enterprise_id: null, team_id: TEAM.id, user_id: BOT.userId, is_bot: true, is_enterprise_install: false },
      ],
      is_ext_shared_channel: false,
    };
    const socket = activeSocket();
    if (socket !== null) {
      const extra: Json =
        input.retryNum !== undefined
          ? { retry_attempt: input.retryNum, retry_reason: 'timeout' }
          : { retry_attempt: 0, retry_reason: '' };
      return deliverSocket(socket, 'events_api', body, extra);
    }
    const headers: Record<string, string> =
      input.retryNum !== undefined
        ? { 'x-slack-retry-num': String(input.retryNum), 'x-slack-retry-reason': 'http_timeout' }
        : {};
    return deliverHttp(JSON.stringify(body), 'application/json', input.signing, headers);
  }

  // ---- response_url ----

  function handleResponseUrl(id: string, raw: string): { status: number; body: string } {
    const target = responseUrls.get(id);
    if (target === undefined) return { status: 404, body: 'no_such_response_url' };
    target.uses += 1;
    if (target.uses > 5) return { status: 410, body: 'used_too_many_times' };
    let msg: Json;
    try {
      const parsed: unknown = JSON.parse(raw);
      msg = isObject(parsed) ? parsed : {};
    } catch {
      return { status: 400, body: 'invalid_payload' };
    }
    const blocks = Array.isArray(msg.blocks) ? msg.blocks : [];
    const problem = blocks.length > 0 ? validateBlocks(blocks, 50) : null;
    if (problem !== null) return { status: 400, body: 'invalid_blocks' };
    const original = target.messageTs !== null ? messageIndex.get(`${target.channel}:${target.messageTs}`) : undefined;
    if (msg.delete_original === true && original !== undefined) {
      original.deleted = true;
      return { status: 200, body: 'ok' };
    }
    if (msg.replace_original === true && original !== undefined) {
      original.edits.push({ at: now(), text: original.text, blocks: original.blocks });
      original.text = str(msg.text) ?? original.text;
      original.blocks = blocks;
      return { status: 200, body: 'ok' };
    }
    if (msg.response_type === 'in_channel') {
      const m: RecordedMessage = {
        channel: target.channel,
        ts: nextTs(),
        user: BOT.userId,
        text: str(msg.text) ?? '',
        blocks,
        threadTs: null,
        postedAt: now(),
        edits: [],
        deleted: false,
      };
      messages.push(m);
      messageIndex.set(`${m.channel}:${m.ts}`, m);
      return { status: 200, body: 'ok' };
    }
    ephemerals.push({
      channel: target.channel,
      user: target.user,
      text: str(msg.text) ?? '',
      blocks,
      at: now(),
      via: 'response_url',
    });
    return { status: 200, body: 'ok' };
  }

  // ---- control ----

  const control: SlackEmulatorControl = {
    addUser(user) {
      users.set(user.id, { ...user });
    },
    addChannel(channel) {
      channels.set(channel.id, {
        id: channel.id,
        name: channel.name,
        members: [...channel.members],
        botIsMember: channel.botIsMember ?? true,
      });
    },
    users: () => [...users.values()].map((u) => ({ ...u })),
    dmChannel: (user) => dms.get(user) ?? null,
    messages: (channel) => messages.filter((m) => channel === undefined || m.channel === channel),
    message: (channel, ts) => messageIndex.get(`${channel}:${ts}`) ?? null,
    ephemerals: (filter) =>
      ephemerals.filter(
        (e) =>
          (filter?.channel === undefined || e.channel === filter.channel) &&
          (filter?.user === undefined || e.user === filter.user),
      ),
    views: (user) => [...views.values()].filter((v) => user === undefined || v.user === user),
    homeView: (user) => homes.get(user) ?? null,
    calls: (method) => calls.filter((c) => method === undefined || c.method === method),
    setRequestUrl(url) {
      requestUrl = url;
    },
    fail(spec) {
      faults.push({ ...spec });
    },
    clearFaults() {
      faults.splice(0, faults.length);
    },
    expireTriggers() {
      for (const t of triggers.values()) t.expired = true;
    },
    socketConnected: () => activeSocket() !== null,
    waitForSocket(timeoutMs = 5000) {
      if (activeSocket() !== null) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          socketWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(() => {
          socketWaiters.delete(done);
          reject(new Error('slack emulator: no Socket Mode connection in time'));
        }, timeoutMs);
        socketWaiters.add(done);
      });
    },
    clickButton: click,
    selectOption: click,
    clickHomeButton: clickHome,
    submitView: submit,
    slashCommand: slash,
    openAppHome: appHome,
    sendRaw: (input) => deliverHttp(input.body, input.contentType, input.signing, input.headers),
  };

  // ---- HTTP control API (for the demo and out-of-process tests) ----

  async function handleControl(
    path: string,
    method: string,
    raw: string,
    res: ServerResponse,
    query: URLSearchParams,
  ): Promise<void> {
    const body: Json = raw === '' ? {} : (JSON.parse(raw) as Json);
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /__control/state':
        return send(res, 200, {
          users: control.users(),
          channels: [...channels.values()],
          messages,
          ephemerals,
          views: [...views.values()],
          homes: [...homes.values()],
          socketConnected: control.socketConnected(),
        });
      case 'GET /__control/messages':
        return send(res, 200, { messages: control.messages(query.get('channel') ?? undefined) });
      case 'GET /__control/calls':
        return send(res, 200, { calls: control.calls(query.get('method') ?? undefined) });
      case 'POST /__control/users':
        control.addUser(body as unknown as EmulatorUser);
        return send(res, 200, { ok: true });
      case 'POST /__control/channels':
        control.addChannel(body as unknown as EmulatorChannel);
        return send(res, 200, { ok: true });
      case 'POST /__control/request-url':
        control.setRequestUrl(str(body.url) ?? null);
        return send(res, 200, { ok: true });
      case 'POST /__control/fault':
        control.fail(body as unknown as FaultSpec);
        return send(res, 200, { ok: true });
      case 'POST /__control/click':
        return send(res, 200, await control.clickButton(body as unknown as ClickInput));
      case 'POST /__control/home-click':
        return send(
          res,
          200,
          await control.clickHomeButton(body as unknown as { user: string; actionId: string; value?: string }),
        );
      case 'POST /__control/submit':
        return send(res, 200, await control.submitView(body as unknown as SubmitInput));
      case 'POST /__control/command':
        return send(res, 200, await control.slashCommand(body as unknown as SlashCommandInput));
      case 'POST /__control/home':
        return send(res, 200, await control.openAppHome(body as unknown as { user: string }));
      default:
        return send(res, 404, { ok: false, error: 'no_such_control_route' });
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const raw = await readBody(req);
    if (url.pathname.startsWith('/__control/')) {
      try {
        await handleControl(url.pathname, req.method ?? 'GET', raw, res, url.searchParams);
      } catch (err) {
        send(res, 400, { ok: false, error: err instanceof Error ? err.message : String(err) });
      }
      return;
    }
    if (url.pathname.startsWith('/__response/') && req.method === 'POST') {
      const r = handleResponseUrl(url.pathname.slice('/__response/'.length), raw);
      send(res, r.status, r.body);
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      const method = url.pathname.slice('/api/'.length);
      let args: Json;
      try {
        args = { ...Object.fromEntries(url.searchParams), ...parseArgs(raw, req.headers['content-type']) };
      } catch {
        send(res, 200, { ok: false, error: 'invalid_json' });
        return;
      }
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') === true ? auth.slice('Bearer '.length) : str(args.token);
      const { token: _ignored, ...loggedArgs } = args;
      const result = handleApi(method, args, token);
      const ok = typeof result.body === 'object' && result.body.ok === true;
      const error = typeof result.body === 'object' ? str(result.body.error) : undefined;
      calls.push({
        method,
        args: loggedArgs,
        at: now(),
        status: result.status,
        ok,
        ...(error !== undefined ? { error } : {}),
      });
      const scopeHeader = token === options.botToken ? { 'x-oauth-scopes': scopes.join(',') } : {};
      send(res, result.status, result.body, { ...scopeHeader, ...result.headers });
      return;
    }
    send(res, 404, 'Not Found');
  }

  // ---- Socket Mode ----

  async function socketServer(): Promise<WebSocketServer> {
    if (wss !== null) return wss;
    const ws = await import('ws');
    const server = new ws.WebSocketServer({ noServer: true });
    server.on('connection', (socket: WebSocket) => {
      sockets.add(socket);
      socket.on('message', (data) => {
        let msg: unknown;
        try {
          msg = JSON.parse(String(data));
        } catch {
          return;
        }
        if (isObject(msg) && typeof msg.envelope_id === 'string') {
          pendingAcks.get(msg.envelope_id)?.(msg.payload ?? {});
          pendingAcks.delete(msg.envelope_id);
        }
      });
      socket.on('close', () => sockets.delete(socket));
      socket.send(
        JSON.stringify({
          type: 'hello',
          num_connections: sockets.size,
          debug_info: { host: 'emulator', approximate_connection_time: 18060 },
          connection_info: { app_id: APP_ID },
        }),
      );
      for (const w of [...socketWaiters]) w();
    });
    pingTimer = setInterval(() => {
      for (const s of sockets) if (s.readyState === 1) s.ping();
    }, 10_000);
    pingTimer.unref();
    wss = server;
    return server;
  }

  const mounted: MountedHandler[] = [];
  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const handler of mounted) if (await handler(req, res)) return;
    await onRequest(req, res);
  }

  const server: Server = createServer((req, res) => {
    dispatch(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error: err instanceof Error ? err.message : 'internal_error' });
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname.replace(/\/$/, '') !== '/link' || !socketTickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    socketServer()
      .then((s) => s.handleUpgrade(req, socket, head, (client) => s.emit('connection', client, req)))
      .catch(() => socket.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${address.port}`;

  return {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    control,
    mount(handler: MountedHandler) {
      mounted.push(handler);
    },
    async close() {
      if (pingTimer !== null) clearInterval(pingTimer);
      deliveryAgent.destroy();
      for (const s of sockets) s.terminate();
      sockets.clear();
      wss?.close();
      for (const resolve of pendingAcks.values()) resolve(undefined);
      pendingAcks.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Ids the emulator uses for its own workspace and app (tests compare against them). */
export const EMULATED = { team: TEAM, appId: APP_ID, bot: BOT } as const;
