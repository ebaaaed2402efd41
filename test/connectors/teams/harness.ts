// Test harness for the Teams connector: the Teams emulator, the real POST /teams/messages handler behind a
// node:http server, a fake HandoffActions that decides like the app layer does (first decision wins, only the
// offered rep decides, managers assign, team members claim) and a fake directory; both record their calls.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HandoffState, Millis, Offer, RejectionReason } from '../../../src/domain/model.js';
import type {
  Actor,
  ClaimOutcome,
  DecisionOutcome,
  HandoffActions,
  HandoffView,
  OfferView,
} from '../../../src/ports/handoff-actions.js';
import type { Person } from '../../../src/ports/rep-notifier.js';
import { createTeamsHandler, type TeamsHandlerOptions } from '../../../connectors/teams/teams.app.js';
import { createTeamsClient, type TeamsClient } from '../../../connectors/teams/teams.client.js';
import type { TeamsConversationRef, TeamsDirectory } from '../../../connectors/teams/teams.types.js';
import { startTeamsEmulator, type EmulatorUser, type TeamsEmulator } from '../../../connectors/teams/emulator/index.js';
import { makeHandoff } from '../../helpers/builders.js';
import { recordingLogger, type LogRecord } from '../../helpers/recording-logger.js';

export const APP_ID = '00000000-0000-4000-8000-00000000b07a';
export const APP_PASSWORD = 'test-client-secret';

export const ALICE_AAD = 'aaaaaaaa-0000-4000-8000-0000000a11ce';
export const BRUNO_AAD = 'bbbbbbbb-0000-4000-8000-00000b0b0b0b';
export const MARIA_AAD = 'cccccccc-0000-4000-8000-00000000c0c0';

export const ALICE: Person = { id: 'alice', name: 'Alice Martin', chat: 'teams', teamsUserId: ALICE_AAD };
export const BRUNO: Person = { id: 'bruno', name: 'Bruno Costa', chat: 'teams', email: 'bruno@example.com' };
export const MARIA: Person = { id: 'maria', name: 'Maria Ruiz', chat: 'teams', teamsUserId: MARIA_AAD };
export const PEOPLE = [ALICE, BRUNO, MARIA];

export const REASONS: RejectionReason[] = [
  { id: 'not_icp', label: 'Not our ideal customer', recycle: false, noteRequired: false },
  { id: 'other', label: 'Other', recycle: false, noteRequired: true },
];

export interface RecordedCall {
  method: string;
  input: Record<string, unknown>;
}

// ---- fake HandoffActions ----------------------------------------------------------------------------

interface FakeOffer {
  id: string;
  handoffId: string;
  rep: Person;
  state: Offer['state'];
  decidedAt: Millis | null;
}

interface FakeHandoff {
  id: string;
  state: HandoffState;
  by: string | null;
  at: Millis | null;
  teamMembers: string[];
}

export interface FakeActions extends HandoffActions {
  calls: RecordedCall[];
  addOffer(offer: { id: string; handoffId: string; rep: Person }): void;
  addEscalation(handoffId: string, teamMembers: string[]): void;
  /** The next call throws (the store is down). */
  failNext(): void;
}

