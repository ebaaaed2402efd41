// Bad input against the built worker: thousands of generated malformed, unsigned, replayed, oversized and
// wrong-type requests to POST /slack/events, POST /webhooks/hubspot, POST /intake/<id>, GET/POST /email/decide
// and POST /teams/messages. Every one must get a 4xx, the worker must
// stay up (alive, answering /healthz) and the store must not change (no hand-off, event or job written).
import { createHash, createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { sql } from 'kysely';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, SECRETS, type World } from './helpers/world.js';
import {
  formLead,
  formsSource,
  INTAKE_SECRET,
  intakeHeaders,
  MAUTIC_SECRET,
  mauticBody,
  mauticSource,
} from './helpers/intake.js';
import { waitFor } from '../helpers/wait.js';
import { signLink } from '../../connectors/email/email.links.js';

interface BadRequest {
  /** What kind of bad input this is (reported on failure). */
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The 4xx statuses that are right for it (401 bad signature, 400 malformed, 413 too large, 405 wrong method). */
  expect: number[];
  /** Send without content-length (chunked), for oversized bodies that do not announce their size. */
  chunked?: boolean;
}

interface Answer {
  status: number;
  /** 0 = the connection failed before an answer. */
  error?: string;
}

const SEED = 20_261_125;
const nowSec = (): number => Math.floor(Date.now() / 1000);

// ---- signing, as each vendor does it ----------------------------------------------------------------------------

function slackSignature(secret: string, ts: number, body: Buffer): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${ts}:`).update(body).digest('hex')}`;
}

function slackHeaders(
  body: Buffer,
  contentType: string,
  signing: { secret?: string; ts?: number } | null,
): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (signing === null) return headers;
  const ts = signing.ts ?? nowSec();
  headers['x-slack-request-timestamp'] = String(ts);
  headers['x-slack-signature'] = slackSignature(signing.secret ?? SECRETS.signingSecret, ts, body);
  return headers;
}

function hubspotV3(uri: string, body: Buffer, signing: { secret?: string; tsMs?: number }): Record<string, string> {
  const ts = signing.tsMs ?? Date.now();
  const signature = createHmac('sha256', signing.secret ?? SECRETS.hubspotSecret)
    .update(`POST${uri}${body.toString('utf8')}${ts}`, 'utf8')
    .digest('base64');
  return {
    'content-type': 'application/json',
    'x-hubspot-signature-v3': signature,
    'x-hubspot-request-timestamp': String(ts),
  };
}

function hubspotV1(body: Buffer, secret = SECRETS.hubspotSecret): Record<string, string> {
  const signature = createHash('sha256')
    .update(secret + body.toString('utf8'), 'utf8')
    .digest('hex');
  return { 'content-type': 'application/json', 'x-hubspot-signature': signature, 'x-hubspot-signature-version': 'v1' };
}

// ---- generated bodies ---------------------------------------------------------------------------------------------

function sample<T>(arb: fc.Arbitrary<T>, n: number, salt: number): T[] {
  return fc.sample(arb, { numRuns: n, seed: SEED + salt });
}

/** Text that is not JSON (JSON.parse throws on every one). */
function notJson(n: number, salt: number): string[] {
  const arb = fc
    .oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json().map((j) => `${j}}`),
      fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1)) + '{'),
      fc.constantFrom('{', '[', '{"a":', 'undefined', 'NaN', "{'single': 1}", '[1,]', '{"x":1,}', '\u0000', 'payload='),
    )
    .filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    });
  return sample(arb, n, salt);
}

/** A value of the wrong type for a HubSpot event field (none of these pass the event schema). */
const wrongScalar = fc.oneof(
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);

/** JSON that parses but is not a list of HubSpot events. */
function wrongTypeWebhooks(n: number, salt: number): string[] {
  const event = fc.record({
    objectId: fc.oneof(fc.integer({ min: 1 }), fc.constant(7)),
    subscriptionType: fc.constant('contact.propertyChange'),
    propertyName: fc.constant('lifecyclestage'),
    occurredAt: fc.integer({ min: 0 }),
  });
  const broken = fc.oneof(
    event.chain((e) =>
      fc
        .constantFrom('objectId', 'subscriptionType', 'occurredAt', 'propertyName', 'eventType', 'primaryObjectId')
        .chain((k) => wrongScalar.map((v) => ({ ...e, [k]: v }))),
    ),
    event.chain((e) =>
      fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.boolean(), fc.constant(null)).map((v) => ({
        ...e,
        subscriptionType: 'contact.propertyChange',
        objectId: e.objectId,
        occurredAt: v === null ? null : String(v),
      })),
    ),
  );
  const arb = fc.oneof(
    // Not a list at all.
    fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 40 }),
      fc.boolean(),
      fc.constant(null),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 4 }),
    ),
    // A list with something in it that is not an event object.
    fc.array(
      fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 })),
      { minLength: 1, maxLength: 5 },
    ),
    // A list of events where one field has the wrong type.
    fc.tuple(fc.array(event, { maxLength: 3 }), broken).map(([ok, bad]) => [...ok, bad]),
    // More events than HubSpot ever sends in one request.
    fc.constant(
      Array.from({ length: 1001 }, (_, i) => ({
        objectId: i + 1,
        subscriptionType: 'contact.creation',
        occurredAt: i,
      })),
    ),
  );
  return sample(arb, n, salt).map((v) => JSON.stringify(v));
}

