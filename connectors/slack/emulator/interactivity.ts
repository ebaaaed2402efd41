// Slack's side toward the app: a user clicks a button or picks an option (block_actions), submits a modal
// (view_submission), runs a slash command, or opens the App Home (an Events API event). Each goes over the
// Socket Mode connection when the app has one, otherwise as a signed HTTP request. The response_url Slack
// hands out with them is served here too (5 uses).
import { validateBlocks } from './block-validation.js';
import type { DeliveryResult, HttpDelivery, Signing } from './delivery.js';
import { isObject, str, type Json } from './json.js';
import { messageJson, viewJson } from './shapes.js';
import type { SocketMode } from './socket-mode.js';
import { APP_ID, BOT, TEAM, VERIFICATION_TOKEN, type SlackState } from './state.js';

export interface ClickInput {
  user: string;
  channel: string;
  ts: string;
  actionId: string;
  /** Which button (by value) when several share the action id; for a select, the option value to pick. */
  value?: string;
  signing?: Signing;
}

export interface HomeClickInput {
  user: string;
  actionId: string;
  value?: string;
  signing?: Signing;
}

export interface SubmitInput {
  user: string;
  /** Defaults to the user's most recently opened, still open modal. */
  viewId?: string;
  /** Values by block_id and action_id; a select takes the option value, a text input the text; null leaves it empty. */
  values: Record<string, Record<string, string | null>>;
  signing?: Signing;
}

export interface SlashCommandInput {
  user: string;
  channel: string;
  command?: string;
  text: string;
  signing?: Signing;
}

export interface AppHomeInput {
  user: string;
  retryNum?: number;
  eventId?: string;
  signing?: Signing;
}

export interface RawInput {
  body: string;
  contentType: string;
  signing?: Signing;
  headers?: Record<string, string>;
}

export interface Interactivity {
  click(input: ClickInput): Promise<DeliveryResult>;
  clickHome(input: HomeClickInput): Promise<DeliveryResult>;
  submit(input: SubmitInput): Promise<DeliveryResult>;
  slash(input: SlashCommandInput): Promise<DeliveryResult>;
  appHome(input: AppHomeInput): Promise<DeliveryResult>;
  sendRaw(input: RawInput): Promise<DeliveryResult>;
  /** The app POSTs to a response_url Slack gave it: replace or delete the original, post, or answer privately. */
  respond(id: string, raw: string): { status: number; body: string };
}

/** The block and element a user can act on: by action id, and by value when several share it. */
function findInteractive(
  blocks: unknown[],
  actionId: string,
  value: string | undefined,
): { block: Json; element: Json } | null {
  for (const b of blocks) {
    if (!isObject(b)) continue;
    const elements: unknown[] =
      b.type === 'actions' && Array.isArray(b.elements) ? b.elements : b.accessory !== undefined ? [b.accessory] : [];
    for (const el of elements) {
      if (!isObject(el) || el.action_id !== actionId) continue;
      if (el.type === 'static_select') {
        if (value === undefined) return { block: b, element: el };
        const options = Array.isArray(el.options) ? el.options : [];
        if (options.some((o) => isObject(o) && o.value === value)) return { block: b, element: el };
        continue;
      }
      if (value === undefined || el.value === value) return { block: b, element: el };
    }
  }
  return null;
}

