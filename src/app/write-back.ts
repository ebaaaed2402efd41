// The CRM side effects of a decision, as outbox jobs.
import { renderProperties, type TemplateValues } from '../domain/template.js';
import type { Handoff, Millis, Rep } from '../domain/model.js';
import type { NewJob } from '../ports/store.js';
import type { CrmRecordRef } from '../ports/crm.js';
import { job } from './jobs.js';
import type { AppSettings } from './settings.js';
import { findReason } from './settings.js';

/**
 * CRM writes wait for the next boundary of this window, so the writes of decisions made close together
 * become due together and go out in one batch call (HubSpot takes 100 records a call, Salesforce 200).
 * The card in Slack changes at once; the CRM follows within a few seconds.
 */
export const WRITE_BACK_WINDOW_MS = 10_000;

export function writeBackAt(at: Millis): Millis {
  return Math.ceil((at + 1) / WRITE_BACK_WINDOW_MS) * WRITE_BACK_WINDOW_MS;
}

/**
 * Whether a partial write-back batch (fewer records than one call takes) waits for the next window, and until
 * when. Decisions made across a window boundary would otherwise cost one partial call per boundary; the partial
 * batch joins the next window's writes instead, when some are already queued for it (decisions keep arriving)
 * and no other write is due now (then this batch is not the last of its window). Each write waits at most one
 * window more than it would have alone: it waits only while the next boundary is no later than one window after
 * its own first boundary (`writeBackAt(createdAt)`). Returns the moment to run again, or null to write now.
 */
export function holdPartialBatch(input: {
  now: Millis;
  /** Records in the batch and how many one call takes. */
  size: number;
  batchSize: number;
  /** When each write of the batch was queued. */
  queuedAt: readonly Millis[];
  /** When the writes still pending (not in this batch) are due. */
  pendingDueAt: readonly Millis[];
}): Millis | null {
  if (input.size === 0 || input.size >= input.batchSize) return null;
  const until = writeBackAt(input.now);
  // Writes due now and not in this batch go out at once anyway (the batch is not the last of its window);
  // only writes that become due between now and the next boundary can join this batch then.
  if (input.pendingDueAt.some((at) => at <= input.now)) return null;
  if (!input.pendingDueAt.some((at) => at <= until)) return null;
  for (const at of input.queuedAt) if (until > writeBackAt(at) + WRITE_BACK_WINDOW_MS) return null;
  return until;
}

export function recordRef(handoff: Handoff): CrmRecordRef {
  return { source: handoff.source, externalId: handoff.externalId, email: handoff.email };
}

export function templateValues(
  settings: AppSettings,
  input: { rep: Rep | undefined; decision: string; reasonId: string | null; note: string | null; at: Millis },
): TemplateValues {
  const reason = findReason(settings, input.reasonId);
  return {
    decision: input.decision,
    'reason.id': input.reasonId ?? '',
    'reason.label': reason?.label ?? input.reasonId ?? '',
    note: input.note ?? '',
    'rep.id': input.rep?.id ?? '',
    'rep.name': input.rep?.name ?? '',
    'rep.email': input.rep?.email ?? '',
    decidedAt: new Date(input.at).toISOString(),
  };
}

/** Owner assignment: a crm.update job whose owner value the dispatcher resolves from the rep. */
export function ownerJob(handoff: Handoff, repId: string, key: string, now: Millis): NewJob {
  return job(
    'crm.update',
    { handoffId: handoff.id, record: recordRef(handoff), properties: {}, what: 'owner', ownerRepId: repId },
    key,
    writeBackAt(now),
    handoff.id,
  );
}

/** The intake source id of a pushed lead (its external id is "<source id>:<delivery key>"), else null. */
export function intakeSourceOf(handoff: Handoff): string | null {
  if (handoff.source !== 'intake') return null;
  const at = handoff.externalId.indexOf(':');
  return at > 0 ? handoff.externalId.slice(0, at) : null;
}

