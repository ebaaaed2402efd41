// What the benchmarks share: result rows, percentiles, the machine they ran on, and an e2e world (emulators with the
// vendors' rate limits on, a real SMTP server, the built worker as a child process) with as many reps as a bench needs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorld, MANAGER, type World } from '../e2e/helpers/world.js';
import { waitFor } from '../helpers/wait.js';
import type { RecordedMessage, SlackEmulator } from '../../connectors/slack/emulator/index.js';
import { serverDuration, startClickDriver } from './click-driver.js';

/** The repository root: the nearest directory above this file with a package.json (this file runs from dist/). */
export function repoRoot(from: string = import.meta.dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export const BIN = join(repoRoot(), 'dist/src/cli/bin.js');

/**
 * The world helper finds the binary relative to its own source file, which is one level off once compiled into
 * dist/ (as the benches are). This starts the same built worker, the same way, from the repository's dist/.
 */
function startBuiltWorker(world: World): World['startWorker'] {
  return async (extraEnv = {}) => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    // BENCH_WORKER_NODE_ARGS: node options for the worker alone, for profiling a scenario (`--cpu-prof
    // --cpu-prof-dir=/tmp/prof`; NODE_OPTIONS refuses --cpu-prof and would reach every process of the bench).
    const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, BIN, 'run', '-c', world.configFile], {
      cwd: world.dir,
      env: { ...process.env, LOG_LEVEL: 'warn', HANDOFF_DRAIN_MS: '5000', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    world.worker = child;
    const collect = (b: Buffer): void => {
      world.output.push(...b.toString('utf8').split('\n').filter(Boolean));
      if (world.output.length > 2_000) world.output.splice(0, world.output.length - 2_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    await waitFor(
      'the worker to be ready',
      async () => {
        if (child.exitCode !== null)
          throw new Error(`worker exited with ${child.exitCode}:\n${world.output.slice(-20).join('\n')}`);
        const res = await fetch(`http://127.0.0.1:${world.port}/healthz`).catch(() => null);
        return res?.ok ?? false;
      },
      60_000,
      100,
    );
  };
}

/** One line of the results table. `ok` null = a figure with nothing to compare against (context, not a budget). */
export interface BenchRow {
  figure: string;
  measured: string;
  budget: string;
  ok: boolean | null;
  /** How it was measured, printed under the table. */
  note?: string;
}

export interface BenchLog {
  (line: string): void;
}

export const stdoutLog: BenchLog = (line) => void process.stdout.write(`${line}\n`);

/**
 * Runs a bench when its module is the script node was started with (`node dist/test/bench/x.bench.js`), printing
 * one line per row; a bench that throws prints its stack and leaves exit code 1.
 */
export function runIfMain(moduleUrl: string, name: string, bench: () => Promise<BenchRow[]>): void {
  if (process.argv[1] === undefined || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  bench().then(
    (rows) => rows.forEach((r) => stdoutLog(`${r.figure}: ${r.measured} (budget ${r.budget})`)),
    (err: unknown) => {
      process.stderr.write(
        `${name} bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    },
  );
}

/** Nearest-rank percentile of unsorted values (NaN when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function seconds(valueMs: number): string {
  return Number.isFinite(valueMs) ? `${(valueMs / 1000).toFixed(1)} s` : 'n/a';
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  os: string;
}

export function machine(): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

export interface BenchRep {
  id: string;
  name: string;
  email: string;
  slackUserId: string;
  ownerId: string;
}

/** `count` reps, working around the clock, with no capacity limits (the benches measure throughput, not routing). */
export function benchReps(count: number): BenchRep[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i).padStart(3, '0');
    return {
      id: `rep${n}`,
      name: `Rep ${n}`,
      email: `rep${n}@bench.example`,
      slackUserId: `U0REP${n}`,
      ownerId: String(9001 + i),
    };
  });
}

export interface BenchWorldOptions {
  reps: number;
  /** Changes to the e2e base config after the reps and team are in. */
  config?: (config: Record<string, unknown>) => Record<string, unknown>;
  engine?: 'sqlite' | 'postgres';
}

/**
 * The e2e world with `reps` bench reps in one round-robin team, owner match off (it would add one company search per
 * lead), rate limits as the emulators default them (HubSpot: search 5/s, 100 calls per 10 s; Slack: about one
 * message per second per channel, bursts of 3). The worker is not started.
 */
export async function createBenchWorld(options: BenchWorldOptions): Promise<{ world: World; reps: BenchRep[] }> {
  const reps = benchReps(options.reps);
  const world = await createWorld({
    ...(options.engine ? { engine: options.engine } : {}),
    config: (base) => {
      const withReps: Record<string, unknown> = {
        ...base,
        reps: reps.map((r) => ({
          id: r.id,
          name: r.name,
          email: r.email,
          slackUserId: r.slackUserId,
          crmOwnerId: r.ownerId,
          timezone: 'UTC',
          hours: '24/7',
        })),
        teams: [
          {
            id: 'bench',
            members: reps.map((r) => r.id),
            strategy: 'round-robin',
            manager: MANAGER.id,
            channel: 'C0EMEA',
          },
        ],
        routing: { ownerMatch: { enabled: false }, rules: [], fallback: { team: 'bench' } },
        sla: { acceptWithin: '4h', remindAt: '90%', maxOffers: 2 },
      };
      return options.config ? options.config(withReps) : withReps;
    },
  });
  world.startWorker = startBuiltWorker(world);
  world.hubspot.control.seedOwners(
    reps.map((r) => ({ id: r.ownerId, email: r.email, firstName: 'Rep', lastName: r.id })),
  );
  for (const r of reps) world.slack.control.addUser({ id: r.slackUserId, name: r.name, email: r.email, tz: 'UTC' });
  return { world, reps };
}

/** Whether a recorded message is a lead card, by message: what it was posted with never changes (see postedCards). */
const isCardMemo = new WeakMap<RecordedMessage, boolean>();

/**
 * Top-level lead cards (messages that carried Accept buttons when posted, even if decided since) across every DM.
 * Each message is looked at once: a drain polls this every few hundred ms over thousands of cards, and serialising
 * every card's blocks each time kept the bench process (which also plays Slack and HubSpot) busy for tens of ms.
 */
export function postedCards(slack: SlackEmulator): RecordedMessage[] {
  const isCard = (m: RecordedMessage): boolean => {
    let known = isCardMemo.get(m);
    if (known === undefined) {
      const asPosted = m.edits[0]?.blocks ?? m.blocks;
      known = m.threadTs === null && m.channel.startsWith('D') && JSON.stringify(asPosted).includes('handoff_accept');
      isCardMemo.set(m, known);
    }
    return known;
  };
  return slack.control.messages().filter(isCard);
}

/** A bench contact whose card can be told apart: its last name carries `key`. */
export function benchContact(
  key: number,
  extra: Record<string, string | number> = {},
): Record<string, string | number> {
  return {
    email: `lead${key}@company${key % 997}.example`,
    firstname: 'Bench',
    lastname: `K${key}`,
    company: `Company ${key % 997}`,
    country: 'DE',
    numberofemployees: 250,
    hubspotscore: 60,
    lifecyclestage: 'marketingqualifiedlead',
    ...extra,
  };
}

const cardKeyMemo = new WeakMap<RecordedMessage, number | null>();

/** The key of the bench contact a card is for (see benchContact), or null. */
export function cardKey(card: RecordedMessage): number | null {
  let key = cardKeyMemo.get(card);
  if (key === undefined) {
    const m = /Bench K(\d+)/.exec(JSON.stringify(card.edits[0]?.blocks ?? card.blocks));
    key = m ? Number(m[1]) : null;
    cardKeyMemo.set(card, key);
  }
  return key;
}

/** Polls until `check` is truthy or the bound passes; resolves to whether it held. Never throws on timeout. */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Polls `count` until it reaches `target`; gives up when it has not grown for `stallMs` or `maxMs` passed.
 * Resolves to whether the target was reached.
 */
export async function pollProgress(
  count: () => number,
  target: number,
  options: { stallMs: number; maxMs: number; everyMs?: number },
): Promise<boolean> {
  const started = Date.now();
  let last = -1;
  let lastChange = started;
  for (;;) {
    const n = count();
    if (n >= target) return true;
    const now = Date.now();
    if (n !== last) {
      last = n;
      lastChange = now;
    }
    if (now - lastChange > options.stallMs || now - started > options.maxMs) return false;
    await new Promise((r) => setTimeout(r, options.everyMs ?? 200));
  }
}

export function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** What every burst scenario must keep at 0: cards posted twice, leads that never got a card, Slack 429s. */
export interface BurstTally {
  cards: number;
  duplicates: number;
  lost: number;
  slack429: number;
}

/** Counts the cards for bench contacts 0 … leads − 1 (see benchContact) and the throttled posts. */
export function burstTally(slack: SlackEmulator, leads: number): BurstTally {
  const perKey = new Map<number, number>();
  for (const card of postedCards(slack)) {
    const key = cardKey(card);
    if (key !== null) perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  let duplicates = 0;
  let lost = 0;
  for (let k = 0; k < leads; k++) {
    const n = perKey.get(k) ?? 0;
    if (n === 0) lost++;
    else duplicates += n - 1;
  }
  const slack429 = slack.control.calls('chat.postMessage').filter((c) => c.status === 429).length;
  return { cards: postedCards(slack).length, duplicates, lost, slack429 };
}

/**
 * Where each Slack 429 came from: the method, the channel, and the calls to that channel in the 4 s before it (ms
 * before the 429, with their status), as the emulator received them. One line per 429, at most `limit`.
 */
export function throttleTrace(slack: SlackEmulator, since: number, limit = 10): string[] {
  const calls = slack.control.calls();
  const lines: string[] = [];
  for (const c of calls) {
    if (c.status !== 429 || lines.length >= limit) continue;
    const channel = String(c.args.channel ?? '?');
    const before = calls
      .filter((o) => o !== c && String(o.args.channel ?? '') === channel && o.at <= c.at && c.at - o.at < 4_000)
      .map((o) => `${o.method} −${c.at - o.at} ms ${o.status}`);
    lines.push(
      `${c.method} ${channel} at +${((c.at - since) / 1000).toFixed(1)} s; before it: ${before.join(', ') || 'none'}`,
    );
  }
  return lines;
}

export function tallyText(t: BurstTally): string {
  return `${t.duplicates} duplicate cards, ${t.lost} lost leads, ${t.slack429} Slack 429s`;
}

export function tallyOk(t: BurstTally): boolean {
  return t.duplicates === 0 && t.lost === 0 && t.slack429 === 0;
}

/** Ack times of clicks sent at once: as the clicking client saw them and as the worker reported them. */
export interface ClickFigures {
  /** Request written → answer head read, in the click driver's own process (what Slack would see). */
  ackMs: number[];
  /** The worker's Server-Timing `ack;dur`: its handler reached → ack written. */
  serverMs: number[];
  /** The worker's Server-Timing `accept;dur`: its server accepted the connection → ack written. */
  acceptMs: number[];
  refused: number;
  /** Request made → TCP connection up, in the click driver (a new connection per click; not in ackMs), ms. */
  connectMs: number[];
  /** The worker's event-loop delay over the clicks (its /metrics, read just before and right after), ms. */
  loopDelay: { p99Ms: number; maxMs: number } | null;
}

/** The worker's event-loop delay since its /metrics was last read (prom-client resets it on every read), ms. */
export async function workerLoopDelay(port: number): Promise<{ p99Ms: number; maxMs: number } | null> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  const read = (name: string): number =>
    Number(new RegExp(`^handoff_process_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) *
    1000;
  const p99Ms = read('p99');
  return Number.isFinite(p99Ms) ? { p99Ms, maxMs: read('max') } : null;
}

/**
 * Clicks Accept on every card at once, each as the rep whose DM it is in: the emulated Slack builds and signs each
 * block_actions request, a click driver in its own process (click-driver.ts) sends them together to the worker's
 * /slack/events and times them. With `workerPort`, the worker's event-loop delay over the clicks is read too.
 */
export async function clickAllAtOnce(
  slack: SlackEmulator,
  cards: readonly RecordedMessage[],
  options: { workerPort?: number } = {},
): Promise<ClickFigures> {
  const userOfChannel = new Map<string, string>();
  for (const u of slack.control.users()) {
    const dm = slack.control.dmChannel(u.id);
    if (dm !== null) userOfChannel.set(dm, u.id);
  }
  const driver = await startClickDriver();
  slack.control.setHttpTransport(driver.transport);
  try {
    if (options.workerPort !== undefined) await workerLoopDelay(options.workerPort);
    const answers = await Promise.all(
      cards.map((card) => {
        const user = userOfChannel.get(card.channel);
        if (user === undefined) return Promise.resolve(null);
        return slack.control.clickButton({ user, channel: card.channel, ts: card.ts, actionId: 'handoff_accept' });
      }),
    );
    const loopDelay = options.workerPort !== undefined ? await workerLoopDelay(options.workerPort) : null;
    const ackMs: number[] = [];
    const serverMs: number[] = [];
    const acceptMs: number[] = [];
    let refused = 0;
    for (const a of answers) {
      if (a === null || a.status !== 200) refused++;
      else {
        ackMs.push(a.ackMs);
        const inWorker = serverDuration(a.serverTiming);
        if (Number.isFinite(inWorker)) serverMs.push(inWorker);
        const sinceAccept = serverDuration(a.serverTiming, 'accept');
        if (Number.isFinite(sinceAccept)) acceptMs.push(sinceAccept);
      }
    }
    return { ackMs, serverMs, acceptMs, refused, loopDelay, connectMs: [...driver.connectMs] };
  } finally {
    slack.control.setHttpTransport(null);
    await driver.close();
  }
}

/** "p50 / p99 / max" of a list of ms. */
function spread(values: readonly number[]): string {
  if (values.length === 0) return 'n/a';
  return `p50 ${percentile(values, 50).toFixed(1)}, p99 ${percentile(values, 99).toFixed(1)}, max ${Math.max(...values).toFixed(1)} ms`;
}

/** One line for the log: both figures and the loop delay. */
export function clickText(c: ClickFigures): string {
  return (
    `ack as the client saw it (request written → ack read) ${spread(c.ackMs)}; before that, the client's own connection set-up ${spread(c.connectMs)}; in the worker from accepting the connection ${spread(c.acceptMs)}, from the handler ${spread(c.serverMs)}` +
    (c.loopDelay
      ? `; worker event-loop delay p99 ${c.loopDelay.p99Ms.toFixed(1)}, max ${c.loopDelay.maxMs.toFixed(1)} ms`
      : '') +
    (c.refused > 0 ? `; ${c.refused} not answered 200` : '') +
    `; machine load average ${loadavg()[0]?.toFixed(1) ?? '?'}`
  );
}

/** The budget row of a 50-click measurement: the client-observed p99 is the figure, the in-worker p99 beside it. */
export function clickRow(figure: string, c: ClickFigures, context: string): BenchRow {
  const p99 = percentile(c.ackMs, 99);
  const inWorker = percentile(c.acceptMs, 99);
  return {
    figure,
    measured: `${p99.toFixed(1)} ms (in the worker ${Number.isFinite(inWorker) ? inWorker.toFixed(1) : 'n/a'} ms)${c.refused > 0 ? ` (${c.refused} not answered 200)` : ''}`,
    budget: '≤ 50 ms',
    ok: c.refused === 0 && p99 <= 50,
    note:
      `${context}; the figure: request written → ack read by a click driver in its own process; in the worker: its ` +
      `Server-Timing (connection accepted → ack written, p99); ${clickText(c)}`,
  };
}

/** One card per rep (the oldest in each DM), up to `count`, spread over as many DMs as there are. */
export function cardsAcrossDms(slack: SlackEmulator, count: number): RecordedMessage[] {
  const byChannel = new Map<string, RecordedMessage[]>();
  for (const card of postedCards(slack)) {
    const list = byChannel.get(card.channel) ?? [];
    list.push(card);
    byChannel.set(card.channel, list);
  }
  const out: RecordedMessage[] = [];
  for (let round = 0; out.length < count; round++) {
    let added = 0;
    for (const list of byChannel.values()) {
      const card = list[round];
      if (card === undefined || out.length >= count) continue;
      out.push(card);
      added++;
    }
    if (added === 0) break;
  }
  return out;
}
