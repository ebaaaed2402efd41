// The emulator itself: what it refuses and answers the way Salesforce does, driven through real jsforce where
// the connector would be, and through plain HTTP for the token endpoint and the /__control API.
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSoql } from '../../../connectors/salesforce/emulator/soql.js';
import { isConnectorError } from '../../../src/ports/failure.js';
import { startRig, T0 } from './salesforce.helpers.js';
import type { SalesforceRig } from './salesforce.helpers.js';

let rig: SalesforceRig;
beforeEach(async () => {
  rig = await startRig({ queryBatchSize: 3 });
});
afterEach(async () => {
  await rig.close();
});

async function failureOf(p: Promise<unknown>): Promise<{ kind: string; reason: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isConnectorError(err)) throw new Error(`expected a ConnectorError, got ${String(err)}`);
  return err.failure;
}

describe('SOQL parsing', () => {
  it('parses the shapes the connector issues', () => {
    const q = parseSoql(
      "SELECT Id, Account.OwnerId FROM Contact WHERE Email IN ('a@b.c', 'd@e.f') AND (SystemModstamp > 2026-01-05T10:00:00Z OR (SystemModstamp = 2026-01-05T10:00:00Z AND Id > '003')) ORDER BY SystemModstamp ASC, Id DESC NULLS FIRST LIMIT 10",
    );
    expect(q.fields).toEqual(['Id', 'Account.OwnerId']);
    expect(q.from).toBe('Contact');
    expect(q.orderBy).toEqual([
      { field: 'SystemModstamp', direction: 'ASC', nulls: 'FIRST' },
      { field: 'Id', direction: 'DESC', nulls: 'FIRST' },
    ]);
    expect(q.limit).toBe(10);
    expect(q.where?.kind).toBe('and');
  });

  it('refuses AND mixed with OR without parentheses, and quoted keywords where values belong', () => {
    expect(() => parseSoql("SELECT Id FROM Lead WHERE IsConverted = false AND Status = 'x' OR Status = 'y'")).toThrow(
      /parentheses/,
    );
    expect(() => parseSoql('SELECT Id FROM Lead WHERE Status = Open')).toThrow(/unquoted/);
    expect(() => parseSoql("SELECT Id FROM Lead WHERE Status = 'open")).toThrow(/unterminated/);
  });
});

describe('Salesforce emulator: query', () => {
  it('rejects a quoted dateTime and an unknown column the way Salesforce does', async () => {
    const quoted = await failureOf(
      rig.conn.query("SELECT Id FROM Lead WHERE SystemModstamp >= '2026-01-01T00:00:00Z'"),
    );
    expect(quoted.kind).toBe('invalid');
    expect(quoted.reason).toMatch(/INVALID_FIELD.*should not be enclosed in quotes/);
    const unknown = await failureOf(rig.conn.query('SELECT Id, Nope__c FROM Lead'));
    expect(unknown.reason).toMatch(/INVALID_FIELD: No such column 'Nope__c'/);
    const malformed = await failureOf(rig.conn.query('SELECT FROM Lead'));
    expect(malformed.reason).toMatch(/^MALFORMED_QUERY/);
  });

  it('filters with LIKE, IN, NOT IN, null and case-insensitive strings; returns relationship fields nested', async () => {
    const [owner] = rig.emu.control.seedUsers([{ Email: 'o@x.test', LastName: 'O' }]);
    const [acct] = rig.emu.control.seedAccounts([{ Name: 'Acme 100%', Website: 'acme.io', OwnerId: owner!['Id'] }]);
    rig.emu.control.seedContacts([
      { LastName: 'A', Email: 'A@Acme.io', AccountId: acct!['Id'] },
      { LastName: 'B', Email: 'b@other.io' },
    ]);
    const page = await rig.conn.query<Record<string, unknown>>(
      "SELECT Id, LastName, Account.Name, Account.OwnerId FROM Contact WHERE Email = 'a@acme.io' AND AccountId != null",
    );
    expect(page.records).toHaveLength(1);
    expect(page.records[0]).toMatchObject({
      LastName: 'A',
      Account: { Name: 'Acme 100%', OwnerId: owner!['Id'], attributes: { type: 'Account' } },
    });
    const noAccount = await rig.conn.query<Record<string, unknown>>(
      "SELECT Id, Account.Name FROM Contact WHERE LastName NOT IN ('A')",
    );
    expect(noAccount.records[0]!['Account']).toBeNull();
    const like = await rig.conn.query("SELECT Id FROM Account WHERE Name LIKE '%100\\%' AND Website LIKE 'acme._o'");
    expect(like.totalSize).toBe(1);
  });

  it('pages with nextRecordsUrl and refuses an unknown locator', async () => {
    rig.emu.control.seedLeads(Array.from({ length: 7 }, (_v, i) => ({ LastName: `L${i}` })));
    const first = await rig.conn.query<{ Id: string }>('SELECT Id FROM Lead ORDER BY Id');
    expect(first).toMatchObject({ totalSize: 7, done: false });
    expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g\w+-3$/);
    const second = await rig.conn.queryMore<{ Id: string }>(first.nextRecordsUrl!);
    const third = await rig.conn.queryMore<{ Id: string }>(second.nextRecordsUrl!);
    expect(third.done).toBe(true);
    expect([...first.records, ...second.records, ...third.records]).toHaveLength(7);
    const bad = await failureOf(rig.conn.queryMore('/services/data/v62.0/query/01gNOPE-3'));
    expect(bad.reason).toMatch(/INVALID_QUERY_LOCATOR/);
  });

  it('answers 404 for an API version newer than it serves', async () => {
    const f = await failureOf(rig.conn.request('GET', '/services/data/v99.0/limits'));
    expect(f.kind).toBe('not_found');
  });
});

