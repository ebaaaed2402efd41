import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerConfigCommands } from '../../src/cli/commands/config.js';
import { EXIT_INPUT, reportFailure } from '../../src/cli/context.js';
import type { CliIo } from '../../src/cli/context.js';
import { InputError } from '../../src/domain/errors.js';

const root = path.resolve(import.meta.dirname, '../..');

function harness(env: NodeJS.ProcessEnv, cwd = root) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), env, cwd, isTty: false };
  const program = new Command('handoff').exitOverride();
  registerConfigCommands(program, io);
  const run = async (...args: string[]): Promise<number> => {
    try {
      await program.parseAsync(args, { from: 'user' });
      return 0;
    } catch (e) {
      return reportFailure(e, io);
    }
  };
  return { run, out, err };
}

describe('handoff config', () => {
  it('check prints the summary of a valid file and exits 0', async () => {
    const h = harness({
      HUBSPOT_TOKEN: 'pat-1',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      SMTP_URL: 'smtp://localhost:25',
    });
    expect(await h.run('config', 'check', '-c', 'config/handoff.example.yaml')).toBe(0);
    const text = h.out.join('');
    expect(text).toContain(`${path.join(root, 'config/handoff.example.yaml')}: valid`);
    expect(text).toMatch(/^reps\s+6 \(5 active\)$/m);
    expect(text).toMatch(/^routing\s+3 rules, first match wins; fallback global/m);
    expect(h.err).toEqual([]);
  });

  it('check of a bad file throws InputError; the caller prints every problem and exits 2, without a stack', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'handoff-cli-'));
    await writeFile(
      path.join(dir, 'bad.yaml'),
      [
        'source: { kind: hubspot }',
        'hubspot: { token: t }',
        'reps: [{ id: alice, name: Alice, email: alice@example.com, timezone: Mars/Base }]',
        'teams: [{ id: emea, members: [alice] }]',
        'routing: { rules: [{ when: { country: DE }, team: emaa }] }',
        'rejectionReasons: [{ id: x, label: X }, { id: x, label: Y }]',
      ].join('\n'),
    );
    const h = harness({}, dir);
    expect(await h.run('config', 'check', '-c', 'bad.yaml')).toBe(EXIT_INPUT);
    const text = h.err.join('');
    expect(text).toMatch(/config is invalid \(3 problems\)/);
    expect(text).toContain('reps[0].timezone: unknown time zone "Mars/Base"');
    expect(text).toContain('routing.rules[0].team: unknown team "emaa"');
    expect(text).toContain('rejectionReasons[1].id: duplicate reason id "x"');
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('the example file validates as shipped, with no environment at all', async () => {
    const h = harness({});
    expect(await h.run('config', 'check', '-c', 'config/handoff.example.yaml')).toBe(0);
    expect(h.err).toEqual([]);
  });

  it('check reads HANDOFF_CONFIG and names every missing variable', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'handoff-cli-'));
    const example = await readFile(path.join(root, 'config/handoff.example.yaml'), 'utf8');
    await writeFile(
      path.join(dir, 'handoff.yaml'),
      example
        .replace('${HUBSPOT_TOKEN:-example-hubspot-token}', '${HUBSPOT_TOKEN}')
        .replace('${SMTP_URL:-smtp://localhost:25}', '${SMTP_URL}'),
    );
    const h = harness({ HANDOFF_CONFIG: 'handoff.yaml' }, dir);
    const thrown = await h.run('config', 'check');
    expect(thrown).toBe(EXIT_INPUT);
    expect(h.err.join('')).toContain('environment variables that are not set');
    expect(h.err.join('')).toContain('HUBSPOT_TOKEN (used at hubspot.token)');
    expect(h.err.join('')).toContain('SMTP_URL (used at email.smtpUrl)');
  });

  it('check without any file is config.not_found', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'handoff-cli-'));
    const out: string[] = [];
    const io: CliIo = { out: (t) => void out.push(t), err: () => undefined, env: {}, cwd: dir, isTty: false };
    const program = new Command('handoff').exitOverride();
    registerConfigCommands(program, io);
    const error = await program.parseAsync(['config', 'check'], { from: 'user' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe('config.not_found');
  });

  it('schema prints the JSON Schema that is committed in config/', async () => {
    const h = harness({});
    expect(await h.run('config', 'schema')).toBe(0);
    const printed = h.out.join('');
    expect(JSON.parse(printed)).toMatchObject({ title: 'handoff configuration', type: 'object' });
    expect(printed).toBe(await readFile(path.join(root, 'config/handoff.schema.json'), 'utf8'));
  });
});
