import { describe, expect, it } from 'vitest';
import {
  AppError,
  ConnectorError,
  coerceError,
  errorCode,
  errorMessage,
  isAbortError,
} from '../../src/runtime/errors.js';

describe('coerceError', () => {
  it('returns Errors unchanged', () => {
    const err = new TypeError('bad');
    expect(coerceError(err)).toBe(err);
  });

  it.each([
    ['a string', 'boom', 'boom'],
    ['a number', 42, 'non-error thrown: 42'],
    ['undefined', undefined, 'undefined was thrown'],
    ['null', null, 'null was thrown'],
    ['a plain object', { status: 500 }, 'non-error thrown: {"status":500}'],
    ['an error-like object', { message: 'from a library', code: 'E_LIB' }, 'from a library'],
  ])('wraps %s with the value as cause', (_label, thrown, message) => {
    const err = coerceError(thrown);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(message);
    expect(err.cause).toBe(thrown);
  });

  it('keeps the string code of an error-like object', () => {
    expect(errorCode(coerceError({ message: 'x', code: 'E_LIB' }))).toBe('E_LIB');
  });

  it('survives objects that cannot be serialized', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(coerceError(cyclic).message).toBe('non-error object thrown');
  });
});

describe('errorCode', () => {
  it('reads AppError codes, connector codes, Node codes, aborts, and falls back to internal', () => {
    expect(errorCode(new AppError('store.locked', 'locked'))).toBe('store.locked');
    expect(errorCode(new ConnectorError('slack', { kind: 'rate_limited', reason: '429', retryAfterMs: 3000 }))).toBe(
      'connector.rate_limited',
    );
    expect(errorCode(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(errorCode(new DOMException('stop', 'AbortError'))).toBe('abort');
    expect(errorCode(new Error('plain'))).toBe('internal');
    expect(errorCode('text')).toBe('internal');
  });
});

describe('isAbortError / errorMessage', () => {
  it('recognises what an aborted signal throws', () => {
    const controller = new AbortController();
    controller.abort();
    expect(isAbortError(controller.signal.reason)).toBe(true);
    expect(isAbortError(new Error('x'))).toBe(false);
    expect(isAbortError(null)).toBe(false);
  });

  it('gives the message of anything thrown', () => {
    expect(errorMessage(new Error('one'))).toBe('one');
    expect(errorMessage('two')).toBe('two');
  });
});
