// Carries out outbox jobs through the ports. Each handler takes a batch of jobs of one kind and
// answers per job; a thrown ConnectorError fails the whole batch with its classification.
import type { Handoff, Lead, Offer } from '../domain/model.js';
import type { Crm, CrmUpdate, CrmWriteResult } from '../ports/crm.js';
import { ConnectorError, type Failure } from '../ports/failure.js';
import type { Mailer } from '../ports/mailer.js';
import type {
  EscalationOutcome,
  EscalationPost,
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
import { offerHandoff } from './offer-handoff.js';
import { findReason, findTeam } from './settings.js';
import { slackIdOf } from './people.js';

export type JobResult = { ok: true } | { ok: false; failure: Failure };
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

function payload<K extends JobKind>(jobRow: Job): JobPayloads[K] {
  return jobRow.payload as unknown as JobPayloads[K];
}

function fail(kind: Failure['kind'], reason: string): JobResult {
  return { ok: false, failure: { kind, reason } };
}

export function createJobHandlers(deps: AppDeps, ports: EffectPorts): Record<JobKind, JobHandler> {
  const { store, settings } = deps;

  function needNotifier(): RepNotifier {
    if (!ports.notifier) throw new ConnectorError('slack', { kind: 'invalid', reason: 'Slack is not configured' });
    return ports.notifier;
  }

  async function person(id: string | null): Promise<Person | null> {
    if (!id) return null;
    const rep = settings.reps.find((r) => r.id === id);
    const manager = settings.managers.find((m) => m.id === id);
    const name = rep?.name ?? manager?.name ?? id;
    const slackUserId = await resolveSlackId(id, rep?.email ?? manager?.email ?? null);
    return { id, name, ...(slackUserId ? { slackUserId } : {}), ...(rep ? { timezone: rep.timezone } : {}) };
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

  async function escalationRefs(handoffId: string): Promise<MessageRef[]> {
    const events = await store.listEvents(handoffId);
    const refs: MessageRef[] = [];
    for (const e of events)
      if (e.type === 'escalation_posted') refs.push(...((e.data.refs as MessageRef[] | undefined) ?? []));
    return refs;
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
    'handoff.route': one(async (j) => {
      if (!j.handoffId) return fail('invalid', 'route job without a hand-off');
      const result = await offerHandoff(deps, j.handoffId);
      if (result.kind === 'conflict') return fail('transient', 'hand-off changed while routing');
      return OK;
    }),

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

    // Cards to different reps go out side by side (8 at a time); the notifier paces each DM.
    'slack.offer': one(async (j) => {
      const { offerId } = payload<'slack.offer'>(j);
      const loaded = await loadOffer(offerId);
      if (!loaded) return fail('not_found', `offer ${offerId} not found`);
      const { offer, handoff, lead } = loaded;
      if (offer.slackTs) return OK; // already posted (a retry after the ts was stored)
      if (offer.state !== 'open') return OK; // decided or withdrawn before the card went out
      const card = await cardFor(offer, handoff, lead);
      if (!card?.rep.slackUserId)
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
    }, 8),

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
          : OK;
      }
      const card = await cardFor(offer, handoff, lead);
      if (!card) return fail('not_found', `rep ${offer.repId} unknown`);
      await needNotifier().closeOffer(
        { channel: offer.slackChannel, ts: offer.slackTs },
        card,
        await outcome(p.outcome),
      );
      return OK;
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

    'slack.hot_notice': one(async (j) => {
      const p = payload<'slack.hot_notice'>(j);
      const loaded = await loadOffer(p.offerId);
      if (!loaded) return fail('not_found', `offer ${p.offerId} not found`);
      const card = await cardFor(loaded.offer, loaded.handoff, loaded.lead);
      if (!card) return fail('not_found', `rep ${loaded.offer.repId} unknown`);
      await needNotifier().postHotNotice(card, p.channel);
      return OK;
    }),

    'slack.escalation': one(async (j) => {
      const p = payload<'slack.escalation'>(j);
      const handoff = await store.getHandoff(p.handoffId);
      if (!handoff) return fail('not_found', `hand-off ${p.handoffId} not found`);
      if (handoff.state !== 'escalated') return OK; // claimed or withdrawn before the post went out
      if ((await escalationRefs(handoff.id)).length > 0) return OK;
      const post = await escalationPost(handoff, p.reason);
      if (!post) return fail('not_found', `lead of ${p.handoffId} not found`);
      const refs = await needNotifier().postEscalation(post);
      await store.appendEvent(handoff.id, { type: 'escalation_posted', actor: null, data: { refs } }, deps.clock.now());
      return OK;
    }),

    'slack.close_escalation': one(async (j) => {
      const p = payload<'slack.close_escalation'>(j);
      const handoff = await store.getHandoff(p.handoffId);
      if (!handoff) return fail('not_found', `hand-off ${p.handoffId} not found`);
      const refs = await escalationRefs(handoff.id);
      if (refs.length === 0) {
        const pending = await store.listJobs({ kind: 'slack.escalation', handoffId: handoff.id, state: 'pending' });
        return pending.length > 0
          ? { ok: false, failure: { kind: 'transient', reason: 'escalation not posted yet', retryAfterMs: 2_000 } }
          : OK;
      }
      const post = await escalationPost(handoff, handoff.escalationReason);
      if (!post) return fail('not_found', `lead of ${p.handoffId} not found`);
      const result: EscalationOutcome = {
        kind: p.kind,
        by: await person(p.by),
        to: await person(p.to),
        at: deps.clock.now(),
      };
      await needNotifier().closeEscalation(refs, post, result);
      return OK;
    }),

    'slack.message': one(async (j) => {
      const p = payload<'slack.message'>(j);
      if ('doc' in p) await needNotifier().postDoc(p.channel, p.doc);
      else await needNotifier().postMessage(p.channel, p.text, p.blocks);
      return OK;
    }),

    'crm.update': {
      batch: 100,
      async run(jobs) {
        if (!ports.crm) return jobs.map(() => fail('invalid', 'no CRM configured'));
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
      batch: 100,
      async run(jobs) {
        if (!ports.crm) return jobs.map(() => fail('invalid', 'no CRM configured'));
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
