// A small world for use-case tests: the in-memory store, a settable clock, a simple router, and
// recording fakes for Slack, the CRM and mail.
import type { AppDeps, RoutePlan } from '../../src/app/deps.js';
import type { AppSettings } from '../../src/app/settings.js';
import { createJobHandlers } from '../../src/app/job-handlers.js';
import type { Crm, CrmNote, CrmUpdate } from '../../src/ports/crm.js';
import type { Failure } from '../../src/ports/failure.js';
import { ConnectorError } from '../../src/ports/failure.js';
import type { MailMessage, Mailer } from '../../src/ports/mailer.js';
import type { MessageDoc } from '../../src/ports/message-doc.js';
import type {
  ChannelAudience,
  EscalationPost,
  LeadMessage,
  LeadStep,
  MessageRef,
  OfferCard,
  OfferOutcome,
  RepNotifier,
} from '../../src/ports/rep-notifier.js';
import type { Store } from '../../src/ports/store.js';
import { silentLogger } from '../../src/ports/logger.js';
import { createOutbox } from '../../src/runtime/outbox.js';
import { makeRep, makeTeam } from './builders.js';

export function baseSettings(overrides: Partial<AppSettings> = {}): AppSettings {
  return {
    reps: [makeRep({ id: 'alice' }), makeRep({ id: 'bruno' }), makeRep({ id: 'chen' })],
    managers: [{ id: 'maria', name: 'Maria', email: 'maria@example.com', chat: 'slack', slackUserId: 'U_MARIA' }],
    teams: [makeTeam({ id: 'emea', members: ['alice', 'bruno', 'chen'], manager: 'maria', channel: 'C_EMEA' })],
    routing: { ownerMatch: { enabled: false, skipFreeEmailDomains: true }, rules: [], fallback: { team: 'emea' } },
    sla: { acceptWithin: 30 * 60_000, remindAt: 0.5, maxOffers: 3, holidays: [], routeOutsideHours: true },
    hot: null,
    reasons: [
      { id: 'not_icp', label: 'Not our ideal customer', recycle: false, noteRequired: false },
      { id: 'bad_timing', label: 'Bad timing', recycle: true, noteRequired: false },
      { id: 'other', label: 'Other', recycle: false, noteRequired: true },
    ],
    crm: {
      kind: 'hubspot',
      assignOwnerOn: 'accept',
      ownerProperty: 'hubspot_owner_id',
      onAccept: { set: { hs_lead_status: 'OPEN' }, note: false },
      onReject: { set: { hs_lead_status: 'UNQUALIFIED', handoff_rejection_reason: '{{reason.id}}' }, note: true },
      onRecycle: { set: { lifecyclestage: 'lead' } },
    },
    channels: { managers: 'C_MGRS', marketing: 'C_MKTG' },
    email: { managers: ['maria@example.com'], marketing: ['mkt@example.com'] },
    dashboardUrl: null,
    ...overrides,
  };
}

/** Round-robin over the team's members in order, skipping reps already offered this hand-off. */
export function simpleRouter(store: Store, settings: () => AppSettings): AppDeps['route'] {
  return async (handoff, _lead, now): Promise<RoutePlan> => {
    const s = settings();
    const team = s.teams[0];
    if (!team) return { kind: 'unroutable', trace: {}, why: 'no team' };
    const offered = new Set((await store.listOffers(handoff.id)).map((o) => o.repId));
    const candidates = team.members.filter((id) => !offered.has(id) && s.reps.find((r) => r.id === id)?.active);
    const repId = candidates[0];
    if (!repId)
      return { kind: 'unroutable', trace: { offered: [...offered] }, why: 'every member was offered already' };
    const sla = handoff.hot && s.hot ? s.hot.acceptWithin : s.sla.acceptWithin;
    return {
      kind: 'offer',
      repId,
      teamId: team.id,
      dueAt: now + sla,
      remindAt: s.sla.remindAt === null ? null : now + Math.round(sla * s.sla.remindAt),
      ownerMatch: false,
      why: { rule: null, team: team.id, strategy: team.strategy, ownerMatch: null },
      trace: { candidates },
      rotation: [],
    };
  };
}

