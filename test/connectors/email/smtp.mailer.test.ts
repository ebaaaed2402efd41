import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { createSmtpMailer, classifySmtpError } from '../../../connectors/email/smtp.mailer.js';
import { ConnectorError } from '../../../src/ports/failure.js';
import { makeDoc } from '../../helpers/builders.js';
import { parseMail } from '../../helpers/mime.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

describe('SMTP mailer against a real SMTP server', () => {
  const received: Received[] = [];
  let server: SMTPServer;
  let port = 0;
  let rejectNext: number | null = null;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (rejectNext !== null) {
          const code = rejectNext;
          rejectNext = null;
          const err = Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), {
            responseCode: code,
          });
          return callback(err);
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('delivers a message with both parts to every recipient', async () => {
    const mailer = createSmtpMailer({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: 'Lead hand-off <handoff@example.com>',
    });
    await mailer.verify();
    await mailer.send({
      to: ['maria@example.com', 'ops@example.com'],
      subject: 'Escalated lead: Jane',
      text: 'Plain body 42',
      html: '<p>HTML body 42</p>',
    });
    mailer.close();
    const mail = received.at(-1)!;
    expect(mail.from).toBe('handoff@example.com');
    expect(mail.to).toEqual(['maria@example.com', 'ops@example.com']);
    expect(mail.raw).toContain('Subject: Escalated lead: Jane');
    expect(mail.raw).toContain('Plain body 42');
    expect(mail.raw).toContain('<p>HTML body 42</p>');
  });

  it('lays a document out itself and sends both parts', async () => {
    const mailer = createSmtpMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'handoff@example.com' });
    await mailer.sendDoc(['mkt@example.com'], makeDoc());
    mailer.close();
    const last = received.at(-1)!;
    const mail = parseMail(last.raw, last.to);
    expect(mail.to).toEqual(['mkt@example.com']);
    expect(mail.subject).toBe('[handoff] Daily digest 2026-11-03: 2 MQLs, 0.0% MQL→SAL');
    expect(mail.text).toContain('Bruno Keller     1     0     5m 00s  100.0%');
    expect(mail.html).toContain('<li>a &lt;b&gt; &amp; &quot;c&quot;</li>');
  });

  it('classifies a temporary refusal as transient and a permanent one as invalid', async () => {
    const mailer = createSmtpMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'handoff@example.com' });
    rejectNext = 451;
    const temporary = await mailer
      .send({ to: ['a@example.com'], subject: 's', text: 't', html: 'h' })
      .catch((e: unknown) => e);
    expect(temporary).toBeInstanceOf(ConnectorError);
    expect((temporary as ConnectorError).failure.kind).toBe('transient');
    rejectNext = 550;
    const permanent = await mailer
      .send({ to: ['a@example.com'], subject: 's', text: 't', html: 'h' })
      .catch((e: unknown) => e);
    expect((permanent as ConnectorError).failure.kind).toBe('invalid');
    mailer.close();
  });

  it('reports an unreachable server as transient', async () => {
    const mailer = createSmtpMailer({ smtpUrl: 'smtp://127.0.0.1:1', from: 'handoff@example.com', timeoutMs: 2_000 });
    const err = await mailer.verify().catch((e: unknown) => e);
    expect((err as ConnectorError).failure.kind).toBe('transient');
    expect(classifySmtpError({ responseCode: 535, message: 'auth failed' }).kind).toBe('auth');
  });
});
