// Mailer over SMTP with nodemailer. Sends go through the outbox, so a failure here is classified and retried.
import { createRequire } from 'node:module';
import type Nodemailer from 'nodemailer';
import type { Mailer, MailMessage } from '../../src/ports/mailer.js';
import { ConnectorError, type Failure } from '../../src/ports/failure.js';
import type { MessageDoc } from '../../src/ports/message-doc.js';
import { renderEmail } from './email.templates.js';

export interface SmtpMailerOptions {
  smtpUrl: string;
  from: string;
  /** Socket timeout for one send. */
  timeoutMs?: number;
}

// nodemailer (35 modules) is loaded when a mailer is made: a worker without email never loads it.
const requireModule = createRequire(import.meta.url);

export function createSmtpMailer(options: SmtpMailerOptions): Mailer & { close(): void } {
  const timeout = options.timeoutMs ?? 15_000;
  const nodemailer = requireModule('nodemailer') as typeof Nodemailer;
  const transport = nodemailer.createTransport(options.smtpUrl, {
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  async function send(message: MailMessage): Promise<void> {
    try {
      await transport.sendMail({
        from: options.from,
        to: message.to.join(', '),
        subject: message.subject,
        text: message.text,
        html: message.html,
        ...(message.messageId !== undefined ? { messageId: message.messageId } : {}),
        ...(message.headers !== undefined ? { headers: message.headers } : {}),
      });
    } catch (err) {
      throw new ConnectorError('smtp', classifySmtpError(err), { cause: err });
    }
  }
  return {
    send,
    async sendDoc(to: string[], doc: MessageDoc): Promise<void> {
      await send({ to, ...renderEmail(doc) });
    },
    async verify(): Promise<void> {
      try {
        await transport.verify();
      } catch (err) {
        throw new ConnectorError('smtp', classifySmtpError(err), { cause: err });
      }
    },
    close() {
      transport.close();
    },
  };
}

/** SMTP reply codes: 4xx are temporary, 535/530 authentication, other 5xx permanent. */
export function classifySmtpError(err: unknown): Failure {
  const e = err as { responseCode?: number; code?: string; message?: string };
  const reason = e?.message ?? String(err);
  const code = e?.responseCode;
  if (code === 535 || code === 530 || e?.code === 'EAUTH') return { kind: 'auth', reason };
  if (typeof code === 'number' && code >= 400 && code < 500) return { kind: 'transient', reason };
  if (typeof code === 'number' && code >= 500) return { kind: 'invalid', reason };
  return { kind: 'transient', reason };
}
