import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import type { HubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import {
  COALESCE_MAX_IDS,
  READ_BATCH,
  createHubspotWebhookHandler,
  parseHubspotWebhook,
  verifyHubspotSignature,
} from '../../../connectors/hubspot/hubspot.webhooks.js';
import { recordingLogger } from './helpers.js';
import { waitFor } from '../../helpers/wait.js';

const SECRET = 'client-secret-123';
const URL_ = 'https://handoff.example.com/webhooks/hubspot';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const BODY = JSON.stringify([
  {
    objectId: 101,
    propertyName: 'lifecyclestage',
    propertyValue: 'marketingqualifiedlead',
    subscriptionType: 'contact.propertyChange',
    occurredAt: NOW - 1000,
  },
]);

function v3(body: string, ts: number, secret = SECRET, url = URL_) {
  return {
    'x-hubspot-signature-v3': createHmac('sha256', secret).update(`POST${url}${body}${ts}`).digest('base64'),
    'x-hubspot-request-timestamp': String(ts),
  };
}

function v1(body: string, secret = SECRET) {
  return {
    'x-hubspot-signature': createHash('sha256')
      .update(secret + body)
      .digest('hex'),
    'x-hubspot-signature-version': 'v1',
  };
}

const verify = (headers: Record<string, string>, body = BODY, now = NOW) =>
  verifyHubspotSignature({ method: 'POST', url: URL_, rawBody: body, headers, clientSecret: SECRET, now });

describe('verifyHubspotSignature', () => {
  it('accepts a valid v3 signature', () => expect(verify(v3(BODY, NOW - 10_000))).toEqual({ ok: true, version: 'v3' }));
  it('accepts a valid v1 signature', () => expect(verify(v1(BODY))).toEqual({ ok: true, version: 'v1' }));
  it('accepts a valid v2 signature', () => {
    const sig = createHash('sha256').update(`${SECRET}POST${URL_}${BODY}`).digest('hex');
    expect(verify({ 'x-hubspot-signature': sig, 'x-hubspot-signature-version': 'v2' })).toEqual({
      ok: true,
      version: 'v2',
    });
  });
  it('rejects a v3 signature made with another secret', () =>
    expect(verify(v3(BODY, NOW, 'other'))).toMatchObject({ ok: false, reason: 'v3 signature mismatch' }));
  it('rejects a v1 signature made with another secret', () =>
    expect(verify(v1(BODY, 'other'))).toMatchObject({ ok: false }));
  it('rejects a timestamp older than 5 minutes, even correctly signed', () => {
    expect(verify(v3(BODY, NOW - 5 * 60_000 - 1))).toMatchObject({ ok: false, reason: expect.stringMatching(/stale/) });
  });
  it('rejects a timestamp far in the future', () =>
    expect(verify(v3(BODY, NOW + 6 * 60_000))).toMatchObject({ ok: false }));
  it('rejects a tampered body', () => {
    const headers = v3(BODY, NOW);
    expect(verify(headers, BODY.replace('101', '102'))).toMatchObject({ ok: false });
    expect(verify(v1(BODY), BODY.replace('101', '102'))).toMatchObject({ ok: false });
  });
  it('rejects a signature for another URL', () => {
    expect(verify(v3(BODY, NOW, SECRET, 'https://evil.example/webhooks/hubspot'))).toMatchObject({ ok: false });
  });
  it('rejects a request without signature headers', () =>
    expect(verify({})).toEqual({ ok: false, reason: 'no signature headers' }));
});

describe('parseHubspotWebhook', () => {
  it('dedupes contact ids, keeps event order by occurredAt and skips unknown or irrelevant types', () => {
    const body = JSON.stringify([
      { objectId: 3, subscriptionType: 'contact.propertyChange', propertyName: 'hubspotscore', occurredAt: 30 },
      { objectId: 1, subscriptionType: 'contact.propertyChange', propertyName: 'lifecyclestage', occurredAt: 10 },
      { objectId: 3, subscriptionType: 'contact.propertyChange', propertyName: 'lifecyclestage', occurredAt: 20 },
      { objectId: 9, subscriptionType: 'deal.creation', occurredAt: 5 },
      { objectId: 8, subscriptionType: 'contact.deletion', occurredAt: 6 },
      { objectId: 7, subscriptionType: 'contact.merge', primaryObjectId: 5, mergedObjectIds: [7], occurredAt: 40 },
      { objectId: 6, eventType: 'contact.creation', occurredAt: 50 },
      { subscriptionType: 'contact.propertyChange' },
      { objectId: 4, subscriptionType: 'some.future.type', brandNewField: true },
    ]);
    expect(parseHubspotWebhook(body)).toEqual({ ok: true, contactIds: ['1', '3', '5', '6'], ignored: 4, events: 9 });
  });
  it('refuses a body that is not JSON or not an array of events', () => {
    expect(parseHubspotWebhook('{not json')).toMatchObject({ ok: false });
    expect(parseHubspotWebhook('{"objectId": 1}')).toMatchObject({ ok: false });
    expect(parseHubspotWebhook('[1, 2]')).toMatchObject({ ok: false });
  });
});

// ---- the handler behind a real HTTP server, fed by the emulator --------------------------------------------------

let server: http.Server | null = null;
let emulator: HubspotEmulator | null = null;
afterEach(async () => {
  await emulator?.close();
  emulator = null;
  if (server) await new Promise((r) => server!.close(r));
  server = null;
});

async function listen(
  onContactIds: (ids: string[]) => void,
  over: { maxBodyBytes?: number; coalesceMs?: number; now?: () => number } = {},
) {
  const logs = recordingLogger();
  const handler = createHubspotWebhookHandler({ clientSecret: SECRET, onContactIds, logger: logs, ...over });
  server = http.createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot`;
  return { url, logs };
}

async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, body: await res.text() };
}

describe('createHubspotWebhookHandler', () => {
  it('passes on the contact ids of a signed v3 delivery from the emulator, after answering 200', async () => {
    const received: string[][] = [];
    const { url } = await listen((ids) => void received.push(ids));
    emulator = await startHubspotEmulator({
      rateLimits: false,
      webhook: { url, clientSecret: SECRET, signatureVersion: 'v3' },
    });
    const [id] = emulator.control.seedContacts([{ properties: { email: 'w@x.example', lifecyclestage: 'lead' } }]);
    emulator.control.updateContact(id!, { lifecyclestage: 'marketingqualifiedlead', hubspotscore: 70 });
    await emulator.control.flushWebhooks();
    await waitFor('the ids', () => (received.length >= 1 ? true : undefined), 2_000);
    expect(emulator.control.webhookDeliveries().map((d) => d.status)).toEqual([200]);
    expect(new Set(received.flat())).toEqual(new Set([id]));
  });

  it('accepts v1-signed deliveries too', async () => {
    const received: string[] = [];
    const { url } = await listen((ids) => void received.push(...ids));
    emulator = await startHubspotEmulator({
      rateLimits: false,
      webhook: { url, clientSecret: SECRET, signatureVersion: 'v1' },
    });
    const id = emulator.control.createContact({ email: 'v1@x.example', lifecyclestage: 'marketingqualifiedlead' });
    await emulator.control.flushWebhooks();
    await waitFor('the v1 ids', () => (received.includes(id) ? true : undefined), 2_000);
    expect(emulator.control.webhookDeliveries()[0]!.status).toBe(200);
  });

  it('answers 401 to a wrong secret, a stale timestamp or a tampered body, and passes nothing on', async () => {
    const received: string[] = [];
    const { url, logs } = await listen((ids) => void received.push(...ids));
    emulator = await startHubspotEmulator({
      rateLimits: false,
      webhook: { url, clientSecret: 'not-the-secret', signatureVersion: 'v3' },
    });
    emulator.control.createContact({ email: 'bad@x.example', lifecyclestage: 'marketingqualifiedlead' });
    await emulator.control.flushWebhooks();
    expect(emulator.control.webhookDeliveries().map((d) => d.status)).toEqual([401]);

    const stale = await post(url, BODY, v3(BODY, Date.now() - 6 * 60_000, SECRET, url));
    expect(stale.status).toBe(401);
    const headers = v3(BODY, Date.now(), SECRET, url);
    const tampered = await post(url, BODY.replace('101', '999'), headers);
    expect(tampered.status).toBe(401);
    const good = await post(url, BODY, headers);
    expect(good.status).toBe(200);
    await waitFor('the good delivery', () => (received.length > 0 ? true : undefined), 2_000);
    expect(received).toEqual(['101']);
    expect(logs.entries.filter((l) => l.msg === 'hubspot webhook rejected')).toHaveLength(3);
  });

  it('answers 400 to a signed body that is not an event array, 413 to an oversized one', async () => {
    const received: string[] = [];
    const { url } = await listen((ids) => void received.push(...ids), { maxBodyBytes: 2_000 });
    const malformed = '{"oops": true}';
    expect((await post(url, malformed, v3(malformed, Date.now(), SECRET, url))).status).toBe(400);
    const big = JSON.stringify(
      Array.from({ length: 100 }, (_, i) => ({ objectId: i, subscriptionType: 'contact.propertyChange' })),
    );
    expect((await post(url, big, v3(big, Date.now(), SECRET, url))).status).toBe(413);
    expect(received).toEqual([]);
  });

  it('is not bothered by duplicate deliveries: the same ids come again and are deduped downstream', async () => {
    const received: string[][] = [];
    const { url } = await listen((ids) => void received.push(ids));
    emulator = await startHubspotEmulator({
      rateLimits: false,
      webhook: { url, clientSecret: SECRET, signatureVersion: 'v3', duplicateEvery: 1, maxBatch: 10 },
    });
    const ids = emulator.control.seedContacts(
      Array.from({ length: 15 }, (_, i) => ({
        properties: { email: `d${i}@x.example`, lifecyclestage: 'marketingqualifiedlead' },
      })),
    );
    await emulator.control.flushWebhooks();
    const deliveries = emulator.control.webhookDeliveries();
    expect(deliveries.filter((d) => d.duplicate)).toHaveLength(2);
    await waitFor('four deliveries', () => (received.length === 4 ? true : undefined), 2_000);
    expect(received.flat()).toHaveLength(30);
    expect(new Set(received.flat())).toEqual(new Set(ids));
  });

  it('coalescing: a burst of concurrent deliveries is passed on as one set of ids, at once when it reaches 1,000', async () => {
    const received: string[][] = [];
    // A quiet gap far longer than the test: only the 1,000-id bound can pass the ids on.
    const { url } = await listen((ids) => void received.push(ids), { coalesceMs: 600_000 });
    emulator = await startHubspotEmulator({
      rateLimits: false,
      webhook: { url, clientSecret: SECRET, signatureVersion: 'v3' },
    });
    // Two events per contact (stage and score): 2,000 events in 20 deliveries of 50 contacts each.
    const ids = emulator.control.seedContacts(
      Array.from({ length: COALESCE_MAX_IDS }, (_, i) => ({
        properties: { email: `c${i}@x.example`, lifecyclestage: 'marketingqualifiedlead', hubspotscore: 70 },
      })),
    );
    await emulator.control.flushWebhooks();
    expect(emulator.control.webhookDeliveries().length).toBeGreaterThan(1);
    await waitFor('the ids', () => (received.length >= 1 ? true : undefined), 5_000);
    expect(received).toHaveLength(1);
    expect(new Set(received[0])).toEqual(new Set(ids));
  });

  /** Signed deliveries of property changes, posted at the handler's clock time `at()`. */
  function sender(url: string, at: () => number) {
    return async (ids: number[]): Promise<void> => {
      const body = JSON.stringify(
        ids.map((objectId) => ({
          objectId,
          propertyName: 'lifecyclestage',
          subscriptionType: 'contact.propertyChange',
          occurredAt: at(),
        })),
      );
      expect((await post(url, body, v3(body, at(), SECRET, url))).status).toBe(200);
    };
  }
  const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
  const names = (ids: number[]): string[] => ids.map(String);

  it('coalescing: a set cut while deliveries still arrive is whole batch reads; the newest ids wait one more pass at most', async () => {
    const received: string[][] = [];
    let t = NOW;
    // A quiet gap far longer than the test: only the bound (10 × the gap after the first delivery) passes ids on.
    const gap = 600_000;
    const { url } = await listen((ids) => void received.push(ids), { coalesceMs: gap, now: () => t });
    const send = sender(url, () => t);
    await send(range(1, 60));
    t = NOW + 10 * gap; // the bound comes while another delivery arrives
    await send(range(61, 70));
    await waitFor('the first pass', () => (received.length >= 1 ? true : undefined), 5_000);
    expect(received[0]).toEqual(names(range(1, READ_BATCH)));
    // The 30 newest wait; at their own bound they go, whole batch or not, first in their pass.
    t += 10 * gap;
    await send(range(131, 5));
    await waitFor('the second pass', () => (received.length >= 2 ? true : undefined), 5_000);
    expect(received[1]).toEqual(names(range(101, 35)));
    expect(received).toHaveLength(2);
  });

  it('coalescing: after a quiet gap every held id is passed on, whole batch reads or not', async () => {
    const received: string[][] = [];
    const t = NOW;
    const { url } = await listen((ids) => void received.push(ids), { coalesceMs: 20, now: () => t });
    const send = sender(url, () => t);
    await send(range(1, 130));
    await send(range(131, 20));
    await waitFor('the ids', () => (received.flat().length >= 150 ? true : undefined), 5_000);
    // One pass, or two if the machine paused between the posts longer than the gap: never cut to 100.
    expect(received.flat()).toEqual(names(range(1, 150)));
    expect(received[0]!.length).toBeGreaterThanOrEqual(130);
  });

  it('coalescing: a delivery still being received keeps the gap from counting as quiet', async () => {
    const received: string[][] = [];
    const t = NOW; // the handler's clock stands still: the bound (10 × the gap) is never reached here
    const { url } = await listen((ids) => void received.push(ids), { coalesceMs: 20, now: () => t });
    // A second delivery of the burst: its request is open and its body half sent.
    const body = JSON.stringify(
      range(101, 40).map((objectId) => ({ objectId, subscriptionType: 'contact.propertyChange', occurredAt: t })),
    );
    const slow = http.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...v3(body, t, SECRET, url),
      },
    });
    const answered = new Promise<number>((resolve, reject) => {
      slow.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      slow.on('error', reject);
    });
    const seen = new Promise((resolve) => server!.once('request', resolve));
    slow.write(body.slice(0, 100));
    await seen; // the handler has the request; its body is not complete
    await sender(url, () => t)(range(1, 60));
    // Five quiet gaps go by (timers never fire early, so at least that much): the held ids stay held.
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual([]);
    slow.end(body.slice(100));
    expect(await answered).toBe(200);
    await waitFor('the ids', () => (received.length >= 1 ? true : undefined), 5_000);
    expect(received).toEqual([names([...range(1, 60), ...range(101, 40)])]);
  });

  it('coalescing: a lone delivery is passed on once the quiet gap has passed', async () => {
    const received: string[][] = [];
    const { url } = await listen((ids) => void received.push(ids), { coalesceMs: 20 });
    emulator = await startHubspotEmulator({
      rateLimits: false,
      webhook: { url, clientSecret: SECRET, signatureVersion: 'v3' },
    });
    const ids = emulator.control.seedContacts([
      { properties: { email: 'lone@x.example', lifecyclestage: 'marketingqualifiedlead' } },
    ]);
    await emulator.control.flushWebhooks();
    await waitFor('the ids', () => (received.length >= 1 ? true : undefined), 5_000);
    expect(received).toEqual([ids]);
  });
});
