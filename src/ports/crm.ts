// Where outcomes are written (HubSpot, Salesforce). May differ from the lead source.
import type { Lead, SourceKind } from '../domain/model.js';
import type { Failure } from './failure.js';

/** A record to write to: by id when the CRM is the source, else found by email. */
export interface CrmRecordRef {
  source: SourceKind;
  externalId: string;
  email: string | null;
}

export interface CrmUpdate {
  /** Caller's key (the outbox job id), echoed in the result. */
  key: string;
  record: CrmRecordRef;
  properties: Record<string, string>;
}

export interface CrmNote {
  key: string;
  record: CrmRecordRef;
  subject: string;
  body: string;
}

export type CrmWriteResult = { key: string; ok: true } | { key: string; ok: false; failure: Failure };

export interface OwnerMatch {
  /** The CRM owner id (HubSpot owner id, Salesforce User id). */
  ownerId: string;
  via: 'contact' | 'company' | 'account';
  detail: string;
}

export interface Crm {
  readonly kind: SourceKind;
  /** The CRM owner id of a rep by email (active owners only), or null when there is none. */
  resolveOwnerId(rep: { email: string }): Promise<string | null>;
  /** The existing owner of the lead's contact or its company/account, active owners only. */
  findOwnerMatch(lead: Lead, options: { skipFreeEmailDomains: boolean }): Promise<OwnerMatch | null>;
  /** Writes properties, batched; each update succeeds or fails on its own. */
  update(updates: CrmUpdate[]): Promise<CrmWriteResult[]>;
  /** Timeline notes (HubSpot) or completed Tasks (Salesforce). */
  addNotes(notes: CrmNote[]): Promise<CrmWriteResult[]>;
}
