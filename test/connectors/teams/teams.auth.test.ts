// Bot Framework request authentication on its own, against the emulator's OpenID metadata and keys: what a valid
// token yields, what each spoiled one is refused for, and how metadata and keys are cached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamsAuth, type TeamsAuth } from '../../../connectors/teams/teams.auth.js';
import {
  startTeamsEmulator,
  type SigningFaults,
  type TeamsEmulator,
} from '../../../connectors/teams/emulator/index.js';
import { APP_ID, APP_PASSWORD } from './harness.js';

let emulator: TeamsEmulator;
let auth: TeamsAuth;

beforeAll(async () => {
  emulator = await startTeamsEmulator({ appId: APP_ID, appPassword: APP_PASSWORD });
  auth = createTeamsAuth({ appId: APP_ID, openIdMetadataUrl: emulator.openIdMetadataUrl });
});

afterAll(async () => {
  await emulator.close();
});

const header = (signing?: SigningFaults) =>
  emulator.control.authorization(signing !== undefined ? { signing } : {}) ?? undefined;

describe('createTeamsAuth', () => {
  it('accepts a Bot Framework token for our app and returns its claims', async () => {
    const check = await auth.verifyToken(header());
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.claims).toMatchObject({
      iss: 'https://api.botframework.com',
      aud: APP_ID,
      serviceurl: emulator.serviceUrl,
    });
    expect(auth.checkActivity(check, { serviceUrl: emulator.serviceUrl, channelId: 'msteams' })).toEqual({ ok: true });
  });

  it.each([
    ['no header', undefined, 'no Authorization header'],
    ['another key', { foreignKey: true }, 'invalid signature'],
    ['an unknown kid', { kid: 'nope' }, 'unknown signing key'],
    ['expired 6 minutes ago', { expiredSecondsAgo: 360 }, 'jwt expired'],
    ['another audience', { audience: 'someone-else' }, 'jwt audience invalid'],
    ['another issuer', { issuer: 'https://login.microsoftonline.com/x/v2.0' }, 'jwt issuer invalid'],
    ['alg none', { algNone: true }, 'algorithm none not accepted'],
  ] as [string, SigningFaults | undefined, string][])('refuses %s', async (_what, signing, reason) => {
    const check = await auth.verifyToken(signing === undefined ? undefined : header(signing));
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.reason).toContain(reason);
  });

  it('binds the token to the activity: serviceUrl claim and the channel the key is endorsed for', async () => {
    const check = await auth.verifyToken(header());
    if (!check.ok) throw new Error(check.reason);
    expect(auth.checkActivity(check, { serviceUrl: 'https://evil.example.com/', channelId: 'msteams' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('serviceUrl'),
    });
    expect(auth.checkActivity(check, { serviceUrl: emulator.serviceUrl, channelId: 'webchat' })).toMatchObject({
      ok: false,
      reason: 'signing key not endorsed for this channel',
    });
    const noClaim = await auth.verifyToken(header({ serviceUrlClaim: null }));
    if (!noClaim.ok) throw new Error(noClaim.reason);
    expect(auth.checkActivity(noClaim, { serviceUrl: emulator.serviceUrl, channelId: 'msteams' }).ok).toBe(false);
  });

  it('reads the metadata and the key set once for many requests', async () => {
    const fresh = createTeamsAuth({ appId: APP_ID, openIdMetadataUrl: emulator.openIdMetadataUrl });
    const before = { openid: emulator.control.calls('openid').length, keys: emulator.control.calls('keys').length };
    for (let i = 0; i < 5; i++) expect((await fresh.verifyToken(header())).ok).toBe(true);
    expect(emulator.control.calls('openid').length - before.openid).toBe(1);
    expect(emulator.control.calls('keys').length - before.keys).toBe(1);
  });

  it('refuses (does not throw) when the metadata cannot be read', async () => {
    const broken = createTeamsAuth({ appId: APP_ID, openIdMetadataUrl: `${emulator.url}/no-such-metadata` });
    const check = await broken.verifyToken(header());
    expect(check).toMatchObject({ ok: false, reason: expect.stringContaining('signing keys unavailable') });
  });
});
