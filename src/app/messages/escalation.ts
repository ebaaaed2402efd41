// The escalation email to the managers: which lead needs an owner and why.
import { describeEscalation } from '../../domain/escalation.js';
import type { Handoff } from '../../domain/model.js';
import type { MessageDoc } from '../../ports/message-doc.js';

export function escalationDoc(
  handoff: Handoff,
  input: { reason: string; detail?: string },
  dashboardUrl: string | null,
): MessageDoc {
  const who = handoff.email ?? `${handoff.source} record ${handoff.externalId}`;
  const hot = handoff.hot ? ' (HOT)' : '';
  return {
    title: `A lead needs an owner: ${who}${hot}`,
    subject: `[handoff] Escalated lead: ${who}${hot}`,
    intro: ['Claim or assign it from the managers channel in Slack.'],
    facts: [
      { label: 'Reason', value: `${describeEscalation(input.reason)}${input.detail ? ` (${input.detail})` : ''}` },
      { label: 'Offers so far', value: String(handoff.offerCount) },
      { label: 'MQL since', value: new Date(handoff.mqlAt).toISOString() },
    ],
    tables: [],
    notes: null,
    link: dashboardUrl ? { url: dashboardUrl, label: 'Open the dashboard' } : null,
    footer: null,
  };
}
