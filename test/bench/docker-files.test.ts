// No Docker engine runs here, so the image is checked in two halves: `npm run bench` performs the Dockerfile's install
// and start commands (production-install.ts), and this test keeps the Dockerfile, .dockerignore and the compose file
// saying what they must — and saying the same commands production-install.ts runs, so the two cannot drift apart.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** Dockerfile instructions with their continuation lines joined. */
function instructions(text: string): { op: string; args: string; stage: string }[] {
  const out: { op: string; args: string; stage: string }[] = [];
  let stage = '';
  const joined = text.replace(/\\\n\s*/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? '';
    out.push({ op: op.toUpperCase(), args, stage });
  }
  return out;
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const all = instructions(text);
  const runtime = all.filter((i) => i.stage === 'runtime');

  it('builds in stages on one Node LTS slim base that every runtime dependency supports', () => {
    const base = /^ARG NODE_IMAGE=(node:(\d+)-\w+-slim)$/m.exec(text);
    expect(base).not.toBeNull();
    const major = Number(base?.[2]);
    expect(major % 2).toBe(0); // even majors are the LTS lines
    const engines = (JSON.parse(read('node_modules/better-sqlite3/package.json')) as { engines: { node: string } })
      .engines.node;
    expect(engines).toContain(`${major}.x`);
    const froms = all.filter((i) => i.op === 'FROM');
    expect(froms.map((f) => f.stage)).toEqual(['deps', 'build', 'runtime']);
    for (const f of froms) expect(f.args).toMatch(/^\$\{NODE_IMAGE\} AS /);
  });

  it('installs production dependencies only and compiles better-sqlite3 in the deps stage — the commands the install check runs', () => {
    const deps = all
      .filter((i) => i.stage === 'deps' && i.op === 'RUN')
      .map((i) => i.args)
      .join(' ');
    expect(deps).toContain('npm ci --omit=dev --ignore-scripts');
    expect(deps).toContain('npm rebuild better-sqlite3 --build-from-source');
    expect(deps).toMatch(/python3 make g\+\+/);
    const check = read('test/bench/production-install.ts');
    expect(check).toContain("'ci', '--omit=dev', '--ignore-scripts'");
    expect(check).toContain("'rebuild', 'better-sqlite3', '--build-from-source'");
    expect(check).toContain("'tsconfig.build.json'");
    const build = all
      .filter((i) => i.stage === 'build')
      .map((i) => `${i.op} ${i.args}`)
      .join('\n');
    expect(build).toContain('tsc -p tsconfig.build.json');
    expect(build).toMatch(/COPY src \.\/src/);
    expect(build).toMatch(/COPY connectors \.\/connectors/);
  });

  it('runs as a non-root user with a /data volume, a health check on /healthz, tini as init and `handoff run`', () => {
    const user = runtime.filter((i) => i.op === 'USER').at(-1);
    expect(user?.args).toBe('node');
    expect(runtime.some((i) => i.op === 'VOLUME' && i.args === '/data')).toBe(true);
    const health = runtime.find((i) => i.op === 'HEALTHCHECK');
    expect(health?.args).toContain('/healthz');
    expect(runtime.find((i) => i.op === 'ENTRYPOINT')?.args).toBe('["/usr/bin/tini", "--"]');
    expect(runtime.find((i) => i.op === 'CMD')?.args).toBe('["handoff", "run"]');
    // The runtime image gets the compiled program and production node_modules, never the sources or dev tools.
    const copies = runtime.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=deps /app/node_modules ./node_modules');
    expect(copies.some((c) => c.includes('--from=build') && c.includes('dist/src'))).toBe(true);
    expect(copies.some((c) => /\bsrc\b/.test(c) && !c.includes('dist'))).toBe(false);
    // `handoff` on the PATH is the package's bin.
    const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin.handoff;
    expect(
      runtime.some((i) => i.op === 'RUN' && i.args.includes(`ln -s /app/${bin ?? '?'} /usr/local/bin/handoff`)),
    ).toBe(true);
  });

  it('keeps the build context small', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', 'test', 'data', '.env', 'handoff.yaml'])
      expect(ignored).toContain(entry);
  });
});

describe('config/docker-compose.yml', () => {
  const compose = parse(read('config/docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        command?: string[];
        environment?: Record<string, string>;
        depends_on?: unknown;
        build?: { context: string };
      }
    >;
  };

  it('runs Postgres and two worker replicas of this image on one database, behind one endpoint', () => {
    const services = compose.services;
    expect(services.postgres?.image).toMatch(/^postgres:/);
    const workers = Object.entries(services).filter(([, s]) => s.command?.join(' ') === 'handoff run');
    expect(workers.map(([name]) => name)).toEqual(['worker-1', 'worker-2']);
    for (const [, w] of workers) {
      expect(w.build?.context).toBe('..');
      expect(w.environment?.HANDOFF_STORE_URL).toMatch(/^postgres:\/\/handoff:.*@postgres:5432\/handoff$/);
      expect(w.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
    }
    const proxy = services.proxy?.command?.join(' ') ?? '';
    expect(proxy).toContain('--to worker-1:3000');
    expect(proxy).toContain('--to worker-2:3000');
  });
});
