// The golden dataset: twelve hand-offs in the window [2026-11-01, 2026-11-15) plus two just outside,
// written through the Store port with explicit times. The expected numbers are worked out by hand in
// GOLDEN below (see the table in the comments), never by the code under test.
import type { Millis } from '../../src/domain/model.js';
import type { Store } from '../../src/ports/store.js';
import { makeLead } from './builders.js';
import { seedHandoff, type OfferStep } from './seed-handoffs.js';

export const M = 60_000;
export const WINDOW = { since: Date.UTC(2026, 10, 1), until: Date.UTC(2026, 10, 15) };
export const RECYCLE = ['bad_timing'];
/** "Now" for the backlog: 2026-11-12 12:00Z. */
export const BACKLOG_NOW = Date.UTC(2026, 10, 12, 12, 0);

interface Spec {
  name: string;
  mqlAt: Millis;
  channel: string | null;
  campaign: string | null;
  team: string | null;
  hot?: boolean;
  imported?: { state: 'accepted' | 'rejected'; after: number; reason?: string };
  offers?: OfferStep[];
  /** Escalated `after` ms after the MQL (after the offers), staying escalated. */
  escalate?: { after: number; reason: string };
}

const d = (day: number, h: number, m = 0): Millis => Date.UTC(2026, 10, day, h, m);

//  name  MQL (Nov)  source    campaign team  offers (minutes after MQL)                       outcome
//  H1    2 09:00    ORGANIC   spring   emea  alice 1→31 accepted 11                          accepted
//  H2    2 10:00    ORGANIC   spring   emea  alice 1→31 timed out 31; bruno 31→61 acc. 51    accepted
//  H3    3 09:00    PAID      fall     emea  bruno 2→32 rejected 7 not_icp "too small"       rejected
//  H4    3 12:00    PAID      fall     us    carl 1→31 rejected 41 bad_timing (late)         rejected, recycled
//  H5    4 09:00    PAID      fall     us    carl 1→6 timed out 6; escalated 6 (hot)         escalated (open)
//  H6    9 09:00    ORGANIC   -        emea  alice 1→31 open                                 offered (open)
//  H7    9 10:00    ORGANIC   spring   emea  bruno 1→31 withdrawn 5                          withdrawn
//  H8   10 09:00    REFERRAL  spring   us    carl 1→31 accepted 3 (hot)                      accepted
//  H9   10 11:00    REFERRAL  -        -     imported, accepted after 60                     accepted (imported)
//  H10  11 09:00    ORGANIC   spring   -     imported, rejected not_icp                      rejected (imported)
//  H11  12 09:00    PAID      fall     emea  alice 1→31 rejected 21 other "student"          rejected
//  H12  12 10:00    PAID      fall     -     escalated unroutable at 1                       escalated (open)
//  H13  Oct 31 09:00 outside the window (accepted);  H14  Nov 15 00:00 outside (until is exclusive)
export const SPECS: Spec[] = [
  {
    name: 'H1',
    mqlAt: d(2, 9),
    channel: 'ORGANIC',
    campaign: 'spring',
    team: 'emea',
    offers: [{ rep: 'alice', at: 1, due: 31, end: 'accepted', endAt: 11 }],
  },
  {
    name: 'H2',
    mqlAt: d(2, 10),
    channel: 'ORGANIC',
    campaign: 'spring',
    team: 'emea',
    offers: [
      { rep: 'alice', at: 1, due: 31, end: 'timed_out', endAt: 31 },
      { rep: 'bruno', at: 31, due: 61, end: 'accepted', endAt: 51 },
    ],
  },
  {
    name: 'H3',
    mqlAt: d(3, 9),
    channel: 'PAID',
    campaign: 'fall',
    team: 'emea',
    offers: [{ rep: 'bruno', at: 2, due: 32, end: 'rejected', endAt: 7, reason: 'not_icp', note: 'too small' }],
  },
  {
    name: 'H4',
    mqlAt: d(3, 12),
    channel: 'PAID',
    campaign: 'fall',
    team: 'us',
    offers: [{ rep: 'carl', at: 1, due: 31, end: 'rejected', endAt: 41, reason: 'bad_timing' }],
  },
  {
    name: 'H5',
    mqlAt: d(4, 9),
    channel: 'PAID',
    campaign: 'fall',
    team: 'us',
    hot: true,
    offers: [{ rep: 'carl', at: 1, due: 6, end: 'timed_out', endAt: 6 }],
    escalate: { after: 6 * M, reason: 'max_offers' },
  },
  {
    name: 'H6',
    mqlAt: d(9, 9),
    channel: 'ORGANIC',
    campaign: null,
    team: 'emea',
    offers: [{ rep: 'alice', at: 1, due: 31, end: 'open' }],
  },
  {
    name: 'H7',
    mqlAt: d(9, 10),
    channel: 'ORGANIC',
    campaign: 'spring',
    team: 'emea',
    offers: [{ rep: 'bruno', at: 1, due: 31, end: 'withdrawn', endAt: 5 }],
  },
  {
    name: 'H8',
    mqlAt: d(10, 9),
    channel: 'REFERRAL',
    campaign: 'spring',
    team: 'us',
    hot: true,
    offers: [{ rep: 'carl', at: 1, due: 31, end: 'accepted', endAt: 3 }],
  },
  {
    name: 'H9',
    mqlAt: d(10, 11),
    channel: 'REFERRAL',
    campaign: null,
    team: null,
    imported: { state: 'accepted', after: 60 * M },
  },
  {
    name: 'H10',
    mqlAt: d(11, 9),
    channel: 'ORGANIC',
    campaign: 'spring',
    team: null,
    imported: { state: 'rejected', after: 60 * M, reason: 'not_icp' },
  },
  {
    name: 'H11',
    mqlAt: d(12, 9),
    channel: 'PAID',
    campaign: 'fall',
    team: 'emea',
    offers: [{ rep: 'alice', at: 1, due: 31, end: 'rejected', endAt: 21, reason: 'other', note: 'student' }],
  },
  {
    name: 'H12',
    mqlAt: d(12, 10),
    channel: 'PAID',
    campaign: 'fall',
    team: null,
    escalate: { after: 1 * M, reason: 'unroutable' },
  },
  {
    name: 'H13',
    mqlAt: Date.UTC(2026, 9, 31, 9),
    channel: 'ORGANIC',
    campaign: 'spring',
    team: 'emea',
    offers: [{ rep: 'alice', at: 1, due: 31, end: 'accepted', endAt: 4 }],
  },
  {
    name: 'H14',
    mqlAt: WINDOW.until,
    channel: 'ORGANIC',
    campaign: 'spring',
    team: 'emea',
    offers: [{ rep: 'alice', at: 1, due: 31, end: 'accepted', endAt: 4 }],
  },
];

