// The Store port over Kysely, shared by SQLite and Postgres. Every multi-statement write runs in
// one transaction: `BEGIN IMMEDIATE` on SQLite (the write lock is taken up front, so a reader never
// has to upgrade), an ordinary transaction on Postgres where row locks and `FOR UPDATE SKIP LOCKED`
// keep concurrent replicas apart.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely, Updateable, UpdateQueryBuilder, UpdateResult } from 'kysely';
import { chunk } from '../domain/chunk.js';
import { INITIAL_STATE, OPEN_STATES, movesOf } from '../domain/handoff-machine.js';
import type { Handoff, HandoffEvent, Lead, Millis, Offer, SourceKind } from '../domain/model.js';
import type {
  AlertRow,
  ChangeResult,
  ChannelMessage,
  ClaimOptions,
  DueOffer,
  HandoffChange,
  HandoffPatch,
  IdentityKind,
  IngestInput,
  IngestResult,
  Job,
  JobState,
  NewEvent,
  NewJob,
  NewOffer,
  OfferPatch,
  OpenHandoffFilter,
  RepStatus,
  RotationEntry,
  RotationLedger,
  Store,
} from '../ports/store.js';
import {
  countInsertedOffer,
  countUpdatedOffer,
  emptyLoadDelta,
  offerSlot,
  SLOT_RETENTION_MS,
  type LoadDelta,
} from './load-counters.js';
import { runMigrations } from './migrations.js';
import { addHandoffToRollups, trackRollups } from './rollups.js';
import type { MigrateOptions, MigrationReport } from './migrations.js';
import {
  alertFromRow,
  bool,
  eventFromRow,
  handoffFromRow,
  jobFromRow,
  leadFromRow,
  offerFromRow,
  repStatusFromRow,
  rotationFromRow,
  toJson,
} from './rows.js';
import type { Database, HandoffsTable, OffersTable, SqlDialect } from './schema.js';
import type { Logger as StoreLogger } from '../ports/logger.js';

type Db = Kysely<Database>;

/** A Store backed by SQL, with the extras the CLI and tests use. */
export interface SqlStore extends Store {
  readonly dialect: SqlDialect;
  /** Like `migrate()`, but says which migrations this run applied. */
  migrateWithReport(options?: MigrateOptions): Promise<MigrationReport>;
  /** The Kysely instance, for store-internal queries (stats) and tests. */
  readonly db: Db;
}

export interface SqlStoreOptions {
  dialect: SqlDialect;
  /** Postgres schema the tables live in (search_path), if not the default one. */
  schema?: string;
  logger: StoreLogger;
  /** Runs after the connection pool is destroyed (releases the SQLite process lock). */
  onClose?: () => void | Promise<void>;
}

/** Thrown inside a transaction to roll it back when a compare-and-set finds a different row. */
class CasMismatch extends Error {
  constructor(readonly ledger = false) {
    super(ledger ? 'rotation ledger compare-and-set mismatch' : 'compare-and-set mismatch');
  }
}

/** Rows per multi-row INSERT, well under SQLite's bound-parameter limit. */
const CHUNK = 200;

/** Job ids are integers in SQL; anything else names no job. */
function jobId(id: string): number | null {
  const n = Number(id);
  return id.trim() !== '' && Number.isSafeInteger(n) && n > 0 ? n : null;
}

function handoffPatchColumns(set: HandoffPatch): Updateable<HandoffsTable> {
  const cols: Updateable<HandoffsTable> = {};
  if (set.hot !== undefined) cols.hot = bool(set.hot);
  if (set.teamId !== undefined) cols.team_id = set.teamId;
  if (set.repId !== undefined) cols.rep_id = set.repId;
  if (set.offerCount !== undefined) cols.offer_count = set.offerCount;
  if (set.dueAt !== undefined) cols.due_at = set.dueAt;
  if (set.escalatedAt !== undefined) cols.escalated_at = set.escalatedAt;
  if (set.escalationReason !== undefined) cols.escalation_reason = set.escalationReason;
  if (set.decidedAt !== undefined) cols.decided_at = set.decidedAt;
  if (set.decidedBy !== undefined) cols.decided_by = set.decidedBy;
  if (set.reasonId !== undefined) cols.reason_id = set.reasonId;
  if (set.note !== undefined) cols.note = set.note;
  return cols;
}

function offerPatchColumns(set: OfferPatch): Updateable<OffersTable> {
  const cols: Updateable<OffersTable> = {};
  if (set.state !== undefined) cols.state = set.state;
  if (set.dueAt !== undefined) cols.due_at = set.dueAt;
  if (set.remindAt !== undefined) cols.remind_at = set.remindAt;
  if (set.remindedAt !== undefined) cols.reminded_at = set.remindedAt;
  if (set.decidedAt !== undefined) cols.decided_at = set.decidedAt;
  if (set.slackChannel !== undefined) cols.slack_channel = set.slackChannel;
  if (set.slackTs !== undefined) cols.slack_ts = set.slackTs;
  return cols;
}

function offerRow(offer: NewOffer, handoffId: string): OffersTable {
  return {
    id: offer.id ?? randomUUID(),
    handoff_id: handoffId,
    rep_id: offer.repId,
    seq: offer.seq,
    state: offer.state,
    offered_at: offer.offeredAt,
    due_at: offer.dueAt,
    remind_at: offer.remindAt,
    reminded_at: null,
    decided_at: null,
    slack_channel: null,
    slack_ts: null,
    owner_match: bool(offer.ownerMatch),
    trace: toJson(offer.trace),
  };
}

