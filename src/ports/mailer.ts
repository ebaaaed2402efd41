// How email goes out. The mailer lays a document out as HTML and plain text itself.
import type { MessageDoc } from './message-doc.js';

/** A mail laid out already (subject, text and HTML parts). */
export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  html: string;
  /**
   * The Message-ID, angle brackets included ("<offer-o1@handoff>"); the mailer makes one when absent. A resend
   * with the same id is the same message to mail clients that dedupe by it.
   */
  messageId?: string;
  /** Extra header lines, e.g. In-Reply-To and References to thread a reminder under its offer. */
  headers?: Record<string, string>;
}

export interface Mailer {
  /** Lays the document out (subject, plain text, HTML) and sends it to every recipient. */
  sendDoc(to: string[], doc: MessageDoc): Promise<void>;
  /** Sends a mail as it is: outbox jobs from versions that rendered email in the app carry one. */
  send(message: MailMessage): Promise<void>;
  verify(): Promise<void>;
}
