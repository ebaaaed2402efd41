// `handoff backfill --since 90d [--until T] [-c FILE] [--dry-run] [--json]` imports the MQLs of a past period from
// the configured source as history: counted by stats, export, digests and alerts, never offered to reps.
// `handoff backfill --from FILE.csv|json [--skip-invalid]` imports rows from another router or a spreadsheet: the
// fields of `simulate` plus mqlAt (required), outcome (accepted|rejected|open), reason and rep. A file with bad rows
// stores nothing and exits 2 naming every row and field, unless --skip-invalid imports the good rows.
// A run stopped by Ctrl-C, a failure or a kill keeps its position; the same command resumes it.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config/index.js';
import {
  backfillFromSource,
  importHistoryRecords,
  type BackfillDeps,
  type BackfillProgress,
  type BackfillSummary,
  type HistoryRecord,
} from '../../app/backfill.js';
import { parseDuration } from '../../domain/duration.js';
import { InputError } from '../../domain/errors.js';
import type { HistoryRules, InferredOutcome } from '../../domain/history.js';
import type { Millis, SourceKind } from '../../domain/model.js';
import type { HistorySource } from '../../ports/history-source.js';
import type { Logger } from '../../ports/logger.js';
import { openStore } from '../../store/index.js';
import { createLogger } from '../../runtime/logger.js';
import { settingsFromConfig } from '../../main.js';
import { hubspotFromConfig } from '../../../connectors/hubspot/hubspot.from-config.js';
import { salesforceFromConfig } from '../../../connectors/salesforce/salesforce.from-config.js';
import { marketoFromConfig } from '../../../connectors/marketo/marketo.from-config.js';
import { CONFIG_OPTION, configFileOption, loadConfigWithoutSecrets, type CliIo } from '../context.js';
import { parseLeadFile, readLeadFileText, type LeadFile } from '../lead-file.js';
import { parseSince, parseTimeOption } from '../options.js';

export interface BackfillCliOptions {
  since?: string;
  until?: string;
  from?: string;
  dryRun?: boolean;
  json?: boolean;
  skipInvalid?: boolean;
}

export interface BackfillCliDeps {
  now?: () => Millis;
  logger?: Logger;
  /** Stands in for the CRM (tests); built from the config when absent. */
  historySource?: HistorySource;
  signal?: AbortSignal;
}

const DAY = 86_400_000;

/** The period of `--since/--until`. A duration start is taken back to its UTC midnight, so reruns find their cursor. */
export function backfillPeriod(opts: { since: string; until?: string }, now: Millis): { from: Millis; to: Millis } {
  const to = parseTimeOption(opts.until, now, '--until');
  let from = parseSince(opts.since, to);
  const span = parseDuration(opts.since);
  if (span !== null && span > 0) from = Math.floor(from / DAY) * DAY;
  if (from >= to) throw new InputError('input.invalid', ['--since must be before --until']);
  return { from, to };
}

/** The configured source's past MQLs (the Salesforce modules load only for a Salesforce source). */
async function historySourceFromConfig(config: Config, logger: Logger): Promise<HistorySource> {
  if (config.source.kind === 'intake')
    throw new InputError('input.invalid', ['source.kind is intake: there is no CRM history to read; use --from FILE']);
  if (config.source.kind === 'marketo') return marketoFromConfig(config, { logger }).historySource();
  return config.source.kind === 'hubspot'
    ? hubspotFromConfig(config, { logger }).historySource()
    : (await salesforceFromConfig(config, { logger })).historySource();
}

// ---- history files --------------------------------------------------------------------------------------------

/** Fields a history file has besides those of a lead file (src/cli/lead-file.ts). */
const HISTORY_FIELDS = ['outcome', 'reason', 'rep'] as const;

export interface HistoryFileRow {
  line: number;
  record: HistoryRecord;
}

export type HistoryFile = LeadFile<HistoryFileRow>;

/**
 * Reads a history file into records: a lead file whose rows need mqlAt and an email or externalId, plus
 * outcome, reason and rep. `reasons`/`reps` are the configured ones: a reason must be one of them (id or
 * label), a rep must be a configured rep (id or email). Every bad row and field is listed.
 */
