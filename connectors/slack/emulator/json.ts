// Slack's objects arrive loosely typed (form fields, JSON strings, payloads from the app); these narrow them.

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A scalar argument as Slack reads it: strings as they are, numbers and booleans in their text form. */
export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
