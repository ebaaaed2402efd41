// Webhook deliveries as HubSpot sends them: events batched up to 100 per request, signed (v1 or v3), retried
// after a failure when asked, and now and then sent twice (delivery is at least once).
import { createHash, createHmac } from 'node:crypto';
import type { EmulatorState } from './state.js';
import type { EmulatorWebhookDelivery, HubspotEmulatorControl, HubspotEmulatorWebhookOptions } from './types.js';

export interface Webhooks {
  /** True when changes of this contact property are notified. */
  notifies(propertyName: string): boolean;
  /** Queues an event (its ids, portal and time are filled in); a no-op without a webhook. */
  queue(event: Record<string, unknown>): void;
  control: Pick<HubspotEmulatorControl, 'webhookDeliveries' | 'flushWebhooks'>;
  /** Cancels the pending flush and waits for deliveries under way. */
  close(): Promise<void>;
}

export function createWebhooks(
  state: EmulatorState,
  portalId: number,
  webhook: HubspotEmulatorWebhookOptions | undefined,
): Webhooks {
  const { now } = state;
  const pendingEvents: Array<Record<string, unknown>> = [];
  let flushTimer: NodeJS.Timeout | null = null;
  const inFlight = new Set<Promise<void>>();
  const deliveries: EmulatorWebhookDelivery[] = [];
  let deliveryCount = 0;
  let eventSeq = 1;
  const notified = new Set(webhook?.properties ?? ['lifecyclestage', 'hubspotscore']);

  function flushEvents(): void {
    flushTimer = null;
    if (!webhook) return;
    const size = Math.max(1, Math.min(100, webhook.maxBatch ?? 100));
    while (pendingEvents.length > 0) {
      const batch = pendingEvents.splice(0, size);
      deliveryCount++;
      const duplicate = (webhook.duplicateEvery ?? 0) > 0 && deliveryCount % (webhook.duplicateEvery ?? 1) === 0;
      track(deliver(batch, 0, false));
      if (duplicate) track(deliver(batch, 0, true));
    }
  }

  function track(p: Promise<void>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  function sign(body: string): Record<string, string> {
    if (!webhook) return {};
    if (webhook.signatureVersion === 'v1') {
      const sig = createHash('sha256')
        .update(webhook.clientSecret + body, 'utf8')
        .digest('hex');
      return { 'X-HubSpot-Signature': sig, 'X-HubSpot-Signature-Version': 'v1' };
    }
    const timestamp = String(now());
    const sig = createHmac('sha256', webhook.clientSecret)
      .update(`POST${webhook.url}${body}${timestamp}`, 'utf8')
      .digest('base64');
    return { 'X-HubSpot-Signature-v3': sig, 'X-HubSpot-Request-Timestamp': timestamp };
  }

  async function deliver(events: Array<Record<string, unknown>>, attempt: number, duplicate: boolean): Promise<void> {
    if (!webhook) return;
    const body = JSON.stringify(events.map((e) => ({ ...e, attemptNumber: attempt })));
    let status: number | null = null;
    try {
      const res = await fetch(webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...sign(body) },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      status = null;
    }
    deliveries.push({ body, status, attempt, duplicate, events: events.length });
    const ok = status !== null && status >= 200 && status < 300;
    if (!ok && attempt < (webhook.retries ?? 0)) {
      await new Promise((r) => setTimeout(r, webhook.retryDelayMs ?? 50));
      await deliver(events, attempt + 1, duplicate);
    }
  }

  return {
    notifies: (propertyName) => notified.has(propertyName),
    queue(event) {
      if (!webhook) return;
      pendingEvents.push({
        eventId: eventSeq++,
        subscriptionId: event['propertyName'] === 'lifecyclestage' ? 1 : 2,
        portalId,
        appId: webhook.appId ?? 4242,
        occurredAt: now(),
        attemptNumber: 0,
        ...event,
      });
      if (flushTimer === null) {
        flushTimer = setTimeout(flushEvents, webhook.flushMs ?? 10);
      }
    },
    control: {
      webhookDeliveries: () => [...deliveries],
      async flushWebhooks() {
        for (let i = 0; i < 100; i++) {
          if (flushTimer !== null) {
            clearTimeout(flushTimer);
            flushEvents();
          }
          if (inFlight.size === 0 && pendingEvents.length === 0) return;
          await Promise.allSettled([...inFlight]);
        }
      },
    },
    async close() {
      if (flushTimer !== null) clearTimeout(flushTimer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
