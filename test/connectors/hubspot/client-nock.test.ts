// Error paths through the real @hubspot/api-client, answered by nock.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHubspotApi } from '../../../connectors/hubspot/hubspot.client.js';
import type { HubspotClientOptions } from '../../../connectors/hubspot/hubspot.client.js';
import { createHubspotCrm } from '../../../connectors/hubspot/hubspot.crm.js';
import { createHubspotLeadSource } from '../../../connectors/hubspot/hubspot.lead-source.js';
import { ConnectorError } from '../../../src/ports/failure.js';
import type { Failure } from '../../../src/ports/failure.js';
import { waitFor } from '../../helpers/wait.js';
import { collect, recordingLogger } from './helpers.js';
import type { LogEntry } from './helpers.js';

const BASE = 'https://api.hubapi.com';
const SEARCH = '/crm/v3/objects/contacts/search';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

function setup(over: Partial<HubspotClientOptions> = {}) {
  const logs: LogEntry[] = [];
  const waits: number[] = [];
  const api = createHubspotApi(
    { token: 'pat-test', retry: { attempts: 1 }, ...over },
    {
      logger: recordingLogger(logs),
      sleep: async (ms) => {
        waits.push(ms);
        return true;
      },
      random: () => 1,
    },
  );
  const search = () => api.call('search', 'contacts.search', (c) => c.crm.contacts.searchApi.doSearch({ limit: 1 }));
  return { api, logs, waits, search };
}

async function failureOf(p: Promise<unknown>): Promise<Failure> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectorError);
  return (err as ConnectorError).failure;
}

const ok = { total: 0, results: [] };

