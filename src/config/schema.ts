// The configuration contract (DESIGN §5) as a zod 4 schema: the YAML form goes in, the typed
// Config comes out (durations in ms, hours parsed, conditions as the domain tree, defaults that
// depend on the chosen source and CRM filled in). Cross-references between sections are checked
// separately in checks.ts so every problem is reported at once.
import cron from 'node-cron';
import * as z from 'zod';
import { teamsAddress, type ChatPlatform } from '../domain/chat.js';
import { parseDuration } from '../domain/duration.js';
import { LEAD_FIELDS } from '../domain/model.js';
import type {
  Condition,
  DateRange,
  HotLane,
  LeadFieldName,
  Manager,
  Millis,
  RejectionReason,
  Rep,
  RoutingRule,
  RoutingSettings,
  SlaSettings,
  SourceKind,
  CrmKind,
  Team,
} from '../domain/model.js';
import { parseClockRange, parseWorkingHours } from '../domain/working-hours.js';
import { conditionSchema } from './conditions.js';

// ---- building blocks --------------------------------------------------------------------------

const DURATION_PATTERN = /^\s*(\d+(\.\d+)?(ms|s|m|h|d|w))+\s*$/;

/** "30s", "15m", "4h", "7d" (or "1h30m") → milliseconds. */
function duration(description: string) {
  return z
    .string()
    .regex(DURATION_PATTERN, { error: (iss) => `"${String(iss.input)}" is not a duration (e.g. 30s, 15m, 4h, 7d)` })
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === null || ms <= 0) {
        ctx.issues.push({
          code: 'custom',
          message: `"${text}" is not a positive duration (30s, 15m, 4h, 7d)`,
          input: text,
        });
        return z.NEVER;
      }
      return ms;
    })
    .describe(description);
}

/** True when the runtime knows this IANA time zone. */
export function isTimeZone(name: string): boolean {
  if (name.trim() === '' || /^[+-]/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const timezone = z
  .string()
  .refine(isTimeZone, {
    error: (iss) => `unknown time zone "${String(iss.input)}" (use an IANA name such as Europe/Berlin)`,
  })
  .describe('IANA time zone, e.g. Europe/Berlin, America/New_York, UTC');

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
/** True for a real calendar date written YYYY-MM-DD. */
export function isCalendarDate(text: string): boolean {
  const m = DATE_PATTERN.exec(text);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}
const calendarDate = z
  .string()
  .refine(isCalendarDate, { error: (iss) => `"${String(iss.input)}" is not a date (YYYY-MM-DD)` })
  .describe('A calendar date, YYYY-MM-DD');

const dateRange = z
  .strictObject({ from: calendarDate, to: calendarDate })
  .refine((r) => r.from <= r.to, { error: '"to" is before "from"', path: ['to'] })
  .describe('An inclusive range of dates, e.g. { from: 2026-12-22, to: 2027-01-02 }');

const cronExpression = z
  .string()
  .refine((expr) => expr.trim().split(/\s+/).length >= 5 && cron.validate(expr), {
    error: (iss) => `"${String(iss.input)}" is not a valid cron expression (e.g. "0 8 * * 1-5")`,
  })
  .describe('Cron expression: minute hour day-of-month month day-of-week');

const workingHours = z
  .string()
  .transform((text, ctx) => {
    const parsed = parseWorkingHours(text);
    if (!parsed.ok) {
      ctx.issues.push({ code: 'custom', message: parsed.error, input: text });
      return z.NEVER;
    }
    return parsed.hours;
  })
  .describe(
    'Working hours, e.g. "Mon-Fri 09:00-17:30", "Mon-Thu 09:00-17:30, Fri 09:00-13:00", "Sat-Sun 22:00-06:00", "24/7"',
  );

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
function identifier(what: string) {
  return z
    .string()
    .regex(ID_PATTERN, { error: `a ${what} id is letters, digits, "_", "-" or "." (no spaces)` })
    .describe(`${what} id`);
}

/** A required secret or setting, usually `${ENV_VAR}`. */
function secret(description: string) {
  return z.string().min(1, { error: 'must not be empty' }).describe(description);
}
/** An optional string where "" (e.g. `${VAR:-}`) means "not set". */
function optionalText(description: string) {
  return z.string().optional().describe(description);
}

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}
function url(description: string) {
  return z.string().refine(isUrl, { error: 'expected a URL such as https://example.com' }).describe(description);
}
function optionalUrl(description: string) {
  return z
    .string()
    .refine((s) => s === '' || isUrl(s), { error: 'expected a URL such as https://example.com' })
    .optional()
    .describe(description);
}

/** A whole number written as a number or as digits (values from `${ENV}` arrive as text). */
function integer(description: string, min: number, max?: number) {
  const asNumber = max === undefined ? z.number().int().min(min) : z.number().int().min(min).max(max);
  return z
    .union([asNumber, z.string().regex(/^\s*\d+\s*$/, { error: 'expected a whole number' })])
    .transform((v, ctx) => {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isInteger(n) || n < min || (max !== undefined && n > max)) {
        ctx.issues.push({
          code: 'custom',
          message: `expected a whole number from ${min}${max === undefined ? '' : ` to ${max}`}`,
          input: v,
        });
        return z.NEVER;
      }
      return n;
    })
    .describe(description);
}

/** "50%" or 50 → 50 (a percentage, 0–100). */
function percent(description: string) {
  return z
    .union([
      z.number().min(0).max(100),
      z.string().regex(/^\s*\d+(\.\d+)?\s*%\s*$/, { error: 'expected a percentage such as 50%' }),
    ])
    .transform((v, ctx) => {
      const n = typeof v === 'number' ? v : Number(v.trim().replace(/\s*%$/, ''));
      if (n < 0 || n > 100) {
        ctx.issues.push({ code: 'custom', message: 'expected a percentage from 0% to 100%', input: v });
        return z.NEVER;
      }
      return n;
    })
    .describe(description);
}

const scalarValue = z.union([z.string(), z.number(), z.boolean()]);
const propertyWrites = z
  .record(z.string().min(1), scalarValue)
  .describe(
    'CRM properties (API names) to set; values may use {{reason.id}}, {{reason.label}}, {{note}}, {{rep.id}}, {{rep.name}}, {{rep.email}}, {{decision}}, {{decidedAt}}',
  );

// ---- sections -----------------------------------------------------------------------------------

const storeSection = z
  .strictObject({
    url: z
      .string()
      .regex(/^(sqlite:|postgres(ql)?:\/\/)/, {
        error: 'expected sqlite:PATH, sqlite::memory: or postgres://user@host:5432/db',
      })
      .default('sqlite:./data/handoff.db')
      .describe('sqlite:PATH (embedded, one replica) or postgres://… (several replicas)'),
  })
  .describe('Where hand-offs, the audit log and the outbox live');