describe('Salesforce emulator: writes and limits', () => {
  it('refuses more than 200 records per collection and rolls back everything with allOrNone', async () => {
    const [lead] = rig.emu.control.seedLeads([{ LastName: 'x' }]);
    const records = Array.from({ length: 201 }, () => ({ attributes: { type: 'Lead' }, id: lead!['Id'], Title: 'T' }));
    const tooMany = await failureOf(rig.conn.request('PATCH', '/composite/sobjects', { allOrNone: false, records }));
    expect(tooMany.reason).toMatch(/EXCEEDED_ID_LIMIT/);
    const results = await rig.conn.request<Array<{ success: boolean; errors: Array<{ statusCode: string }> }>>(
      'PATCH',
      '/composite/sobjects',
      {
        allOrNone: true,
        records: [
          { attributes: { type: 'Lead' }, id: lead!['Id'], Title: 'New' },
          { attributes: { type: 'Lead' }, id: lead!['Id'], Status: 'Bogus' },
        ],
      },
    );
    expect(results.map((r) => r.errors[0]?.statusCode)).toEqual([
      'ALL_OR_NONE_OPERATION_ROLLED_BACK',
      'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
    ]);
    expect(rig.emu.control.record('Lead', lead!['Id'] as string)!['Title']).toBeNull();
  });

  it('refuses read-only fields and inactive owners', async () => {
    const [lead] = rig.emu.control.seedLeads([{ LastName: 'x' }]);
    const [gone] = rig.emu.control.seedUsers([{ Email: 'g@x.test', LastName: 'G', IsActive: false }]);
    const results = await rig.conn.request<Array<{ success: boolean; errors: Array<{ statusCode: string }> }>>(
      'PATCH',
      '/composite/sobjects',
      {
        records: [
          { attributes: { type: 'Lead' }, id: lead!['Id'], IsConverted: true },
          { attributes: { type: 'Lead' }, id: lead!['Id'], OwnerId: gone!['Id'] },
        ],
      },
    );
    expect(results.map((r) => r.errors[0]?.statusCode)).toEqual([
      'INVALID_FIELD_FOR_INSERT_UPDATE',
      'INACTIVE_OWNER_OR_USER',
    ]);
  });

  it('creates a Task through POST /sobjects/Task', async () => {
    const [lead] = rig.emu.control.seedLeads([{ LastName: 'x' }]);
    const res = await rig.conn.request<{ id: string; success: boolean }>('POST', '/sobjects/Task', {
      WhoId: lead!['Id'],
      Subject: 'Call',
      Status: 'Completed',
    });
    expect(res.success).toBe(true);
    expect(rig.emu.control.tasks()[0]).toMatchObject({
      Id: res.id,
      WhoId: lead!['Id'],
      OwnerId: rig.emu.control.integrationUserId,
    });
    const bad = await failureOf(rig.conn.request('POST', '/sobjects/Task', { WhoId: lead!['Id'], Status: 'Done-ish' }));
    expect(bad.reason).toMatch(/INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST/);
  });

  it('counts API usage in the header and /limits, and answers REQUEST_LIMIT_EXCEEDED over the limit', async () => {
    rig.emu.control.setApiUsage(10, 12);
    const limits = await rig.conn.request<{ DailyApiRequests: { Max: number; Remaining: number } }>('GET', '/limits');
    expect(limits.DailyApiRequests).toEqual({ Max: 12, Remaining: 1 });
    expect(rig.conn.usage()).toEqual({ used: 11, limit: 12 });
    await rig.conn.query('SELECT Id FROM Lead');
    const over = await failureOf(rig.conn.query('SELECT Id FROM Lead'));
    expect(over.kind).toBe('rate_limited');
    expect(rig.conn.usage()).toEqual({ used: 12, limit: 12 });
  });
});

