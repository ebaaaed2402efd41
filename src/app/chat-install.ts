// Who can be reached in Microsoft Teams: when the app is installed for a user, the connector tells us who they
// are (Entra object id, email) and how to reach them (their 1:1 conversation); we match a rep or manager and keep
// both in the store's identities. Routing skips a Teams rep without a conversation (route-handoff.ts).
import type { AppDeps } from './deps.js';
import { TEAMS_CONVERSATION, TEAMS_IDENTITY } from './people.js';

type InstallDeps = Pick<AppDeps, 'store' | 'settings' | 'clock' | 'logger'>;

export interface TeamsUser {
  aadObjectId: string;
  email: string | null;
  name: string | null;
}

/** The rep or manager this Teams user is: by teamsUserId in config, else by email (case-insensitive). */
function match(deps: InstallDeps, user: TeamsUser): string | null {
  const people = [...deps.settings.reps, ...deps.settings.managers];
  const byId = people.find((p) => p.teamsUserId === user.aadObjectId);
  if (byId) return byId.id;
  const email = user.email?.trim().toLowerCase();
  if (!email) return null;
  return people.find((p) => p.email.toLowerCase() === email)?.id ?? null;
}

/** Keeps the user's 1:1 conversation (JSON, opaque here); returns the person id, or null when nobody matches. */
export async function teamsInstalled(
  deps: InstallDeps,
  user: TeamsUser,
  conversation: unknown,
): Promise<string | null> {
  const personId = match(deps, user);
  const log = deps.logger.child({ component: 'teams' });
  if (personId === null) {
    log.warn(
      { aadObjectId: user.aadObjectId },
      'Teams app installed by someone who is not a configured rep or manager',
    );
    return null;
  }
  const now = deps.clock.now();
  await deps.store.setIdentity(personId, TEAMS_IDENTITY, user.aadObjectId, now);
  await deps.store.setIdentity(personId, TEAMS_CONVERSATION, JSON.stringify(conversation), now);
  log.info({ personId }, 'Teams app installed: cards can reach them now');
  return personId;
}

/** The kept 1:1 conversation of a person, or null when the app is not installed for them. */
export async function teamsConversationOf(deps: Pick<AppDeps, 'store'>, personId: string): Promise<unknown> {
  const raw = await deps.store.getIdentity(personId, TEAMS_CONVERSATION);
  if (raw === null || raw === '') return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return null;
  }
}

/** The app was removed for this user: forget the conversation (routing skips them from now on). */
export async function teamsUninstalled(deps: InstallDeps, aadObjectId: string): Promise<void> {
  for (const p of [...deps.settings.reps, ...deps.settings.managers]) {
    const known = p.teamsUserId ?? (await deps.store.getIdentity(p.id, TEAMS_IDENTITY));
    if (known !== aadObjectId) continue;
    await deps.store.setIdentity(p.id, TEAMS_CONVERSATION, '', deps.clock.now());
    deps.logger.child({ component: 'teams' }).info({ personId: p.id }, 'Teams app removed: no more cards there');
  }
}