/** JSON that parses but is not a Slack request payload (no type, wrong types, not an object). */
function wrongTypeSlack(n: number, salt: number): string[] {
  const click = JSON.parse(decodeURIComponent(realisticClick(0).slice('payload='.length))) as Record<string, unknown>;
  const arb = fc.oneof(
    fc.oneof(
      fc.integer(),
      fc.string({ maxLength: 20 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.jsonValue(), { maxLength: 3 }),
    ),
    fc.dictionary(
      fc.string({ maxLength: 8 }).filter((k) => k !== 'type' && k !== 'ssl_check'),
      fc.jsonValue(),
      { maxKeys: 4 },
    ),
    // `team: null` is not wrong: Slack sends it for org-wide apps.
    fc
      .constantFrom('user', 'actions', 'container', 'type', 'view', 'channel', 'team')
      .chain((k) => wrongScalar.filter((v) => !(k === 'team' && v === null)).map((v) => ({ ...click, [k]: v }))),
    wrongScalar.map((v) => ({ ...click, actions: [{ ...(click['actions'] as object[])[0], action_id: v, value: v }] })),
    fc
      .constantFrom('view_submission', 'event_callback', 'shortcut', 'block_suggestion', 'interactive_message')
      .map((type) => ({ type })),
  );
  return sample(arb, n, salt).map((v) => JSON.stringify(v));
}

/** A plausible HubSpot delivery (it would be accepted if it were signed right). */
function realisticWebhook(i: number): string {
  return JSON.stringify([
    {
      objectId: 1000 + i,
      subscriptionType: 'contact.propertyChange',
      propertyName: 'lifecyclestage',
      propertyValue: 'marketingqualifiedlead',
      occurredAt: Date.now(),
      eventId: i,
      portalId: 4242,
    },
  ]);
}

/** A plausible Slack button click (form-encoded `payload=`), as Slack would send it. */
function realisticClick(i: number): string {
  const payload = {
    type: 'block_actions',
    user: { id: 'U0ALICE', username: 'alice', team_id: 'T0E2E' },
    team: { id: 'T0E2E', domain: 'e2e' },
    api_app_id: 'A0E2E',
    token: 'legacy',
    trigger_id: `${i}.trigger`,
    container: { type: 'message', channel_id: 'D0ALICE', message_ts: '1700000000.000100' },
    channel: { id: 'D0ALICE', name: 'directmessage' },
    message: { ts: '1700000000.000100', text: 'card', blocks: [] },
    response_url: 'http://127.0.0.1:9/response',
    actions: [
      {
        type: 'button',
        action_id: 'handoff_accept',
        block_id: 'actions',
        value: `offer-${i}`,
        action_ts: String(nowSec()),
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

// ---- the generated suite --------------------------------------------------------------------------------------------

function buildRequests(port: number): BadRequest[] {
  const hookUri = `http://127.0.0.1:${port}/webhooks/hubspot`;
  const out: BadRequest[] = [];
  const expectFor = (label: string): number[] =>
    /oversized/.test(label)
      ? [413]
      : /not JSON|wrong types/.test(label)
        ? [400]
        : /wrong method/.test(label)
          ? [405]
          : [401];
  const hook = (
    label: string,
    body: string | Buffer,
    headers: Record<string, string>,
    extra: Partial<BadRequest> = {},
  ): void => {
    out.push({
      label,
      method: 'POST',
      path: '/webhooks/hubspot',
      headers,
      body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
      expect: expectFor(label),
      ...extra,
    });
  };
  const slack = (
    label: string,
    body: string | Buffer,
    headers: Record<string, string>,
    extra: Partial<BadRequest> = {},
  ): void => {
    out.push({
      label,
      method: 'POST',
      path: '/slack/events',
      headers,
      body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
      expect: expectFor(label),
      ...extra,
    });
  };

  // HubSpot webhooks.
  for (let i = 0; i < 300; i++) hook('hubspot: unsigned', realisticWebhook(i), { 'content-type': 'application/json' });
  for (let i = 0; i < 300; i++) {
    const body = Buffer.from(realisticWebhook(i));
    hook('hubspot: v3 signed with the wrong secret', body, hubspotV3(hookUri, body, { secret: `wrong-${i}` }));
  }
  for (let i = 0; i < 300; i++) {
    const body = Buffer.from(realisticWebhook(i));
    // Outside the 5-minute window, both ways (a replay of an old delivery, a clock far ahead); the margin
    // covers the time between signing here and checking there.
    const skew = (360 + i * 97) * 1000 * (i % 5 === 0 ? -1 : 1);
    hook('hubspot: replayed (v3 timestamp outside 5 min)', body, hubspotV3(hookUri, body, { tsMs: Date.now() - skew }));
  }
  for (let i = 0; i < 100; i++) {
    const body = Buffer.from(realisticWebhook(i));
    const h = hubspotV3(hookUri, body, {});
    hook('hubspot: v3 signature of another body', Buffer.from(realisticWebhook(i + 1)), h);
  }
  for (let i = 0; i < 50; i++) {
    const body = Buffer.from(realisticWebhook(i));
    const h = hubspotV3(hookUri, body, {});
    h['x-hubspot-request-timestamp'] = ['', 'abc', '-1', '1e12', ' 12'][i % 5] as string;
    hook('hubspot: malformed v3 timestamp', body, h);
  }
  for (const [i, text] of notJson(300, 1).entries()) {
    const body = Buffer.from(text, 'utf8');
    hook('hubspot: signed, not JSON', body, i % 2 === 0 ? hubspotV3(hookUri, body, {}) : hubspotV1(body));
  }
  for (const [i, text] of wrongTypeWebhooks(400, 2).entries()) {
    const body = Buffer.from(text, 'utf8');
    hook('hubspot: signed, wrong types', body, i % 2 === 0 ? hubspotV3(hookUri, body, {}) : hubspotV1(body));
  }
  for (let i = 0; i < 40; i++) {
    const size = 1024 * 1024 + 1 + i * 4096;
    const body = Buffer.alloc(size, 0x5b); // "[[[[…"
    hook('hubspot: oversized, announced', body, { 'content-type': 'application/json' });
    hook('hubspot: oversized, chunked', body, { 'content-type': 'application/json' }, { chunked: true });
  }
  for (let i = 0; i < 20; i++) {
    out.push({
      label: 'hubspot: wrong method',
      method: ['GET', 'PUT', 'DELETE', 'PATCH'][i % 4] as string,
      path: '/webhooks/hubspot',
      headers: {},
      body: Buffer.alloc(0),
      expect: [405],
    });
  }

  // Slack requests.
  for (let i = 0; i < 300; i++)
    slack('slack: unsigned', realisticClick(i), { 'content-type': 'application/x-www-form-urlencoded' });
  for (let i = 0; i < 300; i++) {
    const body = Buffer.from(realisticClick(i));
    slack(
      'slack: signed with the wrong secret',
      body,
      slackHeaders(body, 'application/x-www-form-urlencoded', { secret: `wrong-${i}` }),
    );
  }
  for (let i = 0; i < 300; i++) {
    const body = Buffer.from(realisticClick(i));
    slack(
      'slack: replayed (timestamp over 5 min old)',
      body,
      slackHeaders(body, 'application/x-www-form-urlencoded', { ts: nowSec() - 301 - i * 97 }),
    );
  }
  for (let i = 0; i < 100; i++) {
    const body = Buffer.from(realisticClick(i));
    slack(
      'slack: dated ahead (timestamp over 5 min in the future)',
      body,
      slackHeaders(body, 'application/x-www-form-urlencoded', { ts: nowSec() + 360 + i * 97 }),
    );
  }
  for (let i = 0; i < 100; i++) {
    const body = Buffer.from(realisticClick(i));
    const h = slackHeaders(body, 'application/x-www-form-urlencoded', {});
    slack('slack: signature of another body', Buffer.from(realisticClick(i + 1)), h);
  }
  for (let i = 0; i < 50; i++) {
    const body = Buffer.from(realisticClick(i));
    const h = slackHeaders(body, 'application/x-www-form-urlencoded', {});
    h['x-slack-request-timestamp'] = ['', 'abc', '-1', 'NaN', '1e99'][i % 5] as string;
    slack('slack: malformed timestamp header', body, h);
  }
  for (const [i, text] of notJson(300, 3).entries()) {
    const form = i % 2 === 0;
    const body = Buffer.from(form ? `payload=${encodeURIComponent(text)}` : text, 'utf8');
    slack(
      `slack: signed, not JSON (${form ? 'form payload' : 'json body'})`,
      body,
      slackHeaders(body, form ? 'application/x-www-form-urlencoded' : 'application/json', {}),
    );
  }
  for (const [i, text] of wrongTypeSlack(400, 4).entries()) {
    const form = i % 2 === 0;
    const body = Buffer.from(form ? `payload=${encodeURIComponent(text)}` : text, 'utf8');
    slack(
      `slack: signed, wrong types (${form ? 'form payload' : 'json body'})`,
      body,
      slackHeaders(body, form ? 'application/x-www-form-urlencoded' : 'application/json', {}),
    );
  }
  for (let i = 0; i < 20; i++) {
    const size = 4 * 1024 * 1024 + 1 + i * 4096; // Bolt refuses bodies over 4 MB
    const body = Buffer.alloc(size, 0x61);
    slack('slack: oversized, announced', body, { 'content-type': 'application/x-www-form-urlencoded' });
    slack(
      'slack: oversized, chunked',
      body,
      { 'content-type': 'application/x-www-form-urlencoded' },
      { chunked: true },
    );
  }
  for (let i = 0; i < 20; i++) {
    out.push({
      label: 'slack: wrong method',
      method: ['GET', 'PUT', 'DELETE', 'PATCH'][i % 4] as string,
      path: '/slack/events',
      headers: {},
      body: Buffer.alloc(0),
      expect: [405],
    });
  }
  return out;
}

function send(port: number, agent: Agent, r: BadRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...r.headers };
    if (!r.chunked && r.body.length > 0) headers['content-length'] = r.body.length;
    const req = request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', (err) => resolve({ status: res.statusCode ?? 0, error: err.message }));
    });
    // The server may answer 413 and close before the whole body is sent: the answer counts, not the write.
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
    if (r.chunked) {
      const step = 256 * 1024;
      for (let at = 0; at < r.body.length; at += step) req.write(r.body.subarray(at, at + step));
      req.end();
    } else {
      req.end(r.body);
    }
  });
}