export function createFakeActions(people: readonly Person[] = PEOPLE): FakeActions {
  const offers = new Map<string, FakeOffer>();
  const handoffs = new Map<string, FakeHandoff>();
  const calls: RecordedCall[] = [];
  let failing = false;
  // Directory knowledge the app layer has: a Teams actor is the person with that teamsUserId (Bruno: installed).
  const aadOf = new Map<string, string>([[BRUNO_AAD, BRUNO.id]]);
  const who = (actor: Actor): Person | undefined =>
    actor.via === 'teams'
      ? people.find((p) => p.teamsUserId === actor.userId || aadOf.get(actor.userId) === p.id)
      : undefined;
  const record = (method: string, input: object): void => {
    calls.push({ method, input: { ...input } });
    if (failing) {
      failing = false;
      throw new Error('store unavailable');
    }
  };

  function decide(
    offerId: string,
    actor: Actor,
    to: 'accepted' | 'rejected',
    reasonId: string | null,
    note: string | null,
  ): DecisionOutcome {
    const offer = offers.get(offerId);
    if (offer === undefined) return { kind: 'not_found' };
    const h = handoffs.get(offer.handoffId) as FakeHandoff;
    const person = who(actor);
    if (person === undefined) return { kind: 'unknown_user' };
    if (h.state === 'accepted' || h.state === 'rejected')
      return { kind: 'already_decided', state: h.state, by: h.by, at: h.at };
    if (person.id !== offer.rep.id) return { kind: 'not_yours', offeredTo: offer.rep.id };
    const at = Date.UTC(2026, 11, 7, 9, 30);
    offer.state = to;
    offer.decidedAt = at;
    Object.assign(h, { state: to, by: person.id, at });
    const handoff = makeHandoff({
      id: h.id,
      state: to,
      repId: person.id,
      decidedAt: at,
      decidedBy: person.id,
      reasonId,
      note,
    });
    return to === 'accepted' ? { kind: 'accepted', handoff } : { kind: 'rejected', handoff };
  }

  function take(handoffId: string, repId: string, kind: 'claimed' | 'assigned'): ClaimOutcome {
    const h = handoffs.get(handoffId);
    if (h === undefined) return { kind: 'not_found' };
    if (h.state !== 'escalated') return { kind: 'already_taken', by: h.by, state: h.state };
    Object.assign(h, { state: 'offered', by: repId, at: Date.now() });
    const handoff = makeHandoff({ id: h.id, state: 'offered', repId });
    return kind === 'claimed' ? { kind: 'claimed', handoff, by: repId } : { kind: 'assigned', handoff, to: repId };
  }

  const viewOffer = (offerId: string): OfferView | null => {
    const o = offers.get(offerId);
    if (o === undefined) return null;
    const h = handoffs.get(o.handoffId) as FakeHandoff;
    return {
      offerId: o.id,
      handoffId: o.handoffId,
      repId: o.rep.id,
      repName: o.rep.name,
      offerState: o.state,
      handoffState: h.state,
      hot: false,
      dueAt: Date.UTC(2026, 11, 7, 10, 0),
      leadName: `Lead of ${o.id}`,
      company: 'Acme',
      decidedBy: h.by,
      decidedAt: h.at,
    };
  };
  const viewHandoff = (handoffId: string): HandoffView | null => {
    const h = handoffs.get(handoffId);
    if (h === undefined) return null;
    return {
      handoffId,
      state: h.state,
      hot: false,
      leadName: `Lead of ${handoffId}`,
      company: 'Acme',
      ownerName: h.by,
      teamId: 'emea',
    };
  };

  return {
    calls,
    addOffer(o) {
      offers.set(o.id, { ...o, state: 'open', decidedAt: null });
      handoffs.set(o.handoffId, { id: o.handoffId, state: 'offered', by: null, at: null, teamMembers: [] });
    },
    addEscalation(handoffId, teamMembers) {
      handoffs.set(handoffId, { id: handoffId, state: 'escalated', by: null, at: null, teamMembers });
    },
    failNext() {
      failing = true;
    },
    async accept(input) {
      record('accept', input);
      await Promise.resolve();
      return decide(input.offerId, input.actor, 'accepted', null, null);
    },
    async reject(input) {
      record('reject', input);
      await Promise.resolve();
      return decide(input.offerId, input.actor, 'rejected', input.reasonId, input.note);
    },
    async claim(input) {
      record('claim', input);
      const person = who(input.actor);
      if (person === undefined) return { kind: 'unknown_user' };
      const h = handoffs.get(input.handoffId);
      if (h !== undefined && !h.teamMembers.includes(person.id))
        return { kind: 'not_allowed', why: 'only team members can claim this lead' };
      return take(input.handoffId, person.id, 'claimed');
    },
    async assign(input) {
      record('assign', input);
      const person = who(input.actor);
      if (person === undefined) return { kind: 'unknown_user' };
      if (person.id !== MARIA.id) return { kind: 'not_allowed', why: 'only managers can assign leads' };
      return take(input.handoffId, input.repId, 'assigned');
    },
    async setAway(input) {
      record('setAway', input);
      return { ok: false };
    },
    async setBack(input) {
      record('setBack', input);
      return { ok: false };
    },
    async queue(input) {
      record('queue', input);
      return null;
    },
    async summary(input) {
      record('summary', input);
      return null;
    },
    async viewOffer(input) {
      return viewOffer(input.offerId);
    },
    async viewHandoff(input) {
      return viewHandoff(input.handoffId);
    },
  };
}

