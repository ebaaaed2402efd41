// `handoff doctor` and `handoff setup hubspot|salesforce|marketo`: connectivity checks, one line each, and the
// idempotent creation (HubSpot) or listing (Salesforce) of the CRM fields handoff writes.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config/index.js';
import { silentLogger } from '../../ports/logger.js';
import { openStore, describeStoreUrl } from '../../store/index.js';
import { hubspotFromConfig } from '../../../connectors/hubspot/hubspot.from-config.js';
import type { CheckLine } from '../../../connectors/hubspot/hubspot.setup.js';
import { salesforceFromConfig } from '../../../connectors/salesforce/salesforce.from-config.js';
import { marketoFromConfig } from '../../../connectors/marketo/marketo.from-config.js';
import { createSlackWebClient } from '../../../connectors/slack/slack.client.js';
import { createSmtpMailer } from '../../../connectors/email/smtp.mailer.js';
import { createTokenSource as createTeamsTokenSource } from '../../../connectors/teams/teams.token.js';
import { checkCallbackReachable } from '../../../connectors/intake/intake.callback.js';
import { ExitSignal, type CliIo } from '../context.js';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function runDoctor(config: Config, io: CliIo): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  try {
    const store = await openStore(config.store.url, { cwd: io.cwd, exclusive: false });
    try {
      await store.getCursor('doctor');
      lines.push({ name: 'store', ok: true, detail: describeStoreUrl(config.store.url) });
    } finally {
      await store.close();
    }
  } catch (err) {
    lines.push({ name: 'store', ok: false, detail: message(err) });
  }
  const uses = new Set([config.source.kind, config.crm.kind]);
  if (uses.has('hubspot') && config.hubspot) {
    const checks = await hubspotFromConfig(config, { logger: silentLogger })
      .check()
      .catch((err: unknown) => [{ name: 'hubspot', ok: false, detail: message(err) }]);
    lines.push(...checks.map((l) => ({ ...l, name: `hubspot: ${l.name}` })));
  }
  if (uses.has('salesforce') && config.salesforce) {
    const checks = await salesforceFromConfig(config, { logger: silentLogger })
      .then((salesforce) => salesforce.check())
      .catch((err: unknown) => [{ name: 'salesforce', ok: false, detail: message(err) }]);
    lines.push(...checks.map((l) => ({ ...l, name: `salesforce: ${l.name}` })));
  }
  if (uses.has('marketo') && config.marketo) {
    const checks = await marketoFromConfig(config, { logger: silentLogger })
      .check()
      .catch((err: unknown) => [{ name: 'marketo', ok: false, detail: message(err) }]);
    lines.push(...checks.map((l) => ({ ...l, name: `marketo: ${l.name}` })));
  }
  for (const s of config.intake) {
    const base = config.server.publicUrl?.replace(/\/+$/, '') ?? '';
    lines.push({
      name: `intake: ${s.id}`,
      ok: true,
      detail: `${s.preset === 'mautic' ? 'Mautic webhook' : 'signed JSON'} at POST ${base}/intake/${s.id}`,
    });
    if (s.callback) {
      const reach = await checkCallbackReachable(s.callback.url);
      lines.push({ name: `intake: ${s.id} callback`, ...reach });
    }
  }
  if (config.slack) {
    const client = createSlackWebClient({ botToken: config.slack.botToken, apiUrl: config.slack.apiUrl });
    try {
      const auth = (await client.auth.test()) as { team?: string; user?: string };
      lines.push({
        name: 'slack: token',
        ok: true,
        detail: `bot ${auth.user ?? '?'} in ${auth.team ?? '?'} (${config.slack.mode === 'socket' ? 'Socket Mode' : 'HTTP mode'})`,
      });
      for (const rep of config.reps) {
        if (rep.slackUserId || rep.chat !== 'slack') continue;
        try {
          const found = (await client.users.lookupByEmail({ email: rep.email })) as { user?: { id?: string } };
          lines.push({
            name: `slack: rep ${rep.id}`,
            ok: Boolean(found.user?.id),
            detail: found.user?.id ? `found as ${found.user.id}` : 'not found',
          });
        } catch (err) {
          lines.push({
            name: `slack: rep ${rep.id}`,
            ok: false,
            detail: `${rep.email} is not a Slack user of this workspace (${message(err)}); offers to them cannot be posted`,
          });
        }
      }
    } catch (err) {
      lines.push({ name: 'slack: token', ok: false, detail: message(err) });
    }
  } else if ([...config.reps, ...config.managers].some((p) => p.chat === 'slack')) {
    lines.push({ name: 'slack', ok: false, detail: 'no slack section: people with chat: slack cannot receive cards' });
  }
  if (config.msteams) lines.push(...(await teamsChecks(config, io)));
  const byEmail = [...config.reps, ...config.managers].filter((p) => p.chat === 'email');
  if (byEmail.length > 0) {
    const ready = Boolean(config.email?.linkSecret && config.server.publicUrl);
    lines.push({
      name: 'email: decisions',
      ok: ready,
      detail: ready
        ? `${byEmail.length} ${byEmail.length === 1 ? 'person decides' : 'people decide'} by email; links open ${String(config.server.publicUrl).replace(/\/+$/, '')}/email/decide (it must be reachable from their mail)`
        : 'email.linkSecret and server.publicUrl are needed for decision links',
    });
  }
  if (config.email) {
    const mailer = createSmtpMailer({ smtpUrl: config.email.smtpUrl, from: config.email.from, timeoutMs: 10_000 });
    try {
      await mailer.verify();
      lines.push({ name: 'email: smtp', ok: true, detail: 'connected and accepted the greeting' });
    } catch (err) {
      lines.push({ name: 'email: smtp', ok: false, detail: message(err) });
    } finally {
      mailer.close();
    }
  } else {
    lines.push({ name: 'email', ok: true, detail: 'off (no email section)' });
  }
  return lines;
}

