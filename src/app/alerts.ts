// Manager and marketing alerts. Each tick observes the conditions (SLA breaches, unroutable leads,
// backlog, lull, conversion drop, rejection spikes, failing connectors, dead-lettered jobs), then a
// pure decision per alert key says whether to notify — dedupe (one notice per episode), cooldown
// (no new episode notice within `cooldown` of the last notice), quiet hours (non-critical notices
// wait until they end) and a resolved notice when a notified condition clears. State lives in the
// store's alerts table; notices go out as outbox jobs (Slack message + email), never directly.
// The rate rules (conversion drop, rejection spike) count settled hand-offs only: see
// src/domain/settled.ts and MetricsReader.settledFunnel. The lull counts arrivals (nothing pending
// there) and the backlog is a level, so they read the plain counts.
import { isOpen } from '../domain/handoff-machine.js';
import {
  formatPercent,
  inQuietHours,
  judgeLull,
  localMinuteOfDay,
  percentOf,
  sameHoursPreviousWeeks,
  shortDuration,
} from '../domain/metrics.js';
import type { Millis } from '../domain/model.js';
import type { Clock } from '../ports/clock.js';
import type { ConnectorHealth } from '../ports/connector-health.js';
import type { Logger } from '../ports/logger.js';
import type { Fact, MessageDoc } from '../ports/message-doc.js';
import type { MetricsReader, SettledCounts } from '../ports/metrics.js';
import { NO_GROUP } from '../ports/metrics.js';
import type { AlertRow, NewJob, Store } from '../ports/store.js';
import { job } from './jobs.js';
import { alertDoc } from './messages/alert.js';
import { channelOf, type AppSettings } from './settings.js';
import { platformOf } from '../domain/chat.js';

export type AlertKind =
  | 'sla_breach'
  | 'unroutable'
  | 'backlog'
  | 'lull'
  | 'conversion_drop'
  | 'rejection_spike'
  | 'connector'
  | 'dead_jobs';
export type Audience = 'managers' | 'marketing';

export interface AlertRules {
  backlog: { pendingOver: number } | null;
  lull: { window: Millis; belowPercentOfUsual: number } | null;
  conversion: { window: Millis; belowPercent: number; minMqls: number } | null;
  rejectionSpike: { window: Millis; abovePercent: number; minDecisions: number } | null;
  cooldown: Millis;
  /** Minutes after local midnight; non-critical notices wait while inside. */
  quietHours: { start: number; end: number } | null;
  timezone: string;
}

/** What an alert says and to whom. */
interface AlertContent {
  kind: AlertKind;
  audience: Audience;
  /** Critical alerts ignore quiet hours. */
  critical: boolean;
  title: string;
  lines: string[];
  facts: Fact[];
}

/** A condition that holds right now. */
export interface Observation extends AlertContent {
  key: string;
}

/** What the alerts table keeps in `data` for one key. */
export interface AlertData extends AlertContent {
  /** The fire notice of this episode went out. */
  notified: boolean;
  /** The condition cleared at this time and the resolved notice waits for quiet hours to end. */
  clearedAt: Millis | null;
}

export type Notice = 'fire' | 'resolve' | null;

export interface AlertDecision {
  /** The row to store (null = nothing to store). */
  row: AlertRow | null;
  notice: Notice;
}

function dataOf(row: AlertRow | null): AlertData | null {
  return row ? (row.data as unknown as AlertData) : null;
}

/**
 * The pure rule: given the stored row of a key, what holds now (an observation, or null when the
 * condition is clear) and the moment, decide the new row and the notice to send.
 */
