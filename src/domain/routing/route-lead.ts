// routeLead: who gets this hand-off, by when, and why — a pure function of the lead, the config and
// the state the caller looked up. Order: the account's owner (when owner match is on and the owner is
// an eligible active rep; no rotation turn used), then the first matching rule's team, then the
// fallback team. Inside a team the strategy picks among eligible reps over the fairness ledger.
// Nothing able to take the lead → `unroutable` (the caller escalates it; a lead is never dropped).
import { evaluateCondition, explainCondition } from '../conditions.js';
import type { HotLane, Lead, Millis, Rep, RoutingSettings, Team } from '../model.js';
import { addWorkingTime, isWorkingTime } from '../sla-clock.js';
import { calendarOf, checkEligibility, countFor, type EligibilityContext } from './eligibility.js';
import { pickByStrategy, type RotationCandidate } from './rotation.js';
import type {
  CandidateTrace,
  DeadlineTrace,
  LedgerEntry,
  OwnerMatchTrace,
  RouteVia,
  RoutingConfig,
  RoutingDecision,
  RoutingInput,
  RoutingResult,
  RoutingTrace,
  RuleTrace,
  SkipReason,
  TeamTrace,
} from './types.js';

/** Whether the hot lane's condition holds for the lead (false when there is no hot lane). */
export function detectHot(lead: Lead, hotLane: HotLane | null): boolean {
  return hotLane !== null && evaluateCondition(hotLane.when, { lead, hot: false });
}

/** The teams routing may consult for this lead: the first matching rule's team, then the fallback. */
export function candidateTeams(lead: Lead, hot: boolean, routing: RoutingSettings): string[] {
  const teams: string[] = [];
  const rule = routing.rules.find((r) => evaluateCondition(r.when, { lead, hot }));
  if (rule) teams.push(rule.team);
  if (routing.fallback && !teams.includes(routing.fallback.team)) teams.push(routing.fallback.team);
  return teams;
}

/** The deadline of an offer made at `offeredAt`, counted in the rep's working time. */
export function offerDeadline(
  rep: Rep,
  offeredAt: Millis,
  hot: boolean,
  settings: Pick<RoutingConfig, 'sla' | 'hotLane'>,
): DeadlineTrace {
  const lane = hot && settings.hotLane !== null ? 'hot' : 'normal';
  const acceptWithin = lane === 'hot' && settings.hotLane ? settings.hotLane.acceptWithin : settings.sla.acceptWithin;
  const cal = calendarOf(rep, settings.sla);
  const dueAt = addWorkingTime(offeredAt, acceptWithin, cal);
  const fraction = settings.sla.remindAt;
  const remindAt =
    fraction !== null && fraction > 0 && fraction < 1 ? offeredAt + Math.round(fraction * (dueAt - offeredAt)) : null;
  return {
    acceptWithin,
    lane,
    timezone: rep.timezone,
    offeredAt,
    dueAt,
    remindAt,
    outsideHours: !isWorkingTime(offeredAt, cal),
  };
}

function summariseSkips(candidates: CandidateTrace[]): string {
  if (candidates.length === 0) return 'the team has no members';
  const counts = new Map<SkipReason, number>();
  for (const c of candidates) if (c.skip) counts.set(c.skip, (counts.get(c.skip) ?? 0) + 1);
  const parts = [...counts].map(([reason, n]) => (n > 1 ? `${reason} ×${n}` : reason));
  return `no eligible rep (${parts.join(', ')})`;
}

interface TeamOutcome {
  trace: TeamTrace;
  row: LedgerEntry | null;
}

