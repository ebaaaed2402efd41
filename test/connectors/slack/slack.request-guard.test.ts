import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSlackRequest } from '../../../connectors/slack/slack.request-guard.js';

const SECRET = 'guard-secret';
const NOW = 1_795_000_000;

function signed(body: string, type: string, ts = NOW) {
  const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    headers: { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig, 'content-type': type },
    body: Buffer.from(body),
    signingSecret: SECRET,
    nowSeconds: NOW,
  };
}
const form = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;
const click = {
  type: 'block_actions',
  user: { id: 'U1' },
  team: { id: 'T1' },
  container: { type: 'message' },
  channel: { id: 'D1' },
  actions: [{ action_id: 'handoff_accept' }],
};

describe('Slack request guard', () => {
  it.each([
    ['a real click', signed(form(click), 'application/x-www-form-urlencoded'), true],
    [
      'an org-wide click with team null',
      signed(form({ ...click, team: null }), 'application/x-www-form-urlencoded'),
      true,
    ],
    ['a slash command', signed('command=%2Fhandoff&user_id=U1&text=queue', 'application/x-www-form-urlencoded'), true],
    [
      'a url_verification',
      signed(JSON.stringify({ type: 'url_verification', challenge: 'c' }), 'application/json'),
      true,
    ],
    [
      'an event',
      signed(
        JSON.stringify({ type: 'event_callback', event: { type: 'app_home_opened', user: 'U1', tab: 'home' } }),
        'application/json',
      ),
      true,
    ],
  ])('lets %s through', (_name, input, ok) => {
    expect(checkSlackRequest(input).ok).toBe(ok);
  });

  it('answers events the app does not handle with 200 without Bolt, and refuses a handled one with a bad shape', () => {
    const unhandled = checkSlackRequest(
      signed(
        JSON.stringify({ type: 'event_callback', event: { type: 'reaction_added', item: null } }),
        'application/json',
      ),
    );
    expect(unhandled).toEqual({ ok: true, ignore: 'event reaction_added is not handled' });
    const badHome = checkSlackRequest(
      signed(
        JSON.stringify({ type: 'event_callback', event: { type: 'app_home_opened', user: null } }),
        'application/json',
      ),
    );
    expect(badHome).toMatchObject({ ok: false, status: 400 });
  });

  it.each([
    ['dated six minutes ahead', signed(form(click), 'application/x-www-form-urlencoded', NOW + 360), 401],
    ['dated six minutes ago', signed(form(click), 'application/x-www-form-urlencoded', NOW - 360), 401],
    [
      'signed with another secret',
      { ...signed(form(click), 'application/x-www-form-urlencoded'), signingSecret: 'other' },
      401,
    ],
    ['a signed null', signed('null', 'application/json'), 400],
    ['a payload that is not JSON', signed('payload=%7Bnope', 'application/x-www-form-urlencoded'), 400],
    ['a click without actions', signed(form({ ...click, actions: [] }), 'application/x-www-form-urlencoded'), 400],
    [
      'an action without an action_id',
      signed(form({ ...click, actions: [{ action_id: 5 }] }), 'application/x-www-form-urlencoded'),
      400,
    ],
    [
      'a container without a type',
      signed(form({ ...click, container: { a: 1 } }), 'application/x-www-form-urlencoded'),
      400,
    ],
    [
      'a view_submission without a view',
      signed(form({ type: 'view_submission', user: { id: 'U1' } }), 'application/x-www-form-urlencoded'),
      400,
    ],
    ['an interaction as a JSON body', signed(JSON.stringify(click), 'application/json'), 400],
    ['plain text', signed('hello', 'text/plain'), 400],
  ])('refuses %s', (_name, input, status) => {
    const verdict = checkSlackRequest(input);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? 0 : verdict.status).toBe(status);
  });
});