const serverSection = z
  .strictObject({
    port: integer('HTTP port for Slack requests, webhooks, health, metrics and the dashboard', 1, 65535).prefault(3000),
    host: z.string().min(1).default('0.0.0.0').describe('Interface to listen on'),
    publicUrl: optionalUrl('The URL Slack and HubSpot reach this server at (links in alerts and digests)'),
    dashboardToken: optionalText('Bearer token for GET /dashboard; the dashboard is off without it'),
  })
  .describe('The one HTTP server');

const startFrom = z
  .string()
  .describe('Where live detection starts on an empty store: now, a duration back (2h, 7d) or an ISO date/time')
  .transform((text, ctx): StartFrom => {
    const s = text.trim();
    if (s.toLowerCase() === 'now') return { kind: 'now' };
    if (DURATION_PATTERN.test(s)) {
      const ms = parseDuration(s);
      if (ms !== null) return { kind: 'ago', ms };
    }
    if (isCalendarDate(s)) return { kind: 'at', at: Date.parse(`${s}T00:00:00Z`) };
    if (
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) &&
      isCalendarDate(s.slice(0, 10))
    ) {
      const at = Date.parse(s);
      if (Number.isFinite(at)) return { kind: 'at', at };
    }
    ctx.issues.push({
      code: 'custom',
      message: `"${s}" is not now, a duration (2h, 7d) or an ISO date (2026-11-01 or 2026-11-01T08:00:00Z)`,
      input: text,
    });
    return z.NEVER;
  });

const sourceSection = z
  .strictObject({
    kind: z
      .enum(['hubspot', 'salesforce', 'marketo', 'intake'])
      .describe('Where MQLs come from; intake: only the intake sources (POST /intake/<id>), nothing is polled'),
    pollEvery: duration('How often to look for new MQLs').prefault('30s'),
    overlap: duration('How far each poll reaches back before the cursor (search indexes lag)').prefault('2m'),
    startFrom: startFrom.prefault('now'),
    mql: z
      .strictObject({
        lifecycleStage: z
          .string()
          .min(1)
          .optional()
          .describe('HubSpot: the lifecycle stage that means MQL (default marketingqualifiedlead)'),
        status: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Salesforce: the Lead Status value that means MQL (default "Marketing Qualified"); Marketo: the value of marketo.statusField that means MQL (optional)',
          ),
        minScore: z.number().optional().describe('Only leads whose mapped score (fields.score) is at least this'),
        dateField: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Property/field holding the MQL date (HubSpot default hs_lifecyclestage_marketingqualifiedlead_date)',
          ),
      })
      .prefault({})
      .describe('What makes a lead an MQL'),
    hot: z
      .strictObject({
        when: conditionSchema({ allowHot: false }).describe('Leads matching this are hot'),
        acceptWithin: duration('SLA for hot leads').prefault('5m'),
      })
      .optional()
      .describe('The hot lane: a shorter SLA and may exceed capacity.perDay'),
  })
  .describe('The lead source');

const writeBack = z.strictObject({
  set: propertyWrites.optional(),
  note: z.boolean().optional().describe('HubSpot: a timeline note; Salesforce: a completed Task on the Lead'),
});

const crmSection = z
  .strictObject({
    kind: z
      .enum(['hubspot', 'salesforce', 'marketo', 'none'])
      .optional()
      .describe(
        'Where outcomes are written (defaults to source.kind; none for source.kind intake): none records the decision here and sends it to the intake callback when set',
      ),
    assignOwnerOn: z
      .enum(['accept', 'offer'])
      .default('accept')
      .describe('When the rep becomes the record owner in the CRM'),
    onAccept: writeBack.optional().describe('Written when a rep accepts (the lead is a SAL)'),
    onReject: writeBack.optional().describe('Written when a rep rejects'),
    onRecycle: z
      .strictObject({ set: propertyWrites.optional() })
      .optional()
      .describe('Written after a rejection whose reason has recycle: true (back to nurture)'),
  })
  .describe('Write-back to the CRM');

const fieldsShape = Object.fromEntries(
  Object.keys(LEAD_FIELDS).map((name) => [
    name,
    z.string().min(1).nullable().optional().describe(`CRM property mapped to "${name}" (null: not mapped)`),
  ]),
) as Record<LeadFieldName, z.ZodOptional<z.ZodNullable<z.ZodString>>>;
const fieldsSection = z
  .strictObject(fieldsShape)
  .describe('Lead field → CRM property (API name). Merged over the defaults of source.kind; null unmaps a field');

const hubspotSection = z
  .strictObject({
    token: secret('Private app access token, e.g. ${HUBSPOT_TOKEN}'),
    baseUrl: url('API base URL').default('https://api.hubapi.com'),
    portalId: integer('Portal (hub) id, for record links on cards', 1).optional(),
    webhookSecret: optionalText('App client secret that signs webhooks; webhooks are off without it'),
    rateLimit: integer('Requests allowed per 10 seconds (your HubSpot tier)', 1).prefault(100),
  })
  .describe('HubSpot connection (needed when source.kind or crm.kind is hubspot)');

const salesforceAuth = z
  .discriminatedUnion('flow', [
    z.strictObject({
      flow: z.literal('client_credentials'),
      clientId: secret('Connected app consumer key'),
      clientSecret: secret('Connected app consumer secret'),
    }),
    z
      .strictObject({
        flow: z.literal('jwt'),
        clientId: secret('Connected app consumer key'),
        username: z.string().min(1).describe('Salesforce username the token is issued for'),
        privateKey: optionalText('PEM private key text, e.g. ${SF_PRIVATE_KEY}'),
        privateKeyFile: optionalText('Path to the PEM private key (relative to the config file)'),
      })
      .refine((a) => (a.privateKey ?? '') !== '' || (a.privateKeyFile ?? '') !== '', {
        error: 'the jwt flow needs privateKey or privateKeyFile',
        path: ['privateKey'],
      })
      .refine((a) => (a.privateKey ?? '') === '' || (a.privateKeyFile ?? '') === '', {
        error: 'give privateKey or privateKeyFile, not both',
        path: ['privateKeyFile'],
      }),
    z.strictObject({
      flow: z.literal('password'),
      clientId: secret('Connected app consumer key'),
      clientSecret: secret('Connected app consumer secret'),
      username: z.string().min(1),
      password: secret('Password, e.g. ${SF_PASSWORD}'),
      securityToken: optionalText('Security token appended to the password, when your org needs one'),
    }),
  ])
  .describe('OAuth flow: client_credentials, jwt or password');

