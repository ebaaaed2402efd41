import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/domain/duration.js';
import { DEFAULT_HISTORY } from '../../src/config/index.js';
import { ENV, inputError, minimalYaml, parse } from './helpers.js';

const withFallback = (extra = '') => minimalYaml(`routing: { fallback: { team: emea } }\n${extra}`);

describe('defaults', () => {
  it('fills every section of a minimal HubSpot config', () => {
    const c = parse(withFallback());
    expect(c.store.url).toBe('sqlite:./data/handoff.db');
    expect(c.server).toEqual({ port: 3000, host: '0.0.0.0', publicUrl: null, dashboardToken: null });
    expect(c.source).toEqual({
      kind: 'hubspot',
      pollEvery: 30_000,
      overlap: 120_000,
      startFrom: { kind: 'now' },
      mql: {
        lifecycleStage: 'marketingqualifiedlead',
        status: null,
        minScore: null,
        dateField: 'hs_lifecyclestage_marketingqualifiedlead_date',
      },
      hot: null,
    });
    expect(c.crm.kind).toBe('hubspot');
    expect(c.crm.assignOwnerOn).toBe('accept');
    expect(c.crm.onReject.note).toBe(true);
    expect(c.crm.onAccept.note).toBe(false);
    expect(c.crm.onRecycle.set).toEqual({});
    expect(c.fields.score).toBe('hubspotscore');
    expect(c.hubspot).toEqual({
      token: ENV.HUBSPOT_TOKEN,
      baseUrl: 'https://api.hubapi.com',
      portalId: null,
      webhookSecret: null,
      rateLimit: 100,
    });
    expect(c.salesforce).toBeNull();
    expect(c.slack).toBeNull();
    expect(c.email).toBeNull();
    expect(c.reps[1]).toEqual({
      id: 'bob',
      name: 'Bob',
      email: 'bob@example.com',
      chat: 'slack',
      timezone: 'UTC',
      hours: { windows: [{ days: [1, 2, 3, 4, 5], start: 540, end: 1020 }] },
      capacity: {},
      weight: 1,
      away: [],
      active: true,
    });
    expect(c.teams[0]).toEqual({ id: 'emea', members: ['alice', 'bob'], strategy: 'round-robin' });
    expect(c.routing).toEqual({
      ownerMatch: { enabled: true, skipFreeEmailDomains: true },
      rules: [],
      fallback: { team: 'emea' },
    });
    expect(c.sla).toEqual({
      acceptWithin: 1_800_000,
      remindAt: 0.5,
      maxOffers: 3,
      holidays: [],
      routeOutsideHours: true,
    });
    expect(c.rejectionReasons.map((r) => r.id)).toEqual(['not_icp', 'bad_timing', 'no_contact', 'duplicate', 'other']);
    expect(c.alerts).toMatchObject({
      backlog: { pendingOver: 20 },
      cooldown: 7_200_000,
      quietHours: { start: 1320, end: 420 },
      timezone: 'UTC',
    });
    expect(c.digests.managers).toEqual({ cron: '0 8 * * 1-5', timezone: 'UTC', via: [] });
    expect(c.history).toEqual(DEFAULT_HISTORY.hubspot);
  });

  it('a Salesforce-only config needs no hubspot section and gets Salesforce defaults', () => {
    const c = parse(
      [
        'source: { kind: salesforce, mql: { status: MQL, minScore: 50 } }',
        'fields: { score: Lead_Score__c }',
        'salesforce: { auth: { flow: client_credentials, clientId: ${SF_ID}, clientSecret: ${SF_SECRET} } }',
        'reps: [{ id: a, name: A, email: a@example.com }]',
        'teams: [{ id: t, members: [a] }]',
        'routing: { fallback: { team: t } }',
      ].join('\n'),
      { SF_ID: 'id', SF_SECRET: 'secret' },
    );
    expect(c.hubspot).toBeNull();
    expect(c.salesforce).toEqual({
      loginUrl: 'https://login.salesforce.com',
      apiVersion: '62.0',
      auth: { flow: 'client_credentials', clientId: 'id', clientSecret: 'secret' },
    });
    expect(c.source.mql).toEqual({ lifecycleStage: null, status: 'MQL', minScore: 50, dateField: null });
    expect(c.crm.kind).toBe('salesforce');
    expect(c.crm.onReject.set).toEqual({ Status: 'Closed - Not Converted' });
    expect(c.fields).toMatchObject({ title: 'Title', employees: 'NumberOfEmployees', score: 'Lead_Score__c' });
    expect(c.history).toEqual(DEFAULT_HISTORY.salesforce);
  });

  it('HubSpot as source with Salesforce as CRM needs both sections', () => {
    const err = inputError(() => parse(withFallback('crm: { kind: salesforce }')));
    expect(err.problems).toEqual([expect.stringMatching(/^salesforce: required because crm\.kind is salesforce/)]);
  });

  it('salesforce jwt and password flows', () => {
    const base = (auth: string) =>
      `source: { kind: salesforce }\nsalesforce: { apiVersion: 61, auth: ${auth} }\nreps: [{ id: a, name: A, email: a@example.com }]\nteams: [{ id: t, members: [a] }]\nrouting: { fallback: { team: t } }`;
    const jwt = parse(base('{ flow: jwt, clientId: c, username: u@example.com, privateKeyFile: keys/sf.pem }'), {});
    expect(jwt.salesforce?.apiVersion).toBe('61.0');
    expect(jwt.salesforce?.auth).toEqual({
      flow: 'jwt',
      clientId: 'c',
      username: 'u@example.com',
      privateKey: null,
      privateKeyFile: '/cfg/keys/sf.pem',
    });
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIB: {x}, y\n-----END PRIVATE KEY-----';
    const fromEnv = parse(base('{ flow: jwt, clientId: c, username: u, privateKey: ${SF_KEY} }'), { SF_KEY: pem });
    expect(fromEnv.salesforce?.auth).toMatchObject({ privateKey: pem, privateKeyFile: null });
    const pw = parse(base('{ flow: password, clientId: c, clientSecret: s, username: u, password: p }'), {});
    expect(pw.salesforce?.auth).toEqual({
      flow: 'password',
      clientId: 'c',
      clientSecret: 's',
      username: 'u',
      password: 'p',
      securityToken: null,
    });

    expect(inputError(() => parse(base('{ flow: jwt, clientId: c, username: u }'), {})).problems).toEqual([
      expect.stringMatching(/^salesforce\.auth\.privateKey: the jwt flow needs privateKey or privateKeyFile/),
    ]);
    expect(inputError(() => parse(base('{ flow: oauth, clientId: c }'), {})).problems).toEqual([
      expect.stringMatching(/^salesforce\.auth\.flow: /),
    ]);
  });

  it('slack mode, email recipients and digest channels follow what is configured', () => {
    const c = parse(
      withFallback(
        [
          'managers: [{ id: m, name: M, email: m@example.com }]',
          'slack: { botToken: xoxb-1, appToken: xapp-1 }',
          'email: { smtpUrl: "smtp://127.0.0.1:2525", from: "H <h@example.com>" }',
          'digests: { managers: { cron: "0 8 * * 1-5", via: [email] }, marketing: false }',
        ].join('\n'),
      ),
    );
    expect(c.slack).toMatchObject({ mode: 'socket', signingSecret: null, apiUrl: 'https://slack.com/api/' });
    expect(c.email).toEqual({
      smtpUrl: 'smtp://127.0.0.1:2525',
      from: 'H <h@example.com>',
      managers: ['m@example.com'],
      marketing: [],
      linkSecret: null,
    });
    expect(c.digests).toEqual({ managers: { cron: '0 8 * * 1-5', timezone: 'UTC', via: ['email'] }, marketing: null });
    expect(inputError(() => parse(withFallback('slack: { botToken: xoxb-1 }'))).problems).toEqual([
      expect.stringMatching(/^slack\.signingSecret: HTTP mode needs signingSecret/),
    ]);
  });

  it('alerts can be turned off one by one', () => {
    const c = parse(withFallback('alerts: { lull: false, conversion: { belowPercent: "40%" }, quietHours: false }'));
    expect(c.alerts.lull).toBeNull();
    expect(c.alerts.conversion).toEqual({ window: 7 * 86_400_000, belowPercent: 40, minMqls: 10 });
    expect(c.alerts.quietHours).toBeNull();
  });
});

