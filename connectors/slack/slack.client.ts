// The one way this connector builds a Web API client: pointed at apiUrl, no SDK retries, rate limits rejected,
// a timeout — so a failing call comes straight back to the outbox, which owns retries (DESIGN §7).
import { LogLevel, webApi, type Logger as BoltLogger } from '@slack/bolt';

/** The pino-style logger the connector takes as a dependency. */
export interface SlackLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): SlackLogger;
}

/** The bot scopes handoff needs, exactly (config/slack-app-manifest.yaml lists the same; `doctor` compares). */
export const SLACK_BOT_SCOPES = ['chat:write', 'commands', 'im:write', 'users:read', 'users:read.email'] as const;

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

/** Bolt's (and the SDK's) logger interface over our pino-style logger. */
export function boltLogger(logger: SlackLogger): BoltLogger {
  const join = (msgs: unknown[]): string =>
    msgs.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...msgs: unknown[]) => logger.debug({}, join(msgs)),
    info: (...msgs: unknown[]) => logger.info({}, join(msgs)),
    warn: (...msgs: unknown[]) => logger.warn({}, join(msgs)),
    error: (...msgs: unknown[]) => logger.error({}, join(msgs)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
