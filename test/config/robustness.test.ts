// Whatever the file holds, loading it ends in a Config or an InputError — never another exception.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { InputError } from '../../src/domain/errors.js';

const example = readFileSync(path.resolve(import.meta.dirname, '../../config/handoff.example.yaml'), 'utf8');
const env = {
  HUBSPOT_TOKEN: 'pat-1',
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 's',
  SMTP_URL: 'smtp://localhost:25',
};

function outcome(text: string): 'ok' | 'input-error' {
  try {
    parseConfigText(text, env, 'fuzz.yaml');
    return 'ok';
  } catch (err) {
    if (err instanceof InputError && err.problems.length > 0 && err.problems.every((p) => p.length > 0))
      return 'input-error';
    throw err;
  }
}

/** Every path (list of keys) in a parsed YAML tree. */
function paths(node: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(node)) node.forEach((item, i) => out.push(...paths(item, [...prefix, i])));
  else if (node !== null && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function setAt(root: unknown, at: Array<string | number>, value: unknown): unknown {
  if (at.length === 0) return value;
  const copy: unknown = structuredClone(root);
  let node = copy as Record<string | number, unknown>;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[at[at.length - 1] as string | number] = value;
  return copy;
}

describe('malformed configs', () => {
  it('the example with one value replaced by anything', () => {
    const tree = parseYaml(example) as unknown;
    const allPaths = paths(tree).filter((p) => p.length > 0);
    fc.assert(
      fc.property(fc.constantFrom(...allPaths), fc.jsonValue({ maxDepth: 3 }), (at, value) => {
        expect(['ok', 'input-error']).toContain(outcome(stringify(setAt(tree, at, value))));
      }),
      { numRuns: 100 },
    );
  });

  it('arbitrary text and arbitrary YAML values', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v)),
        ),
        (text) => {
          expect(['ok', 'input-error']).toContain(outcome(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('conditions of any shape', () => {
    const base = {
      source: { kind: 'hubspot' },
      hubspot: { token: 't' },
      reps: [{ id: 'a', name: 'A', email: 'a@example.com' }],
      teams: [{ id: 't', members: ['a'] }],
      routing: { rules: [{ when: {}, team: 't' }], fallback: { team: 't' } },
    };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('routing', 'hot', 'history'), (when, site) => {
        const copy = structuredClone(base) as Record<string, unknown> & typeof base;
        if (site === 'routing') (copy.routing.rules[0] as { when: unknown }).when = when;
        else if (site === 'hot') copy.source = { kind: 'hubspot', hot: { when } } as typeof base.source;
        else copy.history = { accepted: when };
        expect(['ok', 'input-error']).toContain(outcome(stringify(copy)));
      }),
      { numRuns: 300 },
    );
  });
});
