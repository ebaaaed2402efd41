// A guard in front of Bolt's HTTP receiver. Bolt verifies signatures but only rejects timestamps that
// are too old, and passes any JSON that is signed to the app (a signed `null` body throws where nothing
// catches it). Here every request is checked first: signed with the signing secret, dated within five
// minutes either way, and shaped like a Slack request; the buffered body then goes on to Bolt, which
// reads `rawBody` instead of the stream.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SLACK_BODY_LIMIT = 4 * 1024 * 1024;
const WINDOW_S = 300;

/**
 * `ok` goes on to Bolt; `ignore` is a signed, well-formed request for something we do not handle (an event
 * type the app does not subscribe to), answered 200 here so Slack neither retries it nor counts it as failing.
 */
export type GuardResult =
  | { ok: true; ignore?: undefined; interaction?: Record<string, unknown> }
  | { ok: true; ignore: string }
  | { ok: false; status: 400 | 401 | 413; reason: string };

/** The Events API event types the app handles (config/slack-app-manifest.yaml subscribes to these). */
export const HANDLED_EVENTS: ReadonlySet<string> = new Set(['app_home_opened']);

function header(headers: IncomingMessage['headers'], name: string): string | null {
  const v = headers[name];
  return typeof v === 'string' ? v : null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isOptionalObject = (v: unknown): boolean => v === undefined || isObject(v);

/** The fields our handlers and Bolt rely on, for an interaction payload (form `payload=`). */
function interactionProblem(p: Record<string, unknown>): string | null {
  if (typeof p.type !== 'string') return 'payload without a type';
  if (!isObject(p.user) || typeof p.user.id !== 'string') return 'payload without a user id';
  // Slack may send `team: null` (org-wide apps); when there is a team it has an id.
  if (p.team !== undefined && p.team !== null && !(isObject(p.team) && typeof p.team.id === 'string'))
    return 'payload team has no id';
  for (const key of ['container', 'channel', 'view', 'message'] as const) {
    if (!isOptionalObject(p[key])) return `payload ${key} is not an object`;
  }
  if (isObject(p.container) && typeof p.container.type !== 'string') return 'payload container has no type';
  if (isObject(p.channel) && typeof p.channel.id !== 'string') return 'payload channel has no id';
  if (isObject(p.view) && typeof p.view.id !== 'string') return 'payload view has no id';
  if (isObject(p.message) && typeof p.message.ts !== 'string') return 'payload message has no ts';
  if (p.type === 'block_actions') {
    if (!Array.isArray(p.actions) || p.actions.length === 0) return 'block_actions without actions';
    if (!p.actions.every((a) => isObject(a) && typeof a.action_id === 'string'))
      return 'an action without an action_id';
  }
  if (p.type === 'view_submission' || p.type === 'view_closed') {
    if (!isObject(p.view) || typeof p.view.callback_id !== 'string') return `${p.type} without a view callback_id`;
  }
  if ((p.type === 'shortcut' || p.type === 'message_action') && typeof p.callback_id !== 'string')
    return `${p.type} without a callback_id`;
  if (p.type === 'block_suggestion' && typeof p.action_id !== 'string') return 'block_suggestion without an action_id';
  return null;
}

/** The fields our handler of each handled event reads. */
function handledEventProblem(e: Record<string, unknown>): string | null {
  if (e.type === 'app_home_opened') {
    if (typeof e.user !== 'string') return 'app_home_opened without a user';
    if (typeof e.tab !== 'string') return 'app_home_opened without a tab';
  }
  // Bolt reads the conversation id with `'id' in event.channel` and `'channel' in event.item`, which throw on
  // anything but an object: `channel` is a string id or an object, `item` an object whose channel is a string.
  if (e.channel !== undefined && typeof e.channel !== 'string' && !isObject(e.channel))
    return 'event channel has an unexpected shape';
  if (
    e.item !== undefined &&
    !(isObject(e.item) && (e.item.channel === undefined || typeof e.item.channel === 'string'))
  )
    return 'event item has an unexpected shape';
  if (e.user !== undefined && typeof e.user !== 'string' && !isObject(e.user))
    return 'event user has an unexpected shape';
  return null;
}

/** Event API bodies (JSON). */
function eventVerdict(p: Record<string, unknown>): GuardResult {
  const bad = (reason: string): GuardResult => ({ ok: false, status: 400, reason });
  switch (p.type) {
    case 'url_verification':
      return typeof p.challenge === 'string' ? { ok: true } : bad('url_verification without a challenge');
    case 'event_callback': {
      if (!isObject(p.event) || typeof p.event.type !== 'string') return bad('event_callback without an event');
      if (!HANDLED_EVENTS.has(p.event.type)) return { ok: true, ignore: `event ${p.event.type} is not handled` };
      const problem = handledEventProblem(p.event);
      return problem === null ? { ok: true } : bad(problem);
    }
    case 'app_rate_limited':
      return { ok: true };
    default:
      return bad(`not an Events API body (type ${JSON.stringify(p.type)})`);
  }
}

/** Pure check of one request: signature, timestamp (both ways) and shape. */
export function checkSlackRequest(input: {
  headers: IncomingMessage['headers'];
  body: Buffer;
  signingSecret: string;
  nowSeconds: number;
}): GuardResult {
  const ts = header(input.headers, 'x-slack-request-timestamp');
  const signature = header(input.headers, 'x-slack-signature');
  if (ts === null || signature === null || !/^\d{1,12}$/.test(ts))
    return { ok: false, status: 401, reason: 'missing or malformed signature headers' };
  if (Math.abs(input.nowSeconds - Number(ts)) > WINDOW_S)
    return { ok: false, status: 401, reason: 'timestamp outside the five-minute window' };
  const expected = `v0=${createHmac('sha256', input.signingSecret).update(`v0:${ts}:`).update(input.body).digest('hex')}`;
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  if (a.length !== b.length || !timingSafeEqual(a, b))
    return { ok: false, status: 401, reason: 'signature does not match' };

  const type = (header(input.headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  const text = input.body.toString('utf8');
  try {
    if (type === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(text);
      const payload = form.get('payload');
      if (payload !== null) {
        const parsed: unknown = JSON.parse(payload);
        const problem = isObject(parsed) ? interactionProblem(parsed) : 'payload is not an object';
        // The parsed payload goes back with the verdict: the caller need not parse it a second time.
        return problem === null && isObject(parsed)
          ? { ok: true, interaction: parsed }
          : { ok: false, status: 400, reason: problem ?? 'payload is not an object' };
      }
      if (form.get('ssl_check') === '1') return { ok: true };
      if (form.get('command') !== null) {
        return form.get('user_id') !== null
          ? { ok: true }
          : { ok: false, status: 400, reason: 'slash command without a user_id' };
      }
      return { ok: false, status: 400, reason: 'form body is neither an interaction nor a slash command' };
    }
    if (type === 'application/json') {
      const parsed: unknown = JSON.parse(text);
      return isObject(parsed) ? eventVerdict(parsed) : { ok: false, status: 400, reason: 'JSON body is not an object' };
    }
  } catch {
    return { ok: false, status: 400, reason: 'body is not valid JSON' };
  }
  return { ok: false, status: 400, reason: `unsupported content type "${type ?? ''}"` };
}
