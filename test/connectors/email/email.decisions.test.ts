// GET and POST /email/decide over a real HTTP server and a fake HandoffActions: a GET of any link never decides;
// only a POST with the form token and the cookie of the page it came from does, as the person the link is for.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEmailDecisionHandlers, type EmailDecisionHandlers } from '../../../connectors/email/email.decisions.js';
import { signLink, type DecisionLink } from '../../../connectors/email/email.links.js';
import { createEmailNotifier } from '../../../connectors/email/email.notifier.js';
import type { Handoff, RejectionReason } from '../../../src/domain/model.js';
import type {
  ClaimOutcome,
  DecisionOutcome,
  HandoffActions,
  HandoffView,
  OfferView,
} from '../../../src/ports/handoff-actions.js';
import { silentLogger } from '../../../src/ports/logger.js';
import type { Mailer, MailMessage } from '../../../src/ports/mailer.js';
import type { Person } from '../../../src/ports/rep-notifier.js';
import { makeHandoff, makeLead } from '../../helpers/builders.js';

const SECRET = 'a-link-secret-of-at-least-32-characters!';
const NOW = Date.UTC(2026, 11, 7, 13, 0);
const DUE = NOW + 30 * 60_000;
const REASONS: RejectionReason[] = [
  { id: 'not_icp', label: 'Not our ideal customer', recycle: false, noteRequired: false },
  { id: 'other', label: 'Other', recycle: false, noteRequired: true },
];
const PEOPLE: Person[] = [
  { id: 'alice', name: 'Alice Martin', chat: 'email', email: 'alice@example.com', timezone: 'Europe/Berlin' },
  { id: 'bruno', name: 'Bruno Keller', chat: 'email', email: 'bruno@example.com' },
  { id: 'maria', name: 'Maria Ruiz', chat: 'email', email: 'maria@example.com' },
];

/** Offers and hand-offs in memory, decided as the app would (once), every mutating call recorded. */
function fakeActions() {
  const offers = new Map<string, OfferView>();
  const handoffs = new Map<string, HandoffView>();
  const handoff = (id: string): Handoff => makeHandoff({ id });
  const decide = (offerId: string, personId: string, state: 'accepted' | 'rejected'): DecisionOutcome => {
    const o = offers.get(offerId);
    if (!o) return { kind: 'not_found' };
    if (o.offerState !== 'open')
      return { kind: 'already_decided', state: o.handoffState, by: 'alice', at: o.decidedAt };
    if (o.repId !== personId) return { kind: 'not_yours', offeredTo: o.repName };
    offers.set(offerId, {
      ...o,
      offerState: state,
      handoffState: state,
      decidedBy: o.repName,
      decidedAt: NOW + 60_000,
    });
    return state === 'accepted'
      ? { kind: 'accepted', handoff: handoff(o.handoffId) }
      : { kind: 'rejected', handoff: handoff(o.handoffId) };
  };
  const take = (handoffId: string, ownerName: string, state: 'accepted' | 'offered'): ClaimOutcome | null => {
    const h = handoffs.get(handoffId);
    if (!h) return { kind: 'not_found' };
    if (h.state !== 'escalated') return { kind: 'already_taken', by: null, state: h.state };
    handoffs.set(handoffId, { ...h, state, ownerName: state === 'accepted' ? ownerName : null });
    return null;
  };
  const actions = {
    accept: vi.fn<HandoffActions['accept']>(async ({ offerId, actor }) =>
      decide(offerId, actor.via === 'email' ? actor.personId : '?', 'accepted'),
    ),
    reject: vi.fn<HandoffActions['reject']>(async ({ offerId, actor }) =>
      decide(offerId, actor.via === 'email' ? actor.personId : '?', 'rejected'),
    ),
    claim: vi.fn<HandoffActions['claim']>(async ({ handoffId, actor }) => {
      const who = actor.via === 'email' ? actor.personId : '?';
      return take(handoffId, who, 'accepted') ?? { kind: 'claimed', handoff: handoff(handoffId), by: who };
    }),
    assign: vi.fn<HandoffActions['assign']>(async ({ handoffId, repId }) => {
      return take(handoffId, repId, 'offered') ?? { kind: 'assigned', handoff: handoff(handoffId), to: repId };
    }),
    setAway: vi.fn<HandoffActions['setAway']>(async () => ({ ok: false })),
    setBack: vi.fn<HandoffActions['setBack']>(async () => ({ ok: false })),
    queue: vi.fn<HandoffActions['queue']>(async () => null),
    summary: vi.fn<HandoffActions['summary']>(async () => null),
    viewOffer: vi.fn<HandoffActions['viewOffer']>(async ({ offerId }) => offers.get(offerId) ?? null),
    viewHandoff: vi.fn<HandoffActions['viewHandoff']>(async ({ handoffId }) => handoffs.get(handoffId) ?? null),
  } satisfies HandoffActions;
  const mutating = () =>
    actions.accept.mock.calls.length +
    actions.reject.mock.calls.length +
    actions.claim.mock.calls.length +
    actions.assign.mock.calls.length;
  return { actions, offers, handoffs, mutating };
}