const salesforceSection = z
  .strictObject({
    loginUrl: url('Login URL (My Domain for client_credentials; test.salesforce.com for sandboxes)').default(
      'https://login.salesforce.com',
    ),
    apiVersion: z
      .union([
        z.string().regex(/^\d+\.0$/, { error: 'expected an API version such as "62.0"' }),
        z.number().int().min(20),
      ])
      .transform((v) => (typeof v === 'number' ? `${v}.0` : v))
      .prefault('62.0')
      .describe('REST API version, e.g. "62.0"'),
    auth: salesforceAuth,
  })
  .describe('Salesforce connection (needed when source.kind or crm.kind is salesforce)');

const MUNCHKIN_PATTERN = /^\d{3}-[A-Za-z]{3}-\d{3}$/;
const marketoSection = z
  .strictObject({
    munchkinId: z
      .string()
      .regex(MUNCHKIN_PATTERN, { error: 'expected a Munchkin id such as 123-ABC-456' })
      .optional()
      .describe('Munchkin account id (123-ABC-456); the REST endpoint is then https://<id>.mktorest.com'),
    baseUrl: optionalUrl(
      'REST API endpoint without /rest (Admin > Web Services), e.g. https://123-ABC-456.mktorest.com',
    ),
    identityUrl: optionalUrl('Identity endpoint (default: baseUrl + /identity)'),
    clientId: secret('Custom service client id (Admin > LaunchPoint), e.g. ${MARKETO_CLIENT_ID}'),
    clientSecret: secret('Custom service client secret, e.g. ${MARKETO_CLIENT_SECRET}'),
    activityTypeIds: z
      .array(z.number().int().min(1))
      .min(1)
      .max(10, { error: 'Marketo takes at most 10 activity types per call' })
      .default([22, 13])
      .describe('Activity types that can make a lead an MQL: 22 Change Score, 13 Change Data Value (status fields)'),
    statusField: z
      .string()
      .min(1)
      .default('leadStatus')
      .describe('Lead field (REST name) compared with source.mql.status'),
    ownerField: optionalText(
      "crm.kind marketo: a lead field that gets the rep's email as owner (Marketo has no lead owner of its own)",
    ),
    dailyQuota: integer('API calls per day of your subscription (Admin > Web Services)', 1).prefault(50_000),
    warnAt: percent('Alert the managers when this share of the daily quota is used').prefault('80%'),
    rateLimit: integer('Calls per 20 seconds (Marketo allows 100)', 1, 100).prefault(100),
  })
  .superRefine((m, ctx) => {
    if (m.munchkinId === undefined && (m.baseUrl ?? '') === '') {
      ctx.issues.push({
        code: 'custom',
        message: 'give munchkinId or baseUrl (the REST endpoint)',
        path: ['baseUrl'],
        input: undefined,
      });
    }
  })
  .describe('Marketo connection (needed when source.kind or crm.kind is marketo)');

const slackSection = z
  .strictObject({
    botToken: secret('Bot token (xoxb-…), e.g. ${SLACK_BOT_TOKEN}'),
    signingSecret: optionalText('Signing secret; needed in HTTP mode (no appToken)'),
    appToken: optionalText('App-level token (xapp-…); when set, Socket Mode is used and no public URL is needed'),
    apiUrl: url('Web API base URL').default('https://slack.com/api/'),
    managersChannel: optionalText('Channel id for escalations, alerts and the managers digest'),
    marketingChannel: optionalText('Channel id for marketing alerts and the marketing digest'),
  })
  .superRefine((s, ctx) => {
    if ((s.appToken ?? '') === '' && (s.signingSecret ?? '') === '') {
      ctx.issues.push({
        code: 'custom',
        message: 'HTTP mode needs signingSecret (or set appToken for Socket Mode)',
        path: ['signingSecret'],
        input: undefined,
      });
    }
  })
  .describe('Slack app: cards, decisions, escalations (HTTP mode, or Socket Mode with appToken)');

const msteamsSection = z
  .strictObject({
    appId: z
      .string()
      .min(1)
      .describe('Microsoft App ID of the bot (Entra app registration); the audience of incoming tokens'),
    appPassword: secret('Client secret of the app registration, e.g. ${TEAMS_APP_PASSWORD}'),
    tenantId: optionalText('Tenant id for a single-tenant app (absent: multi-tenant, botframework.com)'),
    openIdMetadataUrl: url('OpenID metadata of the Bot Framework token issuer').default(
      'https://login.botframework.com/v1/.well-known/openidconfiguration',
    ),
    tokenUrl: optionalText('Token endpoint for our outgoing calls (default: login.microsoftonline.com for the tenant)'),
    serviceUrl: url('Bot Connector service URL for channel posts (1:1 chats use the one saved at install)').default(
      'https://smba.trafficmanager.net/teams/',
    ),
    managersChannel: optionalText('Teams channel conversation id (19:…@thread.tacv2) for escalations, alerts, digests'),
    marketingChannel: optionalText('Teams channel conversation id for marketing alerts and the marketing digest'),
  })
  .describe('Microsoft Teams bot: cards and decisions for reps with chat: teams (POST /teams/messages)');

const emailAddress = z.email({ error: 'expected an email address' });
const emailSection = z
  .strictObject({
    smtpUrl: secret('SMTP URL, e.g. smtps://user:pass@smtp.example.com:465 (from ${SMTP_URL})').refine(
      (s) => /^smtps?:\/\//.test(s),
      { error: 'expected smtp://… or smtps://…' },
    ),
    from: z.string().min(1).describe('From header, e.g. "Lead hand-off <handoff@example.com>"'),
    managers: z
      .array(emailAddress)
      .optional()
      .describe('Recipients of escalations, alerts and the managers digest (default: the managers)'),
    marketing: z.array(emailAddress).default([]).describe('Recipients of marketing alerts and the marketing digest'),
    linkSecret: optionalText(
      'Secret that signs one-click decision links in emails (32+ characters, e.g. ${HANDOFF_LINK_SECRET}); needed when a rep or manager has chat: email',
    ),
  })
  .describe('Email delivery; off when this section is absent');

const chatPlatform = z
  .enum(['slack', 'teams', 'email'])
  .optional()
  .describe(
    'Where cards go and decisions are made (default: slack when a Slack id is set or Slack is configured, else teams, else email)',
  );
/** People whose `chat` was written in the file (the others get the default from which ids and sections are configured). */
const explicitChat = new WeakSet<object>();