/** Writes the golden dataset; returns hand-off ids by name. */
export async function seedGolden(store: Store): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  let n = 0;
  for (const spec of SPECS) {
    n += 1;
    const lead = makeLead({
      externalId: `golden-${spec.name}`,
      email: `${spec.name.toLowerCase()}@golden.example`,
      firstName: 'Lead',
      lastName: spec.name,
      mqlAt: spec.mqlAt,
      modifiedAt: spec.mqlAt,
      fields: {
        company: `Company ${spec.name}`,
        ...(spec.channel === null ? {} : { channel: spec.channel }),
        ...(spec.campaign === null ? {} : { campaign: spec.campaign }),
      },
    });
    const id = await seedHandoff(
      store,
      {
        lead,
        hot: spec.hot ?? false,
        team: spec.team,
        offers: spec.offers ?? [],
        ...(spec.imported ? { imported: spec.imported } : {}),
        ...(spec.escalate ? { escalate: spec.escalate } : {}),
      },
      { label: `golden ${spec.name}`, offerId: (seq) => `${spec.name}-o${seq}-${n}` },
    );
    ids[spec.name] = id;
  }
  return ids;
}

const p = (count: number, p50: number | null, p90: number | null) => ({
  count,
  p50: p50 === null ? null : p50 * M,
  p90: p90 === null ? null : p90 * M,
});

