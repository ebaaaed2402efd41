// The built worker (a child process) against the HubSpot and Slack emulators and a real SMTP server:
// a lull, a conversion drop and a rejection spike are staged, each produces exactly one Slack alert
// and one email, and a resolved notice once the condition clears; then a burst of unanswered MQLs
// raises no conversion alert (it judges settled hand-offs only). Needs `npm run build`.
import { afterAll, describe, expect, it } from 'vitest';
import { createWorld, liveCards, MANAGER, mqlContact, type World } from './helpers/world.js';
import { waitFor } from '../helpers/wait.js';
import { makeLead } from '../helpers/builders.js';
import { decodeHeader } from '../helpers/mime.js';

const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
const REP_IDS = ['U0ALICE', 'U0BRUNO', 'U0CHEN'];
const MARKETING = 'mkt@e2e.example';

function subjects(world: World, to: string): string[] {
  return world.mails
    .filter((m) => m.to.includes(to))
    .map((m) => decodeHeader((/^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(m.raw)?.[1] ?? '').replace(/\r\n[ \t]+/g, ' ')));
}
const texts = (world: World, channel: string) => world.slack.control.messages(channel).map((m) => m.text);
const count = (list: string[], re: RegExp) => list.filter((t) => re.test(t)).length;

async function decideAll(world: World, n: number, decision: 'accept' | 'reject'): Promise<void> {
  for (let done = 0; done < n; ) {
    const [user, card] = await waitFor(
      `a card to ${decision}`,
      () => {
        for (const u of REP_IDS) {
          const c = liveCards(world.slack, u)[0];
          if (c) return [u, c] as const;
        }
        return null;
      },
      20_000,
    );
    if (decision === 'accept') {
      await world.slack.control.clickButton({ user, channel: card.channel, ts: card.ts, actionId: 'handoff_accept' });
    } else {
      await world.slack.control.clickButton({ user, channel: card.channel, ts: card.ts, actionId: 'handoff_reject' });
      await waitFor('the reject modal', () =>
        world.slack.control.views(user).find((v) => v.type === 'modal' && !v.closed),
      );
      await world.slack.control.submitView({
        user,
        values: { reject_reason: { reason: 'not_icp' }, reject_note: { note: 'too small' } },
      });
    }
    await waitFor('the card to close', () => !liveCards(world.slack, user).some((c) => c.ts === card.ts), 20_000);
    done += 1;
  }
}

