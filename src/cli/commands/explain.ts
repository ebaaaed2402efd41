// `handoff explain ID|EMAIL [-c FILE] [--json]`: the routing trace of every offer of a hand-off and
// its event timeline. An email picks the newest hand-off of that lead (older ones are listed).
import type { Command } from 'commander';
import { InputError } from '../../domain/errors.js';
import { leadDisplayName, type Handoff, type HandoffEvent, type Lead, type Offer } from '../../domain/model.js';
import type { RoutingTrace } from '../../domain/routing/index.js';
import { formatDuration } from '../../domain/duration.js';
import type { Store } from '../../ports/store.js';
import { CONFIG_OPTION, configFileOption, loadConfigWithoutSecrets, withStore, type CliIo } from '../context.js';
import { isoMinute, printResult } from '../output.js';

function isTrace(t: unknown): t is RoutingTrace {
  return (
    typeof t === 'object' &&
    t !== null &&
    (t as { version?: unknown }).version === 1 &&
    Array.isArray((t as { teams?: unknown }).teams)
  );
}

/** A routing trace in words, indented by `pad`. Unknown shapes are printed as JSON. */
export function formatTrace(trace: unknown, pad = '  '): string {
  if (!isTrace(trace)) return `${pad}${JSON.stringify(trace)}`;
  const lines: string[] = [];
  const o = trace.ownerMatch;
  const owner =
    o.status === 'disabled'
      ? 'off'
      : o.status === 'skipped'
        ? `skipped (${o.reason})`
        : o.status === 'none'
          ? 'no owner found'
          : o.status === 'not_a_rep'
            ? `owner ${o.ownerId ?? '?'} of the ${o.via} is not a configured rep`
            : o.status === 'ineligible'
              ? `${o.repId} owns the ${o.via} (${o.detail}) but was skipped: ${o.skip} (${o.skipDetail})`
              : `${o.repId} owns the ${o.via} (${o.detail})`;
  lines.push(`routed at ${isoMinute(trace.at)}${trace.hot ? ', HOT' : ''}`);
  lines.push(`owner match: ${owner}`);
  if (trace.rules.length > 0) {
    lines.push('rules (first match wins):');
    for (const r of trace.rules) lines.push(`  ${r.matched ? '✓' : '✗'} ${r.name} → ${r.team}: ${r.detail}`);
  } else if (trace.chosen?.via !== 'owner') {
    lines.push('rules: none configured');
  }
  for (const t of trace.teams) {
    const head = t.via === 'rule' ? `rule ${t.rule ?? ''}` : 'fallback';
    lines.push(
      `team ${t.teamId} (${head}${t.strategy ? `, ${t.strategy}` : ''}${t.floor !== null ? `, ledger floor ${t.floor}` : ''}):`,
    );
    for (const c of t.candidates) {
      const mark = c.repId === t.chosen ? '→' : ' ';
      const load = `open ${c.openOffers}, today ${c.offersToday}`;
      const ledger = c.eligible
        ? `, pass ${c.pass ?? '-'}${c.storedPass !== null && c.storedPass !== c.pass ? ` (stored ${c.storedPass})` : ''}, served ${c.served}`
        : '';
      lines.push(
        `  ${mark} ${c.repId}: ${c.eligible ? 'eligible' : `skipped, ${c.skip ?? '?'}`} — ${c.detail} (${load}${ledger})`,
      );
    }
    if (t.why) lines.push(`  nobody: ${t.why}`);
  }
  if (trace.chosen) {
    const c = trace.chosen;
    lines.push(`chosen: ${c.repId} via ${c.via}${c.teamId ? ` (team ${c.teamId})` : ''}`);
  }
  if (trace.deadline) {
    const d = trace.deadline;
    lines.push(
      `deadline: ${formatDuration(d.acceptWithin)} of working time (${d.lane} lane, ${d.timezone}) → due ${isoMinute(d.dueAt)}` +
        `${d.remindAt !== null ? `, reminder ${isoMinute(d.remindAt)}` : ''}${d.outsideHours ? ', offered outside working hours' : ''}`,
    );
  }
  if (trace.outcome === 'unroutable') lines.push(`unroutable: ${trace.reason ?? ''}`);
  return lines.map((l) => `${pad}${l}`).join('\n');
}

