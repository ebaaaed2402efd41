// RepNotifier over the Bot Connector API (TeamsConnectorClient) and the store's record of where the app is
// installed (TeamsDirectory): offer cards in each rep's 1:1 chat, their final states, reminders, a lead's one post
// in a team or managers channel with its thread, alerts and digests.
//
// The refs we hand out (MessageRef) carry everything a later update or reply needs:
//   - a 1:1 card:      channel = "teams:<1:1 conversation id (a:…)>",                      ts = the card's activity id
//   - a channel post:  channel = "teams:<channel id (19:…)>;messageid=<root activity id>", ts = the root activity id
//     (that is the thread's conversation id: updates of the post and replies in its thread both go there)
//   - a thread reply:  channel = the thread's address as above,                             ts = the reply's activity id
// The service URL is not in the ref: a 1:1 chat uses the one saved when the app was installed for the rep
// (directory.conversationOf), channels use options.serviceUrl (msteams.serviceUrl).
//
// A bot cannot read a chat's or channel's history, so findOffer / findLeadMessage answer null: a post whose
// answer was lost (a crash mid-call) may be sent twice. Failures come from the client as ConnectorError.
import { addressId, teamsAddress } from '../../src/domain/chat.js';
import type { Millis, RejectionReason } from '../../src/domain/model.js';
import { ConnectorError } from '../../src/ports/failure.js';
import { silentLogger, type Logger } from '../../src/ports/logger.js';
import type { MessageDoc } from '../../src/ports/message-doc.js';
import type { MessageRef, OfferCard, Person, RepNotifier } from '../../src/ports/rep-notifier.js';
import {
  buildClosedOfferCard,
  buildDocCard,
  buildLeadCard,
  buildOfferCard,
  cardMessage,
  leadStepLine,
  reminderMessage,
} from './teams.cards.js';
import type { TeamsConnectorClient, TeamsDirectory, TeamsMessage } from './teams.types.js';

export interface TeamsNotifierOptions {
  client: TeamsConnectorClient;
  directory: TeamsDirectory;
  /** Bot Connector service URL for channel posts (msteams.serviceUrl); 1:1 chats use the one saved at install. */
  serviceUrl: string;
  /** The tenant for new channel posts (msteams.tenantId), null for a multi-tenant app. */
  tenantId?: string | null;
  /** Time zone for channel messages about a lead (times are shown to several people). */
  timezone?: string;
  /** Labels (and which need a note) for rejection reason ids: the Reject form and closed cards. */
  reasons?: readonly RejectionReason[];
  logger?: Logger;
}

const THREAD_MARK = ';messageid=';

/** The conversation id of a channel post's thread: replies and updates of the root post go there. */
export function threadConversationId(conversationId: string, rootActivityId: string): string {
  return conversationId.includes(THREAD_MARK) ? conversationId : `${conversationId}${THREAD_MARK}${rootActivityId}`;
}

/** 1:1 chats are "a:…" (and "8:…" in some tenants); a thread is "<channel>;messageid=<id>"; the rest are channels. */
function kindOf(conversationId: string): 'personal' | 'thread' | 'channel' {
  if (conversationId.includes(THREAD_MARK)) return 'thread';
  if (conversationId.startsWith('a:') || conversationId.startsWith('8:')) return 'personal';
  return 'channel';
}

