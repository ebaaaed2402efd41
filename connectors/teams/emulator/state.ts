// What the emulated Teams tenant holds and remembers: its users and team channels, the bot's 1:1 conversations
// (one per user who installed the app), what the bot posted and edited, the cards users see after an invoke, the
// access tokens issued, the calls made, injected faults and the per-conversation rate windows.
import { randomBytes } from 'node:crypto';
import { createSlidingWindows, TEAMS_APP_LIMITS, TEAMS_THREAD_LIMITS, type SlidingWindows } from '../teams.pacing.js';

export interface EmulatorUser {
  /** Entra (AAD) object id: the id handoff knows reps by. */
  aadObjectId: string;
  /** The user's id toward this bot (29:…). */
  id: string;
  name: string;
  email: string;
  userPrincipalName: string;
}

export interface EmulatorChannel {
  /** 19:…@thread.tacv2 */
  id: string;
  name: string;
  teamId: string;
}

export interface EmulatorConversation {
  id: string;
  kind: 'personal' | 'channel';
  /** personal: the user's AAD object id; channel: null. */
  user: string | null;
  /** channel: the channel the thread is in. */
  channelId: string | null;
  /** personal: false once the user removed the app (sends answer 403 BotNotInConversationRoster). */
  installed: boolean;
}

export interface RecordedMessage {
  conversationId: string;
  activityId: string;
  /** The thread's root activity in a channel, or the activity replied to. */
  replyToId: string | null;
  text: string | null;
  attachments: { contentType: string; content: unknown }[];
  channelData: unknown;
  at: number;
  /** How often the bot rewrote it (PUT). */
  edits: number;
  /** The card each user sees after an invoke answered with one (by AAD object id). */
  views: Record<string, unknown>;
}

export type ConnectorOp = 'send' | 'reply' | 'update' | 'create' | 'member' | 'token' | 'openid' | 'keys';

export interface RecordedCall {
  op: ConnectorOp;
  /** The conversation (or channel, for create) the call was about; null for token requests. */
  conversationId: string | null;
  status: number;
  at: number;
}

export interface FaultSpec {
  /** Only calls of this kind (default any connector call, not token requests). */
  op?: ConnectorOp;
  status: number;
  /** How many calls fail (default 1). */
  count?: number;
  /** Retry-After seconds on the failed answers. */
  retryAfter?: number;
  /** Error code in the body (default by status). */
  code?: string;
}

export interface TeamsState {
  readonly appId: string;
  readonly appPassword: string;
  readonly tenantId: string;
  readonly botId: string;
  readonly botName: string;
  baseUrl: string;
  requestUrl: string | null;
  now: () => number;
  users: Map<string, EmulatorUser>;
  channels: Map<string, EmulatorChannel>;
  conversations: Map<string, EmulatorConversation>;
  messages: RecordedMessage[];
  tokens: Map<string, number>;
  tokensIssued: number;
  calls: RecordedCall[];
  faults: (FaultSpec & { left: number })[];
  rateLimit: boolean;
  /** Per conversation (thread): 7/1 s, 8/2 s, 60/30 s, 1800/h. */
  windows: SlidingWindows;
  /** All calls of the app in the tenant: 50/s. */
  appWindows: SlidingWindows;
  serviceUrl(): string;
  nextActivityId(): string;
  /** A user by AAD object id, user id (29:…) or email. */
  user(ref: string): EmulatorUser | undefined;
  /** The personal conversation of a user who installed the app. */
  personalOf(aadObjectId: string): EmulatorConversation | undefined;
  message(conversationId: string, activityId: string): RecordedMessage | undefined;
  /** The fault that applies to this call, consumed; or null. */
  takeFault(op: ConnectorOp): FaultSpec | null;
}

export function randomId(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
}

export function createTeamsState(input: {
  appId: string;
  appPassword: string;
  tenantId: string;
  botName: string;
  requestUrl: string | null;
  rateLimit: boolean;
  now: () => number;
}): TeamsState {
  let lastActivity = 0;
  const state: TeamsState = {
    appId: input.appId,
    appPassword: input.appPassword,
    tenantId: input.tenantId,
    botId: `28:${input.appId}`,
    botName: input.botName,
    baseUrl: '',
    requestUrl: input.requestUrl,
    now: input.now,
    users: new Map(),
    channels: new Map(),
    conversations: new Map(),
    messages: [],
    tokens: new Map(),
    tokensIssued: 0,
    calls: [],
    faults: [],
    rateLimit: input.rateLimit,
    windows: createSlidingWindows(TEAMS_THREAD_LIMITS, input.now),
    appWindows: createSlidingWindows(TEAMS_APP_LIMITS, input.now),
    serviceUrl: () => `${state.baseUrl}/teams/`,
    nextActivityId() {
      // Teams' message ids are epoch milliseconds; unique and increasing here.
      lastActivity = Math.max(lastActivity + 1, input.now());
      return String(lastActivity);
    },
    user(ref) {
      const direct = state.users.get(ref);
      if (direct !== undefined) return direct;
      const lower = ref.toLowerCase();
      for (const u of state.users.values()) if (u.id === ref || u.email.toLowerCase() === lower) return u;
      return undefined;
    },
    personalOf(aadObjectId) {
      for (const c of state.conversations.values()) if (c.kind === 'personal' && c.user === aadObjectId) return c;
      return undefined;
    },
    message(conversationId, activityId) {
      return state.messages.find((m) => m.conversationId === conversationId && m.activityId === activityId);
    },
    takeFault(op) {
      const i = state.faults.findIndex((f) =>
        f.op === undefined ? op !== 'token' && op !== 'openid' && op !== 'keys' : f.op === op,
      );
      if (i < 0) return null;
      const f = state.faults[i] as FaultSpec & { left: number };
      f.left -= 1;
      if (f.left <= 0) state.faults.splice(i, 1);
      return f;
    },
  };
  return state;
}
