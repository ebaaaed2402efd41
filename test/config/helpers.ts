// Small builders for config tests: a minimal valid YAML text, and a way to catch InputError.
import { InputError } from '../../src/domain/errors.js';
import { parseConfigText } from '../../src/config/index.js';
import type { Config } from '../../src/config/index.js';

/** A minimal valid HubSpot config; `extra` is appended (later keys must not repeat these). */
export function minimalYaml(extra = ''): string {
  return [
    'source: { kind: hubspot }',
    'hubspot: { token: ${HUBSPOT_TOKEN} }',
    'reps:',
    '  - { id: alice, name: Alice, email: alice@example.com, timezone: Europe/Berlin }',
    '  - { id: bob, name: Bob, email: bob@example.com }',
    'teams: [{ id: emea, members: [alice, bob] }]',
    extra,
  ].join('\n');
}

export const ENV = { HUBSPOT_TOKEN: 'pat-test-0123456789' };

export function parse(text: string, env: NodeJS.ProcessEnv = ENV): Config {
  return parseConfigText(text, env, '/cfg/handoff.yaml');
}

/** Runs `fn`, expects an InputError, and returns it. */
export function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError, but nothing was thrown');
}
