// The app's access token for the Bot Connector API: OAuth 2.0 client credentials against Entra
// (login.microsoftonline.com/<tenant or botframework.com>/oauth2/v2.0/token, scope
// https://api.botframework.com/.default), cached until shortly before it expires, one request at a time.
//
// Why our own request and not the Agents SDK's MsalTokenProvider: MSAL only talks to an https authority it can
// discover, so it cannot be pointed at the emulator's token endpoint; the request itself is one form POST.
// Kept apart from teams.client.ts so the emulator and doctor can use it without loading the SDK.
import { ConnectorError } from '../../src/ports/failure.js';
import { classifyTeamsHttp, errorCodeOf, teamsConnectorError } from './teams.errors.js';

/** The scope of a token for the Bot Connector API. */
export const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com/.default';

export function defaultTokenUrl(tenantId: string | null | undefined): string {
  return `https://login.microsoftonline.com/${tenantId ?? 'botframework.com'}/oauth2/v2.0/token`;
}

export interface TokenSource {
  /** A valid token, from the cache when it has some life left. */
  get(): Promise<{ token: string; fresh: boolean }>;
  /** This token was refused (401): do not hand it out again. */
  invalidate(token: string): void;
}

/** Client-credentials tokens for the Bot Connector, cached until shortly before they expire, one request at a time. */
export function createTokenSource(
  options: {
    appId: string;
    appPassword: string;
    tenantId?: string | null;
    tokenUrl?: string | null;
    timeoutMs?: number;
  },
  now: () => number = Date.now,
): TokenSource {
  const url = options.tokenUrl ?? defaultTokenUrl(options.tenantId);
  let cached: { token: string; refreshAt: number } | null = null;
  let pending: Promise<{ token: string; refreshAt: number }> | null = null;

  async function request(): Promise<{ token: string; refreshAt: number }> {
    const started = now();
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: options.appId,
          client_secret: options.appPassword,
          scope: BOT_FRAMEWORK_SCOPE,
        }).toString(),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw teamsConnectorError(err, 'token');
    }
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (!res.ok) {
      const code = errorCodeOf(body);
      const failure = classifyTeamsHttp({ status: res.status, retryAfter: res.headers.get('retry-after'), code });
      // invalid_client, unauthorized_client, invalid_scope …: our registration or secret, not the request.
      const kind = res.status === 400 && code !== null ? 'auth' : failure.kind;
      throw new ConnectorError('teams', { ...failure, kind, reason: `token: ${failure.reason}` });
    }
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const token = record.access_token;
    const expiresIn = Number(record.expires_in);
    if (typeof token !== 'string' || token === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new ConnectorError('teams', { kind: 'transient', reason: 'token: answer without access_token/expires_in' });
    }
    const lifetime = expiresIn * 1000;
    // Renew 5 minutes before expiry (half the lifetime for short-lived tokens).
    return { token, refreshAt: started + lifetime - Math.min(300_000, lifetime / 2) };
  }

  return {
    async get() {
      if (cached !== null && now() < cached.refreshAt) return { token: cached.token, fresh: false };
      pending ??= request().finally(() => {
        pending = null;
      });
      cached = await pending;
      return { token: cached.token, fresh: true };
    },
    invalidate(token) {
      if (cached?.token === token) cached = null;
    },
  };
}
