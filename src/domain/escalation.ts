// Why a hand-off was escalated: the reason codes kept on the hand-off (escalation_reason) and the
// words people read for them, on the Slack post, in the email and on the dashboard.

const WHY = {
  unroutable: 'no rule, team or fallback could take it',
  max_offers: 'every offer timed out or was passed on (maximum offers reached)',
  no_next_rep: 'the offer timed out and no other rep is available',
} as const;

export type EscalationReason = keyof typeof WHY;

/** The reason in words; a code this version does not know is shown as it is, none as "escalated". */
export function describeEscalation(reason: string | null): string {
  if (reason === null) return 'escalated';
  return Object.hasOwn(WHY, reason) ? WHY[reason as EscalationReason] : reason;
}
