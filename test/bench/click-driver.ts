// The clicking client of the ack benchmarks, in its own process. The emulated Slack still builds and signs every
// click (its state issues the trigger ids and response URLs); this process only sends the signed requests and times
// the answers. The bench process itself is busy playing Slack's Web API and HubSpot for the worker (a drain posts ~20
// cards a second to it): a click timed there waits for that loop as well, and the figure says more about the bench
// than about the worker. Here the timer starts when the request is written — on a new connection, when the
// connection is up (the request goes out then) — and stops when the answer's head is read, in a process that does
// nothing else. The time before that (this process setting up 50 requests in a row, then the TCP handshake, which the
// kernel completes without the worker) is reported apart as connect time: it is the client's, and 50 clicks from
// Slack come from many machines, not from one loop. The worker's side of a new connection (accepting it, reading the
// request) is inside the timed part.
//   parent → child: { batch: [{ id, url, headers, body, timeoutMs }] } — sent together, in one turn
//   child → parent: { id, status, body, ackMs, serverTiming? }
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type {
  HttpTransport,
  HttpTransportAnswer,
  HttpTransportRequest,
} from '../../connectors/slack/emulator/index.js';

interface Outgoing extends HttpTransportRequest {
  id: number;
}

interface Incoming extends HttpTransportAnswer {
  id: number;
  /** Request made → TCP connection up (0 for a reused connection); NaN when it never connected. Not in ackMs. */
  connectMs: number;
}

/** Sends one request and times it (status 0 when no answer came within its timeout). */
function send(agent: Agent, r: Outgoing): Promise<Incoming> {
  const target = new URL(r.url);
  return new Promise((resolve) => {
    const created = performance.now();
    /** When the request was written: at once on a reused connection, else when the connection came up. */
    let started = created;
    let connectMs = Number.NaN;
    const req = httpRequest(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: r.headers,
        timeout: r.timeoutMs,
      },
      (res) => {
        const ackMs = performance.now() - started;
        const serverTiming = res.headers['server-timing'];
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            id: r.id,
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ackMs,
            connectMs,
            ...(typeof serverTiming === 'string' ? { serverTiming } : {}),
          }),
        );
        res.on('error', () => resolve({ id: r.id, status: 0, body: '', ackMs, connectMs }));
      },
    );
    req.on('socket', (socket) => {
      if (!socket.connecting) connectMs = 0;
      else
        socket.once('connect', () => {
          started = performance.now();
          connectMs = started - created;
        });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ id: r.id, status: 0, body: '', ackMs: performance.now() - started, connectMs }));
    req.end(r.body);
  });
}

/**
 * Sends 50 requests at once to a server of its own first: a fresh process runs its HTTP client cold (lazy modules,
 * no compiled code yet), and on a loaded machine that alone took the first clicks 100–250 ms to write. Its own
 * agent, so the clicks still open new connections to the worker, as they did.
 */
async function warmUp(): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  for (let round = 0; round < 2; round++)
    await Promise.all(
      Array.from({ length: 50 }, (_, id) =>
        send(agent, { id, url, headers: { 'content-length': '2' }, body: '{}', timeoutMs: 5_000 }),
      ),
    );
  agent.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function serveAsChild(): Promise<void> {
  await warmUp();
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  process.on('message', (m: { batch?: Outgoing[] }) => {
    for (const r of m.batch ?? []) void send(agent, r).then((answer) => process.send?.(answer));
  });
  process.on('disconnect', () => {
    agent.destroy();
    process.exit(0);
  });
  process.send?.({ ready: true });
}

export interface ClickDriver {
  /** For control.setHttpTransport: requests made in one turn go to the driver as one batch and leave together. */
  transport: HttpTransport;
  /** Request written → TCP connection up, per answered request so far (0: a reused connection), ms. */
  readonly connectMs: number[];
  close(): Promise<void>;
}

/** The duration of metric `name` in a Server-Timing header (`ack;dur=12.3, accept;dur=20.1`), NaN when absent. */
export function serverDuration(header: string | undefined, name = 'ack'): number {
  return Number(new RegExp(`(?:^|,)\\s*${name};dur=([\\d.]+)`).exec(header ?? '')?.[1] ?? NaN);
}

/** Starts the driver process (dist/test/bench/click-driver.js: the benches run built). */
export async function startClickDriver(): Promise<ClickDriver> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--click-driver'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`click driver exited with ${String(code)} before it was ready`)));
  });
  let nextId = 1;
  const waiting = new Map<number, (answer: HttpTransportAnswer) => void>();
  let batch: Outgoing[] = [];
  const connectMs: number[] = [];
  child.on('message', (m: Incoming) => {
    if (typeof m.id !== 'number') return;
    if (Number.isFinite(m.connectMs)) connectMs.push(m.connectMs);
    const done = waiting.get(m.id);
    waiting.delete(m.id);
    done?.(m);
  });
  child.on('exit', () => {
    for (const done of waiting.values()) done({ status: 0, body: '', ackMs: Number.NaN });
    waiting.clear();
  });
  return {
    connectMs,
    transport(request) {
      const id = nextId++;
      if (batch.length === 0)
        setImmediate(() => {
          const out = batch;
          batch = [];
          child.send({ batch: out });
        });
      batch.push({ ...request, id });
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    async close() {
      if (child.exitCode !== null || !child.connected) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      await exited;
    },
  };
}

if (process.argv.includes('--click-driver') && process.send !== undefined) await serveAsChild();
