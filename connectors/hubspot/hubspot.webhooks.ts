// HubSpot webhook intake: signature verification (v3 with a 5-minute window, v1/v2 fallback), payload parsing and a
// node request handler that answers fast and hands the contact ids on after the response.
import { createHash, createHmac } from 'node:crypto';
import { headerValue, safeEqual, type HeaderBag } from '../../src/runtime/signed-request.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody } from '../../src/runtime/read-body.js';
import type { HubspotLogger } from './hubspot.client.js';

export const SIGNATURE_WINDOW_MS = 5 * 60_000;
export const MAX_WEBHOOK_BODY = 1024 * 1024;

export type SignatureCheck = { ok: true; version: 'v1' | 'v2' | 'v3' } | { ok: false; reason: string };

/**
 * Verifies a HubSpot request signature. `url` is the full URI HubSpot called (scheme, host, path and query), `rawBody`
 * the exact bytes received. v3 headers win when present; otherwise v1/v2 (`X-HubSpot-Signature`) are checked.
 */
export function verifyHubspotSignature(input: {
  method: string;
  url: string;
  rawBody: string | Buffer;
  headers: HeaderBag;
  clientSecret: string;
  now: number;
}): SignatureCheck {
  const body = typeof input.rawBody === 'string' ? input.rawBody : input.rawBody.toString('utf8');
  const v3 = headerValue(input.headers, 'x-hubspot-signature-v3');
  if (v3 !== undefined) {
    const ts = headerValue(input.headers, 'x-hubspot-request-timestamp');
    if (ts === undefined || !/^\d+$/.test(ts))
      return { ok: false, reason: 'missing or malformed X-HubSpot-Request-Timestamp' };
    const age = input.now - Number(ts);
    if (age > SIGNATURE_WINDOW_MS || age < -SIGNATURE_WINDOW_MS)
      return { ok: false, reason: `stale timestamp (${Math.round(age / 1000)} s off)` };
    const expected = createHmac('sha256', input.clientSecret)
      .update(`${input.method.toUpperCase()}${input.url}${body}${ts}`, 'utf8')
      .digest('base64');
    return safeEqual(expected, v3) ? { ok: true, version: 'v3' } : { ok: false, reason: 'v3 signature mismatch' };
  }
  const legacy = headerValue(input.headers, 'x-hubspot-signature');
  if (legacy === undefined) return { ok: false, reason: 'no signature headers' };
  const version = (headerValue(input.headers, 'x-hubspot-signature-version') ?? 'v1').toLowerCase();
  let source: string;
  if (version === 'v1') source = input.clientSecret + body;
  else if (version === 'v2') source = input.clientSecret + input.method.toUpperCase() + input.url + body;
  else return { ok: false, reason: `unsupported signature version ${version}` };
  const expected = createHash('sha256').update(source, 'utf8').digest('hex');
  return safeEqual(expected, legacy.toLowerCase())
    ? { ok: true, version }
    : { ok: false, reason: `${version} signature mismatch` };
}

const webhookEvent = z
  .object({
    objectId: z.union([z.number(), z.string()]).optional(),
    subscriptionType: z.string().optional(),
    eventType: z.string().optional(),
    propertyName: z.string().optional(),
    occurredAt: z.number().optional(),
    primaryObjectId: z.union([z.number(), z.string()]).optional(),
  })
  .loose();
const webhookPayload = z.array(webhookEvent).max(1000);

/** Event types that can turn a contact into an MQL (or change one); deletions are left to the withdrawal check. */
const REREAD = new Set(['contact.propertyChange', 'contact.creation', 'contact.merge', 'contact.restore']);

export type WebhookParse =
  | { ok: true; contactIds: string[]; ignored: number; /** Events in the delivery. */ events: number }
  | { ok: false; reason: string };

