// Benchmark: ack latency of Accept clicks in HTTP mode, 50 at once, through the real Bolt app and the emulator.
// Budget (DESIGN §9): p99 ≤ 50 ms on loopback. Prints figures; not an assertion.
// The app (Bolt + our handlers + its server) runs in a worker thread, as it would in its own process, so the
// emulator's work of playing Slack is not billed to the app; the app's own post-ack work (decide, chat.update) is.
// The clicks are sent and timed by a click driver in its own process (click-driver.ts); the app's Server-Timing
// gives the in-app figure beside it.
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Handoff } from '../../src/domain/model.js';
import type { HandoffActions } from '../../src/ports/handoff-actions.js';
import { silentLogger } from '../../src/ports/logger.js';
import { createSlackApp } from '../../connectors/slack/slack.app.js';
import { startHttpServer } from '../../src/http/server.js';
import { startSlackEmulator } from '../../connectors/slack/emulator/index.js';
import { createSlackNotifier } from '../../connectors/slack/slack.notifier.js';
import { makeHandoff } from '../helpers/builders.js';
import { serverDuration, startClickDriver } from './click-driver.js';

const SECRET = 'bench-signing-secret';
const TOKEN = 'xoxb-bench';

export interface AckFigures {
  clicks: number;
  rounds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The app's own Server-Timing: connection accepted → ack written (new connection), else handler → ack written. */
  serverP50Ms: number;
  serverP99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

function acceptingActions(): HandoffActions {
  const decided = new Set<string>();
  const handoff = (id: string): Handoff =>
    makeHandoff({ id, state: 'accepted', version: 2, repId: 'rep', decidedAt: Date.now(), decidedBy: 'rep' });
  const none = async (): Promise<never> => {
    throw new Error('not used by this benchmark');
  };
  return {
    async accept({ offerId }) {
      if (decided.has(offerId)) return { kind: 'already_decided', state: 'accepted', by: 'rep', at: Date.now() };
      decided.add(offerId);
      return { kind: 'accepted', handoff: handoff(offerId) };
    },
    reject: none,
    claim: none,
    assign: none,
    setAway: none,
    setBack: none,
    queue: none,
    summary: none,
    viewOffer: none,
    viewHandoff: none,
  };
}

export async function runSlackAckBench(options: { concurrency?: number; rounds?: number } = {}): Promise<AckFigures> {
  const concurrency = options.concurrency ?? 50;
  const rounds = options.rounds ?? 5;
  const emulator = await startSlackEmulator({ signingSecret: SECRET, botToken: TOKEN, rateLimit: false });
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'slack-app', apiUrl: emulator.apiUrl } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
  emulator.control.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
  const driver = await startClickDriver();
  emulator.control.setHttpTransport(driver.transport);
  const notifier = createSlackNotifier({ botToken: TOKEN, apiUrl: emulator.apiUrl }, { logger: silentLogger });

  const users = Array.from({ length: concurrency }, (_, i) => `U0REP${i}`);
  for (const id of users)
    emulator.control.addUser({ id, name: id.toLowerCase(), email: `${id}@example.com`, tz: 'UTC' });

  let updatesExpected = 0;
  async function round(tag: string): Promise<{ ackMs: number; serverMs: number }[]> {
    const cards = await Promise.all(
      users.map((id, i) =>
        notifier.postOffer({
          handoffId: `${tag}-h${i}`,
          offerId: `${tag}-o${i}`,
          lead: {
            source: 'hubspot',
            externalId: `${tag}-${i}`,
            email: null,
            firstName: 'Bench',
            lastName: `Lead ${i}`,
            fields: { company: 'Acme', score: 80 },
            props: {},
            mqlAt: Date.now(),
            modifiedAt: Date.now(),
            ownerId: null,
            recordUrl: null,
          },
          rep: { id: `rep${i}`, name: `Rep ${i}`, slackUserId: id, timezone: 'UTC' },
          hot: false,
          dueAt: Date.now() + 1_800_000,
          why: { rule: null, team: 'bench', strategy: 'round-robin', ownerMatch: null },
          seq: 1,
        }),
      ),
    );
    const results = await Promise.all(
      cards.map((ref, i) =>
        emulator.control.clickButton({
          user: users[i] as string,
          channel: ref.channel,
          ts: ref.ts,
          actionId: 'handoff_accept',
        }),
      ),
    );
    const failed = results.filter((r) => r.status !== 200).length;
    if (failed > 0) throw new Error(`${failed} clicks were not acknowledged with 200`);
    // Let the post-ack work (decision + chat.update of every card) finish before the next round.
    updatesExpected += cards.length;
    const deadline = Date.now() + 10_000;
    while (emulator.control.calls('chat.update').length < updatesExpected && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    return results.map((r) => ({
      ackMs: r.ackMs,
      // Connection accepted → ack written on a new connection; on a reused one (later rounds) the handler's part.
      serverMs: Number.isFinite(serverDuration(r.serverTiming, 'accept'))
        ? serverDuration(r.serverTiming, 'accept')
        : serverDuration(r.serverTiming),
    }));
  }

  try {
    await round('warmup');
    const results: { ackMs: number; serverMs: number }[] = [];
    for (let r = 0; r < rounds; r += 1) results.push(...(await round(`r${r}`)));
    const samples = results.map((r) => r.ackMs).sort((a, b) => a - b);
    const inApp = results
      .map((r) => r.serverMs)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    return {
      clicks: concurrency,
      rounds,
      p50Ms: percentile(samples, 50),
      p99Ms: percentile(samples, 99),
      maxMs: samples[samples.length - 1] ?? Number.NaN,
      serverP50Ms: percentile(inApp, 50),
      serverP99Ms: percentile(inApp, 99),
    };
  } finally {
    emulator.control.setHttpTransport(null);
    await driver.close();
    await worker.terminate();
    await emulator.close();
  }
}

/** The app side, in its own thread: the app mounted in the worker's own HTTP server, as main.ts mounts it. */
async function serveApp(apiUrl: string): Promise<number> {
  const app = createSlackApp(
    { botToken: TOKEN, signingSecret: SECRET, apiUrl, reasons: [], timeoutMs: 5000 },
    { actions: acceptingActions(), logger: silentLogger },
  );
  const server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    routes: { 'POST /slack/events': (req, res) => app.handleRequest(req, res) },
    readiness: () => Promise.resolve([]),
  });
  return server.port;
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'slack-app') {
  const port = await serveApp((workerData as { apiUrl: string }).apiUrl);
  parentPort?.postMessage({ port });
}

if (isMainThread && process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await runSlackAckBench();
  process.stdout.write(
    `slack ack latency, ${figures.clicks} concurrent Accept clicks × ${figures.rounds} rounds (HTTP mode): ` +
      `p50 ${figures.p50Ms.toFixed(1)} ms, p99 ${figures.p99Ms.toFixed(1)} ms, max ${figures.maxMs.toFixed(1)} ms (budget p99 ≤ 50 ms); ` +
      `in the app p50 ${figures.serverP50Ms.toFixed(1)} ms, p99 ${figures.serverP99Ms.toFixed(1)} ms\n`,
  );
}
