// Alerts, digests, offer and escalation emails: a plain-text part and an HTML part. The HTML keeps to what
// every mail client renders: tables, inline styles, no scripts, no external assets. Emails that let the reader
// act (one-click decision links, email.notifier.ts) add buttons; the text part carries the same links.
import { escapeHtml } from '../../src/domain/escape-html.js';
import { textTable } from '../../src/domain/text-table.js';
import type { MessageDoc, MessageTable } from '../../src/ports/message-doc.js';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** A link drawn as a button in the HTML part and as a "Label: url" line in the text part. */
export interface EmailButton {
  label: string;
  url: string;
  tone: 'primary' | 'danger' | 'neutral';
}

/** What an email adds to its document: buttons (after the facts and tables). */
export interface EmailExtras {
  buttons?: readonly EmailButton[];
}

const BUTTON_COLOURS: Record<EmailButton['tone'], string> = {
  primary: '#15803d',
  danger: '#b91c1c',
  neutral: '#374151',
};

function numericColumns(t: MessageTable): boolean[] {
  return t.head.map((_, c) => t.numeric?.includes(c) ?? false);
}

function plainText(doc: MessageDoc, extras: EmailExtras): string {
  const lines: string[] = [doc.title, '='.repeat(Math.min(doc.title.length, 72)), ''];
  if (doc.intro.length > 0) lines.push(...doc.intro, '');
  if (doc.facts.length > 0) {
    const width = Math.max(...doc.facts.map((f) => f.label.length));
    lines.push(...doc.facts.map((f) => `${`${f.label}:`.padEnd(width + 2)}${f.value}`), '');
  }
  for (const t of doc.tables) {
    if (t.rows.length === 0) continue;
    lines.push(t.title, textTable(t.head, t.rows, numericColumns(t)), '');
  }
  const buttons = extras.buttons ?? [];
  if (buttons.length > 0) lines.push(...buttons.map((b) => `${b.label}: ${b.url}`), '');
  if (doc.notes !== null && doc.notes.items.length > 0)
    lines.push(doc.notes.title, ...doc.notes.items.map((n) => `- ${n}`), '');
  if (doc.link !== null) lines.push(`${doc.link.label}: ${doc.link.url}`, '');
  if (doc.footer !== null) lines.push(doc.footer, '');
  return lines.join('\n');
}

const CELL = 'padding:4px 10px;border-bottom:1px solid #e5e7eb;font-size:14px;';

/** Bulletproof buttons: a table cell with the colour, the link inside (clients that drop padding keep the link). */
function buttonRow(buttons: readonly EmailButton[]): string {
  const e = escapeHtml;
  const cells = buttons.map(
    (b) =>
      `<td style="padding:4px 8px 4px 0;"><table role="presentation" cellpadding="0" cellspacing="0"><tr><td style="background:${BUTTON_COLOURS[b.tone]};border-radius:4px;">` +
      `<a href="${e(b.url)}" style="display:inline-block;padding:10px 18px;font-size:15px;font-weight:bold;color:#ffffff;text-decoration:none;">${e(b.label)}</a>` +
      '</td></tr></table></td>',
  );
  // Three to a line: a manager's list of "Assign to …" buttons stays readable on a phone.
  const lines: string[] = [];
  for (let i = 0; i < cells.length; i += 3) lines.push(`<tr>${cells.slice(i, i + 3).join('')}</tr>`);
  return `<tr><td style="padding:12px 24px;"><table role="presentation" cellpadding="0" cellspacing="0">${lines.join('')}</table></td></tr>`;
}

function html(doc: MessageDoc, extras: EmailExtras): string {
  const e = escapeHtml;
  const out: string[] = [
    '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${e(doc.subject)}</title></head>`,
    '<body style="margin:0;padding:0;background:#f6f7f9;">',
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f6f7f9;"><tr><td align="center" style="padding:16px;">',
    '<table role="presentation" width="640" cellpadding="0" cellspacing="0" style="max-width:640px;width:100%;background:#ffffff;font-family:Arial,Helvetica,sans-serif;color:#111827;">',
    `<tr><td style="padding:20px 24px 8px;"><h1 style="margin:0;font-size:20px;">${e(doc.title)}</h1></td></tr>`,
  ];
  for (const p of doc.intro)
    out.push(`<tr><td style="padding:4px 24px;font-size:14px;line-height:20px;">${e(p)}</td></tr>`);
  if (doc.facts.length > 0) {
    out.push(
      '<tr><td style="padding:12px 24px;"><table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse;">',
    );
    for (const f of doc.facts) {
      out.push(
        `<tr><td style="${CELL}color:#6b7280;">${e(f.label)}</td><td style="${CELL}font-weight:bold;">${e(f.value)}</td></tr>`,
      );
    }
    out.push('</table></td></tr>');
  }
  for (const t of doc.tables) {
    if (t.rows.length === 0) continue;
    const numeric = numericColumns(t);
    const align = (c: number) => (numeric[c] ? 'text-align:right;' : 'text-align:left;');
    out.push(
      `<tr><td style="padding:12px 24px 4px;"><h2 style="margin:0;font-size:16px;">${e(t.title)}</h2></td></tr>`,
      '<tr><td style="padding:0 24px 8px;"><table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse;width:100%;">',
      `<tr>${t.head.map((h, c) => `<th style="${CELL}${align(c)}color:#6b7280;font-weight:normal;">${e(h)}</th>`).join('')}</tr>`,
    );
    for (const r of t.rows)
      out.push(`<tr>${r.map((v, c) => `<td style="${CELL}${align(c)}">${e(v)}</td>`).join('')}</tr>`);
    out.push('</table></td></tr>');
  }
  if (extras.buttons !== undefined && extras.buttons.length > 0) out.push(buttonRow(extras.buttons));
  if (doc.notes !== null && doc.notes.items.length > 0) {
    out.push(
      `<tr><td style="padding:12px 24px 4px;"><h2 style="margin:0;font-size:16px;">${e(doc.notes.title)}</h2></td></tr>`,
      `<tr><td style="padding:0 24px 8px;font-size:14px;"><ul style="margin:0;padding-left:20px;">${doc.notes.items.map((n) => `<li>${e(n)}</li>`).join('')}</ul></td></tr>`,
    );
  }
  if (doc.link !== null) {
    out.push(
      `<tr><td style="padding:12px 24px;font-size:14px;"><a href="${e(doc.link.url)}" style="color:#2563eb;">${e(doc.link.label)}</a></td></tr>`,
    );
  }
  if (doc.footer !== null)
    out.push(`<tr><td style="padding:12px 24px 20px;font-size:12px;color:#6b7280;">${e(doc.footer)}</td></tr>`);
  out.push('</table></td></tr></table></body></html>');
  return out.join('\n');
}

export function renderEmail(doc: MessageDoc, extras: EmailExtras = {}): RenderedEmail {
  return { subject: doc.subject, text: plainText(doc, extras), html: html(doc, extras) };
}
