// Carries out outbox jobs through the ports. Each handler takes a batch of jobs of one kind and
// answers per job; a thrown ConnectorError fails the whole batch with its classification.
import { fingerprintText } from '../domain/fingerprint.js';
import type { Handoff, HandoffEvent, Lead, Millis, Offer } from '../domain/model.js';
import type { Crm, CrmUpdate, CrmWriteResult } from '../ports/crm.js';
import { ConnectorError, type Failure } from '../ports/failure.js';
import type { Mailer } from '../ports/mailer.js';
import type {
  ChannelAudience,
  EscalationOutcome,
  EscalationPost,
  LeadMessage,
  LeadStep,
  MessageRef,
  OfferCard,
  OfferOutcome,
  Person,
  RepNotifier,
} from '../ports/rep-notifier.js';
import type { Job } from '../ports/store.js';
import type { LeadSource } from '../ports/lead-source.js';
import type { DecisionCallbacks } from '../ports/decision-callback.js';
import { ingestLeads } from './ingest-leads.js';
import type { AppDeps } from './deps.js';
import type { JobKind, JobPayloads, SerializedOutcome } from './jobs.js';
import { whyOf } from './offer-handoff.js';
import { routeHandoffs } from './offer-handoff.js';
import { channelOf, findReason, findTeam } from './settings.js';
import { slackIdOf, TEAMS_IDENTITY } from './people.js';
import { holdPartialBatch } from './write-back.js';

export type JobResult =
  | { ok: true }
  | { ok: false; failure: Failure }
  /** Scheduled, not failed: runs again at `runAt` without counting an attempt (the outbox's deferral). */
  | { ok: false; deferred: { runAt: Millis; reason: string } };
export interface JobHandler {
  /** How many jobs of this kind may be handed over at once. */
  batch: number;
  /** Batches of this kind that may run at the same time. */
  concurrency?: number;
  run(jobs: Job[]): Promise<JobResult[]>;
}

export interface EffectPorts {
  source: LeadSource | null;
  notifier: RepNotifier | null;
  crm: Crm | null;
  mailer: Mailer | null;
  /** Intake sources' callback URLs (absent: none configured). */
  callbacks?: DecisionCallbacks | null;
}

const OK: JobResult = { ok: true };

/** CRM records written per call (HubSpot's batch limit; Salesforce takes 200). */
export const CRM_BATCH = 100;
/** Route jobs handed to one routing pass. */
export const ROUTE_BATCH = 50;
/**
 * How long a lock on a lead's channel messages lasts unless renewed: the attempt holding it renews it every
 * third of that while it runs, so a crashed holder keeps the lead's other jobs waiting a few seconds at most.
 * Jobs for the same lead take turns on it, so two of them never post the same message twice.
 */
const LEAD_MESSAGE_LOCK_MS = 6_000;
/** When a job finding the lock held tries again: about one handler run, and few retries behind a crashed holder. */
const LEAD_MESSAGE_WAIT_MS = 2_000;

/** What a lead message shows, in short: a message that already shows it is not rewritten. */
function fingerprint(audience: ChannelAudience, message: LeadMessage): string {
  return fingerprintText(JSON.stringify([audience, message]));
}

function payload<K extends JobKind>(jobRow: Job): JobPayloads[K] {
  return jobRow.payload as unknown as JobPayloads[K];
}

function fail(kind: Failure['kind'], reason: string): JobResult {
  return { ok: false, failure: { kind, reason } };
}

