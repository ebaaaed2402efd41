import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkCallbackReachable,
  classifyCallbackStatus,
  createDecisionCallbacks,
} from '../../../connectors/intake/intake.callback.js';
import { ConnectorError } from '../../../src/ports/failure.js';

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

async function receiver(status: number, headers: Record<string, string> = {}): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(parts).toString('utf8') });
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`, seen };
}

describe('decision callbacks', () => {
  it('POSTs the body signed over "<timestamp>.<body>" with the delivery id', async () => {
    const { url, seen } = await receiver(204);
    const now = Date.UTC(2026, 11, 7, 9, 0, 0);
    const callbacks = createDecisionCallbacks({ forms: { url, secret: 'k' } }, { now: () => now });
    await callbacks.send({
      sourceId: 'forms',
      deliveryId: 'intake.callback:o1:callback',
      body: { decision: 'accepted' },
    });
    const [req] = seen;
    expect(req?.body).toBe('{"decision":"accepted"}');
    expect(req?.headers['x-handoff-timestamp']).toBe(String(now / 1000));
    const expected = createHmac('sha256', 'k')
      .update(`${now / 1000}.${req?.body}`)
      .digest('hex');
    expect(req?.headers['x-handoff-signature']).toBe(`sha256=${expected}`);
    expect(req?.headers['x-handoff-delivery']).toBe('intake.callback:o1:callback');
  });

  it('throws a classified ConnectorError on a non-2xx answer', async () => {
    const { url } = await receiver(429, { 'retry-after': '7' });
    const callbacks = createDecisionCallbacks({ forms: { url, secret: 'k' } });
    const err = await callbacks.send({ sourceId: 'forms', deliveryId: 'd', body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).failure).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7_000 });
  });

  it('an unreachable receiver is transient; an unknown source is invalid', async () => {
    const callbacks = createDecisionCallbacks({ forms: { url: 'http://127.0.0.1:9/cb', secret: 'k' } });
    const down = await callbacks.send({ sourceId: 'forms', deliveryId: 'd', body: {} }).catch((e: unknown) => e);
    expect((down as ConnectorError).failure.kind).toBe('transient');
    const unknown = await callbacks.send({ sourceId: 'nope', deliveryId: 'd', body: {} }).catch((e: unknown) => e);
    expect((unknown as ConnectorError).failure.kind).toBe('invalid');
  });

  it.each([
    [500, 'transient'],
    [503, 'transient'],
    [404, 'transient'],
    [400, 'transient'],
    [401, 'auth'],
    [403, 'auth'],
    [429, 'rate_limited'],
  ])('HTTP %i is retried as %s (a decision is never dropped on the first refusal)', (status, kind) => {
    expect(classifyCallbackStatus(status, null).kind).toBe(kind);
  });

  it('doctor: a listening callback host is reachable, a closed port is not (nothing is sent)', async () => {
    const { url, seen } = await receiver(204);
    expect(await checkCallbackReachable(url)).toMatchObject({ ok: true });
    expect(seen).toEqual([]);
    const closed = await checkCallbackReachable('http://127.0.0.1:9/cb', 2_000);
    expect(closed.ok).toBe(false);
  });
});
