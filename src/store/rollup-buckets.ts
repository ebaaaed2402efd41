// The bounded histogram of the rollups: fixed log-spaced buckets for speed to lead and response time,
// so p50/p90 of a long window come from merged bucket counts. Pure functions, shared by the SQL and
// memory readers and by the rollup maintenance (one bucket definition everywhere).
//
// Bucket 0 holds [0, 1 min) (and anything negative); bucket k (1..38) holds [1 min · 2^((k-1)/3),
// 1 min · 2^(k/3)): three buckets per doubling; bucket 39 holds everything from 2^(38/3) min
// (≈ 4.6 days) on. A percentile read from buckets is the geometric middle of its bucket, so it is
// within a factor 2^(1/6) (12.3 %) of the exact nearest-rank value; in bucket 0 within 30 s; in the
// open last bucket it is the bucket's lower edge.
import { bucketIndex, percentileRank } from '../domain/metrics.js';

export const BUCKET_COUNT = 40;
const MINUTE = 60_000;

/** Lower edge of each bucket in ms (integers, so SQL and TypeScript bucket a value the same way). */
export const ROLLUP_EDGES: readonly number[] = Array.from({ length: BUCKET_COUNT }, (_, k) =>
  k === 0 ? 0 : Math.round(MINUTE * 2 ** ((k - 1) / 3)),
);

/** Largest relative error of a bucketed percentile inside buckets 1..38: 2^(1/6) - 1. */
export const BUCKET_RELATIVE_ERROR = 2 ** (1 / 6) - 1;

export function rollupBucket(valueMs: number): number {
  return bucketIndex(ROLLUP_EDGES, valueMs);
}

/** The value a bucketed percentile reports for bucket `k`. */
export function bucketValue(k: number): number {
  const lo = ROLLUP_EDGES[k] ?? 0;
  const hi = ROLLUP_EDGES[k + 1];
  if (k === 0) return Math.round((ROLLUP_EDGES[1] ?? MINUTE) / 2);
  if (hi === undefined) return lo;
  return Math.round(Math.sqrt(lo * hi));
}

export function emptyBuckets(): number[] {
  return new Array<number>(BUCKET_COUNT).fill(0);
}

/** Nearest-rank p-th percentile of the values counted in `buckets`, as its bucket's value; null when empty. */
export function bucketPercentile(buckets: readonly number[], p: number): number | null {
  const n = buckets.reduce((a, b) => a + b, 0);
  const rank = percentileRank(n, p);
  if (rank === 0) return null;
  let seen = 0;
  for (let k = 0; k < buckets.length; k++) {
    seen += buckets[k] ?? 0;
    if (seen >= rank) return bucketValue(k);
  }
  return bucketValue(buckets.length - 1);
}
