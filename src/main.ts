// The composition root: the only file that wires config, store, connectors, use cases, loops and the
// HTTP server together. `startWorker` is what `handoff run` and `handoff demo` start.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Config } from './config/index.js';
import type { Millis } from './domain/model.js';
import type { Clock } from './ports/clock.js';
import type { Crm } from './ports/crm.js';
import { isDailyLimit } from './ports/failure.js';
import type { LeadSource } from './ports/lead-source.js';
import type { Logger } from './ports/logger.js';
import type { Mailer } from './ports/mailer.js';
import type { RepNotifier } from './ports/rep-notifier.js';
import type { Store } from './ports/store.js';
import { openStore } from './store/index.js';
import { metricsReaderFor } from './store/metrics-memory.js';
import { startIdleCollector } from './runtime/idle-gc.js';
import { createConnectorHealth } from './runtime/connector-health.js';
import { scheduleCron } from './runtime/cron.js';
import { startLeader } from './runtime/leader.js';
import type { RootLogger } from './runtime/logger.js';
import { startLoop } from './runtime/loop.js';
import { createOutbox, DEFAULT_JOB_LEASE_MS } from './runtime/outbox.js';
import type { AppDeps } from './app/deps.js';
import { channelOf, type AppSettings } from './app/settings.js';
import { emailAddress } from './domain/chat.js';
import { evaluateAlerts } from './app/alerts.js';
import { checkOpenHandoffs } from './app/check-open-handoffs.js';
import { computeDeadline } from './app/deadline.js';
import { sendDueDigest, type DigestSchedule } from './app/digests.js';
import { createHandoffActions } from './app/handoff-actions.js';
import { createJobHandlers } from './app/job-handlers.js';
import { job } from './app/jobs.js';
import { ensureLiveFrom, pollSource } from './app/poll-source.js';
import { planOffer, routeBatch } from './app/route-handoff.js';
import { sweepDeadlines } from './app/sweep-deadlines.js';
import { createDashboardHandler } from './http/dashboard.js';
import { createPrometheusMetrics } from './http/metrics.js';
import { createReadiness } from './http/readiness.js';
import { startHttpServer, type HttpServer, type RouteHandler } from './http/server.js';
import { hubspotFromConfig } from '../connectors/hubspot/hubspot.from-config.js';
import { salesforceFromConfig } from '../connectors/salesforce/salesforce.from-config.js';
import { marketoFromConfig } from '../connectors/marketo/marketo.from-config.js';
import { createSlackApp, type SlackApp } from '../connectors/slack/slack.app.js';
import { createSlackNotifier } from '../connectors/slack/slack.notifier.js';
import { createSmtpMailer } from '../connectors/email/smtp.mailer.js';
import { createChatNotifier } from './runtime/chat-notifier.js';
import { createEmailNotifier } from '../connectors/email/email.notifier.js';
import { createEmailDecisionHandlers } from '../connectors/email/email.decisions.js';
import type { Person } from './ports/rep-notifier.js';
import { createTeamsNotifier } from '../connectors/teams/teams.notifier.js';
import { renderInvokeResult } from '../connectors/teams/teams.cards.js';
import type { TeamsConversationRef, TeamsDirectory } from '../connectors/teams/teams.types.js';
import { teamsConversationOf, teamsInstalled, teamsUninstalled } from './app/chat-install.js';
import { createIntakeHandler } from '../connectors/intake/intake.handler.js';
import { createDecisionCallbacks } from '../connectors/intake/intake.callback.js';
import { createIntakeReceiver } from './app/receive-intake.js';

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
  // The poller/sweeper lease and every job claim: renewed while held, so a dead replica's work moves to
  // another within about this long (README, Operations).
  leaseMs: DEFAULT_JOB_LEASE_MS,
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
      ownerProperty: ownerPropertyOf(config),
      onAccept: config.crm.onAccept,
      onReject: config.crm.onReject,
      onRecycle,
    },
    channels: {
      managers:
        config.slack?.managersChannel ??
        config.msteams?.managersChannel ??
        (config.email && config.managers.some((m) => m.chat === 'email')
          ? emailAddress(config.managers.filter((m) => m.chat === 'email').map((m) => m.email))
          : null),
      marketing: config.slack?.marketingChannel ?? config.msteams?.marketingChannel ?? null,
    },
    email: config.email ? { managers: config.email.managers, marketing: config.email.marketing } : null,
    dashboardUrl: config.server.publicUrl ? `${config.server.publicUrl.replace(/\/+$/, '')}/dashboard` : null,
    intakeCallbacks: config.intake.filter((s) => s.callback !== null).map((s) => s.id),
  };
}

