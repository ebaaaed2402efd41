// Every signed Events API request gets a 2xx or a 4xx, whatever shape its event has: Slack retries 5xx and
// turns off event subscriptions that keep failing. (A reaction_added with `item: null` used to be a 500.)
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, startRig, type Rig } from './harness.js';

let rig: Rig;
let url: string;
beforeAll(async () => {
  rig = await startRig('http');
  url = `http://127.0.0.1:${(rig.server!.address() as AddressInfo).port}/slack/events`;
});
afterAll(async () => rig.close());

async function postSigned(body: string): Promise<number> {
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': ts, 'x-slack-signature': sig },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

const envelope = (event: unknown) =>
  JSON.stringify({ type: 'event_callback', team_id: 'T1', api_app_id: 'A1', event_id: 'Ev1', event_time: 1, event });

describe('signed event_callback requests', () => {
  it('answers the shapes that used to be a 500 with a 2xx or 4xx', async () => {
    for (const event of [
      { type: 'reaction_added', user: 'U1', item: null, reaction: 'x' },
      { type: 'message', channel: null, user: 'U1' },
      { type: 'app_home_opened', user: null, tab: 'home' },
      { type: 'app_home_opened', user: 'U0ALICE', tab: 'home', view: 7 },
      // Bolt's `'channel' in event.item` throws on a string item (found by the property below).
      { type: 'app_home_opened', user: 'U0ALICE', item: '', tab: 'home' },
      { type: 'app_home_opened', user: '', item: 7, tab: 'home' },
      { type: 'app_home_opened', user: 'U0ALICE', channel: null, tab: 'home' },
      { type: 'member_joined_channel', user: ['U1'], channel: { id: 'C1' } },
    ]) {
      const status = await postSigned(envelope(event));
      expect(status, JSON.stringify(event)).toBeLessThan(500);
    }
  });

  it('answers any generated event shape with a 2xx or 4xx and keeps serving', async () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.dictionary(fc.constantFrom('channel', 'ts', 'id', 'type', 'user'), fc.oneof(fc.constant(null), fc.string())),
    );
    const event = fc.record(
      {
        type: fc.oneof(
          fc.constantFrom('app_home_opened', 'reaction_added', 'message', 'app_mention', 'member_joined_channel'),
          fc.string(),
        ),
        user: value,
        channel: value,
        item: value,
        tab: fc.oneof(fc.constantFrom('home', 'messages'), value),
        subtype: value,
      },
      { requiredKeys: ['type'] },
    );
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const status = await postSigned(envelope(e));
        return status >= 200 && status < 500;
      }),
      { numRuns: 300 },
    );
    // Still serving: a well-formed App Home event is answered 200.
    expect(await postSigned(envelope({ type: 'app_home_opened', user: 'U0ALICE', tab: 'messages' }))).toBe(200);
  });
});
