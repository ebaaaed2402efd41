// One notifier over the platforms: cards go by the rep's chat, channel calls and refs by their address.
import { describe, expect, it } from 'vitest';
import { emailAddress, teamsAddress } from '../../src/domain/chat.js';
import { isConnectorError } from '../../src/ports/failure.js';
import type { MessageRef, OfferCard, Person, RepNotifier } from '../../src/ports/rep-notifier.js';
import { createChatNotifier } from '../../src/runtime/chat-notifier.js';
import { makeLead } from '../helpers/builders.js';

function recording(name: string, calls: string[]): RepNotifier {
  const ref = (channel: string): MessageRef => ({ channel, ts: `${name}-ts` });
  return {
    postOffer: (card) => {
      calls.push(`${name}.postOffer:${card.rep.id}`);
      return Promise.resolve(ref(`${name}-dm`));
    },
    findOffer: () => Promise.resolve(null),
    closeOffer: (r) => {
      calls.push(`${name}.closeOffer:${r.channel}`);
      return Promise.resolve();
    },
    remind: (r) => {
      calls.push(`${name}.remind:${r.channel}`);
      return Promise.resolve();
    },
    postLeadMessage: (channel) => {
      calls.push(`${name}.postLeadMessage:${channel}`);
      return Promise.resolve(ref(channel));
    },
    findLeadMessage: () => Promise.resolve(null),
    updateLeadMessage: (r) => {
      calls.push(`${name}.updateLeadMessage:${r.channel}`);
      return Promise.resolve();
    },
    postLeadStep: (r) => {
      calls.push(`${name}.postLeadStep:${r.channel}`);
      return Promise.resolve(r);
    },
    postDoc: (channel) => {
      calls.push(`${name}.postDoc:${channel}`);
      return Promise.resolve(ref(channel));
    },
    postMessage: (channel) => {
      calls.push(`${name}.postMessage:${channel}`);
      return Promise.resolve(ref(channel));
    },
    lookupUserId: () => Promise.resolve(`${name}-user`),
  };
}

const card = (rep: Person): OfferCard => ({
  handoffId: 'h1',
  offerId: 'o1',
  lead: makeLead(),
  rep,
  hot: false,
  dueAt: 0,
  why: { rule: null, team: null, strategy: null, ownerMatch: null },
  seq: 1,
});

describe('chat notifier', () => {
  it('sends each card to the platform of its rep and each channel call to the platform of its address', async () => {
    const calls: string[] = [];
    const chat = createChatNotifier({
      slack: recording('slack', calls),
      teams: recording('teams', calls),
      email: recording('email', calls),
    });
    await chat.postOffer(card({ id: 'alice', name: 'Alice', chat: 'slack' }));
    await chat.postOffer(card({ id: 'bruno', name: 'Bruno', chat: 'teams' }));
    await chat.postOffer(card({ id: 'chen', name: 'Chen', chat: 'email' }));
    await chat.postOffer(card({ id: 'dana', name: 'Dana' })); // no chat: Slack, as before
    const teamsThread = teamsAddress('19:abc@thread.tacv2;messageid=1');
    const inbox = emailAddress(['maria@example.com']);
    await chat.closeOffer({ channel: 'D123', ts: '1' }, card({ id: 'alice', name: 'Alice' }), {
      kind: 'withdrawn',
      at: 0,
      why: 'x',
    });
    await chat.remind({ channel: teamsAddress('a:1'), ts: '1' }, card({ id: 'bruno', name: 'Bruno' }), 0);
    await chat.postLeadMessage(teamsAddress('19:abc@thread.tacv2'), 'team', { kind: 'escalated', post: null as never });
    await chat.updateLeadMessage({ channel: inbox, ts: 'm' }, 'managers', { kind: 'escalated', post: null as never });
    await chat.postLeadStep({ channel: teamsThread, ts: '1' }, { kind: 'escalated', reason: null });
    await chat.postDoc('C0MGRS', { title: 't', facts: [], tables: [], notes: [] } as never);
    await chat.postMessage(teamsAddress('19:m@thread.tacv2'), 'hello');
    expect(calls).toEqual([
      'slack.postOffer:alice',
      'teams.postOffer:bruno',
      'email.postOffer:chen',
      'slack.postOffer:dana',
      'slack.closeOffer:D123',
      `teams.remind:${teamsAddress('a:1')}`,
      `teams.postLeadMessage:${teamsAddress('19:abc@thread.tacv2')}`,
      `email.updateLeadMessage:${inbox}`,
      `teams.postLeadStep:${teamsThread}`,
      'slack.postDoc:C0MGRS',
      `teams.postMessage:${teamsAddress('19:m@thread.tacv2')}`,
    ]);
    expect(await chat.lookupUserId('a@example.com')).toBe('slack-user');
  });

  it('refuses a call for a platform that is not configured as invalid (dead-lettered, never dropped)', async () => {
    const chat = createChatNotifier({ slack: recording('slack', []) });
    const err = await chat.postOffer(card({ id: 'bruno', name: 'Bruno', chat: 'teams' })).catch((e: unknown) => e);
    expect(isConnectorError(err) && err.failure.kind).toBe('invalid');
    expect(String(err)).toMatch(/Microsoft Teams is not configured/);
    expect(await createChatNotifier({}).lookupUserId('a@example.com')).toBeNull();
  });
});