function jobRow(job: NewJob, now: Millis, defaultHandoffId: string | null) {
  return {
    kind: job.kind,
    payload: toJson(job.payload),
    idempotency_key: job.idempotencyKey,
    handoff_id: job.handoffId === undefined ? defaultHandoffId : job.handoffId,
    state: 'pending',
    run_at: job.runAt,
    attempts: 0,
    last_error: null,
    locked_by: null,
    lease_until: null,
    claim_token: null,
    created_at: now,
    updated_at: now,
  };
}

function eventRow(handoffId: string, event: NewEvent, now: Millis) {
  return { handoff_id: handoffId, at: now, type: event.type, actor: event.actor, data: toJson(event.data ?? {}) };
}

async function insertEvents(db: Db, handoffId: string, events: readonly NewEvent[], now: Millis): Promise<void> {
  for (const part of chunk(events, CHUNK)) {
    await db
      .insertInto('events')
      .values(part.map((e) => eventRow(handoffId, e, now)))
      .execute();
  }
}

async function insertJobs(
  db: Db,
  jobs: readonly NewJob[],
  now: Millis,
  defaultHandoffId: string | null,
): Promise<void> {
  for (const part of chunk(jobs, CHUNK)) {
    await db
      .insertInto('jobs')
      .values(part.map((j) => jobRow(j, now, defaultHandoffId)))
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
  }
}

