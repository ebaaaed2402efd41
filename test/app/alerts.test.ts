// Alert rules with a fake clock: the pure decision (fire, dedupe, cooldown, quiet hours, resolve) and
// whole ticks over the memory store, delivered by the outbox to fake Slack and mail.
import { describe, expect, it } from 'vitest';
import { decideAlert, evaluateAlerts } from '../../src/app/alerts.js';
import { createConnectorHealth } from '../../src/runtime/connector-health.js';
import type { AlertDeps, AlertRules, Observation } from '../../src/app/alerts.js';
import type { AlertRow, Store } from '../../src/ports/store.js';
import { createMemoryStore } from '../../src/store/index.js';
import { createStoreMetricsReader } from '../../src/store/metrics-memory.js';
import { createHarness, type Harness } from '../helpers/app-harness.js';
import { makeLead } from '../helpers/builders.js';
import { silentLogger } from '../../src/ports/logger.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const obs = (over: Partial<Observation> = {}): Observation => ({
  key: 'backlog',
  kind: 'backlog',
  audience: 'managers',
  critical: false,
  title: 'Backlog: 25 open hand-offs',
  lines: ['too many'],
  facts: [{ label: 'Open', value: '25' }],
  ...over,
});

const T = Date.UTC(2026, 10, 23, 10, 0);
const COOLDOWN = 2 * HOUR;

describe('decideAlert', () => {
  const ctx = (now: number, quiet = false) => ({ now, cooldown: COOLDOWN, quiet });

  it('fires once per episode and dedupes while the condition holds', () => {
    const first = decideAlert(null, obs(), ctx(T));
    expect(first.notice).toBe('fire');
    expect(first.row).toMatchObject({ key: 'backlog', state: 'firing', firedAt: T, lastNotifiedAt: T });
    const again = decideAlert(first.row, obs({ title: 'Backlog: 30 open hand-offs' }), ctx(T + 5 * HOUR));
    expect(again.notice).toBeNull();
    expect(again.row?.firedAt).toBe(T);
    expect((again.row?.data as { title: string }).title).toBe('Backlog: 30 open hand-offs');
  });

  it('sends a resolved notice when a notified condition clears, and nothing when nothing was firing', () => {
    const fired = decideAlert(null, obs(), ctx(T)).row;
    const cleared = decideAlert(fired, null, ctx(T + HOUR));
    expect(cleared.notice).toBe('resolve');
    expect(cleared.row).toMatchObject({ state: 'resolved', resolvedAt: T + HOUR, lastNotifiedAt: T + HOUR });
    expect(decideAlert(cleared.row, null, ctx(T + 2 * HOUR))).toEqual({ row: null, notice: null });
    expect(decideAlert(null, null, ctx(T))).toEqual({ row: null, notice: null });
  });

  it('keeps a flapping alert quiet within the cooldown and announces it once the cooldown has passed', () => {
    const fired = decideAlert(null, obs(), ctx(T)).row;
    const resolved = decideAlert(fired, null, ctx(T + 10 * MIN)).row; // resolved notice at T+10m
    const refire = decideAlert(resolved, obs(), ctx(T + 30 * MIN));
    expect(refire.notice).toBeNull(); // within 2h of the last notice
    expect(refire.row).toMatchObject({ state: 'firing', firedAt: T + 30 * MIN });
    const later = decideAlert(refire.row, obs(), ctx(T + 10 * MIN + COOLDOWN));
    expect(later.notice).toBe('fire');
    // an episode never announced ends without a resolved notice
    const flap = decideAlert(resolved, obs(), ctx(T + 20 * MIN)).row;
    expect(decideAlert(flap, null, ctx(T + 25 * MIN)).notice).toBeNull();
  });

  it('holds non-critical notices during quiet hours and sends them when they end', () => {
    const night = decideAlert(null, obs(), ctx(T, true));
    expect(night.notice).toBeNull();
    expect(night.row?.state).toBe('firing');
    const morning = decideAlert(night.row, obs(), ctx(T + 8 * HOUR, false));
    expect(morning.notice).toBe('fire');
    // the resolved notice waits for the morning too
    const clearedAtNight = decideAlert(morning.row, null, ctx(T + 20 * HOUR, true));
    expect(clearedAtNight.notice).toBeNull();
    const next = decideAlert(clearedAtNight.row, null, ctx(T + 30 * HOUR, false));
    expect(next.notice).toBe('resolve');
    expect(next.row).toMatchObject({ state: 'resolved', resolvedAt: T + 20 * HOUR });
  });

  it('lets critical alerts through quiet hours', () => {
    const d = decideAlert(null, obs({ key: 'sla_breach:h1', kind: 'sla_breach', critical: true }), ctx(T, true));
    expect(d.notice).toBe('fire');
    expect(decideAlert(d.row, null, ctx(T + MIN, true)).notice).toBe('resolve');
  });
});

