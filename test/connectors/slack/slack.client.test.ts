// The Bolt/Web API logger adapter: Slack's free-text lines go through the process logger's scrub, and
// setLevel filters. (It used to be a second adapter that did neither.)
import type { Logger as SlackLogger } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { boltLogger } from '../../../connectors/slack/slack.client.js';
import { createLogger } from '../../../src/runtime/logger.js';
import { capturePino } from '../../helpers/pino-capture.js';

describe('boltLogger', () => {
  function setup() {
    const out = capturePino();
    const root = createLogger({ level: 'debug', pretty: false, destination: out.stream });
    const slack: SlackLogger = boltLogger(root);
    return { out, slack };
  }

  it('formats Slack-style variadic messages into one line', () => {
    const { out, slack } = setup();
    slack.info('Listening on port', 3000, { mode: 'http' });
    expect(out.lines()[0]).toMatchObject({
      level: 30,
      sdk: 'slack',
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
    expect(slack.getLevel()).toBe('debug'); // passes everything on until Bolt sets a level
    slack.setLevel('warn' as Parameters<SlackLogger['setLevel']>[0]);
    expect(slack.getLevel()).toBe('warn');
    slack.info('dropped');
    slack.warn('kept');
    expect(out.lines().map((l) => l.msg)).toEqual(['kept']);
  });

  it('renames itself and keeps its level', () => {
    const { out, slack } = setup();
    slack.setLevel('error' as Parameters<SlackLogger['setLevel']>[0]);
    slack.setName('bolt-app');
    slack.warn('dropped');
    slack.error('kept');
    expect(out.lines()).toHaveLength(1);
    expect(out.lines()[0]).toMatchObject({ sdk: 'bolt-app', msg: 'kept' });
  });
});
