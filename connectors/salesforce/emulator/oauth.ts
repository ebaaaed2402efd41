// The OAuth token endpoint (/services/oauth2/token) and the sessions it issues: client credentials (running as
// the integration user), username-password and the JWT bearer flow (RS256 assertion signed with the client's
// certificate key), with Salesforce's error bodies; tokens expire after their lifetime (INVALID_SESSION_ID).
import { createHmac, createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Answer } from './http.js';
import type { Org } from './state.js';

export interface SalesforceEmulatorClient {
  clientId: string;
  clientSecret: string;
  /** Users who may sign in through this client (password flow needs the password; JWT only the username). */
  users?: Array<{ username: string; password: string }>;
  /** PEM public key (certificate key) that verifies JWT bearer assertions signed for this client. */
  jwtPublicKey?: string;
}

interface TokenInfo {
  userId: string;
  clientId: string;
  expiresAt: number;
}

export interface OAuth {
  /** Answers a token request (its form-encoded body). */
  token(form: string): Answer;
  /** The User id a bearer token runs as, or null when the token is unknown or expired. */
  session(authorization: string | undefined): string | null;
  expireTokens(): void;
  setTokenTtl(ms: number): void;
}

const ORG_ID = '00D000000000001AAA';

export function createOAuth(
  org: Org,
  options: {
    clients: SalesforceEmulatorClient[];
    tokenTtlMs: number;
    now: () => number;
    /** The emulator's own URL: the instance_url of tokens and the audience of JWT assertions. */
    baseUrl: () => string;
  },
): OAuth {
  const { clients, now, baseUrl } = options;
  let tokenTtlMs = options.tokenTtlMs;
  const tokens = new Map<string, TokenInfo>();
  const jwtKeys = new Map<string, KeyObject>();
  for (const c of clients) if (c.jwtPublicKey) jwtKeys.set(c.clientId, createPublicKey(c.jwtPublicKey));

  // Every user who may sign in exists as a User of the org.
  const loginUsers = new Map<string, string>(); // username (lower) → User id
  for (const c of clients) {
    for (const u of c.users ?? []) {
      if (loginUsers.has(u.username.toLowerCase())) continue;
      const rec = org.insert(
        'User',
        {
          Username: u.username,
          Email: u.username,
          LastName: u.username,
          Name: u.username,
          IsActive: true,
          UserType: 'Standard',
        },
        org.integrationUserId,
      );
      loginUsers.set(u.username.toLowerCase(), rec['Id'] as string);
    }
  }

  function issueToken(clientId: string, userId: string, secret: string): Answer {
    const url = baseUrl();
    const accessToken = `${ORG_ID}!${randomBytes(24).toString('base64url')}`;
    tokens.set(accessToken, { userId, clientId, expiresAt: now() + tokenTtlMs });
    const issuedAt = String(now());
    const id = `${url}/id/${ORG_ID}/${userId}`;
    return {
      status: 200,
      body: {
        access_token: accessToken,
        instance_url: url,
        id,
        token_type: 'Bearer',
        issued_at: issuedAt,
        signature: createHmac('sha256', secret)
          .update(id + issuedAt)
          .digest('base64'),
        scope: 'api',
      },
    };
  }

  const oauthError = (status: number, error: string, description: string): Answer => ({
    status,
    body: { error, error_description: description },
  });

  function jwtBearer(assertion: string): Answer {
    const parts = assertion.split('.');
    if (parts.length !== 3) return oauthError(400, 'invalid_grant', 'invalid assertion');
    const [h, p, s] = parts as [string, string, string];
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return oauthError(400, 'invalid_grant', 'invalid assertion');
    }
    const client = clients.find((c) => c.clientId === claims['iss']);
    if (!client) return oauthError(400, 'invalid_client_id', 'client identifier invalid');
    const key = jwtKeys.get(client.clientId);
    if (header['alg'] !== 'RS256' || !key) return oauthError(400, 'invalid_grant', 'invalid assertion');
    const valid = verifySignature('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
    if (!valid) return oauthError(400, 'invalid_grant', 'invalid assertion');
    const aud = String(claims['aud'] ?? '').replace(/\/$/, '');
    if (aud !== baseUrl()) return oauthError(400, 'invalid_grant', 'audience is invalid');
    const exp = claims['exp'];
    if (typeof exp !== 'number' || exp * 1000 <= now())
      return oauthError(400, 'invalid_grant', 'expired authorization code');
    const username = String(claims['sub'] ?? '');
    const allowed = (client.users ?? []).some((u) => u.username.toLowerCase() === username.toLowerCase());
    const userId = loginUsers.get(username.toLowerCase());
    if (!allowed || userId === undefined) return oauthError(400, 'invalid_grant', "user hasn't approved this consumer");
    return issueToken(client.clientId, userId, client.clientSecret);
  }

  function token(form: string): Answer {
    const params = new URLSearchParams(form);
    const grant = params.get('grant_type');
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') return jwtBearer(params.get('assertion') ?? '');
    const client = clients.find((c) => c.clientId === params.get('client_id'));
    if (!client) return oauthError(400, 'invalid_client_id', 'client identifier invalid');
    if (client.clientSecret !== params.get('client_secret'))
      return oauthError(400, 'invalid_client', 'invalid client credentials');
    if (grant === 'client_credentials') return issueToken(client.clientId, org.integrationUserId, client.clientSecret);
    if (grant === 'password') {
      const username = params.get('username') ?? '';
      const user = (client.users ?? []).find((u) => u.username.toLowerCase() === username.toLowerCase());
      const userId = loginUsers.get(username.toLowerCase());
      if (!user || user.password !== params.get('password') || userId === undefined) {
        return oauthError(400, 'invalid_grant', 'authentication failure');
      }
      return issueToken(client.clientId, userId, client.clientSecret);
    }
    return oauthError(400, 'unsupported_grant_type', 'grant type not supported');
  }

  return {
    token,
    session(authorization) {
      const auth = authorization ?? '';
      const info = auth.startsWith('Bearer ') ? tokens.get(auth.slice(7)) : undefined;
      return info && info.expiresAt > now() ? info.userId : null;
    },
    expireTokens() {
      for (const t of tokens.values()) t.expiresAt = 0;
    },
    setTokenTtl(ms) {
      tokenTtlMs = ms;
    },
  };
}
