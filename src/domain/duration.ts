// Durations in config: "30s", "15m", "4h", "7d" (and combinations such as "1h30m").
import type { Millis } from './model.js';

const UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

/** Parses a duration; returns null when the text is not one. */
export function parseDuration(text: string): Millis | null {
  const s = text.trim();
  if (s === '') return null;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(s); m !== null; m = PART.exec(s)) {
    total += Number(m[1]) * (UNIT[m[2] as string] as number);
    consumed = PART.lastIndex;
  }
  if (consumed !== s.length) return null;
  return Math.round(total);
}

/** Formats milliseconds the way config writes them: "1h30m", "45s", "2d". */
export function formatDuration(ms: Millis): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('') || '0s';
}
