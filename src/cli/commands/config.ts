// `handoff config check [-c FILE]` (validate and summarise) and `handoff config schema` (JSON Schema).
import type { Command } from 'commander';
import { configJsonSchema, describeConfig, loadConfig } from '../../config/index.js';
import type { CliIo } from '../context.js';

export function registerConfigCommands(program: Command, io: CliIo): Command {
  const group = program.command('config').description('validate the configuration file, or print its JSON Schema');

  group
    .command('check')
    .description('validate the config file (every problem at once, with its path) and print a summary')
    .option('-c, --config <file>', 'config file (default: $HANDOFF_CONFIG, else ./handoff.yaml)')
    .action(async (_opts: { config?: string }, command: Command) => {
      // -c may also be given before the subcommand when the program declares it globally.
      const opts = command.optsWithGlobals<{ config?: string }>();
      const { config, file } = await loadConfig({ file: opts.config, env: io.env, cwd: io.cwd });
      io.out(`${file}: valid\n\n${describeConfig(config)}\n`);
    });

  group
    .command('schema')
    .description('print the JSON Schema of the config file (editor completion; config/handoff.schema.json)')
    .action(() => {
      io.out(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });

  return group;
}
