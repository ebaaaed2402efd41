// The production install of the Dockerfile, done here without Docker: pack the package as npm would publish it, install
// production dependencies only from the lockfile without running install scripts, build better-sqlite3 for this Node,
// then start the installed program the way the image does. Checks that nothing at run time needs a devDependency and
// that the native SQLite module loads. Run by `npm run bench` (it takes a minute or two: better-sqlite3 may compile),
// or alone: `npm run build && node dist/test/bench/production-install.js`.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, stdoutLog, type BenchLog, type BenchRow } from './bench-kit.js';

export interface InstallOptions {
  log?: BenchLog;
  /** Keep the temporary directory (for a look inside). */
  keep?: boolean;
}

interface Step {
  title: string;
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  /** Exit code expected (default 0). */
  expectCode?: number;
  /** The output must match. */
  expectOutput?: RegExp;
  timeoutMs?: number;
}

function runStep(step: Step): Promise<{ code: number; output: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      step.command,
      step.args,
      { cwd: step.cwd, env: { ...process.env, ...step.env }, timeout: step.timeoutMs ?? 300_000, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1;
        resolve({ code, output: `${stdout}${stderr}`, ms: Date.now() - t0 });
      },
    );
  });
}

/** A config that uses only SQLite and no vendor (it is never run, only checked and migrated). */
function smokeConfig(dir: string): string {
  const file = join(dir, 'handoff.yaml');
  writeFileSync(
    file,
    [
      `store: { url: "sqlite:${join(dir, 'data', 'handoff.db')}" }`,
      'source: { kind: hubspot }',
      'hubspot: { token: ${HUBSPOT_TOKEN} }',
      'reps: [{ id: alice, name: Alice, email: alice@example.com }]',
      'teams: [{ id: emea, members: [alice] }]',
      'routing: { fallback: { team: emea } }',
      '',
    ].join('\n'),
  );
  return file;
}

export async function run(options: InstallOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? stdoutLog;
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), 'handoff-prod-install-'));
  const app = join(dir, 'package');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const started = Date.now();
  const problems: string[] = [];
  try {
    // 1. The package as published (files: dist, config); dist was built by `npm run bench`.
    const pack = await runStep({ title: 'npm pack', command: npm, args: ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], cwd: root });
    if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.output.slice(-2000)}`);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (tarball === undefined) throw new Error('npm pack made no tarball');
    const untar = await runStep({ title: 'tar', command: 'tar', args: ['-xzf', join(dir, tarball), '-C', dir], cwd: dir });
    if (untar.code !== 0) throw new Error(`tar failed: ${untar.output}`);
    // The Dockerfile copies the lockfile beside package.json for `npm ci`.
    copyFileSync(join(root, 'package-lock.json'), join(app, 'package-lock.json'));
    const config = smokeConfig(dir);

    const steps: Step[] = [
      // 2. Production dependencies only, no install scripts (package.json's `prepare` would run the TypeScript build,
      //    which needs devDependencies), then the one native module, built for this Node.
      { title: 'npm ci --omit=dev --ignore-scripts', command: npm, args: ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], cwd: app },
      { title: 'npm rebuild better-sqlite3', command: npm, args: ['rebuild', 'better-sqlite3'], cwd: app },
      // 3. Start it the way the image does.
      { title: 'handoff --help', command: process.execPath, args: ['dist/src/cli/bin.js', '--help'], cwd: app, expectOutput: /Usage: handoff/ },
      { title: 'handoff config check', command: process.execPath, args: ['dist/src/cli/bin.js', 'config', 'check', '-c', config], cwd: app, env: { HUBSPOT_TOKEN: 'pat-smoke' }, expectOutput: /valid/ },
      { title: 'handoff config check (bad file → exit 2)', command: process.execPath, args: ['dist/src/cli/bin.js', 'config', 'check', '-c', join(dir, 'missing.yaml')], cwd: app, expectCode: 2, expectOutput: /config file not found/ },
      { title: 'handoff migrate (loads better-sqlite3)', command: process.execPath, args: ['dist/src/cli/bin.js', 'migrate', '-c', config], cwd: app, env: { HUBSPOT_TOKEN: 'pat-smoke' } },
      { title: 'handoff config check (example file)', command: process.execPath, args: ['dist/src/cli/bin.js', 'config', 'check', '-c', 'config/handoff.example.yaml'], cwd: app, env: { HUBSPOT_TOKEN: 'pat-1', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SMTP_URL: 'smtp://localhost:25' }, expectOutput: /valid/ },
    ];
    for (const step of steps) {
      const result = await runStep(step);
      const okCode = result.code === (step.expectCode ?? 0);
      const okOutput = step.expectOutput === undefined || step.expectOutput.test(result.output);
      const stack = /^\s+at /m.test(result.output);
      const ok = okCode && okOutput && !stack;
      log(`install: ${ok ? 'ok ' : 'FAIL'} ${step.title} (${(result.ms / 1000).toFixed(1)} s${okCode ? '' : `, exit ${result.code}`})`);
      if (!ok) {
        problems.push(`${step.title}: exit ${result.code}${stack ? ', stack trace' : ''}`);
        log(result.output.slice(-1500));
        if (!okCode && step.expectCode === undefined && step.title.startsWith('npm')) break;
      }
    }
    const devOnly = await runStep({ title: 'npm ls --omit=dev', command: npm, args: ['ls', '--omit=dev', '--depth=0', '--parseable'], cwd: app });
    const installed = devOnly.output.split('\n').filter(Boolean).length - 1;
    log(`install: ${installed} production packages at the top level of node_modules`);
  } catch (err) {
    problems.push(err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err));
    log(`install: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (options.keep !== true) rmSync(dir, { recursive: true, force: true });
    else log(`install: kept ${dir}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  return [
    {
      figure: 'production install (Dockerfile steps), then start',
      measured: problems.length === 0 ? `works (${seconds} s)` : `broken: ${problems.join('; ').slice(0, 120)}`,
      budget: 'works',
      ok: problems.length === 0,
      note: 'npm pack → npm ci --omit=dev --ignore-scripts (lockfile) → npm rebuild better-sqlite3 → handoff --help, config check (good and bad), migrate on SQLite',
    },
  ];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  run({ keep: process.argv.includes('--keep') }).then(
    (rows) => {
      for (const r of rows) stdoutLog(`${r.figure}: ${r.measured}`);
      if (rows.some((r) => r.ok === false)) process.exitCode = 1;
    },
    (err: unknown) => {
      process.stderr.write(`production install check failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