export function decideAlert(
  prev: AlertRow | null,
  obs: Observation | null,
  ctx: { now: Millis; cooldown: Millis; quiet: boolean },
): AlertDecision {
  const { now } = ctx;
  const prevData = dataOf(prev);
  const critical = obs?.critical ?? prevData?.critical ?? false;
  const mayNotify = critical || !ctx.quiet;
  if (obs) {
    const fresh: AlertContent = {
      kind: obs.kind,
      audience: obs.audience,
      critical: obs.critical,
      title: obs.title,
      lines: obs.lines,
      facts: obs.facts,
    };
    if (prev && prev.state === 'firing' && prevData) {
      // Same episode (a resolved notice still waiting counts as one: it never went out).
      const data: AlertData = { ...fresh, notified: prevData.notified, clearedAt: null };
      if (prevData.notified)
        return { row: { ...prev, data: data as unknown as Record<string, unknown> }, notice: null };
      const cooled = prev.lastNotifiedAt === null || now - prev.lastNotifiedAt >= ctx.cooldown;
      if (mayNotify && cooled) {
        return {
          row: {
            ...prev,
            lastNotifiedAt: now,
            data: { ...data, notified: true } as unknown as Record<string, unknown>,
          },
          notice: 'fire',
        };
      }
      return { row: { ...prev, data: data as unknown as Record<string, unknown> }, notice: null };
    }
    // A new episode.
    const lastNotifiedAt = prev?.lastNotifiedAt ?? null;
    const cooled = lastNotifiedAt === null || now - lastNotifiedAt >= ctx.cooldown;
    const notify = mayNotify && cooled;
    const row: AlertRow = {
      key: obs.key,
      state: 'firing',
      firedAt: now,
      lastNotifiedAt: notify ? now : lastNotifiedAt,
      resolvedAt: null,
      data: { ...fresh, notified: notify, clearedAt: null } as unknown as Record<string, unknown>,
    };
    return { row, notice: notify ? 'fire' : null };
  }
  if (!prev || prev.state !== 'firing' || !prevData) return { row: null, notice: null };
  if (!prevData.notified) {
    // Never announced (quiet hours or cooldown): it ends without a word.
    return {
      row: {
        ...prev,
        state: 'resolved',
        resolvedAt: now,
        data: { ...prevData, clearedAt: null } as unknown as Record<string, unknown>,
      },
      notice: null,
    };
  }
  const clearedAt = prevData.clearedAt ?? now;
  if (mayNotify) {
    return {
      row: {
        ...prev,
        state: 'resolved',
        resolvedAt: clearedAt,
        lastNotifiedAt: now,
        data: { ...prevData, clearedAt: null } as unknown as Record<string, unknown>,
      },
      notice: 'resolve',
    };
  }
  return { row: { ...prev, data: { ...prevData, clearedAt } as unknown as Record<string, unknown> }, notice: null };
}

// ---- connector health -------------------------------------------------------------------------

/** Repeated failures of any kind make a connector alert; auth failures (token, scope) at once. */
export const CONNECTOR_FAILURES_TO_ALERT = 3;

// ---- observing --------------------------------------------------------------------------------

export interface AlertDeps {
  store: Store;
  metrics: MetricsReader;
  clock: Clock;
  settings: AppSettings;
  rules: AlertRules;
  logger: Logger;
  connectors?: ConnectorHealth;
}

const ALERT_CURSOR = 'alerts:sla_breach';
const FIRST_LOOK_BACK: Millis = 15 * 60_000;

function pct(n: number | null): string {
  return formatPercent(n);
}

