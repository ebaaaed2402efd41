// Where people decide: chat: slack | teams | email per rep and manager, with defaults from what is configured,
// Teams channels as message addresses, and every mistake reported at once with its path.
import { describe, expect, it } from 'vitest';
import { ENV, inputError, parse } from './helpers.js';

const base = (people: string, extra = ''): string =>
  [
    'source: { kind: hubspot }',
    'hubspot: { token: ${HUBSPOT_TOKEN} }',
    people,
    'teams: [{ id: emea, members: [alice, bob] }]',
    'routing: { fallback: { team: emea } }',
    extra,
  ].join('\n');

const SECRET = 'x'.repeat(40);
const TEAMS = 'msteams: { appId: 00000000-0000-0000-0000-000000000001, appPassword: pw }';
const SLACK = 'slack: { botToken: xoxb-1, signingSecret: s }';

describe('chat platforms in config', () => {
  it('defaults each person to the platform whose id is set, else the one configured', () => {
    const c = parse(
      base(
        [
          'reps:',
          '  - { id: alice, name: Alice, email: alice@example.com, slackUserId: U1 }',
          '  - { id: bob, name: Bob, email: bob@example.com, teamsUserId: 11111111-2222-3333-4444-555555555555 }',
          '  - { id: chen, name: Chen, email: chen@example.com }',
          '  - { id: dana, name: Dana, email: dana@example.com, chat: email }',
          'managers: [{ id: maria, name: Maria, email: maria@example.com, chat: teams }]',
        ].join('\n'),
        [
          TEAMS,
          SLACK,
          `email: { smtpUrl: "smtp://127.0.0.1:2525", from: "H <h@example.com>", linkSecret: ${SECRET} }`,
          'server: { publicUrl: https://handoff.example.com }',
        ].join('\n'),
      ),
    );
    expect(c.reps.map((r) => [r.id, r.chat])).toEqual([
      ['alice', 'slack'],
      ['bob', 'teams'],
      ['chen', 'slack'],
      ['dana', 'email'],
    ]);
    expect(c.reps[1]?.teamsUserId).toBe('11111111-2222-3333-4444-555555555555');
    expect(c.managers[0]?.chat).toBe('teams');
    expect(c.email?.linkSecret).toBe(SECRET);
    expect(c.msteams).toMatchObject({ appId: '00000000-0000-0000-0000-000000000001', tenantId: null });
  });

  it('a Teams-only setup puts everyone in Teams and keeps channels as Teams addresses', () => {
    const c = parse(
      [
        'source: { kind: hubspot }',
        'hubspot: { token: ${HUBSPOT_TOKEN} }',
        'reps: [{ id: alice, name: Alice, email: alice@example.com }]',
        'teams: [{ id: emea, members: [alice], teamsChannel: "19:emea@thread.tacv2" }]',
        'routing: { fallback: { team: emea } }',
        'msteams: { appId: app-1, appPassword: pw, managersChannel: "19:mgrs@thread.tacv2" }',
      ].join('\n'),
    );
    expect(c.reps[0]?.chat).toBe('teams');
    expect(c.teams[0]?.channel).toBe('teams:19:emea@thread.tacv2');
    expect(c.msteams?.managersChannel).toBe('teams:19:mgrs@thread.tacv2');
  });

  it('reports every missing section, secret and clash at once, with paths', () => {
    const err = inputError(() =>
      parse(
        base(
          [
            'reps:',
            '  - { id: alice, name: Alice, email: alice@example.com, chat: teams }',
            '  - { id: bob, name: Bob, email: bob@example.com, chat: email }',
            'managers: [{ id: maria, name: Maria, email: maria@example.com, chat: slack }]',
          ].join('\n'),
          [
            'email: { smtpUrl: "smtp://127.0.0.1:2525", from: "H <h@example.com>" }',
            'teams: [{ id: emea, members: [alice, bob], channel: C1, teamsChannel: "19:x@thread.tacv2" }]',
          ].join('\n'),
        ).replace('teams: [{ id: emea, members: [alice, bob] }]\n', ''),
        ENV,
      ),
    );
    expect(err.problems.map((p) => p.replace(/ \(line \d+\)$/, ''))).toEqual(
      expect.arrayContaining([
        'reps[0].chat: chat: teams needs the msteams section',
        'email.linkSecret: required because reps[1] decides by email',
        'server.publicUrl: required because reps[1] decides by email (decision links point at it)',
        'managers[0].chat: chat: slack needs the slack section',
        'teams[0].teamsChannel: a team has one channel: set channel (Slack) or teamsChannel, not both',
        'teams[0].channel: a Slack channel needs the slack section',
        'teams[0].teamsChannel: a Teams channel needs the msteams section',
      ]),
    );
  });

  it('refuses a short link secret and a managers channel on two platforms', () => {
    const err = inputError(() =>
      parse(
        base(
          'reps: [{ id: alice, name: Alice, email: alice@example.com }, { id: bob, name: Bob, email: bob@example.com }]',
          [
            'email: { smtpUrl: "smtp://127.0.0.1:2525", from: "H <h@example.com>", linkSecret: short }',
            'slack: { botToken: xoxb-1, signingSecret: s, managersChannel: C0MGRS }',
            'msteams: { appId: app-1, appPassword: pw, managersChannel: "19:m@thread.tacv2" }',
          ].join('\n'),
        ),
      ),
    );
    expect(err.problems.map((p) => p.replace(/ \(line \d+\)$/, ''))).toEqual(
      expect.arrayContaining([
        'email.linkSecret: must be at least 32 characters (it signs decision links)',
        'msteams.managersChannel: set in slack too: managers have one channel, on one platform',
      ]),
    );
  });
});
