// The Store port: everything the use cases persist. Implemented by src/store (SQLite, Postgres)
// and by an in-memory fake for unit tests; one contract suite runs against all three.
import type { HandoffAction } from '../domain/handoff-machine.js';
import type {
  Handoff,
  HandoffEvent,
  HandoffState,
  Lead,
  Millis,
  Offer,
  OfferState,
  SourceKind,
} from '../domain/model.js';

export type JobState = 'pending' | 'running' | 'done' | 'dead';

export interface NewJob {
  kind: string;
  payload: Record<string, unknown>;
  /** Unique across all jobs: enqueueing the same key twice keeps the first job. */
  idempotencyKey: string;
  runAt: Millis;
  handoffId?: string | null;
}

export interface Job extends NewJob {
  id: string;
  handoffId: string | null;
  state: JobState;
  attempts: number;
  lastError: string | null;
  lockedBy: string | null;
  leaseUntil: Millis | null;
  /**
   * Fence of the claim that runs the job now (null when nobody holds it). Every claim writes a new one, so
   * a claimant whose lease ran out and was taken over can no longer settle or renew the job.
   */
  claimToken: string | null;
  createdAt: Millis;
  updatedAt: Millis;
}

export interface NewEvent {
  type: string;
  actor: string | null;
  data?: Record<string, unknown>;
}

/**
 * Columns of a hand-off a change may set. Id, keys and version are the store's; the state is the
 * transition table's (see HandoffChange.action).
 */
export type HandoffPatch = Partial<
  Pick<
    Handoff,
    | 'hot'
    | 'teamId'
    | 'repId'
    | 'offerCount'
    | 'dueAt'
    | 'escalatedAt'
    | 'escalationReason'
    | 'decidedAt'
    | 'decidedBy'
    | 'reasonId'
    | 'note'
  >
>;

export type NewOffer = Omit<Offer, 'id' | 'handoffId' | 'remindedAt' | 'decidedAt' | 'slackChannel' | 'slackTs'> & {
  /** Optional caller-chosen id (so jobs in the same change can name the offer). */
  id?: string;
  /** Set when the offer is created already decided (a claim from an escalation). */
  decidedAt?: Millis | null;
};
export type OfferPatch = Partial<
  Pick<Offer, 'state' | 'dueAt' | 'remindAt' | 'remindedAt' | 'decidedAt' | 'slackChannel' | 'slackTs'>
>;

export interface RotationEntry {
  teamId: string;
  repId: string;
  /** Virtual time of the rep in the team's rotation (stride scheduling); lower goes first. */
  pass: number;
  served: number;
  lastServedAt: Millis | null;
}

/** A team's fairness ledger as routing read it: its rows and its version (0 = never written). */
export interface RotationLedger {
  teamId: string;
  version: number;
  entries: RotationEntry[];
}

/** The ledger version a change expects for a team (compare-and-set; the change bumps it by one). */
export interface LedgerVersion {
  teamId: string;
  version: number;
}

/**
 * One atomic change to a hand-off: compare-and-set on the version the caller read and on the states
 * the transition table allows the action from, the new column values, offers inserted or updated
 * (each update is itself a compare-and-set on the offer's state), audit events, outbox jobs and
 * rotation-ledger rows — all in one transaction, or nothing.
 */
export interface HandoffChange {
  handoffId: string;
  /**
   * The move, as the transition table names it: the store applies it only from the table's states
   * for this action and writes the table's target state. null keeps the state (a reminder, the rep
   * of an imported hand-off).
   */
  action: HandoffAction | null;
  /** The version the caller read; any other version means someone changed the hand-off since. */
  expectVersion: number;
  set: HandoffPatch;
  insertOffers?: NewOffer[];
  updateOffers?: { id: string; expectState: OfferState; set: OfferPatch }[];
  events: NewEvent[];
  jobs?: NewJob[];
  rotation?: RotationEntry[];
  /**
   * The ledger version routing read, for every team `rotation` writes (required for those teams): if another
   * routing wrote that team's ledger since, the whole change fails with `ledgerConflict` and nothing is written.
   */
  expectLedger?: LedgerVersion[];
}

/**
 * `ledgerConflict`: the hand-off was fine but a team's ledger moved on since routing read it (another replica
 * routed for the same team); re-read the ledger and plan again.
 */
export type ChangeResult =
  | { ok: true; handoff: Handoff; offers: Offer[] }
  | { ok: false; current: Handoff | null; ledgerConflict?: true };

export interface IngestInput {
  lead: Lead;
  hot: boolean;
  imported: boolean;
  /** Initial state: INITIAL_STATE of the transition table unless given; history imports may start decided. */
  state?: HandoffState;
  decidedAt?: Millis | null;
  reasonId?: string | null;
  decidedBy?: string | null;
  /** Written only when the hand-off is created; the store sets each job's handoffId to the new hand-off. */
  events?: NewEvent[];
  jobs?: NewJob[];
}

