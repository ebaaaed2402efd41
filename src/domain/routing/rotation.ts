// The fairness ledger: stride scheduling per team.
//
// Each rep has a `pass` (virtual time). The eligible rep with the lowest pass gets the lead, then
// its pass grows by its stride = STRIDE / weight, so over time each rep is picked in proportion to
// its weight. Round-robin is the same with every weight 1; least-loaded picks the fewest open
// offers first and uses the ledger only to break ties.
//
// Fair start, no flood: when rep j was last picked its pass (before the pick) was the lowest of all
// eligible reps, so in steady rotation every eligible rep's pass is at least pass_j − stride_j. The
// team's *floor* is the largest of those values over eligible reps with a ledger row. A rep below
// the floor — new to the team (no row), or back after being away, at capacity or outside hours
// while others were served — is lifted to the floor before comparing. Reps in steady rotation are
// never at or below it, so the lift changes nothing for them; the returning rep gets at most the
// next turn, never a burst of "owed" leads. Reps removed from the team are simply not candidates:
// nobody else's row changes. Only the chosen rep's row is written.
import type { Millis, Rep, TeamStrategy } from '../model.js';
import type { LedgerEntry } from './types.js';

/** Virtual time added per pick at weight 1 (lcm of 1…16, so common weights give whole strides). */
export const STRIDE = 720_720;

export function strideFor(rep: Rep, strategy: TeamStrategy): number {
  if (strategy !== 'weighted') return STRIDE;
  const weight = Number.isFinite(rep.weight) && rep.weight > 0 ? rep.weight : 1;
  return Math.max(1, Math.round(STRIDE / weight));
}

export interface RotationCandidate {
  rep: Rep;
  /** Position in the team's member list (ties go to the earlier one). */
  order: number;
  openOffers: number;
}

export interface RotationPick {
  repId: string;
  floor: number | null;
  /** Effective pass per eligible rep id, after the lift. */
  passes: Record<string, number>;
  /** The chosen rep's new ledger row. */
  row: LedgerEntry;
}

/** The fair-start floor over eligible reps with a ledger row, or null when none has one. */
export function rotationFloor(
  candidates: RotationCandidate[],
  rows: Map<string, LedgerEntry>,
  strategy: TeamStrategy,
): number | null {
  let floor: number | null = null;
  for (const c of candidates) {
    const row = rows.get(c.rep.id);
    if (!row || !Number.isFinite(row.pass)) continue;
    const v = row.pass - strideFor(c.rep, strategy);
    if (floor === null || v > floor) floor = v;
  }
  return floor;
}

export function effectivePass(row: LedgerEntry | undefined, floor: number | null): number {
  const stored = row && Number.isFinite(row.pass) ? row.pass : null;
  if (stored === null) return floor ?? 0;
  return floor !== null && stored < floor ? floor : stored;
}

/** Picks one of the (non-empty) eligible candidates and returns its new ledger row. */
export function pickByStrategy(
  teamId: string,
  strategy: TeamStrategy,
  candidates: RotationCandidate[],
  ledger: LedgerEntry[],
  now: Millis,
): RotationPick {
  if (candidates.length === 0) throw new Error('pickByStrategy needs at least one candidate');
  const rows = new Map<string, LedgerEntry>();
  for (const e of ledger) if (e.teamId === teamId) rows.set(e.repId, e);
  const floor = rotationFloor(candidates, rows, strategy);
  const passes: Record<string, number> = {};
  for (const c of candidates) passes[c.rep.id] = effectivePass(rows.get(c.rep.id), floor);

  let best = candidates[0] as RotationCandidate;
  for (const c of candidates.slice(1)) {
    if (better(c, best, passes, strategy)) best = c;
  }
  const row = rows.get(best.rep.id);
  const pass = (passes[best.rep.id] as number) + strideFor(best.rep, strategy);
  return {
    repId: best.rep.id,
    floor,
    passes,
    row: { teamId, repId: best.rep.id, pass, served: (row?.served ?? 0) + 1, lastServedAt: now },
  };
}

function better(
  a: RotationCandidate,
  b: RotationCandidate,
  passes: Record<string, number>,
  strategy: TeamStrategy,
): boolean {
  if (strategy === 'least-loaded' && a.openOffers !== b.openOffers) return a.openOffers < b.openOffers;
  const pa = passes[a.rep.id] as number;
  const pb = passes[b.rep.id] as number;
  if (pa !== pb) return pa < pb;
  return a.order < b.order;
}
