// `handoff simulate FILE [-c FILE] [--json] [--at ISO-TIME]`: dry-run routing of a lead file through
// the config. Writes nothing anywhere: the fairness ledger and the reps' load live in memory for the
// run, and no CRM is asked (owner match shows as skipped).
//
// Load model of a dry run (shared with backtest): it starts with no open offers and nothing offered
// today; every simulated offer then counts as open until its deadline and towards the rep's offers
// of that local day. simulate routes every lead at the same moment (--at, default now), as a burst,
// so capacity limits show how far a burst of that size would get.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config/index.js';
import { InputError } from '../../domain/errors.js';
import type { Lead, Millis } from '../../domain/model.js';
import {
  detectHot,
  routeLead,
  type LedgerEntry,
  type OwnerMatchInput,
  type RoutingConfig,
  type RoutingResult,
  type RoutingTrace,
} from '../../domain/routing/index.js';
import { localDayStart } from '../../domain/sla-clock.js';
import type { CliIo } from '../context.js';
import { readLeadFile } from '../lead-file.js';

export interface ConfigOption {
  config?: string;
}

/** The config file named by -c (on the command or the program), HANDOFF_CONFIG or ./handoff.yaml. */
export function configFileOption(cmd: Command): string | undefined {
  const all = cmd.optsWithGlobals<ConfigOption>();
  return typeof all.config === 'string' ? all.config : undefined;
}

/** A stand-in for an unset variable, shaped by where the config uses it so validation passes. */
function placeholderFor(usedAt: string): string {
  if (/smtp/i.test(usedAt)) return 'smtp://unset.invalid';
  if (/postgres/i.test(usedAt)) return 'postgres://unset.invalid/unset';
  if (/url/i.test(usedAt)) return 'https://unset.invalid/';
  if (/port/i.test(usedAt)) return '1';
  return 'unset';
}

/**
 * Loads the config for a command that needs no connector secrets (routing never uses tokens or
 * passwords). When only environment variables are missing, and none of them is used by the store
 * settings, they are filled with placeholders and a note says so; if the config still does not load
 * that way, the original "not set" error stands.
 */
export async function loadConfigWithoutSecrets(io: CliIo, file: string | undefined): Promise<Config> {
  try {
    return (await loadConfig({ file, env: io.env, cwd: io.cwd })).config;
  } catch (err) {
    if (!(err instanceof InputError) || err.code !== 'config.missing_env') throw err;
    const env: NodeJS.ProcessEnv = { ...io.env };
    const names: string[] = [];
    for (const problem of err.problems) {
      const m = /^(\S+) \(used at (.*)\)$/.exec(problem);
      // the store's own settings are needed for real (explain, backtest): no stand-ins there
      if (!m || /(^|, )store\./.test(m[2] as string)) throw err;
      names.push(m[1] as string);
      env[m[1] as string] = placeholderFor(m[2] as string);
    }
    let config: Config;
    try {
      config = (await loadConfig({ file, env, cwd: io.cwd })).config;
    } catch {
      throw err;
    }
    io.err(`handoff: note: ${names.join(', ')} not set; not needed for routing, placeholders used\n`);
    return config;
  }
}

export function routingConfigFromConfig(config: Config): RoutingConfig {
  return {
    routing: config.routing,
    sla: config.sla,
    hotLane: config.source.hot,
    reps: config.reps,
    teams: config.teams,
  };
}

/** Sorted insertion into an ascending array. */
function insertSorted(list: number[], value: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, value);
}

export interface DryRunRoute {
  result: RoutingResult;
  hot: boolean;
}

export interface DryRun {
  /** Routes one lead at `now` (calls must come in non-decreasing time) and records the offer. */
  route(
    lead: Lead,
    now: Millis,
    owner?: { ownerMatch: OwnerMatchInput | null } | { ownerMatchSkipped: string },
  ): DryRunRoute;
  ledger(): LedgerEntry[];
}

/** Routing with a throw-away ledger and simulated rep load (see the load model above). */
export function createDryRun(settings: RoutingConfig): DryRun {
  const ledger = new Map<string, LedgerEntry>();
  const openDue = new Map<string, number[]>();
  const today = new Map<string, { dayStart: Millis; count: number }>();
  const tzOf = new Map(settings.reps.map((r) => [r.id, r.timezone] as const));

  function load(now: Millis) {
    const openOffers: Record<string, number> = {};
    const offersToday: Record<string, number> = {};
    for (const [repId, dues] of openDue) {
      let expired = 0;
      while (expired < dues.length && (dues[expired] as number) <= now) expired++;
      if (expired > 0) dues.splice(0, expired);
      openOffers[repId] = dues.length;
    }
    for (const [repId, day] of today) {
      const start = localDayStart(now, tzOf.get(repId) ?? 'UTC');
      offersToday[repId] = start === day.dayStart ? day.count : 0;
    }
    return { openOffers, offersToday };
  }

  return {
    route(lead, now, owner) {
      const hot = detectHot(lead, settings.hotLane);
      const { openOffers, offersToday } = load(now);
      const result = routeLead({
        lead,
        hot,
        now,
        settings,
        state: { openOffers, offersToday, statuses: [], alreadyOffered: [] },
        ledger: [...ledger.values()],
        ...(owner ?? { ownerMatchSkipped: 'dry run: no CRM lookup' }),
      });
      for (const row of result.rotation) ledger.set(`${row.teamId}\u0000${row.repId}`, row);
      const d = result.decision;
      if (d.kind === 'offer') {
        const dues = openDue.get(d.repId) ?? [];
        insertSorted(dues, d.dueAt);
        openDue.set(d.repId, dues);
        const start = localDayStart(now, tzOf.get(d.repId) ?? 'UTC');
        const day = today.get(d.repId);
        today.set(
          d.repId,
          day && day.dayStart === start ? { dayStart: start, count: day.count + 1 } : { dayStart: start, count: 1 },
        );
      }
      return { result, hot };
    },
    ledger: () => [...ledger.values()],
  };
}

/** How a decision is labelled in per-rule counts. */
export function ruleLabel(result: RoutingResult): string {
  const d = result.decision;
  if (d.kind === 'unroutable') return '(unroutable)';
  if (d.via === 'owner') return '(owner match)';
  if (d.via === 'fallback') return '(fallback)';
  return d.rule ?? '(fallback)';
}

export function isoMinute(at: Millis | null): string {
  if (at === null || !Number.isFinite(at)) return '-';
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** Left-aligned text table. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function parseAt(value: string | undefined, fallback: Millis): Millis {
  if (value === undefined) return fallback;
  const at = Date.parse(value);
  if (!Number.isFinite(at)) {
    throw new InputError('input.invalid', [`--at: "${value}" is not an ISO time (for example 2026-11-25T10:00:00Z)`]);
  }
  return at;
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
    .option('-c, --config <file>', 'config file (default: $HANDOFF_CONFIG or ./handoff.yaml)')
    .option('--json', 'print { leads: [...], summary } as JSON')
    .option('--at <time>', 'route as if it were this ISO time (default: now)')
    .action(async (file: string, opts: { json?: boolean; at?: string }, cmd: Command) => {
      const at = parseAt(opts.at, Date.now());
      const config = await loadConfigWithoutSecrets(io, configFileOption(cmd));
      const leads = await readLeadFile(file, io.cwd, { source: config.source.kind, defaultMqlAt: at });
      const result = simulateLeads(routingConfigFromConfig(config), leads, at);
      if (opts.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
      else io.out(formatSimulation(result));
    });
}
