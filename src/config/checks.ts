// Cross-reference checks: the rules that span sections (a rule's team exists, team members are
// reps, ids are unique, the sections the chosen source and CRM need are present, conditions only
// use mapped fields). They read the raw (interpolated) YAML tree and tolerate any shape, so they
// run even when the schema found problems elsewhere — every problem is reported in one go.
import { LEAD_FIELDS } from '../domain/model.js';
import { templateNames } from '../domain/template.js';
import type { LeadFieldName, SourceKind } from '../domain/model.js';
import { buildCondition, conditionFields, suggest } from './conditions.js';
import type { Issue } from './conditions.js';
import type { PathSegment, Problem } from './paths.js';
import { DEFAULT_FIELDS } from './schema.js';

type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
const asObject = (v: unknown): Raw => (isObject(v) ? v : {});
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** The systems a source or CRM section configures (intake sources have their own list). */
type SystemKind = Exclude<SourceKind, 'intake'>;
const asKind = (v: unknown): SystemKind | null => (v === 'hubspot' || v === 'salesforce' || v === 'marketo' ? v : null);
const FIELD_WORDS: Record<SystemKind, string> = {
  hubspot: 'HubSpot property',
  salesforce: 'Salesforce field',
  marketo: 'Marketo lead field',
};
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function chatChecks(root: Raw, problems: Problem[]): void {
  const has = (section: string): boolean => isObject(root[section]);
  const email = asObject(root.email);
  const server = asObject(root.server);
  for (const section of ['reps', 'managers'] as const) {
    asArray(root[section]).forEach((value, i) => {
      const person = asObject(value);
      const chat = person.chat;
      const at: PathSegment[] = [section, i, 'chat'];
      if (chat === 'slack' && !has('slack'))
        problems.push({ path: at, message: 'chat: slack needs the slack section' });
      if (chat === 'teams' && !has('msteams'))
        problems.push({ path: at, message: 'chat: teams needs the msteams section' });
      if (
        chat === undefined &&
        text(person.teamsUserId) !== null &&
        text(person.slackUserId) === null &&
        !has('msteams')
      )
        problems.push({ path: [section, i, 'teamsUserId'], message: 'a Teams user needs the msteams section' });
      if (chat === 'email') {
        if (!has('email')) problems.push({ path: at, message: 'chat: email needs the email section (SMTP)' });
        else if (text(email.linkSecret) === null)
          problems.push({
            path: ['email', 'linkSecret'],
            message: `required because ${section}[${i}] decides by email`,
          });
        if (text(server.publicUrl) === null)
          problems.push({
            path: ['server', 'publicUrl'],
            message: `required because ${section}[${i}] decides by email (decision links point at it)`,
          });
      }
    });
  }
  const secret = text(email.linkSecret);
  if (secret !== null && secret.length < 32)
    problems.push({
      path: ['email', 'linkSecret'],
      message: 'must be at least 32 characters (it signs decision links)',
    });
  asArray(root.teams).forEach((value, i) => {
    const team = asObject(value);
    if (text(team.channel) !== null && text(team.teamsChannel) !== null)
      problems.push({
        path: ['teams', i, 'teamsChannel'],
        message: 'a team has one channel: set channel (Slack) or teamsChannel, not both',
      });
    if (text(team.channel) !== null && !has('slack'))
      problems.push({ path: ['teams', i, 'channel'], message: 'a Slack channel needs the slack section' });
    if (text(team.teamsChannel) !== null && !has('msteams'))
      problems.push({ path: ['teams', i, 'teamsChannel'], message: 'a Teams channel needs the msteams section' });
  });
  for (const key of ['managersChannel', 'marketingChannel'] as const) {
    if (text(asObject(root.slack)[key]) !== null && text(asObject(root.msteams)[key]) !== null)
      problems.push({
        path: ['msteams', key],
        message: `set in slack too: ${key === 'managersChannel' ? 'managers have' : 'marketing has'} one channel, on one platform`,
      });
  }
}