export class FakeSlack implements RepNotifier {
  posted: { card: OfferCard; ref: MessageRef }[] = [];
  closed: { ref: MessageRef; outcome: OfferOutcome }[] = [];
  reminded: MessageRef[] = [];
  /** A lead's messages in channels, as a channel would hold them: posted once, then updated and threaded. */
  leadMessages: {
    channel: string;
    audience: ChannelAudience;
    handoffId: string;
    ref: MessageRef;
    first: LeadMessage;
    shown: LeadMessage;
    updates: number;
    steps: LeadStep[];
  }[] = [];
  /** Alerts and digests, as the app described them. */
  docs: { channel: string; doc: MessageDoc }[] = [];
  /** Plain messages (and, from old jobs, messages rendered before they were queued). */
  messages: { channel: string; text: string; blocks?: unknown[] }[] = [];
  /** Failures to throw on the next calls, in order. */
  failNext: Failure[] = [];
  private seq = 0;

  private maybeFail(): void {
    const f = this.failNext.shift();
    if (f) throw new ConnectorError('slack', f);
  }
  /** Posts the next card but loses Slack's answer (as a kill or a timeout after Slack posted would). */
  loseNextAnswer = false;
  /** Offers looked for with findOffer. */
  lookups: string[] = [];
  /** Posts the next lead message but loses Slack's answer. */
  loseNextLeadAnswer = false;
  /** While set, lead message posts wait for it (a slow Slack call); `waiting` counts the posts held. */
  gate: Promise<void> | null = null;
  waiting = 0;
  /** Lead messages looked for with findLeadMessage (`channel:handoffId`). */
  leadLookups: string[] = [];

  /** Escalations as the managers saw them first (one per escalated lead). */
  get escalations(): EscalationPost[] {
    return this.leadMessages.flatMap((m) =>
      m.audience === 'managers' && m.first.kind === 'escalated' ? [m.first.post] : [],
    );
  }
  /** Hand-offs whose escalation messages show how it ended. */
  get closedEscalations(): string[] {
    return [...new Set(this.leadMessages.filter((m) => m.shown.kind === 'closed').map((m) => m.handoffId))];
  }
  async postOffer(
    card: OfferCard,
    hooks: { beforeSend?: (channel: string) => Promise<void> } = {},
  ): Promise<MessageRef> {
    this.maybeFail();
    const ref = { channel: `D_${card.rep.id}`, ts: `${1000 + ++this.seq}.0001` };
    await hooks.beforeSend?.(ref.channel);
    this.posted.push({ card, ref });
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new ConnectorError('slack', { kind: 'transient', reason: 'chat.postMessage: socket hang up' });
    }
    return ref;
  }
  async findOffer(card: OfferCard): Promise<MessageRef | null> {
    this.lookups.push(card.offerId);
    return this.posted.find((p) => p.card.offerId === card.offerId)?.ref ?? null;
  }
  async closeOffer(ref: MessageRef, _card: OfferCard, outcome: OfferOutcome): Promise<void> {
    this.maybeFail();
    this.closed.push({ ref, outcome });
  }
  async remind(ref: MessageRef): Promise<void> {
    this.maybeFail();
    this.reminded.push(ref);
  }
  async postLeadMessage(
    channel: string,
    audience: ChannelAudience,
    message: LeadMessage,
    hooks: { beforeSend?: () => Promise<void> } = {},
  ): Promise<MessageRef> {
    this.maybeFail();
    const handoffId = 'card' in message ? message.card.handoffId : message.post.handoffId;
    const ref = { channel, ts: `${2000 + ++this.seq}.0001` };
    await hooks.beforeSend?.();
    if (this.gate) {
      this.waiting += 1;
      await this.gate;
      this.waiting -= 1;
    }
    this.leadMessages.push({
      channel,
      audience,
      handoffId,
      ref,
      first: message,
      shown: message,
      updates: 0,
      steps: [],
    });
    if (this.loseNextLeadAnswer) {
      this.loseNextLeadAnswer = false;
      throw new ConnectorError('slack', { kind: 'transient', reason: 'chat.postMessage: socket hang up' });
    }
    return ref;
  }
  async findLeadMessage(channel: string, handoffId: string): Promise<MessageRef | null> {
    this.leadLookups.push(`${channel}:${handoffId}`);
    return this.leadMessages.find((m) => m.channel === channel && m.handoffId === handoffId)?.ref ?? null;
  }
  async updateLeadMessage(ref: MessageRef, audience: ChannelAudience, message: LeadMessage): Promise<void> {
    this.maybeFail();
    const m = this.leadMessages.find((x) => x.ref.channel === ref.channel && x.ref.ts === ref.ts);
    if (!m) throw new ConnectorError('slack', { kind: 'not_found', reason: 'chat.update: message_not_found' });
    m.shown = message;
    m.audience = audience;
    m.updates += 1;
  }
  async postLeadStep(ref: MessageRef, step: LeadStep): Promise<MessageRef> {
    this.maybeFail();
    const m = this.leadMessages.find((x) => x.ref.channel === ref.channel && x.ref.ts === ref.ts);
    if (!m) throw new ConnectorError('slack', { kind: 'not_found', reason: 'chat.postMessage: thread_not_found' });
    m.steps.push(step);
    return { channel: ref.channel, ts: `${3000 + ++this.seq}.0001` };
  }
  async postDoc(channel: string, doc: MessageDoc): Promise<MessageRef> {
    this.docs.push({ channel, doc });
    return { channel, ts: `${4000 + ++this.seq}.0001` };
  }
  async postMessage(channel: string, text: string, blocks?: unknown[]): Promise<MessageRef> {
    this.messages.push({ channel, text, ...(blocks ? { blocks } : {}) });
    return { channel, ts: `${4000 + ++this.seq}.0001` };
  }
  async lookupUserId(): Promise<string | null> {
    return null;
  }
}

