// The intake request handler on a real HTTP server, with the store step faked: answers, and what reaches the store.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createIntakeHandler, type StoredLead } from '../../../connectors/intake/intake.handler.js';
import type { IntakeSourceConfig } from '../../../src/config/index.js';
import type { Lead } from '../../../src/domain/model.js';
import { silentLogger } from '../../../src/ports/logger.js';

const SECRET = 'k';
const source: IntakeSourceConfig = {
  id: 'forms',
  preset: 'generic',
  secret: SECRET,
  idempotencyKey: { field: 'id' },
  fields: { email: 'email', score: 'score' },
  mql: { kind: 'compare', field: 'score', op: 'gte', value: 80 },
  threshold: null,
  callback: null,
  maxBatch: 10,
};

let server: http.Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

async function start(store: (leads: Lead[]) => Promise<StoredLead[]>, maxBodyBytes = 4096): Promise<string> {
  const handler = createIntakeHandler({ source, store, logger: silentLogger, maxBodyBytes });
  server = http.createServer((req, res) => {
    handler(req, res).catch(() => {
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/intake/forms`;
}

async function post(
  url: string,
  payload: unknown,
  sign = true,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = JSON.stringify(payload);
  const ts = String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (sign) {
    headers['x-handoff-timestamp'] = ts;
    headers['x-handoff-signature'] = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
  }
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('intake handler', () => {
  it('202 after the store step, with a result per lead (MQLs stored, the rest not_mql)', async () => {
    const seen: Lead[][] = [];
    const url = await start(async (leads) => {
      seen.push(leads);
      return leads.map((_, i) => ({ status: 'stored', handoffId: `h${i}` }));
    });
    const r = await post(url, [
      { id: 'a', email: 'a@x.example', score: 90 },
      { id: 'b', email: 'b@x.example', score: 10 },
    ]);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({
      received: 2,
      stored: 1,
      notMql: 1,
      results: [
        { index: 0, key: 'a', status: 'stored', handoffId: 'h0' },
        { index: 1, key: 'b', status: 'not_mql' },
      ],
    });
    expect(seen.map((b) => b.map((l) => l.externalId))).toEqual([['forms:a']]);
  });

  it('409 when every MQL was seen before; 202 when at least one is new', async () => {
    const url = await start(async (leads) =>
      leads.map((l) => ({ status: l.externalId === 'forms:new' ? 'stored' : 'duplicate', handoffId: 'h' })),
    );
    expect((await post(url, { id: 'old', email: 'o@x.example', score: 99 })).status).toBe(409);
    const mixed = await post(url, [
      { id: 'old', email: 'o@x.example', score: 99 },
      { id: 'new', email: 'n@x.example', score: 99 },
    ]);
    expect(mixed.status).toBe(202);
    expect(mixed.body).toMatchObject({ stored: 1, duplicates: 1 });
  });

  it('503 with Retry-After when another replica is storing one of the keys right now', async () => {
    const url = await start(async (leads) =>
      leads.map((l) => ({ status: l.externalId === 'forms:busy' ? 'in_progress' : 'stored', handoffId: null })),
    );
    const body = JSON.stringify([
      { id: 'busy', email: 'b@x.example', score: 99 },
      { id: 'free', email: 'f@x.example', score: 99 },
    ]);
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'x-handoff-timestamp': ts,
        'x-handoff-signature': `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`,
      },
      body,
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ stored: 1, results: [{ status: 'in_progress' }, { status: 'stored' }] });
  });

  it('202 with nothing stored when no lead is an MQL', async () => {
    let calls = 0;
    const url = await start(async () => {
      calls++;
      return [];
    });
    const r = await post(url, { id: 'a', email: 'a@x.example', score: 1 });
    expect(r).toMatchObject({ status: 202, body: { stored: 0, notMql: 1 } });
    expect(calls).toBe(0);
  });

  it('refuses before the store step: unsigned 401, oversized 413, unreadable 422', async () => {
    let calls = 0;
    const url = await start(async (leads) => {
      calls++;
      return leads.map(() => ({ status: 'stored', handoffId: 'h' }));
    }, 256);
    expect((await post(url, { id: 'a', email: 'a@x.example', score: 90 }, false)).status).toBe(401);
    expect((await post(url, { id: 'a', email: 'a@x.example', score: 90, pad: 'x'.repeat(300) })).status).toBe(413);
    const bad = await post(url, { id: 'a', email: 'a@x.example', score: 'lots' });
    expect(bad).toMatchObject({ status: 422, body: { field: 'leads[0].score' } });
    expect(calls).toBe(0);
  });

  it('a failing store step is not answered 202 (the sender retries)', async () => {
    const url = await start(() => Promise.reject(new Error('database is down')));
    const r = await fetch(url, {
      method: 'POST',
      headers: (() => {
        const body = JSON.stringify({ id: 'a', email: 'a@x.example', score: 90 });
        const ts = String(Math.floor(Date.now() / 1000));
        return {
          'x-handoff-timestamp': ts,
          'x-handoff-signature': `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`,
        };
      })(),
      body: JSON.stringify({ id: 'a', email: 'a@x.example', score: 90 }),
    });
    expect(r.status).toBe(500);
  });
});
