// Benchmark: MQL visible in HubSpot → lead card posted in Slack, through the built worker and the emulators (rate
// limits on). Webhook path: contacts become MQLs one after another and HubSpot's signed webhook tells the worker;
// budget p95 ≤ 1 s. Polling path: no webhooks, the worker searches every `pollEvery`; budget: every card within
// pollEvery + 1 s. "Visible" is the moment the contact is created in the emulator; "posted" is when the emulated
// Slack accepted chat.postMessage. Prints figures; not an assertion.
import {
  benchContact,
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

export interface CardLatencyOptions {
  /** MQLs on the webhook path (default 100, one every 150 ms). */
  webhookLeads?: number;
  /** MQLs on the polling path (default 30, one every 250 ms). */
  pollingLeads?: number;
  /** pollEvery on the polling path, seconds (default 2). */
  pollEverySeconds?: number;
  log?: BenchLog;
}

interface PathResult {
  latencies: number[];
  missing: number;
}

async function measurePath(options: {
  webhook: boolean;
  leads: number;
  spacingMs: number;
  pollEvery: string;
  log: BenchLog;
}): Promise<PathResult> {
  const { world } = await createBenchWorld({
    reps: 20,
    config: (c) => {
      const hubspot = { ...(c.hubspot as Record<string, unknown>) };
      if (!options.webhook) delete hubspot.webhookSecret;
      return {
        ...c,
        hubspot,
        source: { ...(c.source as Record<string, unknown>), pollEvery: options.pollEvery, startFrom: 'now' },
      };
    },
  });
  try {
    await world.startWorker({ LOG_LEVEL: 'warn' });
    // Let the first poll (at start-up) pass, so the measurement starts from a settled worker.
    await pollUntil(() => Object.keys(world.hubspot.control.callCounts()).some((k) => k.includes('search')), 10_000);
    const visibleAt = new Map<number, number>();
    for (let i = 0; i < options.leads; i++) {
      visibleAt.set(i, Date.now());
      world.hubspot.control.createContact(benchContact(i));
      await new Promise((r) => setTimeout(r, options.spacingMs));
    }
    const cardsFor = (): Map<number, number> => {
      const posted = new Map<number, number>();
      for (const card of postedCards(world.slack)) {
        const key = cardKey(card);
        if (key !== null && !posted.has(key)) posted.set(key, card.postedAt);
      }
      return posted;
    };
    await pollUntil(() => cardsFor().size >= options.leads, 30_000, 100);
    const posted = cardsFor();
    const latencies: number[] = [];
    for (const [key, at] of visibleAt) {
      const cardAt = posted.get(key);
      if (cardAt !== undefined) latencies.push(cardAt - at);
    }
    return { latencies, missing: options.leads - latencies.length };
  } finally {
    await world.close();
  }
}

export async function run(options: CardLatencyOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? stdoutLog;
  const pollEvery = options.pollEverySeconds ?? 2;
  const webhookLeads = options.webhookLeads ?? 100;
  const pollingLeads = options.pollingLeads ?? 30;

  const hook = await measurePath({ webhook: true, leads: webhookLeads, spacingMs: 150, pollEvery: '30s', log });
  const hookP95 = percentile(hook.latencies, 95);
  log(
    `card latency, webhook path: ${hook.latencies.length}/${webhookLeads} cards; p50 ${ms(percentile(hook.latencies, 50))}, p95 ${ms(hookP95)}, max ${ms(Math.max(...hook.latencies))}`,
  );

  const poll = await measurePath({
    webhook: false,
    leads: pollingLeads,
    spacingMs: 250,
    pollEvery: `${pollEvery}s`,
    log,
  });
  const pollMax = poll.latencies.length > 0 ? Math.max(...poll.latencies) : Number.NaN;
  log(
    `card latency, polling path (pollEvery ${pollEvery} s): ${poll.latencies.length}/${pollingLeads} cards; p50 ${ms(percentile(poll.latencies, 50))}, p95 ${ms(percentile(poll.latencies, 95))}, max ${ms(pollMax)}`,
  );

  return [
    {
      figure: 'MQL visible → card posted, webhook path (p95)',
      measured: hook.missing > 0 ? `${ms(hookP95)} (${hook.missing} cards missing)` : ms(hookP95),
      budget: '≤ 1 s',
      ok: hook.missing === 0 && hookP95 <= 1_000,
      note: `${webhookLeads} MQLs, one every 150 ms, 20 reps; HubSpot v3-signed webhooks, polling every 2 min beside them`,
    },
    {
      figure: 'MQL visible → card posted, polling path (max)',
      measured:
        poll.missing > 0
          ? `${ms(pollMax)} (${poll.missing} cards missing)`
          : `${ms(pollMax)} (p95 ${ms(percentile(poll.latencies, 95))})`,
      budget: `≤ pollEvery + 1 s = ${pollEvery + 1} s`,
      ok: poll.missing === 0 && pollMax <= (pollEvery + 1) * 1_000,
      note: `${pollingLeads} MQLs, one every 250 ms, no webhooks, pollEvery ${pollEvery} s`,
    },
  ];
}

runIfMain(import.meta.url, 'card latency', run);