async function observe(deps: AlertDeps, now: Millis, firing: AlertRow[]): Promise<Observation[]> {
  const { metrics, rules, settings, store } = deps;
  const out: Observation[] = [];
  const repName = (id: string) => settings.reps.find((r) => r.id === id)?.name ?? id;

  // SLA breaches: offers that timed out since the last look, one alert per hand-off while it is open.
  const since = Number((await store.getCursor(ALERT_CURSOR)) ?? now - FIRST_LOOK_BACK);
  const breaches = await metrics.listTimedOutOffers(Math.min(since, now), now, 500);
  const seen = new Set<string>();
  for (const b of breaches) {
    // Only hand-offs that moved on to the next rep: an escalated one has its escalation post already.
    if (seen.has(b.handoffId) || b.handoffState !== 'offered') continue;
    seen.add(b.handoffId);
    out.push(slaBreach(b.handoffId, b.email, b.hot, repName(b.repId), b.dueAt, b.timedOutAt));
  }
  const last = breaches[breaches.length - 1];
  await store.setCursor(ALERT_CURSOR, String(breaches.length === 500 && last ? last.timedOutAt : now), now);
  for (const row of firing) {
    const data = dataOf(row);
    if (data?.kind !== 'sla_breach') continue;
    const id = row.key.slice('sla_breach:'.length);
    if (seen.has(id)) continue;
    const h = await store.getHandoff(id);
    if (h && isOpen(h.state)) out.push({ ...data, key: row.key });
  }

  const backlog = await metrics.backlog(now);
  if (backlog.unroutable > 0) {
    out.push({
      key: 'unroutable',
      kind: 'unroutable',
      audience: 'managers',
      critical: true,
      title: `${backlog.unroutable} lead${backlog.unroutable === 1 ? '' : 's'} no rule, team or fallback could take`,
      lines: ['They are escalated in the managers channel: claim or assign them there, and check the routing rules.'],
      facts: [{ label: 'Unroutable leads waiting', value: String(backlog.unroutable) }],
    });
  }
  if (rules.backlog && backlog.open > rules.backlog.pendingOver) {
    out.push({
      key: 'backlog',
      kind: 'backlog',
      audience: 'managers',
      critical: false,
      title: `Backlog: ${backlog.open} open hand-offs (threshold ${rules.backlog.pendingOver})`,
      lines: ['More leads are waiting for a rep than the alert threshold allows.'],
      facts: [
        { label: 'Open hand-offs', value: String(backlog.open) },
        {
          label: 'Offered / escalated / new',
          value: `${backlog.byState.offered} / ${backlog.byState.escalated} / ${backlog.byState.detected}`,
        },
        { label: 'Older than 4h', value: String(backlog.byAge.under24h + backlog.byAge.older) },
        {
          label: 'Oldest waiting',
          value: backlog.oldestMqlAt === null ? '-' : shortDuration(now - backlog.oldestMqlAt),
        },
      ],
    });
  }

  if (rules.lull) {
    const w = rules.lull.window;
    const current = await metrics.countMqls(now - w, now);
    const previous: number[] = [];
    for (const p of sameHoursPreviousWeeks(now - w, now, 4)) previous.push(await metrics.countMqls(p.since, p.until));
    const v = judgeLull(current, previous, rules.lull.belowPercentOfUsual);
    if (v.lull) {
      out.push({
        key: 'lull',
        kind: 'lull',
        audience: 'managers',
        critical: false,
        title: `Lead flow lull: ${v.current} MQL${v.current === 1 ? '' : 's'} in the last ${shortDuration(w)}, usually ${v.usual.toFixed(1)}`,
        lines: [
          `MQLs fell below ${rules.lull.belowPercentOfUsual}% of the usual volume for these hours of the week (mean of the previous 4 weeks). Check forms, scoring and the CRM connection.`,
        ],
        facts: [
          { label: `MQLs, last ${shortDuration(w)}`, value: String(v.current) },
          { label: 'Usual (same hours, 4 weeks)', value: v.usual.toFixed(1) },
          { label: 'Share of usual', value: pct(v.percentOfUsual) },
        ],
      });
    }
  }

  // Rate rules judge settled hand-offs only (src/domain/settled.ts): a window full of fresh, pending
  // MQLs is not a drop, and quick rejections landing before slow accepts are not a spike.
  const firingKeys = new Set(firing.map((r) => r.key));
  const held = (key: string): Observation | null => {
    const row = firing.find((r) => r.key === key);
    const data = dataOf(row ?? null);
    return data ? { ...data, key } : null;
  };
  const unofferedWithin = settings.sla.acceptWithin;
  if (rules.conversion) {
    const c = rules.conversion;
    const t = (await metrics.settledFunnel({ since: now - c.window, until: now, now, unofferedWithin })).total;
    const verdict = judgeRate({
      rate: percentOf(t.sals, t.settled),
      enough: t.settled >= c.minMqls,
      firing: firingKeys.has('conversion_drop'),
      any: t.mqls > 0,
      bad: (p) => p < c.belowPercent,
      recovered: (p) => p >= c.belowPercent + RECOVERY_MARGIN,
    });
    if (verdict === 'hold') {
      const o = held('conversion_drop');
      if (o) out.push(o);
    } else if (verdict === 'bad') {
      out.push(conversionDrop(t, c, now));
    }
  }

  if (rules.rejectionSpike) {
    const r = rules.rejectionSpike;
    for (const by of ['source', 'campaign'] as const) {
      const result = await metrics.settledFunnel({ since: now - r.window, until: now, now, unofferedWithin, by });
      for (const g of result.groups) {
        if (g.key === NO_GROUP) continue;
        const key = `rejection_spike:${by}:${g.key}`;
        const decisions = g.sals + g.rejected;
        const share = percentOf(g.rejected, decisions);
        const verdict = judgeRate({
          rate: share,
          enough: decisions >= r.minDecisions,
          firing: firingKeys.has(key),
          any: g.mqls > 0,
          bad: (p) => p > r.abovePercent,
          recovered: (p) => p <= r.abovePercent - RECOVERY_MARGIN,
        });
        if (verdict === 'hold') {
          const o = held(key);
          if (o) out.push(o);
          continue;
        }
        if (verdict !== 'bad' || share === null) continue;
        const top = Object.entries(g.rejectedByReason)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3);
        out.push({
          key,
          kind: 'rejection_spike',
          audience: 'marketing',
          critical: false,
          title: `Rejections spiked for ${by} "${g.key}": ${pct(share)} of decisions in the last ${shortDuration(r.window)}`,
          lines: [
            `Sales rejected ${g.rejected} of ${decisions} decided leads from this ${by} (threshold ${r.abovePercent}%).`,
            ...(g.notJudged > 0
              ? [`${g.notJudged} newer MQLs of this ${by} are not counted yet (${g.pending} still pending).`]
              : []),
          ],
          facts: [
            { label: 'Rejected / decided', value: `${g.rejected} / ${decisions}` },
            { label: 'Rejection share', value: pct(share) },
            {
              label: 'Top reasons',
              value:
                top.map(([id, n]) => `${settings.reasons.find((x) => x.id === id)?.label ?? id} (${n})`).join(', ') ||
                '-',
            },
            { label: 'Still pending', value: String(g.pending) },
          ],
        });
      }
    }
  }

  for (const c of deps.connectors?.failing() ?? []) {
    const auth = c.kind === 'auth';
    if (!auth && c.consecutive < CONNECTOR_FAILURES_TO_ALERT) continue;
    out.push({
      key: `connector:${c.connector}`,
      kind: 'connector',
      audience: 'managers',
      critical: auth,
      title: `Connector failing: ${c.connector} (${c.kind})`,
      lines: [
        auth
          ? 'The credentials or scopes are refused: fix the token or the app installation; work is queued meanwhile.'
          : 'Calls keep failing; work is queued and retried.',
      ],
      facts: [
        { label: 'Connector', value: c.connector },
        { label: 'Failure', value: `${c.kind}: ${c.reason}` },
        { label: 'Failures in a row', value: String(c.consecutive) },
        { label: 'Failing for', value: shortDuration(now - c.since) },
      ],
    });
  }

  const dead = await store.countJobs('dead');
  if (dead > 0) {
    const sample = await store.listJobs({ state: 'dead', limit: 5 });
    out.push({
      key: 'dead_jobs',
      kind: 'dead_jobs',
      audience: 'managers',
      critical: false,
      title: `${dead} outbox job${dead === 1 ? '' : 's'} gave up after their last attempt`,
      lines: ['These side effects (Slack posts, CRM writes, emails) did not happen. See the logs and the jobs table.'],
      facts: [
        { label: 'Dead jobs', value: String(dead) },
        {
          label: 'Latest',
          value:
            sample
              .map((j) => `${j.kind}: ${j.lastError ?? '?'}`)
              .join('; ')
              .slice(0, 300) || '-',
        },
      ],
    });
  }
  return out;
}

