// Test harness for the Slack connector: the emulator, the real Bolt app behind a node:http server,
// and a fake HandoffActions that decides like the app layer does (first decision wins) and records calls.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Handoff, HandoffState, Millis, Offer, RejectionReason } from '../../../src/domain/model.js';
import type {
  Actor,
  ClaimOutcome,
  DecisionOutcome,
  HandoffActions,
  QueueItem,
  RepSummary,
} from '../../../src/ports/handoff-actions.js';
import type { Logger } from '../../../src/ports/logger.js';
import type { Person } from '../../../src/ports/rep-notifier.js';
import { createSlackApp, type SlackApp } from '../../../connectors/slack/slack.app.js';
import { startSlackEmulator, type SlackEmulator } from '../../../connectors/slack/emulator/index.js';
import { makeHandoff } from '../../helpers/builders.js';
import { recordingLogger, type LogRecord } from '../../helpers/recording-logger.js';

export const SECRET = 'test-signing-secret';
export const BOT_TOKEN = 'xoxb-test-token';
export const APP_TOKEN = 'xapp-test-token';

export const ALICE: Person = { id: 'alice', name: 'Alice Martin', slackUserId: 'U0ALICE', timezone: 'Europe/Berlin' };
export const BRUNO: Person = { id: 'bruno', name: 'Bruno Costa', slackUserId: 'U0BRUNO', timezone: 'Europe/Lisbon' };
export const MARIA: Person = { id: 'maria', name: 'Maria Ruiz', slackUserId: 'U0MARIA', timezone: 'Europe/Madrid' };
export const CARL = { id: 'U0CARL', name: 'carl' };
export const PEOPLE = [ALICE, BRUNO, MARIA];

export const REASONS: RejectionReason[] = [
  { id: 'not_icp', label: 'Not our ideal customer', recycle: false, noteRequired: false },
  { id: 'bad_timing', label: 'Bad timing', recycle: true, noteRequired: false },
  { id: 'other', label: 'Other', recycle: false, noteRequired: true },
];

// ---- fake HandoffActions ----------------------------------------------------------------------------

interface FakeOffer {
  id: string;
  handoffId: string;
  rep: Person;
  state: Offer['state'];
  decidedAt: Millis | null;
  next: Person | null;
}

interface FakeHandoff {
  id: string;
  state: HandoffState;
  decidedBy: string | null;
  decidedAt: Millis | null;
  teamMembers: string[];
  reasonId: string | null;
  note: string | null;
}

export interface RecordedAction {
  method: keyof HandoffActions;
  input: Record<string, unknown>;
}

export interface FakeActions extends HandoffActions {
  calls: RecordedAction[];
  away: Map<string, Millis | null>;
  addOffer(offer: { id: string; handoffId: string; rep: Person; dueAt?: Millis; leadName?: string }): void;
  /** The offer's deadline passed: it moved to `next` (or to the managers). */
  timeOut(offerId: string, at: Millis, next: Person | null): void;
  addEscalation(handoffId: string, teamMembers: string[]): void;
  handoff(id: string): FakeHandoff | undefined;
}

/** The hand-off the fake decision returns, as the app layer would (from the store). */
function storedHandoff(h: FakeHandoff): Handoff {
  return makeHandoff({
    id: h.id,
    state: h.state,
    repId: h.decidedBy,
    decidedAt: h.decidedAt,
    decidedBy: h.decidedBy,
    reasonId: h.reasonId,
    note: h.note,
  });
}