const repSchema = z
  .strictObject({
    id: identifier('rep'),
    name: z.string().min(1),
    email: emailAddress,
    chat: chatPlatform,
    slackUserId: optionalText('Slack user id (U…); looked up by email when absent'),
    teamsUserId: optionalText('Entra (AAD) object id of the Teams user; matched by email at app install when absent'),
    crmOwnerId: z
      .union([z.string(), z.number().int()])
      .transform((v) => String(v))
      .optional()
      .describe('CRM owner/user id; looked up by email when absent'),
    timezone: timezone.default('UTC'),
    hours: workingHours.prefault('Mon-Fri 09:00-17:00'),
    capacity: z
      .strictObject({
        open: z.number().int().min(1).optional().describe('Most open offers at once'),
        perDay: z.number().int().min(1).optional().describe('Most offers per local day (the hot lane may exceed it)'),
      })
      .default({})
      .describe('Limits; none when absent'),
    weight: z.number().positive().default(1).describe('Share in a weighted team'),
    away: z.array(dateRange).default([]).describe('Vacations and other absences (local dates, inclusive)'),
    active: z.boolean().default(true).describe('false: never offered leads'),
  })
  .transform((r): Rep => {
    const rep: Rep = {
      id: r.id,
      name: r.name,
      email: r.email,
      chat: r.chat ?? 'slack',
      timezone: r.timezone,
      hours: r.hours,
      capacity: {},
      weight: r.weight,
      away: r.away.map((a): DateRange => ({ from: a.from, to: a.to })),
      active: r.active,
    };
    if (r.capacity.open !== undefined) rep.capacity.open = r.capacity.open;
    if (r.capacity.perDay !== undefined) rep.capacity.perDay = r.capacity.perDay;
    if (r.slackUserId !== undefined && r.slackUserId !== '') rep.slackUserId = r.slackUserId;
    if (r.teamsUserId !== undefined && r.teamsUserId !== '') rep.teamsUserId = r.teamsUserId;
    if (r.chat !== undefined) explicitChat.add(rep);
    if (r.crmOwnerId !== undefined && r.crmOwnerId !== '') rep.crmOwnerId = r.crmOwnerId;
    return rep;
  });

const managerSchema = z
  .strictObject({
    id: identifier('manager'),
    name: z.string().min(1),
    email: emailAddress,
    chat: chatPlatform,
    slackUserId: optionalText('Slack user id (U…)'),
    teamsUserId: optionalText('Entra (AAD) object id of the Teams user; matched by email at app install when absent'),
  })
  .transform((m): Manager => {
    const manager: Manager = { id: m.id, name: m.name, email: m.email, chat: m.chat ?? 'slack' };
    if (m.slackUserId !== undefined && m.slackUserId !== '') manager.slackUserId = m.slackUserId;
    if (m.teamsUserId !== undefined && m.teamsUserId !== '') manager.teamsUserId = m.teamsUserId;
    if (m.chat !== undefined) explicitChat.add(manager);
    return manager;
  });

const teamSchema = z
  .strictObject({
    id: identifier('team'),
    members: z.array(z.string().min(1)).min(1, { error: 'a team needs at least one member' }).describe('Rep ids'),
    strategy: z
      .enum(['round-robin', 'weighted', 'least-loaded'])
      .default('round-robin')
      .describe('round-robin: strict turns; weighted: by rep weight; least-loaded: fewest open offers'),
    manager: z.string().min(1).optional().describe('Manager id: may decide, claim and assign for this team'),
    channel: optionalText('Slack channel id for hot leads and claimable escalations'),
    teamsChannel: optionalText('Or a Teams channel conversation id (19:…@thread.tacv2) for them'),
  })
  .transform((t): Team => {
    const team: Team = { id: t.id, members: t.members, strategy: t.strategy };
    if (t.manager !== undefined) team.manager = t.manager;
    if (t.channel !== undefined && t.channel !== '') team.channel = t.channel;
    else if (t.teamsChannel !== undefined && t.teamsChannel !== '') team.channel = teamsAddress(t.teamsChannel);
    return team;
  });

const routingSection = z
  .strictObject({
    ownerMatch: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe("Offer the lead to the contact's or account's existing owner first"),
        skipFreeEmailDomains: z.boolean().default(true).describe('Do not match companies by gmail.com, outlook.com, …'),
      })
      .prefault({}),
    rules: z
      .array(
        z.strictObject({
          name: z.string().min(1).optional().describe('Shown in traces and cards ("why you"); default "rule N"'),
          when: conditionSchema({ allowHot: true }),
          team: z.string().min(1).describe('Team id'),
        }),
      )
      .default([])
      .describe('Ordered; the first rule whose condition matches picks the team'),
    fallback: z
      .strictObject({ team: z.string().min(1).describe('Team id') })
      .optional()
      .describe('Team for leads no rule matches (or whose team has nobody available)'),
  })
  .describe('Which team a lead goes to');

const slaSection = z
  .strictObject({
    acceptWithin: duration('Working time a rep has to accept or reject').prefault('30m'),
    remindAt: z
      .union([
        z.string().regex(/^\s*\d+(\.\d+)?\s*%\s*$/, { error: 'expected a percentage such as 50%' }),
        z.number().gt(0).lt(1),
        z.literal(false),
        z.null(),
      ])
      .transform((v, ctx): number | null => {
        if (v === false || v === null) return null;
        const fraction = typeof v === 'number' ? v : Number(v.trim().replace(/\s*%$/, '')) / 100;
        if (!(fraction > 0 && fraction < 1)) {
          ctx.issues.push({
            code: 'custom',
            message: 'expected a percentage between 0% and 100% (or false)',
            input: v,
          });
          return z.NEVER;
        }
        return fraction;
      })
      .prefault('50%')
      .describe('Remind the rep when this share of the SLA has passed ("50%"); false for no reminder'),
    maxOffers: z
      .number()
      .int()
      .min(1)
      .max(50)
      .default(3)
      .describe('Offers (reps) before the hand-off escalates to managers'),
    holidays: z.array(calendarDate).default([]).describe('Days the SLA clock does not count'),
    routeOutsideHours: z
      .boolean()
      .default(true)
      .describe(
        "true: offer at once and start the clock at the rep's next working minute; false: only offer to reps at work",
      ),
  })
  .describe('Service level for accepting leads');

const reasonSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'a reason id is lower-case letters, digits, "_" or "-"' })
    .describe('Stable id written to the CRM'),
  label: z.string().min(1).describe('Shown to reps'),
  recycle: z.boolean().default(false).describe('Send the lead back to marketing nurture (crm.onRecycle)'),
  noteRequired: z.boolean().default(false).describe('The rep must write a note'),
});

const DEFAULT_REASONS = [
  { id: 'not_icp', label: 'Not our ideal customer' },
  { id: 'bad_timing', label: 'Bad timing', recycle: true },
  { id: 'no_contact', label: 'Could not reach them', recycle: true },
  { id: 'duplicate', label: 'Duplicate or already in a deal' },
  { id: 'other', label: 'Other', noteRequired: true },
];

function alertRule<T extends z.core.$ZodLooseShape>(shape: T, description: string) {
  return z.union([z.literal(false), z.strictObject(shape)]).describe(`${description}; false turns it off`);
}

