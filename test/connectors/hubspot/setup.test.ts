import { afterEach, describe, expect, it } from 'vitest';
import { startHubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import type { HubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import { checkHubspot, setupHubspot } from '../../../connectors/hubspot/hubspot.setup.js';
import { HUBSPOT_SCOPES } from '../../../connectors/hubspot/hubspot.errors.js';
import { TOKEN, recordingLogger } from './helpers.js';

let emulator: HubspotEmulator | null = null;
afterEach(async () => {
  await emulator?.close();
  emulator = null;
});

const reasons = [
  { id: 'not_icp', label: 'Not our ideal customer' },
  { id: 'bad_timing', label: 'Bad timing' },
];

const HANDOFF_PROPS = [
  'handoff_status',
  'handoff_rejection_reason',
  'handoff_rejection_note',
  'handoff_decided_at',
  'handoff_rep',
];

describe('setupHubspot', () => {
  it('creates the group and properties once; the second run creates nothing', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const options = { token: TOKEN, baseUrl: emulator.url, retry: { attempts: 1 }, rejectionReasons: reasons };
    const first = await setupHubspot(options, { logger: recordingLogger() });
    expect(first).toEqual({ created: ['group handoff', ...HANDOFF_PROPS], found: [], updated: [] });
    expect(emulator.control.groupNames()).toContain('handoff');
    expect(emulator.control.propertyNames()).toEqual(expect.arrayContaining(HANDOFF_PROPS));

    const second = await setupHubspot(options, { logger: recordingLogger() });
    expect(second).toEqual({ created: [], found: ['group handoff', ...HANDOFF_PROPS], updated: [] });
    const counts = emulator.control.callCounts();
    expect(counts['POST /crm/v3/properties/contacts']).toBe(5);
    expect(counts['POST /crm/v3/properties/contacts/groups']).toBe(1);
  });

  it('adds new rejection reasons to the enumeration and keeps the old ones', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const base = { token: TOKEN, baseUrl: emulator.url, retry: { attempts: 1 } };
    await setupHubspot({ ...base, rejectionReasons: reasons }, { logger: recordingLogger() });
    const result = await setupHubspot(
      { ...base, rejectionReasons: [reasons[1]!, { id: 'duplicate', label: 'Duplicate' }] },
      { logger: recordingLogger() },
    );
    expect(result.updated).toEqual(['handoff_rejection_reason']);
    expect(result.created).toEqual([]);
    const res = await fetch(`${emulator.url}/crm/v3/properties/contacts/handoff_rejection_reason`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const prop = (await res.json()) as { options: Array<{ value: string }> };
    expect(prop.options.map((o) => o.value)).toEqual(['not_icp', 'bad_timing', 'duplicate']);
    // The written value is now accepted by HubSpot's validation.
    const [id] = emulator.control.seedContacts([{ properties: { email: 'x@y.example' } }]);
    const write = await fetch(`${emulator.url}/crm/v3/objects/contacts/batch/update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ id, properties: { handoff_rejection_reason: 'duplicate', handoff_status: 'rejected' } }],
      }),
    });
    expect(write.status).toBe(200);
  });
});

describe('checkHubspot (doctor)', () => {
  it('reports the token, every scope area and the mapped properties', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const lines = await checkHubspot({
      token: TOKEN,
      baseUrl: emulator.url,
      fields: { score: 'hubspotscore', need: 'handoff_need' },
      writeProperties: ['hs_lead_status'],
    });
    expect(lines[0]).toEqual({ name: 'hubspot token', ok: true, detail: 'accepted' });
    expect(lines.filter((l) => l.name.startsWith('hubspot scope')).every((l) => l.ok)).toBe(true);
    expect(lines.at(-1)).toEqual({
      name: 'hubspot properties',
      ok: false,
      detail: 'missing: handoff_need (run `handoff setup hubspot` for handoff_*)',
    });
  });

  it('names the missing scope', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    emulator.control.setScopes([
      HUBSPOT_SCOPES.contactsRead,
      HUBSPOT_SCOPES.contactsWrite,
      HUBSPOT_SCOPES.schemasRead,
      HUBSPOT_SCOPES.companiesRead,
    ]);
    const lines = await checkHubspot({ token: TOKEN, baseUrl: emulator.url });
    expect(lines.find((l) => !l.ok)).toEqual({
      name: 'hubspot scope crm.objects.owners.read',
      ok: false,
      detail: 'missing scope crm.objects.owners.read',
    });
    expect(lines.filter((l) => !l.ok)).toHaveLength(1);
  });

  it('stops at a rejected token', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const lines = await checkHubspot({ token: 'wrong', baseUrl: emulator.url });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      name: 'hubspot token',
      ok: false,
      detail: expect.stringMatching(/token rejected/),
    });
  });
});
