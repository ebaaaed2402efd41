// The Marketo connectors built from a config file: validation of the marketo section (errors with paths),
// `setup marketo` / `doctor` lines (permissions, fields), and detection through the factory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeConfig, parseConfigText } from '../../../src/config/index.js';
import { InputError } from '../../../src/domain/errors.js';
import { silentLogger } from '../../../src/ports/logger.js';
import { registerDoctorCommands } from '../../../src/cli/commands/doctor.js';
import { registerBackfillCommand } from '../../../src/cli/commands/backfill.js';
import { openStore } from '../../../src/store/index.js';
import { marketoFromConfig } from '../../../connectors/marketo/marketo.from-config.js';
import { startMarketoEmulator, type MarketoEmulator } from '../../../connectors/marketo/emulator/index.js';
import { runCli } from '../../helpers/cli.js';
import { CLIENT } from './marketo.helpers.js';

const TAIL = [
  'reps: [{ id: alice, name: Alice, email: alice@example.com }]',
  'teams: [{ id: emea, members: [alice] }]',
  'routing: { fallback: { team: emea } }',
];

function configText(url: string, extra: string[] = [], source = 'source: { kind: marketo, mql: { minScore: 80 } }') {
  return [
    source,
    `marketo: { baseUrl: "${url}", clientId: \${MKTO_ID}, clientSecret: \${MKTO_SECRET} }`,
    ...extra,
    ...TAIL,
  ].join('\n');
}
const ENV = { MKTO_ID: CLIENT.clientId, MKTO_SECRET: CLIENT.clientSecret };

