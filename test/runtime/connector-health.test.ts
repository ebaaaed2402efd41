// The one record of connector health: failures count up in a row from the first one, a success clears
// the connector, and a call run through `observe` records its own outcome.
import { describe, expect, it } from 'vitest';
import { createConnectorHealth } from '../../src/runtime/connector-health.js';
import { ConnectorError, type Failure } from '../../src/ports/failure.js';

function clock(start: number) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('createConnectorHealth', () => {
  it('counts failures in a row from the first one and forgets them on a success', () => {
    const c = clock(1_000);
    const health = createConnectorHealth({ now: c.now });
    health.record('crm', { kind: 'transient', reason: 'timeout' });
    c.advance(500);
    health.record('crm', { kind: 'auth', reason: 'token expired' });
    health.record('slack', { kind: 'rate_limited', reason: '429' });
    expect(health.failing()).toEqual([
      { connector: 'crm', kind: 'auth', reason: 'token expired', since: 1_000, consecutive: 2 },
      { connector: 'slack', kind: 'rate_limited', reason: '429', since: 1_500, consecutive: 1 },
    ]);
    health.record('crm', null);
    expect(health.failing().map((s) => s.connector)).toEqual(['slack']);
  });

  it('tells the listener of every failure, not of successes', () => {
    const told: Array<[string, Failure]> = [];
    const health = createConnectorHealth({ now: () => 0, onFailure: (name, f) => told.push([name, f]) });
    const failure: Failure = { kind: 'rate_limited', reason: 'daily limit', scope: 'daily' };
    health.record('source', failure);
    health.record('source', null);
    expect(told).toEqual([['source', failure]]);
  });

  it('records the outcome of an observed call: a connector error fails it, a later success clears it', async () => {
    const health = createConnectorHealth({ now: () => 0 });
    const refused = new ConnectorError('hubspot', { kind: 'auth', reason: '401 token revoked' });
    await expect(health.observe('source', () => Promise.reject(refused))).rejects.toBe(refused);
    expect(health.failing()).toMatchObject([{ connector: 'source', kind: 'auth', consecutive: 1 }]);
    await expect(health.observe('source', async () => 'polled')).resolves.toBe('polled');
    expect(health.failing()).toEqual([]);
  });

  it('does not blame the connector for an error of our own', async () => {
    const health = createConnectorHealth({ now: () => 0 });
    await expect(health.observe('source', () => Promise.reject(new TypeError('bug')))).rejects.toThrow('bug');
    expect(health.failing()).toEqual([]);
  });
});
