import { Writable } from 'node:stream';
import type { Logger as SlackLogger } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/ports/logger.js';
import { boltLogger, createLogger, maskEmail, scrub, stripUrlCredentials } from '../../../src/runtime/logger.js';

/** A destination that keeps every line pino writes. */
function capture(): { stream: Writable; lines: () => Array<Record<string, any>>; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, any>),
  };
}

function jsonLogger(level: 'debug' | 'info' = 'info') {
  const out = capture();
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
    const out = capture();
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

describe('boltLogger', () => {
  function setup() {
    const out = capture();
    const root = createLogger({ level: 'debug', pretty: false, destination: out.stream });
    const slack: SlackLogger = boltLogger(root);
    return { out, slack };
  }

  it('formats Slack-style variadic messages into one line', () => {
    const { out, slack } = setup();
    slack.info('Listening on port', 3000, { mode: 'http' });
    expect(out.lines()[0]).toMatchObject({
      level: 30,
      component: 'slack',
      msg: "Listening on port 3000 { mode: 'http' }",
    });
  });

  it('puts errors under err', () => {
    const { out, slack } = setup();
    slack.error('An unhandled error occurred', new Error('boom'));
    const line = out.lines()[0]!;
    expect(line.level).toBe(50);
    expect(line.msg).toBe('An unhandled error occurred');
    expect(line.err.message).toBe('boom');
  });

  it('scrubs tokens and emails from free text', () => {
    const { out, slack } = setup();
    slack.debug('calling with token xoxb-1234567890-abcdef for bob@example.com');
    const msg = out.lines()[0]!.msg as string;
    expect(msg).not.toContain('xoxb-1234567890');
    expect(msg).toContain('b***@example.com');
  });

  it('maps levels both ways and filters below the set level', () => {
    const { out, slack } = setup();
    expect(slack.getLevel()).toBe('debug');
    slack.setLevel('warn' as Parameters<SlackLogger['setLevel']>[0]);
    expect(slack.getLevel()).toBe('warn');
    slack.info('dropped');
    slack.warn('kept');
    expect(out.lines().map((l) => l.msg)).toEqual(['kept']);
  });

  it('renames its component and keeps its level', () => {
    const { out, slack } = setup();
    slack.setLevel('error' as Parameters<SlackLogger['setLevel']>[0]);
    slack.setName('bolt-app');
    slack.warn('dropped');
    slack.error('kept');
    expect(out.lines()).toHaveLength(1);
    expect(out.lines()[0]).toMatchObject({ component: 'bolt-app', msg: 'kept' });
  });
});
