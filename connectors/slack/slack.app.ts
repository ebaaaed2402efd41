// The Bolt app: Accept / Reject buttons, the reject modal, Claim and Assign on escalations, App Home and /handoff.
// HTTP mode mounts Bolt's HTTPReceiver request listener in our own server (POST /slack/events);
// Socket Mode connects with the app token. Decisions go through HandoffActions (the app layer), never imported.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  App,
  HTTPReceiver,
  SocketModeReceiver,
  type AuthorizeResult,
  type BlockAction,
  type ButtonAction,
  type RespondFn,
  type StaticSelectAction,
  type webApi as WebApi,
} from '@slack/bolt';
import { parseAwayUntil } from '../../src/domain/away.js';
import { nextTurn, oneStartPerTurn } from '../../src/domain/next-turn.js';
import type { Millis, RejectionReason } from '../../src/domain/model.js';
import {
  slackActor,
  type Actor,
  type ClaimOutcome,
  type DecisionOutcome,
  type HandoffActions,
} from '../../src/ports/handoff-actions.js';
import type { Person } from '../../src/ports/rep-notifier.js';
import { sinceAccepted } from '../../src/runtime/connection-timing.js';
import { readBody } from '../../src/runtime/read-body.js';
import {
  ACTION,
  BLOCK,
  HELP_TEXT,
  REJECT_MODAL_CALLBACK,
  alreadyDecidedLine,
  alreadyDecidedText,
  buildAppHome,
  buildRejectModal,
  cardLabel,
  closeBlocks,
  decodeAssignValue,
  decodeRejectMetadata,
  escalationOutcomeText,
  formatTime,
  notARepText,
  notYoursText,
  offerClosedLine,
  offerClosedText,
  offerOutcomeText,
  personRef,
  queueText,
  statsText,
} from './slack.blocks.js';
import { boltLogger, createSlackWebClient, type SlackLogger } from './slack.client.js';
import { checkSlackRequest, SLACK_BODY_LIMIT } from './slack.request-guard.js';

export interface SlackAppOptions {
  botToken: string;
  /** Required in HTTP mode (signature verification). */
  signingSecret?: string;
  /** When set, the app connects in Socket Mode and needs no public URL. */
  appToken?: string;
  /** Web API base (https://slack.com/api/, GovSlack, or an emulator). */
  apiUrl?: string;
  /** Path the HTTP server mounts the app at. */
  endpoint?: string;
  reasons: readonly RejectionReason[];
  /** Reps and managers (config ids, names, Slack ids, time zones) for names and times in replies. */
  people?: readonly Person[];
  /** Web API call timeout. */
  timeoutMs?: number;
  /** Update the card right after a decision (the outbox closes it too; this is what the rep sees at once). */
  updateCardOnDecision?: boolean;
  now?: () => Millis;
}

export interface SlackAppDeps {
  actions: HandoffActions;
  logger: SlackLogger;
}

