// The intake section: generic and Mautic sources, source.kind intake, crm.kind none — and every mistake in it
// reported at once with its path (exit 2 through `handoff config check`).
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerConfigCommands } from '../../src/cli/commands/config.js';
import { EXIT_INPUT, reportFailure, type CliIo } from '../../src/cli/context.js';
import { describeConfig } from '../../src/config/index.js';
import { ENV, inputError, minimalYaml, parse } from './helpers.js';

const intakeOnly = (intake: string, extra = ''): string =>
  [
    'source: { kind: intake }',
    'reps: [{ id: alice, name: Alice, email: alice@example.com }]',
    'teams: [{ id: emea, members: [alice] }]',
    'routing: { fallback: { team: emea } }',
    intake,
    extra,
  ].join('\n');

const FORMS = `  - id: forms
    secret: \${FORMS_SECRET}
    idempotencyKey: { field: eventId }
    fields: { email: contact.email, score: score, company: org.name }
    mql: { score: { gte: 80 } }
    callback: { url: "https://forms.example.com/decisions" }`;

const env = { ...ENV, FORMS_SECRET: 'forms-secret-123' };

describe('intake config', () => {
  it('an intake-only setup: nothing polled, crm none by default, mautic gets its field paths', () => {
    const c = parse(
      intakeOnly(`intake:\n${FORMS}\n  - { id: mautic, preset: mautic, secret: m, threshold: 100 }`),
      env,
    );
    expect(c.source.kind).toBe('intake');
    expect(c.crm.kind).toBe('none');
    expect(c.crm.onAccept.set).toEqual({});
    const [forms, mautic] = c.intake;
    expect(forms).toMatchObject({
      id: 'forms',
      preset: 'generic',
      secret: 'forms-secret-123',
      idempotencyKey: { field: 'eventId' },
      fields: { email: 'contact.email', score: 'score', company: 'org.name' },
      mql: { kind: 'compare', field: 'score', op: 'gte', value: 80 },
      callback: { url: 'https://forms.example.com/decisions' },
      maxBatch: 100,
    });
    expect(mautic).toMatchObject({
      preset: 'mautic',
      threshold: 100,
      mql: null,
      fields: { email: 'contact.fields.core.email.value', score: 'points.new_points', mqlAt: 'timestamp' },
    });
    const text = describeConfig(c);
    expect(text).toContain('intake only (nothing is polled)');
    expect(text).toMatch(
      /POST \/intake\/forms \(generic\); MQL = score ≥ 80|POST \/intake\/forms \(generic\); MQL = .*score/,
    );
  });

  it('beside a HubSpot source: the CRM stays HubSpot', () => {
    const c = parse(minimalYaml(`routing: { fallback: { team: emea } }\nintake:\n${FORMS}`), env);
    expect(c.source.kind).toBe('hubspot');
    expect(c.crm.kind).toBe('hubspot');
    expect(c.intake).toHaveLength(1);
  });

  it('reports every mistake in the section at once, each with its path', () => {
    const err = inputError(() =>
      parse(
        intakeOnly(
          [
            'intake:',
            '  - id: "bad id"',
            '    secret: ""',
            '    fields: { score: "a..b", colour: x }',
            '    mql: { score: { gte: high } }',
            '    callback: { url: not-a-url }',
            '    maxBatch: 0',
            '  - { id: forms, secret: s, idempotencyKey: { field: id }, fields: { email: e }, mql: { employees: { gt: 5 } } }',
            '  - { id: forms, secret: s, idempotencyKey: { field: id }, fields: { email: e } }',
            '  - { id: m, preset: mautic, secret: s, idempotencyKey: { header: X-Id }, mql: { score: { gte: 1 } } }',
            '  - { id: q, preset: hubspot, secret: s }',
          ].join('\n'),
        ),
        env,
      ),
    );
    const text = err.problems.join('\n');
    for (const expected of [
      'intake[0].id:',
      'intake[0].secret: must not be empty',
      'intake[0].fields.score: expected a dotted path',
      'intake[0].fields.colour: unknown key',
      'intake[0].mql.score.gte',
      'intake[0].callback.url: expected a URL',
      'intake[0].maxBatch',
      'intake[0].idempotencyKey: a generic intake source needs idempotencyKey',
      'intake[0].fields.email: a generic intake source must map email',
      'intake[1].mql.employees: field "employees" is not mapped by this intake source',
      'intake[2].id: duplicate intake source id "forms"',
      'intake[3].threshold: preset mautic needs the points threshold',
      'intake[3].idempotencyKey: preset mautic uses the contact id and the event time',
      'intake[3].mql: preset mautic uses threshold',
      'intake[4].preset',
    ])
      expect(text).toContain(expected);
  });

  it('source.kind intake needs an intake source; crm.kind is checked', () => {
    const none = inputError(() => parse(intakeOnly('')));
    expect(none.problems.join('\n')).toContain('intake: required because source.kind is intake');
    const crm = inputError(() => parse(intakeOnly(`intake:\n${FORMS}`, 'crm: { kind: pipedrive }'), env));
    expect(crm.problems.join('\n')).toMatch(/crm\.kind:.*none/);
  });

  it('`handoff config check` exits 2 and names each problem with its path', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'handoff-intake-'));
    await writeFile(
      path.join(dir, 'bad.yaml'),
      intakeOnly('intake:\n  - { id: forms, secret: s, fields: { score: 1 }, threshold: 3 }'),
    );
    const out: string[] = [];
    const errs: string[] = [];
    const io: CliIo = { out: (t) => void out.push(t), err: (t) => void errs.push(t), env: {}, cwd: dir, isTty: false };
    const program = new Command('handoff').exitOverride();
    registerConfigCommands(program, io);
    const code = await program.parseAsync(['config', 'check', '-c', 'bad.yaml'], { from: 'user' }).then(
      () => 0,
      (e: unknown) => reportFailure(e, io),
    );
    expect(code).toBe(EXIT_INPUT);
    const text = errs.join('');
    expect(text).toContain('intake[0].fields.score');
    expect(text).toContain('intake[0].idempotencyKey');
    expect(text).toContain('intake[0].fields.email');
    expect(text).toContain('intake[0].threshold: is for preset mautic');
    expect(text).not.toMatch(/\n\s+at /);
  });
});