export function createFakeActions(people: readonly Person[] = PEOPLE, now: () => Millis = Date.now): FakeActions {
  const offers = new Map<string, FakeOffer & { dueAt: Millis; leadName: string }>();
  const handoffs = new Map<string, FakeHandoff>();
  const calls: RecordedAction[] = [];
  const away = new Map<string, Millis | null>();
  const who = (actor: Actor): Person | undefined =>
    people.find((p) => actor.via === 'slack' && p.slackUserId === actor.userId);

  function decide(
    offerId: string,
    actor: Actor,
    to: 'accepted' | 'rejected',
    reason: { reasonId: string | null; note: string | null },
  ): DecisionOutcome {
    const offer = offers.get(offerId);
    if (offer === undefined) return { kind: 'not_found' };
    const handoff = handoffs.get(offer.handoffId) as FakeHandoff;
    const person = who(actor);
    if (person === undefined) return { kind: 'unknown_user' };
    if (handoff.state === 'accepted' || handoff.state === 'rejected') {
      return { kind: 'already_decided', state: handoff.state, by: handoff.decidedBy, at: handoff.decidedAt };
    }
    if (offer.state !== 'open') {
      return { kind: 'offer_closed', offerState: offer.state, at: offer.decidedAt, currentRep: offer.next?.id ?? null };
    }
    if (person.id !== offer.rep.id) return { kind: 'not_yours', offeredTo: offer.rep.id };
    const at = now();
    offer.state = to;
    offer.decidedAt = at;
    Object.assign(handoff, { state: to, decidedBy: person.id, decidedAt: at, ...reason });
    return to === 'accepted'
      ? { kind: 'accepted', handoff: storedHandoff(handoff) }
      : { kind: 'rejected', handoff: storedHandoff(handoff) };
  }

  function take(handoffId: string, repId: string, kind: 'claimed' | 'assigned'): ClaimOutcome {
    const h = handoffs.get(handoffId);
    if (h === undefined) return { kind: 'not_found' };
    if (h.state !== 'escalated') return { kind: 'already_taken', by: h.decidedBy, state: h.state };
    Object.assign(h, { state: 'offered', decidedBy: repId, decidedAt: now() });
    return kind === 'claimed'
      ? { kind: 'claimed', handoff: storedHandoff(h), by: repId }
      : { kind: 'assigned', handoff: storedHandoff(h), to: repId };
  }

  return {
    calls,
    away,
    addOffer(o) {
      offers.set(o.id, {
        ...o,
        state: 'open',
        decidedAt: null,
        next: null,
        dueAt: o.dueAt ?? now() + 30 * 60_000,
        leadName: o.leadName ?? `Lead ${o.id}`,
      });
      handoffs.set(o.handoffId, {
        id: o.handoffId,
        state: 'offered',
        decidedBy: null,
        decidedAt: null,
        teamMembers: [],
        reasonId: null,
        note: null,
      });
    },
    timeOut(offerId, at, next) {
      const o = offers.get(offerId);
      if (o === undefined) throw new Error(`no offer ${offerId}`);
      Object.assign(o, { state: 'timed_out', decidedAt: at, next });
    },
    addEscalation(handoffId, teamMembers) {
      handoffs.set(handoffId, {
        id: handoffId,
        state: 'escalated',
        decidedBy: null,
        decidedAt: null,
        teamMembers,
        reasonId: null,
        note: null,
      });
    },
    handoff: (id) => handoffs.get(id),

    async accept(input) {
      calls.push({ method: 'accept', input });
      await Promise.resolve();
      return decide(input.offerId, input.actor, 'accepted', { reasonId: null, note: null });
    },
    async reject(input) {
      calls.push({ method: 'reject', input });
      await Promise.resolve();
      return decide(input.offerId, input.actor, 'rejected', { reasonId: input.reasonId, note: input.note });
    },
    async claim(input) {
      calls.push({ method: 'claim', input });
      await Promise.resolve();
      const person = who(input.actor);
      if (person === undefined) return { kind: 'unknown_user' };
      const h = handoffs.get(input.handoffId);
      if (h !== undefined && !h.teamMembers.includes(person.id))
        return { kind: 'not_allowed', why: 'only team members can claim this lead' };
      return take(input.handoffId, person.id, 'claimed');
    },
    async assign(input) {
      calls.push({ method: 'assign', input });
      await Promise.resolve();
      const person = who(input.actor);
      if (person === undefined) return { kind: 'unknown_user' };
      if (person.id !== MARIA.id) return { kind: 'not_allowed', why: 'only managers can assign leads' };
      return take(input.handoffId, input.repId, 'assigned');
    },
    async setAway(input) {
      calls.push({ method: 'setAway', input });
      const person = who(input.actor);
      if (person === undefined) return { ok: false };
      away.set(person.id, input.until);
      return { ok: true, repId: person.id };
    },
    async setBack(input) {
      calls.push({ method: 'setBack', input });
      const person = who(input.actor);
      if (person === undefined) return { ok: false };
      away.delete(person.id);
      return { ok: true, repId: person.id };
    },
    async queue(input) {
      calls.push({ method: 'queue', input });
      const person = who(input.actor);
      if (person === undefined) return null;
      const items: QueueItem[] = [...offers.values()]
        .filter((o) => o.rep.id === person.id && o.state === 'open')
        .map((o) => ({
          handoffId: o.handoffId,
          offerId: o.id,
          leadName: o.leadName,
          company: 'Acme',
          dueAt: o.dueAt,
          hot: false,
        }));
      return items;
    },
    async summary(input) {
      calls.push({ method: 'summary', input });
      const person = who(input.actor);
      if (person === undefined) return null;
      const mine = [...offers.values()].filter((o) => o.rep.id === person.id);
      const summary: RepSummary = {
        offers: mine.length,
        accepted: mine.filter((o) => o.state === 'accepted').length,
        rejected: mine.filter((o) => o.state === 'rejected').length,
        timedOut: mine.filter((o) => o.state === 'timed_out').length,
        medianResponseMs: mine.length > 0 ? 240_000 : null,
      };
      return summary;
    },
    viewOffer() {
      return Promise.resolve(null);
    },
    viewHandoff() {
      return Promise.resolve(null);
    },
  };
}

