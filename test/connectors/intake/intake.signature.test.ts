import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  signIntake,
  verifyIntakeSignature,
  verifyMauticSignature,
} from '../../../connectors/intake/intake.signature.js';

const SECRET = 'shh';
const NOW = Date.UTC(2026, 11, 7, 9, 0, 0);
const body = Buffer.from('{"email":"a@b.example"}');

/** What a sender computes with openssl: printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$secret". */
function senderHeaders(ts: number, raw = body, secret = SECRET): Record<string, string> {
  const hex = createHmac('sha256', secret)
    .update(`${ts}.${raw.toString('utf8')}`)
    .digest('hex');
  return { 'x-handoff-timestamp': String(ts), 'x-handoff-signature': `sha256=${hex}` };
}

describe('intake signature (X-Handoff-Timestamp / X-Handoff-Signature)', () => {
  const ts = NOW / 1000;
  it('accepts what a sender computes, and our signer computes the same', () => {
    expect(verifyIntakeSignature({ headers: senderHeaders(ts), rawBody: body, secret: SECRET, now: NOW })).toEqual({
      ok: true,
    });
    const ours = signIntake(SECRET, body, NOW);
    expect(ours['X-Handoff-Signature']).toBe(senderHeaders(ts)['x-handoff-signature']);
  });

  it.each([
    ['missing signature', { 'x-handoff-timestamp': String(ts) }, /missing X-Handoff-Signature/],
    ['missing timestamp', { 'x-handoff-signature': senderHeaders(ts)['x-handoff-signature'] }, /X-Handoff-Timestamp/],
    ['timestamp in ms', { ...senderHeaders(ts), 'x-handoff-timestamp': String(NOW) }, /malformed/],
    ['stale (5 min 1 s old)', senderHeaders(ts - 301), /stale/],
    ['from the future (5 min 1 s ahead)', senderHeaders(ts + 301), /future/],
    ['wrong secret', senderHeaders(ts, body, 'other'), /mismatch/],
    ['another body', senderHeaders(ts, Buffer.from('{}')), /mismatch/],
  ])('refuses %s', (_label, headers, reason) => {
    const check = verifyIntakeSignature({ headers, rawBody: body, secret: SECRET, now: NOW });
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toMatch(reason);
  });

  it('accepts the edges of the window', () => {
    for (const t of [ts - 300, ts + 300])
      expect(verifyIntakeSignature({ headers: senderHeaders(t), rawBody: body, secret: SECRET, now: NOW }).ok).toBe(
        true,
      );
  });
});

describe('Mautic Webhook-Signature', () => {
  const sig = createHmac('sha256', SECRET).update(body).digest('base64');
  it('accepts base64 HMAC-SHA256 of the raw body', () => {
    expect(verifyMauticSignature({ headers: { 'Webhook-Signature': sig }, rawBody: body, secret: SECRET }).ok).toBe(
      true,
    );
  });
  it('refuses a missing, hex or wrong-secret signature', () => {
    const hex = createHmac('sha256', SECRET).update(body).digest('hex');
    const other = createHmac('sha256', 'x').update(body).digest('base64');
    for (const headers of [{}, { 'webhook-signature': hex }, { 'webhook-signature': other }])
      expect(verifyMauticSignature({ headers, rawBody: body, secret: SECRET }).ok).toBe(false);
  });
});