/**
 * Points a rate must come back past its threshold before a firing rate alert resolves (hysteresis):
 * a rate hovering at the threshold would otherwise fire and resolve on every small change.
 */
export const RECOVERY_MARGIN = 5;

/**
 * The verdict of one rate rule: 'bad' (fires, or keeps firing), 'hold' (it is firing and there are
 * too few settled hand-offs to tell, while the window still has MQLs: unknown is not recovered), or
 * 'clear'. A firing alert stays 'bad' until the rate has recovered by RECOVERY_MARGIN.
 */
export function judgeRate(r: {
  rate: number | null;
  enough: boolean;
  firing: boolean;
  any: boolean;
  bad: (rate: number) => boolean;
  recovered: (rate: number) => boolean;
}): 'bad' | 'hold' | 'clear' {
  if (!r.enough || r.rate === null) return r.firing && r.any ? 'hold' : 'clear';
  if (r.firing) return r.recovered(r.rate) ? 'clear' : 'bad';
  return r.bad(r.rate) ? 'bad' : 'clear';
}

function conversionDrop(t: SettledCounts, c: { window: Millis; belowPercent: number }, now: Millis): Observation {
  const conv = percentOf(t.sals, t.settled);
  const waiting = t.notJudged - t.pending;
  return {
    key: 'conversion_drop',
    kind: 'conversion_drop',
    audience: 'managers',
    critical: false,
    title: `MQL→SAL dropped to ${pct(conv)} over the last ${shortDuration(c.window)} (threshold ${c.belowPercent}%)`,
    lines: [
      `Accepted ${t.sals} of ${t.settled} settled hand-offs (decided, withdrawn, escalated or past their deadline).`,
      `${t.pending} of the window's ${t.mqls} MQLs are still pending and not counted` +
        (waiting > 0
          ? `; ${waiting} settled MQLs newer than the oldest pending one (${shortDuration(now - t.judgedUntil)} old) wait for it, so quick answers do not skew the rate.`
          : '.'),
    ],
    facts: [
      { label: 'MQLs in the window', value: String(t.mqls) },
      { label: 'Settled', value: String(t.settled) },
      { label: 'SALs', value: String(t.sals) },
      { label: 'MQL→SAL of settled', value: pct(conv) },
      { label: 'Rejected', value: String(t.rejected) },
      { label: 'Escalated / past deadline', value: `${t.escalated} / ${t.overdue}` },
      { label: 'Withdrawn', value: String(t.withdrawn) },
      { label: 'Still pending', value: String(t.pending) },
    ],
  };
}

