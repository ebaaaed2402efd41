// Whether a rep can be offered a hand-off right now, and if not, why (the first reason that applies).
import type { Millis, Rep, SlaSettings } from '../model.js';
import { isWorkingTime, localDate, type WorkCalendar } from '../sla-clock.js';
import type { RepAwayStatus, RepLoad, SkipReason } from './types.js';

export interface EligibilityContext {
  now: Millis;
  hot: boolean;
  sla: SlaSettings;
  state: RepLoad;
}

export type Eligibility = { eligible: true; detail: string } | { eligible: false; skip: SkipReason; detail: string };

export function calendarOf(rep: Rep, sla: SlaSettings): WorkCalendar {
  return { timezone: rep.timezone, hours: rep.hours, holidays: sla.holidays };
}

/** The away status from Slack that covers `now`, if any. */
export function activeAwayStatus(repId: string, statuses: RepAwayStatus[], now: Millis): RepAwayStatus | null {
  for (const s of statuses) {
    if (s.repId !== repId) continue;
    if (s.since > now) continue;
    if (s.awayUntil === null || s.awayUntil > now) return s;
  }
  return null;
}

export function countFor(counts: Record<string, number>, repId: string): number {
  const n = counts[repId];
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

/**
 * Checks, in order: inactive, already offered this hand-off, away (config ranges in the rep's time
 * zone, or a Slack status), outside working hours (only when `sla.routeOutsideHours` is false), open
 * capacity, daily capacity (a hot lead may exceed `perDay`, never `open`).
 */
export function checkEligibility(rep: Rep | undefined, repId: string, ctx: EligibilityContext): Eligibility {
  if (!rep) return { eligible: false, skip: 'not_member', detail: `"${repId}" is not a configured rep` };
  if (!rep.active) return { eligible: false, skip: 'inactive', detail: 'rep is inactive' };
  if (ctx.state.alreadyOffered.includes(rep.id)) {
    return { eligible: false, skip: 'already_offered', detail: 'already offered this hand-off' };
  }
  const unreachable = ctx.state.unreachable?.[rep.id];
  if (unreachable !== undefined) return { eligible: false, skip: 'unreachable', detail: unreachable };
  const today = localDate(ctx.now, rep.timezone);
  const range = rep.away.find((r) => r.from <= today && today <= r.to);
  if (range)
    return {
      eligible: false,
      skip: 'away',
      detail: `away ${range.from} to ${range.to} (today is ${today} in ${rep.timezone})`,
    };
  const status = activeAwayStatus(rep.id, ctx.state.statuses, ctx.now);
  if (status) {
    const until = status.awayUntil === null ? 'until back' : `until ${new Date(status.awayUntil).toISOString()}`;
    return {
      eligible: false,
      skip: 'away',
      detail: `away (set in Slack) ${until}${status.note ? `: ${status.note}` : ''}`,
    };
  }
  if (!ctx.sla.routeOutsideHours && !isWorkingTime(ctx.now, calendarOf(rep, ctx.sla))) {
    return { eligible: false, skip: 'outside_hours', detail: `outside working hours (${rep.timezone})` };
  }
  const open = countFor(ctx.state.openOffers, rep.id);
  if (rep.capacity.open !== undefined && open >= rep.capacity.open) {
    return { eligible: false, skip: 'at_capacity_open', detail: `${open} open offers, capacity ${rep.capacity.open}` };
  }
  const today_ = countFor(ctx.state.offersToday, rep.id);
  if (rep.capacity.perDay !== undefined && today_ >= rep.capacity.perDay) {
    if (!ctx.hot) {
      return {
        eligible: false,
        skip: 'at_capacity_day',
        detail: `${today_} offers today, capacity ${rep.capacity.perDay}/day`,
      };
    }
    return {
      eligible: true,
      detail: `${today_} offers today, over ${rep.capacity.perDay}/day: allowed for a hot lead`,
    };
  }
  return { eligible: true, detail: 'eligible' };
}
