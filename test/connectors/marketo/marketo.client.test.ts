// The Marketo client against the emulator: tokens (reuse, renewal before expiry, renewal on 601/602), the
// client-side limiter, backoff on 606/615, the daily quota (warning, 607 pause), and error classification.
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorError, isDailyLimit } from '../../../src/ports/failure.js';
import {
  classifyMarketoError,
  MarketoApiError,
  MarketoHttpError,
  msUntilQuotaReset,
} from '../../../connectors/marketo/marketo.errors.js';
import { createMarketoApi } from '../../../connectors/marketo/marketo.client.js';
import { silentLogger } from '../../../src/ports/logger.js';
import { marketoRig, type MarketoRig } from './marketo.helpers.js';

const describeLeads = (rig: MarketoRig) => rig.api.get('describe', '/rest/v1/leads/describe.json');

describe('Marketo client', () => {
  let rig: MarketoRig;
  afterEach(async () => {
    await rig?.close();
  });

  it('gets one token and reuses it until shortly before it expires', async () => {
    rig = await marketoRig({ emulator: { tokenTtlSeconds: 3600 } });
    for (let i = 0; i < 5; i++) await describeLeads(rig);
    expect(rig.api.stats().tokenCalls).toBe(1);
    // 59 minutes and a half later the client asks again before calling; Marketo answers with the same token and
    // its remaining lifetime, which the client uses until it runs out; after that a new token.
    rig.clock.now += 3570_000;
    await describeLeads(rig);
    expect(rig.api.stats().tokenCalls).toBe(2);
    rig.clock.now += 31_000;
    await describeLeads(rig);
    expect(rig.api.stats().tokenCalls).toBe(3);
    expect(rig.emulator.control.callCounts().byError['602']).toBeUndefined();
  });

  it('renews the token once when Marketo answers 602 (expired) and repeats the call', async () => {
    rig = await marketoRig();
    await describeLeads(rig);
    rig.emulator.control.expireTokens();
    const env = await describeLeads(rig);
    expect(env.success).toBe(true);
    expect(rig.emulator.control.callCounts().byError['602']).toBe(1);
    expect(rig.api.stats().tokenCalls).toBe(2);
  });

  it('reports wrong client credentials as an auth failure without retrying', async () => {
    rig = await marketoRig({ client: { clientSecret: 'wrong' } });
    const err = await describeLeads(rig).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).failure.kind).toBe('auth');
    expect(rig.emulator.control.callCounts().identity).toBe(1);
  });

  it('waits out a 606 (rate limit) for the 20-second window and then succeeds', async () => {
    rig = await marketoRig();
    rig.emulator.control.fault({ code: '606', count: 1 });
    const env = await describeLeads(rig);
    expect(env.success).toBe(true);
    expect(rig.emulator.control.callCounts().byError['606']).toBe(1);
    expect(Math.max(...rig.waits)).toBeGreaterThanOrEqual(20_000);
  });

  it('retries a 615 (concurrency) after a short wait', async () => {
    rig = await marketoRig();
    rig.emulator.control.fault({ code: '615', count: 2 });
    await describeLeads(rig);
    expect(rig.emulator.control.callCounts().byError['615']).toBe(2);
  });

  it('keeps under 100 calls per 20 s by itself: 250 calls, no 606 from Marketo', async () => {
    rig = await marketoRig();
    for (let i = 0; i < 250; i++) await describeLeads(rig);
    expect(rig.emulator.control.callCounts().byError['606']).toBeUndefined();
    expect(rig.emulator.control.callCounts().rest).toBe(250);
    // Two full windows had to be waited out.
    expect(rig.waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(40_000);
  });

  it('warns once near the daily quota and pauses on 607 until the quota resets', async () => {
    rig = await marketoRig({ emulator: { dailyQuota: 50 }, client: { dailyQuota: 50, warnAtPercent: 80 } });
    rig.emulator.control.setDailyUsed(38);
    await rig.api.refreshUsage();
    await describeLeads(rig);
    expect(rig.notices).toEqual([{ level: 'warning', used: 40, quota: 50 }]);
    for (let i = 0; i < 5; i++) await describeLeads(rig);
    expect(rig.notices).toHaveLength(1);
    // Marketo counted calls from another integration: the next call is refused with 607.
    rig.emulator.control.setDailyUsed(50);
    const err = await describeLeads(rig).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(isDailyLimit((err as ConnectorError).failure)).toBe(true);
    expect(rig.notices.at(-1)?.level).toBe('exceeded');
    const sent = rig.api.stats().calls;
    // Paused: further calls fail at once without reaching Marketo.
    await expect(describeLeads(rig)).rejects.toBeInstanceOf(ConnectorError);
    expect(rig.api.stats().calls).toBe(sent);
    expect(rig.api.pausedUntil()).toBe(rig.clock.now + msUntilQuotaReset(rig.clock.now));
  });

  it('answers 603 for a permission the API user lacks, as an auth failure', async () => {
    rig = await marketoRig();
    rig.emulator.control.setPermissions({ readActivity: false });
    const err = await rig.api.get('types', '/rest/v1/activities/types.json').catch((e: unknown) => e as ConnectorError);
    expect((err as ConnectorError).failure.kind).toBe('auth');
    expect((err as ConnectorError).failure.reason).toContain('603');
  });

  it('retries a dropped connection', async () => {
    rig = await marketoRig();
    rig.emulator.control.fault({ code: 'reset', count: 1 });
    expect((await describeLeads(rig)).success).toBe(true);
  });

  it('stays within the concurrency it was given', async () => {
    rig = await marketoRig({ emulator: { latencyMs: 20 }, client: { concurrency: 3 } });
    await Promise.all(Array.from({ length: 12 }, () => describeLeads(rig)));
    expect(rig.emulator.control.peakConcurrency()).toBeLessThanOrEqual(3);
    expect(rig.emulator.control.callCounts().byError['615']).toBeUndefined();
  });
});

