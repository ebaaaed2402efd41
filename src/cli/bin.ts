#!/usr/bin/env node
// The `handoff` command.
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
    process.exitCode = reportFailure(err, io);
  });