export function parseHistoryFile(
  text: string,
  name: string,
  config: Pick<Config, 'rejectionReasons' | 'reps'> & { sourceKind: SourceKind },
): HistoryFile {
  const options = { name, source: config.sourceKind, missingId: 'email', extraFields: HISTORY_FIELDS } as const;
  return parseLeadFile(text, options, (row, report) => {
    const outcomeText = (row.extra.outcome ?? '').toLowerCase();
    const reasonText = row.extra.reason ?? null;
    const repText = row.extra.rep ?? null;
    let outcome: InferredOutcome | null = null;
    if (outcomeText === '' || outcomeText === 'open' || outcomeText === 'pending') outcome = { state: 'open' };
    else if (outcomeText === 'accepted' || outcomeText === 'sal') outcome = { state: 'accepted' };
    else if (outcomeText === 'rejected') {
      if (reasonText === null) outcome = { state: 'rejected', reasonId: 'unknown' };
      else {
        const lower = reasonText.toLowerCase();
        const r = config.rejectionReasons.find((x) => x.id.toLowerCase() === lower || x.label.toLowerCase() === lower);
        if (r) outcome = { state: 'rejected', reasonId: r.id };
        else
          report(
            'reason',
            `unknown reason ${JSON.stringify(reasonText)} (use one of ${config.rejectionReasons.map((x) => x.id).join(', ')})`,
          );
      }
    } else report('outcome', `expected accepted, rejected or open, got ${JSON.stringify(outcomeText)}`);
    if (reasonText !== null && outcome !== null && outcome.state !== 'rejected')
      report('reason', 'a reason belongs to a rejected outcome only');
    let repId: string | null = null;
    if (repText !== null) {
      const lower = repText.toLowerCase();
      const rep = config.reps.find((r) => r.id.toLowerCase() === lower || r.email.toLowerCase() === lower);
      if (rep) repId = rep.id;
      else report('rep', `unknown rep ${JSON.stringify(repText)} (use a rep id or email from the config)`);
    }
    if (outcome === null) return null;
    const origin = { from: 'file', file: name, line: row.line } as const;
    return { line: row.line, record: { lead: row.lead, outcome, outcomeAt: null, repId, origin } };
  });
}

// ---- output ---------------------------------------------------------------------------------------------------

const n = (v: number): string => v.toLocaleString('en-US');

function iso(ms: Millis): string {
  return new Date(ms).toISOString().replace(/:\d{2}\.\d{3}Z$/, 'Z');
}

