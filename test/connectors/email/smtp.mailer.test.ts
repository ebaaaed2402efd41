import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpMailer, classifySmtpError } from '../../../connectors/email/smtp.mailer.js';
import { ConnectorError } from '../../../src/ports/failure.js';
import { makeDoc } from '../../helpers/builders.js';
import { parseMail } from '../../helpers/mime.js';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.js';

describe('SMTP mailer against a real SMTP server', () => {
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  it('sends a mail rendered before it was queued, both parts, to every recipient', async () => {
    const mailer = createSmtpMailer({
      smtpUrl: `smtp://127.0.0.1:${sink.port}`,
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
    const mail = sink.received.at(-1)!;
    expect(mail.from).toBe('handoff@example.com');
    expect(mail.to).toEqual(['maria@example.com', 'ops@example.com']);
    expect(mail.raw).toContain('Subject: Escalated lead: Jane');
    expect(mail.raw).toContain('Plain body 42');
    expect(mail.raw).toContain('<p>HTML body 42</p>');
  });

  it('lays a document out itself and sends both parts', async () => {
    const mailer = createSmtpMailer({ smtpUrl: `smtp://127.0.0.1:${sink.port}`, from: 'handoff@example.com' });
    await mailer.sendDoc(['mkt@example.com'], makeDoc());
    mailer.close();
    const last = sink.received.at(-1)!;
    const mail = parseMail(last.raw, last.to);
    expect(mail.to).toEqual(['mkt@example.com']);
    expect(mail.subject).toBe('[handoff] Daily digest 2026-11-03: 2 MQLs, 0.0% MQL→SAL');
    expect(mail.text).toContain('Bruno Keller     1     0     5m 00s  100.0%');
    expect(mail.html).toContain('<li>a &lt;b&gt; &amp; &quot;c&quot;</li>');
  });

  it('classifies a temporary refusal as transient and a permanent one as invalid', async () => {
    const mailer = createSmtpMailer({ smtpUrl: `smtp://127.0.0.1:${sink.port}`, from: 'handoff@example.com' });
    sink.refuseNext(451);
    const temporary = await mailer
      .send({ to: ['a@example.com'], subject: 's', text: 't', html: 'h' })
      .catch((e: unknown) => e);
    expect(temporary).toBeInstanceOf(ConnectorError);
    expect((temporary as ConnectorError).failure.kind).toBe('transient');
    sink.refuseNext(550);
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
