// The outbox vocabulary: every side effect is one of these jobs, queued in the same transaction as the
// state change that caused it, and carried out (and retried) by the dispatcher.
import type { Millis } from '../domain/model.js';
import type { NewJob } from '../ports/store.js';
import type { CrmRecordRef } from '../ports/crm.js';
import type { MailMessage } from '../ports/mailer.js';
import type { MessageDoc } from '../ports/message-doc.js';
import type { OfferOutcome } from '../ports/rep-notifier.js';

export type JobPayloads = {
  /** Choose a rep for a detected hand-off and offer it. The hand-off is the job row's handoffId. */
  'handoff.route': Record<string, never>;
  /** Read these records from the source and ingest the MQLs among them (webhook path). */
  'source.fetch': { ids: string[] };
  /** DM the offer card. */
  'slack.offer': { offerId: string };
  /** Turn the card into its final state. */
  'slack.close_offer': { offerId: string; outcome: SerializedOutcome };
  'slack.remind': { offerId: string };
  /*
   * The lead's one message per channel (team, managers), brought up to date and the step told in its thread:
   * a hot lead offered (the first offer announces it, later ones are re-offers; `channel`: the team channel
   * when queued), escalated, and how the escalation ended. Jobs of one lead take turns.
   */
  'slack.hot_notice': { offerId: string; channel: string };
  'slack.escalation': { handoffId: string; reason: string };
  'slack.close_escalation': {
    handoffId: string;
    kind: 'claimed' | 'assigned' | 'withdrawn';
    by: string | null;
    to: string | null;
  };
  /**
   * An alert or digest (`doc`, laid out by the notifier) or plain text. `blocks` only come with jobs
   * queued by versions that rendered Block Kit in the app; they are posted as they were.
   */
  'slack.message': { channel: string; doc: MessageDoc } | { channel: string; text: string; blocks?: unknown[] };
  /** Property write-back; the dispatcher batches these into one CRM call. */
  /** `ownerRepId`: also make this rep the record's owner (the owner id is resolved when the job runs). */
  'crm.update': {
    handoffId: string;
    record: CrmRecordRef;
    properties: Record<string, string>;
    what: string;
    ownerRepId?: string;
  };
  'crm.note': { handoffId: string; record: CrmRecordRef; subject: string; body: string };
  /** A decision on a pushed lead, POSTed (signed) to its intake source's callback URL. */
  'intake.callback': { handoffId: string; sourceId: string; body: Record<string, unknown> };
  /** A document the mailer lays out; a rendered mail comes only from jobs queued by earlier versions. */
  'email.send': { to: string[]; doc: MessageDoc } | MailMessage;
};
export type JobKind = keyof JobPayloads;

/** OfferOutcome with people as ids, so it can sit in a job payload. */
export type SerializedOutcome =
  | { kind: 'accepted'; by: string; at: Millis }
  | { kind: 'rejected'; by: string; at: Millis; reasonId: string; note: string | null }
  | { kind: 'timed_out'; at: Millis; next: string | null }
  | { kind: 'withdrawn'; at: Millis; why: string }
  | { kind: 'reassigned'; at: Millis; to: string; by: string }
  | { kind: 'escalated'; at: Millis };

export type OutcomeKind = OfferOutcome['kind'];

export function job<K extends JobKind>(
  kind: K,
  payload: JobPayloads[K],
  key: string,
  runAt: Millis,
  handoffId?: string,
): NewJob {
  const row: NewJob = { kind, payload: payload as Record<string, unknown>, idempotencyKey: `${kind}:${key}`, runAt };
  // Left out when not given: jobs queued with a change or an ingest then belong to that hand-off.
  if (handoffId !== undefined) row.handoffId = handoffId;
  return row;
}
