// GET and POST /email/decide: where a signed decision link from an email lands (email.links.ts).
//
// A GET never decides. Corporate mail scanners (Microsoft Defender Safe Links, Mimecast, Proofpoint) fetch every
// link in a message, so the GET only checks the token and shows a confirm page — or what already happened to the
// offer or escalation. The page's form POSTs the token with a CSRF form token: an HMAC of the link token and a
// per-page nonce, the nonce also set in a SameSite=Strict, HttpOnly cookie (double submit). Only a POST with a
// valid link, a form token and the matching cookie calls HandoffActions, as `{ via: 'email', personId }` — the
// one person the link was signed for; the actions check that this person may decide. Deciding twice is
// harmless: the hand-off is decided once (compare-and-set in the store) and every later click is told what
// happened. Bad input answers 4xx with a page that says so, and changes nothing.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  alreadyDecidedLine,
  formatTime,
  NOTHING_CHANGED,
  notYoursLine,
  offerClosedLine,
} from '../../src/domain/chat-text.js';
import type { Millis, RejectionReason } from '../../src/domain/model.js';
import type {
  Actor,
  ClaimOutcome,
  DecisionOutcome,
  HandoffActions,
  HandoffView,
  OfferView,
} from '../../src/ports/handoff-actions.js';
import type { Logger } from '../../src/ports/logger.js';
import type { Person } from '../../src/ports/rep-notifier.js';
import { readBody } from '../../src/runtime/read-body.js';
import { headerValue, safeEqual } from '../../src/runtime/signed-request.js';
import { checkLinkSecret, MAX_TOKEN_LENGTH, verifyLink, type DecisionLink } from './email.links.js';
import { decisionForm, renderPage, type PageContent, type PageFact } from './email.pages.js';

export type EmailRouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface EmailDecisionOptions {
  actions: HandoffActions;
  /** email.linkSecret (32+ characters). */
  linkSecret: string;
  /** The configured rejection reasons, shown on the reject page. */
  reasons: readonly RejectionReason[];
  /** server.publicUrl: the cookie path follows its path, Secure when it is https. */
  publicUrl: string;
  logger: Logger;
  now?: () => Millis;
  /** Reps and managers: names on the pages (the rep of an assign link, who decided) and each reader's time zone. */
  people?: readonly Person[];
  /** Largest POST body read (default 16 KiB). */
  maxBodyBytes?: number;
}

export interface EmailDecisionHandlers {
  get: EmailRouteHandler;
  post: EmailRouteHandler;
  /** Keyed "METHOD /path" for the HTTP server (HEAD answers as GET, without a body). */
  routes: Record<string, EmailRouteHandler>;
}

export const MAX_DECISION_BODY = 16 * 1024;
/** Longest rejection note taken (as the Slack reject dialog). */
export const MAX_NOTE_LENGTH = 3000;
const COOKIE_PREFIX = 'handoff_email_';
const COOKIE_MAX_AGE_S = 3600;
const FORM_CONTEXT = 'handoff.email-form.v1\n';

const HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
} as const;

type Answer = { status: number; page: PageContent; cookie?: string };

