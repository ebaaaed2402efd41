// A local Slack: the Web API subset handoff calls, with Slack's shapes, limits and errors, and Slack's side
// toward the app (signed interactivity requests in HTTP mode, envelopes over a Socket Mode WebSocket).
// Serves the tests, the benchmarks and `handoff demo`. It behaves like Slack, it is not a mock of our code.
// This file runs the server and routes its paths; the modules beside it hold the state (state.ts), the Web API
// (web-api.ts), Slack acting toward the app (interactivity.ts over delivery.ts or socket-mode.ts) and the
// control surface (control.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenLocal, type MountedHandler } from '../../../src/runtime/local-server.js';
import { createControl, serveControl, type SlackEmulatorControl } from './control.js';
import { createHttpDelivery } from './delivery.js';
import { readText, send, serveControlPath } from './http.js';
import { createInteractivity } from './interactivity.js';
import { createSocketMode } from './socket-mode.js';
import { createSlackState } from './state.js';
import { createWebApi } from './web-api.js';

export { validateBlocks } from './block-validation.js';
export {
  signSlackRequest,
  type DeliveryResult,
  type HttpTransport,
  type HttpTransportAnswer,
  type HttpTransportRequest,
  type Signing,
} from './delivery.js';
export type { SlackEmulatorControl } from './control.js';
export type { ClickInput, SlashCommandInput, SubmitInput } from './interactivity.js';
export type {
  EmulatorChannel,
  EmulatorUser,
  FaultSpec,
  MessageEdit,
  RecordedCall,
  RecordedEphemeral,
  RecordedMessage,
  RecordedView,
} from './state.js';

export interface SlackEmulatorOptions {
  port?: number;
  host?: string;
  /** Enforce chat.postMessage's ≈1 message per second per channel (bursts allowed). Default true. */
  rateLimit?: boolean | { perSecond: number; burst: number };
  signingSecret: string;
  botToken: string;
  appToken?: string;
  /** Where HTTP-mode interactivity goes; can be set later with control.setRequestUrl. */
  requestUrl?: string;
  /** Trigger id lifetime (Slack: 3 s). */
  triggerTtlMs?: number;
  /** Bot token scopes, reported in X-OAuth-Scopes like Slack does (default: what handoff needs). */
  scopes?: string[];
  /** How long to wait for an app's ack (Slack: 3 s). */
  ackTimeoutMs?: number;
  now?: () => number;
}

/** An extra page served by the emulator (the demo's /demo): src/runtime/local-server.ts. */
export type { MountedHandler };

export interface SlackEmulator {
  url: string;
  apiUrl: string;
  control: SlackEmulatorControl;
  /** Serves extra pages beside the emulated API; asked first, in the order mounted. */
  mount(handler: MountedHandler): void;
  close(): Promise<void>;
}

export async function startSlackEmulator(options: SlackEmulatorOptions): Promise<SlackEmulator> {
  const ackTimeoutMs = options.ackTimeoutMs ?? 3000;
  const state = createSlackState({ now: options.now ?? Date.now, requestUrl: options.requestUrl ?? null });
  const socketMode = createSocketMode(state, { ackTimeoutMs });
  const http = createHttpDelivery(state, { signingSecret: options.signingSecret, ackTimeoutMs });
  const webApi = createWebApi(state, socketMode, {
    botToken: options.botToken,
    appToken: options.appToken,
    scopes: options.scopes ?? [
      'channels:history',
      'chat:write',
      'commands',
      'groups:history',
      'im:history',
      'im:write',
      'users:read',
      'users:read.email',
    ],
    triggerTtlMs: options.triggerTtlMs ?? 3000,
    rateLimit:
      options.rateLimit === false
        ? null
        : options.rateLimit === true || options.rateLimit === undefined
          ? { perSecond: 1, burst: 3 }
          : options.rateLimit,
  });
  const interactivity = createInteractivity(state, socketMode, http);
  const control = createControl(state, socketMode, interactivity);

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const raw = await readText(req);
    if (await serveControlPath(req, url, res, (route) => serveControl(control, state, route, raw, res))) return;
    if (url.pathname.startsWith('/__response/') && req.method === 'POST') {
      const r = interactivity.respond(url.pathname.slice('/__response/'.length), raw);
      send(res, r.status, r.body);
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      webApi.serve(url.pathname.slice('/api/'.length), req, url.searchParams, raw, res);
      return;
    }
    send(res, 404, 'Not Found');
  }

  const local = await listenLocal(
    (req, res) =>
      onRequest(req, res).catch((err: unknown) => {
        if (!res.headersSent)
          send(res, 500, { ok: false, error: err instanceof Error ? err.message : 'internal_error' });
      }),
    options,
  );
  local.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
    socketMode.upgrade(req, socket, head),
  );
  state.baseUrl = local.url;

  return {
    url: state.baseUrl,
    apiUrl: `${state.baseUrl}/api/`,
    control,
    mount: (handler: MountedHandler) => local.mount(handler),
    async close() {
      socketMode.close();
      http.close();
      await local.close();
    },
  };
}

/** Ids the emulator uses for its own workspace and app (tests compare against them). */
