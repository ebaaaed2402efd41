// `handoff export [--since 30d] [--until T] [--format csv|json] [-c FILE]`: one row per hand-off of the
// window with every offer (the format is src/app/export-handoffs.ts).
import type { Command } from 'commander';
import { writeExport } from '../../app/export-handoffs.js';
import type { Millis } from '../../domain/model.js';
import { InputError } from '../../domain/errors.js';
import { metricsReaderFor } from '../../store/metrics-memory.js';
import { CONFIG_OPTION, configFileOption, loadConfigWithoutSecrets, withStore, type CliIo } from '../context.js';
import { parseWindow } from '../options.js';

export function registerExportCommand(program: Command, io: CliIo, now: () => Millis = Date.now): void {
  program
    .command('export')
    .description('one row per hand-off of a window with every offer, decision, reason and timings (CSV or JSON)')
    .option('--since <duration|date>', 'start of the window: a duration back from --until (30d) or an ISO date', '30d')
    .option('--until <date>', 'end of the window, exclusive (ISO date or time; default now)')
    .option('--format <format>', 'csv or json', 'csv')
    .option(...CONFIG_OPTION)
    .action(async (opts: { since: string; until?: string; format: string }, cmd: Command) => {
      const format = opts.format;
      if (format !== 'csv' && format !== 'json')
        throw new InputError('input.invalid', [`--format: "${format}" is not csv or json`]);
      const window = parseWindow(opts, now());
      const config = await loadConfigWithoutSecrets(io, configFileOption(cmd));
      await withStore(io, config, (store) =>
        writeExport(metricsReaderFor(store), window, format, config.rejectionReasons, io.out),
      );
    });
}
