// The composition root: the only file that wires config, store, connectors, use cases, loops and the
// HTTP server together. `startWorker` is what `handoff run` and `handoff demo` start.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Config } from './config/index.js';
import type { AppDeps } from './app/deps.js';
import type { AppSettings } from './app/settings.js';
import { computeDeadline } from './app/deadline.js';
import { createJobHandlers } from './app/job-handlers.js';
import { createHandoffActions } from './app/handoff-actions.js';
import { ensureLiveFrom, pollSource } from './app/poll-source.js';
import { sweepDeadlines } from './app/sweep-deadlines.js';
import { checkOpenHandoffs } from './app/check-open-handoffs.js';
import { planOffer } from './app/route-handoff.js';
import { job } from './app/jobs.js';
import { isFreeEmailDomain } from './domain/free-email-domains.js';
import type { Millis } from './domain/model.js';
import type { Clock } from './ports/clock.js';
import type { Crm } from './ports/crm.js';
import type { LeadSource } from './ports/lead-source.js';
import type { Logger } from './ports/logger.js';
import type { Mailer } from './ports/mailer.js';
import type { RepNotifier } from './ports/rep-notifier.js';
import type { Store } from './ports/store.js';
import { ConnectorError, isDailyLimit, type Failure } from './ports/failure.js';
import { openStore } from './store/index.js';
import { createOutbox } from './runtime/outbox.js';
import { startLoop, type Loop } from './runtime/loop.js';
import type { RootLogger } from './runtime/logger.js';
import { startHttpServer, type HttpServer, type ReadinessCheck, type RouteHandler } from './http/server.js';
import { createHubspotApi, type HubspotApi } from '../connectors/hubspot/hubspot.client.js';
import type { SalesforceConnection } from '../connectors/salesforce/salesforce.connection.js';
import { createHubspotLeadSource } from '../connectors/hubspot/hubspot.lead-source.js';
import { createHubspotCrm } from '../connectors/hubspot/hubspot.crm.js';
import { createHubspotWebhookHandler } from '../connectors/hubspot/hubspot.webhooks.js';
import { createSlackNotifier } from '../connectors/slack/slack.notifier.js';
import { createSlackApp, type SlackApp } from '../connectors/slack/slack.app.js';
import { createSmtpMailer } from '../connectors/email/smtp.mailer.js';
import cron from 'node-cron';
import { createConnectorWatch, evaluateAlerts } from './app/alerts.js';
import { sendDueDigest, type DigestSchedule } from './app/digests.js';
import { createPrometheusMetrics } from './http/metrics.js';
import { metricsReaderFor } from './store/metrics-memory.js';
import { createDashboardHandler } from './http/dashboard.js';

export interface WorkerOptions {
  logger: RootLogger;
  clock?: Clock;
  workerId?: string;
  /** Overrides server.port (0 = any free port). */
  port?: number;
  /** Loop periods; tests and the demo may shorten them. */
  intervals?: Partial<WorkerIntervals>;
  /** Start without the SQLite single-process lock check (never in production). */
  storeOptions?: { cwd?: string };
}

export interface WorkerIntervals {
  outboxMs: Millis;
  sweepMs: Millis;
  withdrawalCheckMs: Millis;
  leaseMs: Millis;
  /** How often alert conditions are evaluated. */
  alertsMs: Millis;
}

