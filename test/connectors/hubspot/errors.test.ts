import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  HubspotHttpError,
  HubspotShapeError,
  HubspotTimeoutError,
  classifyHubspotError,
  parseRetryAfter,
} from '../../../connectors/hubspot/hubspot.errors.js';
import { ConnectorError, isDailyLimit } from '../../../src/ports/failure.js';
import type { Failure } from '../../../src/ports/failure.js';

const http = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new HubspotHttpError(status, body, headers, 'test');
const sdkException = (code: number, body: unknown, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`HTTP-Code: ${code}`), { code, body, headers });

const cases: Array<[string, unknown, Partial<Failure> & { kind: Failure['kind'] }, RegExp?]> = [
  [
    'burst limit',
    http(429, { policyName: 'TEN_SECONDLY_ROLLING', message: 'You have reached your ten_secondly_rolling limit.' }),
    { kind: 'rate_limited', retryAfterMs: 10_000 },
  ],
  [
    'burst limit with Retry-After',
    http(429, { policyName: 'TEN_SECONDLY_ROLLING' }, { 'Retry-After': '3' }),
    { kind: 'rate_limited', retryAfterMs: 3_000 },
  ],
  [
    'search secondly limit',
    http(429, { message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT' }),
    { kind: 'rate_limited', retryAfterMs: 1_000 },
    /secondly/,
  ],
  [
    'daily limit',
    http(429, { policyName: 'DAILY', message: 'You have reached your daily limit.' }),
    { kind: 'rate_limited', retryAfterMs: 3_600_000, scope: 'daily' },
    /daily API limit/,
  ],
  ['429 of unknown policy', http(429, {}), { kind: 'rate_limited', retryAfterMs: 10_000 }],
  [
    'bad token',
    http(401, { category: 'INVALID_AUTHENTICATION', message: 'Authentication credentials not found.' }),
    { kind: 'auth' },
    /token rejected \(INVALID_AUTHENTICATION\)/,
  ],
  [
    'missing scope',
    http(403, {
      category: 'MISSING_SCOPES',
      errors: [{ context: { requiredGranularScopes: ['crm.objects.owners.read'] } }],
    }),
    { kind: 'auth' },
    /missing scope crm\.objects\.owners\.read/,
  ],
  ['other 403', http(403, { category: 'FORBIDDEN' }), { kind: 'auth' }, /forbidden/],
  ['not found', http(404, { category: 'OBJECT_NOT_FOUND', message: 'gone' }), { kind: 'not_found' }],
  [
    'validation',
    http(400, { category: 'VALIDATION_ERROR', message: 'Property "x" does not exist' }),
    { kind: 'invalid' },
    /VALIDATION_ERROR: Property "x" does not exist/,
  ],
  ['conflict', http(409, { category: 'OBJECT_ALREADY_EXISTS' }), { kind: 'invalid' }],
  ['server error', http(500, { message: 'boom' }), { kind: 'transient' }, /server error 500/],
  [
    'bad gateway with Retry-After',
    http(502, 'upstream', { 'retry-after': '2' }),
    { kind: 'transient', retryAfterMs: 2_000 },
  ],
  ['SDK ApiException 503', sdkException(503, {}), { kind: 'transient' }],
  [
    'SDK ApiException 429 burst',
    sdkException(429, { policyName: 'TEN_SECONDLY_ROLLING' }),
    { kind: 'rate_limited', retryAfterMs: 10_000 },
  ],
  ['our timeout', new HubspotTimeoutError('contacts.search', 100), { kind: 'transient' }, /timed out after 100 ms/],
  [
    'connection reset',
    Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    { kind: 'transient' },
    /ECONNRESET/,
  ],
  [
    'connection refused (node-fetch FetchError)',
    Object.assign(new Error('request failed'), { type: 'system', code: 'ECONNREFUSED' }),
    { kind: 'transient' },
  ],
  ['invalid JSON', new SyntaxError('Unexpected token < in JSON'), { kind: 'invalid' }, /unparseable/],
  [
    'shape',
    new HubspotShapeError('contacts.search', 'results: expected array'),
    { kind: 'invalid' },
    /unexpected response shape/,
  ],
  ['zod error', z.object({ a: z.string() }).safeParse({}).error, { kind: 'invalid' }],
  [
    'already classified',
    new ConnectorError('hubspot', { kind: 'not_found', reason: 'x' }),
    { kind: 'not_found', reason: 'x' },
  ],
  ['a string', 'weird', { kind: 'transient' }],
];

describe('classifyHubspotError', () => {
  it.each(cases)('%s', (_name, err, expected, reason) => {
    const f = classifyHubspotError(err);
    expect(f).toMatchObject(expected);
    if (!('retryAfterMs' in expected)) expect(f.retryAfterMs).toBeUndefined();
    if (reason) expect(f.reason).toMatch(reason);
  });

  it('flags the daily limit and nothing else', () => {
    expect(isDailyLimit(classifyHubspotError(http(429, { policyName: 'DAILY' })))).toBe(true);
    expect(isDailyLimit(classifyHubspotError(http(429, { policyName: 'TEN_SECONDLY_ROLLING' })))).toBe(false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('5')).toBe(5_000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:10 GMT', Date.parse('2026-11-25T12:00:00Z'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
