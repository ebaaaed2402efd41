// Safe HTML building for the server-rendered pages. Every value interpolated into the `html` tagged
// template is escaped unless it is itself markup built by `html` (or deliberately wrapped with
// `trusted`), so lead data — names, notes, campaign strings that come from outside — always renders
// as text. Attribute values are escaped the same way and must always be quoted in the template.
import { escapeHtml } from '../../domain/escape-html.js';

const SAFE = Symbol('safe-html');

/** Markup that is already safe to emit. Only `html`, `join` and `trusted` make one. */
export interface SafeHtml {
  readonly [SAFE]: true;
  readonly text: string;
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function safe(text: string): SafeHtml {
  return { [SAFE]: true, text };
}

export function isSafeHtml(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && (value as Partial<SafeHtml>)[SAFE] === true;
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (isSafeHtml(value)) return value.text;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: literal parts are markup, interpolations are escaped (nested `html` results pass through). */
export function html(parts: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = parts[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (parts[i + 1] ?? '');
  return safe(out);
}

/** Joins pieces of markup (strings among them are escaped). */
export function join(values: readonly HtmlValue[], separator: SafeHtml | string = ''): SafeHtml {
  return safe(values.map(render).join(isSafeHtml(separator) ? separator.text : escapeHtml(separator)));
}

/** Markup produced by our own code that contains no outside data (the stylesheet, a fixed script). */
export function trusted(text: string): SafeHtml {
  return safe(text);
}

/** A number for SVG coordinates: finite, at most two decimals. */
export function svgNumber(n: number): string {
  if (!Number.isFinite(n)) return '0';
  return String(Math.round(n * 100) / 100);
}
