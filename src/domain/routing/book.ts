// The routing book: what one dispatch batch routes against — each rep's load, away statuses and the
// candidate teams' ledgers with their versions — read from the store once, then updated in memory as
// each lead is assigned, so the next lead of the batch sees the earlier offers without a new read.
import type { LedgerEntry, RepAwayStatus, RepLoad } from './types.js';

/** A team's ledger rows and the version they were read at (0: never written). */
export interface TeamLedger {
  teamId: string;
  version: number;
  entries: LedgerEntry[];
}

export interface RoutingBook {
  /** Open offers per rep id (missing = 0). */
  openOffers: Record<string, number>;
  /** Offers made since the start of the rep's local day, per rep id (missing = 0). */
  offersToday: Record<string, number>;
  statuses: RepAwayStatus[];
  /** Reps no card can reach now, with why. */
  unreachable?: Record<string, string>;
  /** Ledgers by team id. */
  ledgers: Record<string, TeamLedger>;
}

/** The load routing sees for one hand-off (the reps it was already offered to are the hand-off's own). */
export function repLoadOf(book: RoutingBook, alreadyOffered: string[]): RepLoad {
  return {
    openOffers: book.openOffers,
    offersToday: book.offersToday,
    statuses: book.statuses,
    alreadyOffered,
    ...(book.unreachable ? { unreachable: book.unreachable } : {}),
  };
}

/** Ledger rows of these teams (teams the book has not read have none). */
export function ledgerRowsOf(book: RoutingBook, teamIds: readonly string[]): LedgerEntry[] {
  return teamIds.flatMap((t) => book.ledgers[t]?.entries ?? []);
}

/** The versions a change writing these ledger rows must expect: the ones the book read (or advanced to). */
export function ledgerVersionsFor(
  book: RoutingBook,
  rotation: readonly LedgerEntry[],
): { teamId: string; version: number }[] {
  return [...new Set(rotation.map((r) => r.teamId))].map((teamId) => ({
    teamId,
    version: book.ledgers[teamId]?.version ?? 0,
  }));
}

/**
 * Records a committed offer in the book: one more open offer and one more offer today for the rep, the
 * new ledger rows in place of the old ones, and each written team's version one higher (as the store
 * bumped it in the same change).
 */
export function recordOffer(book: RoutingBook, repId: string, rotation: readonly LedgerEntry[]): void {
  book.openOffers[repId] = (book.openOffers[repId] ?? 0) + 1;
  book.offersToday[repId] = (book.offersToday[repId] ?? 0) + 1;
  for (const teamId of new Set(rotation.map((r) => r.teamId))) {
    const ledger = book.ledgers[teamId] ?? { teamId, version: 0, entries: [] };
    const rows = rotation.filter((r) => r.teamId === teamId);
    const written = new Set(rows.map((r) => r.repId));
    book.ledgers[teamId] = {
      teamId,
      version: ledger.version + 1,
      entries: [...ledger.entries.filter((e) => !written.has(e.repId)), ...rows.map((r) => ({ ...r }))],
    };
  }
}