describe('Salesforce emulator: token endpoint and control API', () => {
  it('checks the JWT audience and expiry', async () => {
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    await rig.close();
    rig = await startRig({
      clients: [
        {
          clientId: 'j',
          clientSecret: 's',
          users: [{ username: 'u@x.test', password: 'p' }],
          jwtPublicKey: keys.publicKey,
        },
      ],
    });
    const assertion = (claims: Record<string, unknown>): string => {
      const h = Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url');
      const c = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${h}.${c}.${sign('RSA-SHA256', Buffer.from(`${h}.${c}`), keys.privateKey).toString('base64url')}`;
    };
    const post = async (claims: Record<string, unknown>) => {
      const res = await fetch(`${rig.emu.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion: assertion(claims),
        }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    };
    const exp = Math.floor(T0 / 1000) + 120;
    const ok = await post({ iss: 'j', sub: 'u@x.test', aud: rig.emu.url, exp });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ instance_url: rig.emu.url, token_type: 'Bearer' });
    expect(ok.body['id']).toMatch(/\/id\/00D\w+\/005\w+$/);
    expect(
      (await post({ iss: 'j', sub: 'u@x.test', aud: 'https://login.salesforce.com', exp })).body['error_description'],
    ).toBe('audience is invalid');
    expect(
      (await post({ iss: 'j', sub: 'u@x.test', aud: rig.emu.url, exp: Math.floor(T0 / 1000) - 1 })).body['error'],
    ).toBe('invalid_grant');
  });

  it('seeds, updates, reads and resets over HTTP under /__control', async () => {
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${rig.emu.url}/__control/${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as any) };
    };
    const seeded = await call('POST', 'seed', {
      users: [{ Email: 'r@x.test', LastName: 'R' }],
      leads: [{ LastName: 'L', Status: 'Marketing Qualified' }],
    });
    const leadId = seeded.body.leads[0].Id as string;
    rig.advance(2000);
    const updated = await call('POST', `leads/${leadId}`, { Title: 'VP' });
    expect(updated.body).toMatchObject({
      Title: 'VP',
      SystemModstamp: new Date(T0 + 2000).toISOString().replace('Z', '+0000'),
    });
    expect((await call('GET', `records/Lead?id=${leadId}`)).body.Title).toBe('VP');
    expect((await call('GET', 'records/User')).body.some((u: { Email: string }) => u.Email === 'r@x.test')).toBe(true);
    await rig.conn.query('SELECT Id FROM Lead');
    expect((await call('GET', 'calls')).body.byEndpoint['GET query']).toBe(1);
    await call('POST', 'calls/reset');
    expect((await call('GET', 'calls')).body.api).toBe(0);
    await call('POST', 'fault', { count: 1, status: 503, endpoints: ['GET limits'] });
    await call('POST', 'api-usage', { used: 5, limit: 50 });
    await call('POST', 'expire-tokens');
    // The expired token is renewed once; the 503 is retried by jsforce for a GET.
    const limits = await rig.conn.request<{ DailyApiRequests: { Max: number } }>('GET', '/limits');
    expect(limits.DailyApiRequests.Max).toBe(50);
    expect(rig.conn.tokenRequests()).toBe(2);
    expect((await call('GET', 'tasks')).body).toEqual([]);
  });
});
