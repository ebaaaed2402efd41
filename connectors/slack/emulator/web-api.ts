// The Web API methods handoff calls, answered as Slack answers them: HTTP 200 with { ok, … } or { ok: false,
// error }, token checks (bot token vs app-level token), chat.postMessage's per-channel rate limit with 429 and
// Retry-After, injected faults, and the X-OAuth-Scopes header. Every call is recorded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateBlocks, validateView } from './block-validation.js';
import { send } from './http.js';
import { isObject, str, type Json } from './json.js';
import { messageJson, userJson, viewJson } from './shapes.js';
import type { SocketMode } from './socket-mode.js';
import { BOT, TEAM, type EmulatorChannel, type RecordedMessage, type RecordedView, type SlackState } from './state.js';

interface WebApiSettings {
  botToken: string;
  appToken?: string | undefined;
  /** Reported in X-OAuth-Scopes on calls made with the bot token. */
  scopes: string[];
  /** How long a trigger id stays usable. */
  triggerTtlMs: number;
  /** chat.postMessage per channel: a token bucket, or null for no limit. */
  rateLimit: { perSecond: number; burst: number } | null;
}

interface WebApi {
  /** Answers one call to /api/<method> and records it. */
  serve(method: string, req: IncomingMessage, query: URLSearchParams, raw: string, res: ServerResponse): void;
}

/** A method failed the way Slack reports it: 200 with ok false and an error code. */
class SlackError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

/** A method failed at the HTTP level (429 from the rate limit). */
class HttpFault extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: string,
  ) {
    super(`http ${status}`);
  }
}

