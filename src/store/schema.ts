// Table shapes as Kysely sees them. Times are BIGINT epoch milliseconds, booleans are 0/1
// integers and JSON is text on both dialects, so rows read back identically from SQLite and Postgres.
import type { Generated } from 'kysely';

export interface LeadsTable {
  id: string;
  source: string;
  external_id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  /** JSON: LeadFieldValues. */
  fields: string;
  /** JSON: raw CRM properties. */
  props: string;
  mql_at: number;
  modified_at: number;
  owner_id: string | null;
  record_url: string | null;
  created_at: number;
  updated_at: number;
}

export interface HandoffsTable {
  id: string;
  lead_id: string;
  source: string;
  external_id: string;
  mql_at: number;
  state: string;
  version: number;
  hot: number;
  imported: number;
  email: string | null;
  channel: string | null;
  campaign: string | null;
  team_id: string | null;
  rep_id: string | null;
  offer_count: number;
  due_at: number | null;
  escalated_at: number | null;
  escalation_reason: string | null;
  decided_at: number | null;
  decided_by: string | null;
  reason_id: string | null;
  note: string | null;
  created_at: number;
  updated_at: number;
}

export interface OffersTable {
  id: string;
  handoff_id: string;
  rep_id: string;
  seq: number;
  state: string;
  offered_at: number;
  due_at: number;
  remind_at: number | null;
  reminded_at: number | null;
  decided_at: number | null;
  slack_channel: string | null;
  slack_ts: string | null;
  owner_match: number;
  /** JSON: the routing trace. */
  trace: string;
}

export interface EventsTable {
  id: Generated<number>;
  handoff_id: string;
  at: number;
  type: string;
  actor: string | null;
  /** JSON object. */
  data: string;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  /** JSON object. */
  payload: string;
  idempotency_key: string;
  handoff_id: string | null;
  state: string;
  run_at: number;
  attempts: number;
  last_error: string | null;
  locked_by: string | null;
  lease_until: number | null;
  /** Added by 0004_job_claim_tokens. */
  claim_token: string | null;
  created_at: number;
  updated_at: number;
}

export interface CursorsTable {
  name: string;
  value: string;
  updated_at: number;
}

export interface RotationTable {
  team_id: string;
  rep_id: string;
  pass: number;
  served: number;
  last_served_at: number | null;
}

/** Version of a team's fairness ledger: routing compares and bumps it in the offer's transaction. */
export interface RotationLedgersTable {
  team_id: string;
  version: number;
}

/** Per-rep load counters, kept by applyChange in the same transaction as the offers they count. */
export interface RepLoadTable {
  rep_id: string;
  open_offers: number;
  /** Offer slots before this instant were pruned: a count from an earlier `since` is read from the offers. */
  kept_from: number;
}

/** Offers made per rep per 15-minute slot (slot = its start, epoch ms); a local day is a run of slots. */
export interface RepOfferSlotsTable {
  rep_id: string;
  slot: number;
  offers: number;
}

export interface RepStatusTable {
  rep_id: string;
  away_until: number | null;
  since: number;
  note: string | null;
}

export interface IdentitiesTable {
  rep_id: string;
  kind: string;
  value: string;
  updated_at: number;
}

export interface AlertsTable {
  key: string;
  state: string;
  fired_at: number;
  last_notified_at: number | null;
  resolved_at: number | null;
  /** JSON object. */
  data: string;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
  acquired_at: number;
}

export interface ChannelMessagesTable {
  handoff_id: string;
  channel: string;
  ts: string | null;
  noted_at: number | null;
  /** JSON: step keys already told in the thread. */
  steps: string;
  shown: string | null;
  created_at: number;
  updated_at: number;
}

/** daily_rollups, weekly_rollups and monthly_rollups (src/store/rollups.ts): numbers per period and group, b0..b39 histogram counts. */
export interface RollupsTable {
  cube: string;
  start: number;
  side: string;
  team: string;
  rep: string;
  channel: string;
  campaign: string;
  hot: number;
  reason: string;
  [column: string]: number | string;
}

export interface Database {
  leads: LeadsTable;
  handoffs: HandoffsTable;
  offers: OffersTable;
  events: EventsTable;
  jobs: JobsTable;
  cursors: CursorsTable;
  rotation: RotationTable;
  rotation_ledgers: RotationLedgersTable;
  rep_load: RepLoadTable;
  rep_offer_slots: RepOfferSlotsTable;
  rep_status: RepStatusTable;
  identities: IdentitiesTable;
  alerts: AlertsTable;
  leases: LeasesTable;
  channel_messages: ChannelMessagesTable;
  daily_rollups: RollupsTable;
  weekly_rollups: RollupsTable;
  monthly_rollups: RollupsTable;
}

/** Every table, children before parents (the order to empty them in). */
export const TABLES = [
  'channel_messages',
  'events',
  'jobs',
  'offers',
  'handoffs',
  'leads',
  'cursors',
  'rotation',
  'rotation_ledgers',
  'rep_load',
  'rep_offer_slots',
  'rep_status',
  'identities',
  'alerts',
  'leases',
  'daily_rollups',
  'weekly_rollups',
  'monthly_rollups',
] as const satisfies readonly (keyof Database)[];

export type SqlDialect = 'sqlite' | 'postgres';
