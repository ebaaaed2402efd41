// RepNotifier over the Slack Web API: offer cards in DMs, their final states, reminders, escalation posts,
// alerts and digests.
// Every failure comes back as a ConnectorError with its classification; the outbox decides about retries.
import type { Millis, RejectionReason } from '../../src/domain/model.js';
import type { MessageRef, OfferCard, OfferOutcome, RepNotifier } from '../../src/ports/rep-notifier.js';
import { ConnectorError, Deferral } from '../../src/ports/failure.js';
import type { MessageDoc } from '../../src/ports/message-doc.js';
import {
  buildClosedOfferCard,
  buildDocMessage,
  buildLeadMessage,
  buildOfferCard,
  leadStepText,
  reminderText,
  type Block,
} from './slack.blocks.js';
import { boltLogger, createSlackWebClient, type SlackLogger } from './slack.client.js';
import { classifySlackError, slackConnectorError } from './slack.errors.js';

export interface SlackNotifierOptions {
  botToken: string;
  apiUrl?: string;
  timeoutMs?: number;
  /** Time zone for channel messages about a lead (times are shown to several people). */
  timezone?: string;
  /** Labels for rejection reason ids on closed cards. */
  reasons?: readonly RejectionReason[];
  /** Pace of chat.postMessage per channel (Slack: about 1 per second) and the burst allowed. */
  postIntervalMs?: number;
  postBurst?: number;
}

export interface SlackNotifierDeps {
  logger: SlackLogger;
  /** Clock for the per-channel pacing (tests). */
  now?: () => number;
}

function okRef(result: { channel?: string; ts?: string }, what: string): MessageRef {
  if (result.channel === undefined || result.ts === undefined) {
    throw new ConnectorError('slack', { kind: 'transient', reason: `${what}: answer without channel/ts` });
  }
  return { channel: result.channel, ts: result.ts };
}

/**
 * Message metadata on what we post once and must find again after a post whose answer was lost: offer cards
 * (`event_payload.offer_id`) and a lead's one channel message (`event_payload.handoff_id`).
 */
const TAGS = {
  offer: { eventType: 'handoff_offer', key: 'offer_id' },
  lead: { eventType: 'handoff_lead', key: 'handoff_id' },
} as const;
type Tag = keyof typeof TAGS;

