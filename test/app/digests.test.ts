// Digests: the period of a scheduled run, late-once delivery, and the figures of the golden dataset as the
// document the notifier and mailer lay out (test/connectors/slack/slack.blocks.test.ts, email.templates.test.ts).
import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { buildDigest, digestPeriod, latestOccurrence, sendDueDigest } from '../../src/app/digests.js';
import type { DigestDeps, DigestSchedule } from '../../src/app/digests.js';
import { silentLogger } from '../../src/ports/logger.js';
import type { MessageDoc } from '../../src/ports/message-doc.js';
import { createMemoryStore } from '../../src/store/index.js';
import { createStoreMetricsReader } from '../../src/store/metrics-memory.js';
import { baseSettings } from '../helpers/app-harness.js';
import { makeRep } from '../helpers/builders.js';
import { seedGolden } from '../helpers/golden.js';

function schedule(name: 'managers' | 'marketing', expr: string, timezone: string): DigestSchedule {
  const task = cron.createTask(expr, () => undefined, { timezone });
  return { name, timezone, via: ['slack', 'email'], matches: (at) => task.match(new Date(at)) };
}

const settings = baseSettings({
  reps: [
    makeRep({ id: 'alice', name: 'Alice Martin' }),
    makeRep({ id: 'bruno', name: 'Bruno Keller' }),
    makeRep({ id: 'carl', name: 'Carl Diaz' }),
  ],
  dashboardUrl: 'https://handoff.example.com/dashboard',
});

function deps(store = createMemoryStore(), at = Date.UTC(2026, 10, 25, 9, 0)) {
  let now = at;
  const d: DigestDeps = {
    store,
    metrics: createStoreMetricsReader(store),
    clock: { now: () => now },
    settings,
    logger: silentLogger,
  };
  return { d, set: (t: number) => void (now = t) };
}

describe('digest periods', () => {
  it('finds the latest scheduled minute at or before now in the schedule time zone', () => {
    const s = schedule('managers', '0 8 * * 1-5', 'Europe/Berlin');
    // Wed 25 Nov 2026 10:00 UTC = 11:00 Berlin → today 08:00 Berlin = 07:00 UTC
    expect(latestOccurrence(Date.UTC(2026, 10, 25, 10, 0), s.matches)).toBe(Date.UTC(2026, 10, 25, 7, 0));
    // Mon 23 Nov 06:00 UTC (07:00 Berlin) → last run Fri 20 Nov 08:00 Berlin
    expect(latestOccurrence(Date.UTC(2026, 10, 23, 6, 0), s.matches)).toBe(Date.UTC(2026, 10, 20, 7, 0));
  });

  it('covers the local day before for managers and the 7 local days before for marketing', () => {
    expect(digestPeriod('managers', Date.UTC(2026, 10, 25, 7, 0), 'Europe/Berlin')).toEqual({
      since: Date.UTC(2026, 10, 23, 23, 0),
      until: Date.UTC(2026, 10, 24, 23, 0),
      key: 'managers:2026-11-24',
      label: '2026-11-24',
    });
    expect(digestPeriod('marketing', Date.UTC(2026, 10, 23, 8, 0), 'Europe/Berlin')).toEqual({
      since: Date.UTC(2026, 10, 15, 23, 0),
      until: Date.UTC(2026, 10, 22, 23, 0),
      key: 'marketing:2026-11-16',
      label: '2026-11-16 – 2026-11-22',
    });
  });
});