export type IngestResult = { created: true; handoff: Handoff } | { created: false; handoff: Handoff };

export interface DueOffer {
  offer: Offer;
  handoff: Handoff;
  /** 'timeout' when dueAt has passed, 'remind' when only the reminder is due. */
  due: 'timeout' | 'remind';
}

export interface RepStatus {
  repId: string;
  /** Away until this moment; null = away until they say they are back. */
  awayUntil: Millis | null;
  since: Millis;
  note: string | null;
}

/**
 * slack: Slack user id; crm: CRM owner id; teams: the Teams user's Entra object id (matched at app install);
 * teams_conversation: their 1:1 conversation with the bot (JSON), kept while the app is installed for them.
 */
export type IdentityKind = 'slack' | 'crm' | 'teams' | 'teams_conversation';

export interface AlertRow {
  key: string;
  state: 'firing' | 'resolved';
  firedAt: Millis;
  lastNotifiedAt: Millis | null;
  resolvedAt: Millis | null;
  data: Record<string, unknown>;
}

/**
 * A lead's one message in a Slack channel (the team's, the managers'): where it is once posted, when a post
 * was about to go out (a post without a ts may exist: look before posting again), and the steps already
 * told as thread replies under it.
 */
export interface ChannelMessage {
  handoffId: string;
  channel: string;
  ts: string | null;
  notedAt: Millis | null;
  steps: string[];
  /** Fingerprint of what the message was last written to show (null: unknown); an unchanged one is not rewritten. */
  shown: string | null;
}

export interface ClaimOptions {
  now: Millis;
  limit: number;
  leaseMs: number;
  workerId: string;
  kinds?: string[];
  /** Leave these kinds out. */
  notKinds?: string[];
}

/**
 * Columns open hand-offs are narrowed by (the dashboard backlog's filters): the team, the marketing
 * source (`channel`), the campaign and hot. An absent field does not narrow.
 */
export interface OpenHandoffFilter {
  team?: string;
  source?: string;
  campaign?: string;
  hot?: boolean;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres' | 'memory';

  /** Creates or upgrades the schema. Safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // --- hand-offs --------------------------------------------------------------------------------
  /** Stores the lead snapshot and creates its hand-off unless (source, externalId, mqlAt) exists. */
  ingest(input: IngestInput, now: Millis): Promise<IngestResult>;
  applyChange(change: HandoffChange, now: Millis): Promise<ChangeResult>;
  getHandoff(id: string): Promise<Handoff | null>;
  getLead(leadId: string): Promise<Lead | null>;
  /** Hand-offs of one CRM record, every MQL episode (newest MQL first). */
  findHandoffsByRecord(source: SourceKind, externalId: string): Promise<Handoff[]>;
  /** Hand-offs whose lead has this email (newest first). */
  findHandoffsByEmail(email: string): Promise<Handoff[]>;
  /**
   * Open live hand-offs (OPEN_STATES of the transition table; imported history left out), oldest MQL first;
   * with `filter`, only those matching every column it names.
   */
  listOpenHandoffs(limit: number, filter?: OpenHandoffFilter): Promise<Handoff[]>;
  /** Hand-offs with mqlAt in [from, to), oldest first, paged by `after` (an id returned before). */
  listHandoffsByMqlTime(
    from: Millis,
    to: Millis,
    limit: number,
    after?: { mqlAt: Millis; id: string },
  ): Promise<Handoff[]>;

  // --- offers -----------------------------------------------------------------------------------
  getOffer(id: string): Promise<Offer | null>;
  listOffers(handoffId: string): Promise<Offer[]>;
  listOpenOffersForRep(repId: string): Promise<Offer[]>;
  /**
   * Open offers whose deadline passed, or whose reminder is due and not yet sent: hot hand-offs first, then
   * the oldest deadline (a takeover after a crash may find many due at once).
   */
  listDueOffers(now: Millis, limit: number): Promise<DueOffer[]>;
  /**
   * Open offers per rep (reps with none left out), from the per-rep counters `applyChange` keeps in the
   * same transaction as the offer: O(reps), not O(open offers). `repIds` limits the answer to those reps.
   */
  countOpenOffersByRep(repIds?: readonly string[]): Promise<Record<string, number>>;
  /**
   * For each rep, offers made at or after that rep's `since` (start of their local day). Served from
   * per-rep counters in 15-minute slots when `since` falls on a slot boundary (every local midnight of
   * a zone whose offset is a whole quarter hour); otherwise counted from the offers.
   */
  countOffersByRepSince(since: Record<string, Millis>): Promise<Record<string, number>>;
  /** Records where the card went, as soon as Slack answered (no state check, no version bump). */
  setOfferMessage(offerId: string, message: { channel: string; ts: string }): Promise<void>;
  /**
   * Notes that the card is about to be posted in `channel` (before its ts is known). An offer with a channel
   * and no ts may have a card that a crashed attempt posted: the next attempt looks before posting.
   */
  setOfferChannel(offerId: string, channel: string): Promise<void>;

