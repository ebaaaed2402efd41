// `handoff migrate [-c FILE]`: creates or upgrades the store schema named by the config's store.url.
import type { Command } from 'commander';
import { describeStoreUrl, openStore } from '../../store/index.js';
import { CONFIG_OPTION, type CliIo } from '../context.js';

export interface MigrateDeps {
  /** Reads `store.url` from the config file (`-c`, else HANDOFF_CONFIG, else ./handoff.yaml). */
  loadStoreUrl: (opts: { config?: string }) => Promise<string>;
}

export function registerMigrateCommand(program: Command, io: CliIo, deps: MigrateDeps): Command {
  return program
    .command('migrate')
    .description('create or upgrade the store schema (safe to run again; the worker also does it on start)')
    .option(...CONFIG_OPTION)
    .action(async (opts: { config?: string }) => {
      const url = await deps.loadStoreUrl(opts.config === undefined ? {} : { config: opts.config });
      const store = await openStore(url, { cwd: io.cwd });
      try {
        const report = await store.migrateWithReport();
        const where = describeStoreUrl(url);
        if (report.applied.length === 0) {
          io.out(
            `${where}: schema is up to date (${report.all.length} migration${report.all.length === 1 ? '' : 's'} applied earlier)\n`,
          );
        } else {
          io.out(`${where}: applied ${report.applied.length} migration${report.applied.length === 1 ? '' : 's'}:\n`);
          for (const name of report.applied) io.out(`  ${name}\n`);
        }
      } finally {
        await store.close();
      }
    });
}