const alertsSection = z
  .strictObject({
    backlog: alertRule(
      { pendingOver: z.number().int().min(1).default(20).describe('Open hand-offs above this raise the alert') },
      'Too many open hand-offs',
    ).prefault({}),
    lull: alertRule(
      {
        window: duration('Window compared with the usual volume for the same hours of the week').prefault('4h'),
        belowPercentOfUsual: percent('Alert when MQLs fall below this share of the usual').prefault(50),
      },
      'Lead flow dried up',
    ).prefault({}),
    conversion: alertRule(
      {
        window: duration('Window the MQL→SAL % is computed over').prefault('7d'),
        belowPercent: percent('Alert when MQL→SAL % falls below this').prefault(60),
        minMqls: z.number().int().min(1).default(10).describe('Only judge windows with at least this many MQLs'),
      },
      'MQL→SAL conversion dropped',
    ).prefault({}),
    rejectionSpike: alertRule(
      {
        window: duration('Window per source/campaign').prefault('7d'),
        abovePercent: percent('Alert when rejections of one source or campaign exceed this share').prefault(50),
        minDecisions: z
          .number()
          .int()
          .min(1)
          .default(5)
          .describe('Only judge a source/campaign with at least this many decisions'),
      },
      'Rejections spiked for one source or campaign',
    ).prefault({}),
    cooldown: duration('The same alert is not repeated within this').prefault('2h'),
    quietHours: z
      .union([z.literal(false), z.string()])
      .transform((v, ctx): QuietHours | null => {
        if (v === false) return null;
        const r = parseClockRange(v);
        if (!r.ok) {
          ctx.issues.push({ code: 'custom', message: r.error, input: v });
          return z.NEVER;
        }
        return { start: r.start, end: r.end };
      })
      .prefault('22:00-07:00')
      .describe('Non-critical alerts wait until these hours end ("22:00-07:00"); false for none'),
    timezone: timezone.default('UTC').describe('Time zone of quietHours'),
  })
  .describe('Manager and marketing alerts');

const digestSchema = z.strictObject({
  cron: cronExpression,
  timezone: timezone.default('UTC'),
  via: z
    .array(z.enum(['slack', 'teams', 'email']))
    .min(1)
    .default(['slack', 'teams', 'email'])
    .describe('Channels; those not configured are skipped'),
});
const digestsSection = z
  .strictObject({
    managers: z
      .union([z.literal(false), digestSchema])
      .prefault({ cron: '0 8 * * 1-5' })
      .describe("Managers' daily digest; false turns it off"),
    marketing: z
      .union([z.literal(false), digestSchema])
      .prefault({ cron: '0 9 * * 1' })
      .describe("Marketing's weekly digest; false turns it off"),
  })
  .describe('Scheduled summaries');

const historySection = z
  .strictObject({
    accepted: conditionSchema({ allowHot: false }).optional().describe('A past MQL counts as accepted when this holds'),
    rejected: conditionSchema({ allowHot: false }).optional().describe('A past MQL counts as rejected when this holds'),
    reasonProperty: z.string().min(1).optional().describe('CRM property holding our rejection reason id'),
  })
  .describe('How `handoff backfill` infers the outcome of past MQLs (conditions on CRM properties)');

/** Lead identity fields an intake source maps besides the lead fields (LEAD_FIELDS). */
export const INTAKE_EXTRA_FIELDS = {
  email: 'string',
  firstName: 'string',
  lastName: 'string',
  /** When the lead became MQL (ISO 8601, or epoch seconds/milliseconds); default: when it was received. */
  mqlAt: 'time',
  recordUrl: 'string',
} as const;
export type IntakeFieldName = LeadFieldName | keyof typeof INTAKE_EXTRA_FIELDS;

const DOTTED_PATH = /^[^.\s]+(\.[^.\s]+)*$/;
const dottedPath = z
  .string()
  .regex(DOTTED_PATH, { error: 'expected a dotted path into the JSON body, e.g. lead.company.name' })
  .describe('Dotted path into each lead of the JSON body (array items by index: items.0.value)');
const intakeFieldsShape = Object.fromEntries(
  [...Object.keys(INTAKE_EXTRA_FIELDS), ...Object.keys(LEAD_FIELDS)].map((name) => [
    name,
    dottedPath.optional().describe(`Path to "${name}" in each lead`),
  ]),
) as Record<IntakeFieldName, z.ZodOptional<typeof dottedPath>>;

const intakeSourceSchema = z
  .strictObject({
    id: identifier('source').describe('Source id: leads are posted to POST /intake/<id>'),
    preset: z
      .enum(['generic', 'mautic'])
      .default('generic')
      .describe(
        'generic: our signed JSON (X-Handoff-Timestamp, X-Handoff-Signature); mautic: its mautic.lead_points_change webhook',
      ),
    secret: secret('Shared secret that signs deliveries (and our callbacks), e.g. ${INTAKE_FORMS_SECRET}'),
    idempotencyKey: z
      .union([
        z.strictObject({ field: dottedPath.describe('Path to a delivery id unique per lead in each lead') }),
        z.strictObject({ header: z.string().min(1).describe('Request header holding the delivery id') }),
      ])
      .optional()
      .describe('What makes a repeated delivery recognisable (generic: required; mautic: contact id + event time)'),
    fields: z
      .strictObject(intakeFieldsShape)
      .optional()
      .describe('Lead field → dotted path in each lead (generic: email is required; mautic: merged over its defaults)'),
    mql: conditionSchema({ allowHot: false })
      .optional()
      .describe('Which leads are MQLs, e.g. { score: { gte: 80 } }; leads that fail it are answered and not stored'),
    threshold: z
      .number()
      .optional()
      .describe('mautic: a contact is an MQL when its points cross this upward (old < threshold <= new)'),
    callback: z
      .strictObject({ url: url("Where each decision is POSTed, signed with this source's secret") })
      .optional()
      .describe('Decisions on leads of this source are sent here from the outbox (retried, never dropped)'),
    maxBatch: integer('Most leads one request may carry', 1, 1000).prefault(100),
  })
  .describe('A source that pushes leads (preset rules are checked in checks.ts, so all problems show at once)');

const intakeSection = z
  .array(intakeSourceSchema)
  .describe('Sources that push leads to POST /intake/<id> (signed JSON, Mautic)');

// ---- the whole file ---------------------------------------------------------------------------

