// Benchmark: how late escalations fire after their deadline. Many MQLs arrive (webhook path) and are offered with a
// 5-second SLA and maxOffers 1; nobody answers, so every offer times out and the hand-off escalates. The sweeper
// records each timeout with `lateMs` = the moment it acted − the offer's deadline (the escalation, its Slack and email
// notices are queued in the same transaction). Budget (DESIGN §9): p99 ≤ 2 s late. The managers' channel then receives
// the notices at Slack's pace (about one message per second per channel), which this figure does not include.
// Prints figures; not an assertion.
import { sql } from 'kysely';
import {
  benchContact,
  createBenchWorld,
  ms,
  percentile,
  pollProgress,
  runIfMain,
  stdoutLog,
  type BenchLog,
  type BenchRow,
} from './bench-kit.js';

export interface EscalationOptions {
  leads?: number;
  log?: BenchLog;
}

export async function run(options: EscalationOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? stdoutLog;
  const leads = options.leads ?? 300;
  const { world } = await createBenchWorld({
    reps: 50,
    config: (c) => ({
      ...c,
      source: { ...(c.source as Record<string, unknown>), pollEvery: '30s', startFrom: 'now' },
      sla: { acceptWithin: '5s', remindAt: '50%', maxOffers: 1 },
    }),
  });
  try {
    await world.startWorker({ LOG_LEVEL: 'warn' });
    const spacing = Math.max(1, Math.floor(10_000 / leads));
    for (let i = 0; i < leads; i++) {
      world.hubspot.control.createContact(benchContact(i));
      await new Promise((r) => setTimeout(r, spacing));
    }
    const store = await world.openStore();
    try {
      const countEscalated = async (): Promise<number> => {
        const row = await store.db
          .selectFrom('handoffs')
          .where('state', '=', 'escalated')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst();
        return Number(row?.n ?? 0);
      };
      let escalated = 0;
      // pollProgress reads a number synchronously: refresh it from the store in between.
      const refresher = setInterval(() => {
        void countEscalated().then(
          (n) => (escalated = n),
          () => undefined,
        );
      }, 200);
      const complete = await pollProgress(() => escalated, leads, { stallMs: 20_000, maxMs: 90_000, everyMs: 250 });
      clearInterval(refresher);
      const { rows } = await sql<{ data: string }>`select data from events where type = 'timed_out'`.execute(store.db);
      const late = rows
        .map((r) => Number((JSON.parse(r.data) as { lateMs?: unknown }).lateMs))
        .filter((n) => Number.isFinite(n));
      const p99 = percentile(late, 99);
      log(
        `escalation: ${escalated}/${leads} escalated; lateness p50 ${ms(percentile(late, 50))}, p99 ${ms(p99)}, max ${ms(Math.max(...late))} (${late.length} timeouts)`,
      );
      return [
        {
          figure: 'escalation fired after its deadline (p99 late)',
          measured: complete ? ms(p99) : `${ms(p99)} (${escalated}/${leads} escalated)`,
          budget: '≤ 2 s',
          ok: complete && p99 <= 2_000,
          note: `${leads} offers with a 5 s SLA and maxOffers 1, nobody answering; lateness = sweep time − deadline, from the timed_out events (sweeper every 1 s)`,
        },
      ];
    } finally {
      await store.close();
    }
  } finally {
    await world.close();
  }
}

runIfMain(import.meta.url, 'escalation', run);
