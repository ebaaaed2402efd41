// The Bot Framework endpoints the bot calls: the OpenID metadata and key set (to check our activities), the
// Entra token endpoint (client credentials), and the Bot Connector conversations API at the serviceUrl — with
// Teams' status codes and error bodies, its rate limits per conversation and per app (429 + Retry-After), the
// 28 KB message limit, and 403 for a user who removed the app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send } from '../../slack/emulator/http.js';
import { isObject, type Json } from '../../slack/emulator/json.js';
import { BOT_FRAMEWORK_SCOPE } from '../teams.token.js';
import type { Signer } from './signing.js';
import { randomId, type ConnectorOp, type EmulatorConversation, type TeamsState } from './state.js';

/** Teams refuses messages above about 28 KB. */
export const MESSAGE_LIMIT_BYTES = 28 * 1024;

function connectorError(res: ServerResponse, status: number, code: string, message: string, headers = {}): void {
  send(res, status, { error: { code, message } }, headers);
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'BadArgument',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  412: 'PreconditionFailed',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** Where a conversation id points: a 1:1 chat, a channel (a new post), or a thread in a channel. */
type Target =
  | { kind: 'personal'; conversation: EmulatorConversation }
  | { kind: 'channel'; channelId: string }
  | { kind: 'thread'; channelId: string; rootId: string; conversationId: string };

function checkMessage(body: unknown): string | null {
  if (!isObject(body)) return 'the activity is not a JSON object';
  if (body.type !== 'message') return `unsupported activity type ${String(body.type)}`;
  const attachments = body.attachments;
  const hasText = typeof body.text === 'string' && body.text !== '';
  if (attachments !== undefined && !Array.isArray(attachments)) return 'attachments is not an array';
  const list = Array.isArray(attachments) ? attachments : [];
  if (!hasText && list.length === 0) return 'the activity has neither text nor attachments';
  for (const a of list) {
    if (!isObject(a) || typeof a.contentType !== 'string') return 'an attachment without contentType';
    if (a.contentType === 'application/vnd.microsoft.card.adaptive') {
      const card = a.content;
      if (!isObject(card) || card.type !== 'AdaptiveCard') return 'adaptive card content is not an AdaptiveCard';
      if (typeof card.version !== 'string') return 'adaptive card without version';
      if (card.body !== undefined && !Array.isArray(card.body)) return 'adaptive card body is not an array';
      if (card.actions !== undefined && !Array.isArray(card.actions)) return 'adaptive card actions is not an array';
    }
  }
  return null;
}

export interface ConnectorApi {
  /** Answers the request when its path is one of ours; false otherwise. */
  serve(req: IncomingMessage, url: URL, raw: string, res: ServerResponse): boolean;
}

export function createConnectorApi(state: TeamsState, signer: Signer, options: { tokenTtlSec: number }): ConnectorApi {
  function record(op: ConnectorOp, conversationId: string | null, status: number): void {
    state.calls.push({ op, conversationId, status, at: state.now() });
    if (state.calls.length > 20_000) state.calls.splice(0, 10_000);
  }

  function authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/.exec(header);
    if (match === null) return false;
    const expires = state.tokens.get(match[1] as string);
    return expires !== undefined && expires > state.now();
  }

  function target(conversationId: string): Target | null {
    const conversation = state.conversations.get(conversationId);
    if (conversation !== undefined && conversation.kind === 'personal') return { kind: 'personal', conversation };
    if (state.channels.has(conversationId)) return { kind: 'channel', channelId: conversationId };
    const thread = /^(.+);messageid=(.+)$/.exec(conversationId);
    if (thread !== null && state.channels.has(thread[1] as string)) {
      const rootId = thread[2] as string;
      if (state.message(conversationId, rootId) === undefined) return null;
      return { kind: 'thread', channelId: thread[1] as string, rootId, conversationId };
    }
    return null;
  }

  function store(conversationId: string, activityId: string, replyToId: string | null, body: Json): void {
    state.messages.push({
      conversationId,
      activityId,
      replyToId,
      text: typeof body.text === 'string' ? body.text : null,
      attachments: Array.isArray(body.attachments)
        ? (body.attachments as Json[]).map((a) => ({ contentType: String(a.contentType), content: a.content }))
        : [],
      channelData: body.channelData ?? null,
      at: state.now(),
      edits: 0,
      views: {},
    });
  }

  /** Auth, injected faults, then the rate window of `key`; answers and returns false when the call stops here. */
  function admit(req: IncomingMessage, res: ServerResponse, op: ConnectorOp, key: string | null): boolean {
    if (!authorized(req)) {
      record(op, key, 401);
      send(res, 401, { message: 'Authorization has been denied for this request.' });
      return false;
    }
    const fault = state.takeFault(op);
    if (fault !== null) {
      record(op, key, fault.status);
      connectorError(
        res,
        fault.status,
        fault.code ?? DEFAULT_CODES[fault.status] ?? 'Error',
        'injected fault',
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
      );
      return false;
    }
    return true;
  }

  function paced(res: ServerResponse, op: ConnectorOp, key: string): boolean {
    if (!state.rateLimit) return true;
    const thread = state.windows.wait(key);
    const app = state.appWindows.wait('app');
    const wait = Math.max(thread, app);
    if (wait <= 0) {
      state.windows.take(key);
      state.appWindows.take('app');
      return true;
    }
    record(op, key, 429);
    const what = thread >= app ? 'in this conversation' : 'for this app in this tenant';
    connectorError(res, 429, 'TooManyRequests', `Too many requests ${what}.`, {
      'retry-after': String(Math.max(1, Math.ceil(wait / 1000))),
    });
    return false;
  }

  function postActivity(
    req: IncomingMessage,
    res: ServerResponse,
    conversationId: string,
    replyTo: string | null,
    raw: string,
  ): void {
    const op: ConnectorOp = replyTo === null ? 'send' : 'reply';
    if (!admit(req, res, op, conversationId)) return;
    const t = target(conversationId);
    if (t === null) {
      record(op, conversationId, 404);
      return connectorError(res, 404, 'ConversationNotFound', 'Conversation not found.');
    }
    if (t.kind === 'personal' && !t.conversation.installed) {
      record(op, conversationId, 403);
      return connectorError(res, 403, 'BotNotInConversationRoster', 'The bot is not part of the conversation roster.');
    }
    if (Buffer.byteLength(raw) > MESSAGE_LIMIT_BYTES) {
      record(op, conversationId, 413);
      return connectorError(res, 413, 'MessageSizeTooBig', 'Message size too big.');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = null;
    }
    const problem = checkMessage(body);
    if (problem !== null) {
      record(op, conversationId, 400);
      return connectorError(res, 400, 'BadArgument', problem);
    }
    if (!paced(res, op, conversationId)) return;
    const activityId = state.nextActivityId();
    if (t.kind === 'channel') store(`${t.channelId};messageid=${activityId}`, activityId, null, body as Json);
    else if (t.kind === 'thread') store(t.conversationId, activityId, replyTo ?? t.rootId, body as Json);
    else store(conversationId, activityId, replyTo, body as Json);
    record(op, conversationId, 201);
    send(res, 201, { id: activityId });
  }

  function updateActivity(
    req: IncomingMessage,
    res: ServerResponse,
    conversationId: string,
    activityId: string,
    raw: string,
  ): void {
    if (!admit(req, res, 'update', conversationId)) return;
    const t = target(conversationId);
    const message = t === null ? undefined : state.message(conversationId, activityId);
    if (t === null) {
      record('update', conversationId, 404);
      return connectorError(res, 404, 'ConversationNotFound', 'Conversation not found.');
    }
    if (t.kind === 'personal' && !t.conversation.installed) {
      record('update', conversationId, 403);
      return connectorError(res, 403, 'BotNotInConversationRoster', 'The bot is not part of the conversation roster.');
    }
    if (message === undefined) {
      record('update', conversationId, 404);
      return connectorError(res, 404, 'ActivityNotFoundInConversation', 'Activity not found in conversation.');
    }
    if (Buffer.byteLength(raw) > MESSAGE_LIMIT_BYTES) {
      record('update', conversationId, 413);
      return connectorError(res, 413, 'MessageSizeTooBig', 'Message size too big.');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = null;
    }
    const problem = checkMessage(body);
    if (problem !== null) {
      record('update', conversationId, 400);
      return connectorError(res, 400, 'BadArgument', problem);
    }
    if (!paced(res, 'update', conversationId)) return;
    const b = body as Json;
    message.text = typeof b.text === 'string' ? b.text : null;
    message.attachments = Array.isArray(b.attachments)
      ? (b.attachments as Json[]).map((a) => ({ contentType: String(a.contentType), content: a.content }))
      : [];
    message.channelData = b.channelData ?? message.channelData;
    message.edits += 1;
    // Everyone sees the new version now (an invoke answer only changed the clicking user's view until then).
    message.views = {};
    record('update', conversationId, 200);
    send(res, 200, { id: activityId });
  }

  function createConversation(req: IncomingMessage, res: ServerResponse, raw: string): void {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = null;
    }
    const params = isObject(body) ? body : {};
    const channelId =
      isObject(params.channelData) && isObject(params.channelData.channel) ? params.channelData.channel.id : undefined;
    const key = typeof channelId === 'string' ? channelId : null;
    if (!admit(req, res, 'create', key)) return;
    if (!isObject(body)) {
      record('create', key, 400);
      return connectorError(res, 400, 'BadArgument', 'the body is not a JSON object');
    }
    if (key !== null) {
      if (!state.channels.has(key)) {
        record('create', key, 404);
        return connectorError(res, 404, 'ConversationNotFound', 'Channel not found.');
      }
      const problem = checkMessage(params.activity);
      if (problem !== null) {
        record('create', key, 400);
        return connectorError(res, 400, 'BadArgument', problem);
      }
      if (Buffer.byteLength(JSON.stringify(params.activity)) > MESSAGE_LIMIT_BYTES) {
        record('create', key, 413);
        return connectorError(res, 413, 'MessageSizeTooBig', 'Message size too big.');
      }
      if (!paced(res, 'create', key)) return;
      const activityId = state.nextActivityId();
      const conversationId = `${key};messageid=${activityId}`;
      store(conversationId, activityId, null, params.activity as Json);
      record('create', key, 201);
      return send(res, 201, { id: conversationId, activityId, serviceUrl: state.serviceUrl() });
    }
    // A 1:1 chat: Teams answers the existing conversation when the user has the app; otherwise it refuses.
    const member = Array.isArray(params.members) && isObject(params.members[0]) ? params.members[0].id : undefined;
    const user = typeof member === 'string' ? state.user(member) : undefined;
    const conversation = user !== undefined ? state.personalOf(user.aadObjectId) : undefined;
    if (user === undefined || conversation === undefined || !conversation.installed) {
      record('create', null, 403);
      return connectorError(res, 403, 'BotNotInConversationRoster', 'The bot is not installed for this user.');
    }
    record('create', conversation.id, 201);
    send(res, 201, { id: conversation.id, serviceUrl: state.serviceUrl() });
  }

  function getMember(req: IncomingMessage, res: ServerResponse, conversationId: string, userId: string): void {
    if (!admit(req, res, 'member', conversationId)) return;
    const t = target(conversationId);
    if (t === null) {
      record('member', conversationId, 404);
      return connectorError(res, 404, 'ConversationNotFound', 'Conversation not found.');
    }
    const user = state.user(userId);
    const inConversation = user !== undefined && (t.kind !== 'personal' || t.conversation.user === user.aadObjectId);
    if (user === undefined || !inConversation) {
      record('member', conversationId, 404);
      return connectorError(res, 404, 'MemberNotFoundInConversation', 'The member was not found in the conversation.');
    }
    if (!paced(res, 'member', conversationId)) return;
    record('member', conversationId, 200);
    const [givenName, ...rest] = user.name.split(' ');
    send(res, 200, {
      id: user.id,
      name: user.name,
      aadObjectId: user.aadObjectId,
      givenName: givenName ?? user.name,
      surname: rest.join(' '),
      email: user.email,
      userPrincipalName: user.userPrincipalName,
      tenantId: state.tenantId,
      userRole: 'user',
    });
  }

  function token(res: ServerResponse, raw: string): void {
    const form = new URLSearchParams(raw);
    const fault = state.takeFault('token');
    if (fault !== null) {
      record('token', null, fault.status);
      return send(
        res,
        fault.status,
        { error: fault.code ?? 'temporarily_unavailable', error_description: 'injected fault' },
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
      );
    }
    if (form.get('grant_type') !== 'client_credentials') {
      record('token', null, 400);
      return send(res, 400, { error: 'unsupported_grant_type', error_description: 'AADSTS70003' });
    }
    if (form.get('client_id') !== state.appId || form.get('client_secret') !== state.appPassword) {
      record('token', null, 401);
      return send(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret.' });
    }
    if (form.get('scope') !== BOT_FRAMEWORK_SCOPE) {
      record('token', null, 400);
      return send(res, 400, {
        error: 'invalid_scope',
        error_description: 'AADSTS70011: The provided scope is invalid.',
      });
    }
    const accessToken = `emu.${randomId(24)}`;
    state.tokens.set(accessToken, state.now() + options.tokenTtlSec * 1000);
    state.tokensIssued += 1;
    record('token', null, 200);
    send(res, 200, {
      token_type: 'Bearer',
      expires_in: options.tokenTtlSec,
      ext_expires_in: options.tokenTtlSec,
      access_token: accessToken,
    });
  }

  return {
    serve(req, url, raw, res) {
      const method = req.method ?? 'GET';
      const path = url.pathname;
      if (method === 'GET' && path === '/v1/.well-known/openidconfiguration') {
        record('openid', null, 200);
        send(res, 200, signer.metadata(`${state.baseUrl}/v1/.well-known/keys`));
        return true;
      }
      if (method === 'GET' && path === '/v1/.well-known/keys') {
        record('keys', null, 200);
        send(res, 200, signer.jwks());
        return true;
      }
      if (method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) {
        token(res, raw);
        return true;
      }
      if (!path.startsWith('/teams/v3/conversations')) return false;
      let parts: string[];
      try {
        parts = path.slice('/teams/v3/conversations'.length).split('/').filter(Boolean).map(decodeURIComponent);
      } catch {
        connectorError(res, 400, 'BadArgument', 'malformed path');
        return true;
      }
      const [cid, what, sub] = parts;
      if (parts.length === 0 && method === 'POST') createConversation(req, res, raw);
      else if (cid !== undefined && what === 'activities' && sub === undefined && method === 'POST')
        postActivity(req, res, cid, null, raw);
      else if (cid !== undefined && what === 'activities' && sub !== undefined && method === 'POST')
        postActivity(req, res, cid, sub, raw);
      else if (cid !== undefined && what === 'activities' && sub !== undefined && method === 'PUT')
        updateActivity(req, res, cid, sub, raw);
      else if (cid !== undefined && what === 'members' && sub !== undefined && method === 'GET')
        getMember(req, res, cid, sub);
      else connectorError(res, 404, 'NotFound', 'No such operation in this emulator.');
      return true;
    },
  };
}
