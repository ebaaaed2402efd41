// POST /teams/messages: the activities Teams (the Bot Framework) sends to the bot. Every request is
// authenticated first (teams.auth.ts); anything that fails is answered 401 and changes nothing. Then:
//  - the app installed for a user (conversationUpdate with the bot among membersAdded, installationUpdate add) in
//    personal scope: their email from the roster, the conversation reference kept in the directory, a welcome
//    (or "you are not set up") message; removed: the directory forgets them;
//  - an Adaptive Card Action.Execute (invoke adaptiveCard/action): accept, reject (reason + note), claim, assign
//    or refresh, through HandoffActions with the Teams actor; answered with the card of the outcome, so the card
//    the user clicked shows what happened (late and double clicks included);
//  - a message typed to the bot: a short help reply;
//  - anything else: 200, ignored.
// Malformed bodies and forged action values are answered 4xx or with an invoke error, never 5xx.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RejectionReason } from '../../src/domain/model.js';
import type { Actor, HandoffActions } from '../../src/ports/handoff-actions.js';
import type { Logger } from '../../src/ports/logger.js';
import type { Person } from '../../src/ports/rep-notifier.js';
import { readBody } from '../../src/runtime/read-body.js';
import { headerValue } from '../../src/runtime/signed-request.js';
import { createTeamsAuth, type TeamsAuth } from './teams.auth.js';
import {
  ADAPTIVE_CARD_ACTION,
  nameLookup,
  parseActionValue,
  plainResultCard,
  type TeamsActionResult,
  type TeamsCardRenderer,
} from './teams.invoke.js';
import {
  ADAPTIVE_CARD,
  type TeamsActionData,
  type TeamsConnectorClient,
  type TeamsConversationRef,
  type TeamsDirectory,
} from './teams.types.js';

/** Largest activity accepted (Teams' own are a few KB; cards with inputs stay far below). */
export const TEAMS_BODY_LIMIT = 1_048_576;

export interface TeamsHandlerOptions {
  /** Our Microsoft App ID (audience of incoming tokens). */
  appId: string;
  /** OpenID metadata of the token issuer (msteams.openIdMetadataUrl; the emulator's in tests and the demo). */
  openIdMetadataUrl: string;
  /** Single-tenant app: activities from other tenants are refused (403). */
  tenantId?: string | null;
  /** Rejection reasons: a reject needs one of these ids, and a note when the reason says so. */
  reasons: readonly RejectionReason[];
  /** Reps and managers, for names in the fallback card. */
  people?: readonly Person[];
  /** The card an invoke answers with; default: a plain card saying what happened. */
  render?: TeamsCardRenderer;
  bodyLimitBytes?: number;
  /** Clock (tests): token expiry. */
  now?: () => number;
}

export interface TeamsHandlerDeps {
  actions: HandoffActions;
  directory: TeamsDirectory;
  client: TeamsConnectorClient;
  logger: Logger;
  /** Request authentication; default: built from appId and openIdMetadataUrl. */
  auth?: TeamsAuth;
}

export type TeamsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

type Json = Record<string, unknown>;