async function storeCounts(world: World): Promise<Record<string, number>> {
  const store = await world.openStore();
  try {
    const out: Record<string, number> = {};
    for (const table of ['leads', 'handoffs', 'offers', 'events', 'jobs', 'identities', 'rep_status', 'alerts']) {
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(
        store.db,
      );
      out[table] = Number(rows[0]?.n ?? 0);
    }
    return out;
  } finally {
    await store.close();
  }
}

/** Requests that need the signing secret and get past Bolt's own checks: our app must refuse them (see below). */
const signedSlackGap = (r: BadRequest): boolean =>
  r.label.startsWith('slack: signed, wrong types') || r.label.startsWith('slack: dated ahead');

async function sendAll(world: World, requests: BadRequest[]): Promise<{ report: string[]; elapsedMs: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const answers: Answer[] = new Array<Answer>(requests.length);
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (;;) {
        const i = next++;
        const r = requests[i];
        if (r === undefined) return;
        answers[i] = await send(world.port, agent, r);
      }
    }),
  );
  agent.destroy();
  const elapsedMs = Date.now() - started;
  const wrong = new Map<string, { count: number; statuses: Set<string> }>();
  answers.forEach((a, i) => {
    const r = requests[i] as BadRequest;
    if (r.expect.includes(a.status)) return;
    const label = `${r.label} (want ${r.expect.join('/')})`;
    const entry = wrong.get(label) ?? { count: 0, statuses: new Set<string>() };
    entry.count++;
    entry.statuses.add(a.status === 0 ? `no answer (${a.error ?? '?'})` : String(a.status));
    wrong.set(label, entry);
  });
  const report = [...wrong].map(([label, e]) => `${label}: ${e.count} × ${[...e.statuses].join(', ')}`);
  if (report.length > 0) console.error(`worker output (last lines):\n${world.output.slice(-25).join('\n')}`);
  return { report, elapsedMs };
}

