import { describe, expect, it } from 'vitest';
import { adaptiveCardHtml, cardText } from '../../src/cli/demo/adaptive-card-html.js';
import { buildLeadCard, buildOfferCard } from '../../connectors/teams/teams.cards.js';
import { REASONS, escalation, offerCard } from '../connectors/teams/cards-fixtures.js';

const OPTIONS = {
  action: '/demo/teams/execute',
  id: 'act-1',
  hidden: { conversation: 'a:alice-chat', activity: 'act-1', user: 'aad-alice' },
};

/** Each <form …>…</form> with its id and hidden fields. */
function forms(html: string): Array<{ id: string; action: string; fields: Record<string, string> }> {
  return [...html.matchAll(/<form id="([^"]+)" method="post" action="([^"]+)"[^>]*>(.*?)<\/form>/g)].map((m) => ({
    id: m[1] as string,
    action: m[2] as string,
    fields: Object.fromEntries(
      [...(m[3] as string).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((f) => [f[1], f[2]]),
    ),
  }));
}

/** The form an input named `name` is posted with (its `form` attribute), or null. */
function formOf(html: string, name: string): string | null {
  const tag = new RegExp(`<(?:select|textarea|input)[^>]*name="${name}"[^>]*>`).exec(html)?.[0];
  if (tag === undefined) throw new Error(`no input ${name}`);
  return /form="([^"]+)"/.exec(tag)?.[1] ?? null;
}