describe('HubSpot client error paths (nock)', () => {
  it('sends the bearer token to basePath and returns the parsed answer', async () => {
    nock('http://hubspot.test:8080', { reqheaders: { authorization: 'Bearer pat-test' } })
      .post(SEARCH)
      .reply(200, ok);
    const { search } = setup({ baseUrl: 'http://hubspot.test:8080/' });
    await expect(search()).resolves.toMatchObject({ total: 0, results: [] });
  });

  it('401 → auth, logged', async () => {
    nock(BASE).post(SEARCH).reply(401, {
      status: 'error',
      message: 'The OAuth token used to make this call expired.',
      category: 'EXPIRED_AUTHENTICATION',
      correlationId: 'c1',
    });
    const { search, logs } = setup();
    const f = await failureOf(search());
    expect(f.kind).toBe('auth');
    expect(f.reason).toMatch(/token rejected \(EXPIRED_AUTHENTICATION\)/);
    expect(logs.some((l) => l.level === 'error' && /token rejected/.test(l.msg ?? ''))).toBe(true);
  });

  it('403 MISSING_SCOPES → auth naming the scope, in the log line too', async () => {
    nock(BASE)
      .get('/crm/v3/owners')
      .query(true)
      .reply(403, {
        status: 'error',
        message: "This app hasn't been granted all required scopes to make this call.",
        correlationId: 'c2',
        category: 'MISSING_SCOPES',
        errors: [
          {
            message: 'One or more of the following scopes are required.',
            context: { requiredGranularScopes: ['crm.objects.owners.read'] },
          },
        ],
      });
    const { api, logs } = setup();
    const f = await failureOf(api.call('general', 'owners', (c) => c.crm.owners.ownersApi.getPage()));
    expect(f).toEqual({ kind: 'auth', reason: 'missing scope crm.objects.owners.read' });
    expect(logs.find((l) => l.level === 'error')?.msg).toBe('hubspot missing scope crm.objects.owners.read');
  });

  it('429 TEN_SECONDLY_ROLLING without Retry-After → wait 10 s', async () => {
    nock(BASE).post(SEARCH).reply(429, {
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: 'c3',
      policyName: 'TEN_SECONDLY_ROLLING',
    });
    const f = await failureOf(setup().search());
    expect(f).toMatchObject({ kind: 'rate_limited', retryAfterMs: 10_000 });
  });

  it('429 with Retry-After → that wait; retried inside the call when short enough', async () => {
    nock(BASE).post(SEARCH).reply(
      429,
      {
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        policyName: 'TEN_SECONDLY_ROLLING',
        correlationId: 'c4',
      },
      { 'Retry-After': '2' },
    );
    nock(BASE).post(SEARCH).reply(200, ok);
    const { search, waits } = setup({ retry: { attempts: 2 } });
    await expect(search()).resolves.toMatchObject({ total: 0 });
    expect(waits).toEqual([2_000]);
  });

  it('429 secondly (search) → 1 s', async () => {
    nock(BASE).post(SEARCH).reply(429, {
      status: 'error',
      message: 'You have reached your secondly limit.',
      errorType: 'RATE_LIMIT',
      correlationId: 'c5',
    });
    expect(await failureOf(setup().search())).toMatchObject({ kind: 'rate_limited', retryAfterMs: 1_000 });
  });

  it('429 DAILY → rate_limited flagged daily, and later calls fail fast without reaching HubSpot', async () => {
    nock(BASE).post(SEARCH).reply(429, {
      status: 'error',
      message: 'You have reached your daily limit.',
      errorType: 'RATE_LIMIT',
      correlationId: 'c6',
      policyName: 'DAILY',
    });
    const { search, api } = setup({ retry: { attempts: 3 } });
    const f = await failureOf(search());
    expect(f.kind).toBe('rate_limited');
    expect(f.scope).toBe('daily');
    expect(api.pausedUntil()).not.toBeNull();
    const again = await failureOf(search());
    expect(again.reason).toMatch(/paused/);
  });

  it('5xx is retried with backoff, then succeeds', async () => {
    nock(BASE)
      .post(SEARCH)
      .reply(500, { status: 'error', message: 'internal', category: 'INTERNAL_ERROR', correlationId: 'c7' });
    nock(BASE).post(SEARCH).reply(502, '<html>bad gateway</html>', { 'content-type': 'text/html' });
    nock(BASE).post(SEARCH).reply(200, ok);
    const { search, waits } = setup({ retry: { attempts: 3, baseDelayMs: 100 } });
    await expect(search()).resolves.toMatchObject({ total: 0 });
    expect(waits).toEqual([100, 200]);
  });

  it('5xx with a Retry-After longer than the in-call limit → back to the caller at once, carrying the wait', async () => {
    nock(BASE)
      .post(SEARCH)
      .reply(503, { status: 'error', message: 'maintenance', correlationId: 'c10' }, { 'Retry-After': '120' });
    const { search, waits } = setup({ retry: { attempts: 3 } });
    expect(await failureOf(search())).toMatchObject({ kind: 'transient', retryAfterMs: 120_000 });
    expect(waits).toEqual([]);
  });

  it('a stop during the backoff ends the call at once with the abort, not a HubSpot failure', async () => {
    nock(BASE).post(SEARCH).reply(503, {});
    const stop = new AbortController();
    const logs: LogEntry[] = [];
    const api = createHubspotApi(
      { token: 'pat-test', retry: { attempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 } },
      { logger: recordingLogger(logs) },
    );
    const started = Date.now();
    const call = api.call('search', 'contacts.search', (c) => c.crm.contacts.searchApi.doSearch({ limit: 1 }), {
      signal: stop.signal,
    });
    await waitFor(
      'the retry to be scheduled',
      () => logs.some((l) => l.msg === 'hubspot call failed; retrying'),
      5_000,
    );
    stop.abort();
    const err = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('makes no request once stopped', async () => {
    const stop = new AbortController();
    stop.abort();
    const { api } = setup();
    const err = await api
      .call('search', 'contacts.search', (c) => c.crm.contacts.searchApi.doSearch({ limit: 1 }), {
        signal: stop.signal,
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect((err as DOMException).name).toBe('AbortError');
  });

  it('5xx on every attempt → transient', async () => {
    nock(BASE).post(SEARCH).times(2).reply(503, {});
    expect(await failureOf(setup({ retry: { attempts: 2 } }).search())).toMatchObject({ kind: 'transient' });
  });

  it('a call slower than the deadline → transient timeout', async () => {
    nock(BASE).post(SEARCH).delay(1_000).reply(200, ok);
    const f = await failureOf(setup({ timeoutMs: 50 }).search());
    expect(f).toMatchObject({ kind: 'transient' });
    expect(f.reason).toMatch(/timed out after 50 ms/);
  });

  it('404 → not_found and 400 VALIDATION_ERROR → invalid', async () => {
    nock(BASE).get('/crm/v3/properties/contacts/nope').query(true).reply(404, {
      status: 'error',
      message: 'Unable to find property nope',
      category: 'OBJECT_NOT_FOUND',
      correlationId: 'c8',
    });
    nock(BASE)
      .post(SEARCH)
      .reply(400, { status: 'error', message: 'Too many filters', category: 'VALIDATION_ERROR', correlationId: 'c9' });
    const { api, search } = setup();
    expect(
      await failureOf(api.call('general', 'prop', (c) => c.crm.properties.coreApi.getByName('contacts', 'nope'))),
    ).toMatchObject({ kind: 'not_found' });
    expect(await failureOf(search())).toEqual({ kind: 'invalid', reason: 'VALIDATION_ERROR: Too many filters' });
  });

  it('rejects a search answer of the wrong shape as invalid, naming the field', async () => {
    nock(BASE)
      .post(SEARCH)
      .reply(200, { total: 1, results: [{ properties: {} }] });
    const source = createHubspotLeadSource(
      { token: 'pat-test', retry: { attempts: 1 }, mql: { lifecycleStage: 'marketingqualifiedlead' }, fields: {} },
      { logger: recordingLogger() },
    );
    const err = await collect(source.poll(null, { startFrom: 0 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).failure.kind).toBe('invalid');
    expect((err as ConnectorError).failure.reason).toMatch(/contacts\.search: results\.0\.id/);
  });

  it('rejects a 200 that is not JSON as invalid', async () => {
    nock(BASE).post(SEARCH).reply(200, '{"total": 1, "results": [', { 'content-type': 'application/json' });
    expect(await failureOf(setup().search())).toMatchObject({ kind: 'invalid' });
  });

  it('turns a failed batch update into per-record failures instead of throwing', async () => {
    nock(BASE)
      .post('/crm/v3/objects/contacts/batch/update')
      .reply(502, 'bad gateway', { 'content-type': 'text/plain' });
    const crm = createHubspotCrm({ token: 'pat-test', retry: { attempts: 1 } }, { logger: recordingLogger() });
    const results = await crm.update([
      {
        key: 'j1',
        record: { source: 'hubspot', externalId: '1', email: null },
        properties: { hs_lead_status: 'OPEN' },
      },
      {
        key: 'j2',
        record: { source: 'hubspot', externalId: '2', email: null },
        properties: { hs_lead_status: 'OPEN' },
      },
    ]);
    expect(results.map((r) => [r.key, r.ok, r.ok ? null : r.failure.kind])).toEqual([
      ['j1', false, 'transient'],
      ['j2', false, 'transient'],
    ]);
  });
});
