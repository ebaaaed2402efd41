// `handoff stats [--since 30d] [--until T] [--by week|rep|team|source|campaign|reason] [--team T] [--rep R]
// [--source S] [--campaign C] [--hot] [--json] [-c FILE]`: the MQL→SAL numbers of the MQLs of a window,
// as a table or stable JSON. Opens the store without the single-process lock, so it runs beside a worker.
import type { Command } from 'commander';
import { computeStats, type StatsNumbers, type StatsReport } from '../../app/stats.js';
import { InputError } from '../../domain/errors.js';
import { formatPercent, shortDuration } from '../../domain/metrics.js';
import type { Millis } from '../../domain/model.js';
import { METRICS_GROUPS } from '../../ports/metrics.js';
import type { MetricsFilter, MetricsGroupBy } from '../../ports/metrics.js';
import { metricsReaderFor } from '../../store/metrics-memory.js';
import { CONFIG_OPTION, configFileOption, loadConfigWithoutSecrets, withStore, type CliIo } from '../context.js';
import { parseWindow } from '../options.js';
import { printResult, table } from '../output.js';

const COLUMNS = [
  'MQLs',
  'SALs',
  'MQL→SAL',
  'rejected',
  'pending',
  'withdrawn',
  'escal.',
  'recycled',
  'timeouts',
  'STL p50',
  'STL p90',
  'resp p50',
  'resp p90',
  'SLA',
];

function row(n: StatsNumbers): string[] {
  return [
    n.imported > 0 ? `${n.mqls} (${n.imported} imp.)` : String(n.mqls),
    String(n.sals),
    formatPercent(n.conversionPercent),
    String(n.rejected),
    String(n.pending),
    String(n.withdrawn),
    String(n.escalated),
    String(n.recycled),
    String(n.timeouts),
    shortDuration(n.speedToLead.p50Ms),
    shortDuration(n.speedToLead.p90Ms),
    shortDuration(n.responseTime.p50Ms),
    shortDuration(n.responseTime.p90Ms),
    formatPercent(n.sla.compliancePercent),
  ];
}

function formatStatsTable(report: StatsReport): string {
  const filters = Object.entries(report.filter)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`);
  const lines = [
    `MQLs from ${report.since.slice(0, 16).replace('T', ' ')}Z to ${report.until.slice(0, 16).replace('T', ' ')}Z${filters.length ? ` (${filters.join(', ')})` : ''}`,
    '',
  ];
  const numeric = [false, ...COLUMNS.map(() => true)];
  const rows = report.groups.map((g) => [g.key, ...row(g)]);
  rows.push([report.by ? 'total' : 'all', ...row(report.total)]);
  lines.push(table([report.by ?? '', ...COLUMNS], rows, numeric));
  const t = report.total;
  if (t.rejectedByReason.length > 0) {
    lines.push('', 'Rejected by reason');
    lines.push(
      table(
        ['reason', 'count', '% of MQLs'],
        t.rejectedByReason.map((r) => [
          r.label === r.id ? r.id : `${r.label} (${r.id})`,
          String(r.count),
          formatPercent(r.percentOfMqls),
        ]),
        [false, true, true],
      ),
    );
  }
  lines.push(
    '',
    'MQL→SAL = accepted / all MQLs of the window (imported history included; pending and withdrawn shown beside it).',
    'STL = speed-to-lead, MQL → accept; resp = offer → decision; SLA = decisions at or before the deadline / offers that ended.',
    '',
  );
  return lines.join('\n');
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
    .option(...CONFIG_OPTION)
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
      const report = await withStore(io, config, (store) =>
        computeStats(metricsReaderFor(store), { ...window, by, filter, reasons: config.rejectionReasons }),
      );
      printResult(io, opts.json, report, formatStatsTable);
    });
}
