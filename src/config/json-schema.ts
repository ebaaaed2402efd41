// The JSON Schema of the YAML form (input side), for editor completion: config/handoff.schema.json.
import * as z from 'zod';
import { configSchema } from './schema.js';

export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, title: 'handoff configuration', ...rest };
}
