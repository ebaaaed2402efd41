// One description of an alert or digest, rendered three ways: Slack Block Kit (+ fallback text),
// plain-text email and HTML email. The HTML sticks to what mail clients render everywhere: tables,
// inline styles, no scripts, no external assets.

export interface Fact {
  label: string;
  value: string;
}

export interface MessageTable {
  title: string;
  head: string[];
  rows: string[][];
  /** Columns (by index) aligned right: numbers. */
  numeric?: number[];
}

export interface MessageDoc {
  /** Headline (Slack header, email heading). */
  title: string;
  subject: string;
  /** Short paragraphs under the headline. */
  intro: string[];
  facts: Fact[];
  tables: MessageTable[];
  /** Bullet points after the tables. */
  notes: { title: string; items: string[] } | null;
  link: { url: string; label: string } | null;
  footer: string | null;
}

export interface SlackRendering {
  text: string;
  blocks: unknown[];
}

export interface EmailRendering {
  subject: string;
  text: string;
  html: string;
}

/** Slack mrkdwn escaping: only &, < and > are special. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeHtmlText(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Fixed-width text table (for Slack code blocks and plain-text email). */
export function plainTable(t: MessageTable): string {
  const cells = [t.head, ...t.rows];
  const widths = t.head.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const numeric = new Set(t.numeric ?? []);
  return cells
    .map((r) =>
      r
        .map((v, c) => (numeric.has(c) ? v.padStart(widths[c] as number) : v.padEnd(widths[c] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderSlack(doc: MessageDoc): SlackRendering {
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: clip(doc.title, 150), emoji: true } }];
  if (doc.intro.length > 0)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(doc.intro.map(escapeMrkdwn).join('\n'), 3000) },
    });
  for (let i = 0; i < doc.facts.length; i += 10) {
    blocks.push({
      type: 'section',
      fields: doc.facts
        .slice(i, i + 10)
        .map((f) => ({ type: 'mrkdwn', text: clip(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, 2000) })),
    });
  }
  for (const t of doc.tables) {
    if (t.rows.length === 0) continue;
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(`*${escapeMrkdwn(t.title)}*\n\`\`\`${escapeMrkdwn(plainTable(t))}\`\`\``, 3000),
      },
    });
  }
  if (doc.notes && doc.notes.items.length > 0) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `*${escapeMrkdwn(doc.notes.title)}*\n${doc.notes.items.map((n) => `• ${escapeMrkdwn(n)}`).join('\n')}`,
          3000,
        ),
      },
    });
  }
  const context: string[] = [];
  if (doc.link) context.push(`<${doc.link.url}|${escapeMrkdwn(doc.link.label)}>`);
  if (doc.footer) context.push(escapeMrkdwn(doc.footer));
  if (context.length > 0)
    blocks.push({ type: 'context', elements: context.map((text) => ({ type: 'mrkdwn', text: clip(text, 2000) })) });
  const facts = doc.facts.map((f) => `${f.label}: ${f.value}`).join(' · ');
  return { text: clip([doc.title, ...doc.intro, facts].filter((x) => x !== '').join(' — '), 3000), blocks };
}

export function renderEmail(doc: MessageDoc): EmailRendering {
  const text: string[] = [doc.title, '='.repeat(Math.min(doc.title.length, 72)), ''];
  if (doc.intro.length > 0) text.push(...doc.intro, '');
  if (doc.facts.length > 0) {
    const w = Math.max(...doc.facts.map((f) => f.label.length));
    text.push(...doc.facts.map((f) => `${`${f.label}:`.padEnd(w + 2)}${f.value}`), '');
  }
  for (const t of doc.tables) {
    if (t.rows.length === 0) continue;
    text.push(t.title, plainTable(t), '');
  }
  if (doc.notes && doc.notes.items.length > 0) text.push(doc.notes.title, ...doc.notes.items.map((n) => `- ${n}`), '');
  if (doc.link) text.push(`${doc.link.label}: ${doc.link.url}`, '');
  if (doc.footer) text.push(doc.footer, '');

  const e = escapeHtmlText;
  const cell = 'padding:4px 10px;border-bottom:1px solid #e5e7eb;font-size:14px;';
  const html: string[] = [
    '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${e(doc.subject)}</title></head>`,
    '<body style="margin:0;padding:0;background:#f6f7f9;">',
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f6f7f9;"><tr><td align="center" style="padding:16px;">',
    '<table role="presentation" width="640" cellpadding="0" cellspacing="0" style="max-width:640px;width:100%;background:#ffffff;font-family:Arial,Helvetica,sans-serif;color:#111827;">',
    `<tr><td style="padding:20px 24px 8px;"><h1 style="margin:0;font-size:20px;">${e(doc.title)}</h1></td></tr>`,
  ];
  for (const p of doc.intro)
    html.push(`<tr><td style="padding:4px 24px;font-size:14px;line-height:20px;">${e(p)}</td></tr>`);
  if (doc.facts.length > 0) {
    html.push(
      '<tr><td style="padding:12px 24px;"><table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse;">',
    );
    for (const f of doc.facts) {
      html.push(
        `<tr><td style="${cell}color:#6b7280;">${e(f.label)}</td><td style="${cell}font-weight:bold;">${e(f.value)}</td></tr>`,
      );
    }
    html.push('</table></td></tr>');
  }
  for (const t of doc.tables) {
    if (t.rows.length === 0) continue;
    const numeric = new Set(t.numeric ?? []);
    const align = (c: number) => (numeric.has(c) ? 'text-align:right;' : 'text-align:left;');
    html.push(
      `<tr><td style="padding:12px 24px 4px;"><h2 style="margin:0;font-size:16px;">${e(t.title)}</h2></td></tr>`,
    );
    html.push(
      '<tr><td style="padding:0 24px 8px;"><table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse;width:100%;">',
    );
    html.push(
      `<tr>${t.head.map((h, c) => `<th style="${cell}${align(c)}color:#6b7280;font-weight:normal;">${e(h)}</th>`).join('')}</tr>`,
    );
    for (const r of t.rows)
      html.push(`<tr>${r.map((v, c) => `<td style="${cell}${align(c)}">${e(v)}</td>`).join('')}</tr>`);
    html.push('</table></td></tr>');
  }
  if (doc.notes && doc.notes.items.length > 0) {
    html.push(
      `<tr><td style="padding:12px 24px 4px;"><h2 style="margin:0;font-size:16px;">${e(doc.notes.title)}</h2></td></tr>`,
    );
    html.push(
      `<tr><td style="padding:0 24px 8px;font-size:14px;"><ul style="margin:0;padding-left:20px;">${doc.notes.items.map((n) => `<li>${e(n)}</li>`).join('')}</ul></td></tr>`,
    );
  }
  if (doc.link) {
    html.push(
      `<tr><td style="padding:12px 24px;font-size:14px;"><a href="${e(doc.link.url)}" style="color:#2563eb;">${e(doc.link.label)}</a></td></tr>`,
    );
  }
  if (doc.footer)
    html.push(`<tr><td style="padding:12px 24px 20px;font-size:12px;color:#6b7280;">${e(doc.footer)}</td></tr>`);
  html.push('</table></td></tr></table></body></html>');
  return { subject: doc.subject, text: text.join('\n'), html: html.join('\n') };
}