// ---- the whole rig ---------------------------------------------------------------------------------

export interface Rig {
  emulator: SlackEmulator;
  app: SlackApp;
  actions: FakeActions;
  logger: Logger & { records: LogRecord[] };
  server: Server | null;
  close(): Promise<void>;
}

export async function startRig(mode: 'http' | 'socket' = 'http'): Promise<Rig> {
  const emulator = await startSlackEmulator({
    signingSecret: SECRET,
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    rateLimit: false,
  });
  for (const p of PEOPLE) {
    emulator.control.addUser({
      id: p.slackUserId as string,
      name: p.id,
      realName: p.name,
      email: `${p.id}@example.com`,
      tz: p.timezone ?? 'UTC',
    });
  }
  emulator.control.addUser({ id: CARL.id, name: CARL.name, email: 'carl@example.com', tz: 'UTC' });
  emulator.control.addChannel({ id: 'C0MGRS', name: 'sales-managers', members: [MARIA.slackUserId as string] });
  emulator.control.addChannel({
    id: 'C0EMEA',
    name: 'team-emea',
    members: [ALICE.slackUserId as string, BRUNO.slackUserId as string, CARL.id],
  });
  const logger = recordingLogger();
  const actions = createFakeActions();
  const app = createSlackApp(
    {
      botToken: BOT_TOKEN,
      signingSecret: SECRET,
      ...(mode === 'socket' ? { appToken: APP_TOKEN } : {}),
      apiUrl: emulator.apiUrl,
      reasons: REASONS,
      people: PEOPLE,
      timeoutMs: 5000,
    },
    { actions, logger },
  );
  let server: Server | null = null;
  if (mode === 'http') {
    const s = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/slack/events') app.handleRequest(req, res);
      else res.writeHead(404).end();
    });
    server = s;
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    emulator.control.setRequestUrl(`http://127.0.0.1:${(s.address() as AddressInfo).port}/slack/events`);
  } else {
    await app.start();
    await emulator.control.waitForSocket();
  }
  return {
    emulator,
    app,
    actions,
    logger,
    server,
    async close() {
      await app.stop();
      if (server !== null) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
      await emulator.close();
    },
  };
}
