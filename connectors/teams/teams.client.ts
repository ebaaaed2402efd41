// The Bot Connector REST API as the notifier needs it (TeamsConnectorClient), over the Microsoft 365 Agents
// SDK's ConnectorClient: sends, updates, channel posts and member look-ups at the serviceUrl Teams gave us.
// Around it: the app's access token (client credentials, cached until shortly before it expires), our pacing
// per conversation under Teams' documented limits (a call over the pace is a Deferral, not a failure), a
// timeout, and every failure classified for the outbox (teams.errors.ts). No retries here: the outbox owns them.
// The token comes from teams.token.ts.
import { ConnectorClient, HttpClient, type HttpRequestConfig, type HttpResponse } from '@microsoft/agents-hosting';
import { Activity, type ConversationParameters } from '@microsoft/agents-activity';
import { ConnectorError, Deferral } from '../../src/ports/failure.js';
import type { Logger } from '../../src/ports/logger.js';
import { teamsConnectorError } from './teams.errors.js';
import { createSlidingWindows, TEAMS_APP_PACE, TEAMS_PACE, type PaceWindow } from './teams.pacing.js';
import { createTokenSource, type TokenSource } from './teams.token.js';
import type { TeamsConnectorClient, TeamsMessage } from './teams.types.js';

export interface TeamsClientOptions {
  appId: string;
  appPassword: string;
  /** Single-tenant app: its tenant; absent or null: multi-tenant (botframework.com). */
  tenantId?: string | null;
  /** Token endpoint (default https://login.microsoftonline.com/<tenant or botframework.com>/oauth2/v2.0/token). */
  tokenUrl?: string | null;
  /** Timeout of each call, token requests included (default 10 s). */
  timeoutMs?: number;
  /** Pacing per conversation (default: Teams' thread limits with a margin); [] turns pacing off. */
  paceWindows?: readonly PaceWindow[];
  /** Pacing of all calls of this client (default: Teams' 50 per second per app and tenant, with a margin). */
  appPaceWindows?: readonly PaceWindow[];
}

export interface TeamsClientDeps {
  logger: Logger;
  /** Clock for token expiry and pacing (tests). */
  now?: () => number;
}

/** The SDK's fetch-based HTTP client with a timeout on every request (it has none of its own). */
class TimedHttpClient extends HttpClient {
  private readonly timeoutMs: number;
  constructor(baseURL: string, headers: Record<string, string>, timeoutMs: number) {
    super({ baseURL, headers });
    this.timeoutMs = timeoutMs;
  }
  override request<T = unknown>(config: HttpRequestConfig): Promise<HttpResponse<T>> {
    return super.request<T>(config.signal !== undefined ? config : { ...config, timeout: this.timeoutMs });
  }
}

/** The SDK's ConnectorClient over that HTTP client (its own factory cannot take a timeout). */
class BotConnector extends ConnectorClient {
  constructor(serviceUrl: string, token: string, timeoutMs: number) {
    super(
      new TimedHttpClient(
        serviceUrl,
        { accept: 'application/json', 'content-type': 'application/json', authorization: `Bearer ${token}` },
        timeoutMs,
      ),
    );
  }
}

function toActivity(message: TeamsMessage): Activity {
  return Activity.fromObject({
    type: 'message',
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.textFormat !== undefined ? { textFormat: message.textFormat } : {}),
    ...(message.attachments !== undefined ? { attachments: message.attachments } : {}),
    ...(message.channelData !== undefined ? { channelData: message.channelData } : {}),
  });
}

/** Conversation and activity ids go into the path encoded, as BotBuilder's client does (Teams ids hold ':' ';' '@'). */
const seg = encodeURIComponent;

export interface TeamsClient extends TeamsConnectorClient {
  /** The token source (doctor: "can we get a token?"). */
  readonly tokens: TokenSource;
}