export const configInputSchema = z
  .strictObject({
    store: storeSection.prefault({}),
    server: serverSection.prefault({}),
    source: sourceSection,
    crm: crmSection.prefault({}),
    fields: fieldsSection.optional(),
    hubspot: hubspotSection.optional(),
    salesforce: salesforceSection.optional(),
    marketo: marketoSection.optional(),
    slack: slackSection.optional(),
    msteams: msteamsSection.optional(),
    email: emailSection.optional(),
    reps: z.array(repSchema).default([]).describe('Sales reps who receive leads'),
    managers: z.array(managerSchema).default([]).describe('Managers: escalations, alerts, digests'),
    teams: z.array(teamSchema).default([]).describe('Groups of reps a rule can route to'),
    routing: routingSection.prefault({}),
    sla: slaSection.prefault({}),
    rejectionReasons: z
      .array(reasonSchema)
      .min(1)
      .prefault(DEFAULT_REASONS)
      .describe('Reasons a rep can pick when rejecting'),
    alerts: alertsSection.prefault({}),
    digests: digestsSection.prefault({}),
    history: historySection.prefault({}),
    intake: intakeSection.default([]),
  })
  .describe('handoff configuration (see config/handoff.example.yaml)');

// ---- the typed result ---------------------------------------------------------------------------

export type StartFrom = { kind: 'now' } | { kind: 'ago'; ms: Millis } | { kind: 'at'; at: Millis };
/** Minutes after local midnight; `end <= start` runs past midnight. */
export interface QuietHours {
  start: number;
  end: number;
}
export interface WriteBack {
  set: Record<string, string>;
  note: boolean;
}
export type SalesforceAuth =
  | { flow: 'client_credentials'; clientId: string; clientSecret: string }
  | { flow: 'jwt'; clientId: string; username: string; privateKey: string | null; privateKeyFile: string | null }
  | {
      flow: 'password';
      clientId: string;
      clientSecret: string;
      username: string;
      password: string;
      securityToken: string | null;
    };
/** One source that pushes leads to POST /intake/<id>. */
export interface IntakeSourceConfig {
  id: string;
  preset: 'generic' | 'mautic';
  secret: string;
  idempotencyKey: { field: string } | { header: string } | null;
  /** Lead field → dotted path in each lead; for mautic its defaults merged with the configured ones. */
  fields: Partial<Record<IntakeFieldName, string>>;
  mql: Condition | null;
  threshold: number | null;
  callback: { url: string } | null;
  maxBatch: number;
}
export interface MarketoSettings {
  /** REST endpoint without /rest, no trailing slash. */
  baseUrl: string;
  identityUrl: string;
  clientId: string;
  clientSecret: string;
  activityTypeIds: number[];
  statusField: string;
  ownerField: string | null;
  dailyQuota: number;
  /** 0–100. */
  warnAtPercent: number;
  ratePer20s: number;
}
export interface DigestSettings {
  cron: string;
  timezone: string;
  via: Array<'slack' | 'teams' | 'email'>;
}

export interface Config {
  store: { url: string };
  server: { port: number; host: string; publicUrl: string | null; dashboardToken: string | null };
  source: {
    kind: SourceKind;
    pollEvery: Millis;
    overlap: Millis;
    startFrom: StartFrom;
    mql: {
      /** HubSpot lifecycle stage that means MQL (null for Salesforce). */
      lifecycleStage: string | null;
      /** Salesforce Lead Status that means MQL (null for HubSpot). */
      status: string | null;
      minScore: number | null;
      dateField: string | null;
    };
    hot: HotLane | null;
  };
  crm: {
    kind: CrmKind;
    assignOwnerOn: 'accept' | 'offer';
    onAccept: WriteBack;
    onReject: WriteBack;
    onRecycle: { set: Record<string, string> };
  };
  /** Lead field → CRM property of the source; unmapped fields are absent. */
  fields: Partial<Record<LeadFieldName, string>>;
  hubspot: {
    token: string;
    baseUrl: string;
    portalId: number | null;
    webhookSecret: string | null;
    rateLimit: number;
  } | null;
  salesforce: { loginUrl: string; apiVersion: string; auth: SalesforceAuth } | null;
  marketo: MarketoSettings | null;
  slack: {
    mode: 'http' | 'socket';
    botToken: string;
    signingSecret: string | null;
    appToken: string | null;
    apiUrl: string;
    managersChannel: string | null;
    marketingChannel: string | null;
  } | null;
  msteams: {
    appId: string;
    appPassword: string;
    tenantId: string | null;
    openIdMetadataUrl: string;
    tokenUrl: string | null;
    serviceUrl: string;
    /** Message addresses ("teams:<conversation id>"). */
    managersChannel: string | null;
    marketingChannel: string | null;
  } | null;
  email: { smtpUrl: string; from: string; managers: string[]; marketing: string[]; linkSecret: string | null } | null;
  reps: Rep[];
  managers: Manager[];
  teams: Team[];
  routing: RoutingSettings;
  sla: SlaSettings;
  rejectionReasons: RejectionReason[];
  alerts: {
    backlog: { pendingOver: number } | null;
    lull: { window: Millis; belowPercentOfUsual: number } | null;
    conversion: { window: Millis; belowPercent: number; minMqls: number } | null;
    rejectionSpike: { window: Millis; abovePercent: number; minDecisions: number } | null;
    cooldown: Millis;
    quietHours: QuietHours | null;
    timezone: string;
  };
  digests: { managers: DigestSettings | null; marketing: DigestSettings | null };
  history: { accepted: Condition; rejected: Condition; reasonProperty: string };
  intake: IntakeSourceConfig[];
}

// ---- defaults that depend on the source / CRM -------------------------------------------------

export const DEFAULT_FIELDS: Record<SourceKind, Partial<Record<LeadFieldName, string>>> = {
  hubspot: {
    title: 'jobtitle',
    company: 'company',
    country: 'country',
    employees: 'numberofemployees',
    industry: 'industry',
    score: 'hubspotscore',
    channel: 'hs_analytics_source',
    campaign: 'campaign',
    need: 'handoff_need',
    budget: 'handoff_budget',
    authority: 'handoff_authority',
    timeline: 'handoff_timeline',
  },
  salesforce: {
    title: 'Title',
    company: 'Company',
    country: 'Country',
    employees: 'NumberOfEmployees',
    industry: 'Industry',
    channel: 'LeadSource',
  },
  // Intake sources map their own fields (intake[].fields).
  intake: {},
  marketo: {
    title: 'title',
    company: 'company',
    country: 'country',
    employees: 'numberOfEmployees',
    industry: 'industry',
    score: 'leadScore',
    channel: 'leadSource',
  },
};

/** Where Mautic puts a contact's fields in a webhook event (contact.fields.<group>.<alias>.value). */
export const MAUTIC_DEFAULT_FIELDS: Partial<Record<IntakeFieldName, string>> = {
  email: 'contact.fields.core.email.value',
  firstName: 'contact.fields.core.firstname.value',
  lastName: 'contact.fields.core.lastname.value',
  company: 'contact.fields.core.company.value',
  title: 'contact.fields.core.position.value',
  country: 'contact.fields.core.country.value',
  score: 'points.new_points',
  mqlAt: 'timestamp',
};

