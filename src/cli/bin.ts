#!/usr/bin/env node
// The `handoff` command.
import '../runtime/young-generation.js';
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { reportFailure, type CliIo } from './context.js';

const io: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  isTty: Boolean(process.stdout.isTTY),
};

const program = buildProgram(io);
program
  .parseAsync(process.argv)
  .then(() => {
    if (process.exitCode === undefined) process.exitCode = 0;
  })
  .catch((err: unknown) => {
    if (err instanceof CommanderError) {
      // Help and version are successes; anything commander refuses (unknown command or option) is bad input.
      process.exitCode =
        err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help'
          ? 0
          : 2;
      return;
    }
    process.exitCode = reportFailure(err, io);
  });
