// Offer deadlines outside routing (a manager's assignment): the same rule routing uses.
import { offerDeadline } from '../domain/routing/index.js';
import type { Millis } from '../domain/model.js';
import type { AppSettings } from './settings.js';

export function computeDeadline(
  settings: AppSettings,
  repId: string,
  from: Millis,
  hot: boolean,
): { dueAt: Millis; remindAt: Millis | null } {
  const rep = settings.reps.find((r) => r.id === repId);
  if (!rep) return { dueAt: from + settings.sla.acceptWithin, remindAt: null };
  const d = offerDeadline(rep, from, hot, { sla: settings.sla, hotLane: settings.hot });
  return { dueAt: d.dueAt, remindAt: d.remindAt };
}
