// The HubSpot connectors built from a config file, against the emulator: what `run`, `backfill`,
// `doctor`, `setup hubspot` and `demo` get from the one factory.
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { InputError } from '../../../src/domain/errors.js';
import { silentLogger } from '../../../src/ports/logger.js';
import { hubspotFromConfig } from '../../../connectors/hubspot/hubspot.from-config.js';
import { startHubspotEmulator, type HubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';

const TOKEN = 'emulator-token';
let emulator: HubspotEmulator | null = null;
afterEach(async () => {
  await emulator?.close();
  emulator = null;
});

function config(baseUrl: string, hubspot = '', source = 'source: { kind: hubspot }') {
  const text = [
    source,
    `hubspot: { token: \${HUBSPOT_TOKEN}, baseUrl: "${baseUrl}"${hubspot} }`,
    'reps: [{ id: alice, name: Alice, email: alice@example.com }]',
    'teams: [{ id: emea, members: [alice] }]',
    'routing: { fallback: { team: emea } }',
    'rejectionReasons: [{ id: not_icp, label: Not our ideal customer }]',
  ].join('\n');
  return parseConfigText(text, { HUBSPOT_TOKEN: TOKEN }, '/cfg/handoff.yaml');
}

describe('hubspotFromConfig', () => {
  it('sets the portal up once and then finds everything; doctor accepts the token', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const hubspot = hubspotFromConfig(config(emulator.url), { logger: silentLogger });
    const first = await hubspot.setup();
    expect(first.created).toContain('group handoff');
    expect(first.created).toContain('handoff_rejection_reason');
    const second = await hubspotFromConfig(config(emulator.url), { logger: silentLogger }).setup();
    expect(second.created).toEqual([]);
    expect(second.found).toEqual(first.created);
    const lines = await hubspot.check();
    expect(lines[0]).toEqual({ name: 'hubspot token', ok: true, detail: 'accepted' });
  });

  it('polls the configured MQL stage with the mapped fields', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    emulator.control.createContact({
      email: 'ada@example.com',
      lifecyclestage: 'marketingqualifiedlead',
      jobtitle: 'CTO',
      hubspotscore: '75',
    });
    emulator.control.createContact({ email: 'lead@example.com', lifecyclestage: 'lead' });
    const source = hubspotFromConfig(config(emulator.url), { logger: silentLogger }).leadSource();
    const leads = [];
    for await (const page of source.poll(null, { startFrom: 0 })) leads.push(...page.leads);
    expect(leads.map((l) => [l.email, l.fields.title, l.fields.score])).toEqual([['ada@example.com', 'CTO', 75]]);
  });

  it('answers webhooks only when a webhook secret is configured', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const noop = async (): Promise<void> => undefined;
    expect(hubspotFromConfig(config(emulator.url), { logger: silentLogger }).webhookHandler(noop)).toBeNull();
    const withSecret = hubspotFromConfig(config(emulator.url, ', webhookSecret: s3cret'), { logger: silentLogger });
    expect(withSecret.webhookHandler(noop)).toBeTypeOf('function');
  });

  it('refuses a config without a hubspot section as a config error', () => {
    const text = [
      'source: { kind: salesforce }',
      'salesforce: { auth: { flow: client_credentials, clientId: a, clientSecret: b } }',
      'reps: [{ id: alice, name: Alice, email: alice@example.com }]',
      'teams: [{ id: emea, members: [alice] }]',
      'routing: { fallback: { team: emea } }',
    ].join('\n');
    const salesforceOnly = parseConfigText(text, {}, '/cfg/handoff.yaml');
    expect(() => hubspotFromConfig(salesforceOnly, { logger: silentLogger })).toThrow(InputError);
  });
});
