// Commands run in-process: a commander program with the given commands registered, a CliIo that
// collects what they print, and the exit code reportFailure gives (what bin.ts exits with).
import { Command } from 'commander';
import { reportFailure, type CliIo } from '../../src/cli/context.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(
  register: (program: Command, io: CliIo) => void,
  args: string[],
  where: { cwd: string; env?: NodeJS.ProcessEnv; isTty?: boolean },
): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: where.env ?? {},
    cwd: where.cwd,
    isTty: where.isTty ?? false,
  };
  const program = new Command('handoff').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  register(program, io);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    return { code: reportFailure(e, io), out, err };
  }
}
