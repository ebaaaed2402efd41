// The one HTML escaper. Its copies drifted apart on ' and ` (and one left ' raw inside HubSpot notes); this
// table pins every character that can end a text node or a quoted attribute value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/domain/escape-html.js';

const TABLE: Array<[input: string, escaped: string]> = [
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&quot;'],
  ["'", '&#39;'],
  ['`', '&#96;'],
  ['&amp;', '&amp;amp;'],
  ['plain text, ümlauts and emoji 🙂', 'plain text, ümlauts and emoji 🙂'],
  ['', ''],
  [`<img src=x onerror="alert('1')">`, '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;'],
  ["O'Brien & Sons <sales@obrien.example>", 'O&#39;Brien &amp; Sons &lt;sales@obrien.example&gt;'],
];

const DECODE: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&#96;': '`',
};

describe('escapeHtml', () => {
  it.each(TABLE)('escapes %j as %j', (input, escaped) => {
    expect(escapeHtml(input)).toBe(escaped);
  });

  it('leaves nothing that could close a text node or an attribute in either quotes, and loses nothing', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('&', '<', '>', '"', "'", '`', ';', '#', 'a', '3', ' ') }),
        (text) => {
          const out = escapeHtml(text);
          expect(out).not.toMatch(/[<>"'`]/);
          // Every & starts one of our entities, so decoding gives the input back.
          expect(out).not.toMatch(/&(?!(?:amp|lt|gt|quot|#39|#96);)/);
          expect(out.replace(/&(?:amp|lt|gt|quot|#39|#96);/g, (e) => DECODE[e] as string)).toBe(text);
        },
      ),
    );
  });
});
