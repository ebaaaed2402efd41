// Offer deadlines outside routing (a manager's assignment): the rep's working time, hot lane aware.
import { addWorkingTime } from '../domain/sla-clock.js';
import type { Millis } from '../domain/model.js';
import type { AppSettings } from './settings.js';

export function computeDeadline(settings: AppSettings, repId: string, from: Millis, hot: boolean): { dueAt: Millis; remindAt: Millis | null } {
  const rep = settings.reps.find((r) => r.id === repId);
  const within = hot && settings.hot ? settings.hot.acceptWithin : settings.sla.acceptWithin;
  const dueAt = rep ? addWorkingTime(from, within, { timezone: rep.timezone, hours: rep.hours, holidays: settings.sla.holidays }) : from + within;
  const remindAt = settings.sla.remindAt === null ? null : from + Math.round((dueAt - from) * settings.sla.remindAt);
  return { dueAt, remindAt };
}
