// One authenticated jsforce connection for the lead source, the CRM adapter and setup checks.
// Three OAuth flows (client credentials, JWT bearer, username-password through OAuth — never the SOAP login),
// re-authentication on INVALID_SESSION_ID through a refreshFn that runs the configured flow again (jsforce
// 3.10.16 does not do it by itself for client credentials and JWT: api-notes §3.1), API usage read from the
// Sforce-Limit-Info header after every call, and every failure thrown as a classified ConnectorError.
import { sign as signWithKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Connection } from 'jsforce';
import type { HttpMethods, HttpRequest, HttpRequestOptions } from 'jsforce';
import { ConnectorError } from '../../src/ports/failure.js';
import { classifySalesforceError } from './salesforce.errors.js';
import type { Logger } from '../../src/ports/logger.js';

export type SalesforceAuthOptions =
  | { flow: 'client_credentials'; clientId: string; clientSecret: string }
  | {
      flow: 'jwt';
      clientId: string;
      username: string;
      /** PEM text of the private key (from the environment), or… */
      privateKey?: string | null;
      /** …a path to a PEM file. */
      privateKeyFile?: string | null;
      /** The JWT `aud`; defaults to loginUrl (use https://test.salesforce.com for sandboxes behind My Domain). */
      audience?: string;
    }
  | {
      flow: 'password';
      clientId: string;
      clientSecret: string;
      username: string;
      password: string;
      /** Appended to the password when the org requires it. */
      securityToken?: string | null;
    };

export interface SalesforceConnectionOptions {
  /** https://login.salesforce.com, https://test.salesforce.com or a My Domain URL. */
  loginUrl: string;
  /** REST API version, e.g. "62.0". */
  apiVersion: string;
  auth: SalesforceAuthOptions;
  /** Per-request deadline. Default 60 s. */
  timeoutMs?: number;
  /** Retries jsforce does by itself for GET on 5xx/429 and socket errors. Default 2. */
  getRetries?: number;
  /** A second re-authentication within this window means fresh tokens are being refused: stop. Default 5 s. */
  minRefreshIntervalMs?: number;
}

/** The ports' pino-style logger. */
export type SalesforceLogger = Logger;

export interface SalesforceConnectionDeps {
  logger?: SalesforceLogger;
  now?: () => number;
}

export interface SalesforceUsage {
  used: number;
  limit: number;
}

export interface QueryPage<T> {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: T[];
}

export interface SalesforceSession {
  userId: string;
  orgId: string;
  instanceUrl: string;
}

export interface SalesforceConnection {
  readonly apiVersion: string;
  /** Authenticates (once; later calls reuse the session). */
  connect(): Promise<SalesforceSession>;
  /** The session, once connected. */
  session(): SalesforceSession | null;
  /** GET /query (or /queryAll when includeDeleted); one batch. */
  query<T>(soql: string, options?: { includeDeleted?: boolean }): Promise<QueryPage<T>>;
  /** GET a nextRecordsUrl; one batch. */
  queryMore<T>(nextRecordsUrl: string): Promise<QueryPage<T>>;
  /** Any REST call; path relative to /services/data/vXX.X (e.g. "/composite/sobjects"). */
  request<T>(method: HttpMethods, path: string, body?: unknown): Promise<T>;
  /** The last API usage Salesforce reported (Sforce-Limit-Info), or null before the first call. */
  usage(): SalesforceUsage | null;
  /** Called after every REST answer that carried usage. Returns an unsubscribe function. */
  onUsage(listener: (usage: SalesforceUsage) => void): () => void;
  /** Token requests made so far (first sign-in and re-authentications). */
  tokenRequests(): number;
}

const noopLogger: SalesforceLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => noopLogger,
};

/** Quotes a string for SOQL: backslash and quote escaped, control characters spelled out. */
export function soqlString(value: string): string {
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "\\'")
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `'${escaped}'`;
}

/** A string for a LIKE pattern: as soqlString, with % and _ taken literally. */
export function soqlLikeString(value: string, prefix = '', suffix = ''): string {
  const inner = soqlString(value).slice(1, -1).replace(/%/g, '\\%').replace(/_/g, '\\_');
  return `'${prefix}${inner}${suffix}'`;
}

/** An unquoted SOQL dateTime literal, second precision (what Salesforce stores), rounded down. */
export function soqlDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Epoch ms of a Salesforce dateTime value ("2026-01-05T10:00:01.000+0000"). */
export function parseSalesforceTime(value: string): number {
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(ms)) throw new Error(`not a Salesforce dateTime: ${value}`);
  return ms;
}

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

/** An RS256-signed JWT bearer assertion (valid for 3 minutes, as Salesforce requires). */
export function signJwtAssertion(input: {
  clientId: string;
  username: string;
  audience: string;
  privateKey: string;
  now: number;
}): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({
      iss: input.clientId,
      sub: input.username,
      aud: input.audience,
      exp: Math.floor(input.now / 1000) + 180,
    }),
  );
  const signature = signWithKey('RSA-SHA256', Buffer.from(`${header}.${claims}`), input.privateKey);
  return `${header}.${claims}.${base64url(signature)}`;
}

