// One RepNotifier over the platforms a deployment uses: cards go to the platform of the rep (Person.chat),
// channel posts and message refs to the platform of their address (domain/chat.ts). A call for a platform
// that is not configured is an `invalid` failure (dead-lettered with the admin alert, never silently lost).
import { platformOf, type ChatPlatform } from '../domain/chat.js';
import { ConnectorError } from '../ports/failure.js';
import type { MessageRef, OfferCard, RepNotifier } from '../ports/rep-notifier.js';

export type PlatformNotifiers = Partial<Record<ChatPlatform, RepNotifier>>;

const NAMES: Record<ChatPlatform, string> = { slack: 'Slack', teams: 'Microsoft Teams', email: 'email' };

export function createChatNotifier(notifiers: PlatformNotifiers): RepNotifier {
  const on = (platform: ChatPlatform): RepNotifier => {
    const notifier = notifiers[platform];
    if (!notifier)
      throw new ConnectorError(platform, { kind: 'invalid', reason: `${NAMES[platform]} is not configured` });
    return notifier;
  };
  // Methods are async so that a platform that is not configured rejects (the outbox sees a failure), not throws.
  const forCard = (card: OfferCard): RepNotifier => on(card.rep.chat ?? 'slack');
  const forRef = (ref: MessageRef): RepNotifier => on(platformOf(ref.channel));
  return {
    postOffer: async (card, hooks) => forCard(card).postOffer(card, hooks),
    findOffer: async (card, since) => forCard(card).findOffer(card, since),
    closeOffer: async (ref, card, outcome) => forRef(ref).closeOffer(ref, card, outcome),
    remind: async (ref, card, now) => forRef(ref).remind(ref, card, now),
    postLeadMessage: async (channel, audience, message, hooks) =>
      on(platformOf(channel)).postLeadMessage(channel, audience, message, hooks),
    findLeadMessage: async (channel, handoffId, since) =>
      on(platformOf(channel)).findLeadMessage(channel, handoffId, since),
    updateLeadMessage: async (ref, audience, message) => forRef(ref).updateLeadMessage(ref, audience, message),
    postLeadStep: async (ref, step) => forRef(ref).postLeadStep(ref, step),
    postDoc: async (channel, doc) => on(platformOf(channel)).postDoc(channel, doc),
    postMessage: async (channel, text, blocks) => on(platformOf(channel)).postMessage(channel, text, blocks),
    // Only Slack looks people up by email; without Slack nobody has a Slack id to find.
    lookupUserId: (email) => notifiers.slack?.lookupUserId(email) ?? Promise.resolve(null),
  };
}
