// Benchmark: draining a backlog of 10,000 MQLs with the vendors' rate limits emulated. The contacts wait in the
// HubSpot emulator; the built worker starts, finds them and offers every one to one of N reps in Slack. Measured: worker
// start → the last card posted. Budget (DESIGN §9): ≤ 1.2 × the bound the rate limits set:
//   detection: HubSpot search allows 5 requests/s of 200 results → M / 1,000 s;
//   cards: Slack allows about 1 message/s per channel after a burst of 3, one DM channel per rep → (M / N − 3) s;
//   (owner and status writes happen on Accept, not while draining; HubSpot batch writes would add M / 100 calls under
//   the 100-per-10-s limit → M / 1,000 s, also below the Slack bound.)
//   bound = max(M / 1,000, M / N − 3) seconds.
// Prints figures; not an assertion.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rssMb, rssParts } from './memory.bench.js';
import {
  benchContact,
  burstTally,
  cardsAcrossDms,
  clickAllAtOnce,
  clickRow,
  clickText,
  createBenchWorld,
  percentile,
  pollProgress,
  pollUntil,
  postedCards,
  seconds,
  runIfMain,
  stdoutLog,
  tallyOk,
  tallyText,
  throttleTrace,
  workerLoopDelay,
  type BenchLog,
  type BenchRow,
  type ClickFigures,
} from './bench-kit.js';

export interface DrainOptions {
  leads?: number;
  reps?: number;
  log?: BenchLog;
  /** While the drain runs (once `clicksAt` cards are out), 50 reps click Accept at once: ack p99 under load. */
  clicksAt?: number;
  /** After the last card: idle this long, then read the worker's resident memory (hand-offs stored = leads). */
  idleRssAfterMs?: number;
  /** Write a heap snapshot of the idle worker after the drain into this folder (node --heapsnapshot-signal). */
  heapSnapshotDir?: string;
}

const SEARCH_PER_SECOND = 5;
const SEARCH_PAGE = 200;
const SLACK_PER_SECOND = 1;
const SLACK_BURST = 3;

/** Heap, external and per-space sizes from the worker's /metrics (prom-client's process metrics), in MB. */
async function memoryBreakdown(port: number): Promise<string> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m =
      /^handoff_process_(nodejs_heap_size_(?:total|used)_bytes|nodejs_external_memory_bytes|nodejs_heap_space_size_used_bytes\{space="(?:old|new|code|large_object)"\}|nodejs_heap_space_size_total_bytes\{space="(?:old|new|code|large_object)"\}) (\S+)$/.exec(
        line,
      );
    if (m) out.push(`${m[1]?.replace('nodejs_', '').replace('_bytes', '')} ${(Number(m[2]) / 1024 ** 2).toFixed(1)}`);
  }
  return out.length > 0 ? out.join(', ') : 'n/a';
}

export function drainBoundSeconds(leads: number, reps: number): { detection: number; cards: number; bound: number } {
  const detection = leads / (SEARCH_PER_SECOND * SEARCH_PAGE);
  const cards = Math.max(0, Math.ceil(leads / reps) - SLACK_BURST) / SLACK_PER_SECOND;
  return { detection, cards, bound: Math.max(detection, cards) };
}