export function createSalesforceConnection(
  options: SalesforceConnectionOptions,
  deps: SalesforceConnectionDeps = {},
): SalesforceConnection {
  const log = (deps.logger ?? noopLogger).child({ component: 'salesforce' });
  const now = deps.now ?? Date.now;
  const auth = options.auth;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? 5_000;
  const requestOptions: HttpRequestOptions = {
    timeout: timeoutMs,
    retry: { maxRetries: options.getRetries ?? 2, minTimeout: 250, timeoutFactor: 2 },
  };
  let tokens = 0;
  let lastUsage: SalesforceUsage | null = null;
  let current: SalesforceSession | null = null;
  let connecting: Promise<SalesforceSession> | null = null;
  let lastSignInAt: number | null = null;
  /** A re-authentication happened and no call has succeeded since: a second one right away means a loop. */
  let unconfirmedRefresh = false;
  let privateKey: string | null = null;
  const listeners = new Set<(u: SalesforceUsage) => void>();

  const conn = new Connection({
    loginUrl: options.loginUrl,
    version: options.apiVersion,
    oauth2:
      auth.flow === 'jwt'
        ? { clientId: auth.clientId, loginUrl: options.loginUrl }
        : { clientId: auth.clientId, clientSecret: auth.clientSecret, loginUrl: options.loginUrl },
    refreshFn: (c, callback) => {
      const since = lastSignInAt;
      if (unconfirmedRefresh && since !== null && now() - since < minRefreshIntervalMs) {
        callback(new Error('Salesforce refused a session issued moments ago (INVALID_SESSION_ID right after sign-in)'));
        return;
      }
      unconfirmedRefresh = true;
      log.info({ flow: auth.flow }, 'session expired; signing in again');
      signIn().then(
        () => callback(null, c.accessToken ?? undefined),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    },
  });

  async function loadPrivateKey(): Promise<string> {
    if (auth.flow !== 'jwt') throw new Error('no private key for this flow');
    if (privateKey !== null) return privateKey;
    if (auth.privateKey) privateKey = auth.privateKey.replace(/\\n/g, '\n');
    else if (auth.privateKeyFile) privateKey = await readFile(auth.privateKeyFile, 'utf8');
    else
      throw new ConnectorError('salesforce', { kind: 'auth', reason: 'JWT flow needs privateKey or privateKeyFile' });
    return privateKey;
  }

  /** Runs the configured flow: one token request. */
  async function signIn(): Promise<SalesforceSession> {
    tokens += 1;
    lastSignInAt = now();
    switch (auth.flow) {
      case 'client_credentials':
        await conn.authorize({ grant_type: 'client_credentials' });
        break;
      case 'jwt': {
        const assertion = signJwtAssertion({
          clientId: auth.clientId,
          username: auth.username,
          audience: auth.audience ?? options.loginUrl.replace(/\/$/, ''),
          privateKey: await loadPrivateKey(),
          now: now(),
        });
        await conn.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
        break;
      }
      case 'password':
        // The OAuth 2.0 username-password flow (what conn.login does when clientId and clientSecret are set),
        // called directly so a missing secret can never fall back to the retiring SOAP login.
        await conn.loginByOAuth2(auth.username, auth.password + (auth.securityToken ?? ''));
        break;
    }
    const info = conn.userInfo;
    current = { userId: info?.id ?? '', orgId: info?.organizationId ?? '', instanceUrl: conn.instanceUrl };
    log.debug({ flow: auth.flow, instanceUrl: conn.instanceUrl }, 'signed in');
    return current;
  }

  function connect(): Promise<SalesforceSession> {
    if (current !== null) return Promise.resolve(current);
    connecting ??= signIn().catch((err: unknown) => {
      connecting = null;
      throw new ConnectorError('salesforce', classifySalesforceError(err), { cause: err });
    });
    return connecting;
  }

  function recordUsage(): void {
    const u = conn.limitInfo?.apiUsage;
    if (!u) return;
    if (lastUsage !== null && lastUsage.used === u.used && lastUsage.limit === u.limit) {
      for (const l of listeners) l(lastUsage);
      return;
    }
    lastUsage = { used: u.used, limit: u.limit };
    for (const l of listeners) l(lastUsage);
  }

  async function call<T>(op: string, run: () => Promise<T>): Promise<T> {
    await connect();
    try {
      const result = await run();
      unconfirmedRefresh = false;
      recordUsage();
      return result;
    } catch (err) {
      recordUsage();
      const failure = classifySalesforceError(err);
      log.debug({ op, failure }, 'salesforce call failed');
      throw new ConnectorError('salesforce', failure, { cause: err });
    }
  }

  const send = <T>(req: HttpRequest): Promise<T> => conn.request<T>(req, requestOptions) as Promise<T>;

  return {
    apiVersion: options.apiVersion,
    connect,
    session: () => current,
    query: <T>(soql: string, opts?: { includeDeleted?: boolean }) =>
      call('query', () =>
        send<QueryPage<T>>({
          method: 'GET',
          url: `/${opts?.includeDeleted ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`,
        }),
      ),
    queryMore: <T>(nextRecordsUrl: string) =>
      call('queryMore', () => send<QueryPage<T>>({ method: 'GET', url: nextRecordsUrl })),
    request: <T>(method: HttpMethods, path: string, body?: unknown) =>
      call(`${method} ${path}`, () =>
        send<T>(
          body === undefined
            ? { method, url: path }
            : { method, url: path, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
        ),
      ),
    usage: () => lastUsage,
    onUsage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    tokenRequests: () => tokens,
  };
}
