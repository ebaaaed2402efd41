// The one HTML escaper: the dashboard, e-mails, CRM notes and the demo page all put user text into HTML.
// In the domain because it is pure and every layer (app included) may import the domain.

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * Escapes text for an element body or an attribute value in either kind of quotes. The backtick is
 * escaped too: some old parsers took it as an attribute quote.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ENTITIES[c] as string);
}