export async function run(options: DrainOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? stdoutLog;
  const leads = options.leads ?? 10_000;
  const reps = options.reps ?? 100;
  const { world } = await createBenchWorld({
    reps,
    config: (c) => {
      const hubspot = { ...(c.hubspot as Record<string, unknown>) };
      delete hubspot.webhookSecret;
      return { ...c, hubspot, source: { ...(c.source as Record<string, unknown>), pollEvery: '1s', startFrom: '2h' } };
    },
  });
  try {
    const start = Date.now() - 90 * 60_000;
    const step = Math.floor((80 * 60_000) / leads);
    world.hubspot.control.seedContacts(
      Array.from({ length: leads }, (_, i) => {
        const at = new Date(start + i * step).toISOString();
        return { properties: { ...benchContact(i), lastmodifieddate: at, createdate: at } };
      }),
    );
    world.hubspot.control.resetCallCounts();
    const t0 = Date.now();
    await world.startWorker({
      LOG_LEVEL: 'warn',
      ...(options.heapSnapshotDir
        ? {
            NODE_OPTIONS:
              `${process.env.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${options.heapSnapshotDir}`.trim(),
          }
        : {}),
    });
    let clicks: (ClickFigures & { at: number; cardsThen: number }) | null = null;
    const clicking =
      options.clicksAt === undefined
        ? Promise.resolve()
        : pollUntil(() => postedCards(world.slack).length >= (options.clicksAt ?? 0), 400_000, 100).then(
            async (reached) => {
              if (!reached) return;
              const cardsThen = postedCards(world.slack).length;
              const at = Date.now() - t0;
              const result = await clickAllAtOnce(world.slack, cardsAcrossDms(world.slack, 50), {
                workerPort: world.port,
              });
              clicks = { ...result, at, cardsThen };
            },
          );
    // A progress line every 20 s: where the time goes (detection, offers, cards).
    const store = await world.openStore();
    const progress = setInterval(() => {
      void (async () => {
        const handoffs =
          (
            await store.db
              .selectFrom('handoffs')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirst()
          )?.n ?? 0;
        const searches = Object.entries(world.hubspot.control.callCounts())
          .filter(([k]) => k.includes('search'))
          .reduce((n, [, v]) => n + v, 0);
        const posts = world.slack.control.calls('chat.postMessage');
        const loop = await workerLoopDelay(world.port);
        log(
          `drain: +${seconds(Date.now() - t0)}: ${handoffs} hand-offs stored, ${searches} searches, ${postedCards(world.slack).length} cards, ${posts.filter((c) => c.status === 429).length} Slack 429s of ${posts.length} posts` +
            (loop
              ? `; worker event-loop delay since the last line p99 ${loop.p99Ms.toFixed(0)} ms, max ${loop.maxMs.toFixed(0)} ms`
              : ''),
        );
      })().catch(() => undefined);
    }, 20_000);
    const drained = await pollProgress(() => postedCards(world.slack).length, leads, {
      stallMs: 60_000,
      maxMs: 400_000,
      everyMs: 500,
    }).finally(() => {
      clearInterval(progress);
    });
    if (!drained) {
      // Where the work stands: jobs by kind and state, and when the next pending one is due.
      const jobs = await store.db
        .selectFrom('jobs')
        .select(['kind', 'state', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('run_at').as('next')])
        .groupBy(['kind', 'state'])
        .execute();
      log(
        `drain: jobs ${jobs.map((j) => `${j.kind}/${j.state} ${j.n}${j.state === 'pending' ? ` (next in ${seconds(Number(j.next) - Date.now())})` : ''}`).join(', ')}`,
      );
      const health = await fetch(`http://127.0.0.1:${world.port}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.status,
        (err: unknown) => String(err),
      );
      log(
        `drain: worker ${world.worker?.exitCode === null ? 'alive' : `exited ${String(world.worker?.exitCode)}`}, /healthz ${String(health)}`,
      );
    }
    await clicking;
    await store.close();
    const cards = postedCards(world.slack);
    const times = cards.map((c) => c.postedAt - t0);
    const last = times.length > 0 ? Math.max(...times) : Number.NaN;
    const { detection, cards: cardBound, bound } = drainBoundSeconds(leads, reps);
    const throttled = world.slack.control.calls('chat.postMessage').filter((c) => c.status === 429).length;
    const hubspot429 = world.output.filter((l) => l.includes('429') || l.includes('rate_limited')).length;
    log(
      `drain: ${cards.length}/${leads} cards, last at ${seconds(last)} (50% at ${seconds(percentile(times, 50))}, 90% at ${seconds(percentile(times, 90))}); ` +
        `bound max(${detection.toFixed(0)} s detection, ${cardBound.toFixed(0)} s cards) = ${bound.toFixed(0)} s; Slack 429s ${throttled}; HubSpot calls ${JSON.stringify(world.hubspot.control.callCounts())}`,
    );
    if (!drained) log(`drain: worker output (last lines):\n${world.output.slice(-8).join('\n')}`);
    if (hubspot429 > 0) log(`drain: ${hubspot429} worker log lines mention rate limiting`);
    const tally = burstTally(world.slack, leads);
    log(`drain: ${tallyText(tally)}`);
    for (const line of throttleTrace(world.slack, t0)) log(`drain: 429: ${line}`);
    const extra: BenchRow[] = [];
    const clicked = clicks as (ClickFigures & { at: number; cardsThen: number }) | null;
    if (clicked !== null) {
      log(
        `drain: 50 clicks at once at +${seconds(clicked.at)} (${clicked.cardsThen} cards out): ${clickText(clicked)}`,
      );
      extra.push(
        clickRow(
          `button click → ack, 50 concurrent clicks while the ${leads.toLocaleString('en')}-MQL drain runs (p99)`,
          clicked,
          `Accept on 50 cards (spread over the DMs) at once when ${clicked.cardsThen} of ${leads} cards were out (+${seconds(clicked.at)})`,
        ),
      );
    }
    if (options.idleRssAfterMs !== undefined && world.worker?.pid !== undefined) {
      const pid = world.worker.pid;
      await new Promise((r) => setTimeout(r, options.idleRssAfterMs));
      const samples: number[] = [];
      for (let i = 0; i < 10; i++) {
        samples.push(rssMb(pid));
        await new Promise((r) => setTimeout(r, 500));
      }
      const rss = Math.max(...samples);
      log(`drain: idle ${seconds(options.idleRssAfterMs)} after the last card: RSS ${rss.toFixed(0)} MB`);
      log(`drain: the worker's own view of its memory: ${await memoryBreakdown(world.port)}; ${rssParts(pid)}`);
      if (options.heapSnapshotDir) {
        const dir = options.heapSnapshotDir;
        const before = new Set(readdirSync(dir));
        process.kill(pid, 'SIGUSR2');
        // The file appears at once and fills while the worker writes it: done when its size holds for a second.
        let lastSize = -1;
        await pollUntil(
          () => {
            const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
            const size = file === undefined ? 0 : statSync(join(dir, file)).size;
            const done = size > 0 && size === lastSize;
            lastSize = size;
            return done;
          },
          120_000,
          1_000,
        );
        log(`drain: heap snapshot written to ${options.heapSnapshotDir}`);
      }
      extra.push({
        figure: `resident memory, idle after the ${leads.toLocaleString('en')}-MQL burst (${leads.toLocaleString('en')} hand-offs stored)`,
        measured: `${rss.toFixed(0)} MB`,
        budget: '≤ 150 MB',
        ok: rss <= 150,
        note: `SQLite; highest VmRSS of the worker over 5 s, sampled after ${seconds(options.idleRssAfterMs)} of idling once the last card was posted`,
      });
    }
    return [
      {
        figure: `drain of a ${leads.toLocaleString('en')}-MQL backlog (${reps} reps)`,
        measured:
          (drained
            ? `${seconds(last)} = ${(last / 1000 / bound).toFixed(2)} × bound`
            : `${cards.length}/${leads} cards by ${seconds(last)} (stalled)`) + `; ${tallyText(tally)}`,
        budget: `≤ 1.2 × ${bound.toFixed(0)} s = ${(1.2 * bound).toFixed(0)} s`,
        ok: drained && last <= 1.2 * bound * 1000 && tallyOk(tally),
        note: `bound = max(M / (5 searches/s × 200), M / N reps − 3 burst at 1 msg/s per DM) = max(${detection.toFixed(0)}, ${cardBound.toFixed(0)}) s for M = ${leads}, N = ${reps}; timed from worker start to the last card`,
      },
      ...extra,
    ];
  } finally {
    // SIGTERM first, as an operator would stop it: a worker run with BENCH_WORKER_NODE_ARGS=--cpu-prof writes its
    // profile on the way out.
    await world.stopWorker().catch(() => undefined);
    await world.close();
  }
}

// node dist/test/bench/drain.bench.js [leads] [reps]; BENCH_HEAPSNAPSHOT_DIR=<dir> also idles 40 s after the drain,
// reads RSS and writes a heap snapshot of the worker there.
runIfMain(import.meta.url, 'drain', () => {
  const leads = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  const reps = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const dir = process.env.BENCH_HEAPSNAPSHOT_DIR;
  return run({
    ...(leads === undefined ? {} : { leads }),
    ...(reps === undefined ? {} : { reps }),
    ...(dir ? { heapSnapshotDir: dir, idleRssAfterMs: 40_000 } : {}),
  });
});