export function createTeamsNotifier(options: TeamsNotifierOptions): RepNotifier {
  const { client, directory } = options;
  const log = (options.logger ?? silentLogger).child({ component: 'teams-notifier' });
  const reasons = options.reasons ?? [];
  const tenantId = options.tenantId ?? null;

  /**
   * Cards this process already posted, by offer: if storing the card's ref failed after Teams answered (a
   * database outage), the retry gets the same card back instead of posting it twice.
   */
  const postedCards = new Map<string, MessageRef>();

  async function installedFor(rep: Person) {
    const ref = await directory.conversationOf(rep);
    if (ref === null) {
      throw new ConnectorError('teams', {
        kind: 'not_found',
        reason: `the Teams app is not installed for ${rep.name} (${rep.id})`,
      });
    }
    return ref;
  }

  /** The service URL of a rep's 1:1 chat (saved at install); the configured one when it is no longer known. */
  async function serviceUrlOf(rep: Person, conversationId: string): Promise<string> {
    const ref = await directory.conversationOf(rep);
    return ref !== null && ref.conversationId === conversationId ? ref.serviceUrl : options.serviceUrl;
  }

  /** A new top-level post in a channel (or a message in a chat / reply in a thread, by the id's kind). */
  async function post(address: string, message: TeamsMessage): Promise<MessageRef> {
    const id = addressId(address);
    if (kindOf(id) === 'channel') {
      const started = await client.startThread(options.serviceUrl, id, tenantId, message);
      const thread = threadConversationId(started.conversationId, started.activityId);
      return { channel: teamsAddress(thread), ts: started.activityId };
    }
    const sent = await client.send(options.serviceUrl, id, message);
    return { channel: teamsAddress(id), ts: sent.activityId };
  }

  return {
    async postOffer(card: OfferCard, hooks = {}): Promise<MessageRef> {
      const already = postedCards.get(card.offerId);
      if (already !== undefined) return already;
      const conv = await installedFor(card.rep);
      const content = buildOfferCard(card, { reasons, refreshUserIds: [conv.userId] });
      const message = cardMessage(content, {
        handoffId: card.handoffId,
        offerId: card.offerId,
        // Teams: a bot's 1:1 message also appears in the rep's activity feed.
        notification: { alert: true },
      });
      const channel = teamsAddress(conv.conversationId);
      await hooks.beforeSend?.(channel);
      const sent = await client.send(conv.serviceUrl, conv.conversationId, message);
      const ref = { channel, ts: sent.activityId };
      postedCards.set(card.offerId, ref);
      if (postedCards.size > 10_000) postedCards.delete(postedCards.keys().next().value as string);
      log.debug(
        { offerId: card.offerId, conversationId: conv.conversationId, activityId: ref.ts },
        'offer card posted',
      );
      return ref;
    },

    async findOffer(): Promise<MessageRef | null> {
      // A bot cannot read its chat history (no API for it): a lost answer cannot be looked for.
      return null;
    },

    async closeOffer(ref, card, outcome): Promise<void> {
      const conversationId = addressId(ref.channel);
      const serviceUrl = await serviceUrlOf(card.rep, conversationId);
      await client.update(
        serviceUrl,
        conversationId,
        ref.ts,
        cardMessage(buildClosedOfferCard(card, outcome, reasons)),
      );
    },

    async remind(ref, card, now: Millis): Promise<void> {
      // Teams 1:1 chats have no threads: the reminder is a new message in the chat, naming the lead.
      const conversationId = addressId(ref.channel);
      const serviceUrl = await serviceUrlOf(card.rep, conversationId);
      await client.send(serviceUrl, conversationId, reminderMessage(card, now));
    },

    async postLeadMessage(channel, audience, message, hooks = {}): Promise<MessageRef> {
      const handoffId = 'card' in message ? message.card.handoffId : message.post.handoffId;
      const content = buildLeadCard(message, audience, options.timezone, reasons);
      await hooks.beforeSend?.();
      const started = await client.startThread(
        options.serviceUrl,
        addressId(channel),
        tenantId,
        cardMessage(content, { handoffId }),
      );
      const thread = threadConversationId(started.conversationId, started.activityId);
      log.debug({ handoffId, channel, thread, audience }, 'lead message posted');
      return { channel: teamsAddress(thread), ts: started.activityId };
    },

    async findLeadMessage(): Promise<MessageRef | null> {
      // As findOffer: a bot cannot read a channel's history.
      return null;
    },

    async updateLeadMessage(ref, audience, message): Promise<void> {
      const content = buildLeadCard(message, audience, options.timezone, reasons);
      const thread = threadConversationId(addressId(ref.channel), ref.ts);
      const handoffId = 'card' in message ? message.card.handoffId : message.post.handoffId;
      await client.update(options.serviceUrl, thread, ref.ts, cardMessage(content, { handoffId }));
    },

    async postLeadStep(ref, step): Promise<MessageRef> {
      const thread = threadConversationId(addressId(ref.channel), ref.ts);
      const text = leadStepLine(step, options.timezone, reasons);
      const sent = await client.send(options.serviceUrl, thread, { type: 'message', text, textFormat: 'plain' });
      return { channel: teamsAddress(thread), ts: sent.activityId };
    },

    async postDoc(channel: string, doc: MessageDoc): Promise<MessageRef> {
      return post(channel, cardMessage(buildDocCard(doc)));
    },

    async postMessage(channel: string, text: string): Promise<MessageRef> {
      // `blocks` (Slack Block Kit from old outbox jobs) mean nothing here: the text is the message.
      return post(channel, { type: 'message', text, textFormat: 'plain' });
    },

    async lookupUserId(): Promise<string | null> {
      // Slack only: Teams users are matched by email when the app is installed for them (TeamsDirectory.installed).
      return null;
    },
  };
}