export function createEmailDecisionHandlers(options: EmailDecisionOptions): EmailDecisionHandlers {
  checkLinkSecret(options.linkSecret);
  const { actions, linkSecret, reasons } = options;
  const log = options.logger.child({ component: 'email-decisions' });
  const now = options.now ?? Date.now;
  const limit = options.maxBodyBytes ?? MAX_DECISION_BODY;
  const base = new URL(options.publicUrl);
  const cookiePath = `${base.pathname.replace(/\/+$/, '')}/email`;
  const secure = base.protocol === 'https:';
  const people = new Map((options.people ?? []).map((p) => [p.id, p] as const));

  const nameOf = (id: string | null): string => (id === null ? 'someone' : (people.get(id)?.name ?? id));
  const zoneOf = (link: DecisionLink): string | undefined => people.get(link.personId)?.timezone;
  const at = (link: DecisionLink, when: Millis | null): string =>
    when === null ? '' : ` on ${formatTime(when, zoneOf(link))}`;

  // ---- CSRF: form token = HMAC(link token, nonce); the nonce also in a cookie named after the link --------------

  function formToken(token: string, nonce: string): string {
    return createHmac('sha256', linkSecret)
      .update(FORM_CONTEXT)
      .update(token)
      .update('\n')
      .update(nonce)
      .digest('base64url');
  }
  /** One cookie per link, so two decision pages open side by side do not spoil each other's form. */
  function cookieName(token: string): string {
    return `${COOKIE_PREFIX}${createHash('sha256').update(token).digest('base64url').slice(0, 16)}`;
  }
  function cookieHeader(name: string, value: string, maxAge: number): string {
    return `${name}=${value}; Path=${cookiePath}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }
  /** A fresh nonce for a page with a form: its form token and the cookie that goes with it. */
  function csrfFor(token: string): { formToken: string; cookie: string } {
    const nonce = randomBytes(18).toString('base64url');
    return { formToken: formToken(token, nonce), cookie: cookieHeader(cookieName(token), nonce, COOKIE_MAX_AGE_S) };
  }
  function csrfOk(req: IncomingMessage, token: string, given: string): boolean {
    const nonce = readCookie(headerValue(req.headers, 'cookie'), cookieName(token));
    if (nonce === null || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) return false;
    return safeEqual(given, formToken(token, nonce));
  }

  // ---- pages -------------------------------------------------------------------------------------------------

  function leadFacts(view: { leadName: string; company: string | null; hot: boolean }): PageFact[] {
    const facts: PageFact[] = [{ label: 'Lead', value: view.leadName }];
    if (view.company !== null && view.company !== '') facts.push({ label: 'Company', value: view.company });
    if (view.hot) facts.push({ label: 'Priority', value: 'Hot lead' });
    return facts;
  }

  const problem = (status: number, title: string, line: string): Answer => ({
    status,
    page: { title, tone: 'problem', lines: [line, NOTHING_CHANGED] },
  });
  const badLink = (): Answer =>
    problem(400, 'This link is not valid', 'The link is incomplete or was changed. Open it again from your email.');
  const expiredLink = (): Answer => problem(410, 'This link has expired', 'This decision link is past its deadline.');
  const gone = (): Answer => problem(404, 'Lead not found', 'This lead is not in the hand-off anymore.');

  /** What happened to an offer that is not open (a decided, timed-out, withdrawn or reassigned one). */
  function offerEnded(link: DecisionLink, view: OfferView): Answer {
    const who = view.decidedBy ?? view.repName;
    const when = at(link, view.decidedAt);
    const facts = leadFacts(view);
    const info = (title: string, line: string): Answer => ({
      status: 200,
      page: { title, tone: 'info', lines: [line, NOTHING_CHANGED], facts },
    });
    const later =
      view.handoffState === 'accepted' && view.decidedBy !== null
        ? ` The lead was then accepted by ${view.decidedBy}.`
        : view.handoffState === 'escalated'
          ? ' The lead went to the managers.'
          : view.handoffState === 'offered'
            ? ' The lead went to the next rep.'
            : '';
    switch (view.offerState) {
      case 'accepted':
        return info('Already decided', `Accepted by ${who}${when}.`);
      case 'rejected':
        return info('Already decided', `Rejected by ${who}${when}.`);
      case 'timed_out':
        return info('This offer ended', `It timed out${when}.${later}`);
      case 'withdrawn':
        return info('This offer ended', `The lead was withdrawn${when}: it is no longer waiting for a rep.`);
      case 'reassigned':
        return info('This offer ended', `A manager reassigned the lead${when}.${later}`);
      case 'escalated':
        return info('This offer ended', `The lead was escalated to the managers${when}.${later}`);
      case 'open':
        return info('This offer is open', `The lead is with ${view.repName}.`);
    }
  }

  /** What happened to an escalation that no longer waits for an owner. */
  function escalationEnded(view: HandoffView): Answer {
    const facts = leadFacts(view);
    const line =
      view.state === 'accepted'
        ? `Already taken: ${view.ownerName ?? 'a rep'} owns this lead now.`
        : view.state === 'offered'
          ? 'Already handled: the lead has been offered to a rep.'
          : view.state === 'withdrawn'
            ? 'The lead was withdrawn: it no longer needs an owner.'
            : view.state === 'rejected'
              ? 'The lead was rejected and went back to marketing.'
              : 'This lead is not waiting for an owner.';
    return {
      status: 200,
      page: { title: 'Already handled', tone: 'info', lines: [line, NOTHING_CHANGED], facts },
    };
  }

  /** The confirm page of a live link; `again` re-shows the reject form with what was typed and the problem. */
  function confirmPage(
    token: string,
    link: DecisionLink,
    view: OfferView | HandoffView,
    again?: { reason: string | null; note: string; problem: string },
    status = 200,
  ): Answer {
    const csrf = csrfFor(token);
    const facts = leadFacts(view);
    const form = { token, formToken: csrf.formToken };
    let page: PageContent;
    switch (link.action) {
      case 'accept': {
        const v = view as OfferView;
        facts.push({ label: 'Answer by', value: formatTime(v.dueAt, zoneOf(link)) });
        page = {
          title: 'Accept this lead?',
          tone: 'ask',
          lines: [
            `Accepting makes ${v.leadName} yours: it counts as sales-accepted and the CRM is updated.`,
            'Nothing happens until you press the button.',
          ],
          facts,
          form: decisionForm({ ...form, button: 'Accept the lead', tone: 'primary' }),
        };
        break;
      }
      case 'reject': {
        const v = view as OfferView;
        facts.push({ label: 'Answer by', value: formatTime(v.dueAt, zoneOf(link)) });
        page = {
          title: 'Reject this lead?',
          tone: 'ask',
          lines: [
            'The lead goes back to marketing with your reason. Pick one; some need a note.',
            'Nothing happens until you press the button.',
          ],
          facts,
          form: decisionForm({
            ...form,
            button: 'Reject the lead',
            tone: 'danger',
            reject: {
              reasons,
              chosen: again?.reason ?? null,
              note: again?.note ?? '',
              problem: again?.problem ?? null,
              maxNote: MAX_NOTE_LENGTH,
            },
          }),
        };
        break;
      }
      case 'claim':
        page = {
          title: 'Claim this lead?',
          tone: 'ask',
          lines: [
            'Nobody took this lead in time. Claiming makes it yours (sales-accepted); the first claim wins.',
            'Nothing happens until you press the button.',
          ],
          facts,
          form: decisionForm({ ...form, button: 'Claim the lead', tone: 'primary' }),
        };
        break;
      case 'assign': {
        const rep = nameOf(link.repId);
        facts.push({ label: 'Assign to', value: rep });
        page = {
          title: `Assign this lead to ${rep}?`,
          tone: 'ask',
          lines: [
            `${rep} gets the lead as a new offer, with a fresh deadline to accept or reject it.`,
            'Nothing happens until you press the button.',
          ],
          facts,
          form: decisionForm({ ...form, button: `Assign to ${rep}`, tone: 'primary' }),
        };
        break;
      }
    }
    return { status, page, cookie: csrf.cookie };
  }

  type Live = { live: true; view: OfferView | HandoffView } | { live: false; answer: Answer };

  /** The link's offer or hand-off: still waiting for this decision, or the page that says what became of it. */
  async function lookup(link: DecisionLink): Promise<Live> {
    if (link.action === 'accept' || link.action === 'reject') {
      const view = await actions.viewOffer({ offerId: link.offerId });
      if (view === null) return { live: false, answer: gone() };
      if (view.offerState !== 'open') return { live: false, answer: offerEnded(link, view) };
      return { live: true, view };
    }
    const view = await actions.viewHandoff({ handoffId: link.handoffId });
    if (view === null) return { live: false, answer: gone() };
    if (view.state !== 'escalated') return { live: false, answer: escalationEnded(view) };
    return { live: true, view };
  }

  /** The token checked, and what to answer when it is not a live link: invalid, expired, or already decided. */
  async function check(token: string | null): Promise<{ link: DecisionLink; view: OfferView | HandoffView } | Answer> {
    if (token === null) return badLink();
    const checked = verifyLink(token, linkSecret, now());
    if (!checked.ok && checked.problem === 'bad') return badLink();
    const link = 'link' in checked ? checked.link : null;
    if (link === null) return badLink();
    // An expired link to something already decided still says what happened; to a live one it is just expired.
    const found = await lookup(link);
    if (!found.live) return found.answer;
    if (!checked.ok) return expiredLink();
    return { link, view: found.view };
  }

  // ---- outcomes ----------------------------------------------------------------------------------------------

  /** An answer page about the lead of `view`: its facts under the outcome's lines. */
  function pageAbout(view: OfferView | HandoffView) {
    const facts = leadFacts(view);
    return (status: number, title: string, tone: PageContent['tone'], lines: string[]): Answer => ({
      status,
      page: { title, tone, lines, facts },
    });
  }

  function notSetUp(page: ReturnType<typeof pageAbout>): Answer {
    return page(403, 'Not set up', 'problem', [
      'You are not set up as a rep or manager in the lead hand-off (anymore). Ask your RevOps admin.',
      NOTHING_CHANGED,
    ]);
  }

  function decisionAnswer(link: DecisionLink, view: OfferView | HandoffView, o: DecisionOutcome): Answer {
    const page = pageAbout(view);
    switch (o.kind) {
      case 'accepted':
        return page(200, 'Accepted', 'done', [`${view.leadName} is yours. Thank you for answering quickly.`]);
      case 'rejected':
        return page(200, 'Rejected', 'done', ['The lead goes back to marketing with your reason.']);
      case 'already_decided':
        return page(200, 'Already decided', 'info', [
          alreadyDecidedLine(o.state, nameOf(o.by), o.at, zoneOf(link), { icons: false }),
          NOTHING_CHANGED,
        ]);
      case 'offer_closed':
        return page(200, 'This offer ended', 'info', [
          offerClosedLine(o.offerState, o.at, o.currentRep !== null ? nameOf(o.currentRep) : null, zoneOf(link), {
            icons: false,
          }),
          NOTHING_CHANGED,
        ]);
      case 'not_yours':
        return page(403, 'Not your lead', 'problem', [notYoursLine(o.offeredTo), NOTHING_CHANGED]);
      case 'unknown_user':
        return notSetUp(page);
      case 'invalid':
        return page(400, 'That did not work', 'problem', [`The decision was refused: ${o.problem}.`, NOTHING_CHANGED]);
      case 'not_found':
        return gone();
    }
  }

  function claimAnswer(link: DecisionLink, view: OfferView | HandoffView, o: ClaimOutcome): Answer {
    const page = pageAbout(view);
    switch (o.kind) {
      case 'claimed':
        return page(200, 'Claimed', 'done', [`${view.leadName} is yours now.`]);
      case 'assigned':
        return page(200, 'Assigned', 'done', [
          `${nameOf(o.to)} has been offered the lead and will be asked to accept it.`,
        ]);
      case 'already_taken':
        return page(200, 'Already handled', 'info', [
          o.by !== null
            ? `Already taken: the lead is ${o.state.replace(/_/g, ' ')} (${nameOf(o.by)}).`
            : `Already handled: the lead is ${o.state.replace(/_/g, ' ')}.`,
          NOTHING_CHANGED,
        ]);
      case 'not_allowed':
        return page(403, 'Not allowed', 'problem', [`${capitalise(o.why)}.`, NOTHING_CHANGED]);
      case 'unknown_user':
        return notSetUp(page);
      case 'not_found':
        return gone();
    }
  }

  // ---- handlers ----------------------------------------------------------------------------------------------

  function send(res: ServerResponse, answer: Answer, extraCookies: string[] = []): void {
    if (res.headersSent) return;
    const body = renderPage(answer.page);
    const cookies = [...(answer.cookie !== undefined ? [answer.cookie] : []), ...extraCookies];
    res.writeHead(answer.status, {
      ...HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}),
    });
    res.end(body);
  }

  /** Failures of our own (the store unreachable): say so, never pretend something was decided. */
  function failed(res: ServerResponse, err: unknown, what: string): void {
    log.error({ err }, what);
    send(res, {
      status: 503,
      page: {
        title: 'Please try again',
        tone: 'problem',
        lines: ['Something went wrong on our side. Nothing was changed; open the link again in a minute.'],
      },
    });
  }

  const get: EmailRouteHandler = async (req, res) => {
    try {
      const token = tokenFromQuery(req.url);
      const checked = await check(token);
      if ('status' in checked) {
        if (checked.status >= 400) log.info({ status: checked.status }, 'email decision link refused');
        send(res, checked);
        return;
      }
      send(res, confirmPage(token as string, checked.link, checked.view));
    } catch (err) {
      failed(res, err, 'email decision page failed');
    }
  };

  const post: EmailRouteHandler = async (req, res) => {
    try {
      const type = (headerValue(req.headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') {
        req.resume();
        send(res, problem(400, 'Not a decision form', 'This address takes the decision form only.'));
        return;
      }
      let raw: Buffer | null;
      try {
        raw = await readBody(req, limit);
      } catch (err) {
        log.warn({ err }, 'email decision request stream failed');
        return;
      }
      if (raw === null) {
        send(res, problem(413, 'Too much text', 'The form was larger than it can be. Shorten the note.'));
        return;
      }
      const form = new URLSearchParams(raw.toString('utf8'));
      const token = single(form, 't');
      const given = single(form, 'csrf');
      if (token === null || given === null || token.length > MAX_TOKEN_LENGTH) {
        send(res, badLink());
        return;
      }
      const checked = await check(token);
      if ('status' in checked) {
        send(res, checked);
        return;
      }
      const { link, view } = checked;
      if (!csrfOk(req, token, given)) {
        log.warn({ action: link.action, personId: link.personId }, 'email decision refused: form token or cookie');
        send(res, {
          status: 403,
          page: {
            title: 'Please confirm again',
            tone: 'problem',
            lines: [
              'This form could not be checked (it is old, or was not sent from the page of your link).',
              'Nothing was changed. Open the link from your email again and confirm there.',
            ],
            facts: leadFacts(view),
          },
        });
        return;
      }
      const actor: Actor = { via: 'email', personId: link.personId };
      const clear = cookieHeader(cookieName(token), '', 0);
      let answer: Answer;
      switch (link.action) {
        case 'accept':
          answer = decisionAnswer(link, view, await actions.accept({ offerId: link.offerId, actor }));
          break;
        case 'reject': {
          const reasonId = single(form, 'reason');
          const note = (single(form, 'note') ?? '').trim();
          const reason = reasons.find((r) => r.id === reasonId);
          const wrong =
            reasonId === null || reasonId === ''
              ? 'Pick a reason.'
              : reason === undefined
                ? 'Pick one of the reasons below.'
                : reason.noteRequired && note === ''
                  ? `A note is required for “${reason.label}”.`
                  : note.length > MAX_NOTE_LENGTH
                    ? `The note is too long (at most ${MAX_NOTE_LENGTH} characters).`
                    : null;
          if (wrong !== null || reason === undefined) {
            const problemText = wrong ?? 'Pick a reason.';
            send(res, confirmPage(token, link, view, { reason: reasonId, note, problem: problemText }, 400));
            return;
          }
          const outcome = await actions.reject({
            offerId: link.offerId,
            actor,
            reasonId: reason.id,
            note: note === '' ? null : note,
          });
          if (outcome.kind === 'invalid') {
            send(
              res,
              confirmPage(
                token,
                link,
                view,
                { reason: reason.id, note, problem: `${capitalise(outcome.problem)}.` },
                400,
              ),
            );
            return;
          }
          answer = decisionAnswer(link, view, outcome);
          break;
        }
        case 'claim':
          answer = claimAnswer(link, view, await actions.claim({ handoffId: link.handoffId, actor }));
          break;
        case 'assign':
          answer = claimAnswer(
            link,
            view,
            await actions.assign({ handoffId: link.handoffId, actor, repId: link.repId }),
          );
          break;
      }
      log.info(
        { action: link.action, personId: link.personId, status: answer.status, title: answer.page.title },
        'email decision',
      );
      send(res, answer, [clear]);
    } catch (err) {
      failed(res, err, 'email decision failed');
    }
  };

  return { get, post, routes: { 'GET /email/decide': get, 'HEAD /email/decide': get, 'POST /email/decide': post } };
}

function capitalise(text: string): string {
  return text.length === 0 ? text : `${text[0]?.toUpperCase() ?? ''}${text.slice(1)}`;
}

/** The one value of a form field, or null when it is missing or given more than once. */
function single(form: URLSearchParams, name: string): string | null {
  const all = form.getAll(name);
  return all.length === 1 ? (all[0] as string) : null;
}

function tokenFromQuery(url: string | undefined): string | null {
  const query = (url ?? '').split('?')[1];
  if (query === undefined) return null;
  const all = new URLSearchParams(query).getAll('t');
  return all.length === 1 && (all[0] as string).length <= MAX_TOKEN_LENGTH ? (all[0] as string) : null;
}

/** The value of one cookie in a Cookie header, or null. */
function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
