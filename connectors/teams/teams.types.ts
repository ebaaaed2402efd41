// The shapes the Teams connector's parts share: the stored conversation of a person, the activities we send,
// the connector client (Bot Connector REST API), the directory the worker keeps, and what an invoke carries.
import type { Person } from '../../src/ports/rep-notifier.js';

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

/** What we keep when the app is installed for a user: enough to message them proactively. */
export interface TeamsConversationRef {
  serviceUrl: string;
  /** The 1:1 conversation id (a:…). */
  conversationId: string;
  tenantId: string | null;
  /** The user's channel account id in Teams (29:…). */
  userId: string;
  /** The user's Entra (AAD) object id: the id reps and managers are known by. */
  aadObjectId: string;
}

export interface TeamsAttachment {
  contentType: typeof ADAPTIVE_CARD;
  content: Record<string, unknown>;
}

/** An outgoing message activity (the subset we send). */
export interface TeamsMessage {
  type: 'message';
  text?: string;
  textFormat?: 'plain' | 'markdown' | 'xml';
  attachments?: TeamsAttachment[];
  /** Hidden data carried with the message (we put the hand-off id here, like Slack metadata). */
  channelData?: Record<string, unknown>;
}

/** The Bot Connector REST API as the notifier needs it. Errors are thrown as ConnectorError (ports/failure.ts). */
export interface TeamsConnectorClient {
  /** POST /v3/conversations/{id}/activities: a message in a 1:1 chat, or a reply when the id is a thread. */
  send(serviceUrl: string, conversationId: string, message: TeamsMessage): Promise<{ activityId: string }>;
  /** PUT /v3/conversations/{id}/activities/{activityId}: rewrites a message (a card's new state). */
  update(serviceUrl: string, conversationId: string, activityId: string, message: TeamsMessage): Promise<void>;
  /**
   * POST /v3/conversations with channelData.channel.id and isGroup: a new post (thread) in a channel; its
   * replies go to `${channelId};messageid=${activityId}`.
   */
  startThread(
    serviceUrl: string,
    channelId: string,
    tenantId: string | null,
    message: TeamsMessage,
  ): Promise<{ conversationId: string; activityId: string }>;
  /** GET /v3/conversations/{id}/members/{userId}: the member's email / UPN, to match a rep by email. */
  member(
    serviceUrl: string,
    conversationId: string,
    userId: string,
  ): Promise<{ aadObjectId: string | null; email: string | null; name: string | null } | null>;
}

/** Who is installed where: kept by the worker in its store (main.ts implements it). */
export interface TeamsDirectory {
  /** The 1:1 conversation of this person, saved when the app was installed for them; null when not installed. */
  conversationOf(person: Person): Promise<TeamsConversationRef | null>;
  /**
   * The app was installed for a user: match a rep/manager (by teamsUserId, else by email) and keep the ref.
   * Returns the person id, or null when nobody configured matches (the user is told so).
   */
  installed(
    user: { aadObjectId: string; email: string | null; name: string | null },
    ref: TeamsConversationRef,
  ): Promise<string | null>;
  /** The app was removed for this user: forget their conversation (they are skipped by routing from now on). */
  uninstalled(aadObjectId: string): Promise<void>;
}

/**
 * The data of an Action.Execute (Universal Actions) invoke, as our cards set it: `verb` in the action, `data`
 * merged with the card's inputs. Forged values only ever reach HandoffActions, which checks authority.
 */
export type TeamsActionData =
  | { verb: 'accept'; offerId: string }
  | { verb: 'reject'; offerId: string; reason?: string; note?: string }
  | { verb: 'claim'; handoffId: string }
  | { verb: 'assign'; handoffId: string; repId?: string }
  | { verb: 'refresh'; offerId?: string; handoffId?: string };
