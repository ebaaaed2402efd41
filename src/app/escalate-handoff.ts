// Escalation: nobody took the lead (unroutable, every offer timed out, or maxOffers reached).
import type { Handoff, Millis } from '../domain/model.js';
import type { HandoffChange, NewJob } from '../ports/store.js';
import type { AppDeps } from './deps.js';
import { job } from './jobs.js';
import { managersOf } from './settings.js';

export interface EscalationInput {
  reason: 'unroutable' | 'max_offers' | 'no_next_rep' | 'all_rejected';
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
      const who = handoff.email ?? `${handoff.source} record ${handoff.externalId}`;
      const text = [
        `A lead needs an owner: ${who}.`,
        `Reason: ${describeEscalation(input.reason)}${input.detail ? ` (${input.detail})` : ''}.`,
        `Offers so far: ${handoff.offerCount}. MQL since ${new Date(handoff.mqlAt).toISOString()}.`,
        ...(deps.settings.dashboardUrl ? [`Dashboard: ${deps.settings.dashboardUrl}`] : []),
        'Claim or assign it from the managers channel in Slack.',
      ].join('\n');
      jobs.push(
        job(
          'email.send',
          {
            to,
            subject: `[handoff] Escalated lead: ${who}${handoff.hot ? ' (HOT)' : ''}`,
            text,
            html: `<pre>${escapeHtml(text)}</pre>`,
          },
          key,
          now,
          handoff.id,
        ),
      );
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

export function describeEscalation(reason: string): string {
  switch (reason) {
    case 'unroutable':
      return 'no rule, team or fallback could take it';
    case 'max_offers':
      return 'every offer timed out or was passed on (maximum offers reached)';
    case 'no_next_rep':
      return 'the offer timed out and no other rep is available';
    default:
      return reason;
  }
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
