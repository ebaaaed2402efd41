// Socket Mode: apps.connections.open hands the app a one-time WebSocket URL; on that socket Slack says hello,
// pings, and sends envelopes (interactive, slash_commands, events_api) that the app acks by envelope_id.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';
import type { DeliveryResult } from './delivery.js';
import { isObject, type Json } from './json.js';
import { APP_ID, type SlackState } from './state.js';

type EnvelopeType = 'interactive' | 'slash_commands' | 'events_api';

export interface SocketMode {
  /** apps.connections.open: a WebSocket URL with a ticket that admits one connection. */
  openConnection(): string;
  /** Takes an HTTP upgrade; only /link with an unused ticket is let in. */
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
  /** The most recent open connection, if any (Slack sends to one of them). */
  active(): WebSocket | null;
  /** Sends an envelope and waits for the app's ack (or the ack timeout). */
  deliver(socket: WebSocket, type: EnvelopeType, payload: Json, extra?: Json): Promise<DeliveryResult>;
  waitForConnection(timeoutMs: number): Promise<void>;
  close(): void;
}

export function createSocketMode(state: SlackState, settings: { ackTimeoutMs: number }): SocketMode {
  const { ackTimeoutMs } = settings;
  const tickets = new Set<string>();
  const sockets = new Set<WebSocket>();
  const pendingAcks = new Map<string, (payload: unknown) => void>();
  const waiters = new Set<() => void>();
  let wss: WebSocketServer | null = null;
  let pingTimer: NodeJS.Timeout | null = null;

  function active(): WebSocket | null {
    let last: WebSocket | null = null;
    for (const s of sockets) if (s.readyState === 1) last = s;
    return last;
  }

  async function socketServer(): Promise<WebSocketServer> {
    if (wss !== null) return wss;
    const ws = await import('ws');
    const server = new ws.WebSocketServer({ noServer: true });
    server.on('connection', (socket: WebSocket) => {
      sockets.add(socket);
      socket.on('message', (data) => {
        let msg: unknown;
        try {
          msg = JSON.parse(String(data));
        } catch {
          return;
        }
        if (isObject(msg) && typeof msg.envelope_id === 'string') {
          pendingAcks.get(msg.envelope_id)?.(msg.payload ?? {});
          pendingAcks.delete(msg.envelope_id);
        }
      });
      socket.on('close', () => sockets.delete(socket));
      socket.send(
        JSON.stringify({
          type: 'hello',
          num_connections: sockets.size,
          debug_info: { host: 'emulator', approximate_connection_time: 18060 },
          connection_info: { app_id: APP_ID },
        }),
      );
      for (const w of [...waiters]) w();
    });
    pingTimer = setInterval(() => {
      for (const s of sockets) if (s.readyState === 1) s.ping();
    }, 10_000);
    pingTimer.unref();
    wss = server;
    return server;
  }

  return {
    openConnection() {
      const ticket = randomBytes(16).toString('hex');
      tickets.add(ticket);
      return `${state.baseUrl.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${APP_ID}`;
    },
    upgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://emulator');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname.replace(/\/$/, '') !== '/link' || !tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      socketServer()
        .then((s) => s.handleUpgrade(req, socket, head, (client) => s.emit('connection', client, req)))
        .catch(() => socket.destroy());
    },
    active,
    async deliver(socket, type, payload, extra = {}) {
      const envelopeId = randomBytes(16).toString('hex');
      const started = performance.now();
      const acked = new Promise<unknown>((resolve) => {
        const timer = setTimeout(() => {
          pendingAcks.delete(envelopeId);
          resolve(undefined);
        }, ackTimeoutMs);
        pendingAcks.set(envelopeId, (p) => {
          clearTimeout(timer);
          resolve(p);
        });
      });
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
          ...extra,
        }),
      );
      const ack = await acked;
      const ackMs = performance.now() - started;
      if (ack === undefined) return { via: 'socket', status: 0, body: null, ackMs };
      const body = isObject(ack) && Object.keys(ack).length > 0 ? ack : null;
      return { via: 'socket', status: 200, body, ackMs };
    },
    waitForConnection(timeoutMs) {
      if (active() !== null) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(new Error('slack emulator: no Socket Mode connection in time'));
        }, timeoutMs);
        waiters.add(done);
      });
    },
    close() {
      if (pingTimer !== null) clearInterval(pingTimer);
      for (const s of sockets) s.terminate();
      sockets.clear();
      wss?.close();
      for (const resolve of pendingAcks.values()) resolve(undefined);
      pendingAcks.clear();
    },
  };
}
