// Alerts and digests as email: the plain-text part lines up facts and tables, the HTML part escapes
// every piece of text and keeps to tables and inline styles.
import { describe, expect, it } from 'vitest';
import { renderEmail } from '../../../connectors/email/email.templates.js';
import { makeDoc } from '../../helpers/builders.js';

const CELL = 'padding:4px 10px;border-bottom:1px solid #e5e7eb;font-size:14px;';

describe('email layout of a document', () => {
  it('keeps the subject and lines up facts and tables in the text part', () => {
    const mail = renderEmail(makeDoc());
    expect(mail.subject).toBe('[handoff] Daily digest 2026-11-03: 2 MQLs, 0.0% MQL→SAL');
    const lines = mail.text.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '📊 Lead hand-off, 2026-11-03',
      '='.repeat('📊 Lead hand-off, 2026-11-03'.length),
      '',
      'MQLs of 2026-11-03 & what became of them <so far>.',
    ]);
    expect(lines).toContain('MQLs:           2');
    expect(lines).toContain('SLA compliance: 50.0% (1 of 2)');
    expect(mail.text).toContain(
      [
        'Per rep',
        'rep           MQLs  SALs  resp. p50     SLA',
        'Bruno Keller     1     0     5m 00s  100.0%',
        'Carl Diaz       10     0    40m 00s    0.0%',
      ].join('\n'),
    );
    expect(mail.text).not.toContain('Nobody here');
    expect(lines).toContain('- Other: “student” (PAID / fall)');
    expect(lines).toContain('Open the dashboard: https://handoff.example.com/dashboard?a=1&b=2');
    expect(lines).toContain('MQL→SAL = accepted / all MQLs of the period.');
  });

  it('escapes text in the HTML part and aligns numbers right', () => {
    const { html } = renderEmail(makeDoc());
    expect(html).toContain('<title>[handoff] Daily digest 2026-11-03: 2 MQLs, 0.0% MQL→SAL</title>');
    expect(html).toContain('MQLs of 2026-11-03 &amp; what became of them &lt;so far&gt;.');
    expect(html).toContain(`<td style="${CELL}font-weight:bold;">50.0% (1 of 2)</td>`);
    expect(html).toContain(`<td style="${CELL}text-align:left;">Carl Diaz</td>`);
    expect(html).toContain(`<td style="${CELL}text-align:right;">10</td>`);
    expect(html).toContain(`<th style="${CELL}text-align:right;color:#6b7280;font-weight:normal;">SLA</th>`);
    expect(html).not.toContain('Nobody here');
    expect(html).toContain('<li>a &lt;b&gt; &amp; &quot;c&quot;</li>');
    expect(html).toContain('<a href="https://handoff.example.com/dashboard?a=1&amp;b=2" style="color:#2563eb;">');
    expect(html).not.toMatch(/<script|<img|<link|src=/i);
  });

  it('leaves out the parts a document does not have', () => {
    const mail = renderEmail(makeDoc({ intro: [], facts: [], tables: [], notes: null, link: null, footer: null }));
    expect(mail.text).toBe(`📊 Lead hand-off, 2026-11-03\n${'='.repeat(28)}\n`);
    expect(mail.html).not.toMatch(/<h2|<ul|<a |<td style="padding:12px 24px 20px/);
  });
});

describe('email layout with buttons', () => {
  it('draws the buttons after the facts, escaped, and lists the same links in the text part', () => {
    const mail = renderEmail(makeDoc({ notes: null, link: null, footer: null }), {
      buttons: [
        { label: 'Assign to <Bo>', url: 'https://h.example.com/email/decide?t=a"b', tone: 'neutral' },
        { label: 'Claim', url: 'https://h.example.com/email/decide?t=c', tone: 'primary' },
      ],
    });
    expect(mail.html).toContain('href="https://h.example.com/email/decide?t=a&quot;b"');
    expect(mail.html).toContain('>Assign to &lt;Bo&gt;</a>');
    expect(mail.html.indexOf('>Claim</a>')).toBeGreaterThan(mail.html.indexOf('50.0% (1 of 2)'));
    expect(mail.text).toContain(
      'Assign to <Bo>: https://h.example.com/email/decide?t=a"b\nClaim: https://h.example.com/email/decide?t=c\n',
    );
    expect(renderEmail(makeDoc()).html).not.toContain('border-radius:4px');
  });
});
