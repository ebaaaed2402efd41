// The /demo page: every rep's DMs and the team and managers' channels, rendered from the Block Kit
// the worker posted to the emulated Slack. Buttons go through the real signed-request path.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordedMessage, SlackEmulatorControl } from '../../../connectors/slack/emulator/index.js';
import { escapeHtml } from '../../domain/escape-html.js';
import { readBody } from '../../runtime/read-body.js';
import { currentBlocks } from './simulated-reps.js';

export interface DemoPerson {
  slackUserId: string;
  name: string;
  role: string;
  simulated: boolean;
}

export interface DemoPageOptions {
  control: SlackEmulatorControl;
  people: DemoPerson[];
  channels: { id: string; name: string }[];
  workerUrl: string;
  dashboardUrl: string | null;
}

type AnyBlock = Record<string, unknown> & { type?: string };
type TextObj = { type?: string; text?: string } | undefined;

/** Slack mrkdwn to HTML: escaping first, then links, bold, italic, strike and line breaks. */
export function mrkdwn(text: string): string {
  let html = escapeHtml(text);
  html = html.replace(
    /&lt;(https?:[^|&]+?)\|([^&]*?)&gt;/g,
    (_m, url: string, label: string) => `<a href="${url}" target="_blank" rel="noopener">${label}</a>`,
  );
  html = html.replace(
    /&lt;(https?:[^&]+?)&gt;/g,
    (_m, url: string) => `<a href="${url}" target="_blank" rel="noopener">${url}</a>`,
  );
  html = html.replace(/&lt;@([A-Z0-9]+)&gt;/g, '@$1');
  html = html.replace(/&lt;!date\^(\d+)\^[^|]*\|([^&]*)&gt;/g, (_m, _ts: string, fallback: string) => fallback);
  html = html.replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1<strong>$2</strong>');
  html = html.replace(/(^|[\s(])_([^_\n]+)_/g, '$1<em>$2</em>');
  html = html.replace(/(^|[\s(])~([^~\n]+)~/g, '$1<s>$2</s>');
  return html.replace(/\n/g, '<br>');
}

function textOf(t: TextObj): string {
  if (!t?.text) return '';
  return t.type === 'mrkdwn' ? mrkdwn(t.text) : escapeHtml(t.text);
}

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
}

function renderBlocks(
  blocks: AnyBlock[],
  ctx: { user: string | null; channel: string; ts: string; people: DemoPerson[] },
): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.type) {
      case 'header':
        out.push(`<h4>${textOf(b.text as TextObj)}</h4>`);
        break;
      case 'section': {
        const fields = (b.fields as TextObj[] | undefined) ?? [];
        out.push(
          `<div class="section">${textOf(b.text as TextObj)}${fields.length ? `<div class="fields">${fields.map((f) => `<div>${textOf(f)}</div>`).join('')}</div>` : ''}</div>`,
        );
        break;
      }
      case 'context':
        out.push(
          `<div class="context">${((b.elements as TextObj[] | undefined) ?? []).map((e) => textOf(e)).join(' · ')}</div>`,
        );
        break;
      case 'divider':
        out.push('<hr>');
        break;
      case 'actions': {
        const elements = (b.elements as AnyBlock[] | undefined) ?? [];
        const asUser = ctx.user
          ? hidden('user', ctx.user)
          : `<select name="user" aria-label="act as">${ctx.people.map((p) => `<option value="${p.slackUserId}">${escapeHtml(p.name)} (${escapeHtml(p.role)})</option>`).join('')}</select>`;
        const parts = elements.map((el) => {
          const base = `${hidden('channel', ctx.channel)}${hidden('ts', ctx.ts)}${hidden('actionId', String(el.action_id ?? ''))}`;
          if (el.type === 'button') {
            const style = el.style === 'primary' ? 'primary' : el.style === 'danger' ? 'danger' : '';
            return `<form method="post" action="/demo/click" class="inline">${base}${hidden('value', String(el.value ?? ''))}${asUser}<button class="${style}">${textOf(el.text as TextObj)}</button></form>`;
          }
          if (el.type === 'static_select') {
            const options = (el.options as { text: TextObj; value: string }[] | undefined) ?? [];
            return `<form method="post" action="/demo/click" class="inline">${base}${asUser}<select name="value" aria-label="${escapeHtml((el.placeholder as TextObj)?.text ?? 'choose')}">${options.map((o) => `<option value="${escapeHtml(o.value)}">${textOf(o.text)}</option>`).join('')}</select><button>${escapeHtml((el.placeholder as TextObj)?.text ?? 'Choose')}</button></form>`;
          }
          return '';
        });
        out.push(`<div class="actions">${parts.join('')}</div>`);
        break;
      }
      default:
        break;
    }
  }
  return out.join('');
}