function addOffer(world: ReturnType<typeof fakeActions>, over: Partial<OfferView> = {}): OfferView {
  const view: OfferView = {
    offerId: 'of_1',
    handoffId: 'ho_1',
    repId: 'alice',
    repName: 'Alice Martin',
    offerState: 'open',
    handoffState: 'offered',
    hot: false,
    dueAt: DUE,
    leadName: 'Jane <b>Doe</b>',
    company: 'Acme & Sons',
    decidedBy: null,
    decidedAt: null,
    ...over,
  };
  world.offers.set(view.offerId, view);
  return view;
}

function addEscalation(world: ReturnType<typeof fakeActions>, over: Partial<HandoffView> = {}): HandoffView {
  const view: HandoffView = {
    handoffId: 'ho_9',
    state: 'escalated',
    hot: true,
    leadName: 'Max Power',
    company: 'Globex',
    ownerName: null,
    teamId: 'emea',
    ...over,
  };
  world.handoffs.set(view.handoffId, view);
  return view;
}

const token = (link: DecisionLink): string => signLink(link, SECRET);
const accept: DecisionLink = { action: 'accept', offerId: 'of_1', personId: 'alice', exp: DUE };
const reject: DecisionLink = { action: 'reject', offerId: 'of_1', personId: 'alice', exp: DUE };
const claim: DecisionLink = { action: 'claim', handoffId: 'ho_9', personId: 'bruno', exp: NOW + 86_400_000 };
const assign: DecisionLink = {
  action: 'assign',
  handoffId: 'ho_9',
  personId: 'maria',
  repId: 'bruno',
  exp: NOW + 86_400_000,
};

let server: http.Server | null = null;
afterEach(async () => {
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = null;
});

