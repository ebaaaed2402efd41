// The Salesforce connectors built from a config file, against the emulator: what `run`, `backfill`,
// `doctor` and `setup salesforce` get from the one factory.
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { InputError } from '../../../src/domain/errors.js';
import { silentLogger } from '../../../src/ports/logger.js';
import { salesforceFromConfig } from '../../../connectors/salesforce/salesforce.from-config.js';
import { startRig, collect, type SalesforceRig } from './salesforce.helpers.js';

let rig: SalesforceRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

function config(loginUrl: string, source = 'source: { kind: salesforce }') {
  const text = [
    source,
    `salesforce: { loginUrl: "${loginUrl}", auth: { flow: client_credentials, clientId: handoff, clientSecret: \${SF_SECRET} } }`,
    'fields: { title: Title, company: Company }',
    'reps: [{ id: alice, name: Alice, email: alice@example.com }]',
    'teams: [{ id: emea, members: [alice] }]',
    'routing: { fallback: { team: emea } }',
  ].join('\n');
  return parseConfigText(text, { SF_SECRET: 'secret' }, '/cfg/handoff.yaml');
}

describe('salesforceFromConfig', () => {
  it('signs in with the configured client for doctor and setup', async () => {
    rig = await startRig();
    const salesforce = await salesforceFromConfig(config(rig.emu.url), { logger: silentLogger });
    const lines = await salesforce.check();
    expect(lines.find((l) => l.name === 'salesforce sign-in')?.ok).toBe(true);
    const setup = await salesforce.setup();
    expect(setup.lines.at(-1)?.name).toBe('custom fields to create');
  });

  it('polls the configured MQL status and tells the admins in words when the allowance runs low', async () => {
    rig = await startRig({ dailyLimit: 1_000 });
    rig.emu.control.seedLeads([
      {
        LastName: 'Lovelace',
        Email: 'ada@example.com',
        Company: 'Analytical',
        Title: 'CTO',
        Status: 'Marketing Qualified',
      },
      { LastName: 'Open', Email: 'open@example.com', Company: 'X', Status: 'Open - Not Contacted' },
    ]);
    rig.emu.control.setApiUsage(950);
    const warnings: string[] = [];
    const salesforce = await salesforceFromConfig(config(rig.emu.url), { logger: silentLogger });
    const source = salesforce.leadSource({ onLimitWarning: (text) => warnings.push(text) });
    const leads = (await collect(source.poll(null, { startFrom: 0 }))).flatMap((p) => p.leads);
    expect(leads.map((l) => [l.email, l.fields.title])).toEqual([['ada@example.com', 'CTO']]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^Salesforce API usage is at 9\d% of the daily allowance \(9\d\d\/1000\); polling slowed down\.$/,
    );
  });

  it('refuses a config without a salesforce section as a config error', async () => {
    const text = [
      'source: { kind: hubspot }',
      'hubspot: { token: t }',
      'reps: [{ id: alice, name: Alice, email: alice@example.com }]',
      'teams: [{ id: emea, members: [alice] }]',
      'routing: { fallback: { team: emea } }',
    ].join('\n');
    const hubspotOnly = parseConfigText(text, {}, '/cfg/handoff.yaml');
    await expect(salesforceFromConfig(hubspotOnly, { logger: silentLogger })).rejects.toThrow(InputError);
  });
});
