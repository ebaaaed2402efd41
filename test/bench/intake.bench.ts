// Benchmark: POST /intake/<id> on the built worker (SQLite, intake only, crm: none, 20 reps). Single signed leads,
// one every 100 ms: the 202 answer (lead and routing job committed) and signed delivery → card posted in Slack, the
// intake counterpart of the webhook-path budget (p95 ≤ 1 s). Then batches of 100: time to 202 per batch.
// Prints figures; not an assertion.   node dist/test/bench/intake.bench.js
import { formLead, formsSource, postIntake } from '../e2e/helpers/intake.js';
import {
  cardKey,
  createBenchWorld,
  ms,
  percentile,
  pollUntil,
  postedCards,
  runIfMain,
  stdoutLog,
  type BenchLog,
  type BenchRow,
} from './bench-kit.js';

export interface IntakeBenchOptions {
  singles?: number;
  batches?: number;
  log?: BenchLog;
}

const benchLead = (key: number): Record<string, unknown> =>
  formLead(key, {
    person: { first: 'Bench', last: `K${key}` },
    company: { name: `Company ${key % 97}`, country: 'DE' },
  });

export async function run(options: IntakeBenchOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? stdoutLog;
  const singles = options.singles ?? 200;
  const batches = options.batches ?? 10;
  const { world } = await createBenchWorld({
    reps: 20,
    config: (c) => ({ ...c, source: { kind: 'intake' }, crm: { kind: 'none' }, intake: [formsSource()] }),
  });
  try {
    await world.startWorker({ LOG_LEVEL: 'warn' });
    const base = `http://127.0.0.1:${world.port}`;
    const sentAt = new Map<number, number>();
    const answerMs: number[] = [];
    let refused = 0;
    for (let i = 0; i < singles; i++) {
      const started = Date.now();
      sentAt.set(i, started);
      const answer = await postIntake(base, benchLead(i));
      answerMs.push(Date.now() - started);
      if (answer.status !== 202) refused++;
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
    }
    const cardsFor = (): Map<number, number> => {
      const posted = new Map<number, number>();
      for (const card of postedCards(world.slack)) {
        const key = cardKey(card);
        if (key !== null && !posted.has(key)) posted.set(key, card.postedAt);
      }
      return posted;
    };
    await pollUntil(() => cardsFor().size >= singles, 60_000, 100);
    const posted = cardsFor();
    const cardMs = [...sentAt].flatMap(([k, at]) => (posted.has(k) ? [(posted.get(k) as number) - at] : []));
    const missing = singles - cardMs.length;
    log(
      `intake, single leads: ${singles} deliveries, 202 p50 ${ms(percentile(answerMs, 50))} p95 ${ms(percentile(answerMs, 95))} max ${ms(Math.max(...answerMs))}; card p50 ${ms(percentile(cardMs, 50))} p95 ${ms(percentile(cardMs, 95))} max ${ms(Math.max(...cardMs))}; refused ${refused}, cards missing ${missing}`,
    );

    const batchMs: number[] = [];
    for (let b = 0; b < batches; b++) {
      const leads = Array.from({ length: 100 }, (_, i) => benchLead(100_000 + b * 100 + i));
      const started = Date.now();
      const answer = await postIntake(base, leads);
      batchMs.push(Date.now() - started);
      if (answer.status !== 202 || answer.body.stored !== 100) refused++;
    }
    const perSecond = (batches * 100) / (batchMs.reduce((a, v) => a + v, 0) / 1000);
    log(
      `intake, batches: ${batches} × 100 leads, 202 p50 ${ms(percentile(batchMs, 50))} max ${ms(Math.max(...batchMs))} (${Math.round(perSecond)} leads/s stored with their routing jobs)`,
    );
    return [
      {
        figure: 'intake delivery → card posted (p95)',
        measured: missing > 0 ? `${ms(percentile(cardMs, 95))} (${missing} cards missing)` : ms(percentile(cardMs, 95)),
        budget: '≤ 1 s (as the webhook path)',
        ok: missing === 0 && refused === 0 && percentile(cardMs, 95) <= 1_000,
        note: `${singles} signed single-lead deliveries, one every 100 ms, 20 reps, SQLite; 202 p95 ${ms(percentile(answerMs, 95))}`,
      },
      {
        figure: 'intake batch of 100 → 202 (p50)',
        measured: `${ms(percentile(batchMs, 50))} (${Math.round(perSecond)} leads/s)`,
        budget: 'none (context)',
        ok: null,
        note: `${batches} batches of 100 signed leads, each lead stored with its routing job before the answer`,
      },
    ];
  } finally {
    await world.close();
  }
}

runIfMain(import.meta.url, 'intake', run);