describe('alerts from a running worker', () => {
  let world: World;
  afterAll(async () => {
    await world?.close();
  });

  it('a lull, a conversion drop and a rejection spike: one Slack alert and one email each, then a resolved notice', async () => {
    world = await createWorld({
      config: (base) => ({
        ...base,
        slack: { ...(base.slack as object), marketingChannel: 'C0MKTG' },
        email: { ...(base.email as object), marketing: [MARKETING] },
        sla: { acceptWithin: '10m', remindAt: false, maxOffers: 2 },
        alerts: {
          backlog: false,
          lull: { window: '4h', belowPercentOfUsual: 50 },
          conversion: { window: '7d', belowPercent: 60, minMqls: 3 },
          rejectionSpike: { window: '7d', abovePercent: 50, minDecisions: 3 },
          cooldown: '1h',
          quietHours: false,
        },
        digests: { managers: false, marketing: false },
      }),
    });
    world.slack.control.addChannel({
      id: 'C0MKTG',
      name: 'marketing',
      members: [MANAGER.slackUserId],
      botIsMember: true,
    });
    // History (as `handoff backfill` stores it): 4 MQLs in the same 4 hours of each of the last 4 weeks.
    const store = await world.openStore();
    try {
      await store.migrate();
      const now = Date.now();
      for (let w = 1; w <= 4; w++) {
        for (let i = 0; i < 4; i++) {
          const at = now - w * WEEK - (i + 1) * 40 * 60_000;
          await store.ingest(
            {
              lead: makeLead({ externalId: `hist-${w}-${i}`, mqlAt: at, modifiedAt: at }),
              hot: false,
              imported: true,
              state: 'accepted',
              decidedAt: at + HOUR,
              reasonId: null,
              decidedBy: null,
            },
            at,
          );
        }
      }
    } finally {
      await store.close();
    }
    await world.startWorker();

    // 1. Lull: no MQL in the last 4 hours against 4 usually.
    await waitFor(
      'the lull alert',
      () =>
        count(texts(world, 'C0MGRS'), /Lead flow lull: 0 MQLs/) === 1 &&
        subjects(world, MANAGER.email).some((s) => s.includes('Lead flow lull')),
      20_000,
    );

    // 2. Three MQLs of campaign "spring", all rejected: the lull ends, conversion 0/3, spring rejected 3/3.
    for (let i = 0; i < 3; i++) world.hubspot.control.createContact(mqlContact({ campaign: 'spring' }));
    await decideAll(world, 3, 'reject');
    await waitFor(
      'conversion and spike alerts, lull resolved',
      () => {
        const mgrs = texts(world, 'C0MGRS');
        return (
          count(mgrs, /MQL→SAL dropped to 0\.0%/) === 1 &&
          count(texts(world, 'C0MKTG'), /Rejections spiked for campaign "spring"/) === 1 &&
          count(mgrs, /Resolved: Lead flow lull/) === 1
        );
      },
      30_000,
    );

    // 3. Six accepted MQLs: conversion 6/9 = 66.7% and spring rejections 3/9 = 33% clear both.
    for (let i = 0; i < 6; i++) world.hubspot.control.createContact(mqlContact({ campaign: 'spring' }));
    await decideAll(world, 6, 'accept');
    await waitFor(
      'conversion and spike resolved',
      () =>
        count(texts(world, 'C0MGRS'), /Resolved: MQL→SAL dropped/) === 1 &&
        count(texts(world, 'C0MKTG'), /Resolved: Rejections spiked/) === 1,
      30_000,
    );
    await waitFor(
      'the resolved emails',
      () =>
        subjects(world, MARKETING).length === 2 &&
        subjects(world, MANAGER.email).filter((s) => s.includes('Resolved')).length === 2,
      20_000,
    );

    // 4. A burst of four fresh MQLs nobody has answered yet. Pending is not a drop: accepted / all MQLs
    //    would be 6/13 = 46.2% (< 60%), accepted / settled stays 6/9. No alert, whatever the ticks.
    const view = await world.openStore();
    try {
      const before = (await view.listOpenHandoffs(100)).length;
      for (let i = 0; i < 4; i++) world.hubspot.control.createContact(mqlContact({ campaign: 'autumn' }));
      const offeredAt = await waitFor(
        'the burst stored and offered',
        async () => {
          const open = await view.listOpenHandoffs(100);
          return open.length >= before + 4 && open.every((h) => h.state === 'offered')
            ? Math.max(...open.map((h) => h.updatedAt))
            : null;
        },
        30_000,
      );
      // Two alert ticks that began after the burst was offered (ticks never overlap: the first one is done).
      const tickAfter = (t: number) =>
        waitFor(
          'an alert tick',
          async () => {
            const at = Number((await view.getCursor('alerts:sla_breach')) ?? 0);
            return at > t ? at : null;
          },
          30_000,
        );
      await tickAfter(await tickAfter(offeredAt));
      expect((await view.getAlert('conversion_drop'))?.state).toBe('resolved');
    } finally {
      await view.close();
    }

    const mgrs = texts(world, 'C0MGRS');
    // the alert judged settled hand-offs and said how many were still pending
    expect(mgrs.filter((t) => /MQL→SAL dropped to 0\.0%/.test(t) && !/Resolved/.test(t))).toEqual([
      expect.stringContaining('Accepted 0 of 3 settled hand-offs'),
    ]);
    expect(count(mgrs, /Lead flow lull/)).toBe(2); // fired, resolved
    expect(count(mgrs, /MQL→SAL dropped/)).toBe(2);
    expect(texts(world, 'C0MKTG').length).toBe(2);
    const managerMail = subjects(world, MANAGER.email);
    expect(managerMail.filter((s) => /^\[handoff\] Warning: Lead flow lull/.test(s))).toHaveLength(1);
    expect(managerMail.filter((s) => /^\[handoff\] Resolved: Lead flow lull/.test(s))).toHaveLength(1);
    expect(managerMail.filter((s) => /^\[handoff\] Warning: MQL→SAL dropped to 0\.0%/.test(s))).toHaveLength(1);
    expect(managerMail.filter((s) => /^\[handoff\] Resolved: MQL→SAL dropped/.test(s))).toHaveLength(1);
    expect(subjects(world, MARKETING).sort()).toEqual([
      '[handoff] Resolved: Rejections spiked for campaign "spring": 100.0% of decisions in the last 7d 00h',
      '[handoff] Warning: Rejections spiked for campaign "spring": 100.0% of decisions in the last 7d 00h',
    ]);
    // the numbers travel with the alert
    const conversionMail = world.mails.find(
      (m) =>
        m.to.includes(MANAGER.email) &&
        /MQL=E2=86=92SAL dropped|MQL→SAL dropped/.test(m.raw) &&
        !/Resolved/.test(m.raw),
    );
    expect(conversionMail).toBeDefined();
  }, 180_000);
});
