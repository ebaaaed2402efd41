// The command tree. Every command listed by --help works; each lives in ./commands.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { InputError } from '../domain/errors.js';
import type { CliIo } from './context.js';
import { registerConfigCommands } from './commands/config.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerSimulateCommand } from './commands/simulate.js';
import { registerBacktestCommand } from './commands/backtest.js';
import { registerExplainCommand } from './commands/explain.js';
import { registerRunCommand, runWorker } from './commands/run.js';
import { registerStatsCommand } from './commands/stats.js';
import { registerExportCommand } from './commands/export.js';
import { registerDoctorCommands } from './commands/doctor.js';
import { registerBackfillCommand } from './commands/backfill.js';
import { registerRollupCommand } from './commands/rollup.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command();
  program
    .name('handoff')
    .description(
      'Hands newly scored MQLs to the right sales rep in Slack, records Accept/Reject, writes the outcome back to the CRM, escalates on timeouts.',
    )
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();

  registerRunCommand(program, io);
  program
    .command('start')
    .description(
      'what `npm start` runs: the worker when a config exists ($HANDOFF_CONFIG or ./handoff.yaml), else the demo',
    )
    .action(async () => {
      const configured =
        io.env.HANDOFF_CONFIG ?? (existsSync(resolve(io.cwd, 'handoff.yaml')) ? 'handoff.yaml' : undefined);
      if (configured) {
        await runWorker(io, { config: configured });
        return;
      }
      const { runDemo } = await import('./demo/demo.js');
      await runDemo(io, {});
    });
  program
    .command('demo')
    .description(
      'run the whole product locally against emulated HubSpot and Slack (or Teams), with a page to play a rep',
    )
    .option('--port <port>', 'HTTP port of the worker', '3000')
    .option('--slack-port <port>', 'port of the emulated Slack or Teams (serves /demo)', '3001')
    .option('--every <duration>', 'how often a new MQL arrives', '6s')
    .option('--crm <kind>', 'hubspot or salesforce (emulated as lead source and CRM)', 'hubspot')
    .option('--source <kind>', 'marketo: an emulated Marketo as lead source and CRM (instead of --crm)')
    .option('--chat <platform>', 'slack or teams: where the reps and managers get cards (emulated)', 'slack')
    .action(
      async (opts: { port: string; slackPort: string; every: string; crm: string; source?: string; chat: string }) => {
        if (opts.crm !== 'hubspot' && opts.crm !== 'salesforce')
          throw new InputError('input.invalid', [`--crm: "${opts.crm}" is not hubspot or salesforce`]);
        if (opts.source !== undefined && opts.source !== 'marketo')
          throw new InputError('input.invalid', [`--source: "${opts.source}" is not marketo`]);
        if (opts.chat !== 'slack' && opts.chat !== 'teams')
          throw new InputError('input.invalid', [`--chat: "${opts.chat}" is not slack or teams`]);
        const { runDemo } = await import('./demo/demo.js');
        await runDemo(io, {
          port: Number(opts.port),
          slackPort: Number(opts.slackPort),
          every: opts.every,
          crm: opts.crm,
          ...(opts.source === 'marketo' ? { source: 'marketo' as const } : {}),
          chat: opts.chat,
        });
      },
    );
  registerConfigCommands(program, io);
  registerMigrateCommand(program, io, {
    loadStoreUrl: async ({ config }) =>
      (await loadConfig({ ...(config ? { file: config } : {}), env: io.env, cwd: io.cwd })).config.store.url,
  });
  registerSimulateCommand(program, io);
  registerBacktestCommand(program, io);
  registerExplainCommand(program, io);
  registerDoctorCommands(program, io);
  registerStatsCommand(program, io);
  registerExportCommand(program, io);
  registerBackfillCommand(program, io);
  registerRollupCommand(program, io);
  return program;
}