export interface SlackApp {
  mode: 'http' | 'socket';
  /** HTTP mode: a node:http request listener for POST {endpoint}. Answers 404 in Socket Mode. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Socket Mode: opens the connection. HTTP mode: nothing to start (the caller's server receives requests). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

type Client = WebApi.WebClient;

const THIRTY_DAYS = 30 * 86_400_000;
const CARD_CACHE = 500;

/** One turn of the event loop: requests whose bytes have arrived are read (and acked) first (see nextTurn). */
const afterPendingIo = nextTurn;

/**
 * The follow-up work of clicks (a decision, a claim: store reads and a transaction) runs one at a time, each after a
 * turn of the event loop. Acks have a 3-second deadline (our budget: 50 ms), the work behind them does not: when 50
 * clicks arrive together, their decisions would otherwise run back to back in one go (every deferred decision is
 * due in the same check phase) and the acks of clicks still arriving wait behind all of them. Serial, each decision
 * yields first, so a click that arrives meanwhile is acked before the next decision starts.
 */
function createFollowUpLane(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<void> = Promise.resolve();
  return (work) => {
    const run = tail.then(afterPendingIo).then(work);
    tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
}

function errorCode(err: unknown): string {
  const data = (err as { data?: { error?: unknown } } | null)?.data;
  if (typeof data?.error === 'string') return data.error;
  return err instanceof Error ? err.message : String(err);
}

export function createSlackApp(options: SlackAppOptions, deps: SlackAppDeps): SlackApp {
  const log = deps.logger.child({ component: 'slack-app' });
  const { actions } = deps;
  const now = options.now ?? Date.now;
  const people = options.people ?? [];
  const updateCards = options.updateCardOnDecision ?? true;
  const endpoint = options.endpoint ?? '/slack/events';
  const followUp = createFollowUpLane();
  // Bolt's middleware and our handler run synchronously up to their first real wait (about a millisecond a click):
  // acked clicks start their handling one per turn, so 50 started together do not hold the loop for tens of ms while
  // more clicks are arriving.
  const startHandling = oneStartPerTurn();
  const socketMode = options.appToken !== undefined && options.appToken !== '';
  const logger = boltLogger(log);
  const clientOptions: WebApi.WebClientOptions = {
    ...(options.apiUrl !== undefined ? { slackApiUrl: options.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 10_000,
    logger,
  };

  // auth.test once (bot user id for ignoreSelf); retried on the next request if it failed.
  const authClient = createSlackWebClient(
    { botToken: options.botToken, apiUrl: options.apiUrl, timeoutMs: options.timeoutMs },
    logger,
  );
  let identity: Promise<AuthorizeResult> | null = null;
  const authorize = (): Promise<AuthorizeResult> => {
    if (identity === null) {
      const pending = authClient.auth.test().then((r) => ({
        botToken: options.botToken,
        ...(r.bot_id !== undefined ? { botId: r.bot_id } : {}),
        ...(r.user_id !== undefined ? { botUserId: r.user_id } : {}),
        ...(r.team_id !== undefined ? { teamId: r.team_id } : {}),
      }));
      identity = pending;
      pending.catch((err: unknown) => {
        log.error({ err: errorCode(err) }, 'slack auth.test failed');
        if (identity === pending) identity = null;
      });
    }
    return identity;
  };

  let httpReceiver: InstanceType<typeof HTTPReceiver> | null = null;
  let receiver: InstanceType<typeof HTTPReceiver> | InstanceType<typeof SocketModeReceiver>;
  if (socketMode) {
    receiver = new SocketModeReceiver({
      appToken: options.appToken as string,
      logger,
      installerOptions: {
        clientOptions: {
          ...(options.apiUrl !== undefined ? { slackApiUrl: options.apiUrl } : {}),
          timeout: options.timeoutMs ?? 10_000,
        },
      },
    });
  } else {
    if (options.signingSecret === undefined || options.signingSecret === '') {
      throw new Error('slack: signingSecret is required in HTTP mode (or set appToken for Socket Mode)');
    }
    httpReceiver = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: endpoint,
      logger,
      processBeforeResponse: false,
    });
    receiver = httpReceiver;
  }
  const app = new App({ receiver, authorize, logger, clientOptions, ignoreSelf: true });

  app.error(async (err) => {
    log.error({ err: err.message, code: (err as { code?: unknown }).code }, 'slack handler failed');
  });

  // Slack retries are duplicates of what we already handled (DESIGN §7): acknowledge and drop them.
  app.use(async (args) => {
    const retryNum = args.context.retryNum;
    if (retryNum !== undefined && retryNum > 0) {
      log.info({ retryNum, reason: args.context.retryReason }, 'slack retry ignored');
      const ack = (args as { ack?: () => Promise<void> }).ack;
      if (ack !== undefined) await ack();
      return;
    }
    await args.next();
  });

  // ---- helpers ----

  const byId = (id: string | null): string | null => {
    if (id === null) return null;
    const p = people.find((x) => x.id === id) ?? people.find((x) => x.name === id);
    return p !== undefined ? personRef(p) : id;
  };
  const personFor = (slackUserId: string): Person =>
    people.find((p) => p.slackUserId === slackUserId) ?? { id: slackUserId, name: slackUserId, slackUserId };
  const tzOf = (slackUserId: string): string | undefined => people.find((p) => p.slackUserId === slackUserId)?.timezone;

  // Card blocks seen at Reject clicks, so the card can be closed right after the modal is submitted.
  const recentCards = new Map<string, unknown[]>();
  const remember = (channel: string, ts: string, blocks: unknown[]): void => {
    recentCards.delete(`${channel}:${ts}`);
    recentCards.set(`${channel}:${ts}`, blocks);
    while (recentCards.size > CARD_CACHE) {
      const oldest = recentCards.keys().next().value;
      if (oldest === undefined) break;
      recentCards.delete(oldest);
    }
  };

  async function ephemeral(client: Client, channel: string | undefined, user: string, text: string): Promise<void> {
    if (channel === undefined) return;
    try {
      await client.chat.postEphemeral({ channel, user, text });
    } catch (err) {
      log.warn({ channel, err: errorCode(err) }, 'ephemeral reply failed');
    }
  }

  async function refresh(client: Client, where: CardRef | null, line: string): Promise<void> {
    if (where === null || where.blocks === null) return;
    try {
      await client.chat.update({
        channel: where.channel,
        ts: where.ts,
        text: line,
        blocks: closeBlocks(where.blocks, line),
      });
    } catch (err) {
      log.warn({ channel: where.channel, ts: where.ts, err: errorCode(err) }, 'card update failed');
    }
  }

  async function publishHome(client: Client, user: string, notice?: string): Promise<void> {
    const actor: Actor = slackActor(user);
    const at = now();
    const [queue, summary] = await Promise.all([
      actions.queue({ actor }),
      actions.summary({ actor, since: at - THIRTY_DAYS }),
    ]);
    const tz = tzOf(user);
    const view = buildAppHome({
      queue,
      summary,
      now: at,
      ...(tz !== undefined ? { timezone: tz } : {}),
      ...(notice !== undefined ? { notice } : {}),
    });
    await client.views.publish({ user_id: user, view });
  }

  interface CardRef {
    channel: string;
    ts: string;
    blocks: unknown[] | null;
  }

  interface ClickContext {
    user: string;
    /** The card that was clicked, or null for App Home. */
    card: CardRef | null;
    client: Client;
  }

  /** Tells the rep what their decision did, and closes or refreshes the card. */
  async function afterDecision(
    outcome: DecisionOutcome,
    ctx: ClickContext,
    detail: { reasonId?: string; note?: string | null },
  ): Promise<void> {
    const tz = tzOf(ctx.user);
    const who = personFor(ctx.user);
    const channel = ctx.card?.channel;
    let notice: string | undefined;
    switch (outcome.kind) {
      case 'accepted': {
        const line = offerOutcomeText({ kind: 'accepted', by: who, at: outcome.handoff.decidedAt ?? now() }, tz);
        if (updateCards) await refresh(ctx.client, ctx.card, line);
        notice = line;
        break;
      }
      case 'rejected': {
        const line = offerOutcomeText(
          {
            kind: 'rejected',
            by: who,
            at: outcome.handoff.decidedAt ?? now(),
            reason: outcome.handoff.reasonId ?? detail.reasonId ?? 'other',
            note: outcome.handoff.note ?? detail.note ?? null,
          },
          tz,
          options.reasons,
        );
        if (updateCards) await refresh(ctx.client, ctx.card, line);
        notice = line;
        break;
      }
      case 'already_decided': {
        notice = alreadyDecidedText(outcome.state, byId(outcome.by), outcome.at, tz);
        await ephemeral(ctx.client, channel, ctx.user, notice);
        await refresh(ctx.client, ctx.card, alreadyDecidedLine(outcome.state, byId(outcome.by), outcome.at, tz));
        break;
      }
      case 'offer_closed': {
        notice = offerClosedText(outcome.offerState, outcome.at, byId(outcome.currentRep), tz);
        await ephemeral(ctx.client, channel, ctx.user, notice);
        await refresh(
          ctx.client,
          ctx.card,
          offerClosedLine(outcome.offerState, outcome.at, byId(outcome.currentRep), tz),
        );
        break;
      }
      case 'not_yours':
        notice = notYoursText(byId(outcome.offeredTo) ?? outcome.offeredTo);
        await ephemeral(ctx.client, channel, ctx.user, notice);
        break;
      case 'unknown_user':
        notice = notARepText();
        await ephemeral(ctx.client, channel, ctx.user, notice);
        break;
      case 'invalid':
        notice = `That did not work: ${outcome.problem}. Nothing was changed.`;
        await ephemeral(ctx.client, channel, ctx.user, notice);
        break;
      case 'not_found':
        notice = 'This lead is no longer known to handoff. Nothing was changed.';
        await ephemeral(ctx.client, channel, ctx.user, notice);
        await refresh(ctx.client, ctx.card, 'ℹ️ This lead is no longer available.');
        break;
    }
    if (ctx.card === null) await publishHome(ctx.client, ctx.user, notice);
  }

  function cardOf(body: BlockAction): CardRef | null {
    const container = body.container as { type?: unknown; channel_id?: unknown; message_ts?: unknown };
    if (
      container.type !== 'message' ||
      typeof container.channel_id !== 'string' ||
      typeof container.message_ts !== 'string'
    )
      return null;
    const blocks = Array.isArray(body.message?.blocks) ? (body.message.blocks as unknown[]) : null;
    return { channel: container.channel_id, ts: container.message_ts, blocks };
  }

  // ---- Accept ----

  app.action<BlockAction<ButtonAction>>(ACTION.accept, async ({ ack, body, action, client }) => {
    await ack();
    const user = body.user.id;
    const outcome = await followUp(() => actions.accept({ offerId: action.value ?? '', actor: slackActor(user) }));
    log.info({ offerId: action.value, user, outcome: outcome.kind }, 'accept clicked');
    await afterDecision(outcome, { user, card: cardOf(body), client }, {});
  });

  // ---- Reject: open the modal at once (the trigger id lives 3 s) ----

  app.action<BlockAction<ButtonAction>>(ACTION.reject, async ({ ack, body, action, client }) => {
    await ack();
    const user = body.user.id;
    const card = cardOf(body);
    const blocks = card?.blocks ?? null;
    if (card !== null && blocks !== null) remember(card.channel, card.ts, blocks);
    const label = (blocks !== null ? cardLabel(blocks) : null) ?? 'this lead';
    const view = buildRejectModal({
      offerId: action.value ?? '',
      reasons: options.reasons,
      ref: card !== null ? { channel: card.channel, ts: card.ts } : null,
      label,
    });
    try {
      await client.views.open({ trigger_id: body.trigger_id, view });
    } catch (err) {
      log.warn({ offerId: action.value, err: errorCode(err) }, 'reject modal did not open');
      await ephemeral(
        client,
        card?.channel,
        user,
        'Slack could not open the reject form in time. Please click Reject again.',
      );
    }
  });

  app.view(REJECT_MODAL_CALLBACK, async ({ ack, body, view, client }) => {
    const user = body.user.id;
    const meta = decodeRejectMetadata(view.private_metadata);
    const values = view.state.values;
    const reasonId = values[BLOCK.rejectReason]?.[ACTION.rejectReason]?.selected_option?.value ?? null;
    const rawNote = values[BLOCK.rejectNote]?.[ACTION.rejectNote]?.value;
    const note = typeof rawNote === 'string' && rawNote.trim() !== '' ? rawNote.trim() : null;
    if (meta === null) {
      await ack({
        response_action: 'errors',
        errors: { [BLOCK.rejectReason]: 'This form is out of date. Close it and click Reject again.' },
      });
      return;
    }
    const reason = options.reasons.find((r) => r.id === reasonId);
    if (reason === undefined) {
      await ack({ response_action: 'errors', errors: { [BLOCK.rejectReason]: 'Choose a reason.' } });
      return;
    }
    if (reason.noteRequired && note === null) {
      await ack({
        response_action: 'errors',
        errors: { [BLOCK.rejectNote]: `A note is required when the reason is “${reason.label}”.` },
      });
      return;
    }
    await ack();
    const outcome = await followUp(() =>
      actions.reject({
        offerId: meta.offerId,
        actor: slackActor(user),
        reasonId: reason.id,
        note,
      }),
    );
    log.info({ offerId: meta.offerId, user, reasonId: reason.id, outcome: outcome.kind }, 'reject submitted');
    const card =
      meta.ref !== null ? { ...meta.ref, blocks: recentCards.get(`${meta.ref.channel}:${meta.ref.ts}`) ?? null } : null;
    if (card !== null) recentCards.delete(`${card.channel}:${card.ts}`);
    await afterDecision(outcome, { user, card, client }, { reasonId: reason.id, note });
  });

  // ---- Escalations: Claim (team channel) and Assign to… (managers) ----

  async function afterClaim(result: ClaimOutcome, user: string, card: CardRef | null, client: Client): Promise<void> {
    const tz = tzOf(user);
    switch (result.kind) {
      case 'claimed':
        await refresh(
          client,
          card,
          escalationOutcomeText({ kind: 'claimed', by: personFor(user), to: null, at: now() }, tz),
        );
        return;
      case 'assigned': {
        const to = people.find((p) => p.id === result.to) ?? { id: result.to, name: result.to };
        await refresh(
          client,
          card,
          escalationOutcomeText({ kind: 'assigned', by: personFor(user), to, at: now() }, tz),
        );
        return;
      }
      case 'already_taken': {
        // The post itself is closed by whoever took it (and by the outbox), with their name on it.
        const line =
          result.by !== null
            ? `ℹ️ Already taken: ${byId(result.by)} has it (${result.state}).`
            : `ℹ️ Already taken (${result.state}).`;
        await ephemeral(client, card?.channel, user, `${line} Nothing was changed.`);
        return;
      }
      case 'not_allowed':
        await ephemeral(client, card?.channel, user, `You can't do that: ${result.why}.`);
        return;
      case 'unknown_user':
        await ephemeral(client, card?.channel, user, notARepText());
        return;
      case 'not_found':
        await ephemeral(client, card?.channel, user, 'This lead is no longer known to handoff. Nothing was changed.');
        await refresh(client, card, 'ℹ️ This lead is no longer available.');
        return;
    }
  }

  app.action<BlockAction<ButtonAction>>(ACTION.claim, async ({ ack, body, action, client }) => {
    await ack();
    const user = body.user.id;
    const result = await followUp(() => actions.claim({ handoffId: action.value ?? '', actor: slackActor(user) }));
    log.info({ handoffId: action.value, user, outcome: result.kind }, 'claim clicked');
    await afterClaim(result, user, cardOf(body), client);
  });

  app.action<BlockAction<StaticSelectAction>>(ACTION.assign, async ({ ack, body, action, client }) => {
    await ack();
    const user = body.user.id;
    const picked = decodeAssignValue(action.selected_option.value);
    if (picked === null) {
      await ephemeral(client, cardOf(body)?.channel, user, 'That choice is out of date. Nothing was changed.');
      return;
    }
    const result = await followUp(() =>
      actions.assign({
        handoffId: picked.handoffId,
        actor: slackActor(user),
        repId: picked.repId,
      }),
    );
    log.info({ handoffId: picked.handoffId, repId: picked.repId, user, outcome: result.kind }, 'assign chosen');
    await afterClaim(result, user, cardOf(body), client);
  });

  // ---- App Home ----

  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    // The request is answered either way: a Home that cannot be published now is published on the next open.
    await publishHome(client, event.user).catch((err: unknown) =>
      log.warn({ user: event.user, err: errorCode(err) }, 'app home not published'),
    );
  });