/** Contact ids to (re)read from a delivery, deduped, oldest event first; unknown event types are skipped. */
export function parseHubspotWebhook(rawBody: string | Buffer): WebhookParse {
  let json: unknown;
  try {
    json = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const parsed = webhookPayload.safeParse(json);
  if (!parsed.success)
    return { ok: false, reason: `unexpected payload: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  const events = [...parsed.data].sort((a, b) => (a.occurredAt ?? 0) - (b.occurredAt ?? 0));
  const ids = new Set<string>();
  let ignored = 0;
  for (const e of events) {
    const type = e.subscriptionType ?? e.eventType ?? '';
    const id = type === 'contact.merge' ? (e.primaryObjectId ?? e.objectId) : e.objectId;
    if (!REREAD.has(type) || id === undefined || !/^\d+$/.test(String(id))) {
      ignored++;
      continue;
    }
    ids.add(String(id));
  }
  return { ok: true, contactIds: [...ids], ignored, events: events.length };
}

export interface HubspotWebhookHandlerOptions {
  clientSecret: string;
  /** The public base URL HubSpot calls (https://handoff.example.com); the v3 signature covers the full URI. */
  publicUrl?: string;
  onContactIds(ids: string[]): void | Promise<void>;
  logger: HubspotLogger;
  now?: () => number;
  maxBodyBytes?: number;
  /**
   * Deliveries that arrive within this many ms of the previous one (FULL_DELIVERY_GAPS × this after a full
   * delivery of 100 events) are passed on together: HubSpot sends a burst
   * as several concurrent deliveries of up to 100 events (a new MQL is often two events: stage and score), and one
   * set of ids is read in full batches of 100 instead of one partial batch per delivery. The wait ends at
   * 10 × this after the first delivery, or at once at COALESCE_MAX_IDS ids; a set passed on while deliveries still
   * arrive is cut to whole batch reads (multiples of READ_BATCH), and the rest, the newest ids, waits for the next
   * pass (after the next quiet `coalesceMs`, at most 10 × this more). 0 (default) = each delivery alone.
   */
  coalesceMs?: number;
}

/** Ids held for coalescing are passed on at once beyond this many (10 batch reads' worth). */
export const COALESCE_MAX_IDS = 1_000;
/** Contacts one batch read takes: a set cut while deliveries still arrive is cut to a multiple of this. */
export const READ_BATCH = 100;
/**
 * Events HubSpot puts in one delivery at most. A full delivery means a burst is being sent: the quiet gap after it
 * is FULL_DELIVERY_GAPS × `coalesceMs` (within the same bound), so the next delivery of the burst, a little slow
 * to come, still joins the set; a lone MQL's delivery (one or two events) waits the plain gap.
 */
export const DELIVERY_MAX_EVENTS = 100;
export const FULL_DELIVERY_GAPS = 5;

/** The request URI as HubSpot saw it. */
function requestUri(req: IncomingMessage, publicUrl: string | undefined): string {
  const path = req.url ?? '/';
  if (publicUrl) return `${publicUrl.replace(/\/+$/, '')}${path}`;
  const proto =
    headerValue(req.headers, 'x-forwarded-proto')?.split(',')[0]?.trim() ??
    ('encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http');
  const host = headerValue(req.headers, 'x-forwarded-host') ?? headerValue(req.headers, 'host') ?? 'localhost';
  return `${proto}://${host}${path}`;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** POST /webhooks/hubspot: verify, answer, then pass the contact ids on (HubSpot waits at most 5 s). */
export function createHubspotWebhookHandler(
  options: HubspotWebhookHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const log = options.logger.child({ component: 'hubspot-webhook' });
  const now = options.now ?? Date.now;
  const limit = options.maxBodyBytes ?? MAX_WEBHOOK_BODY;
  const coalesceMs = Math.max(0, options.coalesceMs ?? 0);

  const passOn = (ids: string[]): void => {
    Promise.resolve()
      .then(() => options.onContactIds(ids))
      .catch((err: unknown) => log.error({ err, ids: ids.length }, 'hubspot webhook ids could not be queued'));
  };
  // Ids answered for and not yet passed on (insertion order: oldest event first), and when the first of them came.
  const held = new Set<string>();
  let heldSince = 0;
  /** Deliveries whose request came in and is still being read or checked (a burst's concurrent deliveries). */
  let arriving = 0;
  /** Whether the last delivery was full (a burst is under way). */
  let lastFull = false;
  let timer: NodeJS.Timeout | null = null;
  /** Waits for a quiet gap after the last delivery, or for the bound 10 × `coalesceMs` after the first. */
  const arm = (): void => {
    if (timer !== null) clearTimeout(timer);
    const bound = heldSince + 10 * coalesceMs - now();
    const gap = lastFull ? FULL_DELIVERY_GAPS * coalesceMs : coalesceMs;
    const quiet = gap <= bound;
    // A delivery still being read is not quiet: wait on for it (within the bound).
    timer = setTimeout(() => (quiet && arriving > 0 ? arm() : flush(quiet)), quiet ? gap : Math.max(0, bound));
  };
  /**
   * Passes the held ids on. After a quiet gap, all of them; while deliveries still arrive (the bound or the size
   * cap was reached), whole batch reads only, and the newest ids wait for the next pass, where they come first.
   */
  const flush = (quiet: boolean): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (held.size === 0) return;
    const ids = [...held];
    const take = quiet || ids.length < READ_BATCH ? ids.length : ids.length - (ids.length % READ_BATCH);
    const passed = ids.slice(0, take);
    for (const id of passed) held.delete(id);
    console.error();
    passOn(passed);
    if (held.size > 0) {
      heldSince = now();
      arm();
    }
  };
  const hold = (ids: string[], events: number): void => {
    lastFull = events >= DELIVERY_MAX_EVENTS;
    if (held.size === 0) heldSince = now();
    for (const id of ids) held.add(id);
    if (held.size >= COALESCE_MAX_IDS) return flush(false);
    arm();
  };

  return (req, res) => {
    if ((req.method ?? '').toUpperCase() !== 'POST') {
      reply(res, 405, { error: 'method not allowed' });
      return;
    }
    arriving++;
    void readBody(req, limit)
      .then(
        (raw) => {
          if (raw === null) {
            reply(res, 413, { error: 'payload too large' });
            return;
          }
          const check = verifyHubspotSignature({
            method: req.method ?? 'POST',
            url: requestUri(req, options.publicUrl),
            rawBody: raw,
            headers: req.headers,
            clientSecret: options.clientSecret,
            now: now(),
          });
          if (!check.ok) {
            log.warn({ reason: check.reason }, 'hubspot webhook rejected');
            reply(res, 401, { error: 'invalid signature' });
            return;
          }
          const parsed = parseHubspotWebhook(raw);
          if (!parsed.ok) {
            log.warn({ reason: parsed.reason }, 'hubspot webhook malformed');
            reply(res, 400, { error: parsed.reason });
            return;
          }
          reply(res, 200, { received: parsed.contactIds.length });
          if (parsed.contactIds.length === 0) return;
          if (coalesceMs > 0) hold(parsed.contactIds, parsed.events);
          else setImmediate(() => passOn(parsed.contactIds));
        },
        (err: unknown) => log.warn({ err }, 'webhook request stream failed'),
      )
      .finally(() => {
        arriving--;
      });
  };
}
