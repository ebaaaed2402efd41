// What an alert, a digest or an escalation email says, without saying how it looks. The app builds
// these; the Slack notifier lays them out as Block Kit and the mailer as HTML and plain text. Plain
// JSON (strings, arrays, null), so an outbox job can carry one.

export interface Fact {
  label: string;
  value: string;
}

export interface MessageTable {
  title: string;
  head: string[];
  rows: string[][];
  /** Columns (by index) holding numbers: aligned right. */
  numeric?: number[];
}

export interface MessageDoc {
  /** Headline: the Slack header and the email heading. */
  title: string;
  /** One line for the email subject. */
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