function slaBreach(
  handoffId: string,
  email: string | null,
  hot: boolean,
  rep: string,
  dueAt: Millis,
  at: Millis,
): Observation {
  const who = email ?? `hand-off ${handoffId}`;
  return {
    key: `sla_breach:${handoffId}`,
    kind: 'sla_breach',
    audience: 'managers',
    critical: true,
    title: `SLA breached${hot ? ' (HOT lead)' : ''}: ${who}`,
    lines: [`${rep} did not answer before the deadline; the lead moved on to the next step of the escalation ladder.`],
    facts: [
      { label: 'Lead', value: who },
      { label: 'Rep', value: rep },
      { label: 'Deadline', value: `${new Date(dueAt).toISOString().slice(0, 16).replace('T', ' ')}Z` },
      { label: 'Timed out', value: `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')}Z` },
    ],
  };
}

// ---- notices ----------------------------------------------------------------------------------

/** Outbox jobs delivering a message to an audience: its chat channel (Slack or Teams) and its email list. */
export function deliveryJobs(
  settings: AppSettings,
  audience: Audience,
  doc: MessageDoc,
  key: string,
  now: Millis,
  via: readonly ('slack' | 'teams' | 'email')[] = ['slack', 'teams', 'email'],
): NewJob[] {
  const jobs: NewJob[] = [];
  const channel = channelOf(settings, audience);
  // A managers channel made of inboxes is for escalations; alerts and digests go to the email list below.
  const platform = channel ? platformOf(channel) : null;
  if (channel && platform !== 'email' && platform !== null && via.includes(platform))
    jobs.push(job('slack.message', { channel, doc }, key, now));
  const to = audience === 'marketing' ? settings.email?.marketing : settings.email?.managers;
  if (to && to.length > 0 && via.includes('email')) jobs.push(job('email.send', { to: [...to], doc }, key, now));
  return jobs;
}

export interface AlertTickSummary {
  observed: number;
  fired: string[];
  resolved: string[];
}

/** One evaluation: observe, decide per key, store the rows and queue the notices. */
export async function evaluateAlerts(deps: AlertDeps): Promise<AlertTickSummary> {
  const { store, clock, rules, settings } = deps;
  const now = clock.now();
  const quiet = inQuietHours(localMinuteOfDay(now, rules.timezone), rules.quietHours);
  const firing = await store.listAlerts('firing');
  const observations = await observe(deps, now, firing);
  const summary: AlertTickSummary = { observed: observations.length, fired: [], resolved: [] };
  const byKey = new Map(observations.map((o) => [o.key, o]));
  const keys = new Set([...byKey.keys(), ...firing.map((r) => r.key)]);
  const firingByKey = new Map(firing.map((r) => [r.key, r]));
  for (const key of keys) {
    const obs = byKey.get(key) ?? null;
    const prev = firingByKey.get(key) ?? (obs ? await store.getAlert(key) : null);
    const decision = decideAlert(prev, obs, { now, cooldown: rules.cooldown, quiet });
    if (decision.notice && decision.row) {
      const data = dataOf(decision.row) as AlertData;
      const stamp = decision.notice === 'fire' ? decision.row.firedAt : (decision.row.resolvedAt ?? now);
      const jobs = deliveryJobs(
        settings,
        data.audience,
        alertDoc(data, decision.notice, settings.dashboardUrl),
        `alert:${key}:${decision.notice}:${stamp}`,
        now,
      );
      if (jobs.length > 0) await store.enqueueJobs(jobs, now);
      (decision.notice === 'fire' ? summary.fired : summary.resolved).push(key);
      deps.logger.info(
        { alert: key, notice: decision.notice, channels: jobs.length },
        decision.notice === 'fire' ? 'alert fired' : 'alert resolved',
      );
    }
    if (decision.row) await store.putAlert(decision.row);
  }
  return summary;
}
