// A short, secret-free summary of a config for `handoff config check`.
import { formatDuration } from '../domain/duration.js';
import type { Condition } from '../domain/model.js';
import { formatWorkingHours } from '../domain/working-hours.js';
import type { Config, DigestSettings, QuietHours, StartFrom } from './schema.js';
import { OP_TEXT } from '../domain/conditions.js';

/** One-line rendering of a condition: "employees ≥ 1000 and country in [DE, FR]". */
export function formatCondition(c: Condition): string {
  switch (c.kind) {
    case 'all':
      return c.of.map((x) => (x.kind === 'any' ? `(${formatCondition(x)})` : formatCondition(x))).join(' and ');
    case 'any':
      return c.of.map((x) => (x.kind === 'all' ? `(${formatCondition(x)})` : formatCondition(x))).join(' or ');
    case 'not':
      return `not (${formatCondition(c.of)})`;
    case 'compare': {
      if (c.op === 'exists') return c.value === true ? `${c.field} is set` : `${c.field} is empty`;
      const value = Array.isArray(c.value) ? `[${c.value.join(', ')}]` : String(c.value);
      return `${c.field} ${OP_TEXT[c.op] ?? c.op} ${value}`;
    }
  }
}

function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
const quiet = (q: QuietHours | null, tz: string): string =>
  q === null ? 'no quiet hours' : `quiet ${clock(q.start)}-${clock(q.end)} ${tz}`;

function startFromText(s: StartFrom): string {
  if (s.kind === 'now') return 'detection starts now';
  if (s.kind === 'ago') return `detection starts ${formatDuration(s.ms)} before the first run`;
  return `detection starts at ${new Date(s.at).toISOString()}`;
}

/** Hides the password of a database URL. */
function safeUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}

