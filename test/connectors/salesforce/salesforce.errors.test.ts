import { describe, expect, it } from 'vitest';
import { classifySalesforceError, classifySaveErrors } from '../../../connectors/salesforce/salesforce.errors.js';
import type { SalesforceApiErrorItem } from '../../../connectors/salesforce/salesforce.errors.js';
import { ConnectorError, isDailyLimit } from '../../../src/ports/failure.js';
import type { FailureKind } from '../../../src/ports/failure.js';

/** Builds what jsforce throws for an error body: an Error whose name/errorCode is the Salesforce code. */
function apiError(errorCode: string, message: string, data: unknown = { errorCode, message }): Error {
  const err = new Error(message) as Error & { errorCode: string; data: unknown };
  err.name = errorCode;
  err.errorCode = errorCode;
  err.data = data;
  return err;
}

function oauthError(error: string, description: string): Error {
  const err = new Error(description);
  err.name = error;
  return err;
}

function netError(code: string): Error {
  const err = new Error(`request to http://x failed, reason: ${code}`) as Error & { code: string; type: string };
  err.name = 'FetchError';
  err.code = code;
  err.type = 'system';
  return err;
}

const table: Array<[string, unknown, FailureKind]> = [
  [
    'session expired after the refresh failed',
    new Error('Unable to refresh session due to: authentication failure'),
    'auth',
  ],
  [
    'refresh failed on a network error',
    new Error('Unable to refresh session due to: request to x failed, reason: socket hang up'),
    'transient',
  ],
  ['INVALID_SESSION_ID', apiError('INVALID_SESSION_ID', 'Session expired or invalid'), 'auth'],
  ['daily limit', apiError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), 'rate_limited'],
  ['concurrency limit', apiError('REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.'), 'rate_limited'],
  ['server unavailable', apiError('SERVER_UNAVAILABLE', 'emulated fault (503)'), 'transient'],
  ['unknown exception', apiError('UNKNOWN_EXCEPTION', 'An unexpected error occurred'), 'transient'],
  ['non-JSON 502', apiError('ERROR_HTTP_502', '<html>Bad gateway</html>'), 'transient'],
  ['row lock', apiError('UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record'), 'transient'],
  ['connection reset', netError('ECONNRESET'), 'transient'],
  [
    'timeout',
    Object.assign(new Error('network timeout at: http://x'), { name: 'FetchError', type: 'request-timeout' }),
    'transient',
  ],
  ['aborted', Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }), 'transient'],
  ['invalid field', apiError('INVALID_FIELD', "No such column 'Foo__c' on entity 'Lead'"), 'invalid'],
  ['malformed query', apiError('MALFORMED_QUERY', 'unexpected token'), 'invalid'],
  ['restricted picklist', apiError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', 'Status: bad value'), 'invalid'],
  ['not found', apiError('NOT_FOUND', 'The requested resource does not exist'), 'not_found'],
  ['deleted', apiError('ENTITY_IS_DELETED', 'entity is deleted'), 'not_found'],
  ['no edit access', apiError('INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights'), 'auth'],
  ['bad grant', oauthError('invalid_grant', 'authentication failure'), 'auth'],
  ['bad client', oauthError('invalid_client_id', 'client identifier invalid'), 'auth'],
  ['token endpoint 503', oauthError('ERROR_HTTP_503', 'unavailable'), 'transient'],
  [
    'several errors',
    apiError('MULTIPLE_API_ERRORS', 'Multiple errors', [
      { errorCode: 'SERVER_UNAVAILABLE', message: 'x' },
      { errorCode: 'INVALID_FIELD', message: 'y' },
    ]),
    'transient',
  ],
  ['a thrown string', 'boom', 'transient'],
];

describe('classifySalesforceError', () => {
  it.each(table)('%s', (_name, err, kind) => {
    expect(classifySalesforceError(err).kind).toBe(kind);
  });

  it('marks the daily limit with a long wait and the daily marker; concurrency with a short one', () => {
    const daily = classifySalesforceError(apiError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
    expect(daily.retryAfterMs).toBe(3_600_000);
    expect(isDailyLimit(daily)).toBe(true);
    const concurrent = classifySalesforceError(
      apiError('REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.'),
    );
    expect(isDailyLimit(concurrent)).toBe(false);
    expect(concurrent.retryAfterMs).toBe(30_000);
  });

  it('passes a ConnectorError through unchanged', () => {
    const failure = { kind: 'not_found' as const, reason: 'gone' };
    expect(classifySalesforceError(new ConnectorError('salesforce', failure))).toBe(failure);
  });
});

describe('classifySaveErrors', () => {
  it.each<[SalesforceApiErrorItem[], FailureKind]>([
    [[{ statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: [] }], 'not_found'],
    [
      [{ statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: ['OwnerId'] }],
      'invalid',
    ],
    [
      [{ statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: ['WhoId'] }],
      'not_found',
    ],
    [[{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }], 'not_found'],
    [[{ statusCode: 'UNABLE_TO_LOCK_ROW', message: 'locked', fields: [] }], 'transient'],
    [[{ statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Reason required', fields: [] }], 'invalid'],
    [[], 'transient'],
  ])('%j → %s', (errors, kind) => {
    expect(classifySaveErrors(errors).kind).toBe(kind);
  });

  it('names every error in the reason', () => {
    const f = classifySaveErrors([
      { statusCode: 'INVALID_FIELD', message: 'a', fields: ['A'] },
      { statusCode: 'STRING_TOO_LONG', message: 'b', fields: ['B'] },
    ]);
    expect(f.reason).toContain('INVALID_FIELD');
    expect(f.reason).toContain('STRING_TOO_LONG');
  });
});