const DEFAULT_WRITES: Record<CrmKind, { accept: Record<string, string>; reject: Record<string, string> }> = {
  none: { accept: {}, reject: {} },
  hubspot: {
    accept: { hs_lead_status: 'OPEN', handoff_status: 'accepted', handoff_rep: '{{rep.name}}' },
    reject: {
      hs_lead_status: 'UNQUALIFIED',
      handoff_status: 'rejected',
      handoff_rejection_reason: '{{reason.id}}',
      handoff_rejection_note: '{{note}}',
      handoff_rep: '{{rep.name}}',
    },
  },
  salesforce: {
    accept: { Status: 'Working - Contacted' },
    reject: { Status: 'Closed - Not Converted' },
  },
  marketo: {
    accept: { leadStatus: 'Sales Accepted' },
    reject: { leadStatus: 'Sales Rejected' },
  },
};

const inList = (field: string, values: string[]): Condition => ({ kind: 'compare', field, op: 'in', value: values });

/** Outcome rules for backfill that fit each CRM's standard values. */
export const DEFAULT_HISTORY: Record<SourceKind, { accepted: Condition; rejected: Condition; reasonProperty: string }> =
  {
    hubspot: {
      accepted: {
        kind: 'any',
        of: [
          inList('props.lifecyclestage', ['salesqualifiedlead', 'opportunity', 'customer']),
          inList('props.hs_lead_status', ['OPEN', 'IN_PROGRESS', 'CONNECTED', 'OPEN_DEAL']),
        ],
      },
      rejected: inList('props.hs_lead_status', ['UNQUALIFIED', 'BAD_TIMING']),
      reasonProperty: 'handoff_rejection_reason',
    },
    salesforce: {
      accepted: {
        kind: 'any',
        of: [
          { kind: 'compare', field: 'props.IsConverted', op: 'eq', value: 'true' },
          inList('props.Status', ['Working - Contacted', 'Closed - Converted']),
        ],
      },
      rejected: inList('props.Status', ['Closed - Not Converted']),
      reasonProperty: 'Handoff_Rejection_Reason__c',
    },
    // Intake sources have no history to read back; these only fit a lead file with these props.
    intake: {
      accepted: { kind: 'compare', field: 'props.handoff_status', op: 'eq', value: 'accepted' },
      rejected: { kind: 'compare', field: 'props.handoff_status', op: 'eq', value: 'rejected' },
      reasonProperty: 'handoff_rejection_reason',
    },
    marketo: {
      accepted: inList('props.leadStatus', ['Sales Accepted', 'Sales Qualified']),
      rejected: inList('props.leadStatus', ['Sales Rejected']),
      reasonProperty: 'handoffRejectionReason',
    },
  };

const nonEmpty = (s: string | undefined): string | null => (s === undefined || s.trim() === '' ? null : s);
const asText = (values: Record<string, string | number | boolean> | undefined): Record<string, string> | undefined =>
  values === undefined ? undefined : Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));

function marketoSettings(m: z.output<typeof marketoSection>): MarketoSettings {
  const given = nonEmpty(m.baseUrl);
  const baseUrl = (given ?? `https://${m.munchkinId ?? ''}.mktorest.com`).replace(/\/+$/, '').replace(/\/rest$/, '');
  return {
    baseUrl,
    identityUrl: (nonEmpty(m.identityUrl) ?? `${baseUrl}/identity`).replace(/\/+$/, ''),
    clientId: m.clientId,
    clientSecret: m.clientSecret,
    activityTypeIds: [...new Set(m.activityTypeIds)],
    statusField: m.statusField,
    ownerField: nonEmpty(m.ownerField),
    dailyQuota: m.dailyQuota,
    warnAtPercent: m.warnAt,
    ratePer20s: m.rateLimit,
  };
}

