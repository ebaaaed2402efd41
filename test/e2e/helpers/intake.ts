// Intake in end-to-end tests: config for intake sources, signed deliveries (computed here with node:crypto the way
// a sender or `openssl dgst` would, not with the worker's own signer) and a callback receiver that checks signatures.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const INTAKE_SECRET = 'e2e-intake-secret';
export const MAUTIC_SECRET = 'e2e-mautic-secret';

/** A generic intake source: leads with an eventId, score ≥ 80 is an MQL. */
export function formsSource(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'forms',
    secret: INTAKE_SECRET,
    idempotencyKey: { field: 'eventId' },
    fields: {
      email: 'email',
      firstName: 'person.first',
      lastName: 'person.last',
      company: 'company.name',
      country: 'company.country',
      employees: 'company.size',
      score: 'score',
    },
    mql: { score: { gte: 80 } },
    ...extra,
  };
}

export function mauticSource(threshold = 100): Record<string, unknown> {
  return { id: 'mautic', preset: 'mautic', secret: MAUTIC_SECRET, threshold };
}

export function formLead(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventId: `evt-${n}`,
    email: `intake${n}@acme${n}.example`,
    person: { first: 'Ines', last: `Intake ${n}` },
    company: { name: `Acme ${n}`, country: 'DE', size: 250 },
    score: 85,
    ...overrides,
  };
}

/** The two signature headers for `body` sent at `atMs` (Unix seconds in the timestamp). */
export function intakeHeaders(secret: string, body: string, atMs = Date.now()): Record<string, string> {
  const ts = String(Math.floor(atMs / 1000));
  const sig = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
  return { 'X-Handoff-Timestamp': ts, 'X-Handoff-Signature': `sha256=${sig}` };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export async function post(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

/** Signs and posts a generic delivery (one lead or a batch). */
export function postIntake(
  baseUrl: string,
  payload: unknown,
  options: { secret?: string; atMs?: number; source?: string } = {},
): Promise<Answer> {
  const body = JSON.stringify(payload);
  return post(
    `${baseUrl}/intake/${options.source ?? 'forms'}`,
    body,
    intakeHeaders(options.secret ?? INTAKE_SECRET, body, options.atMs),
  );
}

/** A Mautic delivery: `{ "mautic.lead_points_change": [...events], timestamp }` with Webhook-Signature. */
export function mauticBody(events: Array<{ id: number; email: string; old: number; new: number; at: string }>): string {
  return JSON.stringify({
    'mautic.lead_points_change': events.map((e) => ({
      contact: {
        id: e.id,
        points: e.new,
        fields: {
          core: {
            firstname: { alias: 'firstname', value: 'Mia' },
            lastname: { alias: 'lastname', value: `Mautic ${e.id}` },
            email: { alias: 'email', value: e.email },
            company: { alias: 'company', value: 'Open Source GmbH' },
            country: { alias: 'country', value: 'DE' },
          },
        },
      },
      points: { old_points: e.old, new_points: e.new },
      timestamp: e.at,
    })),
    timestamp: new Date().toISOString(),
  });
}

export function postMautic(baseUrl: string, body: string, secret = MAUTIC_SECRET): Promise<Answer> {
  const sig = createHmac('sha256', secret).update(body).digest('base64');
  return post(`${baseUrl}/intake/mautic`, body, { 'Webhook-Signature': sig });
}

export interface CallbackDelivery {
  deliveryId: string;
  signatureOk: boolean;
  body: Record<string, unknown>;
}

export interface CallbackServer {
  url: string;
  /** Deliveries answered 2xx (a delivery id may repeat when the answer was lost). */
  received: CallbackDelivery[];
  /** Requests answered with an error on purpose. */
  refused: number;
  /** Answer the next `n` requests with 503. */
  failNext(n: number): void;
  close(): Promise<void>;
}

/** A receiver for decision callbacks that checks X-Handoff-Timestamp / X-Handoff-Signature like a sender's peer would. */
export async function startCallbackServer(secret = INTAKE_SECRET): Promise<CallbackServer> {
  let failing = 0;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => {
      if (failing > 0) {
        failing -= 1;
        state.refused += 1;
        res.writeHead(503).end();
        return;
      }
      const raw = Buffer.concat(parts).toString('utf8');
      const ts = String(req.headers['x-handoff-timestamp'] ?? '');
      const sig = String(req.headers['x-handoff-signature'] ?? '');
      const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')}`;
      const fresh = Math.abs(Date.now() - Number(ts) * 1000) <= 5 * 60_000;
      const signatureOk =
        fresh && sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
      state.received.push({
        deliveryId: String(req.headers['x-handoff-delivery'] ?? ''),
        signatureOk,
        body: JSON.parse(raw) as Record<string, unknown>,
      });
      res.writeHead(signatureOk ? 204 : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const state: CallbackServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/decisions`,
    received: [],
    refused: 0,
    failNext(n) {
      failing = n;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  return state;
}