// ---- whole ticks ------------------------------------------------------------------------------

const RULES: AlertRules = {
  backlog: { pendingOver: 3 },
  lull: { window: 4 * HOUR, belowPercentOfUsual: 50 },
  conversion: { window: 7 * DAY, belowPercent: 60, minMqls: 4 },
  rejectionSpike: { window: 7 * DAY, abovePercent: 50, minDecisions: 3 },
  cooldown: COOLDOWN,
  quietHours: { start: 22 * 60, end: 7 * 60 },
  timezone: 'UTC',
};

function alertDeps(h: Harness, rules: Partial<AlertRules> = {}, extra: Partial<AlertDeps> = {}): AlertDeps {
  return {
    store: h.store,
    metrics: createStoreMetricsReader(h.store),
    clock: h.clock,
    settings: h.deps.settings,
    rules: { ...RULES, ...rules },
    logger: silentLogger,
    ...extra,
  };
}

let seq = 0;
async function mql(
  store: Store,
  at: number,
  fields: Record<string, string> = {},
  outcome?: { state: 'accepted' | 'rejected'; reason?: string },
) {
  seq += 1;
  const lead = makeLead({
    externalId: `a${seq}`,
    mqlAt: at,
    modifiedAt: at,
    fields: { channel: 'ORGANIC', campaign: 'spring', ...fields },
  });
  if (outcome) {
    return store.ingest(
      {
        lead,
        hot: false,
        imported: true,
        state: outcome.state,
        decidedAt: at + MIN,
        reasonId: outcome.reason ?? null,
        decidedBy: 'alice',
      },
      at,
    );
  }
  return store.ingest({ lead, hot: false, imported: false }, at);
}

async function sent(h: Harness) {
  await h.drain();
  const out = {
    slack: h.slack.docs.map((m) => `${m.channel} ${[m.doc.title, ...m.doc.intro].join(' — ')}`),
    mail: h.mailer.sent.map((m) => `${m.to.join(',')} ${m.doc.subject}`),
  };
  h.slack.docs.length = 0;
  h.mailer.sent.length = 0;
  return out;
}

