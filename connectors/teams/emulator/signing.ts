// The emulated Bot Framework's token issuer toward the bot: its own RSA key, published as OpenID metadata and a
// key set (with the Bot Framework's `endorsements`), and the JWTs it puts on the activities it sends. Signing
// can be spoiled on purpose (the bad-input suite): no token, another key, expired, wrong audience or issuer, a
// serviceurl claim that does not match, alg none.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';

/** How to spoil the token on one activity (nothing set: a valid token). */
export interface SigningFaults {
  /** Send no Authorization header at all. */
  unsigned?: boolean;
  /** Sign with a key that is not in the key set (under the published kid). */
  foreignKey?: boolean;
  /** A key id the key set does not have. */
  kid?: string;
  /** The token expired this many seconds ago. */
  expiredSecondsAgo?: number;
  audience?: string;
  issuer?: string;
  /** The serviceurl claim (default: the activity's serviceUrl); null leaves the claim out. */
  serviceUrlClaim?: string | null;
  /** An unsigned token (alg none). */
  algNone?: boolean;
  /** The raw Authorization header value to send instead of a token. */
  authorization?: string;
}

export interface Signer {
  /** The key id tokens are signed with now. */
  kid(): string;
  /** A new signing key (a new kid), published beside the old one, as the Bot Framework rolls its keys. */
  rotate(): void;
  /** The OpenID metadata document, pointing at `jwksUri`. */
  metadata(jwksUri: string): Record<string, unknown>;
  /** The published key set. */
  jwks(): { keys: Record<string, unknown>[] };
  /** The Authorization header for an activity sent to the bot, or null for none. */
  authorization(input: { appId: string; serviceUrl: string; nowMs: number; faults?: SigningFaults }): string | null;
}

function rsaPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

export function createSigner(channelId = 'msteams'): Signer {
  const keys: { kid: string; privateKey: KeyObject; publicKey: KeyObject }[] = [];
  const addKey = (): void => {
    keys.push({ kid: randomBytes(12).toString('base64url'), ...rsaPair() });
  };
  addKey();
  const current = () => keys[keys.length - 1] as (typeof keys)[number];
  let foreign: KeyObject | null = null;
  return {
    kid: () => current().kid,
    rotate: addKey,
    metadata(jwksUri) {
      return {
        issuer: BOT_FRAMEWORK_ISSUER,
        authorization_endpoint: 'https://invalid.botframework.com',
        jwks_uri: jwksUri,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      };
    },
    jwks() {
      return {
        keys: keys.map((k) => ({
          ...k.publicKey.export({ format: 'jwk' }),
          kid: k.kid,
          use: 'sig',
          alg: 'RS256',
          endorsements: [channelId],
        })),
      };
    },
    authorization({ appId, serviceUrl, nowMs, faults = {} }) {
      if (faults.authorization !== undefined) return faults.authorization;
      if (faults.unsigned === true) return null;
      const nowSec = Math.floor(nowMs / 1000);
      const exp = faults.expiredSecondsAgo !== undefined ? nowSec - faults.expiredSecondsAgo : nowSec + 3600;
      const claimed = faults.serviceUrlClaim === undefined ? serviceUrl : faults.serviceUrlClaim;
      const payload = {
        iss: faults.issuer ?? BOT_FRAMEWORK_ISSUER,
        aud: faults.audience ?? appId,
        nbf: Math.min(nowSec - 300, exp - 3600),
        exp,
        ...(claimed !== null ? { serviceurl: claimed } : {}),
      };
      const { kid, privateKey } = current();
      if (faults.algNone === true) {
        const head = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid })).toString('base64url');
        return `Bearer ${head}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
      }
      let key = privateKey;
      if (faults.foreignKey === true) {
        foreign ??= rsaPair().privateKey;
        key = foreign;
      }
      const token = jwt.sign(payload, key, { algorithm: 'RS256', keyid: faults.kid ?? kid, noTimestamp: true });
      return `Bearer ${token}`;
    },
  };
}