describe('classifyMarketoError', () => {
  const now = Date.parse('2026-12-07T10:00:00Z');
  it.each([
    ['601', 'auth'],
    ['602', 'auth'],
    ['603', 'auth'],
    ['604', 'transient'],
    ['606', 'rate_limited'],
    ['607', 'rate_limited'],
    ['608', 'transient'],
    ['609', 'invalid'],
    ['611', 'transient'],
    ['615', 'rate_limited'],
    ['1003', 'invalid'],
    ['1004', 'not_found'],
    ['1006', 'invalid'],
    ['1013', 'not_found'],
  ])('code %s is %s', (code, kind) => {
    expect(classifyMarketoError(new MarketoApiError(code, 'x', 'op'), now).kind).toBe(kind);
  });

  it('gives 606 the 20-second window and 607 the time until midnight US Central', () => {
    expect(classifyMarketoError(new MarketoApiError('606', 'x', 'op'), now).retryAfterMs).toBe(20_000);
    const daily = classifyMarketoError(new MarketoApiError('607', 'x', 'op'), now);
    expect(daily.scope).toBe('daily');
    // 10:00 UTC → 06:00 UTC next day.
    expect(daily.retryAfterMs).toBe(20 * 3_600_000);
  });

  it('reads HTTP-level failures: identity 401 is auth, 414 is invalid, 502 is transient', () => {
    expect(classifyMarketoError(new MarketoHttpError(401, '', 'identity')).kind).toBe('auth');
    expect(classifyMarketoError(new MarketoHttpError(414, '', 'op')).kind).toBe('invalid');
    expect(classifyMarketoError(new MarketoHttpError(502, '', 'op')).kind).toBe('transient');
  });

  it('calls an unreachable host transient', async () => {
    const api = createMarketoApi(
      { baseUrl: 'http://127.0.0.1:9', clientId: 'a', clientSecret: 'b', retry: { attempts: 1 } },
      { logger: silentLogger },
    );
    const err = await api.get('describe', '/rest/v1/leads/describe.json').catch((e: unknown) => e);
    expect((err as ConnectorError).failure.kind).toBe('transient');
  });
});
