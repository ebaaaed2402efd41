// Signatures of intake deliveries and of the callbacks we send back.
//
// Generic intake (and our callbacks): `X-Handoff-Timestamp` is the send time in Unix seconds and
// `X-Handoff-Signature` is `sha256=` + hex HMAC-SHA256(secret, `<timestamp>.<raw body>`). The timestamp
// must be within 5 minutes of our clock, either way.
// Mautic: `Webhook-Signature` is base64 HMAC-SHA256(secret, raw body); Mautic signs no time.
import { createHmac } from 'node:crypto';
import { headerValue, safeEqual, type HeaderBag } from '../../src/runtime/signed-request.js';

export const TIMESTAMP_HEADER = 'x-handoff-timestamp';
export const SIGNATURE_HEADER = 'x-handoff-signature';
export const MAUTIC_SIGNATURE_HEADER = 'webhook-signature';
export const SIGNATURE_WINDOW_MS = 5 * 60_000;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

function hmac(secret: string, text: string | Buffer, encoding: 'hex' | 'base64'): string {
  return createHmac('sha256', secret).update(text).digest(encoding);
}

/** The two headers that sign `body` at `nowMs` (what a sender computes; our callbacks use it too). */
export function signIntake(secret: string, body: string | Buffer, nowMs: number): Record<string, string> {
  const ts = String(Math.floor(nowMs / 1000));
  const signed = Buffer.concat([Buffer.from(`${ts}.`, 'utf8'), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
  return { 'X-Handoff-Timestamp': ts, 'X-Handoff-Signature': `sha256=${hmac(secret, signed, 'hex')}` };
}

export function verifyIntakeSignature(input: {
  headers: HeaderBag;
  rawBody: Buffer;
  secret: string;
  now: number;
}): SignatureCheck {
  const ts = headerValue(input.headers, TIMESTAMP_HEADER);
  const sig = headerValue(input.headers, SIGNATURE_HEADER);
  if (sig === undefined || sig === '') return { ok: false, reason: 'missing X-Handoff-Signature header' };
  if (ts === undefined || !/^\d{1,12}$/.test(ts))
    return { ok: false, reason: 'missing or malformed X-Handoff-Timestamp header (Unix seconds)' };
  const age = input.now - Number(ts) * 1000;
  if (age > SIGNATURE_WINDOW_MS) return { ok: false, reason: `stale timestamp (${Math.round(age / 1000)} s old)` };
  if (age < -SIGNATURE_WINDOW_MS)
    return { ok: false, reason: `timestamp in the future (${Math.round(-age / 1000)} s ahead)` };
  const expected = signIntake(input.secret, input.rawBody, Number(ts) * 1000)['X-Handoff-Signature'] as string;
  return safeEqual(expected, sig.trim().toLowerCase()) ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}

/** Mautic's `Webhook-Signature`: base64 HMAC-SHA256 of the raw body. */
export function signMautic(secret: string, body: string | Buffer): string {
  return hmac(secret, body, 'base64');
}

export function verifyMauticSignature(input: { headers: HeaderBag; rawBody: Buffer; secret: string }): SignatureCheck {
  const sig = headerValue(input.headers, MAUTIC_SIGNATURE_HEADER);
  if (sig === undefined || sig === '') return { ok: false, reason: 'missing Webhook-Signature header' };
  return safeEqual(signMautic(input.secret, input.rawBody), sig.trim())
    ? { ok: true }
    : { ok: false, reason: 'signature mismatch' };
}
