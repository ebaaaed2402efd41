// What GET /readyz checks: the store answers, every loop keeps ticking at its own pace, and no
// connector is refusing our credentials. Lives beside the server because the checks are its answer
// shape; it reads runtime loops and ports only.
import type { ConnectorHealth } from '../ports/connector-health.js';
import type { Store } from '../ports/store.js';
import type { Loop } from '../runtime/loop.js';
import type { ReadinessCheck } from './server.js';

/** A loop that has not ended a tick for three of its periods plus this long is "not ticking". */
export const STALE_GRACE_MS = 30_000;
/** Failed ticks in a row that make a loop not ready. */
export const FAILED_TICKS_NOT_READY = 3;

export interface ReadinessDeps {
  store: Pick<Store, 'getCursor'>;
  loops: readonly Loop[];
  connectors: ConnectorHealth;
  /** Wall clock, compared with the loops' own tick times; default Date.now. */
  now?: () => number;
}

export function createReadiness(deps: ReadinessDeps): () => Promise<ReadinessCheck[]> {
  const now = deps.now ?? Date.now;
  return async () => {
    const checks: ReadinessCheck[] = [];
    try {
      await deps.store.getCursor('readiness');
      checks.push({ name: 'store', ok: true });
    } catch (err) {
      checks.push({ name: 'store', ok: false, detail: err instanceof Error ? err.message : String(err) });
    }
    const at = now();
    for (const loop of deps.loops) {
      const stale = loop.lastTickAt !== null && at - loop.lastTickAt > loop.intervalMs * 3 + STALE_GRACE_MS;
      const failing = loop.consecutiveFailures >= FAILED_TICKS_NOT_READY;
      checks.push({
        name: `loop:${loop.name}`,
        ok: !stale && !failing,
        ...(failing
          ? { detail: `${loop.consecutiveFailures} failed ticks in a row` }
          : stale
            ? { detail: 'not ticking' }
            : {}),
      });
    }
    for (const c of deps.connectors.failing()) {
      if (c.kind === 'auth') checks.push({ name: `connector:${c.connector}`, ok: false, detail: c.reason });
    }
    return checks;
  };
}