async function serve(
  world: ReturnType<typeof fakeActions>,
  over: { publicUrl?: string; now?: () => number } = {},
): Promise<{ base: string; handlers: EmailDecisionHandlers }> {
  const handlers = createEmailDecisionHandlers({
    actions: world.actions,
    linkSecret: SECRET,
    reasons: REASONS,
    publicUrl: over.publicUrl ?? 'http://127.0.0.1',
    logger: silentLogger,
    now: over.now ?? (() => NOW),
    people: PEOPLE,
  });
  server = http.createServer((req, res) => {
    const route = handlers.routes[`${req.method} ${(req.url ?? '').split('?')[0]}`];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    void route(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handlers };
}

interface Page {
  status: number;
  html: string;
  headers: Headers;
  cookies: string[];
}

async function get(base: string, t: string | null, method = 'GET'): Promise<Page> {
  const res = await fetch(`${base}/email/decide${t === null ? '' : `?t=${encodeURIComponent(t)}`}`, { method });
  return { status: res.status, html: await res.text(), headers: res.headers, cookies: res.headers.getSetCookie() };
}

async function post(base: string, fields: Record<string, string>, cookie?: string, type?: string): Promise<Page> {
  const res = await fetch(`${base}/email/decide`, {
    method: 'POST',
    headers: {
      'content-type': type ?? 'application/x-www-form-urlencoded',
      ...(cookie !== undefined ? { cookie } : {}),
    },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, html: await res.text(), headers: res.headers, cookies: res.headers.getSetCookie() };
}

/** What a browser sends back after the confirm page: its form fields and its cookie. */
function formOf(page: Page): { t: string; csrf: string; cookie: string } {
  const t = /name="t" value="([^"]+)"/.exec(page.html)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1];
  const cookie = page.cookies[0]?.split(';')[0];
  if (!t || !csrf || !cookie) throw new Error(`no form on the page: ${page.html}`);
  return { t, csrf, cookie };
}

describe('GET /email/decide', () => {
  it('never decides, whatever link a mail scanner fetches', async () => {
    const world = fakeActions();
    addOffer(world);
    addOffer(world, {
      offerId: 'of_done',
      offerState: 'accepted',
      handoffState: 'accepted',
      decidedBy: 'Alice Martin',
      decidedAt: NOW,
    });
    addOffer(world, { offerId: 'of_late', offerState: 'timed_out', handoffState: 'offered', decidedAt: NOW });
    addEscalation(world);
    addEscalation(world, { handoffId: 'ho_taken', state: 'accepted', ownerName: 'Bruno Keller' });
    const { base } = await serve(world);
    const valid = token(accept);
    const tokens: (string | null)[] = [
      valid,
      token(reject),
      token(claim),
      token(assign),
      token({ ...accept, offerId: 'of_done' }),
      token({ ...reject, offerId: 'of_late' }),
      token({ ...claim, handoffId: 'ho_taken' }),
      token({ ...accept, offerId: 'of_missing' }),
      token({ ...accept, exp: NOW - 1 }),
      `${valid.slice(0, -2)}xx`,
      'not-a-token',
      '',
      null,
    ];
    for (const t of tokens) {
      for (const method of ['GET', 'HEAD']) {
        const page = await get(base, t, method);
        expect(page.status, `${method} ${t}`).toBeLessThan(500);
        expect(page.headers.get('cache-control')).toBe('no-store');
        expect(page.headers.get('referrer-policy')).toBe('no-referrer');
        expect(page.headers.get('x-robots-tag')).toContain('noindex');
      }
    }
    // The same link fetched over and over (scanners retry) changes nothing either.
    for (let i = 0; i < 5; i++) await get(base, valid);
    expect(world.mutating()).toBe(0);
    expect(world.offers.get('of_1')!.offerState).toBe('open');
    expect(world.handoffs.get('ho_9')!.state).toBe('escalated');
  });

  it('shows a confirm page with the lead, what will happen, and a form bound to a SameSite cookie', async () => {
    const world = fakeActions();
    addOffer(world);
    const { base } = await serve(world);
    const page = await get(base, token(accept));
    expect(page.status).toBe(200);
    expect(page.html).toContain('Accept this lead?');
    expect(page.html).toContain('Jane &lt;b&gt;Doe&lt;/b&gt;');
    expect(page.html).toContain('Acme &amp; Sons');
    expect(page.html).not.toContain('<b>Doe</b>');
    // The deadline in Alice's zone (Berlin, an hour ahead of UTC in December).
    expect(page.html).toContain('Mon 7 Dec, 14:30 CET');
    expect(page.html).toContain('<form method="post" action="decide"');
    expect(page.html).not.toMatch(/<script|src=|https?:\/\/(?!127)/);
    expect(page.cookies).toHaveLength(1);
    const cookie = page.cookies[0]!;
    expect(cookie).toMatch(/^handoff_email_[A-Za-z0-9_-]+=[A-Za-z0-9_-]+;/);
    expect(cookie).toContain('Path=/email');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure');
  });

  it('marks the cookie Secure behind an https public URL and scopes it under its path', async () => {
    const world = fakeActions();
    addOffer(world);
    const { base } = await serve(world, { publicUrl: 'https://example.com/handoff/' });
    const page = await get(base, token(accept));
    expect(page.cookies[0]).toContain('Path=/handoff/email');
    expect(page.cookies[0]).toContain('; Secure');
  });

  it('shows the reasons and the note on the reject page, and the rep on the assign page', async () => {
    const world = fakeActions();
    addOffer(world);
    addEscalation(world);
    const { base } = await serve(world);
    const rejectPage = await get(base, token(reject));
    expect(rejectPage.html).toContain('type="radio" name="reason" value="not_icp"');
    expect(rejectPage.html).toContain('Other (note required)');
    expect(rejectPage.html).toContain('<textarea id="note" name="note"');
    const assignPage = await get(base, token(assign));
    expect(assignPage.html).toContain('Assign this lead to Bruno Keller?');
    const claimPage = await get(base, token(claim));
    expect(claimPage.html).toContain('Claim this lead?');
    expect(claimPage.html).toContain('Max Power');
  });

  it('says what happened to a decided, ended or taken lead, and refuses invalid and expired links', async () => {
    const world = fakeActions();
    addOffer(world, {
      offerState: 'accepted',
      handoffState: 'accepted',
      decidedBy: 'Alice Martin',
      decidedAt: Date.UTC(2026, 11, 7, 13, 2),
    });
    addOffer(world, { offerId: 'of_2', offerState: 'timed_out', handoffState: 'escalated', decidedAt: NOW });
    addOffer(world, { offerId: 'of_3' });
    addEscalation(world, { state: 'accepted', ownerName: 'Bruno Keller' });
    const { base } = await serve(world);

    const decided = await get(base, token(accept));
    expect(decided.status).toBe(200);
    expect(decided.html).toContain('Accepted by Alice Martin on Mon 7 Dec, 14:02 CET.');
    expect(decided.cookies).toEqual([]);
    // Expired, but decided: still says what happened.
    expect((await get(base, token({ ...accept, exp: NOW - 1 }))).html).toContain('Accepted by Alice Martin');

    const ended = await get(base, token({ ...reject, offerId: 'of_2' }));
    expect(ended.status).toBe(200);
    expect(ended.html).toContain('This offer ended');
    expect(ended.html).toContain('It timed out on Mon 7 Dec, 14:00 CET. The lead went to the managers.');

    const taken = await get(base, token(claim));
    expect(taken.html).toContain('Already taken: Bruno Keller owns this lead now.');

    const expired = await get(base, token({ ...accept, offerId: 'of_3', exp: NOW - 1 }));
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('This link has expired');

    const invalid = await get(base, `${token(accept).slice(0, -1)}A`);
    expect(invalid.status).toBe(400);
    expect(invalid.html).toContain('This link is not valid');
    expect((await get(base, null)).status).toBe(400);
    expect((await get(base, token({ ...accept, offerId: 'nope' }))).status).toBe(404);
    expect(world.mutating()).toBe(0);
  });
});

describe('POST /email/decide', () => {
  it('refuses a POST without the cookie, with a wrong form token, or with another link’s cookie', async () => {
    const world = fakeActions();
    addOffer(world);
    addEscalation(world);
    const { base } = await serve(world);
    const form = formOf(await get(base, token(accept)));
    const other = formOf(await get(base, token(claim)));

    const noCookie = await post(base, { t: form.t, csrf: form.csrf });
    expect(noCookie.status).toBe(403);
    expect(noCookie.html).toContain('Nothing was changed');

    const wrongToken = await post(base, { t: form.t, csrf: `${form.csrf.slice(0, -1)}A` }, form.cookie);
    expect(wrongToken.status).toBe(403);

    // The cookie of another page (another link) does not fit this form.
    const otherCookieValue = other.cookie.split('=')[1]!;
    const swapped = `${form.cookie.split('=')[0]}=${otherCookieValue}`;
    expect((await post(base, { t: form.t, csrf: form.csrf }, swapped)).status).toBe(403);
    // The form token of another link with its own cookie does not decide this one.
    expect((await post(base, { t: form.t, csrf: other.csrf }, other.cookie)).status).toBe(403);

    expect(world.mutating()).toBe(0);
    expect(world.offers.get('of_1')!.offerState).toBe('open');
  });

  it('decides with the email actor, then answers a replay or a second click with what happened', async () => {
    const world = fakeActions();
    addOffer(world);
    const { base } = await serve(world);
    const form = formOf(await get(base, token(accept)));
    const done = await post(base, { t: form.t, csrf: form.csrf }, form.cookie);
    expect(done.status).toBe(200);
    expect(done.html).toContain('Accepted');
    expect(done.html).toContain('is yours');
    expect(done.cookies.some((c) => c.startsWith(form.cookie.split('=')[0]!) && c.includes('Max-Age=0'))).toBe(true);
    expect(world.actions.accept).toHaveBeenCalledTimes(1);
    expect(world.actions.accept).toHaveBeenCalledWith({ offerId: 'of_1', actor: { via: 'email', personId: 'alice' } });

    const replay = await post(base, { t: form.t, csrf: form.csrf }, form.cookie);
    expect(replay.status).toBe(200);
    expect(replay.html).toContain('Already decided');
    expect(replay.html).toContain('Accepted by Alice Martin');
    const again = await get(base, token(accept));
    expect(again.html).toContain('Already decided');
    expect(world.mutating()).toBe(1);
  });

  it('shows the reject page again, with the problem, when the chosen reason needs a note', async () => {
    const world = fakeActions();
    addOffer(world);
    const { base } = await serve(world);
    const form = formOf(await get(base, token(reject)));
    const missing = await post(base, { t: form.t, csrf: form.csrf, reason: 'other', note: '  ' }, form.cookie);
    expect(missing.status).toBe(400);
    expect(missing.html).toContain('A note is required for “Other”.');
    expect(missing.html).toContain('value="other" required checked');
    expect(world.mutating()).toBe(0);

    const noReason = await post(base, { t: form.t, csrf: form.csrf, note: 'x' }, form.cookie);
    expect(noReason.html).toContain('Pick a reason.');
    const unknown = await post(base, { t: form.t, csrf: form.csrf, reason: 'bogus', note: '' }, form.cookie);
    expect(unknown.html).toContain('Pick one of the reasons below.');
    expect(world.mutating()).toBe(0);

    // The page shown again has its own form token and cookie; it decides.
    const retry = formOf(missing);
    const done = await post(
      base,
      { t: retry.t, csrf: retry.csrf, reason: 'other', note: 'Student <project>' },
      retry.cookie,
    );
    expect(done.status).toBe(200);
    expect(done.html).toContain('Rejected');
    expect(world.actions.reject).toHaveBeenCalledWith({
      offerId: 'of_1',
      actor: { via: 'email', personId: 'alice' },
      reasonId: 'other',
      note: 'Student <project>',
    });
  });

  it('claims and assigns as the person the link was signed for', async () => {
    const world = fakeActions();
    addEscalation(world);
    addEscalation(world, { handoffId: 'ho_10' });
    const { base } = await serve(world);
    const c = formOf(await get(base, token(claim)));
    const claimed = await post(base, { t: c.t, csrf: c.csrf }, c.cookie);
    expect(claimed.html).toContain('Max Power is yours now.');
    expect(world.actions.claim).toHaveBeenCalledWith({ handoffId: 'ho_9', actor: { via: 'email', personId: 'bruno' } });

    const a = formOf(await get(base, token({ ...assign, handoffId: 'ho_10' })));
    const assigned = await post(base, { t: a.t, csrf: a.csrf }, a.cookie);
    expect(assigned.html).toContain('Bruno Keller has been offered the lead');
    expect(world.actions.assign).toHaveBeenCalledWith({
      handoffId: 'ho_10',
      actor: { via: 'email', personId: 'maria' },
      repId: 'bruno',
    });
    // The assign link of the claimed lead now says it was taken.
    const late = await get(base, token(assign));
    expect(late.html).toContain('Already taken: bruno owns this lead now.');
  });

  it('takes only a small urlencoded form with every field once', async () => {
    const world = fakeActions();
    addOffer(world);
    const { base } = await serve(world);
    const form = formOf(await get(base, token(accept)));
    const json = await post(base, { t: form.t, csrf: form.csrf }, form.cookie, 'application/json');
    expect(json.status).toBe(400);
    expect((await post(base, { t: form.t }, form.cookie)).status).toBe(400);
    expect((await post(base, { csrf: form.csrf }, form.cookie)).status).toBe(400);
    const twice = await fetch(`${base}/email/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
      body: `t=${form.t}&t=${form.t}&csrf=${form.csrf}`,
    });
    expect(twice.status).toBe(400);
    const huge = await post(base, { t: form.t, csrf: form.csrf, note: 'x'.repeat(17 * 1024) }, form.cookie);
    expect(huge.status).toBe(413);
    expect(world.mutating()).toBe(0);
  });

  it('words every outcome of the actions, without a server error', async () => {
    const decisions: [DecisionOutcome, number, string][] = [
      { kind: 'accepted', handoff: makeHandoff({ id: 'ho_1' }) },
      { kind: 'rejected', handoff: makeHandoff({ id: 'ho_1' }) },
      { kind: 'already_decided', state: 'accepted', by: 'bruno', at: NOW },
      { kind: 'offer_closed', offerState: 'timed_out', at: NOW, currentRep: 'bruno' },
      { kind: 'not_yours', offeredTo: 'Bruno Keller' },
      { kind: 'unknown_user' },
      { kind: 'invalid', problem: 'something odd' },
      { kind: 'not_found' },
    ].map((o, i) => [
      o as DecisionOutcome,
      [200, 200, 200, 200, 403, 403, 400, 404][i]!,
      [
        'is yours',
        'goes back to marketing',
        'already accepted by Bruno Keller on Mon 7 Dec, 14:00 CET',
        'This offer timed out on Mon 7 Dec, 14:00 CET. It is now with Bruno Keller.',
        'offered to Bruno Keller, not to you',
        'not set up as a rep or manager',
        'The decision was refused: something odd.',
        'not in the hand-off anymore',
      ][i]!,
    ]);
    for (const [outcome, status, words] of decisions) {
      const world = fakeActions();
      addOffer(world);
      world.actions.accept.mockImplementationOnce(async () => outcome);
      const { base } = await serve(world);
      const form = formOf(await get(base, token(accept)));
      const page = await post(base, { t: form.t, csrf: form.csrf }, form.cookie);
      expect(page.status, outcome.kind).toBe(status);
      expect(page.html, outcome.kind).toContain(words);
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = null;
    }
    const claims: [ClaimOutcome, number, string][] = [
      [{ kind: 'claimed', handoff: makeHandoff({ id: 'ho_9' }), by: 'bruno' }, 200, 'is yours now'],
      [{ kind: 'assigned', handoff: makeHandoff({ id: 'ho_9' }), to: 'alice' }, 200, 'Alice Martin has been offered'],
      [
        { kind: 'already_taken', by: 'alice', state: 'accepted' },
        200,
        'Already taken: the lead is accepted (Alice Martin).',
      ],
      [{ kind: 'not_allowed', why: 'only members of team emea can claim this lead' }, 403, 'Only members of team emea'],
      [{ kind: 'unknown_user' }, 403, 'not set up as a rep or manager'],
      [{ kind: 'not_found' }, 404, 'not in the hand-off anymore'],
    ];
    for (const [outcome, status, words] of claims) {
      const world = fakeActions();
      addEscalation(world);
      world.actions.claim.mockImplementationOnce(async () => outcome);
      const { base } = await serve(world);
      const form = formOf(await get(base, token(claim)));
      const page = await post(base, { t: form.t, csrf: form.csrf }, form.cookie);
      expect(page.status, outcome.kind).toBe(status);
      expect(page.html, outcome.kind).toContain(words);
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = null;
    }
  });

  it('says so, and decides nothing, when looking the lead up fails', async () => {
    const world = fakeActions();
    world.actions.viewOffer.mockRejectedValue(new Error('database is down'));
    const { base } = await serve(world);
    const page = await get(base, token(accept));
    expect(page.status).toBe(503);
    expect(page.html).toContain('Nothing was changed');
    expect(world.mutating()).toBe(0);
  });
});

describe('from the offer email to the decision', () => {
  it('opens the Reject link of a mailed offer, confirms with a reason, and rejects as the rep', async () => {
    const world = fakeActions();
    addOffer(world);
    const { base } = await serve(world);
    const sent: MailMessage[] = [];
    const mailer: Mailer = {
      send: async (m) => void sent.push(m),
      sendDoc: async () => undefined,
      verify: async () => undefined,
    };
    const notifier = createEmailNotifier({
      mailer,
      linkSecret: SECRET,
      publicUrl: base,
      people: PEOPLE,
      logger: silentLogger,
      now: () => NOW,
    });
    const lead = makeLead({ firstName: 'Jane', lastName: 'Doe' });
    await notifier.postOffer({
      handoffId: 'ho_1',
      offerId: 'of_1',
      lead,
      rep: PEOPLE[0]!,
      hot: false,
      dueAt: DUE,
      why: { rule: null, team: 'emea', strategy: 'round-robin', ownerMatch: null },
      seq: 1,
    });
    const rejectUrl = /^Reject…: (\S+)$/m.exec(sent[0]!.text)?.[1];
    expect(rejectUrl?.startsWith(`${base}/email/decide?t=`)).toBe(true);
    const res = await fetch(rejectUrl!);
    const page: Page = {
      status: res.status,
      html: await res.text(),
      headers: res.headers,
      cookies: res.headers.getSetCookie(),
    };
    expect(page.html).toContain('Reject this lead?');
    const form = formOf(page);
    const done = await post(base, { t: form.t, csrf: form.csrf, reason: 'not_icp', note: '' }, form.cookie);
    expect(done.html).toContain('Rejected');
    expect(world.actions.reject).toHaveBeenCalledWith({
      offerId: 'of_1',
      actor: { via: 'email', personId: 'alice' },
      reasonId: 'not_icp',
      note: null,
    });
  });
});