const unescape = (s: string): string =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe('Adaptive Card to HTML', () => {
  it('renders the offer card: text escaped, facts, the deadline in bold', () => {
    const html = adaptiveCardHtml(
      buildOfferCard(offerCard(), { reasons: REASONS, refreshUserIds: ['29:alice'] }),
      OPTIONS,
    );
    expect(html).toContain('New lead: Jane Doe (Acme &lt;GmbH&gt;)');
    expect(html).not.toContain('<GmbH>');
    expect(html).toContain('<dt>Country</dt><dd>DE</dd>');
    expect(html).toContain('<dt>Budget</dt><dd>unknown</dd>');
    expect(html).toContain('⏰ Accept or reject by <strong>Wed 25 Nov, 14:30 CET</strong>');
    expect(html).toContain(
      '<a class="ac-button" href="https://app.hubspot.com/contacts/42/record/0-1/101" target="_blank" rel="noopener noreferrer">Open in CRM</a>',
    );
  });

  it('makes Accept a form post with the verb, the data and the caller hidden fields', () => {
    const html = adaptiveCardHtml(buildOfferCard(offerCard(), { reasons: REASONS, refreshUserIds: [] }), OPTIONS);
    const [accept, reject] = forms(html);
    expect(accept?.action).toBe('/demo/teams/execute');
    expect(accept?.fields).toEqual({
      conversation: 'a:alice-chat',
      activity: 'act-1',
      user: 'aad-alice',
      verb: 'accept',
      data: '{&quot;offerId&quot;:&quot;offer-123&quot;}',
    });
    expect(JSON.parse(unescape(accept?.fields.data ?? ''))).toEqual({ offerId: 'offer-123' });
    expect(reject?.fields.verb).toBe('reject');
    expect(forms(html)).toHaveLength(2);
  });

  it('puts Reject in a <details> whose reason and note post with the Reject form', () => {
    const html = adaptiveCardHtml(buildOfferCard(offerCard(), { reasons: REASONS, refreshUserIds: [] }), OPTIONS);
    expect(html).toMatch(/<details class="ac-showcard"><summary class="ac-button">Reject…<\/summary>.*<\/details>/);
    const details = /<details.*<\/details>/.exec(html)?.[0] ?? '';
    const reject = forms(details)[0];
    expect(reject?.fields.verb).toBe('reject');
    expect(formOf(html, 'reason')).toBe(reject?.id);
    expect(formOf(html, 'note')).toBe(reject?.id);
    expect(html).toContain('<option value="other">Other (note required)</option>');
    expect(html).toMatch(/<select [^>]*name="reason"[^>]*required>/);
    expect(html).toMatch(/<textarea [^>]*name="note"[^>]*maxlength="3000"/);
    // No form inside another form: each closes before the next opens.
    expect(html.match(/<form /g)?.length).toBe(html.match(/<\/form>/g)?.length);
    expect(/<form [^>]*>(?:(?!<\/form>).)*<form /.test(html)).toBe(false);
  });

  it("posts the managers' rep choice with Assign, and gives Claim no inputs", () => {
    const managers = adaptiveCardHtml(
      buildLeadCard({ kind: 'escalated', post: escalation() }, 'managers', 'UTC'),
      OPTIONS,
    );
    const [assign] = forms(managers);
    expect(assign?.fields.verb).toBe('assign');
    expect(formOf(managers, 'repId')).toBe(assign?.id);
    expect(managers).toContain('<option value="bruno">Bruno Costa</option>');
    const team = adaptiveCardHtml(buildLeadCard({ kind: 'escalated', post: escalation() }, 'team', 'UTC'), OPTIONS);
    expect(forms(team).map((f) => f.fields.verb)).toEqual(['claim']);
  });

  it('gives two cards on one page different form ids', () => {
    const card = buildOfferCard(offerCard(), { reasons: REASONS, refreshUserIds: [] });
    const a = forms(adaptiveCardHtml(card, { ...OPTIONS, id: 'act-1' })).map((f) => f.id);
    const b = forms(adaptiveCardHtml(card, { ...OPTIONS, id: 'act-2' })).map((f) => f.id);
    expect(a.some((id) => b.includes(id))).toBe(false);
    expect(new Set(a).size).toBe(a.length);
  });

  it('escapes or drops whatever a hostile card carries', () => {
    const hostile = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        { type: 'TextBlock', text: '<script>alert(1)</script> **<b>x</b>**', size: 'large" onclick="x', color: 'good' },
        { type: 'FactSet', facts: [{ title: '<i>t</i>', value: '"><img src=x onerror=alert(1)>' }] },
        { type: 'Image', url: 'javascript:alert(1)', altText: 'x' },
        { type: 'Image', url: 'https://example.com/a.png', altText: '"><script>' },
        { type: 'Media', sources: [] },
        { type: 'Input.Text', id: 'n"><script>', label: '<b>', placeholder: '"' },
        { type: 'Container', style: 'emphasis', items: [{ type: 'TextBlock', text: 'inside & out' }] },
      ],
      actions: [
        { type: 'Action.OpenUrl', title: 'Go', url: 'javascript:alert(1)' },
        {
          type: 'Action.Execute',
          title: '<b>Do</b>',
          verb: 'accept"><x',
          data: { offerId: '"><script>alert(1)</script>' },
        },
        { type: 'Action.Submit', title: 'Old', data: {} },
      ],
    };
    const html = adaptiveCardHtml(hostile, { ...OPTIONS, id: '"><x', hidden: { 'a"b': '<&>' } });
    expect(html).not.toMatch(/<script|<img src=x|<b>|<i>|javascript:|onclick=|<x/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; <strong>&lt;b&gt;x&lt;/b&gt;</strong>');
    expect(html).toContain('class="ac-text ac-color-good"');
    expect(html).toContain('<img class="ac-image" src="https://example.com/a.png" alt="&quot;&gt;&lt;script&gt;">');
    expect(html).toContain(
      '<div class="ac-container ac-style-emphasis"><div class="ac-text">inside &amp; out</div></div>',
    );
    expect(html).not.toContain('Old');
    expect(html).not.toContain('>Go<');
    const [form] = forms(html);
    expect(form?.id).toMatch(/^ac-___x-f\d+$/);
    expect(form?.fields['a&quot;b']).toBe('&lt;&amp;&gt;');
    expect(JSON.parse(unescape(form?.fields.data ?? ''))).toEqual({ offerId: '"><script>alert(1)</script>' });
  });

  it('renders nothing for what is not a card', () => {
    expect(adaptiveCardHtml(null, OPTIONS)).toBe('');
    expect(adaptiveCardHtml({ type: 'HeroCard' }, OPTIONS)).toBe('');
    expect(adaptiveCardHtml([], OPTIONS)).toBe('');
  });

  it('turns line breaks into <br> after escaping', () => {
    expect(cardText('a & b\n**c**')).toBe('a &amp; b<br><strong>c</strong>');
  });
});
