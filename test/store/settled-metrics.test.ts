// MetricsReader.settledFunnel on the memory store, SQLite and Postgres: which hand-offs of a window are
// settled (decided, withdrawn, escalated, past their last deadline) and where the judged part ends (the
// oldest pending MQL, per group), worked out by hand for a small set that has every case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsReader, SettledCounts } from '../../src/ports/metrics.js';
import type { Store } from '../../src/ports/store.js';
import { createMemoryStore } from '../../src/store/index.js';
import { createSqlMetricsReader, emptySettled } from '../../src/store/metrics.js';
import { createStoreMetricsReader } from '../../src/store/metrics-memory.js';
import { makeLead } from '../helpers/builders.js';
import { seedHandoff, type HandoffPlan, type OfferStep } from '../helpers/seed-handoffs.js';
import { openPostgresTestStore, openSqliteTestStore, skipPostgres } from '../helpers/stores.js';

const M = 60_000;
const H = 60 * M;
const NOW = Date.UTC(2026, 11, 7, 15, 0);
const SLA = 30 * M;

interface Row {
  name: string;
  /** MQL time, minutes before NOW. */
  ago: number;
  channel: string | null;
  offers: OfferStep[];
  escalate?: boolean;
}

const accepted = (endAt = 10): OfferStep => ({ rep: 'alice', at: 1, due: 31, end: 'accepted', endAt });
const ROWS: Row[] = [
  { name: 'P1 accepted', ago: 9 * 60, channel: 'PAID', offers: [accepted()] },
  {
    name: 'P2 rejected',
    ago: 8 * 60,
    channel: 'PAID',
    offers: [{ rep: 'alice', at: 1, due: 31, end: 'rejected', endAt: 5, reason: 'not_icp' }],
  },
  // offered, its deadline (NOW - 20m) has passed and nobody swept it yet
  { name: 'P3 overdue', ago: 7 * 60, channel: 'PAID', offers: [{ rep: 'alice', at: 1, due: 400, end: 'open' }] },
  {
    name: 'P4 escalated',
    ago: 6 * 60,
    channel: 'PAID',
    offers: [{ rep: 'alice', at: 1, due: 31, end: 'timed_out', endAt: 31 }],
    escalate: true,
  },
  // offered, due NOW + 1h: pending, so PAID (and the whole window) is judged up to NOW - 5h
  { name: 'P5 pending', ago: 5 * 60, channel: 'PAID', offers: [{ rep: 'bruno', at: 1, due: 360, end: 'open' }] },
  { name: 'P6 accepted after a pending one', ago: 4 * 60, channel: 'PAID', offers: [accepted()] },
  {
    name: 'O1 withdrawn',
    ago: 9 * 60 + 30,
    channel: 'ORGANIC',
    offers: [{ rep: 'alice', at: 1, due: 31, end: 'withdrawn', endAt: 5 }],
  },
  { name: 'O2 accepted', ago: 3 * 60, channel: 'ORGANIC', offers: [accepted()] },
  // never offered, MQL 20m ago (< SLA): pending
  { name: 'O3 not offered yet', ago: 20, channel: 'ORGANIC', offers: [] },
  // never offered, MQL 2h ago (> SLA): past its deadline
  { name: 'O4 never offered', ago: 120, channel: 'ORGANIC', offers: [] },
  {
    name: 'O5 rejected after a pending one',
    ago: 10,
    channel: 'ORGANIC',
    offers: [{ rep: 'bruno', at: 1, due: 9, end: 'rejected', endAt: 5, reason: 'bad_timing' }],
  },
  { name: 'N1 accepted, no source', ago: 60, channel: null, offers: [accepted()] },
  { name: 'X1 before the window', ago: 11 * 60, channel: 'PAID', offers: [accepted()] },
];

