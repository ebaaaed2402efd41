// Who is who: Slack user ids ↔ reps and managers (config first, then identities resolved at run time).
import type { Manager, Rep } from '../domain/model.js';
import type { AppDeps } from './deps.js';

export type Someone = { kind: 'rep'; rep: Rep } | { kind: 'manager'; manager: Manager; rep?: Rep };

export async function whoIs(deps: AppDeps, slackUserId: string): Promise<Someone | null> {
  const { settings, store } = deps;
  let rep = settings.reps.find((r) => r.slackUserId === slackUserId);
  if (!rep) {
    for (const r of settings.reps) {
      if (r.slackUserId) continue;
      if ((await store.getIdentity(r.id, 'slack')) === slackUserId) {
        rep = r;
        break;
      }
    }
  }
  const manager = settings.managers.find((m) => m.slackUserId === slackUserId);
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