function digestText(name: string, d: DigestSettings | null): string {
  if (d === null) return `${name} off`;
  return `${name} "${d.cron}" ${d.timezone} via ${d.via.length > 0 ? d.via.join(' + ') : 'nothing configured'}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function describeConfig(config: Config): string {
  const lines: Array<[string, string]> = [];
  const { source, crm, sla } = config;

  const mql =
    source.kind === 'hubspot'
      ? `lifecycle stage "${source.mql.lifecycleStage ?? ''}"`
      : source.kind === 'marketo'
        ? `${source.mql.status === null ? 'score crossing' : `${config.marketo?.statusField ?? 'leadStatus'} "${source.mql.status}"`} (activities ${config.marketo?.activityTypeIds.join(', ') ?? ''})`
        : `Lead Status "${source.mql.status ?? ''}"`;
  const minScore = source.mql.minScore === null ? '' : `, score ≥ ${source.mql.minScore}`;
  const webhooks = source.kind === 'hubspot' ? `; webhooks ${config.hubspot?.webhookSecret ? 'on' : 'off'}` : '';
  lines.push([
    'source',
    source.kind === 'intake'
      ? 'intake only (nothing is polled)'
      : `${source.kind}: MQL = ${mql}${minScore}; polling every ${formatDuration(source.pollEvery)}${webhooks}; ${startFromText(source.startFrom)}`,
  ]);
  for (const s of config.intake) {
    const mqlText =
      s.preset === 'mautic'
        ? `points cross ${s.threshold ?? '?'} upward`
        : s.mql
          ? formatCondition(s.mql)
          : 'every lead';
    lines.push([
      `intake ${s.id}`,
      `POST /intake/${s.id} (${s.preset}); MQL = ${mqlText}${s.callback ? `; decisions → ${s.callback.url}` : ''}`,
    ]);
  }
  lines.push([
    'hot lane',
    source.hot === null
      ? 'off'
      : `${formatCondition(source.hot.when)} → accept within ${formatDuration(source.hot.acceptWithin)}`,
  ]);
  const writes = (n: number) => `${n} ${n === 1 ? 'property' : 'properties'}`;
  lines.push([
    'crm',
    `${crm.kind}: owner set on ${crm.assignOwnerOn}; accept writes ${writes(Object.keys(crm.onAccept.set).length)}${crm.onAccept.note ? ' + note' : ''}; ` +
      `reject writes ${writes(Object.keys(crm.onReject.set).length)}${crm.onReject.note ? ' + note' : ''}; recycle writes ${writes(Object.keys(crm.onRecycle.set).length)}`,
  ]);
  lines.push(['store', safeUrl(config.store.url)]);
  lines.push([
    'server',
    `port ${config.server.port}; ${config.server.publicUrl === null ? 'no public URL' : config.server.publicUrl}; dashboard ${config.server.dashboardToken === null ? 'off (no token)' : 'on'}`,
  ]);

  const active = config.reps.filter((r) => r.active).length;
  const inTeam = new Set(config.teams.flatMap((t) => t.members));
  lines.push(['reps', `${config.reps.length} (${active} active)`]);
  for (const r of config.reps) {
    const cap = [
      r.capacity.open !== undefined ? `${r.capacity.open} open` : '',
      r.capacity.perDay !== undefined ? `${r.capacity.perDay}/day` : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push([
      '',
      `  ${r.id}${r.active ? '' : ' (inactive)'}${inTeam.has(r.id) ? '' : ' (in no team)'}: ${r.timezone}, ${formatWorkingHours(r.hours)}, weight ${r.weight}` +
        `${cap === '' ? '' : `, capacity ${cap}`}${r.away.length > 0 ? `, ${plural(r.away.length, 'absence')}` : ''}`,
    ]);
  }
  lines.push(['managers', config.managers.length === 0 ? 'none' : config.managers.map((m) => m.id).join(', ')]);
  lines.push(['teams', String(config.teams.length)]);
  for (const t of config.teams) {
    lines.push([
      '',
      `  ${t.id}: ${t.strategy}, ${plural(t.members.length, 'member')} (${t.members.join(', ')})${t.manager ? `, manager ${t.manager}` : ''}${t.channel ? `, channel ${t.channel}` : ''}`,
    ]);
  }
  const routing = config.routing;
  lines.push([
    'routing',
    `${plural(routing.rules.length, 'rule')}, first match wins; fallback ${routing.fallback === null ? 'none' : routing.fallback.team}; ` +
      `owner match ${routing.ownerMatch.enabled ? `on${routing.ownerMatch.skipFreeEmailDomains ? ' (free-mail domains skipped)' : ''}` : 'off'}`,
  ]);
  routing.rules.forEach((r, i) => lines.push(['', `  ${i + 1}. ${r.name}: ${formatCondition(r.when)} → ${r.team}`]));
  lines.push([
    'sla',
    `accept within ${formatDuration(sla.acceptWithin)} of working time; ${sla.remindAt === null ? 'no reminder' : `remind at ${Math.round(sla.remindAt * 100)}%`}; ` +
      `escalate after ${plural(sla.maxOffers, 'offer')}; ${plural(sla.holidays.length, 'holiday')}; ` +
      `${sla.routeOutsideHours ? 'offers outside working hours (clock starts at the next working minute)' : 'offers only during working hours'}`,
  ]);
  lines.push([
    'reasons',
    config.rejectionReasons
      .map(
        (r) =>
          `${r.id}${[r.recycle ? 'recycle' : '', r.noteRequired ? 'note required' : '']
            .filter(Boolean)
            .map((f) => ` (${f})`)
            .join('')}`,
      )
      .join(', '),
  ]);
  const slack = config.slack;
  lines.push([
    'slack',
    slack === null
      ? 'not configured'
      : `${slack.mode === 'socket' ? 'Socket Mode' : 'HTTP mode (POST /slack/events)'}; managers channel ${slack.managersChannel ?? 'none'}; marketing channel ${slack.marketingChannel ?? 'none'}`,
  ]);
  const teams = config.msteams;
  if (teams !== null)
    lines.push([
      'teams',
      `bot ${teams.appId} (POST /teams/messages); managers channel ${teams.managersChannel ?? 'none'}; marketing channel ${teams.marketingChannel ?? 'none'}`,
    ]);
  const email = config.email;
  lines.push([
    'email',
    email === null
      ? 'off (no email section)'
      : `on: ${plural(email.managers.length, 'manager recipient')}, ${plural(email.marketing.length, 'marketing recipient')}${email.linkSecret ? '; decision links signed' : ''}`,
  ]);
  const people = [...config.reps, ...config.managers];
  const on = (chat: string): number => people.filter((p) => p.chat === chat).length;
  lines.push(['chat', `${on('slack')} in Slack, ${on('teams')} in Teams, ${on('email')} by email (reps and managers)`]);
  const a = config.alerts;
  const alertParts = [
    a.backlog === null ? 'backlog off' : `backlog > ${a.backlog.pendingOver}`,
    a.lull === null
      ? 'lull off'
      : `lull < ${a.lull.belowPercentOfUsual}% of usual over ${formatDuration(a.lull.window)}`,
    a.conversion === null
      ? 'conversion off'
      : `MQL→SAL < ${a.conversion.belowPercent}% over ${formatDuration(a.conversion.window)}`,
    a.rejectionSpike === null
      ? 'rejection spike off'
      : `rejections > ${a.rejectionSpike.abovePercent}% over ${formatDuration(a.rejectionSpike.window)}`,
  ];
  lines.push([
    'alerts',
    `${alertParts.join(', ')}; cooldown ${formatDuration(a.cooldown)}; ${quiet(a.quietHours, a.timezone)}`,
  ]);
  lines.push([
    'digests',
    `${digestText('managers', config.digests.managers)}; ${digestText('marketing', config.digests.marketing)}`,
  ]);
  lines.push([
    'history',
    `accepted when ${formatCondition(config.history.accepted)}; rejected when ${formatCondition(config.history.rejected)}`,
  ]);

  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, text]) => `${label.padEnd(width)}  ${text}`).join('\n');
}