export function createSlackNotifier(options: SlackNotifierOptions, deps: SlackNotifierDeps): RepNotifier {
  const log = deps.logger.child({ component: 'slack-notifier' });
  const client = createSlackWebClient(
    { botToken: options.botToken, apiUrl: options.apiUrl, timeoutMs: options.timeoutMs },
    boltLogger(log),
  );
  const reasons = options.reasons ?? [];
  /** Slack user id → the app's DM channel with them (conversations.open answers the same id every time). */
  const dmChannels = new Map<string, string>();

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const wrapped = slackConnectorError(err, what);
      log.warn(
        {
          what,
          kind: wrapped.failure.kind,
          reason: wrapped.failure.reason,
          retryAfterMs: wrapped.failure.retryAfterMs,
        },
        'slack call failed',
      );
      throw wrapped;
    }
  }

  async function dmChannel(slackUserId: string): Promise<string> {
    const cached = dmChannels.get(slackUserId);
    if (cached !== undefined) return cached;
    const opened = await call('conversations.open', () => client.conversations.open({ users: slackUserId }));
    const id = opened.channel?.id;
    if (id === undefined)
      throw new ConnectorError('slack', { kind: 'transient', reason: 'conversations.open: answer without channel' });
    dmChannels.set(slackUserId, id);
    return id;
  }

  /**
   * chat.postMessage allows about one message per second per channel (short bursts pass). We pace posts
   * ourselves: a post that would exceed the pace is not sent but deferred (a Deferral, not a failure: the
   * outbox reschedules it for the exact slot without counting an attempt) and its slot is reserved, so a
   * backlog for one rep drains at the allowed rate without wasted 429s. Other channels are not held up.
   */
  // A little slower than Slack allows: clocks and network jitter must not turn our pace into 429s.
  const paceMs = options.postIntervalMs ?? 1_100;
  const burst = options.postBurst ?? 3;
  const nextSlot = new Map<string, number>();
  const clockNow = deps.now ?? Date.now;
  function takeSlot(channel: string): number {
    const now = clockNow();
    const earliest = Math.max(nextSlot.get(channel) ?? 0, now - (burst - 1) * paceMs);
    nextSlot.set(channel, earliest + paceMs);
    if (nextSlot.size > 10_000) for (const [k, v] of nextSlot) if (v < now) nextSlot.delete(k);
    return earliest - now;
  }

  /** Slots reserved by deferred posts (by the caller's key), honoured when they come back. */
  const reserved = new Map<string, number>();
  /**
   * What actually went out per channel, as Slack's token bucket (burst, then one per pace) would see it in the worst
   * case. Slack counts a post when it arrives, somewhere between our sending it and its answer coming back: a post
   * may go now only if the bucket holds a token even when every earlier post arrived as late as possible (when its
   * answer came back; a post still in flight: right now) and this one at once. A bucket kept at send times instead
   * took each burst as arriving when it was sent; under load the first cards of a drain reached Slack a few hundred
   * ms late together, the next card on time, and Slack's bucket (refilled for only 0.1 s of margin by then) answered
   * 429 — 3–6 in the first 20 s of a 1,000-lead drain. A deferred post that comes back late with others is held by
   * the same check.
   */
  const sent = new Map<string, { answered: number[]; inFlight: number }>();
  function mayPostNow(channel: string, now: number): number {
    const c = sent.get(channel);
    if (c === undefined) return 0;
    if (c.inFlight >= burst) return paceMs;
    // n posts known since answered[i], this one included, need n − burst paces since then.
    let earliest = now;
    for (let i = 0; i < c.answered.length; i++) {
      const n = c.answered.length - i + c.inFlight + 1;
      earliest = Math.max(earliest, (c.answered[i] as number) + (n - burst) * paceMs);
    }
    return Math.ceil(earliest - now);
  }
  /** Around one post: in flight from now until its answer (or failure) is back, then known by that moment. */
  function sending(channel: string): () => void {
    const c = sent.get(channel) ?? { answered: [], inFlight: 0 };
    sent.set(channel, c);
    c.inFlight++;
    return () => {
      c.inFlight--;
      c.answered.push(clockNow());
      // Older answers cannot bind: a burst's worth of paces has passed since the ones kept.
      if (c.answered.length > 2 * burst + 2) c.answered.splice(0, c.answered.length - (2 * burst + 2));
      if (sent.size > 10_000) {
        const now = clockNow();
        for (const [k, v] of sent)
          if (v.inFlight === 0 && now - (v.answered[v.answered.length - 1] ?? 0) > burst * paceMs) sent.delete(k);
      }
    };
  }

  async function post(
    channel: string,
    text: string,
    blocks: Block[] | unknown[] | undefined,
    threadTs?: string,
    key?: string,
    tag?: { kind: Tag; id: string; beforeSend?: ((channel: string) => Promise<void>) | undefined },
  ): Promise<MessageRef> {
    const now = clockNow();
    const slot = key !== undefined ? reserved.get(key) : undefined;
    let wait: number;
    if (slot !== undefined) {
      wait = slot - now;
      if (wait <= 0) reserved.delete(key as string);
    } else {
      wait = takeSlot(channel);
      if (wait > 0 && key !== undefined) reserved.set(key, now + wait);
    }
    if (wait <= 0) {
      const physical = mayPostNow(channel, now);
      if (physical > 0) {
        // Its slot came, but Slack may not have a token yet (earlier posts reached it late, or others that came
        // back late with this one are in flight): wait for that, keeping this post's turn.
        wait = physical;
        if (key !== undefined) reserved.set(key, now + wait);
      }
    }
    if (wait > 0) throw new Deferral('slack', wait, `chat.postMessage: next slot in ${channel} in ${wait} ms`);
    const answered = sending(channel);
    let result;
    try {
      await tag?.beforeSend?.(channel);
      result = await call('chat.postMessage', () =>
        client.chat.postMessage({
          channel,
          text,
          ...(blocks !== undefined && blocks.length > 0 ? { blocks: blocks as Block[] } : {}),
          ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
          // The id travels with the message, so a post whose answer was lost can be found again (findTagged).
          ...(tag !== undefined
            ? { metadata: { event_type: TAGS[tag.kind].eventType, event_payload: { [TAGS[tag.kind].key]: tag.id } } }
            : {}),
          unfurl_links: false,
          unfurl_media: false,
        }),
      );
    } finally {
      answered();
    }
    return okRef(result, 'chat.postMessage');
  }

  async function update(ref: MessageRef, text: string, blocks: Block[]): Promise<void> {
    await call('chat.update', () => client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks }));
  }

  /**
   * The message tagged with this id in `channel`, posted on or after `since`, by an attempt that never learned
   * its ts (killed mid-call, or the call timed out after Slack posted); null when it is not there or cannot be
   * looked for.
   */
  async function findTagged(channel: string, since: Millis, kind: Tag, id: string): Promise<MessageRef | null> {
    const { eventType, key } = TAGS[kind];
    let history;
    try {
      history = await call('conversations.history', () =>
        client.conversations.history({
          channel,
          // A minute of slack for clock skew between us and Slack.
          oldest: ((since - 60_000) / 1000).toFixed(6),
          include_all_metadata: true,
          limit: 200,
        }),
      );
    } catch (err) {
      // Without the history scope (an app installed before it was added) the check cannot be made: post
      // anyway, accepting the rare double post over never sending one. Outages and rate limits retry.
      if (err instanceof ConnectorError && (err.failure.kind === 'auth' || err.failure.kind === 'invalid')) {
        log.warn({ channel, [key]: id, reason: err.failure.reason }, 'cannot look for an interrupted post');
        return null;
      }
      throw err;
    }
    const found = (history.messages ?? []).find(
      (m) =>
        m.metadata?.event_type === eventType &&
        (m.metadata.event_payload as Record<string, unknown> | undefined)?.[key] === id,
    );
    return found?.ts !== undefined ? { channel, ts: found.ts } : null;
  }

  /**
   * Cards this process already posted, by offer. If storing the card's ts failed after Slack answered
   * (a database outage), the retry gets the same card back instead of posting it twice. Only a crash in
   * that moment can still double-post.
   */
  const postedCards = new Map<string, MessageRef>();

  return {
    async postOffer(card: OfferCard, hooks = {}): Promise<MessageRef> {
      const already = postedCards.get(card.offerId);
      if (already !== undefined) return already;
      const user = card.rep.slackUserId;
      if (user === undefined || user === '') {
        throw new ConnectorError('slack', { kind: 'not_found', reason: `rep ${card.rep.id} has no Slack user id` });
      }
      const channel = await dmChannel(user);
      const message = buildOfferCard(card);
      try {
        const ref = await post(channel, message.text, message.blocks, undefined, `offer:${card.offerId}`, {
          kind: 'offer',
          id: card.offerId,
          beforeSend: hooks.beforeSend,
        });
        postedCards.set(card.offerId, ref);
        if (postedCards.size > 10_000) postedCards.delete(postedCards.keys().next().value as string);
        log.debug({ offerId: card.offerId, channel: ref.channel, ts: ref.ts }, 'offer card posted');
        return ref;
      } catch (err) {
        // A cached DM that Slack no longer knows: forget it so the retry opens a fresh one.
        if (err instanceof ConnectorError && err.failure.kind === 'not_found') dmChannels.delete(user);
        throw err;
      }
    },

    async findOffer(card: OfferCard, since: Millis): Promise<MessageRef | null> {
      const user = card.rep.slackUserId;
      if (user === undefined || user === '') return null;
      return findTagged(await dmChannel(user), since, 'offer', card.offerId);
    },

    async closeOffer(ref: MessageRef, card: OfferCard, outcome: OfferOutcome): Promise<void> {
      const message = buildClosedOfferCard(card, outcome, reasons);
      await update(ref, message.text, message.blocks);
    },

    async remind(ref: MessageRef, card: OfferCard, now: Millis): Promise<void> {
      await post(ref.channel, reminderText(card, now), undefined, ref.ts);
    },

    async postLeadMessage(channel, audience, message, hooks = {}): Promise<MessageRef> {
      const handoffId = 'card' in message ? message.card.handoffId : message.post.handoffId;
      const m = buildLeadMessage(message, audience, options.timezone, reasons);
      const ref = await post(channel, m.text, m.blocks, undefined, `lead:${handoffId}:${channel}`, {
        kind: 'lead',
        id: handoffId,
        beforeSend: hooks.beforeSend,
      });
      log.debug({ handoffId, channel, ts: ref.ts, audience }, 'lead message posted');
      return ref;
    },

    async findLeadMessage(channel: string, handoffId: string, since: Millis): Promise<MessageRef | null> {
      return findTagged(channel, since, 'lead', handoffId);
    },

    async updateLeadMessage(ref, audience, message): Promise<void> {
      const m = buildLeadMessage(message, audience, options.timezone, reasons);
      await update(ref, m.text, m.blocks);
    },

    async postLeadStep(ref, step): Promise<MessageRef> {
      const text = leadStepText(step, options.timezone, reasons);
      return post(ref.channel, text, undefined, ref.ts, `step:${ref.channel}:${ref.ts}:${text}`);
    },

    async postDoc(channel: string, doc: MessageDoc): Promise<MessageRef> {
      const message = buildDocMessage(doc);
      return post(channel, message.text, message.blocks);
    },

    async postMessage(channel: string, text: string, blocks?: unknown[]): Promise<MessageRef> {
      return post(channel, text, blocks);
    },

    async lookupUserId(email: string): Promise<string | null> {
      try {
        const result = await client.users.lookupByEmail({ email });
        return result.user?.id ?? null;
      } catch (err) {
        const failure = classifySlackError(err);
        if (failure.kind === 'not_found') return null;
        throw slackConnectorError(err, 'users.lookupByEmail');
      }
    },
  };
}