export function createJobHandlers(deps: AppDeps, ports: EffectPorts): Record<JobKind, JobHandler> {
  const { store, settings } = deps;

  function needNotifier(): RepNotifier {
    if (!ports.notifier)
      throw new ConnectorError('chat', { kind: 'invalid', reason: 'no chat platform is configured' });
    return ports.notifier;
  }

  /** A rep or manager as the notifiers see them: their platform and the ids they are known by there. */
  async function person(id: string | null): Promise<Person | null> {
    if (!id) return null;
    const rep = settings.reps.find((r) => r.id === id);
    const manager = settings.managers.find((m) => m.id === id);
    const name = rep?.name ?? manager?.name ?? id;
    const email = rep?.email ?? manager?.email ?? null;
    const chat = rep?.chat ?? manager?.chat ?? 'slack';
    // Slack ids are looked up by email only for people in Slack (a mention of anyone else shows their name).
    const slackUserId = chat === 'slack' ? await resolveSlackId(id, email) : await slackIdOf(deps, id);
    const teamsUserId = rep?.teamsUserId ?? manager?.teamsUserId ?? (await store.getIdentity(id, TEAMS_IDENTITY));
    return {
      id,
      name,
      chat,
      ...(slackUserId ? { slackUserId } : {}),
      ...(teamsUserId ? { teamsUserId } : {}),
      ...(email ? { email } : {}),
      ...(rep ? { timezone: rep.timezone } : {}),
    };
  }

  async function resolveSlackId(id: string, email: string | null): Promise<string | null> {
    const known = await slackIdOf(deps, id);
    if (known || !email || !ports.notifier) return known;
    const found = await ports.notifier.lookupUserId(email);
    if (found) await store.setIdentity(id, 'slack', found, deps.clock.now());
    return found;
  }

  async function loadOffer(offerId: string): Promise<{ offer: Offer; handoff: Handoff; lead: Lead } | null> {
    const offer = await store.getOffer(offerId);
    if (!offer) return null;
    const handoff = await store.getHandoff(offer.handoffId);
    if (!handoff) return null;
    const lead = await store.getLead(handoff.leadId);
    if (!lead) return null;
    return { offer, handoff, lead };
  }

  async function cardFor(offer: Offer, handoff: Handoff, lead: Lead): Promise<OfferCard | null> {
    const rep = await person(offer.repId);
    if (!rep) return null;
    return {
      handoffId: handoff.id,
      offerId: offer.id,
      lead,
      rep,
      hot: handoff.hot,
      dueAt: offer.dueAt,
      why: whyOf(offer),
      seq: offer.seq,
    };
  }

  async function outcome(s: SerializedOutcome): Promise<OfferOutcome> {
    const who = async (id: string | null): Promise<Person> =>
      (await person(id)) ?? { id: id ?? 'unknown', name: id ?? 'unknown' };
    switch (s.kind) {
      case 'accepted':
        return { kind: 'accepted', by: await who(s.by), at: s.at };
      case 'rejected':
        return {
          kind: 'rejected',
          by: await who(s.by),
          at: s.at,
          reason: findReason(settings, s.reasonId)?.label ?? s.reasonId,
          note: s.note,
        };
      case 'timed_out':
        return { kind: 'timed_out', at: s.at, next: s.next ? await who(s.next) : null };
      case 'withdrawn':
        return { kind: 'withdrawn', at: s.at, why: s.why };
      case 'reassigned':
        return { kind: 'reassigned', at: s.at, to: await who(s.to), by: await who(s.by) };
      case 'escalated':
        return { kind: 'escalated', at: s.at };
    }
  }

  async function escalationPost(handoff: Handoff, reason: string | null): Promise<EscalationPost | null> {
    const lead = await store.getLead(handoff.leadId);
    if (!lead) return null;
    const offers = await store.listOffers(handoff.id);
    const history = [];
    for (const o of offers) {
      const rep = (await person(o.repId)) ?? { id: o.repId, name: o.repId };
      const line = { rep, outcome: o.state, at: o.decidedAt ?? o.offeredAt } as EscalationPost['history'][number];
      history.push(line);
    }
    const team = findTeam(settings, handoff.teamId);
    const candidates = team ? team.members : settings.reps.map((r) => r.id);
    const assignable: Person[] = [];
    for (const id of candidates) {
      const rep = settings.reps.find((r) => r.id === id);
      if (rep?.active) assignable.push({ id: rep.id, name: rep.name });
    }
    return {
      handoffId: handoff.id,
      lead,
      hot: handoff.hot,
      reason,
      history,
      team: team ? { id: team.id, ...(team.channel ? { channel: team.channel } : {}) } : null,
      assignable,
    };
  }

  /** Escalation posts of earlier versions, recorded as events (adopted as the lead's channel messages). */
  function legacyEscalationRefs(events: HandoffEvent[]): MessageRef[] {
    const refs: MessageRef[] = [];
    for (const e of events)
      if (e.type === 'escalation_posted') refs.push(...((e.data.refs as MessageRef[] | undefined) ?? []));
    return refs;
  }

  /** How the latest escalation ended, from the audit log (the state says that it did). */
  async function escalationOutcome(handoff: Handoff, events: HandoffEvent[]): Promise<EscalationOutcome> {
    let from = 0;
    events.forEach((e, i) => {
      if (e.type === 'escalated') from = i + 1;
    });
    const end = events.slice(from).find((e) => e.type === 'claimed' || e.type === 'assigned' || e.type === 'withdrawn');
    if (end?.type === 'claimed') {
      const by = await person(end.actor);
      return { kind: 'claimed', by, to: by, at: end.at };
    }
    if (end?.type === 'assigned') {
      const to = typeof end.data.repId === 'string' ? end.data.repId : handoff.repId;
      return { kind: 'assigned', by: await person(end.actor), to: await person(to), at: end.at };
    }
    return { kind: 'withdrawn', by: null, to: null, at: end?.at ?? handoff.updatedAt };
  }

  /** What the lead's channel messages show now, or null when there is nothing to show in channels. */
  async function leadMessage(handoff: Handoff, events: HandoffEvent[]): Promise<LeadMessage | null> {
    if (handoff.escalatedAt !== null) {
      const post = await escalationPost(handoff, handoff.escalationReason);
      if (!post) return null;
      if (handoff.state === 'escalated') return { kind: 'escalated', post };
      return { kind: 'closed', post, outcome: await escalationOutcome(handoff, events) };
    }
    if (!handoff.hot) return null;
    const offers = await store.listOffers(handoff.id);
    const latest = offers.reduce<Offer | null>((a, o) => (a === null || o.seq > a.seq ? o : a), null);
    if (!latest) return null;
    const lead = await store.getLead(handoff.leadId);
    const card = lead ? await cardFor(latest, handoff, lead) : null;
    if (!card) return null;
    const decided = decidedOutcome(handoff, events);
    return decided ? { kind: 'decided', card, outcome: await outcome(decided) } : { kind: 'hot', card };
  }

  /** How a hand-off that ended without an escalation ended, or null while it is open. */
  function decidedOutcome(handoff: Handoff, events: HandoffEvent[]): SerializedOutcome | null {
    const at = handoff.decidedAt ?? handoff.updatedAt;
    switch (handoff.state) {
      case 'accepted':
        return { kind: 'accepted', by: handoff.decidedBy ?? handoff.repId ?? 'unknown', at };
      case 'rejected':
        return {
          kind: 'rejected',
          by: handoff.decidedBy ?? handoff.repId ?? 'unknown',
          at,
          reasonId: handoff.reasonId ?? 'other',
          note: handoff.note,
        };
      case 'withdrawn': {
        const e = events.findLast((x) => x.type === 'withdrawn');
        return { kind: 'withdrawn', at: e?.at ?? at, why: typeof e?.data.why === 'string' ? e.data.why : 'withdrawn' };
      }
      default:
        return null;
    }
  }

  /** After a card's final state: a hot or escalated lead's channel messages show the decision too. */
  function tellDecision(j: Job, handoff: Handoff, offer: Offer, lead: Lead, s: SerializedOutcome): Promise<JobResult> {
    if (!handoff.hot && handoff.escalatedAt === null) return Promise.resolve(OK);
    if (s.kind !== 'accepted' && s.kind !== 'rejected' && s.kind !== 'withdrawn') return Promise.resolve(OK);
    return syncLeadMessages(j, handoff.id, {
      key: j.idempotencyKey,
      make: async () => {
        const card = await cardFor(offer, handoff, lead);
        return card ? { kind: 'decided', card, outcome: await outcome(s) } : null;
      },
    });
  }

  /**
   * Brings the lead's one message per channel up to date: posted once (the team channel for a hot or escalated
   * lead, the managers' channel for an escalated one), rewritten in place afterwards, with `step` told once as
   * a thread reply. Jobs for one lead take turns (a lock in the store), so replicas and retries never post a
   * second message; a post whose answer was lost is looked for before posting again.
   */
  async function syncLeadMessages(
    j: Job,
    handoffId: string,
    step: { key: string; make: () => Promise<LeadStep | null>; only?: ChannelAudience } | null,
    teamChannelHint: string | null = null,
  ): Promise<JobResult> {
    const notifier = needNotifier();
    const lock = `lead-message:${handoffId}`;
    const holder = `${j.lockedBy ?? 'outbox'}:${j.id}:${j.attempts}`;
    const hold = (): Promise<boolean> => store.tryAcquireLease(lock, holder, LEAD_MESSAGE_LOCK_MS, deps.clock.now());
    // Waiting for the lead's other job is a turn, not a failure: no attempt, no warning, no connector-health mark.
    if (!(await hold()))
      return {
        ok: false,
        deferred: {
          runAt: deps.clock.now() + LEAD_MESSAGE_WAIT_MS,
          reason: "another job is updating this lead's channel messages",
        },
      };
    // Renewed while this attempt runs (a slow Slack call included); checked again before every post.
    const heartbeat = setInterval(() => void hold().catch(() => undefined), LEAD_MESSAGE_LOCK_MS / 3);
    heartbeat.unref();
    try {
      const handoff = await store.getHandoff(handoffId);
      if (!handoff) return fail('not_found', `hand-off ${handoffId} not found`);
      const events = await store.listEvents(handoff.id);
      let rows = await store.listChannelMessages(handoff.id);
      if (rows.length === 0) {
        const legacy = legacyEscalationRefs(events);
        for (const ref of legacy) await store.setChannelMessageTs(handoff.id, ref.channel, ref.ts, deps.clock.now());
        if (legacy.length > 0) rows = await store.listChannelMessages(handoff.id);
      }
      const message = await leadMessage(handoff, events);
      if (!message) return OK;

      const managers = channelOf(settings, 'managers');
      const teamChannel = findTeam(settings, handoff.teamId)?.channel ?? teamChannelHint;
      const live = handoff.state === 'escalated' || (message.kind === 'hot' && handoff.state === 'offered');
      const targets = new Map<string, { audience: ChannelAudience; mayPost: boolean }>();
      if (teamChannel) targets.set(teamChannel, { audience: 'team', mayPost: live });
      if (managers && handoff.escalatedAt !== null)
        targets.set(managers, { audience: 'managers', mayPost: handoff.state === 'escalated' });
      for (const row of rows)
        if (!targets.has(row.channel)) targets.set(row.channel, { audience: 'team', mayPost: false });

      let told: LeadStep | null | undefined;
      for (const [channel, target] of targets) {
        if (!(await hold())) return fail('transient', "lost the lock on this lead's channel messages");
        const row = rows.find((r) => r.channel === channel);
        const shows = fingerprint(target.audience, message);
        let ref: MessageRef | null = row?.ts ? { channel, ts: row.ts } : null;
        let shown = row?.shown ?? null;
        if (ref === null && row?.notedAt != null) {
          // Noted and never answered: an earlier attempt may have posted it. Look before posting again.
          ref = await notifier.findLeadMessage(channel, handoff.id, row.notedAt);
          shown = null;
          if (ref !== null) {
            await store.setChannelMessageTs(handoff.id, channel, ref.ts, deps.clock.now());
            deps.logger.info({ handoffId, channel }, 'lead message found, not reposted');
          }
        }
        if (ref === null) {
          if (!target.mayPost) continue;
          ref = await notifier.postLeadMessage(channel, target.audience, message, {
            beforeSend: () => store.noteChannelMessage(handoff.id, channel, deps.clock.now()),
          });
          await store.setChannelMessageTs(handoff.id, channel, ref.ts, deps.clock.now(), shows);
          // The new message already shows this step.
          if (step) await store.addChannelMessageStep(handoff.id, channel, step.key, deps.clock.now());
          deps.logger.info({ handoffId, channel, audience: target.audience }, 'lead message posted');
          continue;
        }
        if (shown !== shows) {
          await notifier.updateLeadMessage(ref, target.audience, message);
          await store.setChannelMessageShown(handoff.id, channel, shows, deps.clock.now());
        }
        if (step && (step.only ?? target.audience) === target.audience && !(row?.steps ?? []).includes(step.key)) {
          if (told === undefined) told = await step.make();
          if (told !== null) {
            if (!(await hold())) return fail('transient', "lost the lock on this lead's channel messages");
            await notifier.postLeadStep(ref, told);
          }
          await store.addChannelMessageStep(handoff.id, channel, step.key, deps.clock.now());
        }
      }
      return OK;
    } finally {
      clearInterval(heartbeat);
      await store.releaseLease(lock, holder);
    }
  }

  const one = (fn: (j: Job) => Promise<JobResult>, concurrency = 1): JobHandler => ({
    batch: 1,
    concurrency,
    async run(jobs) {
      const out: JobResult[] = [];
      for (const j of jobs) out.push(await fn(j));
      return out;
    },
  });

  return {
    // The route jobs of one dispatch are planned together, one pass over one read of the teams' state.
    'handoff.route': {
      batch: ROUTE_BATCH,
      concurrency: 1,
      async run(jobs) {
        const ids = jobs.flatMap((j) => (j.handoffId ? [j.handoffId] : []));
        const routed = await routeHandoffs(deps, ids);
        const byId = new Map(ids.map((id, i) => [id, routed[i]] as const));
        return jobs.map((j) => {
          if (!j.handoffId) return fail('invalid', 'route job without a hand-off');
          const result = byId.get(j.handoffId);
          if (result?.kind === 'conflict') return fail('transient', 'hand-off changed while routing');
          if (result?.kind === 'failed') return fail('not_found', result.why);
          return OK;
        });
      },
    },

    'source.fetch': {
      batch: 20,
      async run(jobs) {
        if (!ports.source) return jobs.map(() => fail('invalid', 'no lead source configured'));
        const ids = [...new Set(jobs.flatMap((j) => payload<'source.fetch'>(j).ids))];
        for (let i = 0; i < ids.length; i += 100) {
          const leads = await ports.source.fetchLeads(ids.slice(i, i + 100));
          await ingestLeads(deps, leads);
        }
        return jobs.map(() => OK);
      },
    },

    // Cards to different reps go out side by side (16 at a time); the notifier paces each DM, and a card
    // for a busy DM is deferred to its slot at once (a Deferral), so it never holds a lane.
    'slack.offer': one(async (j) => {
      const { offerId } = payload<'slack.offer'>(j);
      const loaded = await loadOffer(offerId);
      if (!loaded) return fail('not_found', `offer ${offerId} not found`);
      const { offer, handoff, lead } = loaded;
      if (offer.slackTs) return OK; // already posted (a retry after the ts was stored)
      if (offer.state !== 'open') return OK; // decided or withdrawn before the card went out
      const card = await cardFor(offer, handoff, lead);
      if (!card) return fail('not_found', `rep ${offer.repId} unknown`);
      if (card.rep.chat === 'slack' && !card.rep.slackUserId)
        return fail('not_found', `rep ${offer.repId} has no Slack user (set slackUserId or check their email)`);
      const notifier = needNotifier();
      // A channel without a ts: an earlier attempt went as far as sending and never stored the answer (killed
      // mid-call, or the call timed out after Slack posted). Look for that card before posting another.
      if (offer.slackChannel !== null) {
        const found = await notifier.findOffer(card, offer.offeredAt);
        if (found !== null) {
          await store.setOfferMessage(offer.id, found);
          deps.logger.info(
            { handoffId: handoff.id, offerId: offer.id, channel: found.channel },
            'card found, not reposted',
          );
          return OK;
        }
      }
      const ref = await notifier.postOffer(card, {
        beforeSend: (channel) =>
          offer.slackChannel === channel ? Promise.resolve() : store.setOfferChannel(offer.id, channel),
      });
      await store.setOfferMessage(offer.id, ref);
      deps.logger.info(
        { handoffId: handoff.id, offerId: offer.id, repId: offer.repId, channel: ref.channel },
        'card posted',
      );
      return OK;
    }, 16),

    'slack.close_offer': one(async (j) => {
      const p = payload<'slack.close_offer'>(j);
      const loaded = await loadOffer(p.offerId);
      if (!loaded) return fail('not_found', `offer ${p.offerId} not found`);
      const { offer, handoff, lead } = loaded;
      if (!offer.slackChannel || !offer.slackTs) {
        // The card was never posted (or its post is still queued); nothing to close yet.
        const pending = await store.listJobs({ kind: 'slack.offer', handoffId: handoff.id, state: 'pending' });
        return pending.some((x) => (x.payload as { offerId?: string }).offerId === offer.id)
          ? { ok: false, failure: { kind: 'transient', reason: 'card not posted yet', retryAfterMs: 2_000 } }
          : tellDecision(j, handoff, offer, lead, p.outcome);
      }
      const card = await cardFor(offer, handoff, lead);
      if (!card) return fail('not_found', `rep ${offer.repId} unknown`);
      await needNotifier().closeOffer(
        { channel: offer.slackChannel, ts: offer.slackTs },
        card,
        await outcome(p.outcome),
      );
      return tellDecision(j, handoff, offer, lead, p.outcome);
    }),

    'slack.remind': one(async (j) => {
      const { offerId } = payload<'slack.remind'>(j);
      const loaded = await loadOffer(offerId);
      if (!loaded) return fail('not_found', `offer ${offerId} not found`);
      const { offer, handoff, lead } = loaded;
      if (offer.state !== 'open') return OK;
      if (!offer.slackChannel || !offer.slackTs)
        return { ok: false, failure: { kind: 'transient', reason: 'card not posted yet', retryAfterMs: 2_000 } };
      const card = await cardFor(offer, handoff, lead);
      if (!card) return fail('not_found', `rep ${offer.repId} unknown`);
      await needNotifier().remind({ channel: offer.slackChannel, ts: offer.slackTs }, card, deps.clock.now());
      return OK;
    }),

    // The lead's one message per channel: the hot-lead announcement, each re-offer, the escalation and how it
    // ended are updates of it (and thread replies), whichever of these jobs comes first or runs again.
    'slack.hot_notice': one(async (j) => {
      const p = payload<'slack.hot_notice'>(j);
      const loaded = await loadOffer(p.offerId);
      if (!loaded) return fail('not_found', `offer ${p.offerId} not found`);
      const { offer, handoff, lead } = loaded;
      const step =
        offer.seq > 1
          ? {
              key: j.idempotencyKey,
              // Re-offers are the team's news; the managers' message starts at the escalation, history included.
              only: 'team' as const,
              make: async (): Promise<LeadStep | null> => {
                const card = await cardFor(offer, handoff, lead);
                return card ? { kind: 'reoffered', card } : null;
              },
            }
          : null;
      return syncLeadMessages(j, handoff.id, step, p.channel);
    }),

    'slack.escalation': one(async (j) => {
      const p = payload<'slack.escalation'>(j);
      return syncLeadMessages(j, p.handoffId, {
        key: j.idempotencyKey,
        make: () => Promise.resolve({ kind: 'escalated', reason: p.reason }),
      });
    }),

    'slack.close_escalation': one(async (j) => {
      const p = payload<'slack.close_escalation'>(j);
      return syncLeadMessages(j, p.handoffId, {
        key: j.idempotencyKey,
        make: async () => ({
          kind: 'closed',
          outcome: { kind: p.kind, by: await person(p.by), to: await person(p.to), at: j.createdAt },
        }),
      });
    }),

    'slack.message': one(async (j) => {
      const p = payload<'slack.message'>(j);
      if ('doc' in p) await needNotifier().postDoc(p.channel, p.doc);
      else await needNotifier().postMessage(p.channel, p.text, p.blocks);
      return OK;
    }),

    'crm.update': {
      batch: CRM_BATCH,
      async run(jobs) {
        if (!ports.crm) return jobs.map(() => fail('invalid', 'no CRM configured'));
        const held = await holdPartial('crm.update', jobs);
        if (held !== null) return held;
        const results = new Map<string, JobResult>();
        const updates: CrmUpdate[] = [];
        for (const j of jobs) {
          const p = payload<'crm.update'>(j);
          const properties = { ...p.properties };
          if (p.ownerRepId !== undefined) {
            const repId = p.ownerRepId;
            const ownerId = await crmOwnerId(repId);
            if (!ownerId) {
              results.set(
                j.id,
                fail(
                  'not_found',
                  `no ${ports.crm.kind} owner found for rep ${repId} (set crmOwnerId or check the email)`,
                ),
              );
              continue;
            }
            properties[settings.crm.ownerProperty] = ownerId;
          }
          updates.push({ key: j.id, record: p.record, properties });
        }
        const written: CrmWriteResult[] = updates.length > 0 ? await ports.crm.update(updates) : [];
        for (const r of written) results.set(r.key, r.ok ? OK : { ok: false, failure: r.failure });
        return jobs.map((j) => results.get(j.id) ?? fail('transient', 'no result from the CRM for this record'));
      },
    },

    'crm.note': {
      batch: CRM_BATCH,
      async run(jobs) {
        if (!ports.crm) return jobs.map(() => fail('invalid', 'no CRM configured'));
        const held = await holdPartial('crm.note', jobs);
        if (held !== null) return held;
        const written = await ports.crm.addNotes(
          jobs.map((j) => {
            const p = payload<'crm.note'>(j);
            return { key: j.id, record: p.record, subject: p.subject, body: p.body };
          }),
        );
        const byKey = new Map(
          written.map((r) => [r.key, r.ok ? OK : ({ ok: false, failure: r.failure } as JobResult)]),
        );
        return jobs.map((j) => byKey.get(j.id) ?? fail('transient', 'no result from the CRM for this note'));
      },
    },

    // Callbacks go out side by side (4 at a time); each receiver may be slow.
    'intake.callback': one(async (j) => {
      if (!ports.callbacks) return fail('invalid', 'no intake callback is configured');
      const p = payload<'intake.callback'>(j);
      await ports.callbacks.send({ sourceId: p.sourceId, deliveryId: j.idempotencyKey, body: p.body });
      return OK;
    }, 4),

    'email.send': one(async (j) => {
      if (!ports.mailer) return fail('invalid', 'email is not configured');
      const p = payload<'email.send'>(j);
      if ('doc' in p) await ports.mailer.sendDoc(p.to, p.doc);
      else await ports.mailer.send(p);
      return OK;
    }),
  };

  /**
   * A partial batch of CRM writes waits for the next write-back window when writes are already queued for it
   * (holdPartialBatch: at most one window more), so a burst of decisions costs ceil(n / CRM_BATCH) calls
   * rather than one more per window boundary it straddles. Null: write now.
   */
  async function holdPartial(kind: 'crm.update' | 'crm.note', jobs: Job[]): Promise<JobResult[] | null> {
    if (jobs.length === 0 || jobs.length >= CRM_BATCH) return null;
    const now = deps.clock.now();
    // Pending jobs come earliest first; a batch's worth is enough to see whether any is due by the next boundary.
    const pending = await store.listJobs({ kind, state: 'pending', limit: CRM_BATCH });
    const until = holdPartialBatch({
      now,
      size: jobs.length,
      batchSize: CRM_BATCH,
      queuedAt: jobs.map((j) => j.createdAt),
      pendingDueAt: pending.map((j) => j.runAt),
    });
    if (until === null) return null;
    deps.logger.debug(
      { kind, jobs: jobs.length, runInMs: until - now },
      'partial write-back batch waits for the next window',
    );
    const deferred = { runAt: until, reason: 'partial batch joins the next write-back window' };
    return jobs.map(() => ({ ok: false, deferred }));
  }

  async function crmOwnerId(repId: string): Promise<string | null> {
    const rep = settings.reps.find((r) => r.id === repId);
    if (!rep) return null;
    if (rep.crmOwnerId) return rep.crmOwnerId;
    const cached = await store.getIdentity(rep.id, 'crm');
    if (cached) return cached;
    const found = ports.crm ? await ports.crm.resolveOwnerId({ email: rep.email }) : null;
    if (found) await store.setIdentity(rep.id, 'crm', found, deps.clock.now());
    return found;
  }
}
