// A local Microsoft Teams, as the Bot Framework shows it to a bot: the OpenID metadata and signing keys the bot
// checks our activities against, the Entra token endpoint for the bot's own calls, the Bot Connector
// conversations API (1:1 chats, channel posts and threads, updates, roster look-ups) with Teams' limits and
// errors, and Teams acting toward the bot (signed install events, Adaptive Card invokes, typed messages).
// Serves the tests, the benchmarks and `handoff demo --chat teams`. It behaves like Teams, it is not a mock of
// our code. This file runs the server and routes its paths; the modules beside it hold the state (state.ts), the
// keys and tokens (signing.ts), the API the bot calls (connector-api.ts), Teams toward the bot (activities.ts)
// and the control surface (control.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenLocal, type MountedHandler } from '../../../src/runtime/local-server.js';
import { readText, send, serveControlPath } from '../../slack/emulator/http.js';
import { createActivities } from './activities.js';
import { createConnectorApi } from './connector-api.js';
import { createControl, serveControl, type TeamsEmulatorControl } from './control.js';
import { createSigner } from './signing.js';
import { createTeamsState } from './state.js';

export type { TeamsEmulatorControl } from './control.js';
export type { DeliveryResult, InstallInput, InvokeInput, MessageInput, RawActivityInput } from './activities.js';
export type { SigningFaults } from './signing.js';
export type {
  ConnectorOp,
  EmulatorChannel,
  EmulatorConversation,
  EmulatorUser,
  FaultSpec,
  RecordedCall,
  RecordedMessage,
} from './state.js';
export { MESSAGE_LIMIT_BYTES } from './connector-api.js';

/** The tenant the emulator plays (tests compare against it). */
export const EMULATOR_TENANT_ID = '72f988bf-0000-4000-8000-00000000e1a1';

export interface TeamsEmulatorOptions {
  port?: number;
  host?: string;
  /** The bot's Microsoft App ID and client secret (the token endpoint checks them; tokens are for this audience). */
  appId: string;
  appPassword: string;
  tenantId?: string;
  botName?: string;
  /** Where activities go (the worker's POST /teams/messages); can be set later with control.setRequestUrl. */
  requestUrl?: string;
  /** Enforce Teams' limits for bots: per conversation 7/1 s, 8/2 s, 60/30 s, 1800/h; per app 50/s. Default true. */
  rateLimit?: boolean;
  /** Lifetime of the access tokens issued (default 3600 s, as Entra). */
  tokenTtlSec?: number;
  /** How long Teams waits for the bot's answer (default 15 s). */
  deliveryTimeoutMs?: number;
  now?: () => number;
}

/** An extra page served by the emulator (the demo's /demo): src/runtime/local-server.ts. */
export type { MountedHandler };

export interface TeamsEmulator {
  url: string;
  /** The serviceUrl in the activities it sends (…/teams/), as Teams' https://smba.trafficmanager.net/teams/. */
  serviceUrl: string;
  /** msteams.openIdMetadataUrl for the worker. */
  openIdMetadataUrl: string;
  /** msteams.tokenUrl for the worker. */
  tokenUrl: string;
  tenantId: string;
  /** The bot's id in conversations (28:<app id>). */
  botId: string;
  control: TeamsEmulatorControl;
  mount(handler: MountedHandler): void;
  close(): Promise<void>;
}

export async function startTeamsEmulator(options: TeamsEmulatorOptions): Promise<TeamsEmulator> {
  const tenantId = options.tenantId ?? EMULATOR_TENANT_ID;
  const state = createTeamsState({
    appId: options.appId,
    appPassword: options.appPassword,
    tenantId,
    botName: options.botName ?? 'handoff',
    requestUrl: options.requestUrl ?? null,
    rateLimit: options.rateLimit ?? true,
    now: options.now ?? Date.now,
  });
  const signer = createSigner();
  const api = createConnectorApi(state, signer, { tokenTtlSec: options.tokenTtlSec ?? 3600 });
  const activities = createActivities(state, signer, { timeoutMs: options.deliveryTimeoutMs ?? 15_000 });
  const control = createControl(state, activities, signer);

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const raw = await readText(req);
    if (await serveControlPath(req, url, res, (route) => serveControl(control, route, raw, res))) return;
    if (api.serve(req, url, raw, res)) return;
    send(res, 404, 'Not Found');
  }

  const local = await listenLocal(
    (req, res) =>
      onRequest(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, { error: { code: 'InternalServerError', message: String(err) } });
      }),
    options,
  );
  state.baseUrl = local.url;

  return {
    url: state.baseUrl,
    serviceUrl: state.serviceUrl(),
    openIdMetadataUrl: `${state.baseUrl}/v1/.well-known/openidconfiguration`,
    tokenUrl: `${state.baseUrl}/${tenantId}/oauth2/v2.0/token`,
    tenantId,
    botId: state.botId,
    control,
    mount: (handler) => local.mount(handler),
    close: () => local.close(),
  };
}