/** Microsoft Teams: the bot's credentials, and for each person in Teams whether the app is installed for them. */
async function teamsChecks(config: Config, io: CliIo): Promise<CheckLine[]> {
  const teams = config.msteams;
  if (!teams) return [];
  const lines: CheckLine[] = [];
  try {
    const token = createTeamsTokenSource({
      appId: teams.appId,
      appPassword: teams.appPassword,
      tenantId: teams.tenantId,
      tokenUrl: teams.tokenUrl,
    });
    await token.get();
    lines.push({ name: 'teams: app credentials', ok: true, detail: `token issued for app ${teams.appId}` });
  } catch (err) {
    lines.push({ name: 'teams: app credentials', ok: false, detail: message(err) });
  }
  const inTeams = [...config.reps, ...config.managers].filter((p) => p.chat === 'teams');
  if (inTeams.length === 0) return lines;
  try {
    const store = await openStore(config.store.url, { cwd: io.cwd, exclusive: false });
    try {
      for (const p of inTeams) {
        const conversation = await store.getIdentity(p.id, 'teams_conversation');
        const installed = conversation !== null && conversation !== '';
        lines.push({
          name: `teams: ${p.id}`,
          ok: installed,
          detail: installed
            ? 'app installed: cards reach them'
            : `app not installed for ${p.email}: install it for them (Teams admin center → Teams apps → Setup policies → Installed apps); until then routing skips them`,
        });
      }
    } finally {
      await store.close();
    }
  } catch (err) {
    lines.push({ name: 'teams: installs', ok: false, detail: message(err) });
  }
  return lines;
}

function printLines(io: CliIo, lines: CheckLine[]): boolean {
  const width = Math.max(...lines.map((l) => l.name.length), 10);
  for (const l of lines) io.out(`${l.ok ? 'ok  ' : 'FAIL'}  ${l.name.padEnd(width)}  ${l.detail}\n`);
  return lines.every((l) => l.ok);
}

export function registerDoctorCommands(program: Command, io: CliIo): void {
  program
    .command('doctor')
    .description('check the store, CRM credentials and scopes, Slack, and SMTP (one line per check)')
    .option('-c, --config <file>', 'config file (default: $HANDOFF_CONFIG or ./handoff.yaml)')
    .action(async (opts: { config?: string }) => {
      const { config } = await loadConfig({ ...(opts.config ? { file: opts.config } : {}), env: io.env, cwd: io.cwd });
      if (!printLines(io, await runDoctor(config, io))) throw new ExitSignal(1);
    });
  const setup = program.command('setup').description('prepare the CRM for handoff');
  setup
    .command('hubspot')
    .description('create (idempotently) the handoff property group and properties in HubSpot')
    .option('-c, --config <file>', 'config file')
    .action(async (opts: { config?: string }) => {
      const { config } = await loadConfig({ ...(opts.config ? { file: opts.config } : {}), env: io.env, cwd: io.cwd });
      const result = await hubspotFromConfig(config, { logger: silentLogger }).setup();
      for (const name of result.created) io.out(`created  ${name}\n`);
      for (const name of result.updated) io.out(`updated  ${name}\n`);
      for (const name of result.found) io.out(`found    ${name}\n`);
      io.out(
        `${result.created.length} created, ${result.updated.length} updated, ${result.found.length} already there\n`,
      );
    });
  setup
    .command('salesforce')
    .description('check the Lead fields handoff reads and writes, and list the custom fields to create')
    .option('-c, --config <file>', 'config file')
    .action(async (opts: { config?: string }) => {
      const { config } = await loadConfig({ ...(opts.config ? { file: opts.config } : {}), env: io.env, cwd: io.cwd });
      const result = await (await salesforceFromConfig(config, { logger: silentLogger })).setup();
      if (!printLines(io, result.lines)) throw new ExitSignal(1);
    });
  setup
    .command('marketo')
    .description("check the API user's permissions and the lead fields handoff reads and writes; list fields to create")
    .option('-c, --config <file>', 'config file')
    .action(async (opts: { config?: string }) => {
      const { config } = await loadConfig({ ...(opts.config ? { file: opts.config } : {}), env: io.env, cwd: io.cwd });
      const result = await marketoFromConfig(config, { logger: silentLogger }).setup();
      const ok = printLines(io, result.lines);
      for (const f of result.missing)
        io.out(
          `create   ${f.name} (${f.type}, ${f.use === 'write' ? 'written on decisions' : 'read'}) in Admin > Field Management\n`,
        );
      if (!ok) throw new ExitSignal(1);
    });
}