describe('evaluateAlerts', () => {
  it('announces a backlog once by Slack and email, then its resolution', async () => {
    const h = createHarness(createMemoryStore(), undefined, T);
    const deps = alertDeps(h, { lull: null, conversion: null, rejectionSpike: null });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await mql(h.store, T - (i + 1) * MIN)).handoff.id);
    expect((await evaluateAlerts(deps)).fired).toEqual(['backlog']);
    const first = await sent(h);
    expect(first.slack).toEqual([expect.stringMatching(/^C_MGRS .*Backlog: 4 open hand-offs \(threshold 3\)/)]);
    expect(first.mail).toEqual(['maria@example.com [handoff] Warning: Backlog: 4 open hand-offs (threshold 3)']);

    h.clock.advance(10 * MIN);
    expect((await evaluateAlerts(deps)).fired).toEqual([]);
    expect(await sent(h)).toEqual({ slack: [], mail: [] });

    // one hand-off withdrawn: 3 open, not over the threshold any more
    const one = (await h.store.getHandoff(ids[0]!))!;
    await h.store.applyChange(
      {
        handoffId: one.id,
        action: 'withdraw',
        expectVersion: one.version,
        set: { decidedAt: h.clock.now() },
        events: [],
      },
      h.clock.now(),
    );
    h.clock.advance(MIN);
    expect((await evaluateAlerts(deps)).resolved).toEqual(['backlog']);
    const resolved = await sent(h);
    expect(resolved.slack).toEqual([expect.stringMatching(/^C_MGRS .*Resolved: Backlog/)]);
    expect(resolved.mail).toEqual(['maria@example.com [handoff] Resolved: Backlog: 4 open hand-offs (threshold 3)']);
    const row = (await h.store.getAlert('backlog')) as AlertRow;
    expect(row.state).toBe('resolved');
  });

  it('waits for the end of quiet hours for a non-critical alert', async () => {
    const night = Date.UTC(2026, 10, 23, 23, 0);
    const h = createHarness(createMemoryStore(), undefined, night);
    const deps = alertDeps(h, { lull: null, conversion: null, rejectionSpike: null });
    for (let i = 0; i < 4; i++) await mql(h.store, night - (i + 1) * MIN);
    expect((await evaluateAlerts(deps)).fired).toEqual([]);
    expect(await sent(h)).toEqual({ slack: [], mail: [] });
    h.clock.set(Date.UTC(2026, 10, 24, 7, 0));
    expect((await evaluateAlerts(deps)).fired).toEqual(['backlog']);
  });

  it('finds a lull against the same hours of the previous four weeks', async () => {
    const h = createHarness(createMemoryStore(), undefined, T);
    const deps = alertDeps(h, { backlog: null, conversion: null, rejectionSpike: null });
    // usually 4 MQLs between 06:00 and 10:00 on this weekday; today 1
    for (let w = 1; w <= 4; w++)
      for (let i = 0; i < 4; i++) await mql(h.store, T - w * 7 * DAY - (i + 1) * 30 * MIN, {}, { state: 'accepted' });
    await mql(h.store, T - 30 * MIN, {}, { state: 'accepted' });
    const tick = await evaluateAlerts(deps);
    expect(tick.fired).toEqual(['lull']);
    const out = await sent(h);
    expect(out.slack[0]).toContain('Lead flow lull: 1 MQL in the last 4h 00m, usually 4.0');
    // two more arrive: 3 of 4 is 75% of usual → resolved
    await mql(h.store, T + MIN, {}, { state: 'accepted' });
    await mql(h.store, T + 2 * MIN, {}, { state: 'accepted' });
    h.clock.advance(3 * MIN);
    expect((await evaluateAlerts(deps)).resolved).toEqual(['lull']);
  });

  it('flags a conversion drop and a rejection spike of one source to the right audiences', async () => {
    const h = createHarness(createMemoryStore(), undefined, T);
    const deps = alertDeps(h, { backlog: null, lull: null });
    // PAID: 4 rejected of 4; ORGANIC: 2 accepted of 2 → MQL→SAL 2/6 = 33.3%
    for (let i = 0; i < 4; i++)
      await mql(
        h.store,
        T - (i + 1) * HOUR,
        { channel: 'PAID', campaign: 'winter' },
        { state: 'rejected', reason: 'not_icp' },
      );
    for (let i = 0; i < 2; i++)
      await mql(h.store, T - (i + 10) * HOUR, { channel: 'ORGANIC', campaign: 'spring' }, { state: 'accepted' });
    const tick = await evaluateAlerts(deps);
    expect(tick.fired.sort()).toEqual([
      'conversion_drop',
      'rejection_spike:campaign:winter',
      'rejection_spike:source:PAID',
    ]);
    const out = await sent(h);
    expect(out.slack).toContainEqual(expect.stringMatching(/^C_MGRS .*MQL→SAL dropped to 33\.3%/));
    expect(out.slack).toContainEqual(
      expect.stringMatching(/^C_MKTG .*Rejections spiked for source "PAID": 100\.0% of decisions/),
    );
    expect(out.mail).toContainEqual(
      expect.stringMatching(/^mkt@example\.com \[handoff\] Warning: Rejections spiked for source "PAID"/),
    );
    expect(out.mail.filter((m) => m.startsWith('maria@'))).toHaveLength(1);
  });

  it('raises an SLA breach at once, even in quiet hours, and resolves it when the lead is taken', async () => {
    const night = Date.UTC(2026, 10, 23, 23, 0);
    const h = createHarness(createMemoryStore(), undefined, night);
    const deps = alertDeps(h, { backlog: null, lull: null, conversion: null, rejectionSpike: null });
    const created = (await mql(h.store, night - HOUR)).handoff;
    const o1 = await h.store.applyChange(
      {
        handoffId: created.id,
        action: 'offer',
        expectVersion: created.version,
        set: { repId: 'alice', offerCount: 1 },
        insertOffers: [
          {
            id: 'o1',
            repId: 'alice',
            seq: 1,
            state: 'open',
            offeredAt: night - 50 * MIN,
            dueAt: night - 20 * MIN,
            remindAt: null,
            ownerMatch: false,
            trace: {},
          },
        ],
        events: [],
      },
      night - 50 * MIN,
    );
    if (!o1.ok) throw new Error('offer failed');
    await evaluateAlerts(deps); // first look: nothing timed out yet
    const o2 = await h.store.applyChange(
      {
        handoffId: created.id,
        action: 'reoffer',
        expectVersion: o1.handoff.version,
        set: { repId: 'bruno', offerCount: 2 },
        updateOffers: [{ id: 'o1', expectState: 'open', set: { state: 'timed_out', decidedAt: night + MIN } }],
        insertOffers: [
          {
            id: 'o2',
            repId: 'bruno',
            seq: 2,
            state: 'open',
            offeredAt: night + MIN,
            dueAt: night + 31 * MIN,
            remindAt: null,
            ownerMatch: false,
            trace: {},
          },
        ],
        events: [],
      },
      night + MIN,
    );
    if (!o2.ok) throw new Error('re-offer failed');
    h.clock.set(night + 2 * MIN);
    expect((await evaluateAlerts(deps)).fired).toEqual([`sla_breach:${created.id}`]);
    expect((await sent(h)).slack).toEqual([
      expect.stringMatching(/^C_MGRS .*SLA breached: .*Alice did not answer before the deadline/),
    ]);
    h.clock.set(night + 3 * MIN);
    expect((await evaluateAlerts(deps)).fired).toEqual([]);
    await h.store.applyChange(
      {
        handoffId: created.id,
        action: 'accept',
        expectVersion: o2.handoff.version,
        set: { decidedAt: night + 4 * MIN, decidedBy: 'bruno' },
        updateOffers: [{ id: 'o2', expectState: 'open', set: { state: 'accepted', decidedAt: night + 4 * MIN } }],
        events: [],
      },
      night + 4 * MIN,
    );
    h.clock.set(night + 5 * MIN);
    expect((await evaluateAlerts(deps)).resolved).toEqual([`sla_breach:${created.id}`]);
  });

  it('raises unroutable leads, failing connectors and dead jobs to managers', async () => {
    const h = createHarness(createMemoryStore(), undefined, T);
    const connectors = createConnectorHealth({ now: () => h.clock.now() });
    const deps = alertDeps(h, { backlog: null, lull: null, conversion: null, rejectionSpike: null }, { connectors });
    const c = (await mql(h.store, T - HOUR)).handoff;
    await h.store.applyChange(
      {
        handoffId: c.id,
        action: 'escalate',
        expectVersion: c.version,
        set: { escalatedAt: T - HOUR, escalationReason: 'unroutable' },
        events: [],
      },
      T - HOUR,
    );
    connectors.record('crm', { kind: 'auth', reason: 'token expired' });
    connectors.record('slack', { kind: 'transient', reason: 'timeout' }); // once: not yet an alert
    await h.store.enqueueJobs([{ kind: 'crm.note', payload: {}, idempotencyKey: 'x', runAt: T }], T);
    const [dead] = await h.store.claimJobs({ now: T, limit: 1, leaseMs: 1000, workerId: 'w' });
    await h.store.killJob(dead!.id, dead!.claimToken!, 'invalid: no such record', T);
    const tick = await evaluateAlerts(deps);
    expect(tick.fired.sort()).toEqual(['connector:crm', 'dead_jobs', 'unroutable']);
    connectors.record('crm', null);
    h.clock.advance(2 * MIN);
    expect((await evaluateAlerts(deps)).resolved).toEqual(['connector:crm']);
  });
});