function renderMessage(
  m: RecordedMessage,
  ctx: { user: string | null; people: DemoPerson[] },
  thread: RecordedMessage[],
): string {
  const blocks = currentBlocks(m) as AnyBlock[];
  const body =
    blocks.length > 0
      ? renderBlocks(blocks, { ...ctx, channel: m.channel, ts: m.ts })
      : `<div class="section">${mrkdwn(m.text)}</div>`;
  const replies = thread.map((r) => `<div class="reply">↳ ${mrkdwn(r.text)}</div>`).join('');
  return `<article class="msg" id="m${m.ts.replace('.', '_')}">${body}${replies}<div class="meta">${new Date(m.postedAt).toLocaleTimeString('en-GB')}</div></article>`;
}

function renderModal(view: Record<string, unknown>, user: string, viewId: string): string {
  const blocks = (view.blocks as AnyBlock[] | undefined) ?? [];
  const inputs = blocks
    .filter((b) => b.type === 'input')
    .map((b) => {
      const el = (b.element as AnyBlock) ?? {};
      const name = `v:${String(b.block_id)}:${String(el.action_id)}`;
      const label = textOf(b.label as TextObj);
      if (el.type === 'static_select') {
        const options = (el.options as { text: TextObj; value: string }[] | undefined) ?? [];
        return `<label>${label}<select name="${escapeHtml(name)}">${options.map((o) => `<option value="${escapeHtml(o.value)}">${textOf(o.text)}</option>`).join('')}</select></label>`;
      }
      return `<label>${label}<textarea name="${escapeHtml(name)}" rows="2"></textarea></label>`;
    })
    .join('');
  return `<form method="post" action="/demo/submit" class="modal"><strong>${textOf(view.title as TextObj)}</strong>${hidden('user', user)}${hidden('viewId', viewId)}${inputs}<button class="danger">${textOf(view.submit as TextObj) || 'Submit'}</button></form>`;
}