describe('durations and percentages', () => {
  it('durations become milliseconds', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('4h')).toBe(14_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('30')).toBeNull();
    const c = parse(
      withFallback('sla: { acceptWithin: 1h30m }').replace(
        'source: { kind: hubspot }',
        'source: { kind: hubspot, pollEvery: 15s, hot: { when: { score: { gte: 90 } }, acceptWithin: 45s } }',
      ),
    );
    expect(c.sla.acceptWithin).toBe(5_400_000);
    expect(c.source.pollEvery).toBe(15_000);
    expect(c.source.hot).toEqual({
      when: { kind: 'compare', field: 'score', op: 'gte', value: 90 },
      acceptWithin: 45_000,
    });
  });

  it('rejects what is not a positive duration', () => {
    for (const bad of ['30', '0s', 'fast', '-5m', '5 minutes']) {
      expect(inputError(() => parse(withFallback(`sla: { acceptWithin: "${bad}" }`))).problems, bad).toEqual([
        expect.stringMatching(/^sla\.acceptWithin: .*(not a duration|not a positive duration)/),
      ]);
    }
  });

  it('remindAt: "50%" → 0.5, a fraction is kept, false means no reminder', () => {
    expect(parse(withFallback('sla: { remindAt: 75% }')).sla.remindAt).toBe(0.75);
    expect(parse(withFallback('sla: { remindAt: 0.25 }')).sla.remindAt).toBe(0.25);
    expect(parse(withFallback('sla: { remindAt: false }')).sla.remindAt).toBeNull();
    expect(inputError(() => parse(withFallback('sla: { remindAt: 100% }'))).problems[0]).toMatch(/^sla\.remindAt: /);
  });

  it('startFrom: now, a duration back, a date or a date-time', () => {
    const start = (v: string) =>
      parse(withFallback().replace('source: { kind: hubspot }', `source: { kind: hubspot, startFrom: "${v}" }`)).source
        .startFrom;
    expect(start('now')).toEqual({ kind: 'now' });
    expect(start('2h')).toEqual({ kind: 'ago', ms: 7_200_000 });
    expect(start('2026-11-01')).toEqual({ kind: 'at', at: Date.UTC(2026, 10, 1) });
    expect(start('2026-11-01T08:30:00+01:00')).toEqual({ kind: 'at', at: Date.UTC(2026, 10, 1, 7, 30) });
    expect(inputError(() => start('yesterday')).problems[0]).toMatch(
      /^source\.startFrom: "yesterday" is not now, a duration/,
    );
    expect(inputError(() => start('2026-13-01')).problems[0]).toMatch(/^source\.startFrom: /);
  });

  it('away ranges and holidays are real dates in order', () => {
    const err = inputError(() =>
      parse(
        withFallback('sla: { holidays: [2026-12-25, 2026-12-32] }').replace(
          'timezone: Europe/Berlin',
          'timezone: Europe/Berlin, away: [{ from: 2026-12-22, to: 2026-12-01 }]',
        ),
      ),
    );
    expect(err.problems).toEqual([
      expect.stringMatching(/^reps\[0\]\.away\[0\]\.to: "to" is before "from"/),
      expect.stringMatching(/^sla\.holidays\[1\]: "2026-12-32" is not a date/),
    ]);
  });
});

describe('write-back templates', () => {
  it('accepts the known names and rejects a misspelt one', () => {
    const c = parse(
      withFallback(
        'crm: { onAccept: { set: { handoff_rep: "{{rep.name}} <{{ rep.email }}>", handoff_decided_at: "{{decidedAt}}" } } }',
      ),
    );
    expect(c.crm.onAccept.set).toEqual({
      handoff_rep: '{{rep.name}} <{{ rep.email }}>',
      handoff_decided_at: '{{decidedAt}}',
    });
    const err = inputError(() =>
      parse(withFallback('crm: { onReject: { set: { handoff_rejection_reason: "{{reasn.id}}", n: 3 } } }')),
    );
    expect(err.problems).toEqual([
      expect.stringMatching(
        /^crm\.onReject\.set\.handoff_rejection_reason: unknown template variable \{\{reasn\.id\}\} \(did you mean "reason\.id"\?\)/,
      ),
    ]);
  });
});
