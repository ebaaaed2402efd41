// Malformed config files, as an admin would meet them: `handoff config check -c FILE`. Every one must exit 2 with a
// message on stderr that names the problem, and never print a stack trace. Every generated case runs in-process
// through the command tree and failure reporting that bin.ts runs; one case of each kind also runs through the built
// `node dist/src/cli/bin.js` (a process start costs about a second here). Needs the build (`npm test` builds first).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CommanderError } from 'commander';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { reportFailure, type CliIo } from '../../src/cli/context.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'dist/src/cli/bin.js');
const ENV = {
  HUBSPOT_TOKEN: 'pat-test',
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'signing',
  SMTP_URL: 'smtp://127.0.0.1:2525',
};

type Doc = Record<string, unknown>;

/** A valid file that uses every section; each case breaks one thing in a copy of it. */
function validDoc(): Doc {
  return {
    store: { url: 'sqlite:./data/handoff.db' },
    server: { port: 3000, publicUrl: 'https://handoff.example.com' },
    source: {
      kind: 'hubspot',
      pollEvery: '30s',
      startFrom: 'now',
      mql: { lifecycleStage: 'marketingqualifiedlead' },
      hot: { when: { score: { gte: 90 } }, acceptWithin: '5m' },
    },
    crm: {
      assignOwnerOn: 'accept',
      onAccept: { set: { hs_lead_status: 'OPEN' } },
      onReject: { set: { hs_lead_status: 'UNQUALIFIED' }, note: true },
    },
    hubspot: { token: '${HUBSPOT_TOKEN}', portalId: 123 },
    slack: { botToken: '${SLACK_BOT_TOKEN}', signingSecret: '${SLACK_SIGNING_SECRET}', managersChannel: 'C0MGRS' },
    email: { smtpUrl: '${SMTP_URL}', from: 'Lead hand-off <handoff@example.com>', managers: ['maria@example.com'] },
    reps: [
      {
        id: 'alice',
        name: 'Alice Martin',
        email: 'alice@example.com',
        slackUserId: 'U01',
        timezone: 'Europe/Berlin',
        hours: 'Mon-Fri 09:00-17:30',
        capacity: { open: 5, perDay: 20 },
        weight: 2,
      },
      { id: 'bruno', name: 'Bruno Rossi', email: 'bruno@example.com', slackUserId: 'U02', timezone: 'Europe/Rome' },
    ],
    managers: [{ id: 'maria', name: 'Maria Ruiz', email: 'maria@example.com', slackUserId: 'U09' }],
    teams: [{ id: 'emea', members: ['alice', 'bruno'], strategy: 'round-robin', manager: 'maria', channel: 'C0EMEA' }],
    routing: {
      rules: [{ name: 'EMEA', when: { country: { in: ['DE', 'FR'] } }, team: 'emea' }],
      fallback: { team: 'emea' },
    },
    sla: { acceptWithin: '30m', remindAt: '50%', maxOffers: 3, holidays: ['2026-12-25'] },
    rejectionReasons: [
      { id: 'not_icp', label: 'Not our ideal customer' },
      { id: 'bad_timing', label: 'Bad timing', recycle: true },
    ],
    digests: { managers: { cron: '0 8 * * 1-5', timezone: 'Europe/Berlin', via: ['slack', 'email'] } },
  };
}