  // --- channel messages (one per hand-off and channel) -------------------------------------------
  listChannelMessages(handoffId: string): Promise<ChannelMessage[]>;
  /** Notes that the message is about to be posted in `channel` (before its ts is known); keeps a known ts. */
  noteChannelMessage(handoffId: string, channel: string, now: Millis): Promise<void>;
  /** Records where the message is, as soon as Slack answered, and what it shows (when known). */
  setChannelMessageTs(handoffId: string, channel: string, ts: string, now: Millis, shown?: string): Promise<void>;
  /** Records what the message was rewritten to show. */
  setChannelMessageShown(handoffId: string, channel: string, shown: string, now: Millis): Promise<void>;
  /** Records a step told as a thread reply under the message (kept once). */
  addChannelMessageStep(handoffId: string, channel: string, step: string, now: Millis): Promise<void>;

  // --- audit ---------------------------------------------------------------------------------------
  listEvents(handoffId: string): Promise<HandoffEvent[]>;
  appendEvent(handoffId: string, event: NewEvent, now: Millis): Promise<void>;

  // --- outbox ------------------------------------------------------------------------------------
  enqueueJobs(jobs: NewJob[], now: Millis): Promise<void>;
  /**
   * Claims up to `limit` pending jobs due at `now` (or running jobs whose lease expired), each for `leaseMs`.
   * The jobs of one call share a fresh `claimToken`; settling and renewing name it.
   */
  claimJobs(options: ClaimOptions): Promise<Job[]>;
  /**
   * Which of `kinds` have a claimable job at `now` (pending and due, or running with a lapsed lease): one
   * query of index probes, whatever the length of the backlog.
   */
  dueKinds(now: Millis, kinds: string[]): Promise<string[]>;
  /**
   * Extends the lease of the running jobs still held under these claim tokens to `leaseUntil` (the
   * heartbeat of a claimant whose handler is still at work). Returns how many jobs it renewed.
   */
  renewJobLeases(claimTokens: string[], leaseUntil: Millis, now: Millis): Promise<number>;
  /** The settling calls change nothing (and answer false) unless the job is still running under `claimToken`. */
  completeJob(id: string, claimToken: string, now: Millis): Promise<boolean>;
  retryJob(id: string, claimToken: string, retry: { runAt: Millis; error: string }, now: Millis): Promise<boolean>;
  killJob(id: string, claimToken: string, error: string, now: Millis): Promise<boolean>;
  /**
   * Puts the job back to pending until `runAt` and gives back the attempt its claim counted: the job did
   * not fail, it was scheduled (a paced Slack DM whose next slot is at `runAt`). `lastError` is kept.
   */
  deferJob(id: string, claimToken: string, runAt: Millis, now: Millis): Promise<boolean>;
  /**
   * Puts every running job back to pending, due now. Only for a store that one process owns (SQLite,
   * whose file lock guarantees it): at start-up, jobs left running were orphaned by a crash.
   */
  requeueRunningJobs(now: Millis): Promise<number>;
  /**
   * Drops every lease, whoever holds it. Only for a store that one process owns (SQLite): a lease left by a
   * crashed process would otherwise keep the new one from polling and sweeping until it expired.
   */
  dropLeases(): Promise<number>;
  getJob(id: string): Promise<Job | null>;
  listJobs(filter: { state?: JobState; kind?: string; handoffId?: string; limit?: number }): Promise<Job[]>;
  countJobs(state: JobState): Promise<number>;

  // --- cursors, leases ---------------------------------------------------------------------------
  getCursor(name: string): Promise<string | null>;
  setCursor(name: string, value: string, now: Millis): Promise<void>;
  /** Takes or renews the lease if it is free, expired or already ours. */
  tryAcquireLease(name: string, holder: string, ttlMs: Millis, now: Millis): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;

  // --- rotation ledger, rep status, identities, alerts -----------------------------------------
  getRotation(teamId: string): Promise<RotationEntry[]>;
  /** The ledgers of these teams with their versions, one per team asked (in that order). */
  getRotationLedgers(teamIds: readonly string[]): Promise<RotationLedger[]>;
  /** Writes ledger rows unconditionally (tools, tests) and bumps each touched team's version. */
  putRotation(entries: RotationEntry[]): Promise<void>;
  getRepStatuses(): Promise<RepStatus[]>;
  /** `status` null = the rep is back. */
  setRepStatus(repId: string, status: Omit<RepStatus, 'repId'> | null): Promise<void>;
  getIdentity(repId: string, kind: IdentityKind): Promise<string | null>;
  setIdentity(repId: string, kind: IdentityKind, value: string, now: Millis): Promise<void>;
  getAlert(key: string): Promise<AlertRow | null>;
  putAlert(row: AlertRow): Promise<void>;
  listAlerts(state?: AlertRow['state']): Promise<AlertRow[]>;
}
