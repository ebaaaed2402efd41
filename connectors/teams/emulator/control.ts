// How tests, benchmarks and the demo drive and inspect the emulated Teams: seed users and channels, install the
// app for a user, click card actions, type messages, send spoiled activities, read what the bot posted, inject
// faults, switch rate limits. The same operations are served over HTTP under /__control/ for the demo page and
// for tests that run the worker in another process.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { send, type ControlRoute } from '../../slack/emulator/http.js';
import { isObject, str, type Json } from '../../slack/emulator/json.js';
import type {
  Activities,
  DeliveryResult,
  InstallInput,
  InvokeInput,
  MessageInput,
  RawActivityInput,
} from './activities.js';
import type { Signer, SigningFaults } from './signing.js';
import {
  randomId,
  type ConnectorOp,
  type EmulatorChannel,
  type EmulatorConversation,
  type EmulatorUser,
  type FaultSpec,
  type RecordedCall,
  type RecordedMessage,
  type TeamsState,
} from './state.js';

export interface TeamsEmulatorControl {
  /** Adds a user of the tenant; ids not given are made up (AAD object id as a GUID, user id 29:…). */
  addUser(user: { name: string; email: string; aadObjectId?: string; id?: string }): EmulatorUser;
  /** Adds a team channel the bot is in (id 19:…@thread.tacv2 made up when not given). */
  addChannel(channel: { name: string; id?: string; teamId?: string }): EmulatorChannel;
  users(): EmulatorUser[];
  channels(): EmulatorChannel[];
  conversations(): EmulatorConversation[];
  /** The 1:1 conversation of a user with the app installed, or null. */
  conversationOf(user: string): string | null;
  /** Where activities go (the worker's POST /teams/messages). */
  setRequestUrl(url: string | null): void;
  /**
   * The user installs the app: their 1:1 conversation is created (or reused, as Teams does) and a signed
   * conversationUpdate (bot added) is sent to the bot.
   */
  installApp(input: InstallInput): Promise<DeliveryResult & { conversationId: string }>;
  /** The user removes the app: installationUpdate (remove); sends to them fail with 403 from now on. */
  uninstallApp(input: { user: string; signing?: SigningFaults }): Promise<DeliveryResult>;
  /** The user clicks an Action.Execute on a card: a signed adaptiveCard/action invoke; the bot's answer returned. */
  invoke(input: InvokeInput): Promise<DeliveryResult>;
  /** The user types a message to the bot. */
  sendMessage(input: MessageInput): Promise<DeliveryResult>;
  /** Any activity, signed or spoiled as asked (bad-input tests). */
  sendActivity(input: RawActivityInput): Promise<DeliveryResult>;
  /** An Authorization header as the emulator would sign it (auth tests without a delivery). */
  authorization(input?: { serviceUrl?: string; signing?: SigningFaults }): string | null;
  /** What the bot posted, in one conversation (a channel id: all its threads) or everywhere. */
  messages(conversationId?: string): RecordedMessage[];
  message(conversationId: string, activityId: string): RecordedMessage | null;
  /** The card a user sees on a message: the one an invoke answered with, else the posted one. */
  cardFor(conversationId: string, activityId: string, user: string): unknown;
  calls(op?: ConnectorOp): RecordedCall[];
  tokensIssued(): number;
  /** Makes every access token issued so far expired. */
  expireTokens(): void;
  /** The next calls (of `op`, if given) fail with `status`. */
  fail(spec: FaultSpec): void;
  clearFaults(): void;
  /** Per-conversation rate limits of Teams on (default) or off. */
  setRateLimit(on: boolean): void;
  /** Rolls the signing key: activities are signed with a new kid from now on (the old one stays published). */
  rotateSigningKey(): void;
}

