// Wall-clock schedules (digests) on node-cron: an explicit time zone, never two runs of a job at
// once, and the task destroyed when the worker stops. A job only triggers work that reads the
// database; nothing waits in memory for a later run.
import cron, { type Logger as CronLogger } from 'node-cron';
import type { Logger } from '../ports/logger.js';

export interface CronJobOptions {
  /** Shows in node-cron's task list, e.g. "digest:managers". */
  name: string;
  /** Five or six fields, as node-cron reads them. */
  expression: string;
  /** IANA zone the expression is read in. */
  timezone: string;
  /** One run; gets the scheduled time (epoch ms). */
  run: (scheduledAt: number) => Promise<void>;
  /** A run threw (the job stays scheduled). */
  onFailed: (err: unknown) => void;
  /** Aborting it destroys the task. */
  signal: AbortSignal;
  /** node-cron's own notices (a run skipped because the last one still runs, a missed run) go here. */
  logger: Logger;
}

export interface CronJob {
  /** The expression fires at this time (epoch ms) in its time zone. */
  matches(at: number): boolean;
}

export function scheduleCron(options: CronJobOptions): CronJob {
  const task = cron.schedule(options.expression, (ctx) => options.run(ctx.date.getTime()), {
    name: options.name,
    timezone: options.timezone,
    noOverlap: true,
    logger: cronLogger(options.logger.child({ cron: options.name })),
  });
  task.on('execution:failed', (ctx) => options.onFailed(ctx.execution?.error));
  const destroy = (): void => void Promise.resolve(task.destroy()).catch(() => undefined);
  if (options.signal.aborted) destroy();
  else options.signal.addEventListener('abort', destroy, { once: true });
  return { matches: (at) => task.match(new Date(at)) };
}

/**
 * node-cron writes to the console by default, past the worker's JSON log and its redaction. Its
 * warnings go to our log; its error lines repeat a failure `onFailed` reports already, so they are debug.
 */
function cronLogger(log: Logger): CronLogger {
  const text = (m: string | Error): string => (m instanceof Error ? m.message : m);
  return {
    info: (m) => log.debug(text(m)),
    debug: (m) => log.debug(text(m)),
    warn: (m) => log.warn(text(m)),
    error: (m, err) => log.debug({ err: err ?? m }, text(m)),
  };
}