/** Ids of a list section, with the path of each id; reports duplicates. */
function collectIds(root: Raw, section: string, what: string, problems: Problem[]): string[] {
  const seen = new Map<string, number>();
  asArray(root[section]).forEach((item, i) => {
    const id = text(asObject(item).id);
    if (id === null) return;
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push({ path: [section, i, 'id'], message: `duplicate ${what} id "${id}" (also ${section}[${first}])` });
    } else seen.set(id, i);
  });
  return [...seen.keys()];
}

function unknownRef(what: string, id: string, known: string[]): string {
  const hint = suggest(id, known);
  if (hint !== '') return `unknown ${what} "${id}"${hint}`;
  return known.length === 0
    ? `unknown ${what} "${id}" (no ${what}s are configured)`
    : `unknown ${what} "${id}" (known: ${known.join(', ')})`;
}

/** The names CRM write-back templates may use ({{reason.id}} …), as the decision use case fills them. */
export const TEMPLATE_NAMES = [
  'decision',
  'reason.id',
  'reason.label',
  'note',
  'rep.id',
  'rep.name',
  'rep.email',
  'decidedAt',
] as const;

export function crossCheck(rootValue: unknown): Problem[] {
  const problems: Problem[] = [];
  if (!isObject(rootValue)) return problems;
  const root = rootValue;
  const source = asObject(root.source);
  const crm = asObject(root.crm);
  const sourceKind = asKind(source.kind);
  const crmKind = asKind(crm.kind) ?? sourceKind;

  // Sections the chosen source and CRM need.
  const needs = new Map<SystemKind, string>();
  if (sourceKind !== null) needs.set(sourceKind, `source.kind is ${sourceKind}`);
  if (crmKind !== null && !needs.has(crmKind)) needs.set(crmKind, `crm.kind is ${crmKind}`);
  for (const [kind, why] of needs) {
    if (root[kind] === undefined || root[kind] === null)
      problems.push({ path: [kind], message: `required because ${why}` });
  }

  // Where people decide: each chat platform a rep or manager uses needs its section (and email links a secret
  // and the public URL they point at); a team's channel and the managers' channel live on one platform each.
  chatChecks(root, problems);

  // An intake-only setup needs somewhere for leads to arrive.
  if (source.kind === 'intake' && asArray(root.intake).length === 0)
    problems.push({ path: ['intake'], message: 'required because source.kind is intake (at least one intake source)' });
  // Intake sources: what each preset needs, unique ids, and MQL conditions on fields the source maps (mautic maps
  // score itself).
  const intakeIds = new Map<string, number>();
  asArray(root.intake).forEach((value, i) => {
    const intake = asObject(value);
    const mapped = new Set(Object.keys(asObject(intake.fields)));
    const at = (key: string): PathSegment[] => ['intake', i, key];
    if (intake.preset === 'mautic') {
      if (intake.threshold === undefined)
        problems.push({ path: at('threshold'), message: 'preset mautic needs the points threshold that makes an MQL' });
      if (intake.idempotencyKey !== undefined)
        problems.push({ path: at('idempotencyKey'), message: 'preset mautic uses the contact id and the event time' });
      if (intake.mql !== undefined) problems.push({ path: at('mql'), message: 'preset mautic uses threshold' });
    } else if (intake.preset === undefined || intake.preset === 'generic') {
      if (intake.idempotencyKey === undefined)
        problems.push({
          path: at('idempotencyKey'),
          message: 'a generic intake source needs idempotencyKey ({ field: … } or { header: … })',
        });
      if (!mapped.has('email'))
        problems.push({ path: ['intake', i, 'fields', 'email'], message: 'a generic intake source must map email' });
      if (intake.threshold !== undefined)
        problems.push({ path: at('threshold'), message: 'is for preset mautic; a generic source uses mql' });
    }
    const id = text(intake.id);
    if (id !== null) {
      if (intakeIds.has(id)) problems.push({ path: at('id'), message: `duplicate intake source id "${id}"` });
      else intakeIds.set(id, i);
    }
    for (const use of conditionFields(intake.mql, ['intake', i, 'mql'])) {
      if (Object.hasOwn(LEAD_FIELDS, use.field) && !mapped.has(use.field) && intake.preset !== 'mautic')
        problems.push({
          path: use.path,
          message: `field "${use.field}" is not mapped by this intake source (set intake[${i}].fields.${use.field})`,
        });
    }
  });

  // Write-back templates name only what a decision provides.
  for (const section of ['onAccept', 'onReject', 'onRecycle'] as const) {
    for (const [property, value] of Object.entries(asObject(asObject(crm[section]).set))) {
      if (typeof value !== 'string') continue;
      for (const name of templateNames(value)) {
        if (!(TEMPLATE_NAMES as readonly string[]).includes(name)) {
          problems.push({
            path: ['crm', section, 'set', property],
            message: `unknown template variable {{${name}}}${suggest(name, TEMPLATE_NAMES)} (known: ${TEMPLATE_NAMES.map((n) => `{{${n}}}`).join(', ')})`,
          });
        }
      }
    }
  }

  // The MQL criterion must fit the source.
  const mql = asObject(source.mql);
  if (sourceKind === 'salesforce' && mql.lifecycleStage !== undefined) {
    problems.push({
      path: ['source', 'mql', 'lifecycleStage'],
      message: 'is for HubSpot; a Salesforce source uses status',
    });
  }
  if (sourceKind === 'marketo' && mql.lifecycleStage !== undefined) {
    problems.push({
      path: ['source', 'mql', 'lifecycleStage'],
      message: 'is for HubSpot; a Marketo source uses minScore and/or status',
    });
  }
  if (sourceKind === 'marketo' && mql.minScore === undefined && mql.status === undefined) {
    problems.push({
      path: ['source', 'mql'],
      message:
        'a Marketo source needs minScore (the score that makes an MQL) and/or status (a marketo.statusField value)',
    });
  }
  // Marketo keeps no notes or tasks on a lead.
  if (crmKind === 'marketo') {
    for (const section of ['onAccept', 'onReject'] as const) {
      if (asObject(crm[section]).note === true)
        problems.push({
          path: ['crm', section, 'note'],
          message: 'Marketo has no notes on leads (crm.kind is marketo)',
        });
    }
  }
  if (sourceKind === 'hubspot' && mql.status !== undefined) {
    problems.push({
      path: ['source', 'mql', 'status'],
      message: 'is for Salesforce; a HubSpot source uses lifecycleStage',
    });
  }

  // Conditions, checked on the raw tree too: the schema stops inside a condition at its first shape
  // problem, and a wrong value type elsewhere in the same condition must still be reported.
  const conditionSites: Array<{ raw: unknown; path: PathSegment[]; allowHot: boolean }> = [
    { raw: asObject(source.hot).when, path: ['source', 'hot', 'when'], allowHot: false },
    ...asArray(asObject(root.routing).rules).map((rule, i) => ({
      raw: asObject(rule).when,
      path: ['routing', 'rules', i, 'when'] as PathSegment[],
      allowHot: true,
    })),
    { raw: asObject(root.history).accepted, path: ['history', 'accepted'], allowHot: false },
    { raw: asObject(root.history).rejected, path: ['history', 'rejected'], allowHot: false },
  ];
  for (const site of conditionSites) {
    if (site.raw === undefined) continue;
    const issues: Issue[] = [];
    buildCondition(site.raw, { allowHot: site.allowHot }, issues, site.path);
    problems.push(...issues);
  }

  // Which lead fields are mapped to a CRM property (defaults of the source, then the fields section).
  if (sourceKind !== null) {
    const mapped = new Set<string>(Object.keys(DEFAULT_FIELDS[sourceKind]));
    for (const [name, property] of Object.entries(asObject(root.fields))) {
      if (property === null || property === '') mapped.delete(name);
      else if (typeof property === 'string') mapped.add(name);
    }
    const notMapped = (field: string) =>
      Object.hasOwn(LEAD_FIELDS, field) && !mapped.has(field)
        ? `field "${field}" is not mapped to a ${FIELD_WORDS[sourceKind]} (set fields.${field as LeadFieldName})`
        : null;
    for (const c of conditionSites) {
      for (const use of conditionFields(c.raw, c.path)) {
        const message = notMapped(use.field);
        if (message !== null) problems.push({ path: use.path, message });
      }
    }
    if (mql.minScore !== undefined && !mapped.has('score')) {
      problems.push({
        path: ['source', 'mql', 'minScore'],
        message: notMapped('score') ?? 'field "score" is not mapped',
      });
    }
  }

  // Unique ids.
  const reps = collectIds(root, 'reps', 'rep', problems);
  const managers = collectIds(root, 'managers', 'manager', problems);
  const teams = collectIds(root, 'teams', 'team', problems);
  collectIds(root, 'rejectionReasons', 'reason', problems);

  // Teams: members are reps, the manager is a manager.
  asArray(root.teams).forEach((teamValue, t) => {
    const team = asObject(teamValue);
    const members = new Map<string, number>();
    asArray(team.members).forEach((memberValue, m) => {
      const member = text(memberValue);
      if (member === null) return;
      if (!reps.includes(member))
        problems.push({ path: ['teams', t, 'members', m], message: unknownRef('rep', member, reps) });
      const first = members.get(member);
      if (first !== undefined)
        problems.push({ path: ['teams', t, 'members', m], message: `"${member}" is listed twice` });
      else members.set(member, m);
    });
    const manager = text(team.manager);
    if (manager !== null && !managers.includes(manager)) {
      problems.push({ path: ['teams', t, 'manager'], message: unknownRef('manager', manager, managers) });
    }
  });

  // Routing: rule and fallback teams exist; rule names are unique; something can take a lead.
  const routing = asObject(root.routing);
  const ruleNames = new Map<string, number>();
  const rules = asArray(routing.rules);
  rules.forEach((ruleValue, r) => {
    const rule = asObject(ruleValue);
    const team = text(rule.team);
    if (team !== null && !teams.includes(team))
      problems.push({ path: ['routing', 'rules', r, 'team'], message: unknownRef('team', team, teams) });
    const name = text(rule.name);
    if (name !== null) {
      const first = ruleNames.get(name);
      if (first !== undefined)
        problems.push({
          path: ['routing', 'rules', r, 'name'],
          message: `duplicate rule name "${name}" (also routing.rules[${first}])`,
        });
      else ruleNames.set(name, r);
    }
  });
  const fallback = text(asObject(routing.fallback).team);
  if (fallback !== null && !teams.includes(fallback)) {
    problems.push({ path: ['routing', 'fallback', 'team'], message: unknownRef('team', fallback, teams) });
  }
  if (rules.length === 0 && routing.fallback === undefined) {
    problems.push({
      path: ['routing'],
      message: 'no rules and no fallback team: every lead would be escalated as unroutable',
    });
  }

  // A team whose members are all inactive can never take a lead.
  asArray(root.teams).forEach((teamValue, t) => {
    const team = asObject(teamValue);
    const members = asArray(team.members)
      .map(text)
      .filter((m): m is string => m !== null && reps.includes(m));
    if (members.length === 0) return;
    const active = members.filter((m) => {
      const rep = asArray(root.reps)
        .map(asObject)
        .find((r) => r.id === m);
      return rep === undefined || rep.active !== false;
    });
    if (active.length === 0)
      problems.push({
        path: ['teams', t, 'members'],
        message: 'every member is inactive; the team can never take a lead',
      });
  });

  return problems;
}
