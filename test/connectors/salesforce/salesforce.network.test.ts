// Network failures: a dropped connection (the emulator's 'reset' fault) and an HTML gateway page, which the
// emulator does not produce, injected with nock in front of it (everything else passes through).
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSalesforceCrm } from '../../../connectors/salesforce/salesforce.crm.js';
import { createSalesforceLeadSource } from '../../../connectors/salesforce/salesforce.lead-source.js';
import { isConnectorError } from '../../../src/ports/failure.js';
import { collect, startRig, T0 } from './salesforce.helpers.js';
import type { SalesforceRig } from './salesforce.helpers.js';

let rig: SalesforceRig;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  rig = await startRig();
  await rig.conn.connect();
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(async () => {
  nock.enableNetConnect();
  await rig.close();
});

describe('Salesforce connector: network failures', () => {
  it('reports a reset connection on a collection write as transient for every record, without a retry', async () => {
    const ids = rig.emu.control.seedLeads([{ LastName: 'a' }, { LastName: 'b' }]).map((r) => r['Id'] as string);
    rig.emu.control.setFault({ count: 1, status: 'reset', endpoints: ['PATCH composite/sobjects'] });
    const before = rig.emu.control.callCounts().byEndpoint['PATCH composite/sobjects'] ?? 0;
    const crm = createSalesforceCrm({}, { connection: rig.conn, isFreeEmailDomain: () => false });
    const results = await crm.update(
      ids.map((id, i) => ({
        key: `k${i}`,
        record: { source: 'salesforce', externalId: id, email: null },
        properties: { Title: 'x' },
      })),
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.failure.kind))).toEqual(['transient', 'transient']);
    expect(rig.emu.control.record('Lead', ids[0]!)!['Title']).toBeNull();
    expect(rig.emu.control.callCounts().byEndpoint['PATCH composite/sobjects']).toBe(before + 1);
  });

  it('classifies an HTML 502 from a proxy in front of Salesforce as transient', async () => {
    rig.emu.control.seedLeads([{ LastName: 'c', Status: 'Marketing Qualified' }]);
    // jsforce retries a GET once here (getRetries: 1), so both attempts get the gateway page.
    nock(rig.emu.url, { allowUnmocked: true })
      .get(/\/services\/data\/v62\.0\/query/)
      .times(2)
      .reply(502, '<html><body>Bad gateway</body></html>', { 'content-type': 'text/html' });
    const source = createSalesforceLeadSource(
      { mql: { status: 'Marketing Qualified' }, fields: {} },
      { connection: rig.conn },
    );
    const err = await collect(source.poll(null, { startFrom: T0 - 1000 })).catch((e: unknown) => e);
    expect(isConnectorError(err) && err.failure.kind).toBe('transient');
  });
});