export class FakeCrm implements Crm {
  readonly kind = 'hubspot' as const;
  updates: CrmUpdate[] = [];
  notes: CrmNote[] = [];
  calls = 0;
  owners: Record<string, string> = {
    'alice@example.com': '101',
    'bruno@example.com': '102',
    'chen@example.com': '103',
  };
  async resolveOwnerId(rep: { email: string }): Promise<string | null> {
    return this.owners[rep.email] ?? null;
  }
  async findOwnerMatch(): Promise<null> {
    return null;
  }
  async update(updates: CrmUpdate[]) {
    this.calls += 1;
    this.updates.push(...updates);
    return updates.map((u) => ({ key: u.key, ok: true as const }));
  }
  async addNotes(notes: CrmNote[]) {
    this.calls += 1;
    this.notes.push(...notes);
    return notes.map((n) => ({ key: n.key, ok: true as const }));
  }
}

export class FakeMailer implements Mailer {
  sent: { to: string[]; doc: MessageDoc }[] = [];
  /** Mails rendered before they were queued (old jobs). */
  rendered: MailMessage[] = [];
  async sendDoc(to: string[], doc: MessageDoc): Promise<void> {
    this.sent.push({ to, doc });
  }
  async send(message: MailMessage): Promise<void> {
    this.rendered.push(message);
  }
  async verify(): Promise<void> {}
}

export interface Harness {
  deps: AppDeps;
  store: Store;
  clock: { now(): number; set(t: number): void; advance(ms: number): void };
  slack: FakeSlack;
  crm: FakeCrm;
  mailer: FakeMailer;
  /** Runs the outbox until nothing is due now. */
  drain(): Promise<number>;
}

export function createHarness(
  store: Store,
  settings: AppSettings = baseSettings(),
  start = Date.UTC(2026, 10, 23, 9, 0, 0),
): Harness {
  let t = start;
  const clock = { now: () => t, set: (v: number) => void (t = v), advance: (ms: number) => void (t += ms) };
  let n = 0;
  const deps: AppDeps = {
    store,
    clock,
    settings,
    route: simpleRouter(store, () => deps.settings),
    logger: silentLogger,
    newId: () => `id${++n}`,
    deadlineFor: (_repId, from) => ({ dueAt: from + settings.sla.acceptWithin, remindAt: null }),
  };
  const slack = new FakeSlack();
  const crm = new FakeCrm();
  const mailer = new FakeMailer();
  const handlers = createJobHandlers(deps, { source: null, notifier: slack, crm, mailer });
  const outbox = createOutbox({
    store,
    clock,
    logger: silentLogger,
    handlers,
    workerId: 'test',
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
  });
  return { deps, store, clock, slack, crm, mailer, drain: () => outbox.drain(50) };
}
