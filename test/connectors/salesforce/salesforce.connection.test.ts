import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSalesforceConnection,
  soqlDateTime,
  soqlLikeString,
  soqlString,
} from '../../../connectors/salesforce/salesforce.connection.js';
import type {
  SalesforceAuthOptions,
  SalesforceConnection,
} from '../../../connectors/salesforce/salesforce.connection.js';
import { startSalesforceEmulator } from '../../../connectors/salesforce/emulator/index.js';
import type { SalesforceEmulator } from '../../../connectors/salesforce/emulator/index.js';
import { isConnectorError } from '../../../src/ports/failure.js';

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const otherKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

let emu: SalesforceEmulator;
let dir: string;

beforeAll(async () => {
  emu = await startSalesforceEmulator({
    clients: [
      {
        clientId: 'cc-client',
        clientSecret: 'cc-secret',
        users: [{ username: 'api@acme.test', password: 'pw-123' }],
        jwtPublicKey: keys.publicKey,
      },
    ],
  });
  emu.control.seedLeads([{ LastName: 'One', Company: 'Acme', Email: 'one@acme.test' }]);
  dir = await mkdtemp(path.join(tmpdir(), 'sf-conn-'));
});
afterAll(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

function connect(auth: SalesforceAuthOptions): SalesforceConnection {
  return createSalesforceConnection({ loginUrl: emu.url, apiVersion: '62.0', auth });
}

async function countLeads(c: SalesforceConnection): Promise<number> {
  const page = await c.query<{ Id: string }>('SELECT Id FROM Lead');
  return page.totalSize;
}

async function expectReauthOnce(c: SalesforceConnection): Promise<void> {
  expect(await countLeads(c)).toBe(1);
  expect(c.tokenRequests()).toBe(1);
  const tokenCallsBefore = emu.control.callCounts().token;
  emu.control.expireTokens();
  expect(await countLeads(c)).toBe(1);
  expect(c.tokenRequests()).toBe(2);
  expect(emu.control.callCounts().token - tokenCallsBefore).toBe(1);
}

describe('Salesforce connection: auth flows', () => {
  it('signs in with client credentials, takes the instance URL from the token response, re-authenticates once after expiry', async () => {
    const c = connect({ flow: 'client_credentials', clientId: 'cc-client', clientSecret: 'cc-secret' });
    const session = await c.connect();
    expect(session.instanceUrl).toBe(emu.url);
    expect(session.userId).toBe(emu.control.integrationUserId);
    await expectReauthOnce(c);
  });

  it('signs in with a JWT bearer assertion from PEM text and re-authenticates after expiry', async () => {
    const c = connect({ flow: 'jwt', clientId: 'cc-client', username: 'api@acme.test', privateKey: keys.privateKey });
    await expectReauthOnce(c);
    expect(c.session()?.userId).toMatch(/^005/);
  });

  it('reads the JWT private key from a file', async () => {
    const file = path.join(dir, 'key.pem');
    await writeFile(file, keys.privateKey);
    const c = connect({ flow: 'jwt', clientId: 'cc-client', username: 'api@acme.test', privateKeyFile: file });
    expect(await countLeads(c)).toBe(1);
  });

  it('signs in with username-password through OAuth (no SOAP) and re-authenticates after expiry', async () => {
    const before = emu.control.callCounts().byEndpoint;
    const c = connect({
      flow: 'password',
      clientId: 'cc-client',
      clientSecret: 'cc-secret',
      username: 'api@acme.test',
      password: 'pw-123',
    });
    await expectReauthOnce(c);
    const after = emu.control.callCounts().byEndpoint;
    expect(Object.keys(after).some((k) => k.includes('Soap'))).toBe(false);
    expect((after['POST oauth2/token'] ?? 0) - (before['POST oauth2/token'] ?? 0)).toBe(2);
  });

  it('classifies bad credentials as auth', async () => {
    const bad = [
      connect({ flow: 'client_credentials', clientId: 'cc-client', clientSecret: 'wrong' }),
      connect({
        flow: 'password',
        clientId: 'cc-client',
        clientSecret: 'cc-secret',
        username: 'api@acme.test',
        password: 'nope',
      }),
      connect({ flow: 'jwt', clientId: 'cc-client', username: 'api@acme.test', privateKey: otherKeys.privateKey }),
      connect({ flow: 'jwt', clientId: 'cc-client', username: 'stranger@acme.test', privateKey: keys.privateKey }),
    ];
    for (const c of bad) {
      const err = await c.connect().catch((e: unknown) => e);
      expect(isConnectorError(err)).toBe(true);
      if (isConnectorError(err)) expect(err.failure.kind).toBe('auth');
    }
  });

  it('gives up with an auth failure when re-authentication is refused', async () => {
    const emu2 = await startSalesforceEmulator({ clients: [{ clientId: 'x', clientSecret: 'y' }] });
    try {
      const c = createSalesforceConnection({
        loginUrl: emu2.url,
        apiVersion: '62.0',
        auth: { flow: 'client_credentials', clientId: 'x', clientSecret: 'y' },
      });
      await c.query('SELECT Id FROM Lead');
      // From now on tokens die on arrival: the retried call gets 401 again and must not loop.
      emu2.control.setTokenTtl(0);
      emu2.control.expireTokens();
      const err = await c.query('SELECT Id FROM Lead').catch((e: unknown) => e);
      expect(isConnectorError(err) && err.failure.kind).toBe('auth');
      expect(c.tokenRequests()).toBe(2);
    } finally {
      await emu2.close();
    }
  });

  it('reports API usage from Sforce-Limit-Info after each call', async () => {
    const c = connect({ flow: 'client_credentials', clientId: 'cc-client', clientSecret: 'cc-secret' });
    emu.control.setApiUsage(500, 1000);
    const seen: number[] = [];
    c.onUsage((u) => seen.push(u.used));
    await countLeads(c);
    expect(c.usage()).toEqual({ used: 501, limit: 1000 });
    await countLeads(c);
    expect(seen).toEqual([501, 502]);
    emu.control.setApiUsage(0, 100_000);
  });
});

describe('SOQL literals', () => {
  it('escapes quotes and backslashes', () => {
    expect(soqlString("O'Brien \\ co")).toBe("'O\\'Brien \\\\ co'");
    expect(soqlLikeString('a_b%c', '%', '%')).toBe("'%a\\_b\\%c%'");
  });
  it('formats unquoted dateTime literals at second precision', () => {
    expect(soqlDateTime(Date.UTC(2026, 0, 5, 10, 0, 1, 999))).toBe('2026-01-05T10:00:01Z');
  });
});
