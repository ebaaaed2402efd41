// `handoff run`: the worker, until SIGTERM/SIGINT (first signal drains, second forces).
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../runtime/logger.js';
import { installShutdown } from '../../runtime/shutdown.js';
import { startWorker } from '../../main.js';
import { CONFIG_OPTION, type CliIo } from '../context.js';

export interface RunOptions {
  config?: string;
  port?: string;
}

export async function runWorker(io: CliIo, opts: RunOptions): Promise<void> {
  const { config, file } = await loadConfig({
    ...(opts.config ? { file: opts.config } : {}),
    env: io.env,
    cwd: io.cwd,
  });
  const logger = createLogger({ level: (io.env.LOG_LEVEL ?? 'info') as 'info', pretty: io.isTty });
  logger.info({ config: file }, 'starting handoff');
  const leaseMs = Number(io.env.HANDOFF_LEASE_MS ?? '');
  const worker = await startWorker(config, {
    logger,
    storeOptions: { cwd: io.cwd },
    ...(Number.isFinite(leaseMs) && leaseMs >= 1_000 ? { intervals: { leaseMs } } : {}),
    ...(opts.port !== undefined ? { port: Number(opts.port) } : {}),
  });
  await new Promise<void>((resolve) => {
    installShutdown({
      logger,
      drainMs: Number(io.env.HANDOFF_DRAIN_MS ?? 20_000),
      onDrain: async () => {
        await worker.stop();
        resolve();
      },
    });
  });
}

export function registerRunCommand(program: Command, io: CliIo): void {
  program
    .command('run')
    .description('run the worker: detect MQLs, offer them in Slack, write outcomes back, escalate')
    .option(...CONFIG_OPTION)
    .option('-p, --port <port>', 'HTTP port (overrides server.port)')
    .action(async (opts: RunOptions) => {
      await runWorker(io, opts);
    });
}