async function upsertRotation(db: Db, entries: readonly RotationEntry[]): Promise<void> {
  // One row per (team, rep), the last entry winning: Postgres refuses to upsert a row twice in one statement.
  const unique = [...new Map(entries.map((e) => [JSON.stringify([e.teamId, e.repId]), e])).values()];
  for (const part of chunk(unique, CHUNK)) {
    await db
      .insertInto('rotation')
      .values(
        part.map((e) => ({
          team_id: e.teamId,
          rep_id: e.repId,
          pass: e.pass,
          served: e.served,
          last_served_at: e.lastServedAt,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['team_id', 'rep_id']).doUpdateSet((eb) => ({
          pass: eb.ref('excluded.pass'),
          served: eb.ref('excluded.served'),
          last_served_at: eb.ref('excluded.last_served_at'),
        })),
      )
      .execute();
  }
}

/**
 * Writes the counter changes, reps in id order (so two transactions lock rep rows in the same order). Slots
 * older than the retention are dropped when a rep's kept_from moves on, at most once per slot per rep.
 */
async function applyLoadDelta(db: Db, delta: LoadDelta, now: Millis): Promise<void> {
  const reps = [...new Set([...delta.open.keys(), ...delta.slots.keys()])].sort();
  const cutoff = offerSlot(now - SLOT_RETENTION_MS);
  for (const repId of reps) {
    const open = delta.open.get(repId) ?? 0;
    const slots = delta.slots.get(repId);
    // A rep's first row starts at the cutoff: it has no older slots to prune.
    const row = await db
      .insertInto('rep_load')
      .values({ rep_id: repId, open_offers: open, kept_from: cutoff })
      .onConflict((oc) =>
        oc
          .column('rep_id')
          .doUpdateSet((eb) => ({ open_offers: eb('rep_load.open_offers', '+', eb.ref('excluded.open_offers')) })),
      )
      .returning('kept_from')
      .executeTakeFirstOrThrow();
    if (slots === undefined) continue;
    if (Number(row.kept_from) < cutoff) {
      await db.deleteFrom('rep_offer_slots').where('rep_id', '=', repId).where('slot', '<', cutoff).execute();
      await db.updateTable('rep_load').set({ kept_from: cutoff }).where('rep_id', '=', repId).execute();
    }
    await db
      .insertInto('rep_offer_slots')
      .values([...slots].map(([slot, offers]) => ({ rep_id: repId, slot, offers })))
      .onConflict((oc) =>
        oc
          .columns(['rep_id', 'slot'])
          .doUpdateSet((eb) => ({ offers: eb('rep_offer_slots.offers', '+', eb.ref('excluded.offers')) })),
      )
      .execute();
  }
}

/**
 * Compare-and-set on the ledgers a change writes: every team with rotation rows must be named in
 * `expectLedger`, and each named version must still be the stored one. Bumps each version by one.
 */
async function checkLedgers(db: Db, change: HandoffChange): Promise<void> {
  const expected = new Map<string, number>();
  for (const e of change.expectLedger ?? []) expected.set(e.teamId, e.version);
  for (const r of change.rotation ?? []) {
    if (!expected.has(r.teamId))
      throw new Error(`rotation rows for team ${r.teamId} without the ledger version routing read (expectLedger)`);
  }
  for (const [teamId, version] of [...expected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const row =
      version === 0
        ? await db
            .insertInto('rotation_ledgers')
            .values({ team_id: teamId, version: 1 })
            .onConflict((oc) => oc.column('team_id').doNothing())
            .returning('version')
            .executeTakeFirst()
        : await db
            .updateTable('rotation_ledgers')
            .set((eb) => ({ version: eb('version', '+', 1) }))
            .where('team_id', '=', teamId)
            .where('version', '=', version)
            .returning('version')
            .executeTakeFirst();
    if (row === undefined) throw new CasMismatch(true);
  }
}

async function bumpLedgers(db: Db, teamIds: readonly string[]): Promise<void> {
  for (const teamId of [...new Set(teamIds)].sort()) {
    await db
      .insertInto('rotation_ledgers')
      .values({ team_id: teamId, version: 1 })
      .onConflict((oc) =>
        oc.column('team_id').doUpdateSet((eb) => ({ version: eb('rotation_ledgers.version', '+', 1) })),
      )
      .execute();
  }
}

export function createSqlStore(db: Db, options: SqlStoreOptions): SqlStore {
  const { dialect, logger } = options;
  let closed = false;

  /** Runs `fn` in a write transaction; on SQLite the write lock is taken at BEGIN. */
  async function writeTx<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (dialect === 'postgres') return db.transaction().execute(fn);
    return db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      let result: T;
      try {
        result = await fn(conn);
      } catch (err) {
        // SQLite may already have rolled back on its own (e.g. SQLITE_FULL); keep the first error.
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw err;
      }
      await sql`commit`.execute(conn);
      return result;
    });
  }

  async function getHandoff(id: string): Promise<Handoff | null> {
    const row = await db.selectFrom('handoffs').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : handoffFromRow(row);
  }

  /** One fenced settle: changes the job only while it still runs under `claimToken`. */
  async function settleJob(
    id: string,
    claimToken: string,
    set: (
      q: UpdateQueryBuilder<Database, 'jobs', 'jobs', UpdateResult>,
    ) => UpdateQueryBuilder<Database, 'jobs', 'jobs', UpdateResult>,
  ): Promise<boolean> {
    const numericId = jobId(id);
    if (numericId === null) return false;
    const result = await set(db.updateTable('jobs'))
      .where('id', '=', numericId)
      .where('state', '=', 'running')
      .where('claim_token', '=', claimToken)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async function migrateWithReport(migrate: MigrateOptions = {}): Promise<MigrationReport> {
    const report = await runMigrations(db, dialect, options.schema, migrate);
    if (report.applied.length > 0) logger.info({ applied: report.applied, dialect }, 'store migrated');
    else logger.debug({ dialect }, 'store schema up to date');
    return report;
  }

  const store: SqlStore = {
    dialect,
    db,

    async migrate() {
      await migrateWithReport();
    },
    migrateWithReport,

    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.destroy();
      } finally {
        await options.onClose?.();
      }
    },

    // --- hand-offs ------------------------------------------------------------------------------

    async ingest(input: IngestInput, now: Millis): Promise<IngestResult> {
      const { lead } = input;
      return writeTx(async (tx) => {
        // Keep the newest snapshot of the lead: an older episode (backfill) never overwrites it.
        const upserted = await tx
          .insertInto('leads')
          .values({
            id: randomUUID(),
            source: lead.source,
            external_id: lead.externalId,
            email: lead.email,
            first_name: lead.firstName,
            last_name: lead.lastName,
            fields: toJson(lead.fields),
            props: toJson(lead.props),
            mql_at: lead.mqlAt,
            modified_at: lead.modifiedAt,
            owner_id: lead.ownerId,
            record_url: lead.recordUrl,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) =>
            oc
              .columns(['source', 'external_id'])
              .doUpdateSet((eb) => ({
                email: eb.ref('excluded.email'),
                first_name: eb.ref('excluded.first_name'),
                last_name: eb.ref('excluded.last_name'),
                fields: eb.ref('excluded.fields'),
                props: eb.ref('excluded.props'),
                mql_at: eb.ref('excluded.mql_at'),
                modified_at: eb.ref('excluded.modified_at'),
                owner_id: eb.ref('excluded.owner_id'),
                record_url: eb.ref('excluded.record_url'),
                updated_at: eb.ref('excluded.updated_at'),
              }))
              .where((eb) => eb('leads.modified_at', '<=', eb.ref('excluded.modified_at'))),
          )
          .returning('id')
          .executeTakeFirst();
        const leadId =
          upserted?.id ??
          (
            await tx
              .selectFrom('leads')
              .select('id')
              .where('source', '=', lead.source)
              .where('external_id', '=', lead.externalId)
              .executeTakeFirstOrThrow()
          ).id;

        const inserted = await tx
          .insertInto('handoffs')
          .values({
            id: randomUUID(),
            lead_id: leadId,
            source: lead.source,
            external_id: lead.externalId,
            mql_at: lead.mqlAt,
            state: input.state ?? INITIAL_STATE,
            version: 1,
            hot: bool(input.hot),
            imported: bool(input.imported),
            email: lead.email,
            channel: lead.fields.channel ?? null,
            campaign: lead.fields.campaign ?? null,
            team_id: null,
            rep_id: null,
            offer_count: 0,
            due_at: null,
            escalated_at: null,
            escalation_reason: null,
            decided_at: input.decidedAt ?? null,
            decided_by: input.decidedBy ?? null,
            reason_id: input.reasonId ?? null,
            note: null,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.columns(['source', 'external_id', 'mql_at']).doNothing())
          .returningAll()
          .executeTakeFirst();
        if (inserted === undefined) {
          const existing = await tx
            .selectFrom('handoffs')
            .selectAll()
            .where('source', '=', lead.source)
            .where('external_id', '=', lead.externalId)
            .where('mql_at', '=', lead.mqlAt)
            .executeTakeFirstOrThrow();
          return { created: false, handoff: handoffFromRow(existing) };
        }
        await insertEvents(tx, inserted.id, input.events ?? [], now);
        await insertJobs(tx, input.jobs ?? [], now, inserted.id);
        await addHandoffToRollups(tx, inserted);
        return { created: true, handoff: handoffFromRow(inserted) };
      });
    },

    async applyChange(change: HandoffChange, now: Millis): Promise<ChangeResult> {
      try {
        return await writeTx(async (tx): Promise<ChangeResult> => {
          const rollups = await trackRollups(tx, dialect, change.handoffId);
          let update = tx
            .updateTable('handoffs')
            .set(handoffPatchColumns(change.set))
            .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
            .where('id', '=', change.handoffId)
            .where('version', '=', change.expectVersion);
          if (change.action !== null) {
            // The transition table decides both the guard and the new state: `state IN (from…)` and
            // `CASE state WHEN from THEN to … END`, one branch per move the action makes.
            const moves = movesOf(change.action);
            const target = sql<string>`case state ${sql.join(
              moves.map((m) => sql`when ${sql.lit(m.from)} then ${sql.lit(m.to)}`),
              sql` `,
            )} end`;
            update = update.set({ state: target }).where(
              'state',
              'in',
              moves.map((m) => m.from),
            );
          }
          const updated = await update.returningAll().executeTakeFirst();
          if (updated === undefined) throw new CasMismatch();

          const offers: Offer[] = [];
          const load = emptyLoadDelta();
          for (const part of chunk(change.insertOffers ?? [], CHUNK)) {
            const rows = await tx
              .insertInto('offers')
              .values(part.map((o) => offerRow(o, change.handoffId)))
              .returningAll()
              .execute();
            for (const row of rows) {
              const offer = offerFromRow(row);
              countInsertedOffer(load, offer);
              offers.push(offer);
            }
          }
          for (const u of change.updateOffers ?? []) {
            const cols = offerPatchColumns(u.set);
            // An empty patch still has to prove the offer is in the expected state.
            const row =
              Object.keys(cols).length === 0
                ? await tx
                    .selectFrom('offers')
                    .selectAll()
                    .where('id', '=', u.id)
                    .where('handoff_id', '=', change.handoffId)
                    .where('state', '=', u.expectState)
                    .executeTakeFirst()
                : await tx
                    .updateTable('offers')
                    .set(cols)
                    .where('id', '=', u.id)
                    .where('handoff_id', '=', change.handoffId)
                    .where('state', '=', u.expectState)
                    .returningAll()
                    .executeTakeFirst();
            if (row === undefined) throw new CasMismatch();
            const offer = offerFromRow(row);
            countUpdatedOffer(load, offer.repId, u.expectState, offer.state);
            offers.push(offer);
          }
          await checkLedgers(tx, change);
          await applyLoadDelta(tx, load, now);
          await insertEvents(tx, change.handoffId, change.events, now);
          await insertJobs(tx, change.jobs ?? [], now, change.handoffId);
          await upsertRotation(tx, change.rotation ?? []);
          await rollups.commit();
          return { ok: true, handoff: handoffFromRow(updated), offers };
        });
      } catch (err) {
        if (err instanceof CasMismatch) {
          const current = await getHandoff(change.handoffId);
          return err.ledger ? { ok: false, current, ledgerConflict: true } : { ok: false, current };
        }
        throw err;
      }
    },

    getHandoff,

    async getLead(leadId: string): Promise<Lead | null> {
      const row = await db.selectFrom('leads').selectAll().where('id', '=', leadId).executeTakeFirst();
      return row === undefined ? null : leadFromRow(row);
    },

    async findHandoffsByRecord(source: SourceKind, externalId: string): Promise<Handoff[]> {
      const rows = await db
        .selectFrom('handoffs')
        .selectAll()
        .where('source', '=', source)
        .where('external_id', '=', externalId)
        .orderBy('mql_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(handoffFromRow);
    },

    async findHandoffsByEmail(email: string): Promise<Handoff[]> {
      const rows = await db
        .selectFrom('handoffs')
        .selectAll()
        .where(sql<string>`lower(email)`, '=', email.trim().toLowerCase())
        .orderBy('mql_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(handoffFromRow);
    },

    async listOpenHandoffs(limit: number, filter?: OpenHandoffFilter): Promise<Handoff[]> {
      if (limit <= 0) return [];
      const f = filter ?? {};
      const rows = await db
        .selectFrom('handoffs')
        .selectAll()
        .where('state', 'in', [...OPEN_STATES])
        .where('imported', '=', 0)
        .$if(f.team !== undefined, (q) => q.where('team_id', '=', f.team ?? ''))
        .$if(f.source !== undefined, (q) => q.where('channel', '=', f.source ?? ''))
        .$if(f.campaign !== undefined, (q) => q.where('campaign', '=', f.campaign ?? ''))
        .$if(f.hot !== undefined, (q) => q.where('hot', '=', f.hot ? 1 : 0))
        .orderBy('mql_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(handoffFromRow);
    },

    async listHandoffsByMqlTime(from, to, limit, after) {
      if (limit <= 0) return [];
      let query = db.selectFrom('handoffs').selectAll().where('mql_at', '>=', from).where('mql_at', '<', to);
      if (after !== undefined) {
        query = query.where((eb) =>
          eb.or([eb('mql_at', '>', after.mqlAt), eb.and([eb('mql_at', '=', after.mqlAt), eb('id', '>', after.id)])]),
        );
      }
      const rows = await query.orderBy('mql_at').orderBy('id').limit(limit).execute();
      return rows.map(handoffFromRow);
    },

    // --- offers ---------------------------------------------------------------------------------

    async getOffer(id: string): Promise<Offer | null> {
      const row = await db.selectFrom('offers').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : offerFromRow(row);
    },

    async listOffers(handoffId: string): Promise<Offer[]> {
      const rows = await db
        .selectFrom('offers')
        .selectAll()
        .where('handoff_id', '=', handoffId)
        .orderBy('seq')
        .execute();
      return rows.map(offerFromRow);
    },

    async listOpenOffersForRep(repId: string): Promise<Offer[]> {
      const rows = await db
        .selectFrom('offers')
        .selectAll()
        .where('rep_id', '=', repId)
        .where('state', '=', 'open')
        .orderBy('offered_at')
        .orderBy('id')
        .execute();
      return rows.map(offerFromRow);
    },

    async listDueOffers(now: Millis, limit: number): Promise<DueOffer[]> {
      if (limit <= 0) return [];
      // Two index range scans ((state, due_at) and (state, remind_at)) instead of one OR. Hot lanes come
      // first (after a takeover many deadlines may be due at once), then the oldest deadline.
      const timedOut = await db
        .selectFrom('offers')
        .innerJoin('handoffs', 'handoffs.id', 'offers.handoff_id')
        .selectAll('offers')
        .select('handoffs.hot as hot')
        .where('offers.state', '=', 'open')
        .where('offers.due_at', '<=', now)
        .orderBy('handoffs.hot', 'desc')
        .orderBy('offers.due_at')
        .orderBy('offers.id')
        .limit(limit)
        .execute();
      const reminders = await db
        .selectFrom('offers')
        .innerJoin('handoffs', 'handoffs.id', 'offers.handoff_id')
        .selectAll('offers')
        .select('handoffs.hot as hot')
        .where('offers.state', '=', 'open')
        .where('offers.remind_at', '<=', now)
        .where('offers.reminded_at', 'is', null)
        .where('offers.due_at', '>', now)
        .orderBy('handoffs.hot', 'desc')
        .orderBy('offers.remind_at')
        .orderBy('offers.id')
        .limit(limit)
        .execute();
      const due = [
        ...timedOut.map((row) => ({ offer: offerFromRow(row), hot: Number(row.hot) === 1, due: 'timeout' as const })),
        ...reminders.map((row) => ({ offer: offerFromRow(row), hot: Number(row.hot) === 1, due: 'remind' as const })),
      ];
      const at = (d: (typeof due)[number]) =>
        d.due === 'timeout' ? d.offer.dueAt : (d.offer.remindAt ?? d.offer.dueAt);
      due.sort(
        (a, b) =>
          Number(b.hot) - Number(a.hot) ||
          at(a) - at(b) ||
          (a.offer.id < b.offer.id ? -1 : a.offer.id > b.offer.id ? 1 : 0),
      );
      const picked = due.slice(0, limit);
      if (picked.length === 0) return [];
      const handoffIds = [...new Set(picked.map((d) => d.offer.handoffId))];
      const handoffs = new Map<string, Handoff>();
      for (const part of chunk(handoffIds, CHUNK)) {
        const rows = await db.selectFrom('handoffs').selectAll().where('id', 'in', part).execute();
        for (const row of rows) handoffs.set(row.id, handoffFromRow(row));
      }
      return picked.flatMap((d) => {
        const handoff = handoffs.get(d.offer.handoffId);
        return handoff === undefined ? [] : [{ offer: d.offer, handoff, due: d.due }];
      });
    },

    async countOpenOffersByRep(repIds?: readonly string[]): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      const parts = repIds === undefined ? [undefined] : chunk([...new Set(repIds)], CHUNK);
      for (const part of parts) {
        if (part !== undefined && part.length === 0) continue;
        let query = db.selectFrom('rep_load').select(['rep_id', 'open_offers']).where('open_offers', '>', 0);
        if (part !== undefined) query = query.where('rep_id', 'in', part);
        for (const row of await query.execute()) counts[row.rep_id] = Number(row.open_offers);
      }
      return counts;
    },

    async countOffersByRepSince(since: Record<string, Millis>): Promise<Record<string, number>> {
      const entries = Object.entries(since);
      const counts: Record<string, number> = {};
      for (const [repId] of entries) counts[repId] = 0;
      // Reps with no counter row never had an offer; a `since` on a slot boundary and not before the
      // pruned slots is a sum of slots; anything else is counted from the offers themselves.
      const keptFrom = new Map<string, number>();
      for (const part of chunk(entries, CHUNK)) {
        const rows = await db
          .selectFrom('rep_load')
          .select(['rep_id', 'kept_from'])
          .where(
            'rep_id',
            'in',
            part.map(([repId]) => repId),
          )
          .execute();
        for (const row of rows) keptFrom.set(row.rep_id, Number(row.kept_from));
      }
      const fromSlots: [string, Millis][] = [];
      const fromOffers: [string, Millis][] = [];
      for (const [repId, at] of entries) {
        const kept = keptFrom.get(repId);
        if (kept === undefined) continue;
        if (offerSlot(at) === at && at >= kept) fromSlots.push([repId, at]);
        else fromOffers.push([repId, at]);
      }
      // Reps in one time zone share their `since`: one range query per distinct moment.
      const bySince = new Map<Millis, string[]>();
      for (const [repId, at] of fromSlots) bySince.set(at, [...(bySince.get(at) ?? []), repId]);
      for (const [at, repIds] of bySince) {
        for (const part of chunk(repIds, CHUNK)) {
          const rows = await db
            .selectFrom('rep_offer_slots')
            .select(['rep_id', (eb) => eb.fn.sum<number | string>('offers').as('n')])
            .where('rep_id', 'in', part)
            .where('slot', '>=', at)
            .groupBy('rep_id')
            .execute();
          for (const row of rows) counts[row.rep_id] = Number(row.n);
        }
      }
      for (const part of chunk(fromOffers, 100)) {
        const rows = await db
          .selectFrom('offers')
          .select(['rep_id', (eb) => eb.fn.countAll().as('n')])
          .where((eb) =>
            eb.or(part.map(([repId, at]) => eb.and([eb('rep_id', '=', repId), eb('offered_at', '>=', at)]))),
          )
          .groupBy('rep_id')
          .execute();
        for (const row of rows) counts[row.rep_id] = Number(row.n);
      }
      return counts;
    },

    async setOfferMessage(offerId: string, message: { channel: string; ts: string }): Promise<void> {
      await db
        .updateTable('offers')
        .set({ slack_channel: message.channel, slack_ts: message.ts })
        .where('id', '=', offerId)
        .execute();
    },

    async setOfferChannel(offerId: string, channel: string): Promise<void> {
      await db
        .updateTable('offers')
        .set({ slack_channel: channel })
        .where('id', '=', offerId)
        .where('slack_ts', 'is', null)
        .execute();
    },

    // --- channel messages -------------------------------------------------------------------------

    async listChannelMessages(handoffId: string): Promise<ChannelMessage[]> {
      const rows = await db
        .selectFrom('channel_messages')
        .selectAll()
        .where('handoff_id', '=', handoffId)
        .orderBy('created_at')
        .orderBy('channel')
        .execute();
      return rows.map((r) => ({
        handoffId: r.handoff_id,
        channel: r.channel,
        ts: r.ts,
        notedAt: r.noted_at === null ? null : Number(r.noted_at),
        steps: JSON.parse(r.steps) as string[],
        shown: r.shown,
      }));
    },

    async noteChannelMessage(handoffId: string, channel: string, now: Millis): Promise<void> {
      await db
        .insertInto('channel_messages')
        .values({
          handoff_id: handoffId,
          channel,
          ts: null,
          noted_at: now,
          steps: '[]',
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['handoff_id', 'channel']).doNothing())
        .execute();
      // The first note stays: a post that went out after it is looked for from then on.
      await db
        .updateTable('channel_messages')
        .set({ noted_at: now, updated_at: now })
        .where('handoff_id', '=', handoffId)
        .where('channel', '=', channel)
        .where('ts', 'is', null)
        .where('noted_at', 'is', null)
        .execute();
    },

    async setChannelMessageTs(
      handoffId: string,
      channel: string,
      ts: string,
      now: Millis,
      shown?: string,
    ): Promise<void> {
      await db
        .insertInto('channel_messages')
        .values({
          handoff_id: handoffId,
          channel,
          ts,
          noted_at: null,
          steps: '[]',
          shown: shown ?? null,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['handoff_id', 'channel']).doUpdateSet({ ts, shown: shown ?? null, updated_at: now }),
        )
        .execute();
    },

    async setChannelMessageShown(handoffId: string, channel: string, shown: string, now: Millis): Promise<void> {
      await db
        .updateTable('channel_messages')
        .set({ shown, updated_at: now })
        .where('handoff_id', '=', handoffId)
        .where('channel', '=', channel)
        .execute();
    },

    async addChannelMessageStep(handoffId: string, channel: string, step: string, now: Millis): Promise<void> {
      // Compare-and-set on the list read, so two writers never drop each other's step.
      for (let attempt = 0; attempt < 5; attempt++) {
        const row = await db
          .selectFrom('channel_messages')
          .select('steps')
          .where('handoff_id', '=', handoffId)
          .where('channel', '=', channel)
          .executeTakeFirst();
        if (row === undefined) return;
        const steps = JSON.parse(row.steps) as string[];
        if (steps.includes(step)) return;
        const result = await db
          .updateTable('channel_messages')
          .set({ steps: JSON.stringify([...steps, step]), updated_at: now })
          .where('handoff_id', '=', handoffId)
          .where('channel', '=', channel)
          .where('steps', '=', row.steps)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) > 0) return;
      }
      throw new Error(`steps of the message of ${handoffId} in ${channel} keep changing`);
    },

    // --- audit ----------------------------------------------------------------------------------

    async listEvents(handoffId: string): Promise<HandoffEvent[]> {
      const rows = await db
        .selectFrom('events')
        .selectAll()
        .where('handoff_id', '=', handoffId)
        .orderBy('id')
        .execute();
      return rows.map(eventFromRow);
    },

    async appendEvent(handoffId: string, event: NewEvent, now: Millis): Promise<void> {
      await insertEvents(db, handoffId, [event], now);
    },

    // --- outbox ---------------------------------------------------------------------------------

    async enqueueJobs(jobs: NewJob[], now: Millis): Promise<void> {
      if (jobs.length === 0) return;
      await writeTx((tx) => insertJobs(tx, jobs, now, null));
    },

    async claimJobs(claim: ClaimOptions): Promise<Job[]> {
      if (claim.limit <= 0 || (claim.kinds !== undefined && claim.kinds.length === 0)) return [];
      return writeTx(async (tx) => {
        let candidates = tx
          .selectFrom('jobs')
          .select('id')
          .where((eb) =>
            eb.or([
              eb.and([eb('state', '=', 'pending'), eb('run_at', '<=', claim.now)]),
              eb.and([eb('state', '=', 'running'), eb('lease_until', '<=', claim.now)]),
            ]),
          );
        if (claim.kinds !== undefined) candidates = candidates.where('kind', 'in', claim.kinds);
        if (claim.notKinds !== undefined && claim.notKinds.length > 0)
          candidates = candidates.where('kind', 'not in', claim.notKinds);
        candidates = candidates.orderBy('run_at').orderBy('id').limit(claim.limit);
        if (dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
        const ids = (await candidates.execute()).map((r) => r.id);
        if (ids.length === 0) return [];
        const claimToken = randomUUID();
        const rows = await tx
          .updateTable('jobs')
          .set((eb) => ({
            state: 'running',
            locked_by: claim.workerId,
            lease_until: claim.now + claim.leaseMs,
            claim_token: claimToken,
            attempts: eb('attempts', '+', 1),
            updated_at: claim.now,
          }))
          .where('id', 'in', ids)
          .returningAll()
          .execute();
        return rows.map(jobFromRow).sort((a, b) => a.runAt - b.runAt || Number(a.id) - Number(b.id));
      });
    },

    async dueKinds(now: Millis, kinds: string[]): Promise<string[]> {
      if (kinds.length === 0) return [];
      // Two probes of the (kind, state, run_at) index per kind — a due pending job, a running one whose lease
      // lapsed — in one UNION ALL.
      const probe = (kind: string, state: 'pending' | 'running') =>
        db
          .selectFrom(
            db
              .selectFrom('jobs')
              .select('kind')
              .where('kind', '=', kind)
              .where('state', '=', state)
              .where(state === 'pending' ? 'run_at' : 'lease_until', '<=', now)
              .limit(1)
              .as('probe'),
          )
          .select('probe.kind');
      const probes = kinds.flatMap((k) => [probe(k, 'pending'), probe(k, 'running')]);
      let query = probes[0]!;
      for (const next of probes.slice(1)) query = query.unionAll(next);
      const rows = await query.execute();
      return [...new Set(rows.map((r) => r.kind))];
    },

    async renewJobLeases(claimTokens: string[], leaseUntil: Millis, now: Millis): Promise<number> {
      let renewed = 0;
      for (const part of chunk([...new Set(claimTokens)], CHUNK)) {
        const result = await db
          .updateTable('jobs')
          .set({ lease_until: leaseUntil, updated_at: now })
          .where('state', '=', 'running')
          .where('claim_token', 'in', part)
          .executeTakeFirst();
        renewed += Number(result.numUpdatedRows);
      }
      return renewed;
    },

    async completeJob(id: string, claimToken: string, now: Millis): Promise<boolean> {
      return settleJob(id, claimToken, (q) =>
        q.set({ state: 'done', lease_until: null, claim_token: null, updated_at: now }),
      );
    },

    async retryJob(id: string, claimToken: string, retry: { runAt: Millis; error: string }, now: Millis) {
      return settleJob(id, claimToken, (q) =>
        q.set({
          state: 'pending',
          run_at: retry.runAt,
          last_error: retry.error,
          locked_by: null,
          lease_until: null,
          claim_token: null,
          updated_at: now,
        }),
      );
    },

    async killJob(id: string, claimToken: string, error: string, now: Millis): Promise<boolean> {
      return settleJob(id, claimToken, (q) =>
        q.set({ state: 'dead', last_error: error, lease_until: null, claim_token: null, updated_at: now }),
      );
    },

    async deferJob(id: string, claimToken: string, runAt: Millis, now: Millis): Promise<boolean> {
      // The claim counted an attempt; a deferral is not one, so it is given back.
      return settleJob(id, claimToken, (q) =>
        q.set((eb) => ({
          state: 'pending',
          run_at: runAt,
          attempts: sql<number>`case when ${eb.ref('attempts')} > 0 then ${eb.ref('attempts')} - 1 else 0 end`,
          locked_by: null,
          lease_until: null,
          claim_token: null,
          updated_at: now,
        })),
      );
    },

    async requeueRunningJobs(now: Millis): Promise<number> {
      const result = await db
        .updateTable('jobs')
        .set({ state: 'pending', run_at: now, lease_until: null, locked_by: null, claim_token: null, updated_at: now })
        .where('state', '=', 'running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async getJob(id: string): Promise<Job | null> {
      const numericId = jobId(id);
      if (numericId === null) return null;
      const row = await db.selectFrom('jobs').selectAll().where('id', '=', numericId).executeTakeFirst();
      return row === undefined ? null : jobFromRow(row);
    },

    async listJobs(filter: { state?: JobState; kind?: string; handoffId?: string; limit?: number }): Promise<Job[]> {
      let query = db.selectFrom('jobs').selectAll();
      if (filter.state !== undefined) query = query.where('state', '=', filter.state);
      if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
      if (filter.handoffId !== undefined) query = query.where('handoff_id', '=', filter.handoffId);
      const rows = await query
        .orderBy('run_at')
        .orderBy('id')
        .limit(filter.limit ?? 1000)
        .execute();
      return rows.map(jobFromRow);
    },

    async countJobs(state: JobState): Promise<number> {
      const row = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('state', '=', state)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    // --- cursors, leases ------------------------------------------------------------------------

    async getCursor(name: string): Promise<string | null> {
      const row = await db.selectFrom('cursors').select('value').where('name', '=', name).executeTakeFirst();
      return row?.value ?? null;
    },

    async setCursor(name: string, value: string, now: Millis): Promise<void> {
      await db
        .insertInto('cursors')
        .values({ name, value, updated_at: now })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at') })),
        )
        .execute();
    },

    async tryAcquireLease(name: string, holder: string, ttlMs: Millis, now: Millis): Promise<boolean> {
      // One statement: insert, or take over when the lease expired or is already ours.
      const row = await db
        .insertInto('leases')
        .values({ name, holder, expires_at: now + ttlMs, acquired_at: now })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet((eb) => ({
              holder: eb.ref('excluded.holder'),
              expires_at: eb.ref('excluded.expires_at'),
              acquired_at: sql<number>`case when leases.holder = excluded.holder then leases.acquired_at else excluded.acquired_at end`,
            }))
            .where((eb) =>
              eb.or([eb('leases.holder', '=', eb.ref('excluded.holder')), eb('leases.expires_at', '<=', now)]),
            ),
        )
        .returning('holder')
        .executeTakeFirst();
      return row !== undefined;
    },

    async releaseLease(name: string, holder: string): Promise<void> {
      await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
    },

    async dropLeases(): Promise<number> {
      const result = await db.deleteFrom('leases').executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    // --- rotation, rep status, identities, alerts -----------------------------------------------

    async getRotation(teamId: string): Promise<RotationEntry[]> {
      const rows = await db
        .selectFrom('rotation')
        .selectAll()
        .where('team_id', '=', teamId)
        .orderBy('pass')
        .orderBy('rep_id')
        .execute();
      return rows.map(rotationFromRow);
    },

    async getRotationLedgers(teamIds: readonly string[]): Promise<RotationLedger[]> {
      const wanted = [...new Set(teamIds)];
      const byTeam = new Map<string, RotationLedger>(wanted.map((t) => [t, { teamId: t, version: 0, entries: [] }]));
      for (const part of chunk(wanted, CHUNK)) {
        // Version first: rows read after it are at least as new, so a change planned on them and checked
        // against this version can only fail, never overwrite a newer row unseen.
        const versions = await db.selectFrom('rotation_ledgers').selectAll().where('team_id', 'in', part).execute();
        for (const v of versions) {
          const ledger = byTeam.get(v.team_id);
          if (ledger) ledger.version = Number(v.version);
        }
        const rows = await db
          .selectFrom('rotation')
          .selectAll()
          .where('team_id', 'in', part)
          .orderBy('team_id')
          .orderBy('pass')
          .orderBy('rep_id')
          .execute();
        for (const row of rows) byTeam.get(row.team_id)?.entries.push(rotationFromRow(row));
      }
      return teamIds.map((t) => byTeam.get(t) as RotationLedger);
    },

    async putRotation(entries: RotationEntry[]): Promise<void> {
      if (entries.length === 0) return;
      await writeTx(async (tx) => {
        await upsertRotation(tx, entries);
        await bumpLedgers(
          tx,
          entries.map((e) => e.teamId),
        );
      });
    },

    async getRepStatuses(): Promise<RepStatus[]> {
      const rows = await db.selectFrom('rep_status').selectAll().orderBy('rep_id').execute();
      return rows.map(repStatusFromRow);
    },

    async setRepStatus(repId: string, status: Omit<RepStatus, 'repId'> | null): Promise<void> {
      if (status === null) {
        await db.deleteFrom('rep_status').where('rep_id', '=', repId).execute();
        return;
      }
      await db
        .insertInto('rep_status')
        .values({ rep_id: repId, away_until: status.awayUntil, since: status.since, note: status.note })
        .onConflict((oc) =>
          oc.column('rep_id').doUpdateSet((eb) => ({
            away_until: eb.ref('excluded.away_until'),
            since: eb.ref('excluded.since'),
            note: eb.ref('excluded.note'),
          })),
        )
        .execute();
    },

    async getIdentity(repId: string, kind: IdentityKind): Promise<string | null> {
      const row = await db
        .selectFrom('identities')
        .select('value')
        .where('rep_id', '=', repId)
        .where('kind', '=', kind)
        .executeTakeFirst();
      return row?.value ?? null;
    },

    async setIdentity(repId: string, kind: IdentityKind, value: string, now: Millis): Promise<void> {
      await db
        .insertInto('identities')
        .values({ rep_id: repId, kind, value, updated_at: now })
        .onConflict((oc) =>
          oc
            .columns(['rep_id', 'kind'])
            .doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at') })),
        )
        .execute();
    },

    async getAlert(key: string): Promise<AlertRow | null> {
      const row = await db.selectFrom('alerts').selectAll().where('key', '=', key).executeTakeFirst();
      return row === undefined ? null : alertFromRow(row);
    },

    async putAlert(alert: AlertRow): Promise<void> {
      await db
        .insertInto('alerts')
        .values({
          key: alert.key,
          state: alert.state,
          fired_at: alert.firedAt,
          last_notified_at: alert.lastNotifiedAt,
          resolved_at: alert.resolvedAt,
          data: toJson(alert.data),
        })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({
            state: eb.ref('excluded.state'),
            fired_at: eb.ref('excluded.fired_at'),
            last_notified_at: eb.ref('excluded.last_notified_at'),
            resolved_at: eb.ref('excluded.resolved_at'),
            data: eb.ref('excluded.data'),
          })),
        )
        .execute();
    },

    async listAlerts(state?: AlertRow['state']): Promise<AlertRow[]> {
      let query = db.selectFrom('alerts').selectAll();
      if (state !== undefined) query = query.where('state', '=', state);
      const rows = await query.orderBy('fired_at').orderBy('key').execute();
      return rows.map(alertFromRow);
    },
  };
  return store;
}
