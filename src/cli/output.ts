// How commands print: text tables, UTC times to the minute, and --json output (indented, stable for
// scripts).
import type { Millis } from '../domain/model.js';
import type { CliIo } from './context.js';

/** Columns padded to their widest cell; `numeric` columns right-aligned; the last column is not padded. */
export function table(head: string[], rows: (string | number)[][], numeric: boolean[] = []): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((v, c) =>
          numeric[c] ? v.padStart(widths[c] as number) : c === r.length - 1 ? v : v.padEnd(widths[c] as number),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** "2026-11-25 10:00Z", or "-" for no time. */
export function isoMinute(at: Millis | null): string {
  if (at === null || !Number.isFinite(at)) return '-';
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** Prints `value` as indented JSON. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints a command's result: JSON with --json, else the text `format` makes of it. */
export function printResult<T>(io: CliIo, json: boolean | undefined, value: T, format: (value: T) => string): void {
  if (json) printJson(io, value);
  else io.out(format(value));
}