export function createControl(state: TeamsState, activities: Activities, signer: Signer): TeamsEmulatorControl {
  function userOf(ref: string): EmulatorUser {
    const user = state.user(ref);
    if (user === undefined) throw new Error(`teams emulator: no user ${ref}`);
    return user;
  }

  function recordView(conversationId: string, activityId: string, user: EmulatorUser, result: DeliveryResult): void {
    const body = isObject(result.body) ? result.body : null;
    if (result.status !== 200 || body === null || body.statusCode !== 200) return;
    if (body.type !== 'application/vnd.microsoft.card.adaptive') return;
    const message = state.message(conversationId, activityId);
    if (message !== undefined) message.views[user.aadObjectId] = body.value;
  }

  const control: TeamsEmulatorControl = {
    addUser(input) {
      const user: EmulatorUser = {
        aadObjectId: input.aadObjectId ?? randomUUID(),
        id: input.id ?? `29:${randomId(24)}`,
        name: input.name,
        email: input.email,
        userPrincipalName: input.email,
      };
      state.users.set(user.aadObjectId, user);
      return { ...user };
    },
    addChannel(input) {
      const channel: EmulatorChannel = {
        id: input.id ?? `19:${randomId(16)}@thread.tacv2`,
        name: input.name,
        teamId: input.teamId ?? `19:${randomId(16)}@thread.tacv2`,
      };
      state.channels.set(channel.id, channel);
      return { ...channel };
    },
    users: () => [...state.users.values()].map((u) => ({ ...u })),
    channels: () => [...state.channels.values()].map((c) => ({ ...c })),
    conversations: () => [...state.conversations.values()].map((c) => ({ ...c })),
    conversationOf(ref) {
      const user = state.user(ref);
      const c = user !== undefined ? state.personalOf(user.aadObjectId) : undefined;
      return c !== undefined && c.installed ? c.id : null;
    },
    setRequestUrl(url) {
      state.requestUrl = url;
    },
    async installApp(input) {
      const user = userOf(input.user);
      let conversation = state.personalOf(user.aadObjectId);
      if (conversation === undefined) {
        conversation = {
          id: `a:${randomId(48)}`,
          kind: 'personal',
          user: user.aadObjectId,
          channelId: null,
          installed: true,
        };
        state.conversations.set(conversation.id, conversation);
      }
      conversation.installed = true;
      if (input.installationUpdate === true)
        await activities.installationUpdate(user, conversation.id, 'add', input.signing);
      const result = await activities.conversationUpdate(user, conversation.id, 'added', input.signing);
      return { ...result, conversationId: conversation.id };
    },
    async uninstallApp(input) {
      const user = userOf(input.user);
      const conversation = state.personalOf(user.aadObjectId);
      if (conversation === undefined) throw new Error(`teams emulator: the app is not installed for ${input.user}`);
      conversation.installed = false;
      return activities.installationUpdate(user, conversation.id, 'remove', input.signing);
    },
    async invoke(input) {
      const user = userOf(input.user);
      const result = await activities.invoke(user, input);
      recordView(input.conversationId, input.activityId, user, result);
      return result;
    },
    sendMessage(input) {
      const user = userOf(input.user);
      const conversationId = input.conversationId ?? control.conversationOf(user.aadObjectId);
      if (conversationId === null) throw new Error(`teams emulator: the app is not installed for ${input.user}`);
      return activities.message(user, conversationId, input.text, input.signing);
    },
    sendActivity(input) {
      return activities.deliver(input.activity, input.signing, input.rawBody);
    },
    authorization(input = {}) {
      return signer.authorization({
        appId: state.appId,
        serviceUrl: input.serviceUrl ?? state.serviceUrl(),
        nowMs: state.now(),
        ...(input.signing !== undefined ? { faults: input.signing } : {}),
      });
    },
    messages(conversationId) {
      if (conversationId === undefined) return [...state.messages];
      return state.messages.filter(
        (m) => m.conversationId === conversationId || m.conversationId.startsWith(`${conversationId};messageid=`),
      );
    },
    message: (conversationId, activityId) => state.message(conversationId, activityId) ?? null,
    cardFor(conversationId, activityId, ref) {
      const message = state.message(conversationId, activityId);
      if (message === undefined) return null;
      const user = state.user(ref);
      const view = user !== undefined ? message.views[user.aadObjectId] : undefined;
      return (
        view ??
        message.attachments.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content ??
        null
      );
    },
    calls: (op) => state.calls.filter((c) => op === undefined || c.op === op),
    tokensIssued: () => state.tokensIssued,
    expireTokens() {
      for (const token of state.tokens.keys()) state.tokens.set(token, 0);
    },
    fail(spec) {
      state.faults.push({ ...spec, left: spec.count ?? 1 });
    },
    clearFaults() {
      state.faults.splice(0, state.faults.length);
    },
    setRateLimit(on) {
      state.rateLimit = on;
    },
    rotateSigningKey() {
      signer.rotate();
    },
  };
  return control;
}

