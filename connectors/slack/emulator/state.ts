// What the emulated workspace holds and remembers: its users and channels, the messages, ephemerals and views
// the app produced, every Web API call, the trigger ids and response URLs it handed out, and pending faults.
// One instance is shared by the emulator's modules; ids and message timestamps are issued here.
import { randomBytes } from 'node:crypto';
import type { HttpTransport } from './delivery.js';

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
  /** A private channel: reading its history needs groups:history instead of channels:history. */
  isPrivate?: boolean;
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
  /** Message metadata as chat.postMessage received it (`event_type` + `event_payload`), or null. */
  metadata: { event_type: string; event_payload: Record<string, unknown> } | null;
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

export interface FaultSpec {
  count: number;
  status: 500 | 429 | 503;
  /** Seconds for Retry-After on 429. */
  retryAfter?: number;
  /** Only calls of this method fail (default: any method). */
  method?: string;
}

/** The emulated workspace and the app installed in it. */
export const TEAM = { id: 'T0HANDOFF', domain: 'handoff-emulated' };
export const APP_ID = 'A0HANDOFF';
export const BOT = { userId: 'U0HANDOFFBOT', botId: 'B0HANDOFF', name: 'handoff' };
export const VERIFICATION_TOKEN = 'emulated-verification-token';

interface Trigger {
  user: string;
  issuedAt: number;
  used: boolean;
  expired: boolean;
}

interface ResponseUrl {
  channel: string;
  user: string;
  /** The message the interaction came from (null for slash commands). */
  messageTs: string | null;
  uses: number;
}

export interface SlackState {
  now: () => number;
  users: Map<string, EmulatorUser>;
  channels: Map<string, EmulatorChannel>;
  /** user id → the app's DM channel with them (D…). */
  dms: Map<string, string>;
  messages: RecordedMessage[];
  ephemerals: RecordedEphemeral[];
  views: Map<string, RecordedView>;
  /** user id → their published App Home. */
  homes: Map<string, RecordedView>;
  calls: RecordedCall[];
  triggers: Map<string, Trigger>;
  responseUrls: Map<string, ResponseUrl>;
  faults: FaultSpec[];
  /** Where HTTP-mode requests go (the app's /slack/events URL). */
  requestUrl: string | null;
  /** Sends HTTP-mode requests instead of the emulator's own client (null: the emulator sends them). */
  httpTransport: HttpTransport | null;
  /** The emulator's own origin, known once the server listens. */
  baseUrl: string;
  nextId(prefix: string): string;
  /** A message timestamp: the clock in microseconds, strictly increasing. */
  nextTs(): string;
  issueTrigger(user: string): string;
  issueResponseUrl(channel: string, user: string, messageTs: string | null): string;
  /** The app's DM channel with a user, opened on first use. */
  openDm(user: string): { id: string; created: boolean };
  message(channel: string, ts: string): RecordedMessage | undefined;
  /** Records a message the app's bot user posts now. */
  postAsBot(
    channel: string,
    text: string,
    blocks: unknown[],
    threadTs: string | null,
    metadata?: RecordedMessage['metadata'],
  ): RecordedMessage;
}

export function createSlackState(options: { now: () => number; requestUrl: string | null }): SlackState {
  const { now } = options;
  const messageIndex = new Map<string, RecordedMessage>(); // `${channel}:${ts}`
  let lastTsMicros = 0;
  let counter = 0;

  const state: SlackState = {
    now,
    users: new Map(),
    channels: new Map(),
    dms: new Map(),
    messages: [],
    ephemerals: [],
    views: new Map(),
    homes: new Map(),
    calls: [],
    triggers: new Map(),
    responseUrls: new Map(),
    faults: [],
    requestUrl: options.requestUrl,
    httpTransport: null,
    baseUrl: '',
    nextId: (prefix) => `${prefix}${(++counter).toString(36).toUpperCase().padStart(8, '0')}`,
    nextTs() {
      const micros = Math.max(now() * 1000, lastTsMicros + 1);
      lastTsMicros = micros;
      return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
    },
    issueTrigger(user) {
      const id = `${Math.floor(now() / 1000)}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
      state.triggers.set(id, { user, issuedAt: now(), used: false, expired: false });
      return id;
    },
    issueResponseUrl(channel, user, messageTs) {
      const id = randomBytes(12).toString('hex');
      state.responseUrls.set(id, { channel, user, messageTs, uses: 0 });
      return `${state.baseUrl}/__response/${id}`;
    },
    openDm(user) {
      const existing = state.dms.get(user);
      if (existing !== undefined) return { id: existing, created: false };
      const id = state.nextId('D');
      state.dms.set(user, id);
      state.channels.set(id, { id, name: `dm-${user}`, members: [user], botIsMember: true });
      return { id, created: true };
    },
    message: (channel, ts) => messageIndex.get(`${channel}:${ts}`),
    postAsBot(channel, text, blocks, threadTs, metadata = null) {
      const m: RecordedMessage = {
        channel,
        ts: state.nextTs(),
        user: BOT.userId,
        text,
        blocks,
        threadTs,
        postedAt: now(),
        edits: [],
        deleted: false,
        metadata,
      };
      state.messages.push(m);
      messageIndex.set(`${channel}:${m.ts}`, m);
      return m;
    },
  };
  return state;
}