/** A decision as the write-back and the intake callback see it; `key` makes their job keys. */
export interface DecisionInput {
  decision: 'accepted' | 'rejected';
  rep: Rep | undefined;
  reasonId: string | null;
  note: string | null;
  at: Millis;
  key: string;
}

/** The decision sent to an intake source's callback URL, when that source has one. */
function callbackJob(settings: AppSettings, handoff: Handoff, input: DecisionInput): NewJob[] {
  const sourceId = intakeSourceOf(handoff);
  if (sourceId === null || !(settings.intakeCallbacks ?? []).includes(sourceId)) return [];
  const reason = findReason(settings, input.reasonId);
  const body = {
    type: 'handoff.decision',
    handoffId: handoff.id,
    source: sourceId,
    key: handoff.externalId.slice(sourceId.length + 1),
    email: handoff.email,
    decision: input.decision,
    reason: input.reasonId === null ? null : { id: input.reasonId, label: reason?.label ?? input.reasonId },
    note: input.note,
    rep: input.rep ? { id: input.rep.id, name: input.rep.name, email: input.rep.email } : null,
    decidedAt: new Date(input.at).toISOString(),
  };
  return [
    job('intake.callback', { handoffId: handoff.id, sourceId, body }, `${input.key}:callback`, input.at, handoff.id),
  ];
}

export function decisionJobs(settings: AppSettings, handoff: Handoff, input: DecisionInput): NewJob[] {
  const jobs: NewJob[] = callbackJob(settings, handoff, input);
  const crm = settings.crm;
  // crm: none — the decision is recorded (and sent to the callback); nothing is written anywhere else.
  if (crm.kind === 'none') return jobs;
  const values = templateValues(settings, { ...input, decision: input.decision });
  const section = input.decision === 'accepted' ? crm.onAccept : crm.onReject;
  const properties = renderProperties(section.set, values);
  // The outcome and, on accept, the owner go out as one update of the record (one batch slot).
  const ownerRepId =
    input.decision === 'accepted' && crm.assignOwnerOn === 'accept' && input.rep ? input.rep.id : undefined;
  if (Object.keys(properties).length > 0 || ownerRepId !== undefined) {
    jobs.push(
      job(
        'crm.update',
        {
          handoffId: handoff.id,
          record: recordRef(handoff),
          properties,
          what: input.decision,
          ...(ownerRepId !== undefined ? { ownerRepId } : {}),
        },
        `${input.key}:props`,
        writeBackAt(input.at),
        handoff.id,
      ),
    );
  }
  if (input.decision === 'rejected' && crm.onRecycle && findReason(settings, input.reasonId)?.recycle) {
    const recycle = renderProperties(crm.onRecycle.set, values);
    if (Object.keys(recycle).length > 0) {
      jobs.push(
        job(
          'crm.update',
          { handoffId: handoff.id, record: recordRef(handoff), properties: recycle, what: 'recycle' },
          `${input.key}:recycle`,
          writeBackAt(input.at),
          handoff.id,
        ),
      );
    }
  }
  if (section.note) {
    const reason = findReason(settings, input.reasonId);
    const lines = [
      `Lead hand-off: ${input.decision} by ${input.rep?.name ?? 'unknown'} on ${new Date(input.at).toISOString()}.`,
      ...(input.decision === 'rejected' ? [`Reason: ${reason?.label ?? input.reasonId ?? 'unknown'}`] : []),
      ...(input.note ? [`Note: ${input.note}`] : []),
    ];
    jobs.push(
      job(
        'crm.note',
        {
          handoffId: handoff.id,
          record: recordRef(handoff),
          subject: `Lead ${input.decision}${input.decision === 'rejected' && reason ? `: ${reason.label}` : ''}`,
          body: lines.join('\n'),
        },
        `${input.key}:note`,
        writeBackAt(input.at),
        handoff.id,
      ),
    );
  }
  return jobs;
}
