// The worker's resident memory has a budget (≤ 150 MB idle after a burst, DESIGN §9), and every package loaded costs
// heap and resident pages whether it is used or not. Packages only some installs need are loaded when first used:
// pg with a Postgres store, nodemailer with email, pino-pretty on a terminal, the Teams SDK with msteams, jsforce
// with Salesforce. This loads the built CLI and worker modules in a fresh process and lists the packages loaded.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const program = `${root}dist/src/cli/program.js`;
const main = `${root}dist/src/main.js`;

const script = `
import { createRequire } from 'node:module';
await import(${JSON.stringify(program)});
await import(${JSON.stringify(main)});
const names = new Set();
for (const file of Object.keys(createRequire(import.meta.url).cache)) {
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file);
  if (m) names.add(m[1]);
}
process.stdout.write(JSON.stringify([...names]));
`;

describe('packages loaded by the worker at start', () => {
  it('leaves the optional ones out until they are used', () => {
    expect(existsSync(main), 'dist/ is built by `npm test` (pretest)').toBe(true);
    const loaded = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }),
    ) as string[];
    // The ones every worker needs are there (the listing works; ESM-only packages such as kysely are not in it).
    expect(loaded).toEqual(expect.arrayContaining(['@slack/bolt', 'better-sqlite3', 'pino', 'prom-client']));
    for (const optional of ['pg', 'nodemailer', 'pino-pretty', 'jsforce', '@microsoft/agents-hosting', 'jwks-rsa'])
      expect(loaded, optional).not.toContain(optional);
  });
});
