// Teams acting toward the bot: the activities it POSTs to the messaging endpoint (install and removal events,
// Adaptive Card Action.Execute invokes, messages users type), in Teams' shapes, each with a Bot Framework JWT
// (or a spoiled one, for the bad-input suite). The bot's answer comes back to the caller.
import type { Json } from '../../slack/emulator/json.js';
import type { Signer, SigningFaults } from './signing.js';
import { randomId, type EmulatorUser, type TeamsState } from './state.js';

export interface DeliveryResult {
  /** HTTP status of the bot's answer; 0 when it did not answer in time. */
  status: number;
  /** The answer body (parsed JSON when it is JSON). */
  body: unknown;
}

export interface InstallInput {
  /** AAD object id, user id or email of a user of the tenant. */
  user: string;
  /** Also send the installationUpdate (add) Teams sends beside the conversationUpdate (default false). */
  installationUpdate?: boolean;
  signing?: SigningFaults;
}

export interface InvokeInput {
  user: string;
  /** The conversation the card is in (a 1:1 chat, or a channel thread `19:…;messageid=…`). */
  conversationId: string;
  /** The card's message id. */
  activityId: string;
  verb: string;
  /** The action's data merged with the card's inputs, as Teams sends it. */
  data?: unknown;
  /** 'automatic' for a card refresh. */
  trigger?: 'manual' | 'automatic';
  signing?: SigningFaults;
}

export interface MessageInput {
  user: string;
  text: string;
  /** Default: the user's 1:1 chat with the bot. */
  conversationId?: string;
  signing?: SigningFaults;
}

export interface RawActivityInput {
  /** The activity to send as is (a serviceUrl is added when missing). */
  activity: Json;
  signing?: SigningFaults;
  /** A body that is not JSON at all. */
  rawBody?: string;
}

export interface Activities {
  deliver(activity: Json, signing?: SigningFaults, rawBody?: string): Promise<DeliveryResult>;
  conversationUpdate(
    user: EmulatorUser,
    conversationId: string,
    change: 'added' | 'removed',
    signing?: SigningFaults,
  ): Promise<DeliveryResult>;
  installationUpdate(
    user: EmulatorUser,
    conversationId: string,
    action: 'add' | 'remove',
    signing?: SigningFaults,
  ): Promise<DeliveryResult>;
  invoke(user: EmulatorUser, input: InvokeInput): Promise<DeliveryResult>;
  message(user: EmulatorUser, conversationId: string, text: string, signing?: SigningFaults): Promise<DeliveryResult>;
}

export function createActivities(state: TeamsState, signer: Signer, options: { timeoutMs: number }): Activities {
  function conversationOf(conversationId: string): Json {
    const personal = state.conversations.get(conversationId);
    if (personal?.kind === 'personal')
      return { conversationType: 'personal', tenantId: state.tenantId, id: conversationId };
    return { conversationType: 'channel', isGroup: true, tenantId: state.tenantId, id: conversationId };
  }

  function channelDataOf(conversationId: string): Json {
    const channelId = /^(.+?)(;messageid=.+)?$/.exec(conversationId)?.[1] ?? conversationId;
    const channel = state.channels.get(channelId);
    return {
      tenant: { id: state.tenantId },
      ...(channel !== undefined
        ? { channel: { id: channel.id, name: channel.name }, team: { id: channel.teamId } }
        : {}),
    };
  }

  function base(type: string, user: EmulatorUser, conversationId: string): Json {
    const at = new Date(state.now()).toISOString();
    return {
      type,
      id: `f:${randomId(9)}`,
      timestamp: at,
      localTimestamp: at,
      serviceUrl: state.serviceUrl(),
      channelId: 'msteams',
      from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
      conversation: conversationOf(conversationId),
      recipient: { id: state.botId, name: state.botName },
      channelData: channelDataOf(conversationId),
      locale: 'en-US',
    };
  }

  async function deliver(activity: Json, signing?: SigningFaults, rawBody?: string): Promise<DeliveryResult> {
    if (state.requestUrl === null) throw new Error('teams emulator: no request URL set');
    const serviceUrl = typeof activity.serviceUrl === 'string' ? activity.serviceUrl : state.serviceUrl();
    const authorization = signer.authorization({
      appId: state.appId,
      serviceUrl,
      nowMs: state.now(),
      ...(signing !== undefined ? { faults: signing } : {}),
    });
    let res: Response;
    try {
      res = await fetch(state.requestUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          ...(authorization !== null ? { authorization } : {}),
        },
        body: rawBody ?? JSON.stringify({ serviceUrl, ...activity }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') return { status: 0, body: null };
      throw err;
    }
    const text = await res.text();
    let body: unknown = text === '' ? null : text;
    try {
      if (text !== '') body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body };
  }

  return {
    deliver,
    conversationUpdate(user, conversationId, change, signing) {
      const key = change === 'added' ? 'membersAdded' : 'membersRemoved';
      return deliver({ ...base('conversationUpdate', user, conversationId), [key]: [{ id: state.botId }] }, signing);
    },
    installationUpdate(user, conversationId, action, signing) {
      return deliver({ ...base('installationUpdate', user, conversationId), action }, signing);
    },
    invoke(user, input) {
      return deliver(
        {
          ...base('invoke', user, input.conversationId),
          name: 'adaptiveCard/action',
          replyToId: input.activityId,
          value: {
            action: {
              type: 'Action.Execute',
              verb: input.verb,
              ...(input.data !== undefined ? { data: input.data } : {}),
            },
            trigger: input.trigger ?? 'manual',
          },
        },
        input.signing,
      );
    },
    message(user, conversationId, text, signing) {
      return deliver({ ...base('message', user, conversationId), text, textFormat: 'plain' }, signing);
    },
  };
}
