// The lull baseline on day one: "usual volume for the same hours of the week over the previous 4 weeks" counts
// backfilled MQLs, so a lull staged against a backfilled 4-week baseline yields exactly one lull alert; without the
// history there is no baseline and no alert.
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateAlerts, type AlertRules } from '../../src/app/alerts.js';
import { backfillFromSource } from '../../src/app/backfill.js';
import { DEFAULT_HISTORY } from '../../src/config/schema.js';
import type { HistoryEpisode, HistorySource } from '../../src/ports/history-source.js';
import { silentLogger } from '../../src/ports/logger.js';
import type { Store } from '../../src/ports/store.js';
import { createMemoryStore } from '../../src/store/index.js';
import { metricsReaderFor } from '../../src/store/metrics-memory.js';
import { baseSettings, createHarness } from '../helpers/app-harness.js';
import { makeLead } from '../helpers/builders.js';
import { openSqliteTestStore, type TestStore } from '../helpers/stores.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const T = Date.UTC(2026, 10, 23, 14, 0); // a Monday afternoon, outside quiet hours

const RULES: AlertRules = {
  backlog: { pendingOver: 50 },
  lull: { window: 4 * HOUR, belowPercentOfUsual: 50 },
  conversion: null,
  rejectionSpike: null,
  cooldown: 2 * HOUR,
  quietHours: { start: 22 * 60, end: 7 * 60 },
  timezone: 'UTC',
};

/** Four weeks of history: 8 MQLs in each week's 10:00–14:00 Monday window, 3 more spread over each week. */
function fourWeeks(): HistorySource {
  const episodes: HistoryEpisode[] = [];
  for (let week = 1; week <= 4; week++) {
    for (let i = 0; i < 11; i++) {
      const mqlAt = i < 8 ? T - week * WEEK - 4 * HOUR + i * 25 * MIN : T - week * WEEK + (i - 7) * DAY;
      const props =
        i % 2 === 0 ? { lifecyclestage: 'customer' } : { lifecyclestage: 'lead', hs_lead_status: 'UNQUALIFIED' };
      episodes.push({
        lead: makeLead({ externalId: `w${week}-${i}`, mqlAt, modifiedAt: mqlAt + DAY, props }),
        outcomeAt: null,
        evidence: 'mql-date',
        stillMql: false,
      });
    }
  }
  episodes.sort((a, b) => a.lead.mqlAt - b.lead.mqlAt);
  return {
    kind: 'hubspot',
    async *read() {
      yield {
        episodes,
        cursor: JSON.stringify({ at: episodes[episodes.length - 1]?.lead.mqlAt }),
        estimatedTotal: episodes.length,
        calls: 1,
      };
    },
  };
}

async function stage(store: Store, backfill: boolean): Promise<string[][]> {
  const h = createHarness(store, baseSettings(), T);
  if (backfill) {
    const s = await backfillFromSource(
      { store, clock: h.clock, logger: silentLogger, settings: h.deps.settings },
      fourWeeks(),
      {
        range: { from: T - 30 * DAY, to: T },
        rules: DEFAULT_HISTORY.hubspot,
      },
    );
    expect(s.created).toBe(44);
  }
  // day one: one live MQL in the last 4 hours, where the previous Mondays had 8
  await store.ingest(
    { lead: makeLead({ externalId: 'live-1', mqlAt: T - HOUR, modifiedAt: T - HOUR }), hot: false, imported: false },
    T - HOUR,
  );
  const deps = {
    store,
    metrics: metricsReaderFor(store),
    clock: h.clock,
    settings: h.deps.settings,
    rules: RULES,
    logger: silentLogger,
  };
  const fired: string[][] = [];
  fired.push((await evaluateAlerts(deps)).fired);
  h.clock.advance(10 * MIN);
  fired.push((await evaluateAlerts(deps)).fired);
  h.clock.advance(30 * MIN);
  fired.push((await evaluateAlerts(deps)).fired);
  await h.drain();
  const lullPosts = h.slack.docs.filter((m) => m.doc.title.includes('Lead flow lull'));
  expect(lullPosts.length).toBe(fired.flat().filter((k) => k === 'lull').length);
  return fired;
}

for (const engine of ['memory', 'sqlite'] as const) {
  describe(`lull baseline from backfilled history (${engine})`, () => {
    let ts: TestStore | null = null;
    afterEach(async () => {
      await ts?.close();
      ts = null;
    });
    const open = async (): Promise<Store> => {
      if (engine === 'memory') return createMemoryStore();
      ts = await openSqliteTestStore();
      return ts.store;
    };

    it('yields exactly one lull alert against a backfilled 4-week baseline', async () => {
      expect(await stage(await open(), true)).toEqual([['lull'], [], []]);
    });

    it('has no baseline, and so no lull alert, without the history', async () => {
      expect(await stage(await open(), false)).toEqual([[], [], []]);
    });
  });
}
