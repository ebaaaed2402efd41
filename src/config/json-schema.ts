// The JSON Schema of the YAML form (input side), for editor completion: config/handoff.schema.json.
import * as z from 'zod';
import { configSchema } from './schema.js';

/** A `${VAR}` reference anywhere in a string (the file is checked after interpolation). */
const ENV_REFERENCE = String.raw`\$\{[^}]+\}`;

/**
 * Values may be written as `${VAR}` in the file; the schema describes the file before interpolation,
 * so every string pattern also admits a reference (the real value is checked when loading).
 */
function admitEnvReferences(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) admitEnvReferences(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (typeof record.pattern === 'string') record.pattern = `(?:${record.pattern})|${ENV_REFERENCE}`;
  for (const value of Object.values(record)) admitEnvReferences(value);
}

export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Record<string, unknown>;
  admitEnvReferences(generated);
  const { $schema, ...rest } = generated;
  // Top-level "x-…" keys hold YAML anchors to reuse (`x-rep: &berlin {…}` then `<<: *berlin`).
  return { $schema, title: 'handoff configuration', ...rest, patternProperties: { '^x-': {} } };
}
