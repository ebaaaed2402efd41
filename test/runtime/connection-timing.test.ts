// The worker's HTTP server marks when it accepted each connection; a handler reads how long its request has been in
// the worker (Slack click acks report it as `accept;dur` in Server-Timing).
import { Agent, get, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/ports/logger.js';
import { sinceAccepted } from '../../src/runtime/connection-timing.js';

let server: HttpServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('sinceAccepted', () => {
  it('gives the first request on a connection the time since it was accepted; null for later ones and strangers', async () => {
    let handled = 0;
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger,
      routes: {
        'GET /waited': (req, res) => {
          const waited = sinceAccepted(req);
          handled = performance.now();
          res.end(JSON.stringify({ waited }));
        },
      },
      readiness: () => Promise.resolve([]),
    });
    const before = performance.now();
    const body = (await (await fetch(`${server.url}/waited`)).json()) as { waited: number | null };
    expect(body.waited).not.toBeNull();
    expect(body.waited).toBeGreaterThanOrEqual(0);
    // Accepted after the request was made and before it was handled.
    expect(body.waited as number).toBeLessThanOrEqual(handled - before);
    expect(sinceAccepted(new IncomingMessage(new Socket()))).toBeNull();
    // A second request on the same kept-alive connection arrived at some unknown time after the accept: null.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const waits: (number | null)[] = [];
    for (let i = 0; i < 2; i++) {
      const text = await new Promise<string>((resolve, reject) => {
        get(`${server?.url ?? ''}/waited`, { agent }, (res) => {
          let data = '';
          res.on('data', (c: Buffer) => (data += c.toString()));
          res.on('end', () => resolve(data));
        }).on('error', reject);
      });
      waits.push((JSON.parse(text) as { waited: number | null }).waited);
    }
    agent.destroy();
    expect(waits[0]).not.toBeNull();
    expect(waits[1]).toBeNull();
  });
});
