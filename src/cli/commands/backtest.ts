// `handoff backtest [--since 30d] [-c FILE] [--json]`: replays the MQLs stored in the period through
// the *current* config and compares, per team and rep, where they actually went (the rep of the first
// offer) with where they would go now, and the share of leads that would move.
//
// The replay runs in MQL order, each lead routed at its MQL time, with a throw-away ledger that
// starts empty and the dry-run load model (see simulate): config away ranges, working hours and
// capacity apply; Slack away statuses are not history and are ignored; owner match is not replayed
// (that would mean a CRM call per lead), so leads that actually went to their account owner are
// reported apart and left out of the "would move" share.
import type { Command } from 'commander';
import { routingConfigOf } from '../../app/route-handoff.js';
import { parseDuration } from '../../domain/duration.js';
import { InputError } from '../../domain/errors.js';
import type { Handoff, Millis } from '../../domain/model.js';
import type { RoutingConfig } from '../../domain/routing/index.js';
import type { Store } from '../../ports/store.js';
import { settingsFromConfig } from '../../main.js';
import { CONFIG_OPTION, configFileOption, loadConfigWithoutSecrets, withStore, type CliIo } from '../context.js';
import { createDryRun } from '../dry-run.js';
import { isoMinute, printResult, table } from '../output.js';

export interface BacktestRow {
  id: string;
  actual: number;
  wouldBe: number;
}

export interface BacktestReport {
  from: Millis;
  to: Millis;
  /** Hand-offs replayed (their lead snapshot found). */
  total: number;
  /** Of those, with an actual first offer made by the rotation (not by owner match). */
  compared: number;
  /** Compared hand-offs whose would-be rep differs from the actual one. */
  moved: number;
  movedShare: number;
  /** Actual first offers made by owner match (not replayed). */
  ownerMatched: number;
  /** Hand-offs never offered (imported history, escalated before any offer…). */
  neverOffered: number;
  /** Would be unroutable under the current config. */
  unroutable: number;
  teams: BacktestRow[];
  reps: BacktestRow[];
}

const PAGE = 500;

function row(map: Map<string, BacktestRow>, id: string): BacktestRow {
  let r = map.get(id);
  if (!r) {
    r = { id, actual: 0, wouldBe: 0 };
    map.set(id, r);
  }
  return r;
}

export async function runBacktest(
  store: Store,
  settings: RoutingConfig,
  from: Millis,
  to: Millis,
): Promise<BacktestReport> {
  const dry = createDryRun(settings);
  const teams = new Map<string, BacktestRow>();
  const reps = new Map<string, BacktestRow>();
  for (const t of settings.teams) row(teams, t.id);
  for (const r of settings.reps) row(reps, r.id);
  const report: BacktestReport = {
    from,
    to,
    total: 0,
    compared: 0,
    moved: 0,
    movedShare: 0,
    ownerMatched: 0,
    neverOffered: 0,
    unroutable: 0,
    teams: [],
    reps: [],
  };
  let after: { mqlAt: Millis; id: string } | undefined;
  for (;;) {
    const page: Handoff[] = await store.listHandoffsByMqlTime(from, to, PAGE, after);
    if (page.length === 0) break;
    for (const h of page) {
      const lead = await store.getLead(h.leadId);
      if (!lead) continue;
      report.total += 1;
      const offers = await store.listOffers(h.id);
      const first = offers.reduce<(typeof offers)[number] | undefined>(
        (a, o) => (a === undefined || o.seq < a.seq ? o : a),
        undefined,
      );
      const { result } = dry.route(lead, h.mqlAt, { ownerMatchSkipped: 'backtest: owner match is not replayed' });
      const d = result.decision;
      if (d.kind === 'offer') {
        row(reps, d.repId).wouldBe += 1;
        if (d.teamId) row(teams, d.teamId).wouldBe += 1;
      } else {
        report.unroutable += 1;
      }
      if (!first) {
        report.neverOffered += 1;
        continue;
      }
      row(reps, first.repId).actual += 1;
      if (h.teamId) row(teams, h.teamId).actual += 1;
      if (first.ownerMatch) {
        report.ownerMatched += 1;
        continue;
      }
      report.compared += 1;
      if (d.kind !== 'offer' || d.repId !== first.repId) report.moved += 1;
    }
    const last = page[page.length - 1] as Handoff;
    after = { mqlAt: last.mqlAt, id: last.id };
    if (page.length < PAGE) break;
  }
  report.movedShare = report.compared === 0 ? 0 : report.moved / report.compared;
  report.teams = [...teams.values()];
  report.reps = [...reps.values()];
  return report;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function formatBacktest(r: BacktestReport): string {
  const rows = (list: BacktestRow[]) =>
    list.map((x) => [x.id, x.actual, x.wouldBe, `${x.wouldBe - x.actual >= 0 ? '+' : ''}${x.wouldBe - x.actual}`]);
  return [
    `MQLs ${isoMinute(r.from)} → ${isoMinute(r.to)}: ${r.total} replayed through the current config`,
    '',
    'Per team',
    table(['team', 'actual', 'would-be', 'change'], rows(r.teams)),
    '',
    'Per rep',
    table(['rep', 'actual', 'would-be', 'change'], rows(r.reps)),
    '',
    `would move: ${r.moved} of ${r.compared} routed leads (${pct(r.movedShare)})`,
    `not compared: ${r.ownerMatched} went to their account owner (owner match is not replayed), ${r.neverOffered} were never offered`,
    `would be unroutable now: ${r.unroutable}`,
    '',
  ].join('\n');
}

export function registerBacktestCommand(program: Command, io: CliIo): void {
  program
    .command('backtest')
    .description('replay stored MQLs through the current config and show how the distribution would change')
    .option('--since <duration>', 'how far back to replay (30s, 15m, 4h, 7d…)', '30d')
    .option(...CONFIG_OPTION)
    .option('--json', 'print the report as JSON')
    .action(async (opts: { since: string; json?: boolean }, cmd: Command) => {
      const span = parseDuration(opts.since);
      if (span === null || span <= 0)
        throw new InputError('input.invalid', [`--since: "${opts.since}" is not a duration (for example 30d or 12h)`]);
      const config = await loadConfigWithoutSecrets(io, configFileOption(cmd));
      const to = Date.now();
      const report = await withStore(io, config, (store) =>
        runBacktest(store, routingConfigOf(settingsFromConfig(config)), to - span, to),
      );
      printResult(io, opts.json, report, formatBacktest);
    });
}
