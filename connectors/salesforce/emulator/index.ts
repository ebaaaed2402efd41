// A local Salesforce for tests, benchmarks and `handoff demo`: the OAuth token endpoint (oauth.ts), the REST
// query resources with nextRecordsUrl paging (query.ts), describe and sObject writes with per-record
// SaveResults (sobjects.ts), the API allowance with Sforce-Limit-Info, REQUEST_LIMIT_EXCEEDED and a fault
// switch (limits.ts), over one org (state.ts, schema.ts). Shapes follow reference/api-notes.md §3. A control
// API (control.ts; in process and under /__control) seeds and inspects the org. This file is the server: it
// routes each request to its area and checks, in Salesforce's order, what every REST request must pass.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenLocal } from '../../../src/runtime/local-server.js';
import { controlRequest, createControl } from './control.js';
import type { SalesforceEmulatorControl } from './control.js';
import { NOT_FOUND, readText, sendJson, SfApiError } from './http.js';
import type { Answer } from './http.js';
import { createLimits, endpointKey } from './limits.js';
import { createOAuth } from './oauth.js';
import type { SalesforceEmulatorClient } from './oauth.js';
import { createQueryApi } from './query.js';
import { createSObjectsApi } from './sobjects.js';
import { createOrg } from './state.js';

export type { SalesforceEmulatorControl } from './control.js';
export type { CallCounts, FaultSpec } from './limits.js';
export type { SalesforceEmulatorClient } from './oauth.js';
export type { EmulatedObject, EmulatorFieldDef, SeedRecord, SfFieldType, SfRecord, SfValue } from './schema.js';

export interface SalesforceEmulatorOptions {
  port?: number;
  host?: string;
  /** Highest API version served (requests for newer versions get 404). Default '62.0'. */
  apiVersion?: string;
  /** Access-token lifetime. Default 2 h. */
  tokenTtlMs?: number;
  /** DailyApiRequests allowance. Default 100,000. */
  dailyLimit?: number;
  /** Records per query batch before nextRecordsUrl paging. Default 2000 (Salesforce's maximum). */
  queryBatchSize?: number;
  clients: SalesforceEmulatorClient[];
  /** The emulator's clock. Default Date.now. */
  now?: () => number;
}

export interface SalesforceEmulator {
  url: string;
  control: SalesforceEmulatorControl;
  close(): Promise<void>;
}

export async function startSalesforceEmulator(options: SalesforceEmulatorOptions): Promise<SalesforceEmulator> {
  const now = options.now ?? Date.now;
  const apiVersion = options.apiVersion ?? '62.0';
  let url = '';
  const org = createOrg(now);
  const oauth = createOAuth(org, {
    clients: options.clients,
    tokenTtlMs: options.tokenTtlMs ?? 2 * 60 * 60_000,
    now,
    baseUrl: () => url,
  });
  const limits = createLimits(options.dailyLimit ?? 100_000);
  const queries = createQueryApi(org, { batchSize: options.queryBatchSize ?? 2000, now });
  const sobjects = createSObjectsApi(org);
  const control = createControl(org, limits, oauth);

  /** Sends an answer of the REST API: every one carries Sforce-Limit-Info. */
  const answerRest = (res: ServerResponse, answer: Answer): void =>
    sendJson(res, answer.status, answer.body, limits.header());

  async function handleRest(
    req: IncomingMessage,
    res: ServerResponse,
    ver: string,
    rest: string,
    search: URLSearchParams,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const key = endpointKey(method, rest);
    limits.countRest(key);
    const fault = limits.takeFault(key);
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault) return answerRest(res, fault);
    if (Number(ver) > Number(apiVersion))
      return answerRest(res, { status: 404, body: [{ errorCode: 'NOT_FOUND', message: NOT_FOUND }] });
    const actor = oauth.session(req.headers.authorization);
    if (actor === null) {
      return answerRest(res, {
        status: 401,
        body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }],
      });
    }
    const refused = limits.spend();
    if (refused) return answerRest(res, refused);
    const raw = method === 'GET' ? '' : await readText(req);
    let body: unknown = undefined;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        throw new SfApiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
      }
    }

    if (method === 'GET' && (rest === 'query' || rest === 'queryAll')) {
      const soql = search.get('q');
      if (!soql) throw new SfApiError(400, 'MALFORMED_QUERY', 'no query given');
      return answerRest(res, { status: 200, body: queries.query(soql, ver, rest === 'queryAll') });
    }
    const more = /^(?:query|queryAll)\/([A-Za-z0-9]+)-(\d+)$/.exec(rest);
    if (method === 'GET' && more)
      return answerRest(res, { status: 200, body: queries.queryMore(more[1] as string, Number(more[2]), ver) });
    if (rest === 'composite/sobjects' && (method === 'PATCH' || method === 'POST'))
      return answerRest(res, sobjects.collection(method, body, actor));
    const create = /^sobjects\/([^/]+)$/.exec(rest);
    if (method === 'POST' && create) return answerRest(res, sobjects.create(create[1] as string, body, actor));
    const describeMatch = /^sobjects\/([^/]+)\/describe$/.exec(rest);
    if (method === 'GET' && describeMatch) return answerRest(res, sobjects.describe(describeMatch[1] as string));
    if (method === 'GET' && rest === 'limits') return answerRest(res, limits.resource());
    throw new SfApiError(404, 'NOT_FOUND', NOT_FOUND);
  }

  async function handleControl(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    search: URLSearchParams,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const raw = method === 'GET' ? '' : await readText(req);
    const body = (raw === '' ? {} : JSON.parse(raw)) as Record<string, unknown>;
    const answer = controlRequest(control, org, { method, path, search, body });
    sendJson(res, answer.status, answer.body);
  }

  const local = await listenLocal((req, res) => {
    const u = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = u.pathname;
    const handle = async (): Promise<void> => {
      if (path === '/services/oauth2/token' && req.method === 'POST') {
        limits.countToken();
        const answer = oauth.token(await readText(req));
        return sendJson(res, answer.status, answer.body);
      }
      const rest = /^\/services\/data\/v(\d+\.\d)\/(.*)$/.exec(path);
      if (rest) return handleRest(req, res, rest[1] as string, (rest[2] as string).replace(/\/$/, ''), u.searchParams);
      if (path.startsWith('/__control/'))
        return handleControl(req, res, path.slice('/__control/'.length), u.searchParams);
      sendJson(res, 404, [{ errorCode: 'NOT_FOUND', message: NOT_FOUND }]);
    };
    handle().catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof SfApiError) {
        const e: Record<string, unknown> = { message: err.message, errorCode: err.errorCode };
        if (err.fields) e['fields'] = err.fields;
        sendJson(res, err.status, [e], path.startsWith('/services/data/') ? limits.header() : {});
        return;
      }
      sendJson(res, 500, [
        { errorCode: 'UNKNOWN_EXCEPTION', message: err instanceof Error ? err.message : String(err) },
      ]);
    });
  }, options);

  url = local.url;

  return {
    url,
    control,
    close: () => local.close(),
  };
}