export function createTeamsClient(options: TeamsClientOptions, deps: TeamsClientDeps): TeamsClient {
  const log = deps.logger.child({ component: 'teams-client' });
  const now = deps.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const tokens = createTokenSource(options, now);
  const pace = createSlidingWindows(options.paceWindows ?? TEAMS_PACE, now);
  const appPace = createSlidingWindows(options.appPaceWindows ?? TEAMS_APP_PACE, now);
  const APP = 'app';

  /**
   * One paced, authenticated call on `key` (a conversation, or the channel a thread is started in). Over the pace:
   * a Deferral for the exact wait. A 401 with a cached token: the token is dropped and the call made once more.
   */
  async function call<T>(
    what: string,
    serviceUrl: string,
    key: string,
    fn: (client: ConnectorClient) => Promise<T>,
  ): Promise<T> {
    const wait = Math.max(pace.wait(key), appPace.wait(APP));
    if (wait > 0) throw new Deferral('teams', wait, `${what}: next slot in ${key} in ${wait} ms`);
    pace.take(key);
    appPace.take(APP);
    try {
      let { token, fresh } = await tokens.get();
      for (;;) {
        try {
          return await fn(new BotConnector(serviceUrl, token, timeoutMs));
        } catch (err) {
          const status = (err as { status?: unknown }).status;
          if (status !== 401 || fresh) throw err;
          tokens.invalidate(token);
          ({ token, fresh } = await tokens.get());
        }
      }
    } catch (err) {
      const wrapped = teamsConnectorError(err, what);
      const { kind, reason, retryAfterMs } = wrapped.failure;
      if (kind === 'rate_limited') pace.block(key, retryAfterMs ?? 1000);
      log.warn({ what, kind, reason, retryAfterMs }, 'teams call failed');
      throw wrapped;
    }
  }

  return {
    tokens,
    async send(serviceUrl, conversationId, message) {
      const result = await call('send', serviceUrl, conversationId, (c) =>
        c.sendToConversation(seg(conversationId), toActivity(message)),
      );
      if (typeof result?.id !== 'string' || result.id === '')
        throw new ConnectorError('teams', { kind: 'transient', reason: 'send: answer without an activity id' });
      return { activityId: result.id };
    },
    async update(serviceUrl, conversationId, activityId, message) {
      await call('update', serviceUrl, conversationId, (c) =>
        c.updateActivity(seg(conversationId), seg(activityId), toActivity(message)),
      );
    },
    async startThread(serviceUrl, channelId, tenantId, message) {
      const params: ConversationParameters = {
        isGroup: true,
        channelData: { channel: { id: channelId }, ...(tenantId !== null ? { tenant: { id: tenantId } } : {}) },
        activity: toActivity(message),
        ...(tenantId !== null ? { tenantId } : {}),
      };
      const result = await call('startThread', serviceUrl, channelId, (c) => c.createConversation(params));
      const conversationId = typeof result?.id === 'string' ? result.id : '';
      const activityId =
        typeof result?.activityId === 'string' && result.activityId !== ''
          ? result.activityId
          : (/;messageid=(.+)$/.exec(conversationId)?.[1] ?? '');
      if (conversationId === '' || activityId === '')
        throw new ConnectorError('teams', { kind: 'transient', reason: 'startThread: answer without ids' });
      return { conversationId, activityId };
    },
    async member(serviceUrl, conversationId, userId) {
      try {
        const m = await call('member', serviceUrl, conversationId, (c) =>
          c.getConversationMember(seg(userId), seg(conversationId)),
        );
        const record = m as unknown as Record<string, unknown>;
        const text = (k: string): string | null =>
          typeof record[k] === 'string' && record[k] !== '' ? (record[k] as string) : null;
        return {
          aadObjectId: text('aadObjectId'),
          email: text('email') ?? text('userPrincipalName'),
          name: text('name'),
        };
      } catch (err) {
        if (err instanceof ConnectorError && err.failure.kind === 'not_found') return null;
        throw err;
      }
    },
  };
}
