// A local HubSpot: the subset of the CRM API that handoff calls, with HubSpot's shapes, limits, paging, rate limits,
// errors, indexing lag and signed webhooks. Serves the connector tests, the benchmarks and `handoff demo`.
// This file is the server: it routes each call through faults, auth, scopes and rate limits to the API areas,
// and answers the control API under /__control/<method>.
import { readBody } from '../../../src/runtime/read-body.js';
import type http from 'node:http';
import { listenLocal } from '../../../src/runtime/local-server.js';
import { createAccess } from './access.js';
import { createCompanies } from './companies.js';
import { createContacts } from './contacts.js';
import { createRateLimits } from './limits.js';
import { createNotes } from './notes.js';
import { createOwners } from './owners.js';
import { createProperties } from './properties.js';
import { createSearch } from './search.js';
import { createCallLog, createEmulatorState, isRecord } from './state.js';
import type { HubspotEmulator, HubspotEmulatorControl, HubspotEmulatorOptions } from './types.js';
import { createWebhooks } from './webhooks.js';
import { HttpFailure, errorBody, type Route } from './wire.js';

export type {
  EmulatorCompanySeed,
  EmulatorContactSeed,
  EmulatorContactView,
  EmulatorFault,
  EmulatorNoteView,
  EmulatorOwnerSeed,
  EmulatorPropertyDef,
  EmulatorWebhookDelivery,
  HubspotEmulator,
  HubspotEmulatorControl,
  HubspotEmulatorOptions,
  HubspotEmulatorWebhookOptions,
} from './types.js';

/** HubSpot answers bodies past its limits itself (search's 3,000 characters); this only guards the emulator. */
async function readText(req: http.IncomingMessage): Promise<string> {
  const body = await readBody(req, 8_000_000);
  if (body === null) throw new Error('request body over 8 MB');
  return body.toString('utf8');
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function startHubspotEmulator(options: HubspotEmulatorOptions = {}): Promise<HubspotEmulator> {
  const state = createEmulatorState(options.now ?? Date.now);
  const properties = createProperties(state);
  const search = createSearch(state, options.indexDelayMs ?? 0);
  const webhooks = createWebhooks(state, options.portalId ?? 123456, options.webhook);
  const contacts = createContacts(state, search, webhooks);
  const companies = createCompanies(state, search);
  const owners = createOwners(state);
  const notes = createNotes(state, contacts);
  const access = createAccess(options.tokens ?? ['emulator-token']);
  const rateLimits = createRateLimits(state, options.rateLimits);
  const calls = createCallLog();

  const routes: Route[] = [
    ...contacts.routes,
    ...companies.routes,
    ...owners.routes,
    ...notes.routes,
    ...properties.routes,
  ];
  const control: HubspotEmulatorControl = {
    ...contacts.control,
    ...companies.control,
    ...owners.control,
    ...notes.control,
    ...properties.control,
    ...calls.control,
    ...access.control,
    ...webhooks.control,
    setIndexDelay: (ms) => search.setIndexDelay(ms),
  };

  /** POST /__control/<method> with `{ args: [...] }` (or one argument as the body) calls a control method. */
  async function handleControl(name: string, rawBody: string, res: http.ServerResponse): Promise<void> {
    const fn = (control as unknown as Record<string, unknown>)[name];
    if (typeof fn !== 'function') {
      send(res, 404, { error: `unknown control method ${name}` });
      return;
    }
    let args: unknown[] = [];
    if (rawBody !== '') {
      const parsed: unknown = JSON.parse(rawBody);
      args = isRecord(parsed) && Array.isArray(parsed['args']) ? parsed['args'] : [parsed];
    }
    try {
      const result: unknown = await (fn as (...a: unknown[]) => unknown)(...args);
      send(res, 200, { result: result ?? null });
    } catch (err) {
      send(res, 400, { error: errorText(err) });
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawBody = await readText(req);
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/__control/')) {
      await handleControl(url.pathname.slice('/__control/'.length), rawBody, res).catch((err: unknown) =>
        send(res, 400, { error: errorText(err) }),
      );
      return;
    }
    const route = routes.find((r) => r.method === method && r.pattern.test(url.pathname));
    calls.count(route ? route.key : `${method} ${url.pathname}`);
    const f = calls.takeFault(url.pathname);
    if (f?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (f?.kind === 'slow') await new Promise((r) => setTimeout(r, f.delayMs));
    if (f?.kind === 'status') {
      send(res, f.status, f.body ?? errorBody('INTERNAL_ERROR', 'internal error'), f.headers ?? {});
      return;
    }
    if (!route) {
      send(res, 404, errorBody('OBJECT_NOT_FOUND', `No route for ${method} ${url.pathname}`));
      return;
    }
    let headers: Record<string, string> = {};
    try {
      access.checkAuth(req.headers['authorization']);
      access.requireScope(route.scope);
      headers = rateLimits.check(route.kind);
      const params = (route.pattern.exec(url.pathname) ?? []).slice(1).map((p) => decodeURIComponent(p));
      const out = route.handle(params, rawBody, url.searchParams);
      send(res, out.status, out.body, headers);
    } catch (err) {
      if (err instanceof HttpFailure) send(res, err.status, err.body, { ...headers, ...err.headers });
      else send(res, 500, errorBody('INTERNAL_ERROR', errorText(err)));
    }
  }

  // Failures outside HubSpot's own answers (a body that could not be read: the client went away) close the
  // connection.
  const local = await listenLocal(
    (req, res) =>
      handle(req, res).catch(() => {
        req.socket.destroy();
      }),
    options,
  );

  return {
    url: local.url,
    port: local.port,
    control,
    async close() {
      await webhooks.close();
      await local.close();
    },
  };
}