interface ApiAnswer {
  status: number;
  body: Json | string;
  headers?: Record<string, string>;
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

export function createWebApi(state: SlackState, socketMode: SocketMode, settings: WebApiSettings): WebApi {
  const limit = settings.rateLimit;
  const buckets = new Map<string, { tokens: number; at: number }>();

  /** Resolves a channel argument as Slack does (a user id posts to the app's DM with them). */
  function resolveChannel(arg: unknown): EmulatorChannel {
    const id = str(arg);
    if (id === undefined || id === '') throw new SlackError('channel_not_found');
    if (id.startsWith('U') || id.startsWith('W')) {
      if (!state.users.has(id)) throw new SlackError('channel_not_found');
      const dm = state.channels.get(state.openDm(id).id);
      if (dm === undefined) throw new SlackError('channel_not_found');
      return dm;
    }
    const ch = state.channels.get(id);
    if (ch === undefined) throw new SlackError('channel_not_found');
    if (!ch.botIsMember) throw new SlackError('not_in_channel');
    return ch;
  }

  function checkRate(channel: string): void {
    if (limit === null) return;
    const t = state.now();
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

  /** chat.postMessage `metadata`: an object (or its JSON) with a string event_type and an object event_payload. */
  function messageMetadata(arg: unknown): RecordedMessage['metadata'] {
    if (arg === undefined || arg === '') return null;
    const m = jsonArg(arg);
    if (
      typeof m !== 'object' ||
      m === null ||
      typeof (m as Json).event_type !== 'string' ||
      typeof (m as Json).event_payload !== 'object' ||
      (m as Json).event_payload === null
    )
      throw new SlackError('invalid_metadata_format');
    return { event_type: (m as Json).event_type as string, event_payload: (m as Json).event_payload as Json };
  }

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
      if (threadTs !== null && state.message(ch.id, threadTs) === undefined) throw new SlackError('thread_not_found');
      const metadata = messageMetadata(args.metadata);
      checkRate(ch.id);
      const m = state.postAsBot(ch.id, text, blocks, threadTs, metadata);
      return { channel: ch.id, ts: m.ts, message: messageJson(m) };
    },
    'chat.update': (args) => {
      const ch = resolveChannel(args.channel);
      const ts = str(args.ts);
      if (ts === undefined) throw new SlackError('message_not_found');
      const m = state.message(ch.id, ts);
      if (m === undefined || m.deleted) throw new SlackError('message_not_found');
      if (m.user !== BOT.userId) throw new SlackError('cant_update_message');
      const hasBlocks = args.blocks !== undefined && args.blocks !== '';
      const { text, blocks } = messageArgs({
        text: args.text ?? m.text,
        blocks: hasBlocks ? args.blocks : JSON.stringify(m.blocks),
      });
      m.edits.push({ at: state.now(), text: m.text, blocks: m.blocks });
      m.text = text;
      m.blocks = blocks;
      return { channel: ch.id, ts: m.ts, text: m.text, message: messageJson(m) };
    },
    'chat.postEphemeral': (args) => {
      const ch = resolveChannel(args.channel);
      const user = str(args.user);
      if (user === undefined || !state.users.has(user)) throw new SlackError('user_not_found');
      if (!ch.members.includes(user)) throw new SlackError('user_not_in_channel');
      const { text, blocks } = messageArgs(args);
      state.ephemerals.push({ channel: ch.id, user, text, blocks, at: state.now(), via: 'chat.postEphemeral' });
      return { message_ts: state.nextTs() };
    },
    'views.open': (args) => {
      const triggerId = str(args.trigger_id);
      if (triggerId === undefined) throw new SlackError('invalid_arguments');
      const trigger = state.triggers.get(triggerId);
      if (trigger === undefined) throw new SlackError('invalid_trigger_id');
      if (trigger.used) throw new SlackError('exchanged_trigger_id');
      if (trigger.expired || state.now() - trigger.issuedAt > settings.triggerTtlMs)
        throw new SlackError('expired_trigger_id');
      const view = jsonArg(args.view);
      const problem = validateView(view, 'modal');
      if (problem === 'view_too_large') throw new SlackError('view_too_large');
      if (problem !== null)
        throw new SlackError('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${problem}`] } });
      trigger.used = true;
      const v: RecordedView = {
        id: state.nextId('V'),
        user: trigger.user,
        type: 'modal',
        view: view as Json,
        openedAt: state.now(),
        closed: false,
      };
      state.views.set(v.id, v);
      return { view: viewJson(v) };
    },
    'views.publish': (args) => {
      const user = str(args.user_id);
      if (user === undefined || !state.users.has(user)) throw new SlackError('user_not_found');
      const view = jsonArg(args.view);
      const problem = validateView(view, 'home');
      if (problem !== null)
        throw new SlackError('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${problem}`] } });
      const previous = state.homes.get(user);
      const v: RecordedView = {
        id: previous?.id ?? state.nextId('V'),
        user,
        type: 'home',
        view: view as Json,
        openedAt: state.now(),
        closed: false,
      };
      state.homes.set(user, v);
      return { view: viewJson(v) };
    },
    // Newest first, top-level messages only; metadata only with include_all_metadata. DMs need im:history,
    // private channels groups:history, public ones channels:history.
    'conversations.history': (args) => {
      const ch = resolveChannel(args.channel);
      const needed = ch.id.startsWith('D')
        ? 'im:history'
        : ch.isPrivate === true
          ? 'groups:history'
          : 'channels:history';
      if (!settings.scopes.includes(needed))
        throw new SlackError('missing_scope', { needed, provided: settings.scopes.join(',') });
      const oldest = Number(str(args.oldest) ?? '0') || 0;
      const limit = Math.min(Math.max(Number(args.limit ?? 100) || 100, 1), 999);
      const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
      const found = state.messages
        .filter((m) => m.channel === ch.id && !m.deleted && m.threadTs === null && Number(m.ts) > oldest)
        .sort((a, b) => Number(b.ts) - Number(a.ts));
      const page = found.slice(0, limit);
      return {
        messages: page.map((m) => ({
          ...messageJson(m),
          ...(withMetadata && m.metadata !== null ? { metadata: m.metadata } : {}),
        })),
        has_more: found.length > page.length,
        pin_count: 0,
        response_metadata: { next_cursor: '' },
      };
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
        if (!state.users.has(u)) throw new SlackError('user_not_found');
      }
      if (list.length > 1) {
        const key = [...list].sort().join(',');
        const existing = [...state.channels.values()].find((c) => c.name === `mpdm-${key}`);
        if (existing !== undefined) return { channel: { id: existing.id }, already_open: true, no_op: true };
        const id = state.nextId('G');
        state.channels.set(id, { id, name: `mpdm-${key}`, members: list, botIsMember: true });
        return { channel: { id } };
      }
      const [only] = list as [string];
      const dm = state.openDm(only);
      return dm.created ? { channel: { id: dm.id } } : { channel: { id: dm.id }, already_open: true, no_op: true };
    },
    'users.lookupByEmail': (args) => {
      const email = (str(args.email) ?? '').toLowerCase();
      const u = [...state.users.values()].find((x) => x.email !== undefined && x.email.toLowerCase() === email);
      if (u === undefined) throw new SlackError('users_not_found');
      return { user: userJson(u, state.now()) };
    },
    'users.info': (args) => {
      const u = state.users.get(str(args.user) ?? '');
      if (u === undefined) throw new SlackError('user_not_found');
      return { user: userJson(u, state.now()) };
    },
    'apps.connections.open': () => {
      return { url: socketMode.openConnection() };
    },
  };

  function handleApi(method: string, args: Json, token: string | undefined): ApiAnswer {
    const fault = state.faults.find((f) => f.method === undefined || f.method === method);
    if (fault !== undefined) {
      fault.count -= 1;
      if (fault.count <= 0) state.faults.splice(state.faults.indexOf(fault), 1);
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
      if (token === settings.botToken) return { status: 200, body: { ok: false, error: 'not_allowed_token_type' } };
      if (settings.appToken === undefined || token !== settings.appToken)
        return { status: 200, body: { ok: false, error: 'invalid_auth' } };
    } else if (token !== settings.botToken) {
      if (settings.appToken !== undefined && token === settings.appToken)
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

  return {
    serve(method, req, query, raw, res) {
      let args: Json;
      try {
        args = { ...Object.fromEntries(query), ...parseArgs(raw, req.headers['content-type']) };
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
      state.calls.push({
        method,
        args: loggedArgs,
        at: state.now(),
        status: result.status,
        ok,
        ...(error !== undefined ? { error } : {}),
      });
      const scopeHeader = token === settings.botToken ? { 'x-oauth-scopes': settings.scopes.join(',') } : {};
      send(res, result.status, result.body, { ...scopeHeader, ...result.headers });
    },
  };
}
