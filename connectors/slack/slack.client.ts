// The one way this connector builds a Web API client: pointed at apiUrl, no SDK retries, rate limits rejected,
// a timeout — so a failing call comes straight back to the outbox, which owns retries (DESIGN §7).
import { format } from 'node:util';
import { webApi, type LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../src/ports/logger.js';
import { scrubText } from '../../src/runtime/logger.js';

/** The pino-style logger the connector takes as a dependency (the ports' one). */
export type SlackLogger = Logger;

/** The bot scopes handoff needs, exactly (config/slack-app-manifest.yaml lists the same; `doctor` compares). */
export const SLACK_BOT_SCOPES = [
  'channels:history',
  'chat:write',
  'commands',
  'groups:history',
  'im:history',
  'im:write',
  'users:read',
  'users:read.email',
] as const;

export interface SlackClientOptions {
  botToken: string;
  /** Web API base, ending in "/api/" (https://slack.com/api/, https://slack-gov.com/api/, an emulator). */
  apiUrl?: string | undefined;
  timeoutMs?: number | undefined;
}

export function createSlackWebClient(options: SlackClientOptions, logger?: BoltLogger): webApi.WebClient {
  return new webApi.WebClient(options.botToken, {
    ...(options.apiUrl !== undefined ? { slackApiUrl: options.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 10_000,
    ...(logger !== undefined ? { logger } : {}),
  });
}

const BOLT_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type BoltLevel = (typeof BOLT_LEVELS)[number];

/**
 * Bolt's (and the Web API's and Socket Mode's) logger interface over our pino-style logger. Their
 * free-text messages go through the same scrub as everything else (tokens blanked, emails masked),
 * errors go under `err`, and `setLevel` filters here, above whatever the process logger lets through.
 */
export function boltLogger(logger: SlackLogger, name = 'slack'): BoltLogger {
  let log = logger.child({ sdk: name });
  let threshold: BoltLevel = 'debug';
  const emit = (level: BoltLevel, args: unknown[]): void => {
    if (BOLT_LEVELS.indexOf(level) < BOLT_LEVELS.indexOf(threshold)) return;
    const err = args.find((a): a is Error => a instanceof Error);
    const rest = args.filter((a) => !(a instanceof Error));
    const text = rest.length > 0 ? scrubText(format(...rest)) : err !== undefined ? scrubText(err.message) : '';
    log[level](err !== undefined ? { err } : {}, text);
  };
  return {
    debug: (...args: unknown[]) => emit('debug', args),
    info: (...args: unknown[]) => emit('info', args),
    warn: (...args: unknown[]) => emit('warn', args),
    error: (...args: unknown[]) => emit('error', args),
    setLevel: (level: LogLevel) => {
      const next = String(level) as BoltLevel;
      if (BOLT_LEVELS.includes(next)) threshold = next;
    },
    getLevel: () => threshold as LogLevel,
    setName: (next: string) => {
      log = logger.child({ sdk: next });
    },
  };
}
