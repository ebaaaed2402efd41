import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig, parseConfigText } from '../../src/config/index.js';
import { CONFIG_SECTIONS } from '../../src/config/load.js';
import { InputError } from '../../src/domain/errors.js';
import { ENV, inputError, minimalYaml, parse } from './helpers.js';

const root = path.resolve(import.meta.dirname, '../..');
const EXAMPLE_ENV = {
  HUBSPOT_TOKEN: 'pat-na1-abcdef',
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'sig',
  SMTP_URL: 'smtp://127.0.0.1:2525',
};

describe('the shipped configs', () => {
  it('config/handoff.example.yaml is valid and uses every section', async () => {
    const { config, file } = await loadConfig({ file: 'config/handoff.example.yaml', env: EXAMPLE_ENV, cwd: root });
    expect(file).toBe(path.join(root, 'config/handoff.example.yaml'));
    const text = await readFile(file, 'utf8');
    for (const section of CONFIG_SECTIONS) {
      expect(text, `section ${section}`).toMatch(new RegExp(`^#? ?${section}:`, 'm'));
    }
    expect(config.reps).toHaveLength(6);
    expect(config.routing.rules.map((r) => r.team)).toEqual(['enterprise', 'emea', 'americas']);
    expect(config.sla).toMatchObject({
      acceptWithin: 30 * 60_000,
      remindAt: 0.5,
      maxOffers: 3,
      routeOutsideHours: true,
    });
    expect(config.source.hot?.acceptWithin).toBe(5 * 60_000);
    expect(config.slack?.mode).toBe('http');
    expect(config.email?.managers).toEqual(['maria@example.com', 'tom@example.com']);
    expect(config.hubspot).toMatchObject({
      token: 'pat-na1-abcdef',
      portalId: 12345678,
      webhookSecret: null,
      rateLimit: 100,
    });
    expect(config.server.port).toBe(3000);
  });

  it('config/demo.yaml is valid with no environment at all', async () => {
    const { config } = await loadConfig({ file: 'config/demo.yaml', env: {}, cwd: root });
    expect(config.store.url).toBe('sqlite:./data/demo.db');
    expect(config.hubspot?.baseUrl).toBe('http://127.0.0.1:4010');
    expect(config.reps).toHaveLength(6);
    expect(config.teams.map((t) => t.strategy).sort()).toEqual(['least-loaded', 'round-robin', 'weighted']);
    expect(config.sla.acceptWithin).toBe(2 * 60_000);
    expect(config.source.hot).not.toBeNull();
    expect(config.rejectionReasons.length).toBeGreaterThanOrEqual(3);
  });

  it('config/demo.yaml follows the environment for ports and URLs', async () => {
    const { config } = await loadConfig({
      file: 'config/demo.yaml',
      env: {
        HUBSPOT_BASE_URL: 'http://127.0.0.1:5999',
        SLACK_API_URL: 'http://127.0.0.1:5998/api/',
        HANDOFF_DEMO_PORT: '4567',
      },
      cwd: root,
    });
    expect(config.hubspot?.baseUrl).toBe('http://127.0.0.1:5999');
    expect(config.slack?.apiUrl).toBe('http://127.0.0.1:5998/api/');
    expect(config.server.port).toBe(4567);
  });
});

