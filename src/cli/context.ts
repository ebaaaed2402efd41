// What every command gets: its output streams and environment (so tests can run commands in-process),
// exit codes and failure reporting, the config file (-c) and the store.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { AppError, InputError } from '../domain/errors.js';
import type { Logger } from '../ports/logger.js';
import { openStore, type SqlStore } from '../store/index.js';

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

/** The -c option of every command that reads the config (`.option(...CONFIG_OPTION)`). */
export const CONFIG_OPTION = [
  '-c, --config <file>',
  'config file (default: $HANDOFF_CONFIG or ./handoff.yaml)',
] as const;

/** The config file named by -c (on the command or the program), or undefined for the default. */
export function configFileOption(cmd: Command): string | undefined {
  const all = cmd.optsWithGlobals<{ config?: unknown }>();
  return typeof all.config === 'string' ? all.config : undefined;
}

/** A stand-in for an unset variable, shaped by where the config uses it so validation passes. */
function placeholderFor(usedAt: string): string {
  if (/smtp/i.test(usedAt)) return 'smtp://unset.invalid';
  if (/postgres/i.test(usedAt)) return 'postgres://unset.invalid/unset';
  if (/url/i.test(usedAt)) return 'https://unset.invalid/';
  if (/port/i.test(usedAt)) return '1';
  return 'unset';
}

/**
 * Loads the config for a command that needs no connector secrets (routing, numbers and history files
 * never use tokens or passwords). When only environment variables are missing, and none of them is
 * used by the store settings, they are filled with placeholders and a note says so; if the config
 * still does not load that way, the original "not set" error stands.
 */
export async function loadConfigWithoutSecrets(io: CliIo, file: string | undefined): Promise<Config> {
  try {
    return (await loadConfig({ file, env: io.env, cwd: io.cwd })).config;
  } catch (err) {
    if (!(err instanceof InputError) || err.code !== 'config.missing_env') throw err;
    const env: NodeJS.ProcessEnv = { ...io.env };
    const names: string[] = [];
    for (const problem of err.problems) {
      const m = /^(\S+) \(used at (.*)\)$/.exec(problem);
      // the store's own settings are needed for real (explain, backtest): no stand-ins there
      if (!m || /(^|, )store\./.test(m[2] as string)) throw err;
      names.push(m[1] as string);
      env[m[1] as string] = placeholderFor(m[2] as string);
    }
    let config: Config;
    try {
      config = (await loadConfig({ file, env, cwd: io.cwd })).config;
    } catch {
      throw err;
    }
    io.err(`handoff: note: ${names.join(', ')} not set; not needed for routing, placeholders used\n`);
    return config;
  }
}

/**
 * Opens the config's store without the single-process lock (so the command runs beside a worker),
 * brings its schema up to date, runs `use` and closes the store whatever happens.
 */
export async function withStore<T>(
  io: CliIo,
  config: Config,
  use: (store: SqlStore) => Promise<T>,
  logger?: Logger,
): Promise<T> {
  const store = await openStore(config.store.url, {
    cwd: io.cwd,
    exclusive: false,
    ...(logger ? { logger: logger.child({ component: 'store' }) } : {}),
  });
  try {
    await store.migrate();
    return await use(store);
  } finally {
    await store.close();
  }
}