function signingOf(body: Json): SigningFaults | undefined {
  return isObject(body.signing) ? (body.signing as SigningFaults) : undefined;
}

/** Serves one /__control/ request. Throws on a body that is not JSON or an action that fails (the caller: 400). */
export async function serveControl(
  control: TeamsEmulatorControl,
  route: ControlRoute,
  raw: string,
  res: ServerResponse,
): Promise<void> {
  const body: Json = raw === '' ? {} : (JSON.parse(raw) as Json);
  const signing = signingOf(body);
  const user = str(body.user) ?? '';
  switch (`${route.method} ${route.path}`) {
    case 'GET /__control/state':
      return send(res, 200, {
        users: control.users(),
        channels: control.channels(),
        conversations: control.conversations(),
        messages: control.messages(),
      });
    case 'GET /__control/messages':
      return send(res, 200, { messages: control.messages(route.query.get('conversation') ?? undefined) });
    case 'GET /__control/calls':
      return send(res, 200, { calls: control.calls((route.query.get('op') as ConnectorOp | null) ?? undefined) });
    case 'POST /__control/users':
      return send(res, 200, control.addUser(body as { name: string; email: string }));
    case 'POST /__control/channels':
      return send(res, 200, control.addChannel(body as { name: string }));
    case 'POST /__control/request-url':
      control.setRequestUrl(str(body.url) ?? null);
      return send(res, 200, { ok: true });
    case 'POST /__control/install':
      return send(
        res,
        200,
        await control.installApp({
          user,
          ...(body.installationUpdate === true ? { installationUpdate: true } : {}),
          ...(signing !== undefined ? { signing } : {}),
        }),
      );
    case 'POST /__control/uninstall':
      return send(res, 200, await control.uninstallApp({ user, ...(signing !== undefined ? { signing } : {}) }));
    case 'POST /__control/invoke':
      return send(
        res,
        200,
        await control.invoke({
          user,
          conversationId: str(body.conversationId) ?? '',
          activityId: str(body.activityId) ?? '',
          verb: str(body.verb) ?? '',
          ...(body.data !== undefined ? { data: body.data } : {}),
          ...(body.trigger === 'automatic' ? { trigger: 'automatic' as const } : {}),
          ...(signing !== undefined ? { signing } : {}),
        }),
      );
    case 'POST /__control/message':
      return send(
        res,
        200,
        await control.sendMessage({
          user,
          text: str(body.text) ?? '',
          ...(str(body.conversationId) !== undefined ? { conversationId: str(body.conversationId) as string } : {}),
          ...(signing !== undefined ? { signing } : {}),
        }),
      );
    case 'POST /__control/activity':
      return send(
        res,
        200,
        await control.sendActivity({
          activity: isObject(body.activity) ? body.activity : {},
          ...(signing !== undefined ? { signing } : {}),
          ...(str(body.rawBody) !== undefined ? { rawBody: str(body.rawBody) as string } : {}),
        }),
      );
    case 'POST /__control/fault':
      control.fail(body as unknown as FaultSpec);
      return send(res, 200, { ok: true });
    case 'POST /__control/rate-limit':
      control.setRateLimit(body.on !== false);
      return send(res, 200, { ok: true });
    default:
      return send(res, 404, { ok: false, error: 'no_such_control_route' });
  }
}
