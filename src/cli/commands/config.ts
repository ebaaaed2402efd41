// `handoff config check [-c FILE]` (validate and summarise) and `handoff config schema` (JSON Schema).
import type { Command } from 'commander';
import { configJsonSchema, describeConfig, loadConfig } from '../../config/index.js';
import { CONFIG_OPTION, configFileOption, type CliIo } from '../context.js';
import { printJson } from '../output.js';

export function registerConfigCommands(program: Command, io: CliIo): Command {
  const group = program.command('config').description('validate the configuration file, or print its JSON Schema');

  group
    .command('check')
    .description('validate the config file (every problem at once, with its path) and print a summary')
    .option(...CONFIG_OPTION)
    .action(async (_opts: { config?: string }, command: Command) => {
      // -c may also be given before the subcommand when the program declares it globally.
      const { config, file } = await loadConfig({ file: configFileOption(command), env: io.env, cwd: io.cwd });
      io.out(`${file}: valid\n\n${describeConfig(config)}\n`);
    });

  group
    .command('schema')
    .description('print the JSON Schema of the config file (editor completion; config/handoff.schema.json)')
    .action(() => {
      printJson(io, configJsonSchema());
    });

  return group;
}
