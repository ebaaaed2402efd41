// `handoff demo`: the real worker on config/demo.yaml against in-process HubSpot and Slack emulators,
// a generator of MQLs, simulated reps, and a page (served by the emulated Slack at /demo) to play a rep.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/index.js';
import { parseDuration } from '../../domain/duration.js';
import { InputError } from '../../domain/errors.js';
import { silentLogger } from '../../ports/logger.js';
import { createLogger } from '../../runtime/logger.js';
import { installShutdown } from '../../runtime/shutdown.js';
import { startWorker, type Worker } from '../../main.js';
import { startHubspotEmulator, type HubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import { startSlackEmulator, type SlackEmulator } from '../../../connectors/slack/emulator/index.js';
import { hubspotFromConfig } from '../../../connectors/hubspot/hubspot.from-config.js';
import { startSalesforceEmulator, type SalesforceEmulator } from '../../../connectors/salesforce/emulator/index.js';
import { startMarketoEmulator, type MarketoEmulator } from '../../../connectors/marketo/emulator/index.js';

const SF_DEMO_CLIENT = { clientId: 'demo-salesforce-client', clientSecret: 'demo-salesforce-secret' };
const MKTO_DEMO_CLIENT = { clientId: 'demo-marketo-client', clientSecret: 'demo-marketo-secret' };
/** Lead fields the Marketo demo reads and writes besides Marketo's standard ones. */
const MKTO_DEMO_FIELDS = ['campaign', 'handoffStatus', 'handoffRep', 'handoffRejectionReason'];
import type { CliIo } from '../context.js';
import { createLeadGenerator, createRandom } from './lead-generator.js';
import { startSimulatedReps } from './simulated-reps.js';
import { createDemoPageHandler, type DemoPerson } from './demo-page.js';
import { createTeamsDemoPage, startSimulatedTeamsReps } from './teams-demo.js';
import { startTeamsEmulator, type TeamsEmulator } from '../../../connectors/teams/emulator/index.js';

const TEAMS_DEMO_APP = { appId: '0d3e5a11-0000-4000-8000-00000000de70', appPassword: 'demo-teams-app-password' };
const TEAMS_DEMO_CHANNELS = { managers: '19:demo-managers@thread.tacv2', marketing: '19:demo-marketing@thread.tacv2' };

export interface DemoOptions {
  /** The CRM (and lead source) to emulate. */
  crm?: 'hubspot' | 'salesforce';
  /** 'marketo': an emulated Marketo is the lead source and the CRM (overrides crm). */
  source?: 'marketo';
  /** Where reps and managers get cards: the emulated Slack (default) or the emulated Microsoft Teams. */
  chat?: 'slack' | 'teams';
  port?: number;
  slackPort?: number;
  every?: string;
  /** Tests: no signal handlers, return the running demo instead of waiting for Ctrl-C. */
  detached?: boolean;
  /** Tests: a separate data directory. */
  dataDir?: string;
  /** Which reps the person plays (not simulated). Default: the first rep. */
  humanReps?: string[];
  seed?: number;
  logLevel?: string;
}

export interface RunningDemo {
  worker: Worker;
  hubspot: HubspotEmulator;
  slack: SlackEmulator;
  /** With --source marketo. */
  marketo?: MarketoEmulator;
  /** With --chat teams. */
  teams?: TeamsEmulator;
  demoUrl: string;
  stop(): Promise<void>;
}

/** The package root (where config/ lives), from this file in src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the handoff package root (config/demo.yaml)');
}

/** `preferred` if it is free, else any free port. */
async function freePort(preferred: number): Promise<number> {
  const tryListen = (port: number): Promise<number | null> =>
    new Promise((resolvePort) => {
      const server = createServer();
      server.once('error', () => resolvePort(null));
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        const got = typeof address === 'object' && address ? address.port : null;
        server.close(() => resolvePort(got));
      });
    });
  return (preferred > 0 ? await tryListen(preferred) : null) ?? ((await tryListen(0)) as number);
}