function problems(text: string, env: Record<string, string> = ENV): string[] {
  try {
    parseConfigText(text, env, '/cfg/handoff.yaml');
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
  return [];
}

describe('the marketo config section', () => {
  it('fills defaults: identity URL, activity types, fields, write-back without notes', () => {
    const c = parseConfigText(configText('https://123-ABC-456.mktorest.com/rest/'), ENV, '/cfg/handoff.yaml');
    expect(c.marketo).toMatchObject({
      baseUrl: 'https://123-ABC-456.mktorest.com',
      identityUrl: 'https://123-ABC-456.mktorest.com/identity',
      activityTypeIds: [22, 13],
      dailyQuota: 50_000,
      warnAtPercent: 80,
      ratePer20s: 100,
      clientSecret: CLIENT.clientSecret,
    });
    expect(c.fields.score).toBe('leadScore');
    expect(describeConfig(c)).toContain('marketo: MQL = score crossing (activities 22, 13), score ≥ 80');
    expect(c.crm).toMatchObject({ kind: 'marketo', onReject: { set: { leadStatus: 'Sales Rejected' }, note: false } });
  });

  it('takes a Munchkin id instead of a URL', () => {
    const text = configText('x').replace(/baseUrl: "x"/, 'munchkinId: 123-ABC-456');
    expect(parseConfigText(text, ENV, '/cfg/handoff.yaml').marketo?.baseUrl).toBe('https://123-ABC-456.mktorest.com');
  });

  it('reports bad values with their paths', () => {
    const found = problems(
      [
        'source: { kind: marketo, mql: { lifecycleStage: mql } }',
        'marketo: { munchkinId: "12-AB", clientId: "", clientSecret: s, activityTypeIds: [1,2,3,4,5,6,7,8,9,10,11], rateLimit: 500 }',
        'crm: { onReject: { note: true } }',
        ...TAIL,
      ].join('\n'),
    );
    const joined = found.join('\n');
    expect(joined).toMatch(/marketo\.munchkinId: expected a Munchkin id/);
    expect(joined).toMatch(/marketo\.clientId: must not be empty/);
    expect(joined).toMatch(/marketo\.activityTypeIds: Marketo takes at most 10/);
    expect(joined).toMatch(/marketo\.rateLimit: .*<=100/);
    expect(joined).toMatch(/source\.mql\.lifecycleStage: is for HubSpot/);
    expect(joined).toMatch(/source\.mql: a Marketo source needs minScore/);
    expect(joined).toMatch(/crm\.onReject\.note: Marketo has no notes/);
  });

  it('requires the marketo section when the CRM is Marketo', () => {
    const text = [
      'source: { kind: salesforce }',
      'crm: { kind: marketo }',
      'salesforce: { auth: { flow: client_credentials, clientId: a, clientSecret: b } }',
      ...TAIL,
    ].join('\n');
    expect(problems(text).join('\n')).toMatch(/marketo: required because crm\.kind is marketo/);
  });
});

describe('marketoFromConfig against the emulator', () => {
  let emulator: MarketoEmulator | null = null;
  let dir: string | null = null;
  afterEach(async () => {
    await emulator?.close();
    emulator = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('setup lists permissions and fields, and the fields still to create', async () => {
    emulator = await startMarketoEmulator({ clients: [CLIENT] });
    const config = parseConfigText(
      configText(emulator.url, ['crm: { onAccept: { set: { leadStatus: Accepted, handoffRep: "{{rep.name}}" } } }']),
      ENV,
      '/cfg/handoff.yaml',
    );
    const result = await marketoFromConfig(config, { logger: silentLogger }).setup();
    const line = (name: string) => result.lines.find((l) => l.name === name);
    expect(line('token')?.ok).toBe(true);
    expect(line('read leads')?.ok).toBe(true);
    expect(line('read activities')?.detail).toContain('22 Change Score');
    expect(line('write leads')?.ok).toBe(true);
    expect(line('field leadScore')?.ok).toBe(true);
    expect(line('field handoffRep')?.ok).toBe(false);
    expect(result.missing).toEqual([{ name: 'handoffRep', use: 'write', type: 'string' }]);
  });

  it('doctor names the permission the API user lacks', async () => {
    emulator = await startMarketoEmulator({ clients: [CLIENT] });
    emulator.control.setPermissions({ writeLead: false, readActivity: false });
    dir = mkdtempSync(join(tmpdir(), 'handoff-mkto-'));
    writeFileSync(
      join(dir, 'handoff.yaml'),
      configText(emulator.url, [`store: { url: "sqlite:${join(dir, 'h.db')}" }`]),
    );
    const run = await runCli(registerDoctorCommands, ['doctor', '-c', join(dir, 'handoff.yaml')], {
      cwd: dir,
      env: ENV,
    });
    expect(run.code).toBe(1);
    expect(run.out).toMatch(
      /FAIL\s+marketo: read activities\s+access denied: give the API user's role the "Read-Only Activity" permission/,
    );
    expect(run.out).toMatch(/FAIL\s+marketo: write leads\s+access denied: .*"Read-Write Lead"/);
    expect(run.out).toMatch(/ok\s+marketo: read leads/);
  });

  it('doctor reports rejected client credentials on the token line', async () => {
    emulator = await startMarketoEmulator({ clients: [CLIENT] });
    const config = parseConfigText(configText(emulator.url), { ...ENV, MKTO_SECRET: 'wrong' }, '/cfg/handoff.yaml');
    const lines = await marketoFromConfig(config, { logger: silentLogger }).check();
    expect(lines).toEqual([
      { name: 'token', ok: false, detail: 'client id or secret rejected by the identity endpoint' },
    ]);
  });

  it('polls through the factory and words the quota warning for the admins', async () => {
    emulator = await startMarketoEmulator({ clients: [CLIENT], dailyQuota: 100 });
    emulator.control.setDailyUsed(85);
    const [lead] = emulator.control.createLeads([{ email: 'ada@example.com', leadScore: 10 }]);
    emulator.control.updateLead(lead!.id, { leadScore: 90 });
    const config = parseConfigText(
      configText(emulator.url, [], 'source: { kind: marketo, startFrom: 1h, mql: { minScore: 80 } }').replace(
        'clientSecret: ${MKTO_SECRET}',
        'clientSecret: ${MKTO_SECRET}, dailyQuota: 100',
      ),
      ENV,
      '/cfg/handoff.yaml',
    );
    const warnings: string[] = [];
    const source = marketoFromConfig(config, {
      logger: silentLogger,
      onQuotaWarning: (t) => warnings.push(t),
    }).leadSource();
    const leads = [];
    for await (const page of source.poll(null, { startFrom: Date.now() - 3_600_000 })) leads.push(...page.leads);
    expect(leads.map((l) => l.email)).toEqual(['ada@example.com']);
    expect(warnings[0]).toMatch(
      /^Marketo API usage is at 8\d% of the daily quota \(8\d\/100\); polling slowed down\.$/,
    );
    expect(source.pollDelayMultiplier).toBe(2);
  });

  it('backfill imports past Marketo MQLs with the outcome the history rules infer', async () => {
    emulator = await startMarketoEmulator({ clients: [CLIENT] });
    const [a, b] = emulator.control.createLeads([
      { email: 'won@example.com', leadScore: 10 },
      { email: 'lost@example.com', leadScore: 10 },
    ]);
    emulator.control.updateLead(a!.id, { leadScore: 90 });
    emulator.control.updateLead(b!.id, { leadScore: 90 });
    emulator.control.updateLead(a!.id, { leadStatus: 'Sales Accepted' });
    emulator.control.updateLead(b!.id, { leadStatus: 'Sales Rejected' });
    dir = mkdtempSync(join(tmpdir(), 'handoff-mkto-'));
    const file = join(dir, 'handoff.yaml');
    writeFileSync(file, configText(emulator.url, [`store: { url: "sqlite:${join(dir, 'h.db')}" }`]));
    const run = await runCli(
      (program, io) => registerBackfillCommand(program, io, { logger: silentLogger }),
      ['backfill', '--since', '1d', '-c', file],
      { cwd: dir, env: ENV },
    );
    expect(run.code, run.out + run.err).toBe(0);
    const store = await openStore(`sqlite:${join(dir, 'h.db')}`, { exclusive: false });
    try {
      const [won] = await store.findHandoffsByRecord('marketo', String(a!.id));
      const [lost] = await store.findHandoffsByRecord('marketo', String(b!.id));
      expect([won?.imported, won?.state, lost?.state]).toEqual([true, 'accepted', 'rejected']);
    } finally {
      await store.close();
    }
  });
});
