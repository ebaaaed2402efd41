// The tables and indexes the design names, which both SQL engines must create (each engine's test reads its own
// catalogue and checks these are there).
export const SCHEMA_TABLES = [
  'alerts',
  'channel_messages',
  'cursors',
  'events',
  'handoffs',
  'identities',
  'jobs',
  'leads',
  'leases',
  'offers',
  'rep_load',
  'rep_offer_slots',
  'rep_status',
  'rotation',
  'rotation_ledgers',
  'daily_rollups',
  'weekly_rollups',
  'monthly_rollups',
];

/** Named indexes; the unique constraints are engine-specific (Postgres names them, SQLite makes autoindexes). */
export const SCHEMA_INDEXES = [
  'handoffs_mql_at_idx',
  'handoffs_team_id_idx',
  'handoffs_rep_id_idx',
  'handoffs_state_idx',
  'offers_state_due_at_idx',
  'offers_state_remind_at_idx',
  'jobs_state_run_at_idx',
];
