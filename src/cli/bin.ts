#!/usr/bin/env node
// The `handoff` command.
import '../runtime/young-generation.js';
import type { CliIo } from './context.js';

// Everything else is loaded only now, after young-generation.js has run: static imports are all parsed and compiled
// before any module runs, and that alone grows the young generation to its 16-MB maximum for good.
const { CommanderError } = await import('commander');
const { buildProgram } = await import('./program.js');
const { reportFailure } = await import('./context.js');

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
