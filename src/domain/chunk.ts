// Splitting a list into batches: SQL multi-row inserts, vendor batch APIs, IN (...) lists, outbox batches.
// In the domain because it is pure and every layer (app included) may import the domain.

/** Consecutive slices of at most `size` items, in order; none for an empty list. `size` must be a positive integer. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