describe('alert jobs queued by an earlier version', () => {
  it('posts and mails what the app rendered back then, as it was', async () => {
    const h = createHarness(createMemoryStore(), undefined, T);
    const blocks = [{ type: 'header', text: { type: 'plain_text', text: '⚠️ Backlog: 25', emoji: true } }];
    const mail = {
      to: ['maria@example.com'],
      subject: '[handoff] Warning: Backlog: 25',
      text: 'Backlog: 25\n===========',
      html: '<h1>Backlog: 25</h1>',
    };
    await h.store.enqueueJobs(
      [
        {
          kind: 'slack.message',
          payload: { channel: 'C_MGRS', text: '⚠️ Backlog: 25 — too many', blocks },
          idempotencyKey: 'slack.message:alert:backlog:fire:1',
          runAt: T,
        },
        { kind: 'email.send', payload: mail, idempotencyKey: 'email.send:alert:backlog:fire:1', runAt: T },
      ],
      T,
    );
    await h.drain();
    expect(h.slack.messages).toEqual([{ channel: 'C_MGRS', text: '⚠️ Backlog: 25 — too many', blocks }]);
    expect(h.mailer.rendered).toEqual([mail]);
    expect(h.slack.docs).toEqual([]);
    expect(h.mailer.sent).toEqual([]);
    expect(await h.store.countJobs('pending')).toBe(0);
  });
});