async function expectUnharmed(world: World, before: Record<string, number>): Promise<void> {
  // Still alive and answering.
  expect(world.worker?.exitCode).toBeNull();
  const health = await fetch(`http://127.0.0.1:${world.port}/healthz`);
  expect(health.status).toBe(200);
  // Nothing reached the store.
  expect(await storeCounts(world)).toEqual(before);
  // No crash report or stack trace in the worker's output.
  expect(world.output.filter((l) => /"level":60|^\s+at /.test(l))).toEqual([]);
}

describe('bad input never gets past the front door', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
    await world.startWorker();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  it('answers thousands of malformed, unsigned, replayed, oversized and wrong-type requests with the right 4xx; the worker stays up and the store is unchanged', async () => {
    const before = await storeCounts(world);
    const requests = buildRequests(world.port).filter((r) => !signedSlackGap(r));
    expect(requests.length).toBeGreaterThan(3_000);
    const { report, elapsedMs } = await sendAll(world, requests);
    expect(report).toEqual([]);
    await expectUnharmed(world, before);
    console.info(`bad input: ${requests.length} requests in ${elapsedMs} ms, each answered with its 4xx`);

    // The same signing, done right, is accepted: the refusals above were for the flaw each request carried.
    const hook = Buffer.from(
      JSON.stringify([{ objectId: 4242, subscriptionType: 'contact.creation', occurredAt: Date.now() }]),
    );
    const accepted = await send(world.port, new Agent(), {
      label: 'control',
      method: 'POST',
      path: '/webhooks/hubspot',
      headers: hubspotV3(`http://127.0.0.1:${world.port}/webhooks/hubspot`, hook, {}),
      body: hook,
      expect: [200],
    });
    expect(accepted.status).toBe(200);
    const click = Buffer.from(realisticClick(1));
    const clicked = await send(world.port, new Agent(), {
      label: 'control',
      method: 'POST',
      path: '/slack/events',
      headers: slackHeaders(click, 'application/x-www-form-urlencoded', {}),
      body: click,
      expect: [200],
    });
    expect(clicked.status).toBe(200);
  }, 120_000);
});

// Bolt's HTTPReceiver checks only that a timestamp is not too old, and hands any signed JSON to the app (a signed
// `null` body used to throw inside Bolt and end the process). The guard in connectors/slack/slack.request-guard.ts
// now checks the timestamp both ways and the body's shape first; these requests prove it.
describe('signed requests that are not Slack payloads', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
    await world.startWorker();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  it('are refused with a 4xx and do not harm the worker', async () => {
    const before = await storeCounts(world);
    const requests = buildRequests(world.port).filter(signedSlackGap);
    expect(requests.length).toBeGreaterThan(400);
    const { report } = await sendAll(world, requests);
    expect(report).toEqual([]);
    await expectUnharmed(world, before);
  }, 60_000);
});

