// The one HTTP server: Slack requests, webhooks, health, readiness, metrics, dashboard.
// Routes are handed in by main.ts, so this file knows no vendor.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestsArriving } from '../domain/next-turn.js';
import { markAccepted } from '../runtime/connection-timing.js';
import type { Logger } from '../ports/logger.js';

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface HttpServerOptions {
  port: number;
  host?: string;
  logger: Logger;
  /** Keyed "METHOD /path" (exact path match; query strings ignored). */
  routes: Record<string, RouteHandler>;
  readiness: () => Promise<ReadinessCheck[]>;
}

export interface HttpServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendText(
  res: http.ServerResponse,
  status: number,
  text: string,
  type = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const log = options.logger.child({ component: 'http' });
  const routes: Record<string, RouteHandler> = {
    'GET /healthz': (_req, res) => sendJson(res, 200, { ok: true }),
    'GET /readyz': async (_req, res) => {
      const checks = await options
        .readiness()
        .catch((err: unknown) => [
          { name: 'readiness', ok: false, detail: err instanceof Error ? err.message : String(err) },
        ]);
      const ok = checks.every((c) => c.ok);
      sendJson(res, ok ? 200 : 503, { ok, checks });
    },
    ...options.routes,
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const handler = routes[`${method} ${path}`];
    if (!handler) {
      const known = Object.keys(routes).some((k) => k.endsWith(` ${path}`));
      sendJson(res, known ? 405 : 404, { ok: false, error: known ? 'method_not_allowed' : 'not_found' });
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        log.error({ err, method, path }, 'request handler failed');
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error' });
        else res.end();
      });
  });
  // One new connection is accepted per event-loop iteration: while they arrive, the worker's loops give way to
  // them (src/domain/next-turn.ts), so a burst of clicks is accepted and acked before the next slice of work.
  server.on('connection', (socket) => {
    const now = performance.now();
    markAccepted(socket, now);
    requestsArriving(now);
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'http server listening');
  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      return closing;
    },
  };
}
