// Where MQLs come from (HubSpot, Salesforce).
import type { Lead, Millis, SourceKind } from '../domain/model.js';

export interface LeadPage {
  leads: Lead[];
  /** The cursor to store once every lead of this page is stored (never before). */
  cursor: string;
}

/** What the source says about a lead that is being offered (withdrawal check). */
export interface LeadStatus {
  externalId: string;
  exists: boolean;
  /** Still meets the MQL criterion. */
  mql: boolean;
  /** Owner set in the CRM, if any. */
  ownerId: string | null;
  /** Merged into another record. */
  mergedInto: string | null;
}

export interface LeadSource {
  readonly kind: SourceKind;
  /**
   * MQLs modified at or after the cursor (minus an overlap window, deduped by the caller's unique key),
   * oldest first, page by page. `cursor` null means start at `startFrom`.
   */
  poll(cursor: string | null, options: { startFrom: Millis; signal?: AbortSignal }): AsyncIterable<LeadPage>;
  /** Reads these records (webhook path); leads that are not MQL are left out. */
  fetchLeads(externalIds: string[]): Promise<Lead[]>;
  checkLeads(externalIds: string[]): Promise<LeadStatus[]>;
}