async function seed(store: Store): Promise<void> {
  let n = 0;
  for (const r of ROWS) {
    n += 1;
    const mqlAt = NOW - r.ago * M;
    const fields = { company: 'Acme', campaign: 'spring', ...(r.channel === null ? {} : { channel: r.channel }) };
    const plan: HandoffPlan = {
      lead: makeLead({ externalId: `s${n}`, mqlAt, modifiedAt: mqlAt, fields }),
      hot: false,
      team: 'emea',
      offers: r.offers,
      ...(r.escalate ? { escalate: { after: 32 * M, reason: 'max_offers' } } : {}),
    };
    await seedHandoff(store, plan, { label: r.name, offerId: (seq) => `s${n}-o${seq}` });
  }
}

const counts = (over: Partial<SettledCounts>): SettledCounts => ({ ...emptySettled(NOW), ...over });

const QUERY = { since: NOW - 10 * H, until: NOW, now: NOW, unofferedWithin: SLA };

function suite(name: string, open: () => Promise<{ store: Store; reader: MetricsReader; close(): Promise<void> }>) {
  describe(`settledFunnel on ${name}`, () => {
    let t: { store: Store; reader: MetricsReader; close(): Promise<void> };
    beforeAll(async () => {
      t = await open();
      await seed(t.store);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('judges the window up to its oldest pending MQL, every hand-off before it settled', async () => {
      const r = await t.reader.settledFunnel(QUERY);
      expect(r.groups).toEqual([]);
      expect(r.total).toEqual(
        counts({
          mqls: 12,
          judgedUntil: NOW - 5 * H,
          settled: 5,
          sals: 1,
          rejected: 1,
          rejectedByReason: { not_icp: 1 },
          withdrawn: 1,
          escalated: 1,
          overdue: 1,
          pending: 2,
          notJudged: 7,
        }),
      );
    });

    it('gives each group its own judged part', async () => {
      const r = await t.reader.settledFunnel({ ...QUERY, by: 'source' });
      expect(r.total.settled).toBe(5);
      expect(Object.fromEntries(r.groups.map(({ key, ...c }) => [key, c]))).toEqual({
        '(none)': counts({ mqls: 1, settled: 1, sals: 1 }),
        ORGANIC: counts({
          mqls: 5,
          judgedUntil: NOW - 20 * M,
          settled: 3,
          sals: 1,
          withdrawn: 1,
          overdue: 1,
          pending: 1,
          notJudged: 2,
        }),
        PAID: counts({
          mqls: 6,
          judgedUntil: NOW - 5 * H,
          settled: 4,
          sals: 1,
          rejected: 1,
          rejectedByReason: { not_icp: 1 },
          escalated: 1,
          overdue: 1,
          pending: 1,
          notJudged: 2,
        }),
      });
    });

    it('settles more as deadlines pass: an hour later the pending offer is overdue too', async () => {
      const later = NOW + H + M;
      const r = await t.reader.settledFunnel({ ...QUERY, now: later });
      // P5 is past its deadline (NOW + 1h); O3 was never offered and its MQL is over 30m old
      expect(r.total).toMatchObject({ mqls: 12, judgedUntil: NOW, settled: 12, overdue: 4, pending: 0, notJudged: 0 });
      expect(r.total.sals).toBe(4);
    });

    it('is empty for a window without MQLs', async () => {
      const r = await t.reader.settledFunnel({ ...QUERY, since: NOW - 30 * H, until: NOW - 20 * H, by: 'campaign' });
      expect(r).toEqual({ total: counts({ judgedUntil: NOW - 20 * H }), groups: [] });
    });
  });
}

suite('the memory store', async () => {
  const store = createMemoryStore();
  return { store, reader: createStoreMetricsReader(store), close: async () => undefined };
});
suite('SQLite', async () => {
  const t = await openSqliteTestStore();
  return { store: t.store, reader: createSqlMetricsReader(t.store.db, 'sqlite'), close: () => t.close() };
});
if (!skipPostgres()) {
  suite('Postgres', async () => {
    const t = await openPostgresTestStore();
    return { store: t.store, reader: createSqlMetricsReader(t.store.db, 'postgres'), close: () => t.close() };
  });
}
