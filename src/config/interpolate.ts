// ${VAR} interpolation over the parsed YAML tree (string values only, so a secret's characters can
// never change the YAML structure). ${VAR:-default} uses the default when VAR is unset or empty,
// ${VAR-default} only when it is unset; $${VAR} is a literal "${VAR}". A reference to an unset (or
// empty) variable is collected, never guessed.
//
// "{" and "}" are YAML flow indicators, so `{ token: ${HUBSPOT_TOKEN} }` would not parse as written.
// Before parsing, every reference is swapped for a short placeholder that is a plain scalar anywhere;
// after parsing, placeholders are swapped back and expanded.
import type { PathSegment, Problem } from './paths.js';

const REFERENCE_IN_TEXT = /\$?\$\{[^}\n]*\}/g;
const MARKERS: ReadonlyArray<[string, string]> = [
  ['\u27e6', '\u27e7'],
  ['\u2983', '\u2984'],
  ['\u2997', '\u2998'],
];

export interface ProtectedText {
  text: string;
  restore: (value: string) => string;
}

/** Replaces each ${…} in the YAML text with a placeholder; `restore` puts the references back. */
export function protectReferences(source: string): ProtectedText {
  const marker = MARKERS.find(([open, close]) => !source.includes(open) && !source.includes(close));
  if (marker === undefined) return { text: source, restore: (v) => v };
  const [open, close] = marker;
  const references: string[] = [];
  const text = source.replace(REFERENCE_IN_TEXT, (match) => {
    references.push(match);
    return `${open}${references.length - 1}${close}`;
  });
  if (references.length === 0) return { text: source, restore: (v) => v };
  const placeholder = new RegExp(`${open}(\\d+)${close}`, 'g');
  return {
    text,
    restore: (v) => (v.includes(open) ? v.replace(placeholder, (m, i: string) => references[Number(i)] ?? m) : v),
  };
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface InterpolationResult {
  value: unknown;
  /** Variable name → paths of the values that use it. */
  missing: Map<string, PathSegment[][]>;
  /** Malformed references such as "${ NAME }". */
  problems: Problem[];
  /** Values taken from the environment (so messages can hide them). */
  substituted: Map<string, string>;
}

export function interpolateEnv(
  root: unknown,
  env: NodeJS.ProcessEnv,
  restore: (value: string) => string = (v) => v,
): InterpolationResult {
  const missing = new Map<string, PathSegment[][]>();
  const problems: Problem[] = [];
  const substituted = new Map<string, string>();

  function expand(text: string, path: PathSegment[]): string {
    if (!text.includes('${')) return text;
    return text.replace(REFERENCE, (match, body: string | undefined) => {
      if (match === '$${') return '${';
      const inner = body ?? '';
      const dash = inner.indexOf('-');
      let name = inner;
      let fallback: string | null = null;
      let emptyCountsAsUnset = true;
      if (dash >= 0) {
        const colon = inner[dash - 1] === ':';
        name = inner.slice(0, colon ? dash - 1 : dash);
        fallback = inner.slice(dash + 1);
        emptyCountsAsUnset = colon;
      }
      if (!NAME.test(name)) {
        problems.push({
          path,
          message: `malformed variable reference "${match}" (write \${NAME} or \${NAME:-default})`,
        });
        return match;
      }
      const value = env[name];
      const unset = value === undefined || (emptyCountsAsUnset && value === '');
      if (!unset) {
        substituted.set(name, value);
        return value;
      }
      if (fallback !== null) return fallback;
      const paths = missing.get(name) ?? [];
      paths.push(path);
      missing.set(name, paths);
      return '';
    });
  }

  function walk(node: unknown, path: PathSegment[]): unknown {
    if (typeof node === 'string') return expand(restore(node), path);
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [rawKey, value] of Object.entries(node as Record<string, unknown>)) {
        const key = restore(rawKey);
        out[key] = walk(value, [...path, key]);
      }
      return out;
    }
    return node;
  }

  return { value: walk(root, []), missing, problems, substituted };
}