/** Sets `value` at a dotted path ("reps.0.timezone"); `undefined` deletes the key. */
function setPath(doc: Doc, path: string, value: unknown): Doc {
  const copy = structuredClone(doc);
  const keys = path.split('.');
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

interface Case {
  /** Which family of mistakes (one of each runs through the built binary). */
  kind: string;
  name: string;
  /** File text, or null when the path itself is the problem (see `file`). */
  text: string | null;
  /** A path to pass instead of the written file. */
  file?: string;
  env?: Record<string, string>;
}

/** Values of the wrong type for whatever sits at a path. */
const WRONG_VALUES: unknown[] = [42, true, ['a', 'b'], { nested: 1 }, null, -7.5, ''];

/** Paths and what kind of value belongs there, for the wrong-type cases. */
const TYPED_PATHS = [
  'store.url',
  'server.port',
  'server.publicUrl',
  'source.kind',
  'source.pollEvery',
  'source.mql',
  'source.hot.acceptWithin',
  'crm.assignOwnerOn',
  'crm.onAccept.set',
  'crm.onReject.note',
  'hubspot.token',
  'hubspot.portalId',
  'slack.managersChannel',
  'email.managers',
  'reps.0.email',
  'reps.0.capacity.open',
  'reps.0.weight',
  'reps.0.hours',
  'reps',
  'managers',
  'teams.0.members',
  'teams.0.strategy',
  'routing.rules',
  'routing.rules.0.when',
  'routing.fallback',
  'sla.maxOffers',
  'sla.remindAt',
  'sla.holidays',
  'rejectionReasons',
  'rejectionReasons.1.recycle',
  'digests.managers.via',
  'digests.managers.cron',
];

function generateCases(dir: string): Case[] {
  const cases: Case[] = [];
  const yaml = (doc: Doc): string => stringify(doc);
  const base = validDoc();

  // Wrong types: each path gets a value of another type (the k-th wrong value for the k-th path, cycling).
  TYPED_PATHS.forEach((path, k) => {
    let value = WRONG_VALUES[k % WRONG_VALUES.length];
    // A list is right for some paths; a mapping for others: pick the next wrong value instead.
    const current = path.split('.').reduce<unknown>((n, key) => (n as Record<string, unknown>)[key], base);
    if (Array.isArray(current) === Array.isArray(value) && typeof current === typeof value)
      value = WRONG_VALUES[(k + 1) % WRONG_VALUES.length];
    if (typeof current === 'number' && typeof value === 'number') value = 'many';
    cases.push({
      kind: 'wrong type',
      name: `wrong type at ${path}: ${JSON.stringify(value)}`,
      text: yaml(setPath(base, path, value)),
    });
  });

  // Unknown keys, at the top and deep down (typos an admin makes).
  for (const [path, key] of [
    ['', 'stor'],
    ['', 'routes'],
    ['source', 'pollEvry'],
    ['sla', 'acceptWithn'],
    ['reps.0', 'timeZone'],
    ['teams.0', 'strategey'],
    ['routing.rules.0', 'teams'],
    ['hubspot', 'apiKey'],
    ['slack', 'channel'],
    ['digests.managers', 'tz'],
  ] as const) {
    const doc = structuredClone(base);
    const node =
      path === ''
        ? doc
        : (path.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], doc) as Record<
            string,
            unknown
          >);
    node[key] = 'x';
    cases.push({ kind: 'unknown key', name: `unknown key ${path ? `${path}.` : ''}${key}`, text: yaml(doc) });
  }

  // Bad durations.
  for (const [path, value] of [
    ['source.pollEvery', '5 minutes'],
    ['source.pollEvery', '-1s'],
    ['source.pollEvery', '0s'],
    ['sla.acceptWithin', '15x'],
    ['sla.acceptWithin', '15 m'],
    ['source.hot.acceptWithin', 'soon'],
    ['sla.remindAt', '150%'],
    ['source.startFrom', 'yesterday'],
  ] as const) {
    cases.push({
      kind: 'bad duration',
      name: `bad duration ${path}: ${value}`,
      text: yaml(setPath(base, path, value)),
    });
  }

  // Broken references: unknown teams, reps, managers, reasons.
  cases.push({
    kind: 'broken reference',
    name: 'rule routes to an unknown team',
    text: yaml(setPath(base, 'routing.rules.0.team', 'emaa')),
  });
  cases.push({
    kind: 'broken reference',
    name: 'fallback to an unknown team',
    text: yaml(setPath(base, 'routing.fallback.team', 'global')),
  });
  cases.push({
    kind: 'broken reference',
    name: 'team member is not a rep',
    text: yaml(setPath(base, 'teams.0.members', ['alice', 'zoe'])),
  });
  cases.push({
    kind: 'broken reference',
    name: 'team manager is unknown',
    text: yaml(setPath(base, 'teams.0.manager', 'mario')),
  });
  cases.push({ kind: 'broken reference', name: 'duplicate rep id', text: yaml(setPath(base, 'reps.1.id', 'alice')) });
  cases.push({
    kind: 'broken reference',
    name: 'duplicate reason id',
    text: yaml(setPath(base, 'rejectionReasons.1.id', 'not_icp')),
  });
  cases.push({
    kind: 'broken reference',
    name: 'rule on an unknown field',
    text: yaml(setPath(base, 'routing.rules.0.when', { contry: { eq: 'DE' } })),
  });
  cases.push({
    kind: 'broken reference',
    name: 'condition with an unknown operator',
    text: yaml(setPath(base, 'routing.rules.0.when', { country: { like: 'D%' } })),
  });
  cases.push({
    kind: 'broken reference',
    name: 'numeric operator on text',
    text: yaml(setPath(base, 'source.hot.when', { score: { gte: 'high' } })),
  });
  cases.push({
    kind: 'broken reference',
    name: 'regex that does not compile',
    text: yaml(setPath(base, 'routing.rules.0.when', { company: { matches: '([a-z' } })),
  });

  // Bad values of the right type.
  for (const [path, value] of [
    ['reps.0.timezone', 'Mars/Base'],
    ['reps.0.hours', 'Mon-Fri 9-5'],
    ['reps.0.hours', 'Moon-Fri 09:00-17:00'],
    ['reps.0.email', 'not-an-email'],
    ['sla.holidays', ['2026-02-30']],
    ['digests.managers.cron', '0 25 * * *'],
    ['digests.managers.timezone', 'Berlin'],
    ['source.kind', 'pipedrive'],
    ['teams.0.strategy', 'random'],
    ['server.port', 70000],
    ['store.url', 'mysql://db/handoff'],
    ['sla.maxOffers', 0],
    ['reps.0.id', 'alice smith'],
  ] as const) {
    cases.push({
      kind: 'bad value',
      name: `bad value ${path}: ${JSON.stringify(value)}`,
      text: yaml(setPath(base, path, value)),
    });
  }

  // Missing sections and environment variables.
  cases.push({ kind: 'missing', name: 'no reps', text: yaml(setPath(base, 'reps', undefined)) });
  cases.push({ kind: 'missing', name: 'no source', text: yaml(setPath(base, 'source', undefined)) });
  cases.push({
    kind: 'missing',
    name: 'hubspot source without the hubspot section',
    text: yaml(setPath(base, 'hubspot', undefined)),
  });
  cases.push({
    kind: 'missing',
    name: 'an environment variable that is not set',
    text: yaml(setPath(base, 'hubspot.token', '${HUBSPOT_TOKEN_TYPO}')),
  });
  cases.push({ kind: 'missing', name: 'every secret missing from the environment', text: yaml(base), env: {} });
  cases.push({
    kind: 'missing',
    name: 'malformed ${ reference',
    text: yaml(setPath(base, 'hubspot.token', '${HUBSPOT TOKEN}')),
  });

  // Broken YAML and files that are not a config at all.
  const good = yaml(base);
  cases.push({ kind: 'not a config', name: 'unclosed flow mapping', text: 'source: { kind: hubspot\nreps: []\n' });
  cases.push({
    kind: 'not a config',
    name: 'unclosed quote',
    text: good.replace('name: Alice Martin', 'name: "Alice Martin'),
  });
  cases.push({
    kind: 'not a config',
    name: 'bad indentation',
    text: good.replace('\nserver:\n  port: 3000\n', '\nserver:\n  port: 3000\n publicUrl: https://x.example\n'),
  });
  cases.push({ kind: 'not a config', name: 'tab indentation', text: good.replace(/\n {2}(\S)/, '\n\t$1') });
  cases.push({ kind: 'not a config', name: 'duplicate key', text: `${good}source: { kind: salesforce }\n` });
  cases.push({ kind: 'not a config', name: 'two documents', text: `${good}---\n${good}` });
  cases.push({ kind: 'not a config', name: 'empty file', text: '' });
  cases.push({ kind: 'not a config', name: 'only a comment', text: '# nothing here\n' });
  cases.push({ kind: 'not a config', name: 'a list at the top', text: '- store\n- source\n' });
  cases.push({ kind: 'not a config', name: 'a scalar at the top', text: 'handoff\n' });
  cases.push({
    kind: 'not a config',
    name: 'binary garbage',
    text: Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 256)).toString('latin1'),
  });
  cases.push({ kind: 'not a config', name: 'JSON with a trailing comma', text: '{"source": {"kind": "hubspot"},}' });
  cases.push({
    kind: 'not a config',
    name: 'deeply nested lists',
    text: `source: ${'['.repeat(2000)}${']'.repeat(2000)}\n`,
  });
  cases.push({
    kind: 'not a config',
    name: 'an alias bomb',
    text: `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from(
      { length: 9 },
      (_, i) =>
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(', ')}]`,
    ).join('\n')}\n`,
  });
  cases.push({ kind: 'not a config', name: 'an undefined alias', text: `${good}extra: *nowhere\n` });

  // The path itself is wrong.
  cases.push({ kind: 'bad path', name: 'file does not exist', text: null, file: join(dir, 'missing.yaml') });
  const sub = join(dir, 'a-directory.yaml');
  mkdirSync(sub);
  cases.push({ kind: 'bad path', name: 'path is a directory', text: null, file: sub });
  return cases;
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function check(file: string, env: Record<string, string>, cwd: string): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'config', 'check', '-c', file], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** The same command tree and failure reporting as bin.ts, in this process. */
async function checkInProcess(file: string, env: Record<string, string>, cwd: string): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    env: { ...env },
    cwd,
    isTty: false,
  };
  let code: number;
  try {
    await buildProgram(io).parseAsync(['node', 'handoff', 'config', 'check', '-c', file]);
    code = 0;
  } catch (err) {
    code = err instanceof CommanderError ? 2 : reportFailure(err, io);
  }
  return { code, stdout, stderr };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
    }),
  );
  return out;
}

describe('malformed config files through `handoff config check`', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    dir = mkdtempSync(join(tmpdir(), 'handoff-bad-config-'));
    mkdirSync(join(dir, 'bin'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts the valid file every case starts from', async () => {
    const file = join(dir, 'valid.yaml');
    writeFileSync(file, stringify(validDoc()));
    const result = await check(file, ENV, dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(': valid');
  });

  const judge = (outcomes: { c: Case; result: Outcome }[]): void => {
    const bad = outcomes
      .filter(
        ({ result }) =>
          result.code !== 2 ||
          !/^handoff: /m.test(result.stderr) ||
          /^\s+at /m.test(result.stderr) ||
          /^\s+at /m.test(result.stdout),
      )
      .map(({ c, result }) => `${c.name}: exit ${String(result.code)}; stderr: ${result.stderr.slice(0, 300)}`);
    expect(bad).toEqual([]);
    // Each message says something beyond the title line: the problem itself.
    const bare = outcomes
      .filter(({ result }) => result.stderr.trim().split('\n').length < 2 && result.stderr.length < 40)
      .map(({ c }) => c.name);
    expect(bare).toEqual([]);
  };

  const fileFor = (c: Case, index: number): string => {
    if (c.file !== undefined) return c.file;
    const file = join(dir, `case-${index}.yaml`);
    writeFileSync(file, c.text ?? '', 'latin1');
    return file;
  };

  it('exits 2 with a message and no stack trace for every broken file (in-process, the code bin.ts runs)', async () => {
    const cases = generateCases(dir);
    expect(cases.length).toBeGreaterThan(80);
    const outcomes = [];
    for (const [i, c] of cases.entries())
      outcomes.push({ c, result: await checkInProcess(fileFor(c, i), c.env ?? ENV, dir) });
    judge(outcomes);
  }, 60_000);

  it('does the same through the built binary, one file of each kind', async () => {
    const cases = generateCases(join(dir, 'bin'));
    const firstOfKind = cases.filter((c, i) => cases.findIndex((d) => d.kind === c.kind) === i);
    // A few more that exercise the YAML parser and the environment, where a stack trace would most likely leak.
    const extra = cases.filter(
      (c) => /alias|binary|nested|directory|secret missing|ahead/.test(c.name) && !firstOfKind.includes(c),
    );
    const picked = [...firstOfKind, ...extra];
    const outcomes = await mapLimit(picked, 3, async (c) => ({
      c,
      result: await check(fileFor(c, 1000 + cases.indexOf(c)), c.env ?? ENV, dir),
    }));
    judge(outcomes);
  }, 60_000);
});
