// Authenticates requests from the Bot Framework (Teams) to POST /teams/messages, as the Bot Connector
// authentication spec requires: a Bearer JWT signed with a key from the OpenID metadata's jwks_uri, issued by
// https://api.botframework.com, for our app id, not expired (5 minutes of clock skew), its key endorsed for the
// activity's channel, and its `serviceurl` claim equal to the activity's serviceUrl.
//
// Why not the Agents SDK's authorizeJWT: it derives the keys URL from the issuer and hard-codes
// login.botframework.com (no OpenID metadata URL to set, so no emulator), also accepts the audience
// https://api.botframework.com, and does not compare the serviceUrl claim. The libraries it uses underneath do
// the cryptography here: jwks-rsa (keys cached per kid, fetched again for an unknown kid, rate limited) and
// jsonwebtoken (signature, algorithm, audience, issuer, expiry with tolerance).
import { createPublicKey, type KeyObject } from 'node:crypto';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';

export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';

export interface TeamsAuthOptions {
  /** Our Microsoft App ID: the only audience accepted. */
  appId: string;
  /** OpenID metadata of the token issuer (Bot Framework: https://login.botframework.com/v1/.well-known/openidconfiguration). */
  openIdMetadataUrl: string;
  /** The accepted issuer (default https://api.botframework.com). */
  issuer?: string;
  /** Clock skew allowed on exp/nbf, seconds (default 300, as the spec says). */
  clockToleranceSec?: number;
  /** How long signing keys and the metadata are kept before they are read again (default 24 h). */
  cacheMs?: number;
  /** Timeout of a metadata or keys request (default 10 s). */
  timeoutMs?: number;
  /** Clock (tests); milliseconds. */
  now?: () => number;
}

/** The claims we rely on, from a verified token. */
export interface TeamsClaims extends JwtPayload {
  serviceurl?: string;
  serviceUrl?: string;
}

export type TokenCheck = { ok: true; claims: TeamsClaims; endorsements: readonly string[] | null } | Refusal;
export type Refusal = { ok: false; reason: string };

export interface TeamsAuth {
  /** Step 1, before the body is trusted: the Authorization header's token. */
  verifyToken(authorization: string | undefined): Promise<TokenCheck>;
  /** Step 2, once the body is parsed: the token belongs to this activity (serviceUrl claim, key endorsement). */
  checkActivity(
    token: Extract<TokenCheck, { ok: true }>,
    activity: { serviceUrl: unknown; channelId: unknown },
  ): Refusal | { ok: true };
}

interface OpenIdMetadata {
  jwksUri: string;
  at: number;
}

function refuse(reason: string): Refusal {
  return { ok: false, reason };
}

function bearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const parts = authorization.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0]?.toLowerCase() !== 'bearer' || parts[1] === undefined) return null;
  return parts[1];
}