/** The full schema: YAML form in, Config out. */
export const configSchema = configInputSchema.transform((c): Config => {
  const sourceKind = c.source.kind;
  const crmKind: CrmKind = c.crm.kind ?? (sourceKind === 'intake' ? 'none' : sourceKind);

  const fields: Partial<Record<LeadFieldName, string>> = { ...DEFAULT_FIELDS[sourceKind] };
  for (const [name, property] of Object.entries(c.fields ?? {}) as Array<[LeadFieldName, string | null | undefined]>) {
    if (property === undefined) continue;
    if (property === null) delete fields[name];
    else fields[name] = property;
  }

  const rules: RoutingRule[] = c.routing.rules.map((r, i) => ({
    name: r.name ?? `rule ${i + 1}`,
    when: r.when,
    team: r.team,
  }));
  const slack = c.slack
    ? {
        mode: nonEmpty(c.slack.appToken) === null ? ('http' as const) : ('socket' as const),
        botToken: c.slack.botToken,
        signingSecret: nonEmpty(c.slack.signingSecret),
        appToken: nonEmpty(c.slack.appToken),
        apiUrl: c.slack.apiUrl,
        managersChannel: nonEmpty(c.slack.managersChannel),
        marketingChannel: nonEmpty(c.slack.marketingChannel),
      }
    : null;
  const email = c.email
    ? {
        smtpUrl: c.email.smtpUrl,
        from: c.email.from,
        managers: c.email.managers ?? c.managers.map((m) => m.email),
        marketing: c.email.marketing,
        linkSecret: nonEmpty(c.email.linkSecret),
      }
    : null;
  const teamsChannel = (id: string | undefined): string | null => {
    const v = nonEmpty(id);
    return v === null ? null : teamsAddress(v);
  };
  const msteams = c.msteams
    ? {
        appId: c.msteams.appId,
        appPassword: c.msteams.appPassword,
        tenantId: nonEmpty(c.msteams.tenantId),
        openIdMetadataUrl: c.msteams.openIdMetadataUrl,
        tokenUrl: nonEmpty(c.msteams.tokenUrl),
        serviceUrl: c.msteams.serviceUrl,
        managersChannel: teamsChannel(c.msteams.managersChannel),
        marketingChannel: teamsChannel(c.msteams.marketingChannel),
      }
    : null;
  // A person's chat when the file does not say: the platform whose id is set, else the one configured.
  const defaultChat = (p: { slackUserId?: string; teamsUserId?: string }): ChatPlatform => {
    if (p.slackUserId) return 'slack';
    if (p.teamsUserId) return 'teams';
    if (c.slack) return 'slack';
    if (c.msteams) return 'teams';
    if (c.email && nonEmpty(c.email.linkSecret) !== null) return 'email';
    return 'slack';
  };
  const reps = c.reps.map((r) => (explicitChat.has(r) ? r : { ...r, chat: defaultChat(r) }));
  const managers = c.managers.map((m) => (explicitChat.has(m) ? m : { ...m, chat: defaultChat(m) }));
  const digest = (
    d: false | { cron: string; timezone: string; via: Array<'slack' | 'teams' | 'email'> },
  ): DigestSettings | null => {
    if (d === false) return null;
    const via = d.via.filter((v) =>
      v === 'slack' ? slack !== null : v === 'teams' ? msteams !== null : email !== null,
    );
    return { cron: d.cron, timezone: d.timezone, via: [...new Set(via)] };
  };
  const auth = c.salesforce?.auth;
  let salesforceAuth: SalesforceAuth | null = null;
  if (auth?.flow === 'client_credentials')
    salesforceAuth = { flow: auth.flow, clientId: auth.clientId, clientSecret: auth.clientSecret };
  else if (auth?.flow === 'jwt') {
    salesforceAuth = {
      flow: 'jwt',
      clientId: auth.clientId,
      username: auth.username,
      privateKey: nonEmpty(auth.privateKey),
      privateKeyFile: nonEmpty(auth.privateKeyFile),
    };
  } else if (auth?.flow === 'password') {
    salesforceAuth = {
      flow: 'password',
      clientId: auth.clientId,
      clientSecret: auth.clientSecret,
      username: auth.username,
      password: auth.password,
      securityToken: nonEmpty(auth.securityToken),
    };
  }
  const defaultHistory = DEFAULT_HISTORY[sourceKind];

  return {
    store: { url: c.store.url },
    server: {
      port: c.server.port,
      host: c.server.host,
      publicUrl: nonEmpty(c.server.publicUrl),
      dashboardToken: nonEmpty(c.server.dashboardToken),
    },
    source: {
      kind: sourceKind,
      pollEvery: c.source.pollEvery,
      overlap: c.source.overlap,
      startFrom: c.source.startFrom,
      mql: {
        lifecycleStage: sourceKind === 'hubspot' ? (c.source.mql.lifecycleStage ?? 'marketingqualifiedlead') : null,
        status:
          sourceKind === 'salesforce'
            ? (c.source.mql.status ?? 'Marketing Qualified')
            : sourceKind === 'marketo'
              ? (c.source.mql.status ?? null)
              : null,
        minScore: c.source.mql.minScore ?? null,
        dateField:
          c.source.mql.dateField ?? (sourceKind === 'hubspot' ? 'hs_lifecyclestage_marketingqualifiedlead_date' : null),
      },
      hot: c.source.hot ? { when: c.source.hot.when, acceptWithin: c.source.hot.acceptWithin } : null,
    },
    crm: {
      kind: crmKind,
      assignOwnerOn: c.crm.assignOwnerOn,
      onAccept: {
        set: asText(c.crm.onAccept?.set) ?? DEFAULT_WRITES[crmKind].accept,
        note: c.crm.onAccept?.note ?? false,
      },
      onReject: {
        set: asText(c.crm.onReject?.set) ?? DEFAULT_WRITES[crmKind].reject,
        // Marketo keeps no notes on a lead.
        note: c.crm.onReject?.note ?? crmKind !== 'marketo',
      },
      onRecycle: { set: asText(c.crm.onRecycle?.set) ?? {} },
    },
    fields,
    hubspot: c.hubspot
      ? {
          token: c.hubspot.token,
          baseUrl: c.hubspot.baseUrl,
          portalId: c.hubspot.portalId ?? null,
          webhookSecret: nonEmpty(c.hubspot.webhookSecret),
          rateLimit: c.hubspot.rateLimit,
        }
      : null,
    salesforce:
      c.salesforce && salesforceAuth
        ? { loginUrl: c.salesforce.loginUrl, apiVersion: c.salesforce.apiVersion, auth: salesforceAuth }
        : null,
    marketo: c.marketo ? marketoSettings(c.marketo) : null,
    slack,
    msteams,
    email,
    reps,
    managers,
    teams: c.teams,
    routing: {
      ownerMatch: {
        enabled: c.routing.ownerMatch.enabled,
        skipFreeEmailDomains: c.routing.ownerMatch.skipFreeEmailDomains,
      },
      rules,
      fallback: c.routing.fallback ? { team: c.routing.fallback.team } : null,
    },
    sla: {
      acceptWithin: c.sla.acceptWithin,
      remindAt: c.sla.remindAt,
      maxOffers: c.sla.maxOffers,
      holidays: [...new Set(c.sla.holidays)].sort(),
      routeOutsideHours: c.sla.routeOutsideHours,
    },
    rejectionReasons: c.rejectionReasons.map((r) => ({
      id: r.id,
      label: r.label,
      recycle: r.recycle,
      noteRequired: r.noteRequired,
    })),
    alerts: {
      backlog: c.alerts.backlog === false ? null : { pendingOver: c.alerts.backlog.pendingOver },
      lull:
        c.alerts.lull === false
          ? null
          : { window: c.alerts.lull.window, belowPercentOfUsual: c.alerts.lull.belowPercentOfUsual },
      conversion:
        c.alerts.conversion === false
          ? null
          : {
              window: c.alerts.conversion.window,
              belowPercent: c.alerts.conversion.belowPercent,
              minMqls: c.alerts.conversion.minMqls,
            },
      rejectionSpike:
        c.alerts.rejectionSpike === false
          ? null
          : {
              window: c.alerts.rejectionSpike.window,
              abovePercent: c.alerts.rejectionSpike.abovePercent,
              minDecisions: c.alerts.rejectionSpike.minDecisions,
            },
      cooldown: c.alerts.cooldown,
      quietHours: c.alerts.quietHours,
      timezone: c.alerts.timezone,
    },
    digests: { managers: digest(c.digests.managers), marketing: digest(c.digests.marketing) },
    history: {
      accepted: c.history.accepted ?? defaultHistory.accepted,
      rejected: c.history.rejected ?? defaultHistory.rejected,
      reasonProperty: c.history.reasonProperty ?? defaultHistory.reasonProperty,
    },
    intake: c.intake.map(
      (s): IntakeSourceConfig => ({
        id: s.id,
        preset: s.preset,
        secret: s.secret,
        idempotencyKey: s.idempotencyKey ?? null,
        fields: {
          ...(s.preset === 'mautic' ? MAUTIC_DEFAULT_FIELDS : {}),
          ...(Object.fromEntries(Object.entries(s.fields ?? {}).filter(([, v]) => v !== undefined)) as Partial<
            Record<IntakeFieldName, string>
          >),
        },
        mql: s.mql ?? null,
        threshold: s.threshold ?? null,
        callback: s.callback ? { url: s.callback.url } : null,
        maxBatch: s.maxBatch,
      }),
    ),
  };
});