/** Counts worked out by hand from the table above. */
export const GOLDEN = {
  // 12 MQLs in the window: accepted H1 H2 H8 H9, rejected H3 H4 H10 H11, open H5 H6 H12, withdrawn H7.
  total: {
    mqls: 12,
    imported: 2, // H9 H10
    sals: 4,
    rejected: 4,
    pending: 3,
    withdrawn: 1,
    escalated: 2, // H5 H12
    recycled: 1, // H4 bad_timing
    rejectedByReason: { not_icp: 2, bad_timing: 1, other: 1 },
    timeouts: 2, // H2 alice, H5 carl
    // ended offers: H1 H2a H2b H3 H4 H5 H8 H11 = 8; on time: H1 H2b H3 H8 H11 = 5 (H4 was late)
    offersEnded: 8,
    offersOnTime: 5,
    // live accepted: H8 3m, H1 11m, H2 51m → p50 rank 2 = 11m, p90 rank 3 = 51m
    speedToLead: p(3, 11, 51),
    // decisions: H8 2m, H3 5m, H1 10m, H2b 20m, H11 20m, H4 40m → p50 rank 3 = 10m, p90 rank 6 = 40m
    responseTime: p(6, 10, 40),
  },
  byRep: {
    // (none): H9 (imported accepted), H10 (imported rejected not_icp), H12 (escalated, never offered)
    '(none)': {
      mqls: 3,
      imported: 2,
      sals: 1,
      rejected: 1,
      pending: 1,
      withdrawn: 0,
      escalated: 1,
      recycled: 0,
      rejectedByReason: { not_icp: 1 },
      timeouts: 0,
      offersEnded: 0,
      offersOnTime: 0,
      speedToLead: p(0, null, null),
      responseTime: p(0, null, null),
    },
    // alice holds H1 (accepted 11m), H6 (open), H11 (rejected other); her offers: H1 10m on time,
    // H2 timed out, H6 open, H11 20m on time
    alice: {
      mqls: 3,
      imported: 0,
      sals: 1,
      rejected: 1,
      pending: 1,
      withdrawn: 0,
      escalated: 0,
      recycled: 0,
      rejectedByReason: { other: 1 },
      timeouts: 1,
      offersEnded: 3,
      offersOnTime: 2,
      speedToLead: p(1, 11, 11),
      responseTime: p(2, 10, 20),
    },
    // bruno holds H2 (accepted, 51m after MQL), H3 (rejected not_icp), H7 (withdrawn); offers H2b 20m, H3 5m, H7 withdrawn
    bruno: {
      mqls: 3,
      imported: 0,
      sals: 1,
      rejected: 1,
      pending: 0,
      withdrawn: 1,
      escalated: 0,
      recycled: 0,
      rejectedByReason: { not_icp: 1 },
      timeouts: 0,
      offersEnded: 2,
      offersOnTime: 2,
      speedToLead: p(1, 51, 51),
      responseTime: p(2, 5, 20),
    },
    // carl holds H4 (rejected bad_timing, late), H5 (timed out, escalated), H8 (accepted 3m); offers H4 40m late, H5 timed out, H8 2m
    carl: {
      mqls: 3,
      imported: 0,
      sals: 1,
      rejected: 1,
      pending: 1,
      withdrawn: 0,
      escalated: 1,
      recycled: 1,
      rejectedByReason: { bad_timing: 1 },
      timeouts: 1,
      offersEnded: 3,
      offersOnTime: 1,
      speedToLead: p(1, 3, 3),
      responseTime: p(2, 2, 40),
    },
  },
  byWeek: {
    // week of Mon 2 Nov: H1..H5
    '2026-11-02': {
      mqls: 5,
      imported: 0,
      sals: 2,
      rejected: 2,
      pending: 1,
      withdrawn: 0,
      escalated: 1,
      recycled: 1,
      rejectedByReason: { not_icp: 1, bad_timing: 1 },
      timeouts: 2,
      offersEnded: 6,
      offersOnTime: 3,
      speedToLead: p(2, 11, 51),
      responseTime: p(4, 10, 40),
    },
    // week of Mon 9 Nov: H6..H12
    '2026-11-09': {
      mqls: 7,
      imported: 2,
      sals: 2,
      rejected: 2,
      pending: 2,
      withdrawn: 1,
      escalated: 1,
      recycled: 0,
      rejectedByReason: { not_icp: 1, other: 1 },
      timeouts: 0,
      offersEnded: 2,
      offersOnTime: 2,
      speedToLead: p(1, 3, 3),
      responseTime: p(2, 2, 20),
    },
  },
  /** mqls / sals / rejected by marketing source. */
  bySource: { ORGANIC: [5, 2, 1], PAID: [5, 0, 3], REFERRAL: [2, 2, 0] },
  byCampaign: { '(none)': [2, 1, 0], fall: [5, 0, 3], spring: [5, 3, 1] },
  /** team emea: H1 H2 H3 H6 H7 H11 → mqls, sals, rejected, pending, withdrawn. */
  teamEmea: [6, 2, 2, 1, 1],
  /** hot: H5 H8 → mqls, sals, pending. */
  hot: [2, 1, 1],
  backlog: {
    open: 3,
    byState: { detected: 0, offered: 1, escalated: 2 },
    // at Nov 12 12:00: H12 is 2h old, H6 3 days, H5 8 days
    byAge: { under1h: 0, under4h: 1, under24h: 0, older: 2 },
    oldestMqlAt: d(4, 9),
    unroutable: 1,
  },
};