// ---- fake directory ---------------------------------------------------------------------------------

export interface FakeDirectory extends TeamsDirectory {
  calls: RecordedCall[];
  refs: Map<string, TeamsConversationRef>;
}

/** Matches by teamsUserId, else by email, as main.ts's store-backed directory does. */
export function createFakeDirectory(people: readonly Person[] = PEOPLE): FakeDirectory {
  const calls: RecordedCall[] = [];
  const refs = new Map<string, TeamsConversationRef>();
  return {
    calls,
    refs,
    async conversationOf(person) {
      for (const ref of refs.values()) if (ref.aadObjectId === person.teamsUserId) return ref;
      return null;
    },
    async installed(user, ref) {
      calls.push({ method: 'installed', input: { user, ref } });
      const person =
        people.find((p) => p.teamsUserId === user.aadObjectId) ??
        people.find((p) => p.email !== undefined && p.email.toLowerCase() === user.email?.toLowerCase());
      if (person === undefined) return null;
      refs.set(person.id, ref);
      return person.id;
    },
    async uninstalled(aadObjectId) {
      calls.push({ method: 'uninstalled', input: { aadObjectId } });
      for (const [id, ref] of refs) if (ref.aadObjectId === aadObjectId) refs.delete(id);
    },
  };
}

// ---- the whole thing --------------------------------------------------------------------------------

export interface TeamsHarness {
  emulator: TeamsEmulator;
  actions: FakeActions;
  directory: FakeDirectory;
  client: TeamsClient;
  logs: LogRecord[];
  url: string;
  users: { alice: EmulatorUser; bruno: EmulatorUser; maria: EmulatorUser; stranger: EmulatorUser };
  close(): Promise<void>;
}

export async function startHarness(
  overrides: Partial<TeamsHandlerOptions> & { rateLimit?: boolean } = {},
): Promise<TeamsHarness> {
  const { rateLimit, ...handlerOverrides } = overrides;
  const emulator = await startTeamsEmulator({
    appId: APP_ID,
    appPassword: APP_PASSWORD,
    ...(rateLimit !== undefined ? { rateLimit } : {}),
  });
  const logger = recordingLogger();
  const client = createTeamsClient(
    { appId: APP_ID, appPassword: APP_PASSWORD, tokenUrl: emulator.tokenUrl, tenantId: emulator.tenantId },
    { logger },
  );
  const actions = createFakeActions();
  const directory = createFakeDirectory();
  const handler = createTeamsHandler(
    {
      appId: APP_ID,
      openIdMetadataUrl: emulator.openIdMetadataUrl,
      reasons: REASONS,
      people: PEOPLE,
      ...handlerOverrides,
    },
    { actions, directory, client, logger },
  );
  const server: Server = createServer((req, res) => {
    handler(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/teams/messages`;
  emulator.control.setRequestUrl(url);
  const users = {
    alice: emulator.control.addUser({ name: 'Alice Martin', email: 'alice@example.com', aadObjectId: ALICE_AAD }),
    bruno: emulator.control.addUser({ name: 'Bruno Costa', email: 'Bruno@Example.com', aadObjectId: BRUNO_AAD }),
    maria: emulator.control.addUser({ name: 'Maria Ruiz', email: 'maria@example.com', aadObjectId: MARIA_AAD }),
    stranger: emulator.control.addUser({ name: 'Sam Stranger', email: 'sam@example.com' }),
  };
  return {
    emulator,
    actions,
    directory,
    client,
    logs: logger.records,
    url,
    users,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await emulator.close();
    },
  };
}
