// POST /intake/<source-id>: verify the signature, read the leads, and answer 202 only once every MQL
// among them is stored (with its routing job) — so a sender that got 202 may forget the delivery.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Lead } from '../../src/domain/model.js';
import type { Logger } from '../../src/ports/logger.js';
import type { IntakeSourceConfig } from '../../src/config/index.js';
import { readBody } from '../../src/runtime/read-body.js';
import { parseGenericIntake, parseMauticWebhook, type IntakeParse } from './intake.payload.js';
import { verifyIntakeSignature, verifyMauticSignature } from './intake.signature.js';

export const MAX_INTAKE_BODY = 1024 * 1024;

/**
 * What storing one lead came to: a new hand-off, a delivery key seen before (`duplicate`), or a person who already
 * has an open hand-off (`already_open`).
 */
export interface StoredLead {
  /** in_progress: another replica holds this key right now (answered 503, the sender retries). */
  status: 'stored' | 'duplicate' | 'already_open' | 'in_progress';
  handoffId: string | null;
}

export interface IntakeHandlerOptions {
  source: IntakeSourceConfig;
  /** Stores the leads (in order) durably; resolves once they are committed. */
  store(leads: Lead[]): Promise<StoredLead[]>;
  logger: Logger;
  now?: () => number;
  maxBodyBytes?: number;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function createIntakeHandler(
  options: IntakeHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { source } = options;
  const log = options.logger.child({ component: 'intake', source: source.id });
  const now = options.now ?? Date.now;
  const limit = options.maxBodyBytes ?? MAX_INTAKE_BODY;

  return async (req, res) => {
    let raw: Buffer | null;
    try {
      raw = await readBody(req, limit);
    } catch (err) {
      log.warn({ err }, 'intake request stream failed');
      return;
    }
    if (raw === null) {
      log.warn({ limit }, 'intake delivery too large');
      reply(res, 413, { ok: false, error: `body larger than ${limit} bytes` });
      return;
    }
    const at = now();
    const check =
      source.preset === 'mautic'
        ? verifyMauticSignature({ headers: req.headers, rawBody: raw, secret: source.secret })
        : verifyIntakeSignature({ headers: req.headers, rawBody: raw, secret: source.secret, now: at });
    if (!check.ok) {
      log.warn({ reason: check.reason }, 'intake delivery rejected: signature');
      reply(res, 401, { ok: false, error: check.reason });
      return;
    }
    const parsed: IntakeParse =
      source.preset === 'mautic'
        ? parseMauticWebhook(source, raw, at)
        : parseGenericIntake(source, raw, req.headers, at);
    if (!parsed.ok) {
      log.warn({ reason: parsed.reason, field: parsed.field }, 'intake delivery rejected: payload');
      reply(res, parsed.status, { ok: false, error: parsed.reason, ...(parsed.field ? { field: parsed.field } : {}) });
      return;
    }
    const leads = parsed.items.flatMap((i) => (i.kind === 'lead' ? [i.lead] : []));
    const stored = leads.length > 0 ? await options.store(leads) : [];
    let next = 0;
    const results = parsed.items.map((item) => {
      if (item.kind === 'not_mql') return { index: item.index, key: item.key, status: 'not_mql', why: item.why };
      const s = stored[next++];
      return { index: item.index, key: item.key, status: s?.status ?? 'stored', handoffId: s?.handoffId ?? null };
    });
    const count = (status: string): number => results.filter((r) => r.status === status).length;
    const summary = {
      received: results.length,
      stored: count('stored'),
      duplicates: count('duplicate'),
      alreadyOpen: count('already_open'),
      notMql: count('not_mql'),
    };
    // A key another replica is storing right now: not known to be stored yet, so the sender must send it again.
    if (results.some((r) => r.status === 'in_progress')) {
      log.info(summary, 'intake delivery overlaps one being stored: retry');
      if (!res.headersSent) res.setHeader('retry-after', '5');
      reply(res, 503, {
        ok: false,
        error: 'a copy of this delivery is being stored right now; send it again',
        ...summary,
        results,
      });
      return;
    }
    // Nothing new among MQLs that were all seen before: a replay. 409 tells the sender not to send it again.
    if (stored.length > 0 && summary.stored === 0) {
      log.info(summary, 'intake delivery replayed: nothing new');
      reply(res, 409, { ok: false, error: 'already received: no new lead in this delivery', ...summary, results });
      return;
    }
    log.info(summary, 'intake delivery accepted');
    reply(res, 202, {
      ok: true,
      ...summary,
      ...(parsed.ignoredEvents > 0 ? { ignoredEvents: parsed.ignoredEvents } : {}),
      results,
    });
  };
}
