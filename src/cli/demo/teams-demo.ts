// `handoff demo --chat teams`: the /demo page for the emulated Microsoft Teams (each person's 1:1 chat with the bot
// and the team and managers' channels, rendered from the Adaptive Cards the worker posted), whose buttons send the
// same signed Action.Execute invokes Teams sends; and simulated reps that click them too.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TeamsEmulatorControl } from '../../../connectors/teams/emulator/index.js';
import { escapeHtml } from '../../domain/escape-html.js';
import { readBody } from '../../runtime/read-body.js';
import { ADAPTIVE_CARD_CSS, adaptiveCardHtml, cardText } from './adaptive-card-html.js';
import { createActionPlanner } from './simulated-reps.js';

type RecordedMessage = ReturnType<TeamsEmulatorControl['messages']>[number];

export interface TeamsDemoPerson {
  /** The Teams user (email), as the emulator knows them. */
  user: string;
  name: string;
  role: string;
  simulated: boolean;
}

export interface TeamsDemoPageOptions {
  control: TeamsEmulatorControl;
  people: TeamsDemoPerson[];
  channels: { id: string; name: string }[];
  workerUrl: string;
  dashboardUrl: string | null;
}

const ACT = '/demo/teams/act';
const FORM_LIMIT = 64 * 1024;
/** Form fields the page adds; the rest are the card's inputs. */
const OWN_FIELDS = new Set(['user', 'conversationId', 'activityId', 'verb', 'data']);

/** The Action.Execute with this verb somewhere in a card. */
export function findAction(card: unknown, verb: string): { data?: Record<string, unknown> } | null {
  if (card === null || typeof card !== 'object') return null;
  const o = card as Record<string, unknown>;
  if (o.type === 'Action.Execute' && o.verb === verb) return o as { data?: Record<string, unknown> };
  for (const v of Object.values(o)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      const found = findAction(x, verb);
      if (found) return found;
    }
  }
  return null;
}

function messageHtml(m: RecordedMessage, card: unknown, viewer: string | null, replies: RecordedMessage[]): string {
  const hidden = viewer ? { user: viewer, conversationId: m.conversationId, activityId: m.activityId } : undefined;
  const body =
    card !== null && card !== undefined
      ? adaptiveCardHtml(card, {
          action: ACT,
          id: `${m.conversationId}-${m.activityId}`,
          ...(hidden ? { hidden } : {}),
        })
      : `<p>${cardText(m.text ?? '')}</p>`;
  const thread = replies
    .map((r) => `<div class="reply">↳ ${cardText(r.text ?? '')}${r.attachments[0] && !r.text ? '(card)' : ''}</div>`)
    .join('');
  return `<article class="msg">${body}${thread}<div class="meta">${new Date(m.at).toLocaleTimeString('en-GB')}${m.edits > 0 ? ' · edited' : ''}</div></article>`;
}

