// What every command gets: its output streams and environment, so tests can run commands in-process.
import { AppError, InputError } from '../domain/errors.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  isTty: boolean;
}

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_INPUT = 2;

/** Thrown to end a command with a given exit code after it printed what it had to say. */
export class ExitSignal extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitSignal';
  }
}

/** Maps a failure to its exit code and prints it without a stack trace (unless HANDOFF_DEBUG). */
export function reportFailure(err: unknown, io: CliIo): number {
  if (err instanceof ExitSignal) return err.exitCode;
  if (err instanceof InputError) {
    const title =
      err.code === 'config.invalid'
        ? `config is invalid (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}):`
        : err.code === 'config.missing_env'
          ? 'config refers to environment variables that are not set:'
          : err.code === 'config.not_found'
            ? 'config file not found:'
            : 'bad input:';
    io.err(`handoff: ${title}\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return EXIT_INPUT;
  }
  if (err instanceof AppError) {
    io.err(`handoff: ${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}\n`);
    if (io.env.HANDOFF_DEBUG) io.err(`${err.stack ?? ''}\n`);
    return err.code === 'input.invalid' ? EXIT_INPUT : EXIT_RUNTIME;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.err(`handoff: unexpected failure: ${message}\n`);
  if (io.env.HANDOFF_DEBUG && err instanceof Error) io.err(`${err.stack ?? ''}\n`);
  return EXIT_RUNTIME;
}
