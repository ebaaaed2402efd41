// The Dockerfile's stages, done here without Docker, with the same commands on this machine's Node:
//   deps:    package.json + package-lock.json → npm ci --omit=dev --ignore-scripts → npm rebuild better-sqlite3
//            --build-from-source;
//   build:   package files, tsconfig*.json, src, connectors (nothing else: .dockerignore) → tsc -p tsconfig.build.json;
//   runtime: deps' node_modules + build's dist/src and dist/connectors + package.json + config, `handoff` as a symlink
//            to dist/src/cli/bin.js, run from an empty data directory.
// Then `handoff --help`, `config check` (a good and a missing file) and `migrate` on SQLite: nothing at run time may
// need a devDependency, the native module must load, the shebang and symlink must work. The package as npm would
// publish it (npm pack) is checked for the files the image needs. Run by `npm run bench` (about a minute:
// better-sqlite3 compiles), or alone: `npm run build && node dist/test/bench/production-install.js [--keep]`.
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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
      {
        cwd: step.cwd,
        env: { ...process.env, ...step.env },
        timeout: step.timeoutMs ?? 300_000,
        maxBuffer: 32 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code =
          err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
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
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const started = Date.now();
  const problems: string[] = [];
  const check = async (step: Step): Promise<boolean> => {
    const result = await runStep(step);
    const okCode = result.code === (step.expectCode ?? 0);
    const okOutput = step.expectOutput === undefined || step.expectOutput.test(result.output);
    const stack = /^\s+at /m.test(result.output);
    const ok = okCode && okOutput && !stack;
    log(
      `install: ${ok ? 'ok  ' : 'FAIL'} ${step.title} (${(result.ms / 1000).toFixed(1)} s${okCode ? '' : `, exit ${result.code}`})`,
    );
    if (!ok) {
      problems.push(
        `${step.title}: exit ${result.code}${stack ? ', stack trace' : ''}${okOutput ? '' : ', unexpected output'}`,
      );
      log(result.output.slice(-1500));
    }
    return ok;
  };
  try {
    // deps stage.
    const deps = join(dir, 'deps');
    mkdirSync(deps);
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(root, f), join(deps, f));
    const installed =
      (await check({
        title: 'deps: npm ci --omit=dev --ignore-scripts',
        command: npm,
        args: ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
        cwd: deps,
      })) &&
      (await check({
        title: 'deps: npm rebuild better-sqlite3 --build-from-source',
        command: npm,
        args: ['rebuild', 'better-sqlite3', '--build-from-source'],
        cwd: deps,
      }));

    // build stage: only what the Dockerfile copies; the dev dependencies are this checkout's.
    const build = join(dir, 'build');
    mkdirSync(build);
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'])
      copyFileSync(join(root, f), join(build, f));
    for (const d of ['src', 'connectors']) cpSync(join(root, d), join(build, d), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(build, 'node_modules'), 'dir');
    const built = await check({
      title: 'build: tsc -p tsconfig.build.json (src and connectors only)',
      command: process.execPath,
      args: [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      cwd: build,
    });

    // npm pack: what a published package would hold.
    const pack = await runStep({
      title: 'npm pack --dry-run',
      command: npm,
      args: ['pack', '--dry-run', '--json', '--ignore-scripts'],
      cwd: root,
    });
    const files =
      pack.code === 0
        ? (
            (JSON.parse(pack.output.slice(pack.output.indexOf('['))) as { files: { path: string }[] }[])[0]?.files ?? []
          ).map((f) => f.path)
        : [];
    const needed = ['dist/src/cli/bin.js', 'dist/src/main.js', 'config/handoff.example.yaml', 'package.json'];
    const missing = needed.filter((f) => !files.includes(f));
    log(
      `install: ${missing.length === 0 ? 'ok  ' : 'FAIL'} npm pack holds ${files.length} files${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''} (${files.filter((f) => f.startsWith('dist/test/')).length} of them from dist/test)`,
    );
    if (missing.length > 0) problems.push(`npm pack misses ${missing.join(', ')}`);

    if (installed && built) {
      // runtime stage.
      const app = join(dir, 'app');
      mkdirSync(join(app, 'dist'), { recursive: true });
      renameSync(join(deps, 'node_modules'), join(app, 'node_modules'));
      for (const d of ['src', 'connectors']) cpSync(join(build, 'dist', d), join(app, 'dist', d), { recursive: true });
      copyFileSync(join(root, 'package.json'), join(app, 'package.json'));
      cpSync(join(root, 'config'), join(app, 'config'), { recursive: true });
      const bin = join(app, 'dist/src/cli/bin.js');
      chmodSync(bin, 0o755);
      mkdirSync(join(dir, 'bin'));
      const handoff = join(dir, 'bin', 'handoff');
      symlinkSync(bin, handoff);
      const data = join(dir, 'data');
      mkdirSync(data);
      const config = smokeConfig(data);
      const env = { HUBSPOT_TOKEN: 'pat-smoke', NODE_ENV: 'production' };
      await check({
        title: 'runtime: handoff --help',
        command: handoff,
        args: ['--help'],
        cwd: data,
        expectOutput: /Usage: handoff/,
      });
      await check({
        title: 'runtime: handoff config check',
        command: handoff,
        args: ['config', 'check', '-c', config],
        cwd: data,
        env,
        expectOutput: /valid/,
      });
      await check({
        title: 'runtime: handoff config check, missing file → exit 2',
        command: handoff,
        args: ['config', 'check', '-c', join(data, 'missing.yaml')],
        cwd: data,
        env,
        expectCode: 2,
        expectOutput: /config file not found/,
      });
      await check({
        title: 'runtime: handoff migrate (loads better-sqlite3)',
        command: handoff,
        args: ['migrate', '-c', config],
        cwd: data,
        env,
      });
      await check({
        title: 'runtime: handoff config check of the example file',
        command: handoff,
        args: ['config', 'check', '-c', join(app, 'config/handoff.example.yaml')],
        cwd: data,
        env: { ...env, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SMTP_URL: 'smtp://localhost:25' },
        expectOutput: /valid/,
      });
    }
  } catch (err) {
    problems.push(err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err));
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
      note: 'the Dockerfile stages on this Node: npm ci --omit=dev --ignore-scripts → npm rebuild better-sqlite3 --build-from-source; tsc on src + connectors only; runtime layout with `handoff` symlinked → --help, config check (good, missing), migrate on SQLite; npm pack contents',
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
      process.stderr.write(
        `production install check failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
