import { afterEach, describe, expect, it } from 'vitest';
import { createHubspotCrm } from '../../../connectors/hubspot/hubspot.crm.js';
import type { HubspotCrmDeps, HubspotCrmOptions } from '../../../connectors/hubspot/hubspot.crm.js';
import { startHubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import type { HubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import type { Lead } from '../../../src/domain/model.js';
import type { CrmRecordRef } from '../../../src/ports/crm.js';
import { TOKEN, recordingLogger } from './helpers.js';

const UPDATE = 'POST /crm/v3/objects/contacts/batch/update';
const OWNERS = 'GET /crm/v3/owners';
const COMPANIES = 'POST /crm/v3/objects/companies/search';

let emulator: HubspotEmulator | null = null;
afterEach(async () => {
  await emulator?.close();
  emulator = null;
});

function crmFor(em: HubspotEmulator, over: Partial<HubspotCrmOptions> = {}, deps: Partial<HubspotCrmDeps> = {}) {
  return createHubspotCrm(
    { token: TOKEN, baseUrl: em.url, retry: { attempts: 1 }, searchPerSecond: 1_000, rateLimitPer10s: 10_000, ...over },
    { logger: recordingLogger(), isFreeEmailDomain: (d) => ['gmail.com', 'yahoo.com'].includes(d), ...deps },
  );
}

const ref = (externalId: string): CrmRecordRef => ({ source: 'hubspot', externalId, email: null });

function lead(over: Partial<Lead>): Lead {
  return {
    source: 'hubspot',
    externalId: '1',
    email: null,
    firstName: null,
    lastName: null,
    fields: {},
    props: {},
    mqlAt: 0,
    modifiedAt: 0,
    ownerId: null,
    recordUrl: null,
    ...over,
  };
}

describe('HubSpot CRM write-back against the emulator', () => {
  it('writes a batch and reports a partial failure per record (207)', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const [a, b, c] = emulator.control.seedContacts([
      { properties: { email: 'a@x.example', lifecyclestage: 'marketingqualifiedlead' } },
      { properties: { email: 'b@x.example', lifecyclestage: 'marketingqualifiedlead' } },
      { properties: { email: 'c@x.example', lifecyclestage: 'marketingqualifiedlead' } },
    ]);
    const crm = crmFor(emulator);
    const results = await crm.update([
      { key: 'j1', record: ref(a!), properties: { hs_lead_status: 'OPEN' } },
      { key: 'j2', record: ref(b!), properties: { not_a_property: 'x' } },
      { key: 'j3', record: ref(c!), properties: { hs_lead_status: 'BOGUS' } },
      { key: 'j4', record: ref('987654'), properties: { hs_lead_status: 'OPEN' } },
      { key: 'j5', record: ref(a!), properties: { hubspot_owner_id: '70001' } },
    ]);
    expect(results.map((r) => (r.ok ? [r.key, 'ok'] : [r.key, r.failure.kind]))).toEqual([
      ['j1', 'ok'],
      ['j2', 'invalid'],
      ['j3', 'invalid'],
      ['j4', 'not_found'],
      ['j5', 'ok'],
    ]);
    const failed = results.find((r) => r.key === 'j2');
    expect(failed && !failed.ok && failed.failure.reason).toMatch(/not_a_property/);
    // Two updates of one contact go out as one input: HubSpot rejects duplicate ids in a batch.
    expect(emulator.control.getContact(a!)!.properties).toMatchObject({
      hs_lead_status: 'OPEN',
      hubspot_owner_id: '70001',
    });
    expect(emulator.control.getContact(c!)!.properties['hs_lead_status']).toBeUndefined();
    expect(emulator.control.callCounts()[UPDATE]).toBe(1);
  });

  it('splits large writes into batches of 100', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const ids = emulator.control.seedContacts(
      Array.from({ length: 250 }, (_, i) => ({ properties: { email: `p${i}@x.example` } })),
    );
    const results = await crmFor(emulator).update(
      ids.map((id, i) => ({ key: `k${i}`, record: ref(id), properties: { hs_lead_status: 'IN_PROGRESS' } })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(emulator.control.callCounts()[UPDATE]).toBe(3);
  });

  it('recycles a lead backwards by clearing lifecyclestage first (HubSpot only moves it forward)', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const [id] = emulator.control.seedContacts([
      { properties: { email: 'r@x.example', lifecyclestage: 'marketingqualifiedlead' } },
    ]);
    const direct = crmFor(emulator, { clearLifecycleStageFirst: false });
    const [refused] = await direct.update([{ key: 'k', record: ref(id!), properties: { lifecyclestage: 'lead' } }]);
    expect(refused).toMatchObject({ ok: false, failure: { kind: 'invalid' } });

    const [done] = await crmFor(emulator).update([
      { key: 'k', record: ref(id!), properties: { lifecyclestage: 'lead', hs_lead_status: 'BAD_TIMING' } },
    ]);
    expect(done).toEqual({ key: 'k', ok: true });
    expect(emulator.control.getContact(id!)!.properties).toMatchObject({
      lifecyclestage: 'lead',
      hs_lead_status: 'BAD_TIMING',
    });
  });

  it('finds the HubSpot contact by email when the lead came from elsewhere', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const [id] = emulator.control.seedContacts([{ properties: { email: 'Dana@Corp.example' } }]);
    const results = await crmFor(emulator).update([
      {
        key: 'sf1',
        record: { source: 'salesforce', externalId: '00Q1', email: 'dana@corp.example' },
        properties: { hs_lead_status: 'OPEN' },
      },
      {
        key: 'sf2',
        record: { source: 'salesforce', externalId: '00Q2', email: 'nobody@corp.example' },
        properties: { hs_lead_status: 'OPEN' },
      },
      {
        key: 'sf3',
        record: { source: 'salesforce', externalId: '00Q3', email: null },
        properties: { hs_lead_status: 'OPEN' },
      },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.failure.kind))).toEqual(['ok', 'not_found', 'not_found']);
    expect(emulator.control.getContact(id!)!.properties['hs_lead_status']).toBe('OPEN');
  });

  it('resolves owners by email from one cached owners list, active owners only', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const [ana] = emulator.control.seedOwners([
      { email: 'ana@corp.example', firstName: 'Ana', lastName: 'Rep' },
      { email: 'gone@corp.example', archived: true },
    ]);
    const crm = crmFor(emulator);
    expect(await crm.resolveOwnerId({ email: 'ANA@corp.example' })).toBe(ana);
    expect(await crm.resolveOwnerId({ email: 'ana@corp.example' })).toBe(ana);
    expect(await crm.resolveOwnerId({ email: 'gone@corp.example' })).toBeNull();
    // One owners call serves every look-up: the unknown email does not refresh a list younger than a minute.
    expect(emulator.control.callCounts()[OWNERS]).toBe(1);
  });

  it('matches the contact owner first, then the owner of the company with the email domain', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const [ana, bo, archived] = emulator.control.seedOwners([
      { email: 'ana@corp.example', firstName: 'Ana' },
      { email: 'bo@corp.example', firstName: 'Bo' },
      { email: 'old@corp.example', archived: true },
    ]);
    emulator.control.seedCompanies([
      { properties: { domain: 'acme.example', name: 'Acme', hubspot_owner_id: bo! } },
      { properties: { domain: 'stale.example', name: 'Stale', hubspot_owner_id: archived! } },
      { properties: { domain: 'gmail.com', name: 'Google mail', hubspot_owner_id: bo! } },
    ]);
    const crm = crmFor(emulator);
    expect(
      await crm.findOwnerMatch(lead({ ownerId: ana!, email: 'x@acme.example' }), { skipFreeEmailDomains: true }),
    ).toMatchObject({ ownerId: ana, via: 'contact' });
    expect(
      await crm.findOwnerMatch(lead({ ownerId: archived!, email: 'x@acme.example' }), { skipFreeEmailDomains: true }),
    ).toEqual({
      ownerId: bo,
      via: 'company',
      detail: 'owner of company Acme (acme.example): Bo',
    });
    expect(await crm.findOwnerMatch(lead({ email: 'x@stale.example' }), { skipFreeEmailDomains: true })).toBeNull();
    const callsBefore = emulator.control.callCounts()[COMPANIES] ?? 0;
    expect(await crm.findOwnerMatch(lead({ email: 'x@gmail.com' }), { skipFreeEmailDomains: true })).toBeNull();
    expect(emulator.control.callCounts()[COMPANIES] ?? 0).toBe(callsBefore);
    expect(await crm.findOwnerMatch(lead({ email: 'x@gmail.com' }), { skipFreeEmailDomains: false })).toMatchObject({
      ownerId: bo,
      via: 'company',
    });
  });

  it('adds notes on the contact timeline, per-record results', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const [id] = emulator.control.seedContacts([{ properties: { email: 'n@x.example' } }]);
    const results = await crmFor(emulator).addNotes([
      {
        key: 'n1',
        record: ref(id!),
        subject: 'Rejected: Bad timing',
        body: 'Rep: Ana <ana@corp.example>\nComment: call in Q2',
      },
      { key: 'n2', record: ref('31337'), subject: 'Accepted', body: 'Rep: Bo' },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.failure.kind))).toEqual(['ok', 'invalid']);
    const notes = emulator.control.notes();
    expect(notes).toHaveLength(1);
    expect(notes[0]!.contactIds).toEqual([id]);
    expect(notes[0]!.properties['hs_note_body']).toBe(
      '<p><strong>Rejected: Bad timing</strong></p><p>Rep: Ana &lt;ana@corp.example&gt;</p><p>Comment: call in Q2</p>',
    );
    expect(emulator.control.callCounts()['POST /crm/v3/objects/notes/batch/create']).toBe(1);
  });

  it('retries a reset connection and a 502 with backoff, then writes', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const [id] = emulator.control.seedContacts([{ properties: { email: 'f@x.example' } }]);
    const waits: number[] = [];
    const crm = crmFor(
      emulator,
      { retry: { attempts: 3, baseDelayMs: 10 } },
      {
        sleep: async (ms) => {
          waits.push(ms);
          return true;
        },
      },
    );
    emulator.control.setFault({ kind: 'reset', count: 1, match: 'batch/update' });
    const [first] = await crm.update([{ key: 'k', record: ref(id!), properties: { hs_lead_status: 'OPEN' } }]);
    expect(first).toEqual({ key: 'k', ok: true });
    emulator.control.setFault({ kind: 'status', status: 502, count: 5, match: 'batch/update' });
    const [second] = await crm.update([{ key: 'k2', record: ref(id!), properties: { hs_lead_status: 'CONNECTED' } }]);
    expect(second).toMatchObject({ ok: false, failure: { kind: 'transient' } });
    expect(waits.length).toBe(3);
    expect(emulator.control.callCounts()[UPDATE]).toBe(5);
  });

  it('stays under the emulated rate limits with its own limiter', async () => {
    emulator = await startHubspotEmulator({ rateLimits: { searchPerSecond: 5, generalPer10s: 100 } });
    emulator.control.seedOwners([{ email: 'ana@corp.example' }]);
    emulator.control.seedCompanies([{ properties: { domain: 'acme.example', name: 'Acme' } }]);
    const crm = crmFor(emulator, { searchPerSecond: 5, retry: { attempts: 1 } });
    const started = Date.now();
    const matches = await Promise.all(
      Array.from({ length: 12 }, () =>
        crm.findOwnerMatch(lead({ email: 'x@acme.example' }), { skipFreeEmailDomains: false }),
      ),
    );
    expect(matches.every((m) => m === null)).toBe(true);
    // 12 searches at 5 per second need at least two full windows; none was refused with a 429.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(emulator.control.callCounts()[COMPANIES]).toBe(12);
  });
});