describe('problems are reported all at once, with paths', () => {
  it('an unknown team in a rule, a duplicate reason id and a bad time zone', () => {
    const err = inputError(() =>
      parse(
        minimalYaml(
          [
            'managers: [{ id: maria, name: Maria, email: maria@example.com }]',
            'routing:',
            '  rules:',
            '    - { name: DACH, when: { country: { in: [DE, AT, CH] } }, team: emea }',
            '    - { name: Nordics, when: { country: { in: [SE, NO] } }, team: nordics }',
            '  fallback: { team: emea }',
            'rejectionReasons: [{ id: not_icp, label: Not ICP }, { id: not_icp, label: Again }]',
            'digests: { managers: { cron: "0 8 * * 1-5", timezone: Europe/Berln } }',
          ].join('\n'),
        ),
      ),
    );
    expect(err.code).toBe('config.invalid');
    expect(err.problems).toHaveLength(3);
    expect(err.problems).toEqual([
      expect.stringMatching(/^routing\.rules\[1\]\.team: unknown team "nordics" \(known: emea\) \(line \d+\)$/),
      expect.stringMatching(/^rejectionReasons\[1\]\.id: duplicate reason id "not_icp" \(also rejectionReasons\[0\]\)/),
      expect.stringMatching(/^digests\.managers\.timezone: unknown time zone "Europe\/Berln"/),
    ]);
    expect(err.stack).toBeDefined();
    expect(err.message).not.toMatch(/\n\s+at /);
  });

  it('cross references: members, managers, fallback, duplicate ids and a section the source needs', () => {
    const err = inputError(() =>
      parse(
        [
          'source: { kind: salesforce, mql: { lifecycleStage: mql } }',
          'reps:',
          '  - { id: alice, name: Alice, email: alice@example.com }',
          '  - { id: alice, name: Alice 2, email: alice2@example.com }',
          'managers: [{ id: maria, name: Maria, email: maria@example.com }]',
          'teams:',
          '  - { id: emea, members: [alice, alise, alice], manager: mario }',
          '  - { id: emea, members: [alice] }',
          'routing: { fallback: { team: global } }',
        ].join('\n'),
      ),
    );
    expect(err.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^source\.mql\.lifecycleStage: is for HubSpot/),
        expect.stringMatching(/^salesforce: required because source\.kind is salesforce/),
        expect.stringMatching(/^reps\[1\]\.id: duplicate rep id "alice"/),
        expect.stringMatching(/^teams\[0\]\.members\[1\]: unknown rep "alise" \(did you mean "alice"\?\)/),
        expect.stringMatching(/^teams\[0\]\.members\[2\]: "alice" is listed twice/),
        expect.stringMatching(/^teams\[0\]\.manager: unknown manager "mario" \(did you mean "maria"\?\)/),
        expect.stringMatching(/^teams\[1\]\.id: duplicate team id "emea"/),
        expect.stringMatching(/^routing\.fallback\.team: unknown team "global"/),
      ]),
    );
  });

  it('shape errors: unknown keys, wrong types, missing required keys, bad durations, cron and dates', () => {
    const err = inputError(() =>
      parse(
        minimalYaml(
          [
            'routing: { fallback: { team: emea } }',
            'sla: { acceptWithn: 30m, maxOffers: two, holidays: [2026-02-30] }',
            'source2: {}',
            'alerts: { cooldown: soon }',
            'digests: { marketing: { cron: "61 * * * *" } }',
            'managers: [{ id: maria, email: maria@example.com }]',
          ].join('\n'),
        ),
      ),
    );
    expect(err.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sla\.acceptWithn: unknown key/),
        expect.stringMatching(/^sla\.maxOffers: expected a number, got a string/),
        expect.stringMatching(/^sla\.holidays\[0\]: "2026-02-30" is not a date/),
        expect.stringMatching(/^source2: unknown key/),
        expect.stringMatching(/^alerts\.cooldown: "soon" is not a duration/),
        expect.stringMatching(/^digests\.marketing\.cron: "61 \* \* \* \*" is not a valid cron expression/),
        expect.stringMatching(/^managers\[0\]\.name: required/),
      ]),
    );
  });

  it('a routing section with neither rules nor fallback', () => {
    const err = inputError(() => parse(minimalYaml()));
    expect(err.problems).toEqual([expect.stringMatching(/^routing: no rules and no fallback team/)]);
  });

  it('bad working hours on a rep', () => {
    const err = inputError(() =>
      parse(
        minimalYaml('routing: { fallback: { team: emea } }').replace(
          'timezone: Europe/Berlin',
          'timezone: Europe/Berlin, hours: "Mon-Fri 9-17"',
        ),
      ),
    );
    expect(err.problems).toEqual([expect.stringMatching(/^reps\[0\]\.hours: "9-17" is neither days/)]);
  });
});

