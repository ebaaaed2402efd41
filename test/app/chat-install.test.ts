// Installing the Teams app for a user makes them reachable: matched by Entra id or email, their conversation
// kept; removing it forgets the conversation; a stranger is not matched.
import { describe, expect, it } from 'vitest';
import { teamsConversationOf, teamsInstalled, teamsUninstalled } from '../../src/app/chat-install.js';
import { whoIs } from '../../src/app/people.js';
import { silentLogger } from '../../src/ports/logger.js';
import { createMemoryStore } from '../../src/store/index.js';
import { baseSettings } from '../helpers/app-harness.js';
import { makeRep } from '../helpers/builders.js';

const AAD_ALICE = '11111111-0000-0000-0000-00000000000a';
const AAD_BRUNO = '11111111-0000-0000-0000-00000000000b';

function deps() {
  const settings = baseSettings({
    reps: [
      makeRep({ id: 'alice', chat: 'teams', email: 'Alice@Example.com' }),
      makeRep({ id: 'bruno', chat: 'teams', teamsUserId: AAD_BRUNO }),
    ],
  });
  return { store: createMemoryStore(), settings, clock: { now: () => 1_000 }, logger: silentLogger };
}

describe('Teams install', () => {
  it('matches by email (any case) or by configured Entra id, keeps the conversation, and maps clicks back', async () => {
    const d = deps();
    expect(await teamsInstalled(d, { aadObjectId: AAD_ALICE, email: 'alice@example.COM', name: 'A' }, { c: 1 })).toBe(
      'alice',
    );
    expect(await teamsInstalled(d, { aadObjectId: AAD_BRUNO, email: null, name: null }, { c: 2 })).toBe('bruno');
    expect(await teamsConversationOf(d, 'alice')).toEqual({ c: 1 });
    expect(await teamsConversationOf(d, 'bruno')).toEqual({ c: 2 });
    const who = await whoIs(
      { ...d, route: null as never, newId: () => 'x', deadlineFor: null as never },
      {
        via: 'teams',
        userId: AAD_ALICE,
      },
    );
    expect(who).toMatchObject({ kind: 'rep', rep: { id: 'alice' } });
  });

  it('does not match a stranger, and forgets the conversation when the app is removed', async () => {
    const d = deps();
    expect(await teamsInstalled(d, { aadObjectId: 'zzz', email: 'eve@example.com', name: 'Eve' }, { c: 0 })).toBeNull();
    await teamsInstalled(d, { aadObjectId: AAD_ALICE, email: 'alice@example.com', name: 'A' }, { c: 1 });
    await teamsUninstalled(d, AAD_ALICE);
    expect(await teamsConversationOf(d, 'alice')).toBeNull();
  });
});
