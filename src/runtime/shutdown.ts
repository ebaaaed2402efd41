// Signal handling for the worker: the first SIGTERM/SIGINT drains within a bound, a second one
// forces. Process and exit are injectable so tests can drive it without ending the test run.
import type { Logger } from '../ports/logger.js';
import { coerceError } from './errors.js';

/** The part of `process` this needs. */
export interface SignalSource {
  on(event: string, listener: (signal: string) => void): unknown;
  off(event: string, listener: (signal: string) => void): unknown;
}

export interface ShutdownOptions {
  logger: Logger;
  /** How long draining may take before the process exits anyway (code 1). */
  drainMs: number;
  /** Stop intake, finish in-flight work, close resources. */
  onDrain: (signal: string) => Promise<void>;
  /** Called before a forced exit (second signal or drain timeout), e.g. to flush logs. */
  onForce?: (reason: 'second_signal' | 'drain_timeout') => void;
  /** Default process.exit. */
  exit?: (code: number) => void;
  /** Default the global process. */
  process?: SignalSource;
  /** Default SIGTERM and SIGINT. */
  signals?: readonly string[];
}

/**
 * Installs the handlers and returns a function that removes them (idempotent). Exit codes: 0 when
 * draining finished, 1 when it failed, timed out or a second signal forced the exit. Exit is called
 * at most once; signals after it are ignored.
 */
export function installShutdown(options: ShutdownOptions): () => void {
  const { logger, drainMs, onDrain } = options;
  const source: SignalSource = options.process ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const log = logger.child({ component: 'shutdown' });
  let state: 'idle' | 'draining' | 'exited' = 'idle';
  let timer: ReturnType<typeof setTimeout> | null = null;
  let installed = true;

  function finish(code: number): void {
    if (state === 'exited') return;
    state = 'exited';
    if (timer !== null) clearTimeout(timer);
    timer = null;
    exit(code);
  }

  function force(reason: 'second_signal' | 'drain_timeout'): void {
    try {
      options.onForce?.(reason);
    } catch (err) {
      log.error({ err }, 'onForce failed');
    }
    finish(1);
  }

  function onSignal(signal: string): void {
    if (state === 'exited') return;
    if (state === 'draining') {
      log.warn({ signal }, 'second signal, exiting now');
      force('second_signal');
      return;
    }
    state = 'draining';
    log.info({ signal, drainMs }, 'shutting down, draining');
    timer = setTimeout(() => {
      log.error({ drainMs }, 'drain timed out, exiting');
      force('drain_timeout');
    }, drainMs);
    Promise.resolve()
      .then(() => onDrain(signal))
      .then(
        () => {
          if (state !== 'draining') return;
          log.info('drained, exiting');
          finish(0);
        },
        (err: unknown) => {
          if (state !== 'draining') return;
          log.error({ err: coerceError(err) }, 'drain failed, exiting');
          finish(1);
        },
      );
  }

  for (const s of signals) source.on(s, onSignal);

  return () => {
    if (!installed) return;
    installed = false;
    for (const s of signals) source.off(s, onSignal);
  };
}
