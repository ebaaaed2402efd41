// `handoff simulate FILE [-c FILE] [--json] [--at ISO-TIME]`: dry-run routing of a lead file through
// the config. Writes nothing anywhere: the fairness ledger and the reps' load live in memory for the
// run, and no CRM is asked (owner match shows as skipped).
//
// The load model of the dry run is in src/cli/dry-run.ts. simulate routes every lead at the same
// moment (--at, default now), as a burst, so capacity limits show how far a burst of that size would get.
import type { Command } from 'commander';
import { routingConfigOf } from '../../app/route-handoff.js';
import { InputError } from '../../domain/errors.js';
import type { Lead, Millis } from '../../domain/model.js';
import type { RoutingConfig, RoutingResult, RoutingTrace } from '../../domain/routing/index.js';
import { settingsFromConfig } from '../../main.js';
import { CONFIG_OPTION, configFileOption, loadConfigWithoutSecrets, type CliIo } from '../context.js';
import { createDryRun } from '../dry-run.js';
import { parseLeadFile, readLeadFileText } from '../lead-file.js';
import { parseTimeOption } from '../options.js';
import { isoMinute, printResult, table } from '../output.js';

/** How a decision is labelled in per-rule counts. */
function ruleLabel(result: RoutingResult): string {
  const d = result.decision;
  if (d.kind === 'unroutable') return '(unroutable)';
  if (d.via === 'owner') return '(owner match)';
  if (d.via === 'fallback') return '(fallback)';
  return d.rule ?? '(fallback)';
}

export interface SimulatedLead {
  line: number;
  email: string | null;
  externalId: string;
  rule: string | null;
  via: 'owner' | 'rule' | 'fallback' | null;
  team: string | null;
  rep: string | null;
  hot: boolean;
  dueAt: string | null;
  unroutable: string | null;
  trace: RoutingTrace;
}

export interface SimulationSummary {
  total: number;
  offered: number;
  unroutable: number;
  hot: number;
  byRep: Record<string, number>;
  byTeam: Record<string, number>;
  byRule: Record<string, number>;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Routes every lead of a file at `at` through a dry run; pure apart from the routing itself. */
export function simulateLeads(settings: RoutingConfig, leads: { lead: Lead; line: number }[], at: Millis) {
  const dry = createDryRun(settings);
  const out: SimulatedLead[] = [];
  const summary: SimulationSummary = {
    total: leads.length,
    offered: 0,
    unroutable: 0,
    hot: 0,
    byRep: {},
    byTeam: {},
    byRule: {},
  };
  for (const rep of settings.reps) summary.byRep[rep.id] = 0;
  for (const { lead, line } of leads) {
    const { result, hot } = dry.route(lead, at);
    const d = result.decision;
    if (hot) summary.hot += 1;
    bump(summary.byRule, ruleLabel(result));
    if (d.kind === 'offer') {
      summary.offered += 1;
      bump(summary.byRep, d.repId);
      bump(summary.byTeam, d.teamId ?? '(no team)');
    } else {
      summary.unroutable += 1;
    }
    out.push({
      line,
      email: lead.email,
      externalId: lead.externalId,
      rule: d.kind === 'offer' ? d.rule : null,
      via: d.kind === 'offer' ? d.via : null,
      team: d.kind === 'offer' ? d.teamId : null,
      rep: d.kind === 'offer' ? d.repId : null,
      hot,
      dueAt: d.kind === 'offer' ? new Date(d.dueAt).toISOString() : null,
      unroutable: d.kind === 'unroutable' ? d.reason : null,
      trace: result.trace,
    });
  }
  return { leads: out, summary };
}

function share(n: number, total: number): string {
  return total === 0 ? '-' : `${((100 * n) / total).toFixed(1)}%`;
}

export function formatSimulation(result: { leads: SimulatedLead[]; summary: SimulationSummary }): string {
  const { leads, summary } = result;
  const perLead = table(
    ['line', 'lead', 'rule', 'team', 'rep', 'hot', 'due'],
    leads.map((l) => [
      l.line,
      l.email ?? l.externalId,
      l.via === 'rule'
        ? (l.rule ?? '')
        : l.via === null
          ? '(unroutable)'
          : `(${l.via === 'owner' ? 'owner match' : 'fallback'})`,
      l.team ?? '-',
      l.rep ?? '-',
      l.hot ? 'hot' : '',
      l.dueAt ? isoMinute(Date.parse(l.dueAt)) : (l.unroutable ?? '-'),
    ]),
  );
  const reps = table(
    ['rep', 'leads', 'share'],
    Object.entries(summary.byRep).map(([rep, n]) => [rep, n, share(n, summary.total)]),
  );
  const rules = table(
    ['rule', 'leads', 'share'],
    Object.entries(summary.byRule).map(([rule, n]) => [rule, n, share(n, summary.total)]),
  );
  return [
    perLead,
    '',
    `${summary.total} leads: ${summary.offered} offered, ${summary.unroutable} unroutable, ${summary.hot} hot`,
    '',
    'Per rep',
    reps,
    '',
    'Per rule',
    rules,
    '',
  ].join('\n');
}

export function registerSimulateCommand(program: Command, io: CliIo): void {
  program
    .command('simulate')
    .description('dry-run routing of a lead file (JSON array or CSV) through the config; writes nothing')
    .argument('<file>', 'leads as a JSON array of objects or CSV with a header of field names')
    .option(...CONFIG_OPTION)
    .option('--json', 'print { leads: [...], summary } as JSON')
    .option('--at <time>', 'route as if it were this ISO time (default: now)')
    .action(async (file: string, opts: { json?: boolean; at?: string }, cmd: Command) => {
      const at = parseTimeOption(opts.at, Date.now(), '--at');
      const config = await loadConfigWithoutSecrets(io, configFileOption(cmd));
      const leads = parseLeadFile(await readLeadFileText(file, io.cwd), {
        name: file,
        source: config.source.kind,
        defaultMqlAt: at,
        missingId: 'numbered',
      });
      if (leads.problems.length > 0) throw new InputError('input.invalid', leads.problems);
      const result = simulateLeads(routingConfigOf(settingsFromConfig(config)), leads.rows, at);
      printResult(io, opts.json, result, formatSimulation);
    });
}
