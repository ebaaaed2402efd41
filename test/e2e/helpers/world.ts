// An end-to-end world: HubSpot and Slack emulators, a real SMTP server, and the built worker as a
// child process (`node dist/src/cli/bin.js run`) on SQLite or Postgres.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { SMTPServer } from 'smtp-server';
import { startHubspotEmulator, type HubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import {
  startSlackEmulator,
  type SlackEmulator,
  type RecordedMessage,
} from '../../../connectors/slack/emulator/index.js';
import { startSalesforceEmulator, type SalesforceEmulator } from '../../../connectors/salesforce/emulator/index.js';
import { startTeamsEmulator, type TeamsEmulator } from '../../../connectors/teams/emulator/index.js';
import { openStore, type SqlStore } from '../../../src/store/index.js';
import { createPostgresTestSchema, postgresTestUrl } from '../../helpers/stores.js';
import { waitFor } from '../../helpers/wait.js';

/** The package root: the nearest folder up with a package.json (works from test/ and from dist/test/). */
function packageRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && resolve(dir, '..') !== dir) dir = resolve(dir, '..');
  return dir;
}
export const ROOT = packageRoot(import.meta.dirname);
export const BIN = join(ROOT, 'dist/src/cli/bin.js');

export const SECRETS = {
  hubspotToken: 'e2e-hubspot-token',
  hubspotSecret: 'e2e-hubspot-secret',
  botToken: 'xoxb-e2e',
  signingSecret: 'e2e-signing-secret',
  teamsAppId: '5a1d0b1e-0000-4000-8000-00000000e2e0',
  teamsAppPassword: 'e2e-teams-app-password',
};

/** Teams channels of the e2e tenant. */
export const TEAMS_CHANNELS = { emea: '19:emea-e2e@thread.tacv2', managers: '19:managers-e2e@thread.tacv2' };

export interface Mail {
  to: string[];
  raw: string;
}

export interface Replica {
  port: number;
  child: ChildProcess;
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function spawnWorker(
  configFile: string,
  cwd: string,
  port: number | null,
  env: Record<string, string>,
): { child: ChildProcess; output: string[] } {
  const args = [BIN, 'run', '-c', configFile, ...(port !== null ? ['-p', String(port)] : [])];
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info', HANDOFF_DRAIN_MS: '5000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (b: Buffer): void => {
    output.push(...b.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 5_000) output.splice(0, output.length - 5_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { child, output };
}

async function waitHealthy(child: ChildProcess, port: number, output: string[]): Promise<void> {
  await waitFor(
    'the worker to be ready',
    async () => {
      if (child.exitCode !== null)
        throw new Error(`worker exited with ${child.exitCode}:\n${output.slice(-20).join('\n')}`);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
      return res?.ok ?? false;
    },
    20_000,
    100,
  );
}

export interface World {
  dir: string;
  hubspot: HubspotEmulator;
  salesforce: SalesforceEmulator;
  /** Salesforce User ids of the reps, by rep id. */
  sfUsers: Record<string, string>;
  slack: SlackEmulator;
  /** The Microsoft Teams emulator, with `teams: true`: every rep and the manager are users of its tenant. */
  teams: TeamsEmulator | null;
  mails: Mail[];
  smtpPort: number;
  port: number;
  storeUrl: string;
  configFile: string;
  worker: ChildProcess | null;
  output: string[];
  startWorker(extraEnv?: Record<string, string>): Promise<void>;
  /** Another worker process on the same store (Postgres), on its own port. */
  startReplica(extraEnv?: Record<string, string>): Promise<Replica>;
  replicas: Replica[];
  /** SIGTERM, wait for exit; returns the exit code. */
  stopWorker(signal?: NodeJS.Signals): Promise<number | null>;
  /** A read-only view of the worker's store. */
  openStore(): Promise<SqlStore>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolvePort(port));
    });
  });
}

export const REPS = [
  {
    id: 'alice',
    name: 'Alice Martin',
    email: 'alice@e2e.example',
    slackUserId: 'U0ALICE',
    timezone: 'Europe/Berlin',
    hours: '24/7',
  },
  {
    id: 'bruno',
    name: 'Bruno Rossi',
    email: 'bruno@e2e.example',
    slackUserId: 'U0BRUNO',
    timezone: 'Europe/Rome',
    hours: '24/7',
  },
  {
    id: 'chen',
    name: 'Chen Li',
    email: 'chen@e2e.example',
    slackUserId: 'U0CHEN',
    timezone: 'Asia/Singapore',
    hours: '24/7',
  },
];
export const MANAGER = { id: 'maria', name: 'Maria Ruiz', email: 'maria@e2e.example', slackUserId: 'U0MARIA' };