function obj(v: unknown): Json | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function reply(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': 0 });
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

/** An invoke answer that shows `message` to the user and leaves the card as it was. */
function invokeError(statusCode: 400 | 500, message: string): Json {
  return {
    statusCode,
    type: 'application/vnd.microsoft.error',
    value: { code: statusCode === 400 ? 'BadRequest' : 'InternalError', message },
  };
}

export const HELP_TEXT =
  'I post lead offers here as cards: use Accept or Reject on a card to decide. Escalated leads appear in your ' +
  "team's channel, where you can claim them (managers can assign them). There is nothing to type.";

export function welcomeText(personName: string | null, user: { aadObjectId: string; email: string | null }): string {
  if (personName !== null)
    return `Hi ${personName}, you're set up in handoff: lead offers will arrive here as cards. ${HELP_TEXT}`;
  return (
    "Hi! You're not set up as a rep or manager in handoff, so no leads will come here yet. Ask your handoff admin " +
    `to add you (Teams user id ${user.aadObjectId}${user.email !== null ? `, email ${user.email}` : ''}), then send me any message.`
  );
}

export function createTeamsHandler(options: TeamsHandlerOptions, deps: TeamsHandlerDeps): TeamsHandler {
  const log = deps.logger.child({ component: 'teams-app' });
  const limit = options.bodyLimitBytes ?? TEAMS_BODY_LIMIT;
  const auth =
    deps.auth ??
    createTeamsAuth({
      appId: options.appId,
      openIdMetadataUrl: options.openIdMetadataUrl,
      ...(options.now !== undefined ? { now: options.now } : {}),
    });
  const { actions, directory, client } = deps;
  const people = options.people ?? [];
  const nameOf = nameLookup(people);
  const render: TeamsCardRenderer = options.render ?? ((r) => plainResultCard(r, nameOf, options.reasons));
  const personName = (id: string): string | null => people.find((p) => p.id === id)?.name ?? null;

  function tenantOf(activity: Json): string | null {
    return text(obj(obj(activity.channelData)?.tenant)?.id) ?? text(obj(activity.conversation)?.tenantId) ?? null;
  }

  /** The personal conversation this activity came through, or null (channel, group chat, or ids missing). */
  function personalRef(activity: Json): TeamsConversationRef | null {
    const conversation = obj(activity.conversation);
    const from = obj(activity.from);
    const serviceUrl = text(activity.serviceUrl);
    const conversationId = text(conversation?.id);
    const userId = text(from?.id);
    const aadObjectId = text(from?.aadObjectId);
    if (conversation?.conversationType !== 'personal') return null;
    if (serviceUrl === null || conversationId === null || userId === null || aadObjectId === null) return null;
    return { serviceUrl, conversationId, tenantId: tenantOf(activity), userId, aadObjectId };
  }

  async function say(serviceUrl: string, conversationId: string, message: string): Promise<void> {
    try {
      await client.send(serviceUrl, conversationId, { type: 'message', text: message, textFormat: 'plain' });
    } catch (err) {
      log.warn({ err, conversationId }, 'teams reply not sent');
    }
  }

  /** Keeps the user's conversation reference; answers who they are in handoff (null: nobody configured). */
  async function register(
    ref: TeamsConversationRef,
    fromName: string | null,
  ): Promise<{
    personId: string | null;
    email: string | null;
  }> {
    let member: Awaited<ReturnType<TeamsConnectorClient['member']>> = null;
    try {
      member = await client.member(ref.serviceUrl, ref.conversationId, ref.userId);
    } catch (err) {
      // Still keep the reference: a rep configured with teamsUserId is matched without the email.
      log.warn({ err, aadObjectId: ref.aadObjectId }, 'teams member look-up failed');
    }
    const email = member?.email ?? null;
    const personId = await directory.installed(
      { aadObjectId: ref.aadObjectId, email, name: member?.name ?? fromName },
      ref,
    );
    log.info({ aadObjectId: ref.aadObjectId, personId, conversationId: ref.conversationId }, 'teams app installed');
    return { personId, email };
  }

  function botAmong(list: unknown, botId: string | null): boolean {
    return Array.isArray(list) && botId !== null && list.some((m) => text(obj(m)?.id) === botId);
  }

  async function onConversationUpdate(activity: Json): Promise<void> {
    const botId = text(obj(activity.recipient)?.id);
    const ref = personalRef(activity);
    if (ref === null) {
      if (botAmong(activity.membersAdded, botId)) {
        const channelData = obj(activity.channelData);
        log.info(
          {
            teamId: text(obj(channelData?.team)?.id),
            channelId: text(obj(channelData?.channel)?.id),
            conversationId: text(obj(activity.conversation)?.id),
          },
          'teams app added to a team or chat (channel ids for msteams.managersChannel / teams[].teamsChannel)',
        );
      }
      return;
    }
    if (botAmong(activity.membersRemoved, botId)) {
      await directory.uninstalled(ref.aadObjectId);
      log.info({ aadObjectId: ref.aadObjectId }, 'teams app removed');
      return;
    }
    if (!botAmong(activity.membersAdded, botId)) return;
    const fromName = text(obj(activity.from)?.name);
    const who = await register(ref, fromName);
    const name = who.personId !== null ? (personName(who.personId) ?? fromName ?? 'there') : null;
    await say(
      ref.serviceUrl,
      ref.conversationId,
      welcomeText(name, { aadObjectId: ref.aadObjectId, email: who.email }),
    );
  }

  async function onInstallationUpdate(activity: Json): Promise<void> {
    const ref = personalRef(activity);
    if (ref === null) return;
    const action = activity.action;
    if (action === 'add' || action === 'add-upgrade') await register(ref, text(obj(activity.from)?.name));
    else if (action === 'remove') {
      await directory.uninstalled(ref.aadObjectId);
      log.info({ aadObjectId: ref.aadObjectId }, 'teams app removed');
    }
  }

  async function onMessage(activity: Json): Promise<void> {
    const serviceUrl = text(activity.serviceUrl);
    const conversationId = text(obj(activity.conversation)?.id);
    if (serviceUrl === null || conversationId === null) return;
    const ref = personalRef(activity);
    if (ref === null) {
      await say(serviceUrl, conversationId, HELP_TEXT);
      return;
    }
    // Writing to the bot proves the app is installed: keep (or refresh) the reference, say who they are.
    const who = await register(ref, text(obj(activity.from)?.name));
    await say(
      serviceUrl,
      conversationId,
      who.personId !== null ? HELP_TEXT : welcomeText(null, { aadObjectId: ref.aadObjectId, email: who.email }),
    );
  }

  /** What HandoffActions answers (null for a refresh); incomplete forms are answered here, deciding nothing. */
  async function outcomeOf(action: TeamsActionData, actor: Actor): Promise<TeamsActionResult['outcome']> {
    switch (action.verb) {
      case 'accept':
        return actions.accept({ offerId: action.offerId, actor });
      case 'reject': {
        const reason = options.reasons.find((r) => r.id === action.reason);
        if (action.reason === undefined) return { kind: 'invalid', problem: 'choose a reason' };
        if (reason === undefined) return { kind: 'invalid', problem: 'that reason is not available' };
        if (reason.noteRequired && action.note === undefined)
          return { kind: 'invalid', problem: `a note is required when the reason is “${reason.label}”` };
        return actions.reject({ offerId: action.offerId, actor, reasonId: reason.id, note: action.note ?? null });
      }
      case 'claim':
        return actions.claim({ handoffId: action.handoffId, actor });
      case 'assign':
        if (action.repId === undefined) return { kind: 'not_allowed', why: 'choose a rep to assign the lead to' };
        return actions.assign({ handoffId: action.handoffId, actor, repId: action.repId });
      case 'refresh':
        return null;
    }
  }

  async function perform(action: TeamsActionData, viewer: TeamsActionResult['viewer']): Promise<TeamsActionResult> {
    const outcome = await outcomeOf(action, { via: 'teams', userId: viewer.aadObjectId });
    // The state after the action, for the card: the offer for offer verbs, the hand-off for channel verbs.
    const offerId = 'offerId' in action ? action.offerId : undefined;
    const handoffId = 'handoffId' in action ? action.handoffId : undefined;
    return {
      action,
      outcome,
      offer: offerId !== undefined ? await actions.viewOffer({ offerId }) : null,
      handoff: handoffId !== undefined ? await actions.viewHandoff({ handoffId }) : null,
      viewer,
    };
  }

  async function onInvoke(activity: Json): Promise<Json> {
    if (activity.name !== ADAPTIVE_CARD_ACTION) return invokeError(400, 'This action is not supported.');
    const aad = text(obj(activity.from)?.aadObjectId);
    if (aad === null) return invokeError(400, 'Only a Teams user can do this. Nothing was changed.');
    const parsed = parseActionValue(activity.value);
    if (!parsed.ok) {
      log.warn({ problem: parsed.problem, aadObjectId: aad }, 'teams invoke refused');
      return invokeError(400, `That did not work: ${parsed.problem}. Nothing was changed.`);
    }
    let result: TeamsActionResult;
    try {
      result = await perform(parsed.action, { aadObjectId: aad, userId: text(obj(activity.from)?.id) });
    } catch (err) {
      log.error({ err, verb: parsed.action.verb, aadObjectId: aad }, 'teams action failed');
      return invokeError(500, 'handoff could not do that just now. Please try again in a moment.');
    }
    log.info(
      {
        verb: parsed.action.verb,
        aadObjectId: aad,
        outcome: result.outcome?.kind ?? null,
      },
      'teams action',
    );
    let card: object | null;
    try {
      card = render(result);
    } catch (err) {
      log.error({ err, verb: parsed.action.verb }, 'teams card render failed; plain card sent');
      card = plainResultCard(result, nameOf, options.reasons);
    }
    // No card: the one the user sees stays as it is (Teams shows the message only for a manual click).
    if (card === null)
      return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Up to date.' };
    return { statusCode: 200, type: ADAPTIVE_CARD, value: card };
  }

  return async function handleTeamsRequest(req, res) {
    let body: Buffer | null;
    try {
      body = await readBody(req, limit);
    } catch {
      reply(res, 400, { error: 'unreadable body' });
      return;
    }
    if (body === null) {
      reply(res, 413, { error: 'body too large' });
      return;
    }
    const token = await auth.verifyToken(headerValue(req.headers, 'authorization'));
    if (!token.ok) {
      log.warn({ reason: token.reason }, 'teams request refused');
      reply(res, 401, { error: 'unauthorized' });
      return;
    }
    let activity: Json | null;
    try {
      activity = obj(JSON.parse(body.toString('utf8')));
    } catch {
      activity = null;
    }
    if (activity === null || text(activity.type) === null) {
      reply(res, 400, { error: 'not an activity' });
      return;
    }
    const bound = auth.checkActivity(token, { serviceUrl: activity.serviceUrl, channelId: activity.channelId });
    if (!bound.ok) {
      log.warn({ reason: bound.reason }, 'teams request refused');
      reply(res, 401, { error: 'unauthorized' });
      return;
    }
    const tenant = tenantOf(activity);
    if (options.tenantId !== undefined && options.tenantId !== null && tenant !== options.tenantId) {
      log.warn({ tenant }, 'teams activity from another tenant refused');
      reply(res, 403, { error: 'tenant not allowed' });
      return;
    }
    if (activity.channelId !== 'msteams') {
      reply(res, 200);
      return;
    }
    switch (activity.type) {
      case 'invoke':
        reply(res, 200, await onInvoke(activity));
        return;
      case 'conversationUpdate':
        await onConversationUpdate(activity);
        break;
      case 'installationUpdate':
        await onInstallationUpdate(activity);
        break;
      case 'message':
        await onMessage(activity);
        break;
      default:
        break;
    }
    reply(res, 200);
  };
}
