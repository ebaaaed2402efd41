// zod schemas for the parts of HubSpot's answers we depend on. Anything else in a body is ignored;
// a body without these parts becomes an `invalid` failure with the path that was wrong.
import { z } from 'zod';
import { ConnectorError } from '../../src/ports/failure.js';
import { HubspotShapeError, classifyHubspotError } from './hubspot.errors.js';

const propertyValue = z
  .union([z.string(), z.number(), z.boolean(), z.null(), z.undefined()])
  .transform((v) => (v === null || v === undefined ? null : String(v)));

export const hubspotObject = z.object({
  id: z.string().min(1),
  properties: z.record(z.string(), propertyValue),
  archived: z.boolean().optional(),
  objectWriteTraceId: z.string().optional(),
});
export type HubspotObject = z.output<typeof hubspotObject>;

const paging = z
  .object({ next: z.object({ after: z.string().min(1) }).optional() })
  .optional()
  .nullable();

export const searchPage = z.object({
  total: z.number(),
  results: z.array(hubspotObject),
  paging,
});
export type SearchPage = z.output<typeof searchPage>;

const batchError = z.object({
  category: z.string().optional(),
  message: z.string().optional(),
  context: z.record(z.string(), z.array(z.string())).optional(),
});
export type BatchError = z.output<typeof batchError>;

export const batchResult = z.object({
  results: z.array(hubspotObject),
  errors: z.array(batchError).optional(),
});
export type BatchResult = z.output<typeof batchResult>;

export const ownerPage = z.object({
  results: z.array(
    z.object({
      id: z.string().min(1),
      email: z.string().optional().nullable(),
      firstName: z.string().optional().nullable(),
      lastName: z.string().optional().nullable(),
      archived: z.boolean().optional(),
    }),
  ),
  paging,
});
export type OwnerPage = z.output<typeof ownerPage>;

export const propertyShape = z.object({
  name: z.string(),
  label: z.string().optional(),
  type: z.string(),
  groupName: z.string().optional(),
  options: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
});
export const propertyList = z.object({ results: z.array(propertyShape) });
export const groupList = z.object({ results: z.array(z.object({ name: z.string() })) });

/** Parses with a schema; a mismatch throws a ConnectorError of kind `invalid` naming the path. */
export function expectShape<S extends z.ZodType>(schema: S, value: unknown, op: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const where = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid';
  const err = new HubspotShapeError(op, where);
  throw new ConnectorError('hubspot', classifyHubspotError(err), { cause: err });
}

/** HubSpot datetime property values: ISO strings, sometimes epoch-ms strings. */
export function parseHubspotDate(v: string | null | undefined): number | null {
  if (v === null || v === undefined || v === '') return null;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}
