// `handoff rollup [--rebuild] [--json] [-c FILE]`: the per-day, per-week and per-month rollups the numbers are read
// from (src/store/rollups.ts). Without --rebuild it says whether they count every stored hand-off; with
// it, it recomputes them from the rows (the store keeps them up to date by itself; rebuild after
// editing rows by hand or restoring a partial backup).
import type { Command } from 'commander';
import { rebuildRollups, rollupStatus, type RollupStatus } from '../../store/rollups.js';
import { CONFIG_OPTION, configFileOption, loadConfigWithoutSecrets, withStore, type CliIo } from '../context.js';
import { printResult } from '../output.js';

interface RollupResult extends RollupStatus {
  rebuilt: boolean;
  elapsedMs: number | null;
}

function formatRollup(r: RollupResult): string {
  const n = (x: number) => x.toLocaleString('en');
  const lines = [
    r.rebuilt ? `rollups rebuilt in ${((r.elapsedMs ?? 0) / 1000).toFixed(1)} s` : 'rollups',
    `  ${n(r.dailyRows)} daily rows, ${n(r.weeklyRows)} weekly rows, ${n(r.monthlyRows)} monthly rows`,
    `  ${n(r.counted)} of ${n(r.handoffs)} stored hand-offs counted: ${r.inStep ? 'in step' : 'OUT OF STEP — run `handoff rollup --rebuild`'}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function registerRollupCommand(program: Command, io: CliIo): void {
  program
    .command('rollup')
    .description(
      'check the rollups (per day, week and month) the numbers are read from, or rebuild them from the stored hand-offs',
    )
    .option('--rebuild', 'recompute the rollups from every stored hand-off and offer')
    .option(...CONFIG_OPTION)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { rebuild?: boolean; json?: boolean }, cmd: Command) => {
      const config = await loadConfigWithoutSecrets(io, configFileOption(cmd));
      const result = await withStore(io, config, async (store): Promise<RollupResult> => {
        const rebuilt = opts.rebuild === true ? await rebuildRollups(store.db, store.dialect) : null;
        const status = await rollupStatus(store.db);
        return { ...status, rebuilt: rebuilt !== null, elapsedMs: rebuilt?.elapsedMs ?? null };
      });
      printResult(io, opts.json, result, formatRollup);
      if (!result.inStep) io.err('rollups are out of step with the stored hand-offs\n');
    });
}