/** The CRM property that holds the owner; Marketo has none unless marketo.ownerField names one ('' = none). */
function ownerPropertyOf(config: Config): string {
  if (config.crm.kind === 'marketo') return config.marketo?.ownerField ?? '';
  return config.crm.kind === 'hubspot' ? 'hubspot_owner_id' : 'OwnerId';
}

export function startFromMillis(config: Config, now: Millis): Millis {
  const s = config.source.startFrom;
  return s.kind === 'now' ? now : s.kind === 'ago' ? now - s.ms : s.at;
}

interface Connectors {
  /** null for source.kind intake: leads only arrive at POST /intake/<id>. */
  source: (LeadSource & { readonly pollDelayMultiplier?: number; readonly pausedUntil?: number | null }) | null;
  /** null for crm.kind none. */
  crm: Crm | null;
  hubspotWebhook: RouteHandler | null;
}

/** Source, CRM and webhook for any mix of HubSpot, Salesforce and Marketo: one API client or session per vendor. */
async function buildConnectors(
  config: Config,
  logger: Logger,
  hooks: {
    onContactIds: (ids: string[]) => Promise<void>;
    onLimitWarning: (text: string) => void;
    onMarketoQuota: (text: string, level: 'warning' | 'exceeded') => void;
  },
): Promise<Connectors> {
  const uses = new Set<string>([config.source.kind, config.crm.kind]);
  const hubspot = uses.has('hubspot') ? hubspotFromConfig(config, { logger }) : null;
  const salesforce = uses.has('salesforce') ? await salesforceFromConfig(config, { logger }) : null;
  const marketo = uses.has('marketo')
    ? marketoFromConfig(config, { logger, onQuotaWarning: hooks.onMarketoQuota })
    : null;
  const source =
    config.source.kind === 'intake'
      ? null
      : config.source.kind === 'hubspot'
        ? hubspot?.leadSource()
        : config.source.kind === 'marketo'
          ? marketo?.leadSource()
          : salesforce?.leadSource({ onLimitWarning: hooks.onLimitWarning });
  const crm =
    config.crm.kind === 'none'
      ? null
      : config.crm.kind === 'hubspot'
        ? hubspot?.crm()
        : config.crm.kind === 'marketo'
          ? marketo?.crm()
          : salesforce?.crm();
  if (source === undefined || crm === undefined) throw new Error('a connector the config names was not built');
  const hubspotWebhook =
    config.source.kind === 'hubspot' ? (hubspot?.webhookHandler(hooks.onContactIds) ?? null) : null;
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
      // …and a lease it held is stale: take over polling and sweeping now, not when the lease expires.
      const dropped = await store.dropLeases();
      if (dropped > 0) log.info({ dropped }, 'took over the leases a previous run left');
    }
    const settings = settingsFromConfig(config);
    const metrics = metricsReaderFor(store);
    const prom = createPrometheusMetrics({
      backlog: (now) => metrics.backlog(now),
      deadJobs: () => store.countJobs('dead'),
      now: () => clock.now(),
      logger,
    });
    // Loops started below replace these; until then a wake-up has nothing to wake.
    let wakeOutbox = (): void => undefined;
    let wakeAlerts = (): void => undefined;
    // Connector alerts (with cooldown and a resolved notice) come from the alert loop; a refused token
    // or a used-up daily allowance wakes it at once.
    const connectorHealth = createConnectorHealth({
      now: () => clock.now(),
      onFailure: (name, failure) => {
        prom.telemetry.connectorError(name, failure.kind);
        if (failure.kind === 'auth' || isDailyLimit(failure)) wakeAlerts();
      },
    });

    // Webhooks store the ids as a durable job and answer at once; the outbox reads and ingests them.
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
      const channel = channelOf(settings, 'managers');
      if (!channel) return;
      const now = clock.now();
      // One notice per key and hour.
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
    const connectors = await buildConnectors(config, logger, {
      onContactIds,
      onLimitWarning: (text) => adminAlert('salesforce-limit', text),
      // One notice per level and hour: the warning does not hide the later "used up".
      onMarketoQuota: (text, level) => adminAlert(`marketo-quota-${level}`, text),
    });

    const slackNotifier: RepNotifier | null = config.slack
      ? createSlackNotifier(
          {
            botToken: config.slack.botToken,
            apiUrl: config.slack.apiUrl,
            reasons: config.rejectionReasons,
          },
          { logger: logger.child({ component: 'slack' }) },
        )
      : null;
    const mailer: (Mailer & { close(): void }) | null = config.email
      ? createSmtpMailer({ smtpUrl: config.email.smtpUrl, from: config.email.from })
      : null;
    if (mailer) closers.push(async () => mailer.close());
    const people = peopleOf(config);
    // Email decisions: one-click links (signed, expiring) to a confirm page on this server.
    const emailLinks =
      config.email?.linkSecret && config.server.publicUrl && mailer
        ? { linkSecret: config.email.linkSecret, publicUrl: config.server.publicUrl }
        : null;
    const emailNotifier: RepNotifier | null =
      emailLinks && mailer
        ? createEmailNotifier({
            mailer,
            ...emailLinks,
            people,
            reasons: config.rejectionReasons,
            timezone: config.alerts.timezone,
            logger: logger.child({ component: 'email' }),
            now: () => clock.now(),
          })
        : null;
    // Microsoft Teams: the Bot Connector client, and who has the app installed (kept in the store's identities).
    const teamsDirectory: TeamsDirectory = {
      conversationOf: async (person) =>
        (await teamsConversationOf({ store }, person.id)) as TeamsConversationRef | null,
      installed: (user, ref) => teamsInstalled({ store, settings, clock, logger }, user, ref),
      uninstalled: (aadObjectId) => teamsUninstalled({ store, settings, clock, logger }, aadObjectId),
    };
    // The Agents SDK is loaded only when Teams is configured (it costs ~35 MB of memory and ~0.4 s to load).
    const createTeamsClient = config.msteams
      ? (await import('../connectors/teams/teams.client.js')).createTeamsClient
      : null;
    const teamsClient =
      config.msteams && createTeamsClient
        ? createTeamsClient(
            {
              appId: config.msteams.appId,
              appPassword: config.msteams.appPassword,
              tenantId: config.msteams.tenantId,
              tokenUrl: config.msteams.tokenUrl,
            },
            { logger: logger.child({ component: 'teams' }) },
          )
        : null;
    const teamsNotifier: RepNotifier | null =
      config.msteams && teamsClient
        ? createTeamsNotifier({
            client: teamsClient,
            directory: teamsDirectory,
            serviceUrl: config.msteams.serviceUrl,
            tenantId: config.msteams.tenantId,
            timezone: config.alerts.timezone,
            reasons: config.rejectionReasons,
            logger: logger.child({ component: 'teams' }),
          })
        : null;
    // Cards go to each rep's platform, channel posts to the platform of the channel.
    const notifier = createChatNotifier({
      ...(slackNotifier ? { slack: slackNotifier } : {}),
      ...(teamsNotifier ? { teams: teamsNotifier } : {}),
      ...(emailNotifier ? { email: emailNotifier } : {}),
    });

    // Use cases.
    const deps: AppDeps = {
      store,
      clock,
      settings,
      logger,
      newId: () => randomUUID(),
      route: planOffer({
        store,
        ...(connectors.crm ? { crm: connectors.crm } : {}),
        settings,
        clock,
        logger: logger.child({ component: 'router' }),
      }),
      routeBatch: routeBatch({
        store,
        ...(connectors.crm ? { crm: connectors.crm } : {}),
        settings,
        clock,
        logger: logger.child({ component: 'router' }),
      }),
      deadlineFor: (repId, from, hot) => computeDeadline(settings, repId, from, hot),
      wake: () => wakeOutbox(),
      telemetry: prom.telemetry,
    };
    const callbackTargets = Object.fromEntries(
      config.intake.flatMap((s) => (s.callback ? [[s.id, { url: s.callback.url, secret: s.secret }]] : [])),
    );
    const handlers = createJobHandlers(deps, {
      source: connectors.source,
      notifier,
      crm: connectors.crm,
      mailer,
      callbacks: createDecisionCallbacks(callbackTargets, { now: () => clock.now() }),
    });
    // A job's kind names its connector first: "slack.message", "crm.update", "source.fetch".
    const connectorOf = (kind: string): string => kind.split('.')[0] ?? kind;
    const outbox = createOutbox({
      store,
      clock,
      logger,
      handlers,
      workerId,
      leaseMs: intervals.leaseMs,
      onFailure: (j, failure, dead) => {
        prom.telemetry.jobFailed(j.kind, failure.kind, dead);
        connectorHealth.record(connectorOf(j.kind), failure);
      },
      onDone: (j) => connectorHealth.record(connectorOf(j.kind), null),
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
          people,
          now: () => clock.now(),
        },
        { actions: createHandoffActions(deps), logger: logger.child({ component: 'slack-app' }) },
      );
      await slackApp.start();
      const app = slackApp;
      closers.push(() => app.stop());
    }

    // After a burst, once the worker is idle, one full collection returns the heap it grew to (src/runtime/idle-gc.ts).
    const idleCollector = startIdleCollector({ logger });
    closers.push(async () => idleCollector.stop());

    // Loops. Every replica drains the outbox; polling, sweeping, withdrawal checks, alerts and digests
    // run on the replica holding the lease, and start on the tick that takes it.
    const stopping = new AbortController();
    const source = connectors.source;
    const startFrom = source ? await ensureLiveFrom(deps, source.kind, startFromMillis(config, clock.now())) : 0;
    const pollEvery = connectors.hubspotWebhook ? config.source.pollEvery * 4 : config.source.pollEvery;
    const outboxLoop = startLoop({
      name: 'outbox',
      intervalMs: intervals.outboxMs,
      logger,
      signal: stopping.signal,
      // Claims what free lanes can start and returns; each batch that ends claims again, and every enqueue
      // path wakes it (webhook ids, new MQLs, sweeps, clicks), so the tick is only the safety net.
      tick: async () => {
        await outbox.pump();
      },
    });
    wakeOutbox = () => outboxLoop.runNow();
    const leader = startLeader({
      store,
      leaseName: `poller:${config.source.kind}`,
      workerId,
      leaseMs: intervals.leaseMs,
      now: () => clock.now(),
      logger,
      signal: stopping.signal,
    });
    const pollerLoop = leader.startLoop({
      name: 'poller',
      intervalMs: () => pollEvery * (source?.pollDelayMultiplier ?? 1),
      runOnTakeover: true,
      tick: async (signal) => {
        if (!source) return; // intake only: nothing to poll
        const paused = source.pausedUntil ?? null;
        if (paused !== null && paused > clock.now()) return;
        const summary = await connectorHealth.observe('source', () => pollSource(deps, source, { startFrom, signal }));
        if (summary.created > 0) {
          log.info({ created: summary.created, leads: summary.leads, pages: summary.pages }, 'poll stored new MQLs');
          wakeOutbox();
        }
      },
    });
    const sweeperLoop = leader.startLoop({
      name: 'sweeper',
      intervalMs: intervals.sweepMs,
      runOnTakeover: true,
      tick: async () => {
        const s = await sweepDeadlines(deps);
        if (s.reminded + s.reoffered + s.escalated > 0) wakeOutbox();
      },
    });
    const withdrawalLoop = leader.startLoop({
      name: 'withdrawal-check',
      intervalMs: intervals.withdrawalCheckMs,
      immediate: false,
      tick: async () => {
        if (!source) return;
        const r = await checkOpenHandoffs(deps, source);
        if (r.withdrawn > 0) wakeOutbox();
      },
    });

    // A digest missed while no worker ran goes out at the first alerts tick (sendDueDigest walks the
    // schedule back).
    const digestDeps = { ...deps, metrics };
    const digests: DigestSchedule[] = [];
    for (const name of ['managers', 'marketing'] as const) {
      const d = config.digests[name];
      if (!d || d.via.length === 0) continue;
      const cronJob = scheduleCron({
        name: `digest:${name}`,
        expression: d.cron,
        timezone: d.timezone,
        signal: stopping.signal,
        run: leader.only(async (scheduledAt) => {
          await sendDueDigest(digestDeps, schedule, scheduledAt);
          wakeOutbox();
        }),
        onFailed: (err) => log.error({ err, digest: name }, 'digest failed'),
        logger,
      });
      const schedule: DigestSchedule = { name, timezone: d.timezone, via: d.via, matches: cronJob.matches };
      digests.push(schedule);
    }
    let digestsCaughtUp = false;
    const alertLoop = leader.startLoop({
      name: 'alerts',
      intervalMs: intervals.alertsMs,
      runOnTakeover: true,
      tick: async () => {
        const r = await evaluateAlerts({
          store,
          metrics,
          clock,
          settings,
          rules: config.alerts,
          logger: logger.child({ component: 'alerts' }),
          connectors: connectorHealth,
        });
        let queued = r.fired.length + r.resolved.length > 0;
        if (!digestsCaughtUp) {
          for (const schedule of digests)
            queued = (await sendDueDigest(digestDeps, schedule)).kind === 'sent' || queued;
          digestsCaughtUp = true;
        }
        if (queued) wakeOutbox();
      },
    });
    wakeAlerts = () => alertLoop.runNow();
    const loops = [outboxLoop, leader.loop, pollerLoop, sweeperLoop, withdrawalLoop, alertLoop];

    // HTTP.
    const routes: Record<string, RouteHandler> = { 'GET /metrics': (req, res) => prom.handler(req, res) };
    if (slackApp && slackApp.mode === 'http') {
      const app = slackApp;
      routes['POST /slack/events'] = (req, res) => app.handleRequest(req, res);
    }
    if (connectors.hubspotWebhook) routes['POST /webhooks/hubspot'] = connectors.hubspotWebhook;
    if (config.msteams && teamsClient) {
      const { createTeamsHandler } = await import('../connectors/teams/teams.app.js');
      routes['POST /teams/messages'] = createTeamsHandler(
        {
          appId: config.msteams.appId,
          openIdMetadataUrl: config.msteams.openIdMetadataUrl,
          tenantId: config.msteams.tenantId,
          reasons: config.rejectionReasons,
          people,
          render: (result) =>
            renderInvokeResult({
              ...result,
              people,
              reasons: config.rejectionReasons,
              timezone: config.alerts.timezone,
              now: clock.now(),
            }),
        },
        {
          actions: createHandoffActions(deps),
          directory: teamsDirectory,
          client: teamsClient,
          logger: logger.child({ component: 'teams-app' }),
        },
      );
    }
    if (emailLinks) {
      const decisions = createEmailDecisionHandlers({
        actions: createHandoffActions(deps),
        ...emailLinks,
        reasons: config.rejectionReasons,
        people,
        logger: logger.child({ component: 'email-decisions' }),
        now: () => clock.now(),
      });
      Object.assign(routes, decisions.routes);
    }
    // POST /intake/<id>: one route per intake source; 202 once its MQLs are stored.
    const receiveIntake = createIntakeReceiver(deps);
    for (const s of config.intake) {
      routes[`POST /intake/${s.id}`] = createIntakeHandler({
        source: s,
        store: receiveIntake,
        logger,
        now: () => clock.now(),
      });
    }
    // GET /dashboard and /dashboard.csv: 404 (and a log line now) when server.dashboardToken is unset.
    const dashboard = createDashboardHandler({
      token: config.server.dashboardToken,
      metrics,
      store,
      settings: { reps: config.reps, teams: config.teams, rejectionReasons: config.rejectionReasons },
      clock,
      logger,
      secureCookie: config.server.publicUrl?.startsWith('https:') ?? false,
      timezone: config.alerts.timezone,
    });
    Object.assign(routes, dashboard.routes);
    const http: HttpServer = await startHttpServer({
      port: options.port ?? config.server.port,
      host: config.server.host,
      logger,
      routes,
      readiness: createReadiness({ store, loops, connectors: connectorHealth }),
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
          await outbox.close();
          await leader.stop();
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

/** Reps and managers as the connectors see them: names, zones and the ids each platform knows them by. */
function peopleOf(config: Config): Person[] {
  const ids = (p: { chat: Person['chat']; slackUserId?: string; teamsUserId?: string; email: string }) => ({
    ...(p.chat ? { chat: p.chat } : {}),
    ...(p.slackUserId ? { slackUserId: p.slackUserId } : {}),
    ...(p.teamsUserId ? { teamsUserId: p.teamsUserId } : {}),
    email: p.email,
  });
  return [
    ...config.reps.map((r): Person => ({ id: r.id, name: r.name, timezone: r.timezone, ...ids(r) })),
    ...config.managers.map((m): Person => ({ id: m.id, name: m.name, ...ids(m) })),
  ];
}