describe('YAML and files', () => {
  it('reports YAML syntax errors with file, line and column', () => {
    const err = inputError(() =>
      parseConfigText('source:\n  kind: hubspot\n\tpollEvery: 5s\n', {}, '/cfg/handoff.yaml'),
    );
    expect(err.code).toBe('config.invalid');
    expect(err.problems).toEqual(['/cfg/handoff.yaml:3:1: YAML syntax: Tabs are not allowed as indentation']);
    const quote = inputError(() =>
      parseConfigText('source:\n  kind: hubspot\nhubspot: { token: "${T}\n', {}, 'h.yaml'),
    );
    expect(quote.problems[0]).toMatch(/^h\.yaml:[34]:\d+: YAML syntax: Missing closing "quote/);
    expect(quote.problems.length).toBeLessThanOrEqual(3);
  });

  it('reports duplicate keys and an empty file', () => {
    expect(inputError(() => parseConfigText('source: {}\nsource: {}\n', {}, 'a.yaml')).problems[0]).toMatch(
      /^a\.yaml:2:1: YAML syntax: .*unique/i,
    );
    expect(inputError(() => parseConfigText('# nothing\n', {}, 'a.yaml')).problems).toEqual([
      'a.yaml: the file is empty',
    ]);
    expect(inputError(() => parseConfigText('- a\n- b\n', {}, 'a.yaml')).problems[0]).toMatch(/mapping of sections/);
  });

  it('finds the file from the argument, then HANDOFF_CONFIG, then ./handoff.yaml', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'handoff-config-'));
    const valid = minimalYaml('routing: { fallback: { team: emea } }');
    await writeFile(path.join(dir, 'handoff.yaml'), valid);
    await writeFile(path.join(dir, 'other.yaml'), valid.replace('kind: hubspot }', 'kind: hubspot, pollEvery: 45s }'));
    await writeFile(path.join(dir, 'third.yaml'), valid.replace('kind: hubspot }', 'kind: hubspot, pollEvery: 1m }'));

    const byDefault = await loadConfig({ env: ENV, cwd: dir });
    expect(byDefault.file).toBe(path.join(dir, 'handoff.yaml'));
    expect(byDefault.config.source.pollEvery).toBe(30_000);

    const byEnv = await loadConfig({ env: { ...ENV, HANDOFF_CONFIG: 'other.yaml' }, cwd: dir });
    expect(byEnv.config.source.pollEvery).toBe(45_000);

    const byArg = await loadConfig({ file: 'third.yaml', env: { ...ENV, HANDOFF_CONFIG: 'other.yaml' }, cwd: dir });
    expect(byArg.config.source.pollEvery).toBe(60_000);
  });

  it('a missing file is config.not_found naming the path', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'handoff-config-'));
    const err = await loadConfig({ env: {}, cwd: dir }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('config.not_found');
    expect((err as InputError).problems[0]).toContain(path.join(dir, 'handoff.yaml'));
  });
});

describe('environment interpolation', () => {
  it('names every missing variable at once, with where it is used', () => {
    const text = minimalYaml(
      [
        'routing: { fallback: { team: emea } }',
        'slack: { botToken: ${SLACK_BOT_TOKEN}, signingSecret: ${SLACK_SIGNING_SECRET} }',
        'email: { smtpUrl: "${SMTP_URL}", from: "x <x@example.com>" }',
      ].join('\n'),
    );
    const err = inputError(() => parse(text, { SLACK_SIGNING_SECRET: '' }));
    expect(err.code).toBe('config.missing_env');
    expect(err.problems).toEqual([
      'HUBSPOT_TOKEN (used at hubspot.token)',
      'SLACK_BOT_TOKEN (used at slack.botToken)',
      'SLACK_SIGNING_SECRET (used at slack.signingSecret)',
      'SMTP_URL (used at email.smtpUrl)',
    ]);
  });

  it('supports defaults, escapes, references inside text and inside flow mappings', () => {
    const config = parse(
      minimalYaml(
        [
          'routing: { fallback: { team: emea } }',
          'server: { port: "${PORT:-8080}", publicUrl: "https://${HOST}/handoff", dashboardToken: "$${NOT_A_VAR}" }',
          'store: { url: "${DB:-sqlite:./data/x.db}" }',
          'slack: { botToken: ${BOT}, appToken: ${APP:-}, signingSecret: ${SIG-fallback}, managersChannel: ${EMPTY-C0X} }',
        ].join('\n'),
      ),
      { ...ENV, HOST: 'example.org', BOT: 'xoxb-abc,def}', EMPTY: '' },
    );
    expect(config.server).toMatchObject({
      port: 8080,
      publicUrl: 'https://example.org/handoff',
      dashboardToken: '${NOT_A_VAR}',
    });
    expect(config.store.url).toBe('sqlite:./data/x.db');
    expect(config.slack).toMatchObject({
      botToken: 'xoxb-abc,def}',
      appToken: null,
      mode: 'http',
      signingSecret: 'fallback',
    });
    // ${VAR-default} falls back only when VAR is unset: EMPTY is set (to ""), and "" means "not set" for optional keys.
    expect(config.slack?.managersChannel).toBeNull();
  });

  it('never prints a value that came from the environment', () => {
    const secret = 'xoxb-very-secret-value';
    const err = inputError(() =>
      parse(minimalYaml('routing: { fallback: { team: emea } }\nalerts: { timezone: "${SLACK_BOT_TOKEN}" }'), {
        ...ENV,
        SLACK_BOT_TOKEN: secret,
      }),
    );
    expect(err.problems.join('\n')).not.toContain(secret);
    expect(err.problems[0]).toMatch(/^alerts\.timezone: unknown time zone "\$\{SLACK_BOT_TOKEN\}"/);
  });

  it('reports a malformed reference', () => {
    const err = inputError(() =>
      parse(minimalYaml('routing: { fallback: { team: emea } }\nserver: { publicUrl: "https://${ HOST }" }')),
    );
    expect(err.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server\.publicUrl: malformed variable reference "\$\{ HOST \}"/),
      ]),
    );
  });
});