function duration(ms: Millis): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1_000)} s`;
}

export function formatProgress(p: BackfillProgress): string {
  const total = p.estimatedTotal !== null ? ` / ~${n(p.estimatedTotal)}` : '';
  const rate = p.elapsedMs > 0 ? ` · ${n(Math.round((p.read * 1_000) / p.elapsedMs))}/s` : '';
  const eta = p.etaMs !== null ? ` · ETA ${duration(p.etaMs)}` : '';
  const skipped = p.skipped.duplicate + p.skipped.live + p.skipped.notMql;
  return `read ${n(p.read)}${total} · stored ${n(p.created)} · skipped ${n(skipped)}${rate}${eta}`;
}

export function formatBackfillSummary(s: BackfillSummary, extra: { invalidRows?: number } = {}): string {
  const where =
    s.source === 'file'
      ? 'the file'
      : s.source === 'hubspot'
        ? 'HubSpot'
        : s.source === 'marketo'
          ? 'Marketo'
          : 'Salesforce';
  const lines = [
    `${s.dryRun ? 'Dry run: ' : ''}backfill from ${where}: MQLs of ${iso(s.from)} → ${iso(s.to)}${s.resumed ? ' (resumed)' : ''}`,
    `  read      ${n(s.read)}`,
    `  ${s.dryRun ? 'would store' : 'stored'}    ${n(s.created)}   accepted ${n(s.outcomes.accepted)} · rejected ${n(s.outcomes.rejected)} · open ${n(s.outcomes.open)}`,
    `  skipped   ${n(s.skipped.duplicate + s.skipped.live + s.skipped.notMql)}   already stored ${n(s.skipped.duplicate)} · handed off live ${n(s.skipped.live)} · never an MQL ${n(s.skipped.notMql)}`,
  ];
  if (extra.invalidRows !== undefined && extra.invalidRows > 0)
    lines.push(`  invalid   ${n(extra.invalidRows)} rows left out (--skip-invalid)`);
  const reasons = Object.entries(s.rejectedByReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0) lines.push(`  rejected by reason: ${reasons.map(([id, c]) => `${id} ${n(c)}`).join(', ')}`);
  const rate = s.elapsedMs > 0 ? `${n(Math.round((s.read * 1_000) / s.elapsedMs))} records/s · ` : '';
  const calls =
    s.source === 'file'
      ? ''
      : `${n(s.calls)} API calls${s.read > 0 ? ` (${((s.calls * 1_000) / s.read).toFixed(1)} per 1,000 records)` : ''} · `;
  lines.push(`  ${rate}${calls}${duration(s.elapsedMs)}`);
  if (s.dryRun) lines.push('Nothing was written (dry run).');
  else if (!s.complete)
    lines.push('Stopped before the end of the period: run the same command again to resume where it stopped.');
  else lines.push('Imported hand-offs count in stats, export and the lull baseline; they are never offered to reps.');
  return `${lines.join('\n')}\n`;
}

function summaryJson(
  s: BackfillSummary,
  extra: { invalidRows?: number; problems?: string[] },
): Record<string, unknown> {
  return { ...s, from: new Date(s.from).toISOString(), to: new Date(s.to).toISOString(), ...extra };
}

// ---- the command ----------------------------------------------------------------------------------------------

export async function runBackfill(
  io: CliIo,
  configFile: string | undefined,
  opts: BackfillCliOptions,
  deps: BackfillCliDeps = {},
): Promise<BackfillSummary> {
  const now = deps.now ?? Date.now;
  if (opts.from === undefined && opts.since === undefined)
    throw new InputError('input.invalid', [
      'give --since <duration|date> (a period to read from the CRM) or --from <file>',
    ]);
  if (opts.from !== undefined && opts.since !== undefined)
    throw new InputError('input.invalid', ['--from <file> and --since are separate ways to backfill: give one']);
  if (opts.skipInvalid && opts.from === undefined)
    throw new InputError('input.invalid', ['--skip-invalid applies to --from <file> only']);
  const period =
    opts.since !== undefined
      ? backfillPeriod({ since: opts.since, ...(opts.until !== undefined ? { until: opts.until } : {}) }, now())
      : null;
  // A file import needs no connector secrets; reading the CRM does.
  const config =
    opts.from !== undefined
      ? await loadConfigWithoutSecrets(io, configFile)
      : (await loadConfig({ file: configFile, env: io.env, cwd: io.cwd })).config;
  const logger: Logger =
    deps.logger ??
    (createLogger({
      level: (io.env.LOG_LEVEL ?? 'warn') as 'warn',
      pretty: io.isTty,
      destination: process.stderr,
    }) as unknown as Logger);

  let file: HistoryFile | null = null;
  if (opts.from !== undefined) {
    const text = await readLeadFileText(opts.from, io.cwd);
    file = parseHistoryFile(text, opts.from, {
      rejectionReasons: config.rejectionReasons,
      reps: config.reps,
      sourceKind: config.source.kind,
    });
    if (file.problems.length > 0 && !opts.skipInvalid) {
      throw new InputError('input.invalid', [
        ...file.problems,
        `nothing was stored; fix the rows above or pass --skip-invalid to import the ${file.rows.length} good row(s)`,
      ]);
    }
    if (file.problems.length > 0)
      io.err(`handoff: ${file.invalidRows} row(s) left out:\n${file.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  }

  const store = await openStore(config.store.url, {
    cwd: io.cwd,
    exclusive: false,
    logger: logger.child({ component: 'store' }),
  });
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  deps.signal?.addEventListener('abort', onSignal, { once: true });
  let lastDraw = 0;
  const onProgress = (p: BackfillProgress): void => {
    if (!io.isTty || opts.json) return;
    const t = Date.now();
    if (t - lastDraw < 200) return;
    lastDraw = t;
    io.err(`\r${formatProgress(p)}\u001b[K`);
  };
  try {
    await store.migrate();
    const settings = settingsFromConfig(config);
    const backfillDeps: BackfillDeps = { store, clock: { now }, logger, settings };
    let summary: BackfillSummary;
    if (file) {
      summary = await importHistoryRecords(
        backfillDeps,
        file.rows.map((r) => r.record),
        { dryRun: opts.dryRun ?? false, onProgress },
      );
    } else {
      const source = deps.historySource ?? (await historySourceFromConfig(config, logger));
      const rules: HistoryRules = config.history;
      summary = await backfillFromSource(backfillDeps, source, {
        range: period as { from: Millis; to: Millis },
        rules,
        dryRun: opts.dryRun ?? false,
        signal: stop.signal,
        onProgress,
      });
    }
    if (io.isTty && !opts.json) io.err('\r\u001b[K');
    const extra = file ? { invalidRows: file.invalidRows, problems: file.problems } : {};
    io.out(
      opts.json ? `${JSON.stringify(summaryJson(summary, extra), null, 2)}\n` : formatBackfillSummary(summary, extra),
    );
    return summary;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    deps.signal?.removeEventListener('abort', onSignal);
    await store.close();
  }
}

export function registerBackfillCommand(program: Command, io: CliIo, deps: BackfillCliDeps = {}): void {
  program
    .command('backfill')
    .description(
      'import past MQLs as history (counted in the numbers, never offered): from the CRM (--since) or a file (--from)',
    )
    .option('--since <duration|date>', 'start of the period: a duration back from --until (90d) or an ISO date')
    .option('--until <date>', 'end of the period, exclusive (ISO date or time; default now)')
    .option('--from <file>', 'import a CSV or JSON file instead: simulate fields plus mqlAt, outcome, reason, rep')
    .option('--skip-invalid', 'with --from: import the good rows of a file that has bad ones')
    .option('--dry-run', 'read and infer outcomes, print the summary, write nothing')
    .option(...CONFIG_OPTION)
    .option('--json', 'print the summary as JSON')
    .action(async (opts: BackfillCliOptions, cmd: Command) => {
      await runBackfill(io, configFileOption(cmd), opts, deps);
    });
}