export interface Worker {
  readonly url: string;
  readonly store: Store;
  readonly deps: AppDeps;
  readonly workerId: string;
  /** Stops intake and loops, lets in-flight work finish, closes everything. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_INTERVALS: WorkerIntervals = {
  outboxMs: 250,
  sweepMs: 1_000,
  withdrawalCheckMs: 5 * 60_000,
  leaseMs: 30_000,
  alertsMs: 60_000,
};

export function settingsFromConfig(config: Config): AppSettings {
  const onRecycle = Object.keys(config.crm.onRecycle.set).length > 0 ? { set: config.crm.onRecycle.set } : null;
  return {
    reps: config.reps,
    managers: config.managers,
    teams: config.teams,
    routing: config.routing,
    sla: config.sla,
    hot: config.source.hot,
    reasons: config.rejectionReasons,
    crm: {
      kind: config.crm.kind,
      assignOwnerOn: config.crm.assignOwnerOn,
      ownerProperty: config.crm.kind === 'hubspot' ? 'hubspot_owner_id' : 'OwnerId',
      onAccept: config.crm.onAccept,
      onReject: config.crm.onReject,
      onRecycle,
    },
    slack: config.slack
      ? { managersChannel: config.slack.managersChannel, marketingChannel: config.slack.marketingChannel }
      : null,
    email: config.email ? { managers: config.email.managers, marketing: config.email.marketing } : null,
    dashboardUrl: config.server.publicUrl ? `${config.server.publicUrl.replace(/\/+$/, '')}/dashboard` : null,
  };
}

export function startFromMillis(config: Config, now: Millis): Millis {
  const s = config.source.startFrom;
  return s.kind === 'now' ? now : s.kind === 'ago' ? now - s.ms : s.at;
}

interface Connectors {
  source: LeadSource & { readonly pollDelayMultiplier?: number; readonly pausedUntil?: number | null };
  crm: Crm;
  hubspotWebhook: RouteHandler | null;
}

/** Source and CRM for any combination of HubSpot and Salesforce; one limiter / session per vendor. */
async function buildConnectors(
  config: Config,
  logger: Logger,
  onContactIds: (ids: string[]) => Promise<void>,
  onLimitWarning: (text: string) => void,
): Promise<Connectors> {
  // jsforce is large (about 35 MB resident): Salesforce modules load only when the config uses them.
  const usesSalesforce = config.source.kind === 'salesforce' || config.crm.kind === 'salesforce';
  const sfModules = usesSalesforce
    ? {
        connection: await import('../connectors/salesforce/salesforce.connection.js'),
        source: await import('../connectors/salesforce/salesforce.lead-source.js'),
        crm: await import('../connectors/salesforce/salesforce.crm.js'),
      }
    : null;
  let hubspotApi: HubspotApi | null = null;
  const hubspotOptions = () => {
    const hs = config.hubspot;
    if (!hs) throw new Error('hubspot section missing (the config check should have caught this)');
    return { token: hs.token, baseUrl: hs.baseUrl, rateLimitPer10s: hs.rateLimit };
  };
  const hubspot = (): HubspotApi =>
    (hubspotApi ??= createHubspotApi(hubspotOptions(), { logger: logger.child({ component: 'hubspot' }) }));
  let sfConnection: SalesforceConnection | null = null;
  const salesforce = (): SalesforceConnection => {
    const sf = config.salesforce;
    if (!sf) throw new Error('salesforce section missing (the config check should have caught this)');
    if (!sfModules) throw new Error('salesforce modules not loaded');
    return (sfConnection ??= sfModules.connection.createSalesforceConnection(
      { loginUrl: sf.loginUrl, apiVersion: sf.apiVersion, auth: sf.auth },
      { logger: logger.child({ component: 'salesforce' }) },
    ));
  };

  let source: Connectors['source'];
  let hubspotWebhook: RouteHandler | null = null;
  if (config.source.kind === 'hubspot') {
    const hs = config.hubspot;
    source = createHubspotLeadSource(
      {
        ...hubspotOptions(),
        mql: {
          lifecycleStage: config.source.mql.lifecycleStage ?? 'marketingqualifiedlead',
          minScore: config.source.mql.minScore,
        },
        fields: config.fields,
        overlapMs: config.source.overlap,
        portalId: hs?.portalId ?? null,
      },
      { logger: logger.child({ component: 'hubspot' }), api: hubspot() },
    );
    if (hs?.webhookSecret) {
      hubspotWebhook = createHubspotWebhookHandler({
        clientSecret: hs.webhookSecret,
        ...(config.server.publicUrl ? { publicUrl: config.server.publicUrl } : {}),
        onContactIds,
        logger: logger.child({ component: 'hubspot' }),
      });
    }
  } else {
    if (!sfModules) throw new Error('salesforce modules not loaded');
    source = sfModules.source.createSalesforceLeadSource(
      {
        mql: { status: config.source.mql.status ?? 'Marketing Qualified', minScore: config.source.mql.minScore },
        fields: config.fields,
        mqlDateField: config.source.mql.dateField,
        overlapMs: config.source.overlap,
      },
      {
        connection: salesforce(),
        logger: logger.child({ component: 'salesforce' }),
        onLimitWarning: (w) =>
          onLimitWarning(
            w.level === 'exceeded'
              ? `Salesforce refused requests: the org's daily API allowance is used up (${w.used}/${w.limit}). Polling is paused.`
              : `Salesforce API usage is at ${Math.round(w.fraction * 100)}% of the daily allowance (${w.used}/${w.limit}); polling slowed down.`,
          ),
      },
    );
  }
  const crm: Crm =
    config.crm.kind === 'hubspot'
      ? createHubspotCrm(hubspotOptions(), {
          logger: logger.child({ component: 'hubspot' }),
          api: hubspot(),
          isFreeEmailDomain,
        })
      : (sfModules as NonNullable<typeof sfModules>).crm.createSalesforceCrm(
          {},
          { connection: salesforce(), logger: logger.child({ component: 'salesforce' }), isFreeEmailDomain },
        );
  return { source, crm, hubspotWebhook };
}

export async function startWorker(config: Config, options: WorkerOptions): Promise<Worker> {
  const logger = options.logger as unknown as Logger;
  const clock: Clock = options.clock ?? { now: () => Date.now() };
  const workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  // Alerts are checked every minute, or every two poll periods when polling is faster (demo, tests).
  const alertsMs = Math.min(DEFAULT_INTERVALS.alertsMs, Math.max(1_000, 2 * config.source.pollEvery));
  const intervals = { ...DEFAULT_INTERVALS, alertsMs, ...options.intervals };
  const log = logger.child({ component: 'worker', workerId });

  const store = await openStore(config.store.url, {
    logger: logger.child({ component: 'store' }),
    ...(options.storeOptions ?? {}),
  });
  const closers: (() => Promise<void>)[] = [() => store.close()];
  try {
    await store.migrate();
    if (store.dialect === 'sqlite') {
      // The file lock makes this the only process on the store: jobs still marked running were orphaned.
      const requeued = await store.requeueRunningJobs(clock.now());
      if (requeued > 0) log.info({ requeued }, 'resumed jobs a previous run left unfinished');
    }
    const settings = settingsFromConfig(config);
    const connectorFailures = new Map<string, { failure: Failure; at: Millis }>();
    const metrics = metricsReaderFor(store);
    const prom = createPrometheusMetrics({
      backlog: (now) => metrics.backlog(now),
      deadJobs: () => store.countJobs('dead'),
      now: () => clock.now(),
      logger,
    });
    const connectorWatch = createConnectorWatch();
    let wakeAlerts = (): void => undefined;

    // Webhooks store the ids as a durable job and answer at once; the outbox reads and ingests them.
    let wakeOutbox = (): void => undefined;
    const onContactIds = async (ids: string[]): Promise<void> => {
      if (ids.length === 0) return;
      const now = clock.now();
      await store.enqueueJobs(
        [job('source.fetch', { ids }, `${now}:${ids.slice(0, 5).join(',')}:${ids.length}`, now)],
        now,
      );
      wakeOutbox();
    };

    const adminAlert = (key: string, text: string): void => {
      const channel = settings.slack?.managersChannel;
      if (!channel) return;
      const now = clock.now();
      // One notice per key and hour; the alerts issue adds cooldowns and resolution notices on top.
      void store
        .enqueueJobs(
          [
            job(
              'slack.message',
              { channel, text: `:warning: ${text}` },
              `admin:${key}:${Math.floor(now / 3_600_000)}`,
              now,
            ),
          ],
          now,
        )
        .catch((err: unknown) => log.warn({ err }, 'could not queue an admin alert'));
    };
    // Connector alerts (with cooldown and a resolved notice) come from the alert loop.
    const noteConnectorFailure = (name: string, failure: Failure): void => {
      connectorWatch.record(name, failure, clock.now());
      prom.telemetry.connectorError(name, failure.kind);
      if (failure.kind !== 'auth' && !isDailyLimit(failure)) return;
      connectorFailures.set(name, { failure, at: clock.now() });
      wakeAlerts();
    };
    const connectors = await buildConnectors(config, logger, onContactIds, (text) =>
      adminAlert('salesforce-limit', text),
    );

    const notifier: RepNotifier | null = config.slack
      ? createSlackNotifier(
          {
            botToken: config.slack.botToken,
            apiUrl: config.slack.apiUrl,
            reasons: config.rejectionReasons,
            ...(config.slack.managersChannel ? { managersChannel: config.slack.managersChannel } : {}),
          },
          { logger: logger.child({ component: 'slack' }) },
        )
      : null;
    const mailer: (Mailer & { close(): void }) | null = config.email
      ? createSmtpMailer({ smtpUrl: config.email.smtpUrl, from: config.email.from })
      : null;
    if (mailer) closers.push(async () => mailer.close());

    const deps: AppDeps = {
      store,
      clock,
      settings,
      logger,
      newId: () => randomUUID(),
      route: planOffer({ store, crm: connectors.crm, settings, clock, logger: logger.child({ component: 'router' }) }),
      deadlineFor: (repId, from, hot) => computeDeadline(settings, repId, from, hot),
      wake: () => wakeOutbox(),
      telemetry: prom.telemetry,
    };

    const handlers = createJobHandlers(deps, { source: connectors.source, notifier, crm: connectors.crm, mailer });
    const outbox = createOutbox({
      store,
      clock,
      logger,
      handlers,
      workerId,
      leaseMs: 30_000,
      onFailure: (j, failure, dead) => {
        prom.telemetry.jobFailed(j.kind, failure.kind, dead);
        noteConnectorFailure(j.kind.split('.')[0] ?? j.kind, failure);
      },
      onDone: (j) => {
        connectorFailures.delete(j.kind.split('.')[0] ?? j.kind);
        connectorWatch.record(j.kind.split('.')[0] ?? j.kind, null, clock.now());
      },
      // The dead-jobs alert (counts, latest errors, resolved notice) reports it.
      onDead: (j, failure) => {
        log.error(
          {
            jobId: j.id,
            kind: j.kind,
            attempts: j.attempts,
            failure: failure.kind,
            reason: failure.reason,
            handoffId: j.handoffId,
          },
          'job dead-lettered',
        );
        wakeAlerts();
      },
    });

    // Slack app (interactivity, slash command, App Home).
    let slackApp: SlackApp | null = null;
    if (config.slack) {
      slackApp = createSlackApp(
        {
          botToken: config.slack.botToken,
          ...(config.slack.signingSecret ? { signingSecret: config.slack.signingSecret } : {}),
          ...(config.slack.mode === 'socket' && config.slack.appToken ? { appToken: config.slack.appToken } : {}),
          apiUrl: config.slack.apiUrl,
          reasons: config.rejectionReasons,
          // The outbox closes the card (one Slack call per decision); clicks wake it at once.
          updateCardOnDecision: false,
          people: [
            ...config.reps.map((r) => ({
              id: r.id,
              name: r.name,
              timezone: r.timezone,
              ...(r.slackUserId ? { slackUserId: r.slackUserId } : {}),
            })),
            ...config.managers.map((m) => ({
              id: m.id,
              name: m.name,
              ...(m.slackUserId ? { slackUserId: m.slackUserId } : {}),
            })),
          ],
          now: () => clock.now(),
        },
        { actions: createHandoffActions(deps), logger: logger.child({ component: 'slack-app' }) },
      );
      await slackApp.start();
      const app = slackApp;
      closers.push(() => app.stop());
    }

    // Loops.
    const stopping = new AbortController();
    const loops: Loop[] = [];
    const leaseName = `poller:${connectors.source.kind}`;
    let holdsLease = false;
    // The poller and sweeper start on the tick that takes the lease, not one interval later.
    const onLeaseAcquired: (() => void)[] = [];
    const startFrom = await ensureLiveFrom(deps, connectors.source.kind, startFromMillis(config, clock.now()));
    const pollEvery = connectors.hubspotWebhook ? config.source.pollEvery * 4 : config.source.pollEvery;
    const outboxLoop = startLoop({
      name: 'outbox',
      intervalMs: intervals.outboxMs,
      logger,
      signal: stopping.signal,
      tick: async () => {
        await outbox.drain(10);
      },
    });
    wakeOutbox = () => outboxLoop.runNow();
    loops.push(outboxLoop);
    loops.push(
      startLoop({
        name: 'lease',
        intervalMs: Math.max(1_000, Math.floor(intervals.leaseMs / 3)),
        logger,
        signal: stopping.signal,
        tick: async () => {
          const had = holdsLease;
          holdsLease = await store.tryAcquireLease(leaseName, workerId, intervals.leaseMs, clock.now());
          if (holdsLease !== had)
            log.info(
              { lease: leaseName, held: holdsLease },
              holdsLease ? 'lease acquired: this replica polls and sweeps' : 'lease lost',
            );
          if (holdsLease && !had) {
            wakeAlerts();
            for (const wake of onLeaseAcquired) wake();
          }
        },
      }),
    );
    const pollerLoop = startLoop({
      name: 'poller',
      intervalMs: () => pollEvery * (connectors.source.pollDelayMultiplier ?? 1),
      logger,
      signal: stopping.signal,
      tick: async (signal) => {
        if (!holdsLease) return;
        const paused = connectors.source.pausedUntil ?? null;
        if (paused !== null && paused > clock.now()) return;
        let summary;
        try {
          summary = await pollSource(deps, connectors.source, { startFrom, signal });
          connectorFailures.delete('source');
        } catch (err) {
          if (err instanceof ConnectorError) noteConnectorFailure('source', err.failure);
          throw err;
        }
        if (summary.created > 0) {
          log.info({ created: summary.created, leads: summary.leads, pages: summary.pages }, 'poll stored new MQLs');
          outboxLoop.runNow();
        }
      },
    });
    loops.push(pollerLoop);
    onLeaseAcquired.push(() => pollerLoop.runNow());
    const sweeperLoop = startLoop({
      name: 'sweeper',
      intervalMs: intervals.sweepMs,
      logger,
      signal: stopping.signal,
      tick: async () => {
        if (!holdsLease) return;
        const s = await sweepDeadlines(deps);
        if (s.reminded + s.reoffered + s.escalated > 0) outboxLoop.runNow();
      },
    });
    loops.push(sweeperLoop);
    onLeaseAcquired.push(() => sweeperLoop.runNow());
    loops.push(
      startLoop({
        name: 'withdrawal-check',
        intervalMs: intervals.withdrawalCheckMs,
        immediate: false,
        logger,
        signal: stopping.signal,
        tick: async () => {
          if (!holdsLease) return;
          const r = await checkOpenHandoffs(deps, connectors.source);
          if (r.withdrawn > 0) outboxLoop.runNow();
        },
      }),
    );

    // Alerts and digests run on the replica holding the lease; a digest missed while no worker ran
    // goes out at the first tick (sendDueDigest walks the schedule back).
    const digestSchedules: DigestSchedule[] = [];
    for (const name of ['managers', 'marketing'] as const) {
      const d = config.digests[name];
      if (!d || d.via.length === 0) continue;
      const schedule: DigestSchedule = { name, timezone: d.timezone, via: d.via, matches: () => false };
      const task = cron.schedule(
        d.cron,
        async (ctx) => {
          if (!holdsLease) return;
          await sendDueDigest({ ...deps, metrics }, schedule, ctx.date.getTime());
          outboxLoop.runNow();
        },
        { timezone: d.timezone, noOverlap: true, name: `digest:${name}` },
      );
      schedule.matches = (at) => task.match(new Date(at));
      task.on('execution:failed', (ctx) => log.error({ err: ctx.execution?.error, digest: name }, 'digest failed'));
      stopping.signal.addEventListener('abort', () => void Promise.resolve(task.destroy()).catch(() => undefined));
      digestSchedules.push(schedule);
    }
    let digestsCaughtUp = false;
    const alertLoop = startLoop({
      name: 'alerts',
      intervalMs: intervals.alertsMs,
      logger,
      signal: stopping.signal,
      tick: async () => {
        if (!holdsLease) return;
        const r = await evaluateAlerts({
          store,
          metrics,
          clock,
          settings,
          rules: config.alerts,
          logger: logger.child({ component: 'alerts' }),
          connectors: connectorWatch,
        });
        let queued = r.fired.length + r.resolved.length > 0;
        if (!digestsCaughtUp) {
          for (const schedule of digestSchedules)
            queued = (await sendDueDigest({ ...deps, metrics }, schedule)).kind === 'sent' || queued;
          digestsCaughtUp = true;
        }
        if (queued) outboxLoop.runNow();
      },
    });
    wakeAlerts = () => alertLoop.runNow();
    loops.push(alertLoop);

    const routes: Record<string, RouteHandler> = { 'GET /metrics': (req, res) => prom.handler(req, res) };
    if (slackApp && slackApp.mode === 'http') {
      const app = slackApp;
      routes['POST /slack/events'] = (req, res) => app.handleRequest(req, res);
    }
    if (connectors.hubspotWebhook) routes['POST /webhooks/hubspot'] = connectors.hubspotWebhook;
    // GET /dashboard and /dashboard.csv: 404 (and a log line now) when server.dashboardToken is unset.
    const dashboard = createDashboardHandler({
      token: config.server.dashboardToken,
      metrics,
      store,
      settings: { reps: config.reps, teams: config.teams, rejectionReasons: config.rejectionReasons },
      clock,
      logger,
      secureCookie: config.server.publicUrl?.startsWith('https:') ?? false,
    });
    Object.assign(routes, dashboard.routes);
    const http: HttpServer = await startHttpServer({
      port: options.port ?? config.server.port,
      host: config.server.host,
      logger,
      routes,
      readiness: async () => {
        const checks: ReadinessCheck[] = [];
        try {
          await store.getCursor('readiness');
          checks.push({ name: 'store', ok: true });
        } catch (err) {
          checks.push({ name: 'store', ok: false, detail: err instanceof Error ? err.message : String(err) });
        }
        const now = Date.now();
        for (const loop of loops) {
          const period =
            loop.name === 'poller'
              ? pollEvery
              : loop.name === 'withdrawal-check'
                ? intervals.withdrawalCheckMs
                : loop.name === 'lease'
                  ? intervals.leaseMs
                  : loop.name === 'alerts'
                    ? intervals.alertsMs
                    : intervals.sweepMs;
          const stale = loop.lastTickAt !== null && now - loop.lastTickAt > period * 3 + 30_000;
          const failing = loop.consecutiveFailures >= 3;
          checks.push({
            name: `loop:${loop.name}`,
            ok: !stale && !failing,
            ...(failing
              ? { detail: `${loop.consecutiveFailures} failed ticks in a row` }
              : stale
                ? { detail: 'not ticking' }
                : {}),
          });
        }
        for (const [name, f] of connectorFailures) {
          if (f.failure.kind === 'auth')
            checks.push({ name: `connector:${name}`, ok: false, detail: f.failure.reason });
        }
        return checks;
      },
    });
    closers.unshift(() => http.close());

    let stopped: Promise<void> | null = null;
    log.info(
      { source: config.source.kind, crm: config.crm.kind, slack: config.slack?.mode ?? 'off', url: http.url },
      'worker started',
    );
    return {
      url: http.url,
      store,
      deps,
      workerId,
      stop() {
        stopped ??= (async () => {
          log.info('stopping: intake closed, finishing in-flight work');
          stopping.abort();
          await Promise.all(loops.map((l) => l.stop()));
          if (holdsLease) await store.releaseLease(leaseName, workerId).catch(() => undefined);
          for (const close of closers) await close().catch((err: unknown) => log.warn({ err }, 'close failed'));
          log.info('stopped');
        })();
        return stopped;
      },
    };
  } catch (err) {
    for (const close of closers) await close().catch(() => undefined);
    throw err;
  }
}
