// Signed decision links: what is signed comes back as it was; any change to a token, another secret, another
// shape or a past deadline does not.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decisionUrl, signLink, verifyLink, type DecisionLink } from '../../../connectors/email/email.links.js';

const SECRET = 'a-link-secret-of-at-least-32-characters!';
const NOW = Date.UTC(2026, 11, 7, 13, 0);
const EXP = NOW + 30 * 60_000;

const LINKS: DecisionLink[] = [
  { action: 'accept', offerId: 'of_1', personId: 'alice', exp: EXP },
  { action: 'reject', offerId: 'of_1', personId: 'alice', exp: EXP },
  { action: 'claim', handoffId: 'ho_9', personId: 'bruno', exp: EXP },
  { action: 'assign', handoffId: 'ho_9', personId: 'maria', repId: 'bruno', exp: EXP },
];

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Signs any payload the way the links module does: a valid signature over a shape we never make. */
function signRaw(payload: unknown): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  const sig = createHmac('sha256', SECRET).update('handoff.email-link.v1\n').update(body).digest('base64url');
  return `${body}.${sig}`;
}

describe('email decision links', () => {
  it.each(LINKS)('gives back a signed $action link as it was', (link) => {
    const token = signLink(link, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyLink(token, SECRET, NOW)).toEqual({ ok: true, link });
  });

  it('refuses every token with one character changed, anywhere', () => {
    for (const link of LINKS) {
      const token = signLink(link, SECRET);
      for (let i = 0; i < token.length; i++) {
        const c = token[i] as string;
        // Two replacements per position: a neighbour in the alphabet and a character outside it.
        const other = c === '.' ? 'A' : B64URL[(B64URL.indexOf(c) + 1) % B64URL.length]!;
        for (const r of [other, '.']) {
          if (r === c) continue;
          const tampered = `${token.slice(0, i)}${r}${token.slice(i + 1)}`;
          expect(verifyLink(tampered, SECRET, NOW), `${link.action} at ${i} → ${r}`).toEqual({
            ok: false,
            problem: 'bad',
          });
        }
      }
    }
  });

  it('refuses a token cut short, lengthened, or signed with another secret', () => {
    const token = signLink(LINKS[0]!, SECRET);
    const bad = { ok: false, problem: 'bad' };
    expect(verifyLink(token.slice(0, -1), SECRET, NOW)).toEqual(bad);
    expect(verifyLink(`${token}A`, SECRET, NOW)).toEqual(bad);
    expect(verifyLink(`A${token}`, SECRET, NOW)).toEqual(bad);
    expect(verifyLink(token.split('.')[0]!, SECRET, NOW)).toEqual(bad);
    expect(verifyLink('', SECRET, NOW)).toEqual(bad);
    expect(verifyLink(signLink(LINKS[0]!, `${SECRET}x`), SECRET, NOW)).toEqual(bad);
  });

  it('refuses a correctly signed payload that is not exactly a link', () => {
    const bad = { ok: false, problem: 'bad' };
    const e = EXP;
    for (const payload of [
      { a: 'A', o: 'of_1', p: 'alice', e, x: 1 }, // an extra key
      { a: 'A', o: 'of_1', h: 'ho_1', p: 'alice', e }, // an offer and a hand-off
      { a: 'A', h: 'ho_1', p: 'alice', e }, // accept without an offer
      { a: 'S', h: 'ho_1', p: 'maria', e }, // assign without a rep
      { a: 'C', h: 'ho_1', p: 'bruno', r: 'x', e }, // claim with a rep
      { a: 'X', o: 'of_1', p: 'alice', e }, // unknown action
      { a: 'A', o: 'of_1', p: '', e }, // empty person
      { a: 'A', o: 7, p: 'alice', e }, // a number for an id
      { a: 'A', o: 'of_1', p: 'alice', e: '1' }, // a string for the deadline
      { a: 'A', o: 'of_1', p: 'alice', e: 1.5 },
      ['A', 'of_1', 'alice', e],
      null,
    ]) {
      expect(verifyLink(signRaw(payload), SECRET, NOW), JSON.stringify(payload)).toEqual(bad);
    }
    expect(verifyLink(signRaw({ a: 'A', o: 'of_1', p: 'alice', e }), SECRET, NOW).ok).toBe(true);
  });

  it('is valid up to its deadline and expired after it, still saying what it was for', () => {
    const token = signLink(LINKS[0]!, SECRET);
    expect(verifyLink(token, SECRET, EXP).ok).toBe(true);
    expect(verifyLink(token, SECRET, EXP + 1)).toEqual({ ok: false, problem: 'expired', link: LINKS[0] });
  });

  it('will not sign with a short secret', () => {
    expect(() => signLink(LINKS[0]!, 'short')).toThrow(/at least 32/);
  });

  it('points at /email/decide under the public URL', () => {
    expect(decisionUrl('https://handoff.example.com/', 'abc.def')).toBe(
      'https://handoff.example.com/email/decide?t=abc.def',
    );
    expect(decisionUrl('https://example.com/handoff', 'abc.def')).toBe(
      'https://example.com/handoff/email/decide?t=abc.def',
    );
  });
});
