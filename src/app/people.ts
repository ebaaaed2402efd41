// Who is who: platform user ids ↔ reps and managers (config first, then identities resolved at run time).
import type { Manager, Rep } from '../domain/model.js';
import type { Actor } from '../ports/handoff-actions.js';
import type { AppDeps } from './deps.js';

export type Someone = { kind: 'rep'; rep: Rep } | { kind: 'manager'; manager: Manager; rep?: Rep };

/** The store identity kind that keeps a Teams user's Entra object id (its 1:1 conversation is kept by the connector). */
export const TEAMS_IDENTITY = 'teams' as const;
/** The store identity kind that keeps a Teams user's 1:1 conversation with the bot (JSON), while installed. */
export const TEAMS_CONVERSATION = 'teams_conversation' as const;

/** The rep and/or manager an actor is: by the platform id in config, else by the identity cached in the store. */
export async function whoIs(deps: AppDeps, actor: Actor): Promise<Someone | null> {
  const { settings, store } = deps;
  let rep: Rep | undefined;
  let manager: Manager | undefined;
  if (actor.via === 'email') {
    rep = settings.reps.find((r) => r.id === actor.personId);
    manager = settings.managers.find((m) => m.id === actor.personId);
  } else {
    const key = actor.via === 'slack' ? 'slackUserId' : 'teamsUserId';
    const kind = actor.via === 'slack' ? 'slack' : TEAMS_IDENTITY;
    rep = settings.reps.find((r) => r[key] === actor.userId);
    if (!rep) {
      for (const r of settings.reps) {
        if (r[key]) continue;
        if ((await store.getIdentity(r.id, kind)) === actor.userId) {
          rep = r;
          break;
        }
      }
    }
    manager = settings.managers.find((m) => m[key] === actor.userId);
    if (!manager) {
      for (const m of settings.managers) {
        if (m[key] || actor.via === 'slack') continue;
        if ((await store.getIdentity(m.id, kind)) === actor.userId) {
          manager = m;
          break;
        }
      }
    }
  }
  if (manager) return rep ? { kind: 'manager', manager, rep } : { kind: 'manager', manager };
  return rep ? { kind: 'rep', rep } : null;
}

/** A rep's Slack user id: config, else the identity cached in the store. */
export async function slackIdOf(deps: AppDeps, repId: string): Promise<string | null> {
  const rep = deps.settings.reps.find((r) => r.id === repId);
  if (rep?.slackUserId) return rep.slackUserId;
  const manager = deps.settings.managers.find((m) => m.id === repId);
  if (manager?.slackUserId) return manager.slackUserId;
  return deps.store.getIdentity(repId, 'slack');
}

export function nameOf(deps: AppDeps, id: string | null | undefined): string {
  if (!id) return 'nobody';
  return (
    deps.settings.reps.find((r) => r.id === id)?.name ?? deps.settings.managers.find((m) => m.id === id)?.name ?? id
  );
}
