// How tests, benchmarks and the demo drive and inspect the emulator: seed users and channels, read what the app
// did, inject faults, and act as a user. The same operations are served over HTTP under /__control/ for the
// demo page and for tests that run the worker in another process.
import type { ServerResponse } from 'node:http';
import type { DeliveryResult, HttpTransport } from './delivery.js';
import { send, type ControlRoute } from './http.js';
import type {
  AppHomeInput,
  ClickInput,
  HomeClickInput,
  Interactivity,
  RawInput,
  SlashCommandInput,
  SubmitInput,
} from './interactivity.js';
import { str, type Json } from './json.js';
import type { SocketMode } from './socket-mode.js';
import type {
  EmulatorChannel,
  EmulatorUser,
  FaultSpec,
  RecordedCall,
  RecordedEphemeral,
  RecordedMessage,
  RecordedView,
  SlackState,
} from './state.js';

export interface SlackEmulatorControl {
  addUser(user: EmulatorUser): void;
  addChannel(channel: Omit<EmulatorChannel, 'botIsMember'> & { botIsMember?: boolean }): void;
  users(): EmulatorUser[];
  /** The DM channel between the app and a user, if one was opened. */
  dmChannel(user: string): string | null;
  messages(channel?: string): RecordedMessage[];
  message(channel: string, ts: string): RecordedMessage | null;
  ephemerals(filter?: { channel?: string; user?: string }): RecordedEphemeral[];
  views(user?: string): RecordedView[];
  homeView(user: string): RecordedView | null;
  calls(method?: string): RecordedCall[];
  /** Where HTTP-mode requests go (the app's /slack/events URL). */
  setRequestUrl(url: string | null): void;
  /** Who sends HTTP-mode requests (signed as always): another client, e.g. in another process; null: the emulator. */
  setHttpTransport(transport: HttpTransport | null): void;
  /** The next `count` Web API calls (of `method`, if given) fail with `status`. */
  fail(spec: FaultSpec): void;
  /** Ends every fault still pending (an outage that lasted a while). */
  clearFaults(): void;
  /** Makes every trigger id issued so far expired (as if 3 s had passed). */
  expireTriggers(): void;
  socketConnected(): boolean;
  waitForSocket(timeoutMs?: number): Promise<void>;
  clickButton(input: ClickInput): Promise<DeliveryResult>;
  /** Picks an option of a static_select in a message (same as clickButton with the option value). */
  selectOption(input: ClickInput & { value: string }): Promise<DeliveryResult>;
  /** Clicks a button in the user's published App Home view. */
  clickHomeButton(input: HomeClickInput): Promise<DeliveryResult>;
  submitView(input: SubmitInput): Promise<DeliveryResult>;
  slashCommand(input: SlashCommandInput): Promise<DeliveryResult>;
  /** The user opens the app's Home tab (`app_home_opened` event). */
  openAppHome(input: AppHomeInput): Promise<DeliveryResult>;
  /** Sends an arbitrary body to the request URL, signed (or mis-signed) like Slack does. */
  sendRaw(input: RawInput): Promise<DeliveryResult>;
}

export function createControl(
  state: SlackState,
  socketMode: SocketMode,
  interactivity: Interactivity,
): SlackEmulatorControl {
  return {
    addUser(user) {
      state.users.set(user.id, { ...user });
    },
    addChannel(channel) {
      state.channels.set(channel.id, {
        id: channel.id,
        name: channel.name,
        members: [...channel.members],
        botIsMember: channel.botIsMember ?? true,
        ...(channel.isPrivate === true ? { isPrivate: true } : {}),
      });
    },
    users: () => [...state.users.values()].map((u) => ({ ...u })),
    dmChannel: (user) => state.dms.get(user) ?? null,
    messages: (channel) => state.messages.filter((m) => channel === undefined || m.channel === channel),
    message: (channel, ts) => state.message(channel, ts) ?? null,
    ephemerals: (filter) =>
      state.ephemerals.filter(
        (e) =>
          (filter?.channel === undefined || e.channel === filter.channel) &&
          (filter?.user === undefined || e.user === filter.user),
      ),
    views: (user) => [...state.views.values()].filter((v) => user === undefined || v.user === user),
    homeView: (user) => state.homes.get(user) ?? null,
    calls: (method) => state.calls.filter((c) => method === undefined || c.method === method),
    setRequestUrl(url) {
      state.requestUrl = url;
    },
    setHttpTransport(transport) {
      state.httpTransport = transport;
    },
    fail(spec) {
      state.faults.push({ ...spec });
    },
    clearFaults() {
      state.faults.splice(0, state.faults.length);
    },
    expireTriggers() {
      for (const t of state.triggers.values()) t.expired = true;
    },
    socketConnected: () => socketMode.active() !== null,
    waitForSocket: (timeoutMs = 5000) => socketMode.waitForConnection(timeoutMs),
    clickButton: interactivity.click,
    selectOption: interactivity.click,
    clickHomeButton: interactivity.clickHome,
    submitView: interactivity.submit,
    slashCommand: interactivity.slash,
    openAppHome: interactivity.appHome,
    sendRaw: interactivity.sendRaw,
  };
}

/** Serves one /__control/ request. Throws on a body that is not JSON or an action that fails (the caller: 400). */
export async function serveControl(
  control: SlackEmulatorControl,
  state: SlackState,
  route: ControlRoute,
  raw: string,
  res: ServerResponse,
): Promise<void> {
  const body: Json = raw === '' ? {} : (JSON.parse(raw) as Json);
  const { query } = route;
  switch (`${route.method} ${route.path}`) {
    case 'GET /__control/state':
      return send(res, 200, {
        users: control.users(),
        channels: [...state.channels.values()],
        messages: state.messages,
        ephemerals: state.ephemerals,
        views: [...state.views.values()],
        homes: [...state.homes.values()],
        socketConnected: control.socketConnected(),
      });
    case 'GET /__control/messages':
      return send(res, 200, { messages: control.messages(query.get('channel') ?? undefined) });
    case 'GET /__control/calls':
      return send(res, 200, { calls: control.calls(query.get('method') ?? undefined) });
    case 'POST /__control/users':
      control.addUser(body as unknown as EmulatorUser);
      return send(res, 200, { ok: true });
    case 'POST /__control/channels':
      control.addChannel(body as unknown as EmulatorChannel);
      return send(res, 200, { ok: true });
    case 'POST /__control/request-url':
      control.setRequestUrl(str(body.url) ?? null);
      return send(res, 200, { ok: true });
    case 'POST /__control/fault':
      control.fail(body as unknown as FaultSpec);
      return send(res, 200, { ok: true });
    case 'POST /__control/click':
      return send(res, 200, await control.clickButton(body as unknown as ClickInput));
    case 'POST /__control/home-click':
      return send(res, 200, await control.clickHomeButton(body as unknown as HomeClickInput));
    case 'POST /__control/submit':
      return send(res, 200, await control.submitView(body as unknown as SubmitInput));
    case 'POST /__control/command':
      return send(res, 200, await control.slashCommand(body as unknown as SlashCommandInput));
    case 'POST /__control/home':
      return send(res, 200, await control.openAppHome(body as unknown as AppHomeInput));
    default:
      return send(res, 404, { ok: false, error: 'no_such_control_route' });
  }
}