export function baseConfig(w: {
  hubspotUrl: string;
  slackApiUrl: string;
  port: number;
  storeUrl: string;
  smtpPort: number;
}): Record<string, unknown> {
  return {
    store: { url: w.storeUrl },
    server: { port: w.port, host: '127.0.0.1', publicUrl: `http://127.0.0.1:${w.port}` },
    source: {
      kind: 'hubspot',
      pollEvery: '1s',
      overlap: '30s',
      startFrom: '1h',
      mql: { lifecycleStage: 'marketingqualifiedlead' },
      hot: { when: { score: { gte: 90 } }, acceptWithin: '4s' },
    },
    crm: {
      assignOwnerOn: 'accept',
      onAccept: { set: { hs_lead_status: 'OPEN', handoff_status: 'accepted' } },
      onReject: { set: { hs_lead_status: 'UNQUALIFIED', handoff_rejection_reason: '{{reason.id}}' }, note: true },
      onRecycle: { set: { lifecyclestage: 'lead' } },
    },
    hubspot: {
      token: SECRETS.hubspotToken,
      baseUrl: w.hubspotUrl,
      portalId: 4242,
      webhookSecret: SECRETS.hubspotSecret,
    },
    slack: {
      botToken: SECRETS.botToken,
      signingSecret: SECRETS.signingSecret,
      apiUrl: w.slackApiUrl,
      managersChannel: 'C0MGRS',
    },
    email: {
      smtpUrl: `smtp://127.0.0.1:${w.smtpPort}`,
      from: 'handoff <handoff@e2e.example>',
      managers: [MANAGER.email],
    },
    reps: REPS,
    managers: [MANAGER],
    teams: [
      { id: 'emea', members: ['alice', 'bruno', 'chen'], strategy: 'round-robin', manager: 'maria', channel: 'C0EMEA' },
    ],
    routing: { rules: [], fallback: { team: 'emea' } },
    sla: { acceptWithin: '6s', remindAt: '50%', maxOffers: 2 },
    rejectionReasons: [
      { id: 'not_icp', label: 'Not our ideal customer' },
      { id: 'bad_timing', label: 'Bad timing', recycle: true },
      { id: 'other', label: 'Other', noteRequired: true },
    ],
  };
}

export const SF_CLIENT = { clientId: 'e2e-sf-client', clientSecret: 'e2e-sf-secret' };

/** Config changes for Salesforce as the CRM (and, with `source`, as the lead source too). */
export function salesforceConfig(
  base: Record<string, unknown>,
  sfUrl: string,
  source: boolean,
): Record<string, unknown> {
  const sourceSection = base.source as Record<string, unknown>;
  return {
    ...base,
    ...(source
      ? {
          source: {
            kind: 'salesforce',
            pollEvery: '1s',
            overlap: '30s',
            startFrom: '1h',
            mql: { status: 'Marketing Qualified' },
          },
          fields: { title: 'Title', company: 'Company', country: 'Country', employees: 'NumberOfEmployees' },
        }
      : { source: sourceSection }),
    crm: {
      kind: 'salesforce',
      assignOwnerOn: 'accept',
      onAccept: { set: { Status: 'Working - Contacted' } },
      onReject: { set: { Status: 'Closed - Not Converted' }, note: true },
    },
    salesforce: { loginUrl: sfUrl, apiVersion: '62.0', auth: { flow: 'client_credentials', ...SF_CLIENT } },
  };
}