export async function runDemo(io: CliIo, options: DemoOptions): Promise<RunningDemo> {
  const every = parseDuration(options.every ?? '6s');
  if (every === null || every < 200)
    throw new InputError('input.invalid', [`--every: "${options.every}" is not a duration of at least 200ms`]);
  const root = packageRoot();
  const dataDir = options.dataDir ?? resolve(io.cwd, 'data');
  mkdirSync(dataDir, { recursive: true });
  const dbFile = join(dataDir, 'demo.db');
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) rmSync(f, { force: true });

  const workerPort = await freePort(options.port ?? 3000);
  const slackPort = await freePort(options.slackPort ?? 3001);
  const publicUrl = `http://127.0.0.1:${workerPort}`;
  const secrets = {
    hubspotToken: 'demo-hubspot-token',
    hubspotSecret: 'demo-hubspot-secret',
    botToken: 'xoxb-demo',
    signingSecret: 'demo-signing-secret',
  };

  const hubspot = await startHubspotEmulator({
    port: 0,
    host: '127.0.0.1',
    tokens: [secrets.hubspotToken],
    portalId: 4010,
    webhook: { url: `${publicUrl}/webhooks/hubspot`, clientSecret: secrets.hubspotSecret, signatureVersion: 'v3' },
  });
  const teamsChat = options.chat === 'teams';
  // With --chat teams the emulated Teams takes the page's port; Slack still runs (unused) on any port.
  const slack = await startSlackEmulator({
    port: teamsChat ? 0 : slackPort,
    host: '127.0.0.1',
    signingSecret: secrets.signingSecret,
    botToken: secrets.botToken,
  });

  const env: NodeJS.ProcessEnv = {
    ...io.env,
    HANDOFF_DEMO_STORE: `sqlite:${dbFile}`,
    HANDOFF_DEMO_PORT: String(workerPort),
    HANDOFF_DEMO_PUBLIC_URL: publicUrl,
    HUBSPOT_BASE_URL: hubspot.url,
    HUBSPOT_TOKEN: secrets.hubspotToken,
    HUBSPOT_CLIENT_SECRET: secrets.hubspotSecret,
    SLACK_API_URL: slack.apiUrl,
    SLACK_BOT_TOKEN: secrets.botToken,
    SLACK_SIGNING_SECRET: secrets.signingSecret,
  };
  const crmKind = options.crm ?? 'hubspot';
  let configFile = join(root, 'config', 'demo.yaml');
  let salesforce: SalesforceEmulator | null = null;
  if (crmKind === 'salesforce') {
    // The same demo with Salesforce as source and CRM: demo.yaml with its CRM sections swapped.
    salesforce = await startSalesforceEmulator({ port: 0, host: '127.0.0.1', clients: [SF_DEMO_CLIENT] });
    salesforce.control.addLeadFields([
      { name: 'Lead_Score__c', type: 'double', label: 'Lead score' },
      { name: 'Campaign__c', type: 'string', label: 'Campaign' },
    ]);
    const doc = parseYaml(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    doc.source = {
      ...(doc.source as Record<string, unknown>),
      kind: 'salesforce',
      mql: { status: 'Marketing Qualified' },
    };
    doc.fields = {
      title: 'Title',
      company: 'Company',
      country: 'Country',
      employees: 'NumberOfEmployees',
      industry: 'Industry',
      score: 'Lead_Score__c',
      channel: 'LeadSource',
      campaign: 'Campaign__c',
    };
    doc.crm = {
      kind: 'salesforce',
      assignOwnerOn: 'accept',
      onAccept: { set: { Status: 'Working - Contacted' } },
      onReject: { set: { Status: 'Closed - Not Converted' }, note: true },
    };
    doc.salesforce = {
      loginUrl: salesforce.url,
      apiVersion: '62.0',
      auth: { flow: 'client_credentials', ...SF_DEMO_CLIENT },
    };
    delete doc.hubspot;
    configFile = join(dataDir, 'demo.salesforce.yaml');
    writeFileSync(configFile, stringifyYaml(doc));
  }
  let marketo: MarketoEmulator | null = null;
  if (options.source === 'marketo') {
    // Marketo as source and CRM: score changes in the activity log are the MQLs; outcomes go to lead fields.
    marketo = await startMarketoEmulator({ port: 0, host: '127.0.0.1', clients: [MKTO_DEMO_CLIENT] });
    for (const name of MKTO_DEMO_FIELDS) marketo.control.defineField({ name, displayName: name, dataType: 'string' });
    const doc = parseYaml(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    doc.source = { ...(doc.source as Record<string, unknown>), kind: 'marketo', mql: { minScore: 40 } };
    doc.fields = { campaign: 'campaign' };
    doc.crm = {
      kind: 'marketo',
      assignOwnerOn: 'accept',
      onAccept: { set: { leadStatus: 'Sales Accepted', handoffStatus: 'accepted', handoffRep: '{{rep.name}}' } },
      onReject: {
        set: { leadStatus: 'Sales Rejected', handoffStatus: 'rejected', handoffRejectionReason: '{{reason.id}}' },
      },
      onRecycle: { set: { leadStatus: 'Nurture' } },
    };
    doc.marketo = { baseUrl: marketo.url, ...MKTO_DEMO_CLIENT };
    delete doc.hubspot;
    delete doc.salesforce;
    configFile = join(dataDir, 'demo.marketo.yaml');
    writeFileSync(configFile, stringifyYaml(doc));
  }
  let teams: TeamsEmulator | null = null;
  if (teamsChat) {
    // Everyone in Microsoft Teams: no Slack section; the team and managers' channels are Teams channels.
    teams = await startTeamsEmulator({
      port: slackPort,
      host: '127.0.0.1',
      ...TEAMS_DEMO_APP,
      requestUrl: `${publicUrl}/teams/messages`,
    });
    const doc = parseYaml(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    delete doc.slack;
    doc.msteams = {
      ...TEAMS_DEMO_APP,
      openIdMetadataUrl: teams.openIdMetadataUrl,
      tokenUrl: teams.tokenUrl,
      serviceUrl: teams.serviceUrl,
      managersChannel: TEAMS_DEMO_CHANNELS.managers,
      marketingChannel: TEAMS_DEMO_CHANNELS.marketing,
    };
    const strip = (p: Record<string, unknown>): Record<string, unknown> => {
      const { slackUserId: _s, ...rest } = p;
      return { ...rest, chat: 'teams' };
    };
    doc.reps = (doc.reps as Record<string, unknown>[]).map(strip);
    doc.managers = (doc.managers as Record<string, unknown>[]).map(strip);
    doc.teams = (doc.teams as Record<string, unknown>[]).map((t) => {
      const { channel, ...rest } = t;
      return channel ? { ...rest, teamsChannel: `19:demo-team-${String(t.id)}@thread.tacv2` } : rest;
    });
    configFile = join(dataDir, 'demo.teams.yaml');
    writeFileSync(configFile, stringifyYaml(doc));
  }
  const { config } = await loadConfig({ file: configFile, env, cwd: io.cwd });
  if (salesforce) {
    salesforce.control.seedUsers(
      config.reps.map((r) => ({
        Email: r.email,
        FirstName: r.name.split(' ')[0] ?? r.name,
        LastName: r.name.split(' ').slice(1).join(' ') || r.name,
        IsActive: true,
      })),
    );
  }

  // The emulated world: owners for the reps, Slack users and channels, the properties we write.
  hubspot.control.seedOwners(
    config.reps.map((r) => ({
      email: r.email,
      firstName: r.name.split(' ')[0] ?? r.name,
      lastName: r.name.split(' ').slice(1).join(' '),
    })),
  );
  hubspot.control.defineTextProperties([
    'campaign',
    'handoff_need',
    'handoff_budget',
    'handoff_authority',
    'handoff_timeline',
  ]);
  if (config.hubspot) await hubspotFromConfig(config, { logger: silentLogger }).setup();
  for (const r of config.reps)
    slack.control.addUser({ id: r.slackUserId ?? r.id, name: r.name, email: r.email, tz: r.timezone } as never);
  for (const m of config.managers)
    slack.control.addUser({ id: m.slackUserId ?? m.id, name: m.name, email: m.email, tz: 'UTC' } as never);
  const channels = [
    ...(config.slack?.managersChannel ? [{ id: config.slack.managersChannel, name: 'sales-managers' }] : []),
    ...(config.slack?.marketingChannel ? [{ id: config.slack.marketingChannel, name: 'marketing' }] : []),
    ...config.teams.filter((t) => t.channel).map((t) => ({ id: t.channel as string, name: `team-${t.id}` })),
  ];
  const everyone = [
    ...config.reps.map((r) => r.slackUserId ?? r.id),
    ...config.managers.map((m) => m.slackUserId ?? m.id),
  ];
  for (const c of channels)
    slack.control.addChannel({ id: c.id, name: c.name, members: everyone, botIsMember: true } as never);
  slack.control.setRequestUrl(`${publicUrl}/slack/events`);

  const teamsChannels = [
    ...(config.msteams?.managersChannel ? [{ id: TEAMS_DEMO_CHANNELS.managers, name: 'Sales managers' }] : []),
    ...(config.msteams?.marketingChannel ? [{ id: TEAMS_DEMO_CHANNELS.marketing, name: 'Marketing' }] : []),
    ...config.teams
      .filter((t) => t.channel?.startsWith('teams:'))
      .map((t) => ({ id: (t.channel as string).slice('teams:'.length), name: `Team ${t.id}` })),
  ];
  if (teams) {
    for (const p of [...config.reps, ...config.managers]) teams.control.addUser({ name: p.name, email: p.email });
    for (const c of teamsChannels) teams.control.addChannel({ name: c.name, id: c.id });
  }

  const logger = createLogger({ level: (options.logLevel ?? io.env.LOG_LEVEL ?? 'warn') as 'warn', pretty: io.isTty });
  const worker = await startWorker(config, {
    logger,
    port: workerPort,
    intervals: { sweepMs: 1_000, withdrawalCheckMs: 60_000 },
  });

  const humans = new Set(options.humanReps ?? [config.reps[0]?.id ?? '']);
  // Who is on the page, as the emulated Slack (user id) and Teams (email) know them.
  const people: (DemoPerson & { email: string })[] = [
    ...config.reps.map((r) => ({
      slackUserId: r.slackUserId ?? r.id,
      email: r.email,
      name: r.name,
      role: `rep, ${config.teams
        .filter((t) => t.members.includes(r.id))
        .map((t) => t.id)
        .join('/')}`,
      simulated: !humans.has(r.id),
    })),
    ...config.managers.map((m) => ({
      slackUserId: m.slackUserId ?? m.id,
      email: m.email,
      name: m.name,
      role: 'manager',
      simulated: false,
    })),
  ];
  // The dashboard link carries the demo token once; the dashboard turns it into a cookie and drops it from the URL.
  const dashboardToken = config.server.dashboardToken;
  const dashboardUrl = dashboardToken ? `${publicUrl}/dashboard?token=${encodeURIComponent(dashboardToken)}` : null;
  if (teams) {
    // Everyone has the app installed (an admin's setup policy): the worker learns each 1:1 chat now.
    for (const p of [...config.reps, ...config.managers]) await teams.control.installApp({ user: p.email });
    teams.mount(
      createTeamsDemoPage({
        control: teams.control,
        people: people.map((p) => ({ user: p.email, name: p.name, role: p.role, simulated: p.simulated })),
        channels: teamsChannels,
        workerUrl: publicUrl,
        dashboardUrl,
      }),
    );
  } else {
    const page = createDemoPageHandler({
      control: slack.control,
      people,
      channels,
      workerUrl: publicUrl,
      dashboardUrl,
    });
    slack.mount(page);
  }

  const random = createRandom(options.seed);
  const nextLead = createLeadGenerator(random);
  const addLead = (): void => {
    const p = nextLead().properties;
    if (marketo) {
      // A new lead, then the scoring campaign lifts its score: the Change Score activity is what handoff sees.
      const lead = marketo.control.createLead({
        email: String(p.email),
        firstName: String(p.firstname),
        lastName: String(p.lastname),
        company: String(p.company),
        title: String(p.jobtitle),
        country: String(p.country),
        numberOfEmployees: Number(p.numberofemployees),
        industry: String(p.industry),
        leadSource: String(p.hs_analytics_source),
        campaign: String(p.campaign),
        leadScore: 0,
      });
      marketo.control.updateLead(lead.id, { leadScore: Number(p.hubspotscore) });
      return;
    }
    if (!salesforce) {
      hubspot.control.createContact(p);
      return;
    }
    salesforce.control.seedLeads([
      {
        FirstName: String(p.firstname),
        LastName: String(p.lastname),
        Email: String(p.email),
        Company: String(p.company),
        Title: String(p.jobtitle),
        Country: String(p.country),
        NumberOfEmployees: Number(p.numberofemployees),
        Industry: String(p.industry),
        Lead_Score__c: Number(p.hubspotscore),
        LeadSource: 'Web',
        Campaign__c: String(p.campaign),
        Status: 'Marketing Qualified',
      },
    ]);
  };
  // A healthy team: 70% accepted, 20% rejected, 10% left to time out (and the rep the person plays never answers
  // unless they click), so the demo's alerts show real problems, not noise.
  const simulatedOptions = {
    reasons: config.rejectionReasons.map((r) => ({ id: r.id, noteRequired: r.noteRequired })),
    random,
    thinkMs: [4_000, 40_000] as [number, number],
    acceptShare: 0.7,
    rejectShare: 0.2,
  };
  const others = config.reps.filter((r) => !humans.has(r.id));
  const simulated = teams
    ? startSimulatedTeamsReps({
        control: teams.control,
        reps: others.map((r) => ({ id: r.id, user: r.email })),
        ...simulatedOptions,
      })
    : startSimulatedReps({
        control: slack.control,
        reps: others.map((r) => ({ id: r.id, slackUserId: r.slackUserId ?? r.id })),
        ...simulatedOptions,
      });
  const timers = [
    setInterval(() => addLead(), every),
    setInterval(() => {
      simulated.tick(Date.now()).catch((err: unknown) => logger.warn({ err }, 'simulated rep failed'));
    }, 1_000),
  ];
  addLead();

  const demoUrl = `${teams ? teams.url : slack.url}/demo`;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const t of timers) clearInterval(t);
      await worker.stop();
      await slack.close();
      await hubspot.close();
      await salesforce?.close();
      await marketo?.close();
      await teams?.close();
    })());

  io.out(
    [
      '',
      `handoff demo is running — the real worker against emulated ${marketo ? 'Marketo' : crmKind === 'salesforce' ? 'Salesforce' : 'HubSpot'} and ${teams ? 'Microsoft Teams' : 'Slack'}.`,
      '',
      `  Play a rep:   ${demoUrl}   (you are ${[...humans].map((id) => config.reps.find((r) => r.id === id)?.name ?? id).join(', ')} and the manager; the others are simulated)`,
      `  Dashboard:    ${dashboardUrl ?? 'off (server.dashboardToken is empty)'}`,
      `  Worker:       ${publicUrl}/readyz`,
      '',
      `A new MQL arrives every ${options.every ?? '6s'}. Cards land in DMs; Accept or Reject (with a reason) on the page.`,
      'Leave a card alone for 2 minutes and it times out to the next rep; after two offers it escalates to',
      'the managers channel, where you can assign it. Hot leads (score ≥ 90) get a 1-minute SLA.',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  if (options.detached)
    return { worker, hubspot, slack, ...(marketo ? { marketo } : {}), ...(teams ? { teams } : {}), demoUrl, stop };
  await new Promise<void>((resolveStop) => {
    installShutdown({
      logger,
      drainMs: 10_000,
      onDrain: async () => {
        await stop();
        resolveStop();
      },
    });
  });
  return { worker, hubspot, slack, demoUrl, stop };
}
