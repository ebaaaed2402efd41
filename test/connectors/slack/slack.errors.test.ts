import { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { classifySlackError, slackConnectorError } from '../../../connectors/slack/slack.errors.js';
import { ConnectorError, type Failure } from '../../../src/ports/failure.js';

const platform = (error: string): Error => new webApi.WebAPIPlatformError({ ok: false, error });
const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });

const table: Array<[string, unknown, Failure]> = [
  [
    'a 429 with Retry-After',
    new webApi.WebAPIRateLimitedError(30),
    { kind: 'rate_limited', retryAfterMs: 30_000, reason: 'rate limited, retry after 30s' },
  ],
  [
    'ratelimited in the body',
    platform('ratelimited'),
    { kind: 'rate_limited', retryAfterMs: 1000, reason: 'ratelimited' },
  ],
  ['invalid_auth', platform('invalid_auth'), { kind: 'auth', reason: 'invalid_auth' }],
  ['token_revoked', platform('token_revoked'), { kind: 'auth', reason: 'token_revoked' }],
  ['missing_scope', platform('missing_scope'), { kind: 'auth', reason: 'missing_scope' }],
  ['channel_not_found', platform('channel_not_found'), { kind: 'not_found', reason: 'channel_not_found' }],
  ['user_not_found', platform('user_not_found'), { kind: 'not_found', reason: 'user_not_found' }],
  ['not_in_channel', platform('not_in_channel'), { kind: 'not_found', reason: 'not_in_channel' }],
  ['invalid_blocks', platform('invalid_blocks'), { kind: 'invalid', reason: 'invalid_blocks' }],
  ['msg_too_long', platform('msg_too_long'), { kind: 'invalid', reason: 'msg_too_long' }],
  ['internal_error', platform('internal_error'), { kind: 'transient', reason: 'internal_error' }],
  [
    'http 500',
    new webApi.WebAPIHTTPError(500, 'Internal Server Error', {}, ''),
    { kind: 'transient', reason: 'http 500' },
  ],
  [
    'http 503',
    new webApi.WebAPIHTTPError(503, 'Service Unavailable', {}, ''),
    { kind: 'transient', reason: 'http 503' },
  ],
  ['http 400', new webApi.WebAPIHTTPError(400, 'Bad Request', {}, ''), { kind: 'invalid', reason: 'http 400' }],
  ['a timeout', new webApi.WebAPIRequestError(timeout), { kind: 'transient', reason: 'request failed: timeout' }],
  [
    'a refused connection',
    new webApi.WebAPIRequestError(new Error('connect ECONNREFUSED 127.0.0.1:9')),
    { kind: 'transient', reason: 'request failed: connect ECONNREFUSED 127.0.0.1:9' },
  ],
  ['something unknown', new Error('boom'), { kind: 'transient', reason: 'boom' }],
];

describe('classifySlackError', () => {
  it.each(table)('classifies %s', (_name, err, expected) => {
    expect(classifySlackError(err)).toEqual(expected);
  });

  it('wraps into a ConnectorError carrying the failure, the call and the cause', () => {
    const cause = platform('channel_not_found');
    const err = slackConnectorError(cause, 'chat.postMessage');
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.code).toBe('connector.not_found');
    expect(err.failure).toEqual({ kind: 'not_found', reason: 'chat.postMessage: channel_not_found' });
    expect(err.cause).toBe(cause);
    expect(slackConnectorError(err, 'again')).toBe(err);
  });
});