export function createInteractivity(state: SlackState, socketMode: SocketMode, http: HttpDelivery): Interactivity {
  const { now } = state;

  async function deliverInteractive(payload: Json, signing: Signing | undefined): Promise<DeliveryResult> {
    const socket = socketMode.active();
    if (socket !== null) return socketMode.deliver(socket, 'interactive', payload);
    return http.deliver(
      `payload=${encodeURIComponent(JSON.stringify(payload))}`,
      'application/x-www-form-urlencoded',
      signing,
    );
  }

  function userRef(userId: string): Json {
    const u = state.users.get(userId);
    if (u === undefined) throw new Error(`slack emulator: unknown user ${userId} (seed it with control.addUser)`);
    return { id: u.id, username: u.name, name: u.name, team_id: TEAM.id };
  }

  function actionJson(block: Json, element: Json, value: string | undefined): Json {
    const base = { block_id: block.block_id, action_id: element.action_id, action_ts: state.nextTs() };
    if (element.type === 'static_select') {
      const options = Array.isArray(element.options) ? (element.options as Json[]) : [];
      const picked = options.find((o) => o.value === value) ?? options[0];
      return { ...base, type: 'static_select', selected_option: picked, placeholder: element.placeholder };
    }
    return { ...base, type: element.type, text: element.text, value: element.value, style: element.style };
  }

  /** A block_actions payload for a control found in a message or a view, delivered; reports the trigger id. */
  async function blockAction(
    input: HomeClickInput,
    found: { block: Json; element: Json },
    container: Json,
    where: Json,
  ): Promise<DeliveryResult> {
    const triggerId = state.issueTrigger(input.user);
    const payload: Json = {
      type: 'block_actions',
      user: userRef(input.user),
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      container,
      trigger_id: triggerId,
      team: TEAM,
      enterprise: null,
      is_enterprise_install: false,
      ...where,
      actions: [actionJson(found.block, found.element, input.value)],
    };
    const result = await deliverInteractive(payload, input.signing);
    return { ...result, triggerId };
  }

  async function click(input: ClickInput): Promise<DeliveryResult> {
    const m = state.message(input.channel, input.ts);
    if (m === undefined || m.deleted) throw new Error(`slack emulator: no message ${input.channel}/${input.ts}`);
    const ch = state.channels.get(input.channel);
    if (ch === undefined || !ch.members.includes(input.user)) {
      throw new Error(`slack emulator: ${input.user} cannot see channel ${input.channel}`);
    }
    const found = findInteractive(m.blocks, input.actionId, input.value);
    if (found === null) throw new Error(`slack emulator: no live "${input.actionId}" control on message ${input.ts}`);
    return blockAction(
      input,
      found,
      { type: 'message', message_ts: m.ts, channel_id: m.channel, is_ephemeral: false },
      {
        channel: { id: ch.id, name: ch.name },
        message: messageJson(m),
        state: { values: {} },
        response_url: state.issueResponseUrl(ch.id, input.user, m.ts),
      },
    );
  }

  async function clickHome(input: HomeClickInput): Promise<DeliveryResult> {
    const home = state.homes.get(input.user);
    if (home === undefined) throw new Error(`slack emulator: no App Home published for ${input.user}`);
    const blocks = Array.isArray(home.view.blocks) ? (home.view.blocks as unknown[]) : [];
    const found = findInteractive(blocks, input.actionId, input.value);
    if (found === null) throw new Error(`slack emulator: no "${input.actionId}" control in ${input.user}'s App Home`);
    return blockAction(input, found, { type: 'view', view_id: home.id }, { view: viewJson(home) });
  }

  async function submit(input: SubmitInput): Promise<DeliveryResult> {
    const v =
      input.viewId !== undefined
        ? state.views.get(input.viewId)
        : [...state.views.values()].filter((x) => x.user === input.user && !x.closed).pop();
    if (v === undefined || v.closed) throw new Error(`slack emulator: no open modal for ${input.user}`);
    const values: Record<string, Record<string, Json>> = {};
    const missing: Record<string, string> = {};
    for (const b of Array.isArray(v.view.blocks) ? (v.view.blocks as Json[]) : []) {
      if (b.type !== 'input' || !isObject(b.element) || typeof b.block_id !== 'string') continue;
      const el = b.element;
      const actionId = String(el.action_id);
      const given = input.values[b.block_id]?.[actionId] ?? null;
      const empty = given === null || given === '';
      if (empty && b.optional !== true) missing[b.block_id] = 'Please complete this required field.';
      if (el.type === 'static_select') {
        const options = Array.isArray(el.options) ? (el.options as Json[]) : [];
        const picked = given === null ? null : (options.find((o) => o.value === given) ?? null);
        if (given !== null && picked === null)
          throw new Error(`slack emulator: option "${given}" is not in ${b.block_id}`);
        values[b.block_id] = { [actionId]: { type: 'static_select', selected_option: picked } };
      } else {
        values[b.block_id] = { [actionId]: { type: String(el.type), value: given } };
      }
    }
    if (Object.keys(missing).length > 0)
      return {
        via: socketMode.active() !== null ? 'socket' : 'http',
        status: 0,
        body: null,
        ackMs: 0,
        errors: missing,
      };
    const payload: Json = {
      type: 'view_submission',
      team: TEAM,
      user: userRef(input.user),
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      trigger_id: state.issueTrigger(input.user),
      enterprise: null,
      is_enterprise_install: false,
      response_urls: [],
      view: { ...viewJson(v), state: { values } },
    };
    const result = await deliverInteractive(payload, input.signing);
    const body = isObject(result.body) ? result.body : null;
    const action = body?.response_action;
    if (result.status === 200 && action === 'errors') {
      return { ...result, errors: (isObject(body?.errors) ? body.errors : {}) as Record<string, string> };
    }
    if (result.status === 200 && action === 'update' && isObject(body?.view)) {
      v.view = body.view;
    } else if (result.status === 200) {
      v.closed = true;
    }
    return result;
  }

  async function slash(input: SlashCommandInput): Promise<DeliveryResult> {
    const u = state.users.get(input.user);
    if (u === undefined) throw new Error(`slack emulator: unknown user ${input.user}`);
    const ch = state.channels.get(input.channel) ?? state.channels.get(state.openDm(input.user).id);
    if (ch === undefined) throw new Error(`slack emulator: unknown channel ${input.channel}`);
    const fields: Record<string, string> = {
      token: VERIFICATION_TOKEN,
      team_id: TEAM.id,
      team_domain: TEAM.domain,
      channel_id: ch.id,
      channel_name: ch.name,
      user_id: u.id,
      user_name: u.name,
      command: input.command ?? '/handoff',
      text: input.text,
      api_app_id: APP_ID,
      is_enterprise_install: 'false',
      response_url: state.issueResponseUrl(ch.id, u.id, null),
      trigger_id: state.issueTrigger(u.id),
    };
    const socket = socketMode.active();
    const result =
      socket !== null
        ? await socketMode.deliver(socket, 'slash_commands', fields)
        : await http.deliver(
            new URLSearchParams(fields).toString(),
            'application/x-www-form-urlencoded',
            input.signing,
          );
    const reply = isObject(result.body)
      ? result.body
      : typeof result.body === 'string' && result.body !== ''
        ? { text: result.body }
        : null;
    if (result.status === 200 && reply !== null && (typeof reply.text === 'string' || Array.isArray(reply.blocks))) {
      state.ephemerals.push({
        channel: ch.id,
        user: u.id,
        text: str(reply.text) ?? '',
        blocks: Array.isArray(reply.blocks) ? reply.blocks : [],
        at: now(),
        via: 'ack',
      });
    }
    return result;
  }

  async function appHome(input: AppHomeInput): Promise<DeliveryResult> {
    if (!state.users.has(input.user)) throw new Error(`slack emulator: unknown user ${input.user}`);
    const home = state.homes.get(input.user);
    const eventId = input.eventId ?? state.nextId('Ev');
    const body: Json = {
      token: VERIFICATION_TOKEN,
      team_id: TEAM.id,
      api_app_id: APP_ID,
      event: {
        type: 'app_home_opened',
        user: input.user,
        channel: state.openDm(input.user).id,
        tab: 'home',
        event_ts: state.nextTs(),
        ...(home !== undefined ? { view: viewJson(home) } : {}),
      },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(now() / 1000),
      authorizations: [
        { enterprise_id: null, team_id: TEAM.id, user_id: BOT.userId, is_bot: true, is_enterprise_install: false },
      ],
      is_ext_shared_channel: false,
    };
    const socket = socketMode.active();
    if (socket !== null) {
      const extra: Json =
        input.retryNum !== undefined
          ? { retry_attempt: input.retryNum, retry_reason: 'timeout' }
          : { retry_attempt: 0, retry_reason: '' };
      return socketMode.deliver(socket, 'events_api', body, extra);
    }
    const headers: Record<string, string> =
      input.retryNum !== undefined
        ? { 'x-slack-retry-num': String(input.retryNum), 'x-slack-retry-reason': 'http_timeout' }
        : {};
    return http.deliver(JSON.stringify(body), 'application/json', input.signing, headers);
  }

  function handleResponseUrl(id: string, raw: string): { status: number; body: string } {
    const target = state.responseUrls.get(id);
    if (target === undefined) return { status: 404, body: 'no_such_response_url' };
    target.uses += 1;
    if (target.uses > 5) return { status: 410, body: 'used_too_many_times' };
    let msg: Json;
    try {
      const parsed: unknown = JSON.parse(raw);
      msg = isObject(parsed) ? parsed : {};
    } catch {
      return { status: 400, body: 'invalid_payload' };
    }
    const blocks = Array.isArray(msg.blocks) ? msg.blocks : [];
    const problem = blocks.length > 0 ? validateBlocks(blocks, 50) : null;
    if (problem !== null) return { status: 400, body: 'invalid_blocks' };
    const original = target.messageTs !== null ? state.message(target.channel, target.messageTs) : undefined;
    if (msg.delete_original === true && original !== undefined) {
      original.deleted = true;
      return { status: 200, body: 'ok' };
    }
    if (msg.replace_original === true && original !== undefined) {
      original.edits.push({ at: now(), text: original.text, blocks: original.blocks });
      original.text = str(msg.text) ?? original.text;
      original.blocks = blocks;
      return { status: 200, body: 'ok' };
    }
    if (msg.response_type === 'in_channel') {
      state.postAsBot(target.channel, str(msg.text) ?? '', blocks, null);
      return { status: 200, body: 'ok' };
    }
    state.ephemerals.push({
      channel: target.channel,
      user: target.user,
      text: str(msg.text) ?? '',
      blocks,
      at: now(),
      via: 'response_url',
    });
    return { status: 200, body: 'ok' };
  }

  return {
    click,
    clickHome,
    submit,
    slash,
    appHome,
    sendRaw: (input) => http.deliver(input.body, input.contentType, input.signing, input.headers),
    respond: handleResponseUrl,
  };
}
