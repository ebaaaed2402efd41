// GET /readyz's checks: the store answers, each loop ticks at its own (possibly changing) pace, and a
// connector that refuses our credentials makes the worker not ready while other failures do not.
import { describe, expect, it } from 'vitest';
import { createReadiness, STALE_GRACE_MS } from '../../src/http/readiness.js';
import type { Loop } from '../../src/runtime/loop.js';
import { createConnectorHealth } from '../../src/runtime/connector-health.js';

const NOW = 10_000_000;

function loop(name: string, state: Partial<Pick<Loop, 'intervalMs' | 'lastTickAt' | 'consecutiveFailures'>>): Loop {
  return {
    name,
    intervalMs: 1_000,
    lastTickAt: NOW,
    consecutiveFailures: 0,
    lastSuccessAt: null,
    ticks: 1,
    busy: false,
    stopped: false,
    done: Promise.resolve(),
    runNow: () => undefined,
    stop: async () => undefined,
    ...state,
  };
}

const store = { getCursor: async () => null };

describe('createReadiness', () => {
  it('is ready when the store answers and every loop ticks', async () => {
    const ready = createReadiness({
      store,
      loops: [loop('outbox', {}), loop('lease', { lastTickAt: null })],
      connectors: createConnectorHealth({ now: () => NOW }),
      now: () => NOW,
    });
    expect(await ready()).toEqual([
      { name: 'store', ok: true },
      { name: 'loop:outbox', ok: true },
      { name: 'loop:lease', ok: true },
    ]);
  });

  it('reports a store that does not answer', async () => {
    const ready = createReadiness({
      store: { getCursor: () => Promise.reject(new Error('connection refused')) },
      loops: [],
      connectors: createConnectorHealth({ now: () => NOW }),
      now: () => NOW,
    });
    expect(await ready()).toEqual([{ name: 'store', ok: false, detail: 'connection refused' }]);
  });

  it('reports a loop silent for three of its periods plus the grace, or failing three ticks in a row', async () => {
    const period = 60_000;
    const ready = createReadiness({
      store,
      loops: [
        loop('sweeper', { intervalMs: period, lastTickAt: NOW - 3 * period - STALE_GRACE_MS }),
        loop('alerts', { intervalMs: period, lastTickAt: NOW - 3 * period - STALE_GRACE_MS - 1 }),
        loop('poller', { consecutiveFailures: 3 }),
      ],
      connectors: createConnectorHealth({ now: () => NOW }),
      now: () => NOW,
    });
    expect((await ready()).slice(1)).toEqual([
      { name: 'loop:sweeper', ok: true },
      { name: 'loop:alerts', ok: false, detail: 'not ticking' },
      { name: 'loop:poller', ok: false, detail: '3 failed ticks in a row' },
    ]);
  });

  it('measures a slowed-down loop by its current interval', async () => {
    // A throttled Salesforce poller waits 8 poll periods between ticks: that is not "stuck".
    let multiplier = 8;
    const poller = loop('poller', { lastTickAt: NOW - 4 * 30_000 - STALE_GRACE_MS });
    Object.defineProperty(poller, 'intervalMs', { get: () => 30_000 * multiplier });
    const ready = createReadiness({
      store,
      loops: [poller],
      connectors: createConnectorHealth({ now: () => NOW }),
      now: () => NOW,
    });
    expect((await ready())[1]).toEqual({ name: 'loop:poller', ok: true });
    multiplier = 1;
    expect((await ready())[1]).toEqual({ name: 'loop:poller', ok: false, detail: 'not ticking' });
  });

  it('is not ready while a connector refuses our credentials; other failures only alert', async () => {
    const connectors = createConnectorHealth({ now: () => NOW });
    const ready = createReadiness({ store, loops: [], connectors, now: () => NOW });
    connectors.record('crm', { kind: 'auth', reason: 'token expired' });
    connectors.record('slack', { kind: 'transient', reason: 'timeout' });
    expect((await ready()).slice(1)).toEqual([{ name: 'connector:crm', ok: false, detail: 'token expired' }]);
    connectors.record('crm', null);
    expect((await ready()).slice(1)).toEqual([]);
  });
});
