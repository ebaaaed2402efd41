// `handoff stats [--since 30d] [--until T] [--by week|rep|team|source|campaign|reason] [--team T] [--rep R]
// [--source S] [--campaign C] [--hot] [--json] [-c FILE]`: the MQL→SAL numbers of the MQLs of a window,
// as a table or stable JSON. Opens the store without the single-process lock, so it runs beside a worker.
import type { Command } from 'commander';
import { computeStats, formatStatsTable } from '../../app/stats.js';
import { parseDuration } from '../../domain/duration.js';
import { InputError } from '../../domain/errors.js';
import type { Millis } from '../../domain/model.js';
import { METRICS_GROUPS } from '../../ports/metrics.js';
import type { MetricsFilter, MetricsGroupBy } from '../../ports/metrics.js';
import { openStore } from '../../store/index.js';
import { metricsReaderFor } from '../../store/metrics-memory.js';
import type { CliIo } from '../context.js';
import { configFileOption, loadConfigWithoutSecrets } from './simulate.js';

/** `--since`: a duration back from `until` (30d, 12h) or an ISO date/time. */
export function parseSince(value: string, until: Millis, flag = '--since'): Millis {
  const span = parseDuration(value);
  if (span !== null && span > 0) return until - span;
  const at = Date.parse(value);
  if (Number.isFinite(at) && /^\d{4}-\d{2}-\d{2}/.test(value)) return at;
  throw new InputError('input.invalid', [
    `${flag}: "${value}" is neither a duration (30d, 12h) nor an ISO date (2026-11-01)`,
  ]);
}

export function parseUntil(value: string | undefined, now: Millis): Millis {
  if (value === undefined) return now;
  const at = Date.parse(value);
  if (!Number.isFinite(at) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new InputError('input.invalid', [
      `--until: "${value}" is not an ISO date or time (2026-11-15 or 2026-11-15T08:00:00Z)`,
    ]);
  }
  return at;
}

export function parseWindow(opts: { since: string; until?: string }, now: Millis): { since: Millis; until: Millis } {
  const until = parseUntil(opts.until, now);
  const since = parseSince(opts.since, until);
  if (since >= until) throw new InputError('input.invalid', [`--since must be before --until`]);
  return { since, until };
}

interface StatsOpts {
  since: string;
  until?: string;
  by?: string;
  team?: string;
  rep?: string;
  source?: string;
  campaign?: string;
  hot?: boolean;
  json?: boolean;
}

export function registerStatsCommand(program: Command, io: CliIo, now: () => Millis = Date.now): void {
  program
    .command('stats')
    .description(
      'MQL→SAL numbers of the MQLs of a window: SALs, rejections by reason, speed-to-lead, response time, SLA',
    )
    .option(
      '--since <duration|date>',
      'start of the window: a duration back from --until (30d, 12h) or an ISO date',
      '30d',
    )
    .option('--until <date>', 'end of the window, exclusive (ISO date or time; default now)')
    .option('--by <group>', `group rows by ${METRICS_GROUPS.join('|')}`)
    .option('--team <id>', 'only hand-offs routed to this team')
    .option('--rep <id>', 'only hand-offs (and offers) of this rep')
    .option('--source <name>', 'only leads from this marketing source (the channel field)')
    .option('--campaign <name>', 'only leads of this campaign')
    .option('--hot', 'only hot leads')
    .option('-c, --config <file>', 'config file (default: $HANDOFF_CONFIG or ./handoff.yaml)')
    .option('--json', 'print the numbers as JSON')
    .action(async (opts: StatsOpts, cmd: Command) => {
      const window = parseWindow(opts, now());
      let by: MetricsGroupBy | null = null;
      if (opts.by !== undefined) {
        if (!(METRICS_GROUPS as readonly string[]).includes(opts.by)) {
          throw new InputError('input.invalid', [`--by: "${opts.by}" is not one of ${METRICS_GROUPS.join(', ')}`]);
        }
        by = opts.by as MetricsGroupBy;
      }
      const filter: MetricsFilter = {};
      if (opts.team !== undefined) filter.team = opts.team;
      if (opts.rep !== undefined) filter.rep = opts.rep;
      if (opts.source !== undefined) filter.source = opts.source;
      if (opts.campaign !== undefined) filter.campaign = opts.campaign;
      if (opts.hot === true) filter.hot = true;
      const config = await loadConfigWithoutSecrets(io, configFileOption(cmd));
      const store = await openStore(config.store.url, { cwd: io.cwd, exclusive: false });
      try {
        await store.migrate();
        const report = await computeStats(metricsReaderFor(store), {
          ...window,
          by,
          filter,
          reasons: config.rejectionReasons,
        });
        io.out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatsTable(report));
      } finally {
        await store.close();
      }
    });
}