describe('describeConfig', () => {
  it('summarises reps, teams, rules, SLA, source, CRM, Slack mode and email without secrets', async () => {
    const { config } = await loadConfig({
      file: 'config/handoff.example.yaml',
      env: { ...EXAMPLE_ENV, SLACK_APP_TOKEN: 'xapp-1-secret' },
      cwd: root,
    });
    const text = describeConfig(config);
    expect(text).toMatch(/^reps\s+6 \(5 active\)$/m);
    expect(text).toMatch(/alice: Europe\/Berlin, Mon-Fri 09:00-17:30, weight 2, capacity 5 open, 20\/day, 1 absence/);
    expect(text).toMatch(/^teams\s+4$/m);
    expect(text).toMatch(/1\. Enterprise: employees ≥ 1000 → enterprise/);
    expect(text).toMatch(/^sla\s+accept within 30m of working time; remind at 50%; escalate after 3 offers/m);
    expect(text).toMatch(
      /^source\s+hubspot: MQL = lifecycle stage "marketingqualifiedlead", score ≥ 40; polling every 30s; webhooks off; detection starts now$/m,
    );
    expect(text).toMatch(/^crm\s+hubspot: owner set on accept/m);
    expect(text).toMatch(/^slack\s+Socket Mode/m);
    expect(text).toMatch(/^email\s+on: 2 manager recipients, 1 marketing recipient$/m);
    for (const value of Object.values(EXAMPLE_ENV)) if (value.length > 5) expect(text).not.toContain(value);
    expect(text).not.toContain('xapp-1-secret');
  });

  it('says email is off without an email section, and hides a database password', () => {
    const config = parse(
      minimalYaml(
        'routing: { fallback: { team: emea } }\nstore: { url: "postgres://handoff:hunter2@db:5432/handoff" }',
      ),
    );
    const text = describeConfig(config);
    expect(text).toMatch(/^email\s+off \(no email section\)$/m);
    expect(text).toMatch(/^slack\s+not configured$/m);
    expect(text).toContain('postgres://handoff:***@db:5432/handoff');
    expect(text).not.toContain('hunter2');
  });
});

describe('YAML conveniences', () => {
  it('anchors and merge keys share rep settings', () => {
    const config = parseConfigText(
      [
        'source: { kind: hubspot }',
        'hubspot: { token: t }',
        'x-rep: &berlin { timezone: Europe/Berlin, hours: "Mon-Fri 08:00-16:00", capacity: { open: 3 } }',
        'reps:',
        '  - { <<: *berlin, id: alice, name: Alice, email: alice@example.com }',
        '  - { <<: *berlin, id: bob, name: Bob, email: bob@example.com, timezone: Europe/London }',
        'teams: [{ id: t, members: [alice, bob] }]',
        'routing: { fallback: { team: t } }',
      ].join('\n'),
      {},
      'anchors.yaml',
    );
    expect(config.reps.map((r) => [r.id, r.timezone, r.capacity.open])).toEqual([
      ['alice', 'Europe/Berlin', 3],
      ['bob', 'Europe/London', 3],
    ]);
  });
});