export async function createWorld(
  options: {
    engine?: 'sqlite' | 'postgres';
    config?: (base: Record<string, unknown>) => Record<string, unknown>;
    /** 'both': Salesforce is source and CRM; 'crm': HubSpot source, Salesforce CRM. */
    salesforce?: 'both' | 'crm';
    /** Start the Teams emulator and add an msteams section pointing at it (who uses it is up to `config`). */
    teams?: boolean;
  } = {},
): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-e2e-'));
  const port = await freePort();
  const mails: Mail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  // A worker killed with -9 resets its pooled SMTP connection: a client going away, not a failure of the capture.
  smtp.on('error', () => undefined);
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const hubspot = await startHubspotEmulator({
    port: 0,
    host: '127.0.0.1',
    tokens: [SECRETS.hubspotToken],
    portalId: 4242,
    webhook: {
      url: `http://127.0.0.1:${port}/webhooks/hubspot`,
      clientSecret: SECRETS.hubspotSecret,
      signatureVersion: 'v3',
      retries: 5,
      retryDelayMs: 200,
    },
  });
  const slack = await startSlackEmulator({
    port: 0,
    host: '127.0.0.1',
    signingSecret: SECRETS.signingSecret,
    botToken: SECRETS.botToken,
  });
  const salesforce = await startSalesforceEmulator({ port: 0, host: '127.0.0.1', clients: [SF_CLIENT] });
  const sfUsers: Record<string, string> = {};
  salesforce.control
    .seedUsers(
      REPS.map((r) => ({
        Email: r.email,
        FirstName: r.name.split(' ')[0] as string,
        LastName: r.name.split(' ')[1] as string,
        IsActive: true,
      })),
    )
    .forEach((u, i) => {
      sfUsers[REPS[i]!.id] = u.Id as string;
    });
  hubspot.control.seedOwners(
    REPS.map((r, i) => ({
      id: String(501 + i),
      email: r.email,
      firstName: r.name.split(' ')[0] as string,
      lastName: r.name.split(' ')[1] as string,
    })),
  );
  hubspot.control.defineTextProperties(['handoff_status', 'handoff_rejection_reason', 'campaign']);
  for (const r of REPS) slack.control.addUser({ id: r.slackUserId, name: r.name, email: r.email, tz: r.timezone });
  slack.control.addUser({ id: MANAGER.slackUserId, name: MANAGER.name, email: MANAGER.email, tz: 'UTC' });
  const members = [...REPS.map((r) => r.slackUserId), MANAGER.slackUserId];
  slack.control.addChannel({ id: 'C0MGRS', name: 'sales-managers', members, botIsMember: true });
  slack.control.addChannel({ id: 'C0EMEA', name: 'team-emea', members, botIsMember: true });
  slack.control.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);

  let teams: TeamsEmulator | null = null;
  if (options.teams) {
    teams = await startTeamsEmulator({
      port: 0,
      host: '127.0.0.1',
      appId: SECRETS.teamsAppId,
      appPassword: SECRETS.teamsAppPassword,
      requestUrl: `http://127.0.0.1:${port}/teams/messages`,
    });
    for (const r of REPS) teams.control.addUser({ name: r.name, email: r.email });
    teams.control.addUser({ name: MANAGER.name, email: MANAGER.email });
    teams.control.addChannel({ name: 'team-emea', id: TEAMS_CHANNELS.emea });
    teams.control.addChannel({ name: 'sales-managers', id: TEAMS_CHANNELS.managers });
  }

  let storeUrl = `sqlite:${join(dir, 'handoff.db')}`;
  let dropSchema: (() => Promise<void>) | null = null;
  if (options.engine === 'postgres') {
    const schema = await createPostgresTestSchema();
    storeUrl = schema.url;
    dropSchema = schema.drop;
  }
  let base = baseConfig({ hubspotUrl: hubspot.url, slackApiUrl: slack.apiUrl, port, storeUrl, smtpPort });
  if (options.salesforce) base = salesforceConfig(base, salesforce.url, options.salesforce === 'both');
  if (teams)
    base = {
      ...base,
      msteams: {
        appId: SECRETS.teamsAppId,
        appPassword: SECRETS.teamsAppPassword,
        openIdMetadataUrl: teams.openIdMetadataUrl,
        tokenUrl: teams.tokenUrl,
        serviceUrl: teams.serviceUrl,
      },
    };
  const config = options.config ? options.config(base) : base;
  const configFile = join(dir, 'handoff.yaml');
  writeFileSync(configFile, stringify(config));

  const world: World = {
    dir,
    hubspot,
    salesforce,
    sfUsers,
    slack,
    teams,
    mails,
    smtpPort,
    port,
    storeUrl,
    configFile,
    worker: null,
    output: [],
    async startWorker(extraEnv = {}) {
      if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
      const { child, output } = spawnWorker(configFile, dir, null, extraEnv);
      world.worker = child;
      world.output = output;
      await waitHealthy(child, port, output);
    },
    replicas: [],
    async startReplica(extraEnv = {}) {
      const replicaPort = await freePort();
      const { child, output } = spawnWorker(configFile, dir, replicaPort, extraEnv);
      await waitHealthy(child, replicaPort, output);
      const replica: Replica = {
        port: replicaPort,
        child,
        output,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
          const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
          child.kill(signal);
          return exited;
        },
      };
      world.replicas.push(replica);
      return replica;
    },
    async stopWorker(signal = 'SIGTERM') {
      const child = world.worker;
      if (!child || child.exitCode !== null) return child?.exitCode ?? null;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill(signal);
      const code = await exited;
      world.worker = null;
      return code;
    },
    async openStore() {
      return openStore(storeUrl, { exclusive: false });
    },
    async close() {
      await world.stopWorker('SIGKILL').catch(() => undefined);
      for (const r of world.replicas) await r.stop('SIGKILL').catch(() => undefined);
      await slack.close();
      await hubspot.close();
      await salesforce.close();
      await teams?.close();
      await new Promise<void>((r) => smtp.close(() => r()));
      if (dropSchema) await dropSchema();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** Top-level messages in a user's DM that still carry buttons. */
export function liveCards(slack: SlackEmulator, userId: string): RecordedMessage[] {
  const dm = slack.control.dmChannel(userId);
  if (!dm) return [];
  return slack.control.messages(dm).filter((m) => !m.threadTs && JSON.stringify(m.blocks).includes('handoff_accept'));
}

export function mqlContact(overrides: Record<string, string | number> = {}): Record<string, string | number> {
  const n = Math.floor(Math.random() * 1e9);
  return {
    email: `lead${n}@prospect${n}.example`,
    firstname: 'Jana',
    lastname: `Schneider ${n}`,
    company: 'Northwind',
    country: 'DE',
    numberofemployees: 300,
    hubspotscore: 70,
    lifecyclestage: 'marketingqualifiedlead',
    ...overrides,
  };
}

export { postgresTestUrl };