  // ---- /handoff ----

  app.command('/handoff', async ({ command, ack, respond }) => {
    const user = command.user_id;
    const actor: Actor = slackActor(user);
    const words = command.text
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '');
    const [sub = 'help', ...rest] = words.map((w, i) => (i === 0 ? w.toLowerCase() : w));
    const tz = tzOf(user);
    const reply = (text: string): Promise<void> => ack({ response_type: 'ephemeral', text });
    const later = async (work: () => Promise<string>, r: RespondFn): Promise<void> => {
      await ack();
      let text: string;
      try {
        text = await work();
      } catch (err) {
        log.error({ err: errorCode(err), sub }, '/handoff failed');
        text = 'Something went wrong; nothing was changed. Please try again in a minute.';
      }
      await r({ response_type: 'ephemeral', text });
    };
    switch (sub) {
      case 'help':
        return reply(HELP_TEXT);
      case 'queue':
        return later(async () => queueText(await actions.queue({ actor }), tz, now()), respond);
      case 'stats':
        return later(async () => statsText(await actions.summary({ actor, since: now() - THIRTY_DAYS })), respond);
      case 'back':
        return later(async () => {
          const r = await actions.setBack({ actor });
          return r.ok ? 'Welcome back — new leads will reach you again.' : notARepText();
        }, respond);
      case 'away': {
        const parsed = parseAwayUntil(rest, now(), tz);
        if (!parsed.ok) return reply(`${parsed.error}\n\n${HELP_TEXT}`);
        return later(async () => {
          const r = await actions.setAway({ actor, until: parsed.until });
          if (!r.ok) return notARepText();
          return parsed.until === null
            ? 'You are away: new leads go to your teammates until you send `/handoff back`.'
            : `You are away until ${formatTime(parsed.until, tz)}: new leads go to your teammates until then (or until \`/handoff back\`).`;
        }, respond);
      }
      default:
        return reply(`Unknown command “${sub}”.\n\n${HELP_TEXT}`);
    }
  });

  return {
    mode: socketMode ? 'socket' : 'http',
    handleRequest(req, res) {
      if (httpReceiver === null) {
        res.writeHead(404).end();
        return;
      }
      const receiver = httpReceiver;
      // Server-Timing on the ack of a click: `ack;dur=<ms>` from the request reaching this handler (headers read)
      // to the ack written, and `accept;dur=<ms>` from the server accepting the connection to the ack written, so
      // what a click's ack costs inside the worker, and how long it waited there, can be told from what the network
      // and the client add (the benchmarks print them).
      const received = performance.now();
      const refuse = (status: number, reason: string): void => {
        log.warn({ path: req.url, status, reason }, 'slack request refused');
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' }).end(reason);
      };
      readBody(req, SLACK_BODY_LIMIT)
        .then((body) => {
          if (body === null) return refuse(413, 'request body too large');
          const verdict = checkSlackRequest({
            headers: req.headers,
            body,
            signingSecret: options.signingSecret ?? '',
            nowSeconds: Math.floor((options.now?.() ?? Date.now()) / 1000),
          });
          if (!verdict.ok) return refuse(verdict.status, verdict.reason);
          if (verdict.ignore !== undefined) {
            log.debug({ path: req.url, reason: verdict.ignore }, 'slack request ignored');
            res.writeHead(200).end();
            return;
          }
          // Button clicks and menu picks (block_actions) are answered with an empty 200 whatever the handler does
          // next, so they are acked here, as soon as the signature holds, and then handed to Bolt: under a burst the
          // ack no longer waits for Bolt's second body parse and signature check and its middleware. Modal
          // submissions and slash commands answer with a body and keep going through the receiver.
          const payload = verdict.interaction?.type === 'block_actions' ? verdict.interaction : null;
          if (payload !== null) {
            const acked = performance.now();
            const waited = sinceAccepted(req, acked);
            res
              .writeHead(200, {
                'server-timing':
                  `ack;dur=${(acked - received).toFixed(1)}` +
                  (waited === null ? '' : `, accept;dur=${waited.toFixed(1)}`),
              })
              .end();
            const retryNum = Number(req.headers['x-slack-retry-num'] ?? NaN);
            const retryReason = req.headers['x-slack-retry-reason'];
            // Bolt's middleware and our handler start on a later turn, one click per turn: the clicks arriving
            // with this one are accepted and acked first.
            void startHandling(() =>
              app.processEvent({
                body: payload,
                ack: () => Promise.resolve(),
                ...(Number.isFinite(retryNum) ? { retryNum } : {}),
                ...(typeof retryReason === 'string' ? { retryReason } : {}),
              }),
            ).catch((err: unknown) => log.error({ err: errorCode(err) }, 'slack action not handled'));
            return;
          }
          // Bolt reads a buffered body from `rawBody` instead of the (already consumed) stream.
          (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
          try {
            receiver.requestListener(req, res);
          } catch (err) {
            // Bolt throws for paths and methods it does not serve.
            log.warn({ path: req.url, method: req.method, err: errorCode(err) }, 'slack request not handled');
            if (!res.headersSent) res.writeHead(404).end();
          }
        })
        .catch(() => refuse(400, 'could not read the request'));
    },
    async start() {
      if (socketMode) await app.start();
      // HTTP mode: look the bot up now (auth.test), not on the first click, whose ack would wait for it (and so
      // would every click that arrives meanwhile). A failure is logged and retried on the next request.
      else void authorize().catch(() => undefined);
    },
    async stop() {
      if (socketMode) await app.stop();
    },
  };
}