function tryTeam(
  input: RoutingInput,
  teamId: string,
  via: 'rule' | 'fallback',
  rule: string | null,
  ctx: EligibilityContext,
  repsById: Map<string, Rep>,
): TeamOutcome {
  const team: Team | undefined = input.settings.teams.find((t) => t.id === teamId);
  if (!team) {
    return {
      trace: {
        teamId,
        via,
        rule,
        strategy: null,
        floor: null,
        candidates: [],
        chosen: null,
        why: `unknown team "${teamId}"`,
      },
      row: null,
    };
  }
  const rows = new Map<string, LedgerEntry>();
  for (const e of input.ledger) if (e.teamId === team.id) rows.set(e.repId, e);
  const candidates: CandidateTrace[] = [];
  const eligible: RotationCandidate[] = [];
  team.members.forEach((repId, order) => {
    const rep = repsById.get(repId);
    const check = checkEligibility(rep, repId, ctx);
    const row = rows.get(repId);
    const openOffers = countFor(input.state.openOffers, repId);
    candidates.push({
      repId,
      eligible: check.eligible,
      skip: check.eligible ? null : check.skip,
      detail: check.detail,
      openOffers,
      offersToday: countFor(input.state.offersToday, repId),
      storedPass: row ? row.pass : null,
      pass: null,
      served: row ? row.served : 0,
    });
    if (check.eligible && rep) eligible.push({ rep, order, openOffers });
  });
  if (eligible.length === 0) {
    return {
      trace: {
        teamId,
        via,
        rule,
        strategy: team.strategy,
        floor: null,
        candidates,
        chosen: null,
        why: summariseSkips(candidates),
      },
      row: null,
    };
  }
  const pick = pickByStrategy(team.id, team.strategy, eligible, input.ledger, input.now);
  for (const c of candidates) {
    const p = pick.passes[c.repId];
    if (p !== undefined) c.pass = p;
  }
  return {
    trace: { teamId, via, rule, strategy: team.strategy, floor: pick.floor, candidates, chosen: pick.repId, why: null },
    row: pick.row,
  };
}

function ownerMatchStep(
  input: RoutingInput,
  ctx: EligibilityContext,
  repsById: Map<string, Rep>,
): { trace: OwnerMatchTrace; rep: Rep | null } {
  if (!input.settings.routing.ownerMatch.enabled) return { trace: { status: 'disabled' }, rep: null };
  if (input.ownerMatchSkipped !== undefined)
    return { trace: { status: 'skipped', reason: input.ownerMatchSkipped }, rep: null };
  const m = input.ownerMatch;
  if (!m) return { trace: { status: 'none' }, rep: null };
  if (m.repId === null) {
    return { trace: { status: 'not_a_rep', ownerId: m.ownerId ?? null, via: m.via, detail: m.detail }, rep: null };
  }
  const rep = repsById.get(m.repId);
  const check = checkEligibility(rep, m.repId, ctx);
  if (!check.eligible || !rep) {
    const skip: SkipReason = check.eligible ? 'not_member' : check.skip;
    return {
      trace: { status: 'ineligible', repId: m.repId, via: m.via, detail: m.detail, skip, skipDetail: check.detail },
      rep: null,
    };
  }
  return { trace: { status: 'matched', repId: rep.id, via: m.via, detail: m.detail }, rep };
}