describe('sendDueDigest', () => {
  it('sends a digest missed while the worker was down once, late, and the next one on time', async () => {
    const s = schedule('managers', '0 8 * * *', 'UTC');
    const { d, set } = deps(createMemoryStore(), Date.UTC(2026, 10, 24, 12, 0));
    // first start ever: nothing was missed, the current period is only recorded
    expect(await sendDueDigest(d, s)).toMatchObject({ kind: 'baseline', period: { key: 'managers:2026-11-23' } });
    set(Date.UTC(2026, 10, 25, 10, 30)); // down at 08:00 the next day, up again at 10:30
    const late = await sendDueDigest(d, s);
    expect(late).toMatchObject({ kind: 'sent', period: { key: 'managers:2026-11-24' }, jobs: 2 });
    expect(await sendDueDigest(d, s)).toMatchObject({ kind: 'already_sent', period: { key: 'managers:2026-11-24' } });
    set(Date.UTC(2026, 10, 25, 11, 0)); // a restart later the same day
    expect((await sendDueDigest(d, s)).kind).toBe('already_sent');
    set(Date.UTC(2026, 10, 26, 8, 0, 1));
    expect(await sendDueDigest(d, s, Date.UTC(2026, 10, 26, 8, 0))).toMatchObject({
      kind: 'sent',
      period: { key: 'managers:2026-11-25' },
    });
    const jobs = await d.store.listJobs({});
    expect(jobs.map((j) => j.idempotencyKey).sort()).toEqual([
      'email.send:digest:managers:2026-11-24',
      'email.send:digest:managers:2026-11-25',
      'slack.message:digest:managers:2026-11-24',
      'slack.message:digest:managers:2026-11-25',
    ]);
  });

  it('sends only by the configured channels', async () => {
    const s = { ...schedule('marketing', '0 9 * * 1', 'UTC'), via: ['email'] as const };
    const { d } = deps(createMemoryStore(), Date.UTC(2026, 10, 23, 9, 5));
    expect(await sendDueDigest(d, s, Date.UTC(2026, 10, 23, 9, 0))).toMatchObject({ kind: 'sent', jobs: 1 });
    const [j] = await d.store.listJobs({});
    expect(j?.kind).toBe('email.send');
    expect(j?.payload.to).toEqual(['mkt@example.com']);
  });
});

const fact = (doc: MessageDoc, label: string) => doc.facts.find((f) => f.label === label)?.value;
const rows = (doc: MessageDoc, title: string) => doc.tables.find((t) => t.title === title)?.rows;

describe('digest content on the golden dataset', () => {
  it("describes the managers' day: totals, SLA, per-rep table, backlog", async () => {
    const store = createMemoryStore();
    await seedGolden(store);
    const { d } = deps(store, Date.UTC(2026, 10, 13, 8, 0));
    // 3 Nov: H3 (bruno rejected in 5m, on time) and H4 (carl rejected in 40m, late)
    const doc = await buildDigest(d, 'managers', digestPeriod('managers', Date.UTC(2026, 10, 4, 8, 0), 'UTC'));
    expect(doc.title).toBe('📊 Lead hand-off, 2026-11-03');
    expect(doc.subject).toBe('[handoff] Daily digest 2026-11-03: 2 MQLs, 0.0% MQL→SAL');
    expect(fact(doc, 'MQLs')).toBe('2');
    expect(fact(doc, 'SLA compliance')).toBe('50.0% (1 of 2)');
    expect(rows(doc, 'Per rep')).toEqual([
      ['Bruno Keller', '1', '0', '1', '0', '5m 00s', '100.0%'],
      ['Carl Diaz', '1', '0', '1', '0', '40m 00s', '0.0%'],
    ]);
    // backlog now (13 Nov 08:00): H5, H6, H12 open; the oldest, H5, MQL since 4 Nov 09:00
    expect(fact(doc, 'Open backlog now')).toBe('3, oldest 8d 23h');
    expect(doc.link).toEqual({ url: 'https://handoff.example.com/dashboard', label: 'Open the dashboard' });
  });

  it("describes marketing's week: by source and campaign, reasons with notes", async () => {
    const store = createMemoryStore();
    await seedGolden(store);
    const { d } = deps(store, Date.UTC(2026, 10, 16, 9, 0));
    // week 9–15 Nov: H6–H12 and H14 (MQL 15 Nov 00:00, accepted) → 8 MQLs, SALs H8 H9 H14 = 37.5%
    const doc = await buildDigest(d, 'marketing', digestPeriod('marketing', Date.UTC(2026, 10, 16, 9, 0), 'UTC'));
    expect(doc.subject).toBe('[handoff] Weekly marketing digest 2026-11-09 – 2026-11-15: 37.5% MQL→SAL');
    // ORGANIC: H6 H7 H10 H14 → 4 MQLs, 1 SAL (H14), 1 rejected (H10); PAID: H11 H12; REFERRAL: H8 H9
    expect(rows(doc, 'By source')).toEqual(
      expect.arrayContaining([
        ['ORGANIC', '4', '1', '25.0%', '1', '0'],
        ['PAID', '2', '0', '0.0%', '1', '0'],
        ['REFERRAL', '2', '2', '100.0%', '0', '0'],
      ]),
    );
    expect(rows(doc, 'Rejection reasons')).toContainEqual(['Not our ideal customer', '1', '12.5%']);
    expect(doc.notes?.items).toContain('Other: “student” (PAID / fall)');
    expect(doc.notes?.items).toContain('No lead-flow lulls.');
  });
});