function eventLine(e: HandoffEvent): string {
  const data = Object.entries(e.data).filter(([k, v]) => k !== 'trace' && k !== 'via' && v !== null && v !== undefined);
  const text = data.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  // Where a person acted: slack, teams, email (decisions, claims and assignments record it).
  const via = typeof e.data.via === 'string' ? ` in ${e.data.via}` : '';
  return `  ${isoMinute(e.at)}  ${e.type}${e.actor ? ` by ${e.actor}${via}` : ''}${text ? `  ${text}` : ''}`;
}

export interface Explanation {
  handoff: Handoff;
  lead: Lead | null;
  offers: Offer[];
  events: HandoffEvent[];
  /** Other hand-offs of the same email (when looked up by email). */
  others: { id: string; mqlAt: number; state: string }[];
}

/** Finds a hand-off by id, else by lead email (newest first). */
export async function findExplanation(store: Store, key: string): Promise<Explanation> {
  let handoff = await store.getHandoff(key);
  let others: Handoff[] = [];
  if (!handoff && key.includes('@')) {
    const all = await store.findHandoffsByEmail(key);
    handoff = all[0] ?? null;
    others = all.slice(1);
  }
  if (!handoff) throw new InputError('input.invalid', [`no hand-off with id or lead email "${key}"`]);
  const [lead, offers, events] = await Promise.all([
    store.getLead(handoff.leadId),
    store.listOffers(handoff.id),
    store.listEvents(handoff.id),
  ]);
  return {
    handoff,
    lead,
    offers: [...offers].sort((a, b) => a.seq - b.seq),
    events,
    others: others.map((h) => ({ id: h.id, mqlAt: h.mqlAt, state: h.state })),
  };
}

export function formatExplanation(x: Explanation): string {
  const { handoff: h, lead } = x;
  const who = lead
    ? leadDisplayName({
        firstName: lead.firstName,
        lastName: lead.lastName,
        email: lead.email,
        externalId: lead.externalId,
      })
    : (h.email ?? '?');
  const out: string[] = [
    `hand-off ${h.id}: ${who}${h.email ? ` <${h.email}>` : ''} (${h.source} ${h.externalId})`,
    `  state ${h.state}${h.hot ? ', HOT' : ''}, MQL at ${isoMinute(h.mqlAt)}, team ${h.teamId ?? '-'}, rep ${h.repId ?? '-'}, ${h.offerCount} offer(s)` +
      `${h.escalationReason ? `, escalated: ${h.escalationReason}` : ''}${h.reasonId ? `, reason ${h.reasonId}` : ''}`,
  ];
  if (h.imported) out.push('  imported history: never offered');
  for (const o of x.offers) {
    out.push(
      '',
      `offer ${o.seq} → ${o.repId}: ${o.state}, offered ${isoMinute(o.offeredAt)}, due ${isoMinute(o.dueAt)}${o.ownerMatch ? ', owner match' : ''}`,
    );
    out.push(formatTrace(o.trace));
  }
  for (const e of x.events) {
    const trace = (e.data as { trace?: unknown }).trace;
    if (e.type === 'escalated' && trace)
      out.push('', `routing at escalation (${isoMinute(e.at)}):`, formatTrace(trace));
  }
  out.push('', 'timeline:', ...(x.events.length > 0 ? x.events.map(eventLine) : ['  (no events)']));
  if (x.others.length > 0) {
    out.push(
      '',
      `earlier hand-offs of this email: ${x.others.map((o) => `${o.id} (${isoMinute(o.mqlAt)}, ${o.state})`).join(', ')}`,
    );
  }
  return `${out.join('\n')}\n`;
}

export function registerExplainCommand(program: Command, io: CliIo): void {
  program
    .command('explain')
    .description('routing trace and event timeline of a hand-off')
    .argument('<id-or-email>', 'hand-off id, or the lead email (newest hand-off)')
    .option(...CONFIG_OPTION)
    .option('--json', 'print { handoff, lead, offers, events, others } as JSON')
    .action(async (key: string, opts: { json?: boolean }, cmd: Command) => {
      const config = await loadConfigWithoutSecrets(io, configFileOption(cmd));
      const x = await withStore(io, config, (store) => findExplanation(store, key.trim()));
      printResult(io, opts.json, x, formatExplanation);
    });
}
