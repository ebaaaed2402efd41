// Settled hand-offs: the ones whose outcome can no longer change by waiting. Rate alerts judge only
// these (issue 16), so a fresh window full of pending MQLs never looks like a drop.
//
// A hand-off of the window is settled at `now` when it is
//   - decided or withdrawn (accepted, rejected, withdrawn: final states), or
//   - escalated (escalated_at set: the SLA ladder ran out, a manager has it), or
//   - past its last deadline: the deadline of its newest offer (handoffs.due_at, which the store keeps
//     equal to the open offer's due_at) is at or before `now`; a hand-off not offered yet (no due_at)
//     once its MQL time is `unofferedWithin` (sla.acceptWithin) ago — it missed the time it had.
// Everything else is pending.
//
// The judged cohort. Decisions do not arrive in MQL order: a quick "reject" lands before a slow
// "accept" of an older lead. Judging "whatever is settled so far" would therefore be skewed by how
// fast each outcome comes in. So an alert judges the window's MQLs from its start up to (excluding)
// the oldest one still pending — all of them settled — and the rest waits until that one settles.
// src/store/metrics.ts says the same in SQL; keep the two in step.
import { isFinal } from './handoff-machine.js';
import type { Handoff, HandoffState, Millis } from './model.js';

/** How a hand-off stands for the rate alerts: settled one way or another, or still pending. */
export type SettledStatus = 'accepted' | 'rejected' | 'withdrawn' | 'escalated' | 'overdue' | 'pending';

export type SettledInput = Pick<Handoff, 'state' | 'escalatedAt' | 'dueAt' | 'mqlAt'>;

export function settledStatus(h: SettledInput, now: Millis, unofferedWithin: Millis): SettledStatus {
  if (isFinal(h.state)) return h.state as Extract<HandoffState, 'accepted' | 'rejected' | 'withdrawn'>;
  if (h.escalatedAt !== null) return 'escalated';
  const lastDeadline = h.dueAt ?? h.mqlAt + unofferedWithin;
  return lastDeadline <= now ? 'overdue' : 'pending';
}

/**
 * Where the judged part of a window ends: the MQL time of its oldest pending hand-off, or `until`
 * when nothing is pending. The judged part is [since, judgedUntil).
 */
export function judgedUntil(rows: Iterable<{ mqlAt: Millis; status: SettledStatus }>, until: Millis): Millis {
  let end = until;
  for (const r of rows) if (r.status === 'pending' && r.mqlAt < end) end = r.mqlAt;
  return end;
}
