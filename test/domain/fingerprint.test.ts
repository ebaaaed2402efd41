import { describe, expect, it } from 'vitest';
import { fingerprintText } from '../../src/domain/fingerprint.js';

describe('fingerprintText', () => {
  it('gives equal texts equal prints and tells near-identical texts apart', () => {
    const text = JSON.stringify({ kind: 'escalated', lead: 'Jane Doe', history: ['alice', 'bruno'] });
    expect(fingerprintText(text)).toBe(fingerprintText(`${text}`));
    const prints = new Set<string>();
    for (let i = 0; i < 5_000; i++) prints.add(fingerprintText(`${text}${i}`));
    prints.add(fingerprintText(text.replace('alice', 'alicf')));
    prints.add(fingerprintText(text.replace('Jane', 'Jand')));
    prints.add(fingerprintText(''));
    expect(prints.size).toBe(5_003);
  });
});
