// A real SMTP server receives an alert and a digest, queued by the use cases and carried by the
// outbox through the nodemailer mailer: subject, recipients and key figures in the text and HTML parts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpMailer } from '../../../connectors/email/smtp.mailer.js';
import { evaluateAlerts } from '../../../src/app/alerts.js';
import { sendDueDigest } from '../../../src/app/digests.js';
import { createJobHandlers } from '../../../src/app/job-handlers.js';
import { silentLogger } from '../../../src/ports/logger.js';
import { createOutbox } from '../../../src/runtime/outbox.js';
import { createMemoryStore } from '../../../src/store/index.js';
import { createStoreMetricsReader } from '../../../src/store/metrics-memory.js';
import { createHarness, FakeSlack } from '../../helpers/app-harness.js';
import { seedGolden } from '../../helpers/golden.js';
import { parseMail } from '../../helpers/mime.js';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.js';

describe('alert and digest emails over SMTP', () => {
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  it('delivers a conversion-drop alert and the marketing digest through the outbox', async () => {
    const store = createMemoryStore();
    await seedGolden(store);
    // Sunday 15 Nov 12:00 UTC: the 7-day window [8 Nov 12:00, 15 Nov 12:00) holds H6–H12 and H14:
    // 8 MQLs, SALs H8 H9 H14 → 37.5% < 60%
    const h = createHarness(store, undefined, Date.UTC(2026, 10, 15, 12, 0));
    const mailer = createSmtpMailer({
      smtpUrl: `smtp://127.0.0.1:${sink.port}`,
      from: 'Lead hand-off <handoff@example.com>',
    });
    const outbox = createOutbox({
      store,
      clock: h.clock,
      logger: silentLogger,
      handlers: createJobHandlers(h.deps, { source: null, notifier: new FakeSlack(), crm: h.crm, mailer }),
      workerId: 'mail-test',
    });
    const metrics = createStoreMetricsReader(store);
    const tick = await evaluateAlerts({
      store,
      metrics,
      clock: h.clock,
      settings: h.deps.settings,
      logger: silentLogger,
      rules: {
        backlog: null,
        lull: null,
        rejectionSpike: null,
        conversion: { window: 7 * 86_400_000, belowPercent: 60, minMqls: 5 },
        cooldown: 7_200_000,
        quietHours: null,
        timezone: 'UTC',
      },
    });
    expect(tick.fired.sort()).toEqual(['conversion_drop', 'unroutable']); // H12 waits unroutable
    h.clock.set(Date.UTC(2026, 10, 16, 9, 1));
    const digest = await sendDueDigest(
      { store, metrics, clock: h.clock, settings: h.deps.settings, logger: silentLogger },
      { name: 'marketing', timezone: 'UTC', via: ['email'], matches: () => false },
      Date.UTC(2026, 10, 16, 9, 0), // the cron fired at Monday 09:00
    );
    expect(digest.kind).toBe('sent');
    await outbox.drain(20);
    mailer.close();
    expect(await store.countJobs('pending')).toBe(0);

    const received = sink.received.map((m) => parseMail(m.raw, m.to));
    const alert = received.find((m) => m.subject.startsWith('[handoff] Warning: MQL'))!;
    expect(alert.to).toEqual(['maria@example.com']);
    expect(alert.subject).toBe('[handoff] Warning: MQL→SAL dropped to 37.5% over the last 7d 00h (threshold 60%)');
    expect(alert.text).toMatch(/MQLs in the window:\s+8/);
    expect(alert.text).toMatch(/Settled:\s+8/);
    expect(alert.text).toMatch(/SALs:\s+3/);
    expect(alert.html).toContain('>37.5%</td>');
    expect(alert.html).toContain('>8</td>');

    const weekly = received.find((m) => m.subject.startsWith('[handoff] Weekly'))!;
    expect(weekly.to).toEqual(['mkt@example.com']);
    expect(weekly.subject).toBe('[handoff] Weekly marketing digest 2026-11-09 – 2026-11-15: 37.5% MQL→SAL');
    expect(weekly.text).toMatch(/REFERRAL\s+2\s+2\s+100\.0%/);
    expect(weekly.text).toContain('“student”');
    expect(weekly.html).toContain('>REFERRAL</td>');
    expect(weekly.html).toContain('>100.0%</td>');
    expect(received.map((m) => m.subject).sort()).toEqual([
      '[handoff] Alert: 1 lead no rule, team or fallback could take',
      alert.subject,
      weekly.subject,
    ]);
  });
});
