import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/ports/logger.js';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { capturePino } from '../helpers/pino-capture.js';
import { createLogger, maskEmail, scrub, stripUrlCredentials } from '../../src/runtime/logger.js';

function jsonLogger(level: 'debug' | 'info' = 'info') {
  const out = capturePino();
  const log = createLogger({ level, pretty: false, destination: out.stream });
  return { log, out };
}

describe('maskEmail', () => {
  it.each([
    ['alice@example.com', 'a***@example.com'],
    ['Alice Martin <alice.martin@sub.example.co.uk>', 'Alice Martin <a***@sub.example.co.uk>'],
    ['two: a1@x.io, b.2@y.org', 'two: a***@x.io, b***@y.org'],
    ['no address here', 'no address here'],
    ['@handle and user@localhost', '@handle and user@localhost'],
  ])('%s → %s', (input, masked) => {
    expect(maskEmail(input)).toBe(masked);
  });

  // Slack's SDK logs whole request texts; a 40 KB message with no "@" used to take ~11 s (quadratic
  // rescans), stalling the event loop. Megabytes must go through in one linear pass (tens of ms); the
  // quadratic version needs hours on them. It runs in a worker so a regression fails at the cap instead
  // of blocking the test process.
  it('masks in one pass over megabytes of text that look almost like addresses', async () => {
    const texts = ['x'.repeat(2_000_000), `a@${'b.'.repeat(500_000)}!`, `${'y'.repeat(1_000_000)} carol@example.com`];
    const masked = await maskInWorker(texts, 15_000);
    expect(masked[0]).toBe(texts[0]);
    expect(masked[1]).toBe(texts[1]);
    expect(masked[2]).toBe(`${'y'.repeat(1_000_000)} c***@example.com`);
  });
});

describe('stripUrlCredentials', () => {
  it('blanks the password and keeps the rest of the URL', () => {
    expect(stripUrlCredentials('postgres://app:s3cr%40t@db.internal:5432/handoff')).toBe(
      'postgres://app:[Redacted]@db.internal:5432/handoff',
    );
    expect(stripUrlCredentials('sqlite:./data/handoff.db')).toBe('sqlite:./data/handoff.db');
  });
});

describe('createLogger', () => {
  it('writes JSON lines with level, time, message and child bindings', () => {
    const { log, out } = jsonLogger();
    log.child({ component: 'router', handoffId: 'h1' }).info({ repId: 'alice' }, 'offer posted');
    const [line] = out.lines();
    expect(line).toMatchObject({
      level: 30,
      component: 'router',
      handoffId: 'h1',
      repId: 'alice',
      msg: 'offer posted',
    });
    expect(typeof line!.time).toBe('string');
  });

  it('honours the level', () => {
    const { log, out } = jsonLogger('info');
    log.debug('hidden');
    log.info('shown');
    expect(out.lines().map((l) => l.msg)).toEqual(['shown']);
  });

  it('redacts secrets at the common paths', () => {
    const { log, out } = jsonLogger();
    log.info(
      {
        token: 't-1',
        slack: { botToken: 'xoxb-1', signingSecret: 's-1' },
        salesforce: { clientSecret: 'cs-1', password: 'pw-1', privateKey: '-----BEGIN' },
        req: { headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'content-type': 'application/json' } },
      },
      'config loaded',
    );
    const line = out.lines()[0]!;
    const text = out.text();
    for (const secret of ['t-1', 'xoxb-1', 's-1', 'cs-1', 'pw-1', 'BEGIN', 'Bearer abc', 'sid=1']) {
      expect(text).not.toContain(secret);
    }
    expect(line.slack.botToken).toBe('[Redacted]');
    expect(line.req.headers.authorization).toBe('[Redacted]');
    expect(line.req.headers['content-type']).toBe('application/json');
  });

  it('redacts secrets nested deeper than the fixed paths', () => {
    const { log, out } = jsonLogger();
    log.info({ config: { connectors: { hubspot: { token: 'pat-na1-123', baseUrl: 'https://api.hubapi.com' } } } }, 'x');
    const line = out.lines()[0]!;
    expect(line.config.connectors.hubspot).toEqual({ token: '[Redacted]', baseUrl: 'https://api.hubapi.com' });
  });

  it('masks contact emails under email-ish keys, in arrays and in child bindings', () => {
    const { log, out } = jsonLogger();
    const payload = {
      email: 'alice@example.com',
      leadEmail: 'bob@corp.io',
      mail: { to: ['carol@x.org', 'Dan <dan@y.org>'] },
    };
    log.child({ contactEmail: 'eve@z.net' }).info(payload, 'lead stored');
    const line = out.lines()[0]!;
    expect(line.email).toBe('a***@example.com');
    expect(line.leadEmail).toBe('b***@corp.io');
    expect(line.mail.to).toEqual(['c***@x.org', 'Dan <d***@y.org>']);
    expect(line.contactEmail).toBe('e***@z.net');
    log.child({ component: 'mailer' }).child({ repEmail: 'rita@example.com' }).info('grandchild');
    expect(out.lines()[1]).toMatchObject({ component: 'mailer', repEmail: 'r***@example.com' });
    // The caller's object is untouched.
    expect(payload.email).toBe('alice@example.com');
    expect(payload.mail.to[0]).toBe('carol@x.org');
  });

  it('blanks passwords inside URLs', () => {
    const { log, out } = jsonLogger();
    log.info({ store: { url: 'postgres://app:hunter2@db:5432/x' } }, 'store opened');
    expect(out.lines()[0]!.store.url).toBe('postgres://app:[Redacted]@db:5432/x');
  });

  it('serializes errors under err, scrubbing what SDK errors carry', () => {
    const { log, out } = jsonLogger();
    const err = Object.assign(new Error('request failed', { cause: new Error('socket hang up') }), {
      code: 'ECONNRESET',
      config: { url: 'https://api.hubapi.com/x', headers: { Authorization: 'Bearer pat-123' } },
    });
    log.error({ err }, 'hubspot call failed');
    const line = out.lines()[0]!;
    expect(line.err.type).toBe('Error');
    expect(line.err.message).toContain('request failed');
    expect(line.err.message).toContain('socket hang up');
    expect(line.err.code).toBe('ECONNRESET');
    expect(line.err.config.headers.Authorization).toBe('[Redacted]');
    expect(out.text()).not.toContain('pat-123');
  });

  it('is usable as the Logger port', () => {
    const { log, out } = jsonLogger();
    const port: Logger = log;
    port.child({ component: 'app' }).warn('careful');
    expect(out.lines()[0]).toMatchObject({ level: 40, component: 'app', msg: 'careful' });
  });

  it('writes human-readable lines in pretty mode', async () => {
    const out = capturePino();
    const log = createLogger({ pretty: true, destination: out.stream });
    log.info({ email: 'alice@example.com', botToken: 'xoxb-9' }, 'pretty hello');
    for (let i = 0; i < 200 && !out.text().includes('pretty hello'); i++) await new Promise((r) => setImmediate(r));
    const text = out.text();
    expect(text).toContain('INFO');
    expect(text).toContain('pretty hello');
    expect(text).toContain('a***@example.com');
    expect(text).not.toContain('xoxb-9');
    expect(() => JSON.parse(text.split('\n')[0]!)).toThrow();
  });
});