/** Routes one hand-off. Pure: the same input gives the same decision, trace and ledger rows. */
export function routeLead(input: RoutingInput): RoutingResult {
  const { lead, hot, now, settings } = input;
  const priority = hot ? 'hot' : 'normal';
  const repsById = new Map(settings.reps.map((r) => [r.id, r] as const));
  const ctx: EligibilityContext = { now, hot, sla: settings.sla, state: input.state };
  const trace: RoutingTrace = {
    version: 1,
    at: now,
    hot,
    priority,
    ownerMatch: { status: 'disabled' },
    rules: [],
    ruleMatched: null,
    fallback: settings.routing.fallback?.team ?? null,
    teams: [],
    chosen: null,
    deadline: null,
    outcome: 'unroutable',
    reason: null,
  };

  const offer = (
    rep: Rep,
    teamId: string | null,
    via: RouteVia,
    rule: string | null,
    strategy: Team['strategy'] | null,
    rotation: LedgerEntry[],
  ): RoutingResult => {
    const deadline = offerDeadline(rep, now, hot, settings);
    trace.chosen = { repId: rep.id, teamId, via, rule, strategy };
    trace.deadline = deadline;
    trace.outcome = 'offer';
    const decision: RoutingDecision = {
      kind: 'offer',
      repId: rep.id,
      teamId,
      via,
      rule,
      strategy,
      ownerMatch: via === 'owner',
      hot,
      priority,
      offeredAt: now,
      dueAt: deadline.dueAt,
      remindAt: deadline.remindAt,
    };
    return { decision, trace, rotation };
  };

  const owner = ownerMatchStep(input, ctx, repsById);
  trace.ownerMatch = owner.trace;
  if (owner.rep) {
    const home = settings.teams.find((t) => t.members.includes((owner.rep as Rep).id));
    return offer(owner.rep, home?.id ?? null, 'owner', null, null, []);
  }

  const input_ = { lead, hot };
  let matched: { name: string; team: string } | null = null;
  for (const rule of settings.routing.rules) {
    const r = explainCondition(rule.when, input_);
    const line: RuleTrace = { name: rule.name, team: rule.team, matched: r.matched, detail: r.detail };
    trace.rules.push(line);
    if (r.matched) {
      matched = rule;
      break;
    }
  }
  trace.ruleMatched = matched?.name ?? null;

  if (matched) {
    const outcome = tryTeam(input, matched.team, 'rule', matched.name, ctx, repsById);
    trace.teams.push(outcome.trace);
    const rep = outcome.trace.chosen ? repsById.get(outcome.trace.chosen) : undefined;
    if (rep && outcome.row)
      return offer(rep, matched.team, 'rule', matched.name, outcome.trace.strategy, [outcome.row]);
  }

  const fallback = settings.routing.fallback?.team ?? null;
  if (fallback !== null && fallback !== matched?.team) {
    const outcome = tryTeam(input, fallback, 'fallback', null, ctx, repsById);
    trace.teams.push(outcome.trace);
    const rep = outcome.trace.chosen ? repsById.get(outcome.trace.chosen) : undefined;
    if (rep && outcome.row) return offer(rep, fallback, 'fallback', null, outcome.trace.strategy, [outcome.row]);
  }

  const parts: string[] = [];
  if (!matched) parts.push('no rule matched');
  for (const t of trace.teams)
    parts.push(
      `${t.via === 'rule' ? `rule "${t.rule ?? ''}" → ` : 'fallback → '}team ${t.teamId}: ${t.why ?? 'no pick'}`,
    );
  if (fallback === null) parts.push('no fallback team');
  else if (fallback === matched?.team) parts.push(`the fallback is the same team`);
  const reason = parts.join('; ');
  trace.outcome = 'unroutable';
  trace.reason = reason;
  return { decision: { kind: 'unroutable', reason }, trace, rotation: [] };
}

/** "Why you" for the offer card (same shape as the RepNotifier port's WhyYou). */
export interface WhyYouSummary {
  rule: string | null;
  team: string | null;
  strategy: string | null;
  ownerMatch: string | null;
}

export function whyYou(trace: RoutingTrace): WhyYouSummary {
  const chosen = trace.chosen;
  if (!chosen) return { rule: null, team: null, strategy: null, ownerMatch: null };
  if (chosen.via === 'owner') {
    const m = trace.ownerMatch;
    const text = m.status === 'matched' ? `you own the ${m.via}${m.detail ? ` (${m.detail})` : ''}` : 'account owner';
    return { rule: null, team: chosen.teamId, strategy: null, ownerMatch: text };
  }
  const rule =
    chosen.via === 'rule'
      ? chosen.rule
      : trace.ruleMatched
        ? `fallback (team of rule "${trace.ruleMatched}" had no eligible rep)`
        : 'fallback (no rule matched)';
  return { rule, team: chosen.teamId, strategy: chosen.strategy, ownerMatch: null };
}
