// Signed decision links in emails: `${publicUrl}/email/decide?t=<token>`. A token is
// `<base64url JSON payload>.<base64url HMAC-SHA256>` made with `email.linkSecret` for ONE recipient and one
// action (accept or reject an offer, claim or assign an escalated hand-off), valid until `exp`. It carries no
// authority of its own: the action still checks that this person may decide (HandoffActions), and a GET of the
// link only shows a confirm page (email.decisions.ts).
import { createHmac } from 'node:crypto';
import type { Millis } from '../../src/domain/model.js';
import { safeEqual } from '../../src/runtime/signed-request.js';

export type LinkAction = 'accept' | 'reject' | 'claim' | 'assign';

export type DecisionLink =
  | { action: 'accept'; offerId: string; personId: string; exp: Millis }
  | { action: 'reject'; offerId: string; personId: string; exp: Millis }
  | { action: 'claim'; handoffId: string; personId: string; exp: Millis }
  | { action: 'assign'; handoffId: string; personId: string; repId: string; exp: Millis };

export type LinkCheck =
  | { ok: true; link: DecisionLink }
  /** `bad`: not a token we made (malformed, wrong signature, wrong shape); `expired`: ours, but past `exp`. */
  | { ok: false; problem: 'bad' }
  | { ok: false; problem: 'expired'; link: DecisionLink };

/** How long claim/assign links in escalation emails stay valid (an escalation has no deadline of its own). */
export const ESCALATION_LINK_TTL_MS = 7 * 24 * 3600_000;
/** The shortest `email.linkSecret` we sign with. */
export const MIN_LINK_SECRET_LENGTH = 32;
/** Longest token we look at (a real one is about 200 characters). */
export const MAX_TOKEN_LENGTH = 1024;
const MAX_ID_LENGTH = 200;

// Domain separation: the same secret also signs the CSRF form tokens of the decision pages.
const LINK_CONTEXT = 'handoff.email-link.v1\n';

/** Throws when the secret is missing or too short to sign links with. */
export function checkLinkSecret(secret: string): void {
  if (secret.length < MIN_LINK_SECRET_LENGTH)
    throw new Error(`email.linkSecret must be at least ${MIN_LINK_SECRET_LENGTH} characters`);
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(LINK_CONTEXT).update(body).digest('base64url');
}

/** Compact wire form: short keys, one letter per action. */
interface Wire {
  a: 'A' | 'R' | 'C' | 'S';
  o?: string;
  h?: string;
  p: string;
  r?: string;
  e: number;
}

const ACTION_CODE: Record<LinkAction, Wire['a']> = { accept: 'A', reject: 'R', claim: 'C', assign: 'S' };

function toWire(link: DecisionLink): Wire {
  const a = ACTION_CODE[link.action];
  switch (link.action) {
    case 'accept':
    case 'reject':
      return { a, o: link.offerId, p: link.personId, e: link.exp };
    case 'claim':
      return { a, h: link.handoffId, p: link.personId, e: link.exp };
    case 'assign':
      return { a, h: link.handoffId, p: link.personId, r: link.repId, e: link.exp };
  }
}

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;

function sameKeys(o: object, keys: readonly string[]): boolean {
  const have = Object.keys(o).sort();
  const want = [...keys].sort();
  return have.length === want.length && have.every((k, i) => k === want[i]);
}

/** The link a wire payload describes, or null unless it has exactly the keys and types of its action. */
function fromWire(w: unknown): DecisionLink | null {
  if (typeof w !== 'object' || w === null || Array.isArray(w)) return null;
  const v = w as Record<string, unknown>;
  if (!isId(v.p) || typeof v.e !== 'number' || !Number.isSafeInteger(v.e) || v.e <= 0) return null;
  const personId = v.p;
  const exp = v.e;
  switch (v.a) {
    case 'A':
    case 'R':
      if (!sameKeys(v, ['a', 'o', 'p', 'e']) || !isId(v.o)) return null;
      return v.a === 'A'
        ? { action: 'accept', offerId: v.o, personId, exp }
        : { action: 'reject', offerId: v.o, personId, exp };
    case 'C':
      if (!sameKeys(v, ['a', 'h', 'p', 'e']) || !isId(v.h)) return null;
      return { action: 'claim', handoffId: v.h, personId, exp };
    case 'S':
      if (!sameKeys(v, ['a', 'h', 'p', 'r', 'e']) || !isId(v.h) || !isId(v.r)) return null;
      return { action: 'assign', handoffId: v.h, personId, repId: v.r, exp };
    default:
      return null;
  }
}

/** A token for this link, signed with the secret. */
export function signLink(link: DecisionLink, secret: string): string {
  checkLinkSecret(secret);
  const body = Buffer.from(JSON.stringify(toWire(link)), 'utf8').toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Checks a token: our signature (compared in constant time), the exact shape, and `exp` against `now`. */
export function verifyLink(token: string, secret: string, now: Millis): LinkCheck {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)
    return { ok: false, problem: 'bad' };
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, problem: 'bad' };
  const body = token.slice(0, dot);
  const sig = token.slice(dot + 1);
  if (!B64URL.test(body) || !B64URL.test(sig)) return { ok: false, problem: 'bad' };
  if (!safeEqual(sig, mac(secret, body))) return { ok: false, problem: 'bad' };
  // Signed by us, so the bytes are ours; still, only the exact canonical encoding passes (no padding variants).
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.toString('base64url') !== body) return { ok: false, problem: 'bad' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, problem: 'bad' };
  }
  const link = fromWire(parsed);
  if (link === null) return { ok: false, problem: 'bad' };
  if (now > link.exp) return { ok: false, problem: 'expired', link };
  return { ok: true, link };
}

/** The decision page address of a token: `${publicUrl}/email/decide?t=<token>`. */
export function decisionUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/email/decide?t=${encodeURIComponent(token)}`;
}

/** Signs the link and answers its decision page address. */
export function linkUrl(publicUrl: string, secret: string, link: DecisionLink): string {
  return decisionUrl(publicUrl, signLink(link, secret));
}
