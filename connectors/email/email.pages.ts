// The pages behind email decision links (email.decisions.ts): one small self-contained HTML document each —
// inline styles, no scripts, no external assets, every value escaped.
import { escapeHtml } from '../../src/domain/escape-html.js';
import type { RejectionReason } from '../../src/domain/model.js';

export type PageTone = 'ask' | 'done' | 'info' | 'problem';

export interface PageFact {
  label: string;
  value: string;
}

export interface PageContent {
  title: string;
  tone: PageTone;
  /** Paragraphs under the title. */
  lines: readonly string[];
  facts?: readonly PageFact[];
  /** A form (already rendered by `decisionForm`). */
  form?: string;
}

const TONE_COLOUR: Record<PageTone, string> = {
  ask: '#1d4ed8',
  done: '#15803d',
  info: '#374151',
  problem: '#b91c1c',
};

const STYLE = [
  'body{margin:0;background:#f6f7f9;font-family:Arial,Helvetica,sans-serif;color:#111827}',
  'main{max-width:560px;margin:24px auto;background:#fff;padding:20px 24px;border-radius:6px}',
  'h1{font-size:20px;margin:0 0 12px}',
  'p{font-size:15px;line-height:22px;margin:8px 0}',
  'table{border-collapse:collapse;margin:12px 0}',
  'td{padding:4px 10px 4px 0;font-size:14px;vertical-align:top}',
  'td.l{color:#6b7280}',
  'fieldset{border:1px solid #e5e7eb;border-radius:4px;margin:12px 0;padding:8px 12px}',
  'label{display:block;font-size:14px;margin:6px 0}',
  'textarea{width:100%;box-sizing:border-box;font:inherit;font-size:14px}',
  'button{font-size:15px;font-weight:bold;color:#fff;border:0;border-radius:4px;padding:10px 18px;cursor:pointer}',
  '.problem{color:#b91c1c;font-weight:bold}',
  'footer{font-size:12px;color:#6b7280;margin-top:16px}',
].join('');

/** A whole page: title, lines, facts, form. */
export function renderPage(page: PageContent): string {
  const e = escapeHtml;
  const facts =
    page.facts !== undefined && page.facts.length > 0
      ? `<table>${page.facts.map((f) => `<tr><td class="l">${e(f.label)}</td><td><b>${e(f.value)}</b></td></tr>`).join('')}</table>`
      : '';
  return [
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex,nofollow">',
    `<title>${e(page.title)}</title><style>${STYLE}</style></head><body><main>`,
    `<h1 style="color:${TONE_COLOUR[page.tone]}">${e(page.title)}</h1>`,
    ...page.lines.map((l) => `<p>${e(l)}</p>`),
    facts,
    page.form ?? '',
    '<footer>Lead hand-off</footer>',
    '</main></body></html>',
  ].join('\n');
}

export interface DecisionFormInput {
  /** The signed link token and the CSRF form token bound to it. */
  token: string;
  formToken: string;
  button: string;
  tone: 'primary' | 'danger';
  /** Reject: the reasons to choose from, the one chosen before, the note typed before, a problem to show. */
  reject?: {
    reasons: readonly RejectionReason[];
    chosen: string | null;
    note: string;
    problem: string | null;
    maxNote: number;
  };
}

/** The confirm form: POSTs the token and the form token to the same path (relative, so a path prefix works). */
export function decisionForm(input: DecisionFormInput): string {
  const e = escapeHtml;
  const out: string[] = [
    '<form method="post" action="decide" accept-charset="utf-8">',
    `<input type="hidden" name="t" value="${e(input.token)}">`,
    `<input type="hidden" name="csrf" value="${e(input.formToken)}">`,
  ];
  const r = input.reject;
  if (r !== undefined) {
    if (r.problem !== null) out.push(`<p class="problem">${e(r.problem)}</p>`);
    out.push('<fieldset><legend>Reason</legend>');
    for (const reason of r.reasons) {
      const checked = reason.id === r.chosen ? ' checked' : '';
      const hint = reason.noteRequired ? ' (note required)' : '';
      out.push(
        `<label><input type="radio" name="reason" value="${e(reason.id)}" required${checked}> ${e(reason.label)}${hint}</label>`,
      );
    }
    out.push('</fieldset>');
    out.push(
      `<label for="note">Note (for marketing; required for some reasons)</label><textarea id="note" name="note" rows="4" maxlength="${r.maxNote}">${e(r.note)}</textarea>`,
    );
  }
  const colour = input.tone === 'danger' ? '#b91c1c' : '#15803d';
  out.push(`<p><button type="submit" style="background:${colour}">${e(input.button)}</button></p>`, '</form>');
  return out.join('\n');
}
