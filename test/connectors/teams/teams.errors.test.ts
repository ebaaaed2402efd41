// How a failed Bot Connector or token call is classified for the outbox (a table, as the style guide asks).
import { describe, expect, it } from 'vitest';
import { classifyTeamsHttp, retryAfterMs } from '../../../connectors/teams/teams.errors.js';

describe('classifyTeamsHttp', () => {
  it.each([
    [
      { status: 429, retryAfter: '3' },
      { kind: 'rate_limited', retryAfterMs: 3000 },
    ],
    [{ status: 429 }, { kind: 'rate_limited', retryAfterMs: 1000 }],
    [{ status: 500 }, { kind: 'transient' }],
    [
      { status: 503, retryAfter: '10' },
      { kind: 'transient', retryAfterMs: 10_000 },
    ],
    [{ status: 504 }, { kind: 'transient' }],
    [{ status: 412 }, { kind: 'transient' }],
    [{ status: 408 }, { kind: 'transient' }],
    [{ status: 401 }, { kind: 'auth' }],
    [{ status: 403 }, { kind: 'auth' }],
    [{ status: 403, code: 'BotNotInConversationRoster' }, { kind: 'not_found' }],
    [{ status: 403, code: 'ConversationBlockedByUser' }, { kind: 'not_found' }],
    [{ status: 404, code: 'ConversationNotFound' }, { kind: 'not_found' }],
    [{ status: 400, code: 'BadArgument' }, { kind: 'invalid' }],
    [{ status: 413, code: 'MessageSizeTooBig' }, { kind: 'invalid' }],
  ])('%o → %o', (input, expected) => {
    expect(classifyTeamsHttp(input)).toMatchObject(expected);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 11, 7, 9, 0, 0);
    expect(retryAfterMs('2.5', now)).toBe(2500);
    expect(retryAfterMs(new Date(now + 4000).toUTCString(), now)).toBe(4000);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });
});
