// Conversions between table rows and the domain types of the Store port.
import type { Selectable } from 'kysely';
import type {
  Handoff,
  HandoffEvent,
  HandoffState,
  Lead,
  LeadFieldValues,
  Offer,
  OfferState,
  SourceKind,
} from '../domain/model.js';
import type { AlertRow, Job, JobState, RepStatus, RotationEntry } from '../ports/store.js';
import type {
  AlertsTable,
  EventsTable,
  HandoffsTable,
  JobsTable,
  LeadsTable,
  OffersTable,
  RepStatusTable,
  RotationTable,
} from './schema.js';

function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** Postgres may hand back BIGINT as a string if a parser was not installed; accept both. */
function num(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}
function numOrNull(value: number | string | null): number | null {
  return value === null ? null : num(value);
}

export function leadFromRow(row: LeadsTable): Lead {
  return {
    source: row.source as SourceKind,
    externalId: row.external_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    fields: parseJson<LeadFieldValues>(row.fields),
    props: parseJson<Record<string, string | null>>(row.props),
    mqlAt: num(row.mql_at),
    modifiedAt: num(row.modified_at),
    ownerId: row.owner_id,
    recordUrl: row.record_url,
  };
}

export function handoffFromRow(row: HandoffsTable): Handoff {
  return {
    id: row.id,
    leadId: row.lead_id,
    source: row.source as SourceKind,
    externalId: row.external_id,
    mqlAt: num(row.mql_at),
    state: row.state as HandoffState,
    version: num(row.version),
    hot: num(row.hot) === 1,
    imported: num(row.imported) === 1,
    email: row.email,
    channel: row.channel,
    campaign: row.campaign,
    teamId: row.team_id,
    repId: row.rep_id,
    offerCount: num(row.offer_count),
    dueAt: numOrNull(row.due_at),
    escalatedAt: numOrNull(row.escalated_at),
    escalationReason: row.escalation_reason,
    decidedAt: numOrNull(row.decided_at),
    decidedBy: row.decided_by,
    reasonId: row.reason_id,
    note: row.note,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export function offerFromRow(row: OffersTable): Offer {
  return {
    id: row.id,
    handoffId: row.handoff_id,
    repId: row.rep_id,
    seq: num(row.seq),
    state: row.state as OfferState,
    offeredAt: num(row.offered_at),
    dueAt: num(row.due_at),
    remindAt: numOrNull(row.remind_at),
    remindedAt: numOrNull(row.reminded_at),
    decidedAt: numOrNull(row.decided_at),
    slackChannel: row.slack_channel,
    slackTs: row.slack_ts,
    ownerMatch: num(row.owner_match) === 1,
    trace: parseJson<unknown>(row.trace),
  };
}

export function eventFromRow(row: Selectable<EventsTable>): HandoffEvent {
  return {
    id: String(row.id),
    handoffId: row.handoff_id,
    at: num(row.at),
    type: row.type,
    actor: row.actor,
    data: parseJson<Record<string, unknown>>(row.data),
  };
}

export function jobFromRow(row: Selectable<JobsTable>): Job {
  return {
    id: String(row.id),
    kind: row.kind,
    payload: parseJson<Record<string, unknown>>(row.payload),
    idempotencyKey: row.idempotency_key,
    runAt: num(row.run_at),
    handoffId: row.handoff_id,
    state: row.state as JobState,
    attempts: num(row.attempts),
    lastError: row.last_error,
    lockedBy: row.locked_by,
    leaseUntil: numOrNull(row.lease_until),
    claimToken: row.claim_token ?? null,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export function rotationFromRow(row: RotationTable): RotationEntry {
  return {
    teamId: row.team_id,
    repId: row.rep_id,
    pass: num(row.pass),
    served: num(row.served),
    lastServedAt: numOrNull(row.last_served_at),
  };
}

export function repStatusFromRow(row: RepStatusTable): RepStatus {
  return { repId: row.rep_id, awayUntil: numOrNull(row.away_until), since: num(row.since), note: row.note };
}

export function alertFromRow(row: AlertsTable): AlertRow {
  return {
    key: row.key,
    state: row.state as AlertRow['state'],
    firedAt: num(row.fired_at),
    lastNotifiedAt: numOrNull(row.last_notified_at),
    resolvedAt: numOrNull(row.resolved_at),
    data: parseJson<Record<string, unknown>>(row.data),
  };
}

/** JSON text for a column; `undefined` (e.g. a missing trace) is stored as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function bool(value: boolean): number {
  return value ? 1 : 0;
}