export function createTeamsAuth(options: TeamsAuthOptions): TeamsAuth {
  const issuer = options.issuer ?? BOT_FRAMEWORK_ISSUER;
  const tolerance = options.clockToleranceSec ?? 300;
  const cacheMs = options.cacheMs ?? 86_400_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;

  let metadata: OpenIdMetadata | null = null;
  let metadataLoading: Promise<OpenIdMetadata> | null = null;
  /** Per jwks_uri: the client (caches keys per kid) and the endorsements of each key seen in the key set. */
  const keySets = new Map<string, { client: jwksRsa.JwksClient; endorsements: Map<string, string[] | null> }>();

  async function getJson(url: string): Promise<unknown> {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`GET ${url}: http ${res.status}`);
    return res.json();
  }

  async function loadMetadata(): Promise<OpenIdMetadata> {
    const doc = await getJson(options.openIdMetadataUrl);
    const jwksUri = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).jwks_uri : undefined;
    if (typeof jwksUri !== 'string' || jwksUri === '') throw new Error('OpenID metadata without jwks_uri');
    return { jwksUri, at: now() };
  }

  async function currentMetadata(fresh: boolean): Promise<OpenIdMetadata> {
    if (metadata !== null && !fresh && now() - metadata.at < cacheMs) return metadata;
    metadataLoading ??= loadMetadata().finally(() => {
      metadataLoading = null;
    });
    metadata = await metadataLoading;
    return metadata;
  }

  function keySet(jwksUri: string): { client: jwksRsa.JwksClient; endorsements: Map<string, string[] | null> } {
    let set = keySets.get(jwksUri);
    if (set === undefined) {
      const endorsements = new Map<string, string[] | null>();
      const client = jwksRsa({
        jwksUri,
        cache: true,
        cacheMaxAge: cacheMs,
        cacheMaxEntries: 20,
        // An unknown kid makes jwks-rsa read the key set again: at most this often, whatever tokens arrive.
        rateLimit: true,
        jwksRequestsPerMinute: 10,
        timeout: timeoutMs,
        // Our own fetch of the key set, so the Bot Framework's `endorsements` of each key are kept.
        fetcher: async (uri: string) => {
          const body = await getJson(uri);
          const keys = typeof body === 'object' && body !== null ? (body as { keys?: unknown }).keys : undefined;
          if (!Array.isArray(keys)) throw new Error('key set without keys');
          for (const key of keys as Record<string, unknown>[]) {
            if (typeof key.kid !== 'string') continue;
            const e = key.endorsements;
            endorsements.set(key.kid, Array.isArray(e) ? e.filter((x): x is string => typeof x === 'string') : null);
          }
          return { keys };
        },
      });
      set = { client, endorsements };
      keySets.set(jwksUri, set);
    }
    return set;
  }

  /** Parsed public keys by PEM text (jsonwebtoken would parse the PEM again on every request). */
  const parsed = new Map<string, KeyObject>();
  function publicKey(pem: string): KeyObject {
    let key = parsed.get(pem);
    if (key === undefined) {
      if (parsed.size >= 50) parsed.clear();
      key = createPublicKey(pem);
      parsed.set(pem, key);
    }
    return key;
  }

  async function fromKeySet(jwksUri: string, kid: string): Promise<{ key: KeyObject; endorsements: string[] | null }> {
    const set = keySet(jwksUri);
    const found = await set.client.getSigningKey(kid);
    return { key: publicKey(found.getPublicKey()), endorsements: set.endorsements.get(kid) ?? null };
  }

  async function signingKey(kid: string): Promise<{ key: KeyObject; endorsements: string[] | null }> {
    const meta = await currentMetadata(false);
    try {
      return await fromKeySet(meta.jwksUri, kid);
    } catch (err) {
      // The key set may have moved: read the metadata again (not more than once every 5 minutes) and retry.
      if (now() - meta.at < 300_000) throw err;
      return fromKeySet((await currentMetadata(true)).jwksUri, kid);
    }
  }

  async function verifyToken(authorization: string | undefined): Promise<TokenCheck> {
    const token = bearerToken(authorization);
    if (token === null) return refuse(authorization === undefined ? 'no Authorization header' : 'not a Bearer token');
    const decoded = jwt.decode(token, { complete: true });
    if (decoded === null || typeof decoded.payload === 'string') return refuse('not a JWT');
    if (decoded.header.alg !== 'RS256') return refuse(`algorithm ${String(decoded.header.alg)} not accepted`);
    const kid = decoded.header.kid;
    if (typeof kid !== 'string' || kid === '') return refuse('token without key id');
    let key: { key: KeyObject; endorsements: string[] | null };
    try {
      key = await signingKey(kid);
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      return refuse(
        name === 'SigningKeyNotFoundError'
          ? 'unknown signing key'
          : `signing keys unavailable: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    let claims: TeamsClaims;
    try {
      claims = jwt.verify(token, key.key, {
        algorithms: ['RS256'],
        audience: options.appId,
        issuer,
        clockTolerance: tolerance,
        clockTimestamp: Math.floor(now() / 1000),
      }) as TeamsClaims;
    } catch (err) {
      return refuse(err instanceof Error ? err.message : 'token not valid');
    }
    if (typeof claims.exp !== 'number') return refuse('token without expiry');
    return { ok: true, claims, endorsements: key.endorsements };
  }

  function checkActivity(
    token: Extract<TokenCheck, { ok: true }>,
    activity: { serviceUrl: unknown; channelId: unknown },
  ): Refusal | { ok: true } {
    const claimed = token.claims.serviceurl ?? token.claims.serviceUrl;
    if (typeof claimed !== 'string' || claimed === '') return refuse('token without serviceurl claim');
    if (typeof activity.serviceUrl !== 'string' || activity.serviceUrl !== claimed)
      return refuse('serviceUrl of the activity differs from the token’s');
    if (token.endorsements !== null) {
      if (typeof activity.channelId !== 'string' || !token.endorsements.includes(activity.channelId))
        return refuse('signing key not endorsed for this channel');
    }
    return { ok: true };
  }

  return { verifyToken, checkActivity };
}
