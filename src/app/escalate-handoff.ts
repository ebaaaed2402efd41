// Escalation: nobody took the lead (unroutable, every offer timed out, or maxOffers reached).
import type { EscalationReason } from '../domain/escalation.js';
import type { Handoff, Millis } from '../domain/model.js';
import type { HandoffChange, NewJob } from '../ports/store.js';
import type { AppDeps } from './deps.js';
import { job } from './jobs.js';
import { escalationDoc } from './messages/escalation.js';
import { managersOf } from './settings.js';

export interface EscalationInput {
  reason: EscalationReason;
  detail?: string;
  trace?: unknown;
}

export function escalationJobs(deps: AppDeps, handoff: Handoff, input: EscalationInput, now: Millis): NewJob[] {
  const key = `${handoff.id}:${handoff.version}`;
  const jobs: NewJob[] = [
    job('slack.escalation', { handoffId: handoff.id, reason: input.reason }, key, now, handoff.id),
  ];
  const email = deps.settings.email;
  if (email) {
    const managers = managersOf(deps.settings, handoff.teamId).map((m) => m.email);
    const to = managers.length > 0 ? managers : email.managers;
    if (to.length > 0) {
      const doc = escalationDoc(handoff, input, deps.settings.dashboardUrl);
      jobs.push(job('email.send', { to, doc }, key, now, handoff.id));
    }
  }
  return jobs;
}

export function escalationChange(
  deps: AppDeps,
  handoff: Handoff,
  input: EscalationInput,
  now: Millis,
  extra: Partial<HandoffChange> = {},
): HandoffChange {
  return {
    handoffId: handoff.id,
    action: 'escalate',
    expectVersion: handoff.version,
    set: { escalatedAt: now, escalationReason: input.reason, dueAt: null },
    updateOffers: extra.updateOffers ?? [],
    events: [
      ...(extra.events ?? []),
      {
        type: 'escalated',
        actor: null,
        data: { reason: input.reason, detail: input.detail ?? null, trace: input.trace ?? null },
      },
    ],
    jobs: [...(extra.jobs ?? []), ...escalationJobs(deps, handoff, input, now)],
  };
}
