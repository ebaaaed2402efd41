// The one request-body reader, against a real HTTP server: within the limit, over it (announced or streamed),
// and a client that goes away mid-body.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody } from '../../src/runtime/read-body.js';
import { waitFor } from '../helpers/wait.js';

const LIMIT = 1_000;

let server: Server | null = null;

afterEach(async () => {
  const s = server;
  server = null;
  if (s !== null) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A server that reads every body with readBody and answers 413 for null, 200 with the size otherwise. */
async function start(): Promise<{ port: number; outcomes: Array<Buffer | null | Error>; received: () => number }> {
  const outcomes: Array<Buffer | null | Error> = [];
  let received = 0;
  server = createServer((req, res) => {
    req.once('data', () => (received += 1));
    readBody(req, LIMIT).then(
      (body) => {
        outcomes.push(body);
        if (body === null) res.writeHead(413).end();
        else res.writeHead(200).end(String(body.length));
      },
      (err: unknown) => outcomes.push(err as Error),
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, outcomes, received: () => received };
}

function post(
  port: number,
  headers: Record<string, string | number>,
  send: (req: ReturnType<typeof request>) => void,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (text += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    send(req);
  });
}

describe('readBody', () => {
  it('returns the whole body up to and including the limit', async () => {
    const { port, outcomes } = await start();
    const exact = Buffer.alloc(LIMIT, 0x61);
    expect(await post(port, { 'content-length': LIMIT }, (req) => req.end(exact))).toEqual({
      status: 200,
      text: String(LIMIT),
    });
    // Without Content-Length (chunked), in several parts.
    expect(
      await post(port, {}, (req) => {
        req.write('hello ');
        req.end('world');
      }),
    ).toEqual({ status: 200, text: '11' });
    expect(outcomes[0]).toEqual(exact);
    expect((outcomes[1] as Buffer).toString('utf8')).toBe('hello world');
  });

  it('gives null for an announced Content-Length over the limit without waiting for the body', async () => {
    const { port, outcomes } = await start();
    // The body is never sent: the answer must not depend on it.
    const answer = await post(port, { 'content-length': LIMIT + 1 }, (req) => req.flushHeaders());
    expect(answer.status).toBe(413);
    expect(outcomes).toEqual([null]);
  });

  it('gives null as soon as a streamed body passes the limit, before it ended', async () => {
    const { port, outcomes } = await start();
    const answer = await post(port, {}, (req) => {
      // More than the limit, and the request is never ended: only reading as it arrives can answer.
      req.write(Buffer.alloc(LIMIT + 1, 0x62));
    });
    expect(answer.status).toBe(413);
    expect(outcomes).toEqual([null]);
  });

  it('rejects when the client goes away in the middle of the body', async () => {
    const { port, outcomes, received } = await start();
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-length': 500 } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(100, 0x63));
    await waitFor('the server to receive the first part', () => received() === 1, 5_000);
    expect(outcomes).toEqual([]);
    req.destroy();
    const outcome = await waitFor('the read to fail', () => outcomes[0], 5_000);
    expect(outcome).toBeInstanceOf(Error);
  });
});