describe('scrub', () => {
  it('returns the same object when nothing needs changing', () => {
    const obj = { a: 1, b: { c: 'x' }, list: [1, 2] };
    expect(scrub(obj)).toBe(obj);
  });

  it('leaves class instances alone', () => {
    const date = new Date(0);
    expect(scrub({ at: date })).toEqual({ at: date });
  });
});

describe('child loggers', () => {
  it('write a key given again by a grandchild once, the grandchild’s value winning', () => {
    const out = capturePino();
    const root = createLogger({ level: 'info', pretty: false, destination: out.stream });
    // main.ts hands the store `child({ component: 'store' })` and the store adds its own component + dialect.
    root.child({ component: 'store' }).child({ component: 'store-sqlite', dialect: 'sqlite' }).info('opened');
    const raw = out.text().trim();
    expect(raw.match(/"component"/g)).toHaveLength(1);
    expect(JSON.parse(raw)).toMatchObject({ component: 'store-sqlite', dialect: 'sqlite', msg: 'opened' });
  });

  it('keep the level of their parent and scrub secrets in bindings', () => {
    const out = capturePino();
    const root = createLogger({ level: 'info', pretty: false, destination: out.stream });
    const parent = root.child({ component: 'a' });
    parent.level = 'warn';
    const child = parent.child({ token: 'xoxb-secret-123456' });
    child.info('dropped');
    child.warn('kept');
    expect(out.lines()).toHaveLength(1);
    expect(out.lines()[0]).toMatchObject({ component: 'a', msg: 'kept', token: '[Redacted]' });
  });
});

/** Runs the built maskEmail in a worker thread; rejects if it has not answered within `capMs`. */
function maskInWorker(texts: string[], capMs: number): Promise<string[]> {
  const built = pathToFileURL(path.resolve(import.meta.dirname, '../../dist/src/runtime/logger.js')).href;
  const code = `const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.url).then((m) => parentPort.postMessage(workerData.texts.map((t) => m.maskEmail(t))));`;
  const worker = new Worker(code, { eval: true, workerData: { url: built, texts } });
  return new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`maskEmail did not finish within ${capMs} ms`));
    }, capMs);
    worker.once('message', (out: string[]) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(out);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
