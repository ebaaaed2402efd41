// Schema migrations, defined in code so the build needs no copied files. The same list runs on
// SQLite and Postgres; the only dialect difference is how auto-increment ids are declared.
import { Migrator, sql } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { AppError } from '../domain/errors.js';
import { OFFER_SLOT_MS } from './load-counters.js';
import type { SqlDialect } from './schema.js';
import { BUCKET_COLUMNS, COUNT_COLUMNS, MONTHLY_ROLLUPS, ROLLUP_TABLES, rebuildRollups } from './rollups.js';

export const MIGRATION_TABLE = 'handoff_migration';
export const MIGRATION_LOCK_TABLE = 'handoff_migration_lock';

// Kysely<any> is what Kysely's Migration type asks for: a migration runs against the schema as it
// was when the migration was written, not against today's Database interface.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function serialId(dialect: SqlDialect): 'integer' | 'bigserial' {
  return dialect === 'sqlite' ? 'integer' : 'bigserial';
}

function initialSchema(dialect: SqlDialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('leads')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('first_name', 'text')
        .addColumn('last_name', 'text')
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('props', 'text', (c) => c.notNull())
        .addColumn('mql_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addColumn('owner_id', 'text')
        .addColumn('record_url', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('leads_source_external_id_key', ['source', 'external_id'])
        .execute();

      await db.schema
        .createTable('handoffs')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('lead_id', 'text', (c) => c.notNull().references('leads.id'))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('mql_at', 'bigint', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('hot', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('imported', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('email', 'text')
        .addColumn('channel', 'text')
        .addColumn('campaign', 'text')
        .addColumn('team_id', 'text')
        .addColumn('rep_id', 'text')
        .addColumn('offer_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('due_at', 'bigint')
        .addColumn('escalated_at', 'bigint')
        .addColumn('escalation_reason', 'text')
        .addColumn('decided_at', 'bigint')
        .addColumn('decided_by', 'text')
        .addColumn('reason_id', 'text')
        .addColumn('note', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('handoffs_episode_key', ['source', 'external_id', 'mql_at'])
        .execute();
      await db.schema.createIndex('handoffs_mql_at_idx').on('handoffs').columns(['mql_at', 'id']).execute();
      await db.schema.createIndex('handoffs_team_id_idx').on('handoffs').columns(['team_id', 'mql_at']).execute();
      await db.schema.createIndex('handoffs_rep_id_idx').on('handoffs').columns(['rep_id', 'mql_at']).execute();
      await db.schema.createIndex('handoffs_state_idx').on('handoffs').columns(['state', 'mql_at']).execute();
      await db.schema.createIndex('handoffs_lead_id_idx').on('handoffs').column('lead_id').execute();
      await db.schema
        .createIndex('handoffs_email_idx')
        .on('handoffs')
        .expression(sql`lower(email)`)
        .execute();

      await db.schema
        .createTable('offers')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('handoff_id', 'text', (c) => c.notNull().references('handoffs.id'))
        .addColumn('rep_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('offered_at', 'bigint', (c) => c.notNull())
        .addColumn('due_at', 'bigint', (c) => c.notNull())
        .addColumn('remind_at', 'bigint')
        .addColumn('reminded_at', 'bigint')
        .addColumn('decided_at', 'bigint')
        .addColumn('slack_channel', 'text')
        .addColumn('slack_ts', 'text')
        .addColumn('owner_match', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('trace', 'text', (c) => c.notNull())
        .addUniqueConstraint('offers_handoff_seq_key', ['handoff_id', 'seq'])
        .execute();
      await db.schema.createIndex('offers_state_due_at_idx').on('offers').columns(['state', 'due_at']).execute();
      await db.schema.createIndex('offers_state_remind_at_idx').on('offers').columns(['state', 'remind_at']).execute();
      await db.schema.createIndex('offers_rep_id_idx').on('offers').columns(['rep_id', 'offered_at']).execute();

      await db.schema
        .createTable('events')
        .addColumn('id', serialId(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('handoff_id', 'text', (c) => c.notNull().references('handoffs.id'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('actor', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_handoff_id_idx').on('events').columns(['handoff_id', 'id']).execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', serialId(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('handoff_id', 'text', (c) => c.references('handoffs.id'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('run_at', 'bigint', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('locked_by', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('jobs_idempotency_key_key', ['idempotency_key'])
        .execute();
      await db.schema.createIndex('jobs_state_run_at_idx').on('jobs').columns(['state', 'run_at']).execute();
      await db.schema.createIndex('jobs_state_lease_until_idx').on('jobs').columns(['state', 'lease_until']).execute();
      await db.schema.createIndex('jobs_handoff_id_idx').on('jobs').column('handoff_id').execute();

      await db.schema
        .createTable('cursors')
        .addColumn('name', 'text', (c) => c.primaryKey().notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('rotation')
        .addColumn('team_id', 'text', (c) => c.notNull())
        .addColumn('rep_id', 'text', (c) => c.notNull())
        .addColumn('pass', 'double precision', (c) => c.notNull())
        .addColumn('served', 'integer', (c) => c.notNull())
        .addColumn('last_served_at', 'bigint')
        .addPrimaryKeyConstraint('rotation_pkey', ['team_id', 'rep_id'])
        .execute();

      await db.schema
        .createTable('rep_status')
        .addColumn('rep_id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('away_until', 'bigint')
        .addColumn('since', 'bigint', (c) => c.notNull())
        .addColumn('note', 'text')
        .execute();

      await db.schema
        .createTable('identities')
        .addColumn('rep_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('identities_pkey', ['rep_id', 'kind'])
        .execute();

      await db.schema
        .createTable('alerts')
        .addColumn('key', 'text', (c) => c.primaryKey().notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('fired_at', 'bigint', (c) => c.notNull())
        .addColumn('last_notified_at', 'bigint')
        .addColumn('resolved_at', 'bigint')
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alerts_state_idx').on('alerts').column('state').execute();

      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey().notNull())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('acquired_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}

/** Indexes for the metrics: cohorts by source (channel) or campaign, offers of a cohort by offer time, timed-out offers. */
function metricsIndexes(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.createIndex('handoffs_channel_idx').on('handoffs').columns(['channel', 'mql_at']).execute();
      await db.schema.createIndex('handoffs_campaign_idx').on('handoffs').columns(['campaign', 'mql_at']).execute();
      await db.schema
        .createIndex('offers_state_decided_at_idx')
        .on('offers')
        .columns(['state', 'decided_at'])
        .execute();
      await db.schema
        .createIndex('handoffs_state_decided_at_idx')
        .on('handoffs')
        .columns(['state', 'decided_at'])
        .execute();
      await db.schema.createIndex('offers_offered_at_idx').on('offers').columns(['offered_at', 'handoff_id']).execute();
    },
  };
}

/**
 * Per-rep load counters (open offers, offers per 15-minute slot) and a version per team ledger, created and
 * filled from the offers and ledger rows already stored, so routing reads O(team size) rows, never the offers.
 */
function repLoadCounters(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('rep_load')
        .addColumn('rep_id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('open_offers', 'integer', (c) => c.notNull())
        .addColumn('kept_from', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('rep_offer_slots')
        .addColumn('rep_id', 'text', (c) => c.notNull())
        .addColumn('slot', 'bigint', (c) => c.notNull())
        .addColumn('offers', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('rep_offer_slots_pkey', ['rep_id', 'slot'])
        .execute();
      await db.schema
        .createTable('rotation_ledgers')
        .addColumn('team_id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      await rebuildLoadCounters(db);
      await sql`insert into rotation_ledgers (team_id, version) select distinct team_id, 1 from rotation`.execute(db);
    },
  };
}

/** A lead's one message per Slack channel: where it is, a post about to go out, the thread steps told. */
function channelMessages(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('channel_messages')
        .addColumn('handoff_id', 'text', (c) => c.notNull().references('handoffs.id'))
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('ts', 'text')
        .addColumn('noted_at', 'bigint')
        .addColumn('steps', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('shown', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('channel_messages_pkey', ['handoff_id', 'channel'])
        .execute();
    },
  };
}

/**
 * Recomputes the load counters from the offers (the 0003 backfill; also for tools that load offers with
 * plain SQL, such as the routing bench). Every offer is counted, nothing pruned, so kept_from is 0.
 */
export async function rebuildLoadCounters(db: AnyDb): Promise<void> {
  await db.deleteFrom('rep_offer_slots').execute();
  await db.deleteFrom('rep_load').execute();
  await sql`insert into rep_load (rep_id, open_offers, kept_from)
    select rep_id, sum(case when state = 'open' then 1 else 0 end), 0 from offers group by rep_id`.execute(db);
  const slot = sql`(offered_at / ${sql.lit(OFFER_SLOT_MS)}) * ${sql.lit(OFFER_SLOT_MS)}`;
  await sql`insert into rep_offer_slots (rep_id, slot, offers)
    select rep_id, ${slot}, count(*) from offers group by rep_id, ${slot}`.execute(db);
}

/**
 * Job claims get a fence: every claim writes a fresh token, and only the claimant holding the current
 * token may renew, complete, retry, kill or defer the job (a claimant whose short lease ran out and was
 * taken over changes nothing).
 */
function jobClaimTokens(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('jobs').addColumn('claim_token', 'text').execute();
      // The dispatcher asks per kind whether work is due (and claims per kind).
      await db.schema
        .createIndex('jobs_kind_state_run_at_idx')
        .on('jobs')
        .columns(['kind', 'state', 'run_at'])
        .execute();
    },
  };
}

/** One rollup table (daily_rollups, weekly_rollups, monthly_rollups): key columns, counts, buckets. */
async function createRollupTable(db: AnyDb, dialect: SqlDialect, table: string): Promise<void> {
  let t = db.schema
    .createTable(table)
    .addColumn('cube', 'text', (c) => c.notNull())
    .addColumn('start', 'bigint', (c) => c.notNull())
    .addColumn('side', 'text', (c) => c.notNull())
    .addColumn('team', 'text', (c) => c.notNull())
    .addColumn('rep', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('campaign', 'text', (c) => c.notNull())
    .addColumn('hot', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull());
  for (const col of [...COUNT_COLUMNS, ...BUCKET_COLUMNS])
    t = t.addColumn(col, 'bigint', (c) => c.notNull().defaultTo(0));
  await t
    .addPrimaryKeyConstraint(`${table}_pkey`, [
      'cube',
      'start',
      'side',
      'team',
      'rep',
      'channel',
      'campaign',
      'hot',
      'reason',
    ])
    // SQLite: the rows live in the primary key's b-tree, so a range of periods is one sequential read.
    .$call((b) => (dialect === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b))
    .execute();
}

/**
 * Per-day and per-week rollups of the hand-off numbers (src/store/rollups.ts), built from the rows
 * already stored; from then on the store keeps them up to date in every change's transaction.
 */
function dailyRollups(dialect: SqlDialect): Migration {
  return {
    async up(db: AnyDb) {
      for (const table of ROLLUP_TABLES) await createRollupTable(db, dialect, table);
      // The dashboard's other reads at a million hand-offs: the oldest open live hand-offs in MQL order
      // (a walk of this index that stops at the first 50 instead of sorting every open one), and open
      // offers counted per rep from the index alone.
      await db.schema
        .createIndex('handoffs_live_mql_at_idx')
        .on('handoffs')
        .columns(['imported', 'mql_at', 'id'])
        .execute();
      await db.schema.createIndex('offers_state_rep_id_idx').on('offers').columns(['state', 'rep_id']).execute();
      // monthly_rollups comes with 0009: this rebuild fills the two tables there are at this point.
      await rebuildRollupsInMigration(db, dialect, false);
    },
  };
}

/**
 * The rep × source × campaign cube of the rollups (cube 'x', src/store/rollups.ts): the per-rep numbers
 * under a source or campaign filter. Its weekly rows are found by source or campaign through these
 * indexes (a long window reads a few percent of them); its daily rows are read by period alone (a window
 * reads at most 13 whole days from daily_rollups), so the bigger daily table carries no such index. The
 * rollups are rebuilt from the rows, so a store that has hand-offs gets the new cube's rows too.
 */
function rollupRepSource(dialect: SqlDialect): Migration {
  return {
    async up(db: AnyDb) {
      for (const col of ['channel', 'campaign'] as const)
        await db.schema
          .createIndex(`weekly_rollups_cube_${col}_idx`)
          .on('weekly_rollups')
          .columns(['cube', col, 'start'])
          .execute();
      // monthly_rollups comes with 0009: this rebuild fills the two tables there are at this point.
      await rebuildRollupsInMigration(db, dialect, false);
    },
  };
}

/**
 * Per-month rollups (monthly_rollups, src/store/rollups.ts): a window of two years reads a dozen or two
 * months of rows from it instead of a hundred weeks, with the weeks and days around the whole months
 * from the other two tables. Its rows of the rep × source × campaign cube are found by source or
 * campaign through the same indexes as the weekly table's. Built from the rows already stored.
 */
function monthlyRollups(dialect: SqlDialect): Migration {
  return {
    async up(db: AnyDb) {
      await createRollupTable(db, dialect, MONTHLY_ROLLUPS);
      for (const col of ['channel', 'campaign'] as const)
        await db.schema
          .createIndex(`monthly_rollups_cube_${col}_idx`)
          .on(MONTHLY_ROLLUPS)
          .columns(['cube', col, 'start'])
          .execute();
      await rebuildRollupsInMigration(db, dialect);
    },
  };
}

/** The migration runs inside the migrator's transaction on Postgres: build the rows without a second one. */
async function rebuildRollupsInMigration(db: AnyDb, dialect: SqlDialect, months = true): Promise<void> {
  await rebuildRollups(db, dialect, { inTransaction: true, months });
}

/** All migrations, oldest first. Names sort in order; never rename or edit a shipped one. */
export function buildMigrations(dialect: SqlDialect): Record<string, Migration> {
  return {
    '0001_initial_schema': initialSchema(dialect),
    '0002_metrics_indexes': metricsIndexes(),
    '0003_rep_load_counters': repLoadCounters(),
    '0004_job_claim_tokens': jobClaimTokens(),
    '0005_daily_rollups': dailyRollups(dialect),
    '0007_channel_messages': channelMessages(),
    '0008_rollup_rep_source': rollupRepSource(dialect),
    '0009_monthly_rollups': monthlyRollups(dialect),
  };
}

export interface MigrationReport {
  /** Migrations applied by this run, in order. */
  applied: string[];
  /** Every migration now recorded in the database. */
  all: string[];
}

export interface MigrateOptions {
  /**
   * Applies a pending migration even when later ones are recorded (the worker and `migrate` never set it: a
   * store must take migrations in name order). Tests of one migration's backfill undo its effects and remove
   * its record, then apply it again to a store that has every later migration.
   */
  allowUnordered?: boolean;
}

/** Applies every pending migration; throws AppError('store.unavailable') naming the one that failed. */
export async function runMigrations(
  db: AnyDb,
  dialect: SqlDialect,
  schema: string | undefined,
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  const migrations = buildMigrations(dialect);
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
    ...(options.allowUnordered === true ? { allowUnorderedMigrations: true } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const message = error instanceof Error ? error.message : String(error);
    throw new AppError(
      'store.unavailable',
      failed === undefined ? `migrating the store failed: ${message}` : `migration ${failed} failed: ${message}`,
      { cause: error },
    );
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const all = (await migrator.getMigrations()).filter((m) => m.executedAt !== undefined).map((m) => m.name);
  return { applied, all };
}
