// Reading deadline timeliness back from the store: which replica holds the poller/sweeper lease, and
// how late each offer's deadline fired (the sweeper records `lateMs` on every timed_out event).
import type { SqlStore } from '../../../src/store/index.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * The job lease the worker used before claims were renewed by a heartbeat (30 s): crash-recovery tests assert that
 * nothing waited that long, and print the real figure against the tighter target instead of asserting on time.
 */
export const OLD_JOB_LEASE_MS = 30_000;

/** The pid in the worker id of the replica holding the poller lease (worker ids are host-pid-random). */
export async function leaseHolderPid(store: SqlStore): Promise<string> {
  const lease = await waitFor('a poller lease', () =>
    store.db.selectFrom('leases').selectAll().where('name', 'like', 'poller:%').executeTakeFirst(),
  );
  const pid = lease.holder.split('-').at(-2);
  if (pid === undefined) throw new Error(`cannot read a pid from lease holder ${lease.holder}`);
  return pid;
}

/** Hot hand-offs in `state`. */
export async function hotHandoffs(store: SqlStore, state: string): Promise<string[]> {
  const rows = await store.db
    .selectFrom('handoffs')
    .select('id')
    .where('hot', '=', 1)
    .where('state', '=', state)
    .execute();
  return rows.map((r) => r.id);
}

export interface DeadlineFigures {
  /** How late each timed-out offer's deadline fired, ms. */
  lateness: number[];
  worst: number;
  /** Escalation events per hand-off. */
  escalations: Map<string, number>;
  /** timed_out events per hand-off. */
  timeouts: Map<string, number>;
}

export async function deadlineFigures(store: SqlStore, handoffIds: string[]): Promise<DeadlineFigures> {
  const events = await store.db
    .selectFrom('events')
    .select(['handoff_id', 'type', 'data'])
    .where('handoff_id', 'in', handoffIds)
    .where('type', 'in', ['timed_out', 'escalated'])
    .execute();
  const escalations = new Map(handoffIds.map((id) => [id, 0]));
  const timeouts = new Map(handoffIds.map((id) => [id, 0]));
  const lateness: number[] = [];
  for (const e of events) {
    if (e.type === 'escalated') escalations.set(e.handoff_id, (escalations.get(e.handoff_id) ?? 0) + 1);
    else {
      timeouts.set(e.handoff_id, (timeouts.get(e.handoff_id) ?? 0) + 1);
      lateness.push(Number((JSON.parse(e.data) as { lateMs?: unknown }).lateMs));
    }
  }
  return { lateness, worst: lateness.length > 0 ? Math.max(...lateness) : Number.NaN, escalations, timeouts };
}
