// config/handoff.schema.json is generated from the zod schema. Regenerate it with
//   UPDATE_CONFIG_SCHEMA=1 npx vitest run test/config/schema-file.test.ts
// (or `handoff config schema > config/handoff.schema.json`).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/index.js';
import { CONFIG_SECTIONS } from '../../src/config/load.js';

const file = path.resolve(import.meta.dirname, '../../config/handoff.schema.json');

describe('config/handoff.schema.json', () => {
  it('is in sync with the zod schema', async () => {
    const generated = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_CONFIG_SCHEMA === '1') await writeFile(file, generated);
    const committed = await readFile(file, 'utf8').catch(() => '');
    expect(committed, 'config/handoff.schema.json is stale: regenerate it (see the top of this test)').toBe(generated);
  });

  it('describes the YAML form (input side), so editors complete what admins write', () => {
    const schema = configJsonSchema() as {
      required: string[];
      properties: Record<
        string,
        { properties?: Record<string, { type?: string; default?: unknown; pattern?: string }> }
      >;
      additionalProperties: boolean;
    };
    expect(schema.required).toEqual(['source']);
    expect(schema.additionalProperties).toBe(false);
    const sla = schema.properties.sla?.properties ?? {};
    expect(sla.acceptWithin).toMatchObject({ type: 'string', default: '30m' });
    expect(sla.remindAt?.default).toBe('50%');
    expect(Object.keys(schema.properties)).toEqual(CONFIG_SECTIONS);
  });

  it('the example config validates against the JSON Schema shape for the keys it uses', async () => {
    // A light structural check without a JSON Schema validator: every key in the example exists in the schema.
    const example = parseYaml(
      await readFile(path.resolve(import.meta.dirname, '../../config/handoff.example.yaml'), 'utf8'),
    ) as Record<string, unknown>;
    const schema = configJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }> };
    for (const [section, value] of Object.entries(example)) {
      const props = schema.properties[section];
      expect(props, section).toBeDefined();
      if (
        value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        props?.properties !== undefined &&
        section !== 'history'
      ) {
        for (const key of Object.keys(value)) expect(Object.keys(props.properties), `${section}.${key}`).toContain(key);
      }
    }
  });
});