export function renderDemoPage(options: DemoPageOptions): string {
  const { control, people } = options;
  const all = control.messages();
  const threadOf = (m: RecordedMessage): RecordedMessage[] =>
    all.filter((r) => r.threadTs === m.ts && r.channel === m.channel);
  const top = (channel: string): RecordedMessage[] =>
    all
      .filter((m) => m.channel === channel && !m.threadTs && !m.deleted)
      .slice(-8)
      .reverse();

  const personPanels = people
    .map((p) => {
      const dm = control.dmChannel(p.slackUserId);
      const modals = control.views(p.slackUserId).filter((v) => v.type === 'modal' && !v.closed);
      const msgs = dm ? top(dm) : [];
      const ephemerals = control.ephemerals({ user: p.slackUserId }).slice(-2).reverse();
      return `<section class="panel ${p.simulated ? '' : 'you'}"><h3>${escapeHtml(p.name)} <small>${escapeHtml(p.role)}${p.simulated ? ' · simulated' : ' · you can play this person'}</small></h3>
        ${modals.map((v) => renderModal(v.view, p.slackUserId, v.id)).join('')}
        ${ephemerals.map((e) => `<div class="ephemeral">Only visible to you: ${mrkdwn(e.text)}</div>`).join('')}
        ${msgs.length ? msgs.map((m) => renderMessage(m, { user: p.slackUserId, people }, threadOf(m))).join('') : '<p class="empty">No messages yet.</p>'}</section>`;
    })
    .join('');
  const channelPanels = options.channels
    .map((c) => {
      const msgs = top(c.id);
      return `<section class="panel"><h3>#${escapeHtml(c.name)}</h3>${msgs.length ? msgs.map((m) => renderMessage(m, { user: null, people }, threadOf(m))).join('') : '<p class="empty">Nothing posted yet.</p>'}</section>`;
    })
    .join('');

  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5"><title>handoff demo — emulated Slack</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f4f4f6;color:#1d1c1d}
header{background:#3f0e40;color:#fff;padding:12px 20px}header a{color:#fff}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px;padding:12px}
.panel{background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 2px #0002;max-height:80vh;overflow:auto}
.panel.you{outline:3px solid #2eb67d}
h3{margin:4px 0 8px;font-size:15px}h3 small{font-weight:normal;color:#616061}
h4{margin:4px 0}.msg{border-top:1px solid #e8e8e8;padding:8px 0}.fields{display:grid;grid-template-columns:1fr 1fr;gap:4px 12px;margin-top:4px}
.context{color:#616061;font-size:12px;margin-top:4px}.meta{color:#999;font-size:11px}.reply{color:#444;font-size:12px;margin:4px 0 0 12px}
.actions{margin-top:6px}form.inline{display:inline-block;margin-right:6px}
button{border:1px solid #bbb;background:#fff;border-radius:4px;padding:4px 10px;cursor:pointer}
button.primary{background:#007a5a;color:#fff;border-color:#007a5a}button.danger{background:#e01e5a;color:#fff;border-color:#e01e5a}
.modal{display:grid;gap:6px;background:#fff8e1;border:1px solid #f2c744;padding:8px;border-radius:6px;margin-bottom:8px}
.ephemeral{background:#eef4ff;border-left:3px solid #1264a3;padding:4px 8px;margin-bottom:6px;font-size:12px}
.empty{color:#999}select,textarea{font:inherit}label{display:grid;gap:2px}
</style></head><body>
<header><strong>handoff demo</strong> — this page is the emulated Slack. Green panels are yours to click; the others are simulated.
Worker: <a href="${escapeHtml(options.workerUrl)}/readyz">${escapeHtml(options.workerUrl)}</a>${options.dashboardUrl ? ` · <a href="${escapeHtml(options.dashboardUrl)}">dashboard</a>` : ''}. The page refreshes every 5 s.</header>
<main>${personPanels}${channelPanels}</main></body></html>`;
}

const FORM_LIMIT = 64 * 1024;

/** Handles /demo, /demo/click and /demo/submit; answers false for any other path. */
export function createDemoPageHandler(
  options: DemoPageOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/demo' || path === '/demo/')) {
      const html = renderDemoPage(options);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
      return true;
    }
    if (req.method === 'POST' && (path === '/demo/click' || path === '/demo/submit')) {
      // Too long or unreadable: the page's forms are tiny, so either way it is not one of ours.
      const body = await readBody(req, FORM_LIMIT).catch(() => null);
      if (body === null) {
        res.writeHead(413).end();
        return true;
      }
      const form = new URLSearchParams(body.toString('utf8'));
      const user = form.get('user') ?? '';
      if (path === '/demo/click') {
        const value = form.get('value');
        await options.control.clickButton({
          user,
          channel: form.get('channel') ?? '',
          ts: form.get('ts') ?? '',
          actionId: form.get('actionId') ?? '',
          ...(value ? { value } : {}),
        });
      } else {
        const values: Record<string, Record<string, string | null>> = {};
        for (const [key, value] of form) {
          const m = /^v:([^:]+):(.+)$/.exec(key);
          if (!m) continue;
          const block = m[1] as string;
          values[block] = { ...(values[block] ?? {}), [m[2] as string]: value.trim() === '' ? null : value };
        }
        await options.control.submitView({
          user,
          ...(form.get('viewId') ? { viewId: form.get('viewId') as string } : {}),
          values,
        });
      }
      res.writeHead(303, { location: '/demo' }).end();
      return true;
    }
    return false;
  };
}
