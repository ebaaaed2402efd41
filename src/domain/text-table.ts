// A fixed-width text table: for terminals, Slack code blocks and plain-text email.

/** Columns padded to their widest cell, two spaces apart; numeric columns aligned right. */
export function textTable(head: string[], rows: string[][], numeric: readonly boolean[] = []): string {
  const cells = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((v, c) => (numeric[c] ? v.padStart(widths[c] as number) : v.padEnd(widths[c] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