export function renderTeamsDemoPage(options: TeamsDemoPageOptions): string {
  const { control } = options;
  const personal = options.people
    .map((p) => {
      const conversation = control.conversationOf(p.user);
      const msgs = conversation ? control.messages(conversation).slice(-8).reverse() : [];
      const body = msgs.length
        ? msgs
            .map((m) =>
              messageHtml(m, control.cardFor(m.conversationId, m.activityId, p.user), p.simulated ? null : p.user, []),
            )
            .join('')
        : '<p class="empty">No messages yet.</p>';
      return `<section class="panel ${p.simulated ? '' : 'you'}"><h3>${escapeHtml(p.name)} <small>${escapeHtml(p.role)}${p.simulated ? ' · simulated' : ' · you can play this person'}</small></h3>${body}</section>`;
    })
    .join('');
  // In channels, the buttons act as the first person played here (the manager assigns, a rep claims).
  const player =
    options.people.find((p) => !p.simulated && p.role === 'manager') ?? options.people.find((p) => !p.simulated);
  const channels = options.channels
    .map((c) => {
      const all = control.messages(c.id);
      const roots = all
        .filter((m) => m.replyToId === null)
        .slice(-8)
        .reverse();
      const body = roots.length
        ? roots
            .map((m) =>
              messageHtml(
                m,
                player
                  ? control.cardFor(m.conversationId, m.activityId, player.user)
                  : (m.attachments[0]?.content ?? null),
                player?.user ?? null,
                all.filter((r) => r.replyToId === m.activityId),
              ),
            )
            .join('')
        : '<p class="empty">Nothing posted yet.</p>';
      return `<section class="panel"><h3>${escapeHtml(c.name)}</h3>${body}</section>`;
    })
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5"><title>handoff demo — emulated Microsoft Teams</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f5f5f5;color:#242424}
header{background:#464775;color:#fff;padding:12px 20px}header a{color:#fff}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:12px;padding:12px}
.panel{background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 2px #0002;max-height:80vh;overflow:auto}
.panel.you{outline:3px solid #5b5fc7}h3{margin:4px 0 8px;font-size:15px}h3 small{font-weight:normal;color:#616161}
.msg{border-top:1px solid #e8e8e8;padding:8px 0}.meta{color:#999;font-size:11px}.reply{color:#444;font-size:12px;margin:4px 0 0 12px}
.empty{color:#999}select,textarea,input{font:inherit}
${ADAPTIVE_CARD_CSS}
</style></head><body>
<header><strong>handoff demo</strong> — this page is the emulated Microsoft Teams. Purple panels are yours to click (each button sends
the signed invoke Teams sends); the others are simulated. Worker: <a href="${escapeHtml(options.workerUrl)}/readyz">${escapeHtml(options.workerUrl)}</a>${options.dashboardUrl ? ` · <a href="${escapeHtml(options.dashboardUrl)}">dashboard</a>` : ''}. The page refreshes every 5 s.</header>
<main>${personal}${channels}</main></body></html>`;
}

/** Serves /demo and the card buttons (POST /demo/teams/act → a signed invoke to the worker); false for other paths. */
export function createTeamsDemoPage(
  options: TeamsDemoPageOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/demo' || path === '/demo/')) {
      const html = renderTeamsDemoPage(options);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
      return true;
    }
    if (req.method !== 'POST' || path !== ACT) return false;
    const body = await readBody(req, FORM_LIMIT).catch(() => null);
    if (body === null) {
      res.writeHead(413).end();
      return true;
    }
    const form = new URLSearchParams(body.toString('utf8'));
    let data: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(form.get('data') ?? '{}') as unknown;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        data = parsed as Record<string, unknown>;
    } catch {
      data = {};
    }
    for (const [key, value] of form) if (!OWN_FIELDS.has(key)) data[key] = value;
    await options.control.invoke({
      user: form.get('user') ?? '',
      conversationId: form.get('conversationId') ?? '',
      activityId: form.get('activityId') ?? '',
      verb: form.get('verb') ?? '',
      data,
    });
    res.writeHead(303, { location: '/demo' }).end();
    return true;
  };
}

export interface SimulatedTeamsRepsOptions {
  control: TeamsEmulatorControl;
  reps: { id: string; user: string }[];
  reasons: { id: string; noteRequired: boolean }[];
  random: () => number;
  thinkMs: [number, number];
  acceptShare: number;
  rejectShare: number;
}

/** Simulated reps in Teams: they read their chat with the bot and click Accept or Reject (a signed invoke). */
export function startSimulatedTeamsReps(options: SimulatedTeamsRepsOptions): { tick(now: number): Promise<void> } {
  const { control, random } = options;
  const planner = createActionPlanner(options);
  return {
    async tick(now: number) {
      for (const rep of options.reps) {
        const conversation = control.conversationOf(rep.user);
        if (!conversation) continue;
        for (const m of control.messages(conversation)) {
          const card = control.cardFor(m.conversationId, m.activityId, rep.user);
          const accept = findAction(card, 'accept');
          if (!accept) continue;
          const action = planner.due(`${m.conversationId}:${m.activityId}`, now);
          if (action === null) continue;
          const base = { user: rep.user, conversationId: m.conversationId, activityId: m.activityId };
          if (action === 'accept') {
            await control.invoke({ ...base, verb: 'accept', data: accept.data ?? {} });
            continue;
          }
          const reason = options.reasons[Math.floor(random() * options.reasons.length)];
          if (!reason) continue;
          const reject = findAction(card, 'reject');
          await control.invoke({
            ...base,
            verb: 'reject',
            data: {
              ...(reject?.data ?? accept.data ?? {}),
              reason: reason.id,
              note: reason.noteRequired ? 'Simulated: not a fit right now' : '',
            },
          });
        }
      }
    },
  };
}