// ---- intake: POST /intake/forms (generic, signed) and POST /intake/mautic ------------------------------------------

function mauticSig(body: Buffer, secret = MAUTIC_SECRET): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-signature': createHmac('sha256', secret).update(body).digest('base64'),
  };
}

/** Generic intake and Mautic requests, each with one flaw; `replayKey` is a delivery the store already holds. */
function intakeRequests(replay: Record<string, unknown>): BadRequest[] {
  const out: BadRequest[] = [];
  const add = (
    label: string,
    path: string,
    body: string | Buffer,
    headers: Record<string, string>,
    expect: number[],
    extra: Partial<BadRequest> = {},
  ): void => {
    out.push({
      label,
      method: 'POST',
      path,
      headers,
      body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
      expect,
      ...extra,
    });
  };
  const forms = (
    label: string,
    payload: unknown,
    expect: number[],
    sign: { secret?: string; atMs?: number } = {},
  ): void => {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    add(
      label,
      '/intake/forms',
      body,
      { 'content-type': 'application/json', ...intakeHeaders(sign.secret ?? INTAKE_SECRET, body, sign.atMs) },
      expect,
    );
  };
  const lead = (i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> =>
    formLead(100_000 + i, overrides);

  for (let i = 0; i < 100; i++)
    add('intake: unsigned', '/intake/forms', JSON.stringify(lead(i)), { 'content-type': 'application/json' }, [401]);
  for (let i = 0; i < 100; i++) forms('intake: signed with the wrong secret', lead(i), [401], { secret: `wrong-${i}` });
  for (let i = 0; i < 100; i++) {
    // Outside the 5-minute window both ways; the margin covers the time between signing and checking.
    const skew = (330 + i * 61) * 1000 * (i % 2 === 0 ? 1 : -1);
    forms(`intake: timestamp ${skew > 0 ? 'too old' : 'in the future'}`, lead(i), [401], { atMs: Date.now() - skew });
  }
  for (let i = 0; i < 50; i++) {
    const signed = JSON.stringify(lead(i));
    add(
      'intake: signature of another body',
      '/intake/forms',
      JSON.stringify(lead(i + 1)),
      { 'content-type': 'application/json', ...intakeHeaders(INTAKE_SECRET, signed) },
      [401],
    );
  }
  for (let i = 0; i < 50; i++) {
    const body = JSON.stringify(lead(i));
    const h = intakeHeaders(INTAKE_SECRET, body);
    h['X-Handoff-Timestamp'] = ['', 'abc', '-1', '1e9', ' 12'][i % 5] as string;
    add(
      'intake: malformed timestamp header',
      '/intake/forms',
      body,
      { 'content-type': 'application/json', ...h },
      [401],
    );
  }
  for (let i = 0; i < 20; i++) {
    const body = JSON.stringify(lead(i));
    const h = intakeHeaders(INTAKE_SECRET, body);
    h['X-Handoff-Signature'] = ['', 'sha256=', 'md5=abc', h['X-Handoff-Signature']!.slice(0, 20)][i % 4] as string;
    add('intake: missing or cut signature', '/intake/forms', body, { 'content-type': 'application/json', ...h }, [401]);
  }
  for (const text of notJson(100, 5)) forms('intake: signed, not JSON', text, [400]);
  forms('intake: signed, empty batch', [], [400]);
  // Leads the mapping cannot read: a required field missing, or a value of the wrong type.
  const unmapped: Array<[string, Record<string, unknown>]> = [
    ['no email', { email: undefined }],
    ['no idempotency key', { eventId: undefined }],
    ['no score (the mql condition needs it)', { score: undefined }],
  ];
  const wrong: Array<[string, Record<string, unknown>]> = [
    ['score is text', { score: 'high' }],
    ['score is a list', { score: [90] }],
    ['email is no address', { email: 'not-an-address' }],
    ['email is an object', { email: { at: 'x' } }],
    ['company name is an object', { company: { name: { first: 'A' }, country: 'DE', size: 3 } }],
    ['employees is text', { company: { name: 'A', country: 'DE', size: 'many' } }],
    ['idempotency key is an object', { eventId: { id: 1 } }],
    ['idempotency key too long', { eventId: 'k'.repeat(201) }],
  ];
  for (let i = 0; i < 40; i++) {
    for (const [label, overrides] of [...unmapped, ...wrong]) {
      forms(`intake: signed, ${label}`, lead(i, overrides), [422]);
      // In a batch, with good leads around it: the whole delivery is refused, none of it stored.
      forms(`intake: signed batch, one lead ${label}`, [lead(1_000 + i), lead(2_000 + i, overrides)], [422]);
    }
  }
  for (let i = 0; i < 20; i++)
    forms(
      'intake: signed, not a lead object',
      [lead(i), [1, 2], JSON.stringify('x'), null][1 + (i % 3)] as unknown,
      [422],
    );
  forms('intake: signed batch, a key twice', [lead(1), lead(1)], [422]);
  forms(
    'intake: signed batch, over maxBatch',
    Array.from({ length: 101 }, (_, i) => lead(i)),
    [413],
  );
  for (let i = 0; i < 30; i++) {
    // The same delivery again (signed anew, as a sender's retry is): nothing new, 409.
    forms('intake: replayed idempotency key', replay, [409]);
    forms('intake: replayed idempotency key in a batch', [replay, { ...replay }], [422]);
  }
  for (let i = 0; i < 10; i++) {
    const body = Buffer.alloc(1024 * 1024 + 1 + i * 4096, 0x5b);
    add('intake: oversized, announced', '/intake/forms', body, { 'content-type': 'application/json' }, [413]);
    add('intake: oversized, chunked', '/intake/forms', body, { 'content-type': 'application/json' }, [413], {
      chunked: true,
    });
  }
  for (let i = 0; i < 8; i++)
    out.push({
      label: 'intake: wrong method',
      method: ['GET', 'PUT', 'DELETE', 'PATCH'][i % 4] as string,
      path: '/intake/forms',
      headers: {},
      body: Buffer.alloc(0),
      expect: [405],
    });
  out.push({
    label: 'intake: unknown source',
    method: 'POST',
    path: '/intake/nope',
    headers: {},
    body: Buffer.from('{}'),
    expect: [404],
  });

  // Mautic.
  const crossing = (i: number): Buffer =>
    Buffer.from(
      mauticBody([{ id: 9_000 + i, email: `m${i}@oss.example`, old: 10, new: 150, at: new Date().toISOString() }]),
    );
  for (let i = 0; i < 50; i++)
    add('mautic: unsigned', '/intake/mautic', crossing(i), { 'content-type': 'application/json' }, [401]);
  for (let i = 0; i < 50; i++)
    add('mautic: wrong secret', '/intake/mautic', crossing(i), mauticSig(crossing(i), `wrong-${i}`), [401]);
  for (let i = 0; i < 50; i++)
    add('mautic: signature of another body', '/intake/mautic', crossing(i + 1), mauticSig(crossing(i)), [401]);
  for (const text of notJson(50, 6)) {
    const body = Buffer.from(text, 'utf8');
    add('mautic: signed, not JSON', '/intake/mautic', body, mauticSig(body), [400]);
  }
  const event = JSON.parse(crossing(0).toString('utf8'))['mautic.lead_points_change'][0] as Record<string, unknown>;
  const broken: Array<[string, unknown, number]> = [
    ['events not a list', { 'mautic.lead_points_change': { a: 1 } }, 422],
    ['body a list', [event], 400],
    [
      'points not numbers',
      { 'mautic.lead_points_change': [{ ...event, points: { old_points: 'a', new_points: 'b' } }] },
      422,
    ],
    ['no points', { 'mautic.lead_points_change': [{ ...event, points: undefined }] }, 422],
    ['no contact id', { 'mautic.lead_points_change': [{ ...event, contact: { fields: {} } }] }, 422],
    ['bad timestamp', { 'mautic.lead_points_change': [{ ...event, timestamp: 'yesterday' }] }, 422],
    [
      'no email on a crossing contact',
      { 'mautic.lead_points_change': [{ ...event, contact: { id: 5, fields: { core: {} } } }] },
      422,
    ],
  ];
  for (let i = 0; i < 20; i++) {
    for (const [label, payload, status] of broken) {
      const body = Buffer.from(JSON.stringify(payload));
      add(`mautic: signed, ${label}`, '/intake/mautic', body, mauticSig(body), [status]);
    }
  }
  for (let i = 0; i < 10; i++) {
    const body = Buffer.alloc(1024 * 1024 + 1 + i * 4096, 0x7b);
    add('mautic: oversized', '/intake/mautic', body, mauticSig(body), [413], { chunked: i % 2 === 0 });
  }
  return out;
}

describe('intake deliveries with a flaw', () => {
  let world: World;
  const replay = formLead(424_242);
  beforeAll(async () => {
    world = await createWorld({
      config: (base) => ({
        ...base,
        sla: { acceptWithin: '1h', remindAt: false, maxOffers: 2 },
        intake: [formsSource(), mauticSource(100)],
      }),
    });
    await world.startWorker();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  it('get the right 4xx (401 signature, 400 not JSON, 422 naming the field, 413 too large, 409 replay) and store nothing', async () => {
    // One real delivery first, so that its replays have something to repeat; wait until its card is out.
    const body = JSON.stringify(replay);
    const first = await send(world.port, new Agent(), {
      label: 'control',
      method: 'POST',
      path: '/intake/forms',
      headers: { 'content-type': 'application/json', ...intakeHeaders(INTAKE_SECRET, body) },
      body: Buffer.from(body),
      expect: [202],
    });
    expect(first.status).toBe(202);
    const store = await world.openStore();
    try {
      await waitFor('the outbox idle after the real delivery', async () => {
        const pending = await store.listJobs({ state: 'pending' });
        const running = await store.listJobs({ state: 'running' });
        return pending.length + running.length === 0 && (await store.listJobs({ kind: 'slack.offer' })).length === 1;
      });
    } finally {
      await store.close();
    }
    const before = await storeCounts(world);
    const requests = intakeRequests(replay);
    expect(requests.length).toBeGreaterThan(1_000);
    const { report } = await sendAll(world, requests);
    expect(report).toEqual([]);
    await expectUnharmed(world, before);

    // The answer names the field.
    const bad = JSON.stringify(formLead(7, { score: 'high' }));
    const res = await fetch(`http://127.0.0.1:${world.port}/intake/forms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...intakeHeaders(INTAKE_SECRET, bad) },
      body: bad,
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      field: 'leads[0].score',
      error: expect.stringContaining('expected a number'),
    });
  }, 120_000);
});

// ---- email decision links ----------------------------------------------------------------------------------------

const LINK_SECRET = 'bad-input-link-secret-0123456789abcdef';

/** Flawed uses of a real offer's decision link: every one refused (or, for a GET, harmless); nothing decided. */
function emailRequests(token: string, offerId: string): BadRequest[] {
  const out: BadRequest[] = [];
  const form = (fields: Record<string, string>): Buffer => Buffer.from(new URLSearchParams(fields).toString());
  const urlencoded = { 'content-type': 'application/x-www-form-urlencoded' };
  const get = (label: string, t: string, status: number[]): void => {
    out.push({
      label,
      method: 'GET',
      path: `/email/decide?t=${encodeURIComponent(t)}`,
      headers: {},
      body: Buffer.alloc(0),
      expect: status,
    });
  };
  // Tampered tokens: each character of the payload and of the signature changed in turn.
  for (let i = 0; i < token.length; i += 1) {
    const c = token[i] === 'A' ? 'B' : 'A';
    if (token[i] === '.') continue;
    get('email: tampered link', `${token.slice(0, i)}${c}${token.slice(i + 1)}`, [400]);
  }
  for (const cut of [1, 5, 20, token.length - 1]) get('email: cut link', token.slice(0, cut), [400]);
  get('email: no token', '', [400]);
  // Signed with another secret, or for another person / offer: refused or harmless (never decides).
  const exp = Date.now() + 3_600_000;
  get('email: wrong secret', signLink({ action: 'accept', offerId, personId: 'alice', exp }, 'x'.repeat(40)), [400]);
  get(
    'email: expired',
    signLink({ action: 'accept', offerId, personId: 'alice', exp: Date.now() - 1_000 }, LINK_SECRET),
    [410],
  );
  get(
    'email: unknown offer',
    signLink({ action: 'accept', offerId: 'nope', personId: 'alice', exp }, LINK_SECRET),
    [404],
  );
  // The real link, fetched as a mail scanner does: a confirm page, nothing decided.
  for (let i = 0; i < 20; i += 1) get('email: scanner GET', token, [200]);
  // POSTs without the page's cookie and form token, with forged ones, wrong types, too large.
  out.push({
    label: 'email: POST no cookie',
    method: 'POST',
    path: '/email/decide',
    headers: urlencoded,
    body: form({ t: token, csrf: 'x' }),
    expect: [403],
  });
  out.push({
    label: 'email: POST forged cookie',
    method: 'POST',
    path: '/email/decide',
    headers: { ...urlencoded, cookie: 'handoff_email_a=b' },
    body: form({ t: token, csrf: 'abc' }),
    expect: [403],
  });
  out.push({
    label: 'email: POST tampered token',
    method: 'POST',
    path: '/email/decide',
    headers: urlencoded,
    body: form({ t: `${token}x`, csrf: 'x' }),
    expect: [400],
  });
  out.push({
    label: 'email: POST json',
    method: 'POST',
    path: '/email/decide',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ t: token })),
    expect: [400],
  });
  out.push({
    label: 'email: POST too large',
    method: 'POST',
    path: '/email/decide',
    headers: urlencoded,
    body: Buffer.alloc(64 * 1024, 0x61),
    expect: [413],
  });
  out.push({
    label: 'email: PUT',
    method: 'PUT',
    path: '/email/decide',
    headers: urlencoded,
    body: form({ t: token }),
    expect: [405],
  });
  return out;
}

describe('email decision links with a flaw', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({
      config: (base) => {
        const { slack: _slack, ...rest } = base;
        return {
          ...rest,
          email: { ...(base.email as object), linkSecret: LINK_SECRET },
          reps: (base.reps as Record<string, unknown>[]).map(({ slackUserId: _s, ...r }) => ({ ...r, chat: 'email' })),
          managers: [{ id: 'maria', name: 'Maria Ruiz', email: 'maria@e2e.example', chat: 'email' }],
          teams: [{ id: 'emea', members: ['alice', 'bruno', 'chen'], manager: 'maria' }],
          sla: { acceptWithin: '1h', remindAt: false, maxOffers: 2 },
        };
      },
    });
    await world.startWorker();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  it('tampered, cut, foreign, expired links and forged POSTs are refused; a GET never decides; nothing changes', async () => {
    world.hubspot.control.createContact({
      email: 'emailbad@prospect.example',
      firstname: 'Eve',
      lastname: 'Links',
      lifecyclestage: 'marketingqualifiedlead',
      hubspotscore: 50,
    });
    const token = await waitFor(
      'an offer email with an Accept link',
      () => {
        for (const m of world.mails) {
          const t = /\/email\/decide\?t=([A-Za-z0-9_.=-]+)/.exec(
            m.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '='),
          )?.[1];
          if (t) return t;
        }
        return undefined;
      },
      20_000,
    );
    const store = await world.openStore();
    let offerId: string;
    try {
      await waitFor('the outbox idle after the offer', async () => {
        const pending = await store.listJobs({ state: 'pending' });
        const running = await store.listJobs({ state: 'running' });
        return pending.length + running.length === 0;
      });
      const [handoff] = await store.findHandoffsByEmail('emailbad@prospect.example');
      offerId = (await store.listOffers(handoff!.id))[0]!.id;
    } finally {
      await store.close();
    }
    const before = await storeCounts(world);
    const requests = emailRequests(token, offerId);
    expect(requests.length).toBeGreaterThan(100);
    const { report } = await sendAll(world, requests);
    expect(report).toEqual([]);
    await expectUnharmed(world, before);
  }, 120_000);
});

// ---- Microsoft Teams activities ------------------------------------------------------------------------------------

describe('Teams activities with a flaw', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({
      teams: true,
      config: (base) => ({
        ...base,
        reps: (base.reps as Record<string, unknown>[]).map((r) =>
          r.id === 'alice' ? (({ slackUserId: _s, ...x }) => ({ ...x, chat: 'teams' }))(r) : r,
        ),
        sla: { acceptWithin: '1h', remindAt: false, maxOffers: 2 },
      }),
    });
    await world.startWorker();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  it('unsigned, wrongly signed, expired, wrong-audience/issuer/serviceUrl activities and forged invokes change nothing, no 5xx', async () => {
    const teams = world.teams!;
    expect((await teams.control.installApp({ user: 'alice@e2e.example' })).status).toBe(200);
    world.hubspot.control.createContact({
      email: 'teamsbad@prospect.example',
      firstname: 'Tess',
      lastname: 'Forged',
      lifecyclestage: 'marketingqualifiedlead',
      hubspotscore: 50,
    });
    const conversation = teams.control.conversationOf('alice@e2e.example')!;
    const card = await waitFor(
      "a card in Alice's Teams chat",
      () => teams.control.messages(conversation).find((m) => JSON.stringify(m.attachments).includes('"verb":"accept"')),
      20_000,
    );
    const offerId = /"offerId":"([^"]+)"/.exec(JSON.stringify(card.attachments))?.[1] as string;
    const store = await world.openStore();
    try {
      await waitFor('the outbox idle after the card', async () => {
        const pending = await store.listJobs({ state: 'pending' });
        const running = await store.listJobs({ state: 'running' });
        return pending.length + running.length === 0;
      });
    } finally {
      await store.close();
    }
    const before = await storeCounts(world);
    const invoke = { user: 'alice@e2e.example', conversationId: conversation, activityId: card.activityId };
    const faults = [
      { unsigned: true },
      { foreignKey: true },
      { kid: 'no-such-key' },
      { expiredSecondsAgo: 600 },
      { audience: 'someone-else' },
      { issuer: 'https://evil.example' },
      { serviceUrlClaim: 'https://evil.example/teams/' },
      { serviceUrlClaim: null },
      { algNone: true },
      { authorization: 'Bearer not-a-jwt' },
      { authorization: 'Basic YWxpY2U6cGFzcw==' },
    ];
    const statuses: string[] = [];
    for (const signing of faults) {
      const r = await teams.control.invoke({ ...invoke, verb: 'accept', data: { offerId }, signing });
      statuses.push(`${JSON.stringify(signing)} → ${r.status}`);
      expect(r.status, JSON.stringify(signing)).toBe(401);
      const install = await teams.control.installApp({ user: 'bruno@e2e.example', signing });
      expect(install.status, JSON.stringify(signing)).toBe(401);
    }
    // Signed, but forged or garbled values: answered without a 5xx, nothing decided.
    const forged: { verb: string; data: unknown }[] = [
      { verb: 'accept', data: { offerId: 'no-such-offer' } },
      { verb: 'accept', data: {} },
      { verb: 'accept', data: { offerId: 42 } },
      { verb: 'reject', data: { offerId, reason: 'no-such-reason' } },
      { verb: 'reject', data: { offerId } },
      { verb: 'assign', data: { handoffId: 'h', repId: 'alice' } },
      { verb: 'claim', data: { handoffId: { $ne: null } } },
      { verb: 'delete-everything', data: { offerId } },
      { verb: 'accept', data: 'x'.repeat(10_000) },
    ];
    for (const f of forged) {
      const r = await teams.control.invoke({ ...invoke, verb: f.verb, data: f.data });
      expect(r.status, JSON.stringify(f)).toBeLessThan(500);
    }
    // Someone else clicking Alice's card (signed as Bruno, who has no app install either).
    const other = await teams.control.invoke({
      ...invoke,
      user: 'chen@e2e.example',
      verb: 'accept',
      data: { offerId },
    });
    expect(other.status).toBeLessThan(500);
    const raw = await teams.control.sendActivity({ activity: {}, rawBody: '{not json' });
    expect([400, 401]).toContain(raw.status);
    await expectUnharmed(world, before);
    expect(statuses).toHaveLength(faults.length);
  }, 120_000);
});
