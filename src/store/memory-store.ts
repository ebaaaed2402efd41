// An in-memory Store with the same semantics as the SQL ones, for unit tests of use cases. Each
// method runs to completion without awaiting in between, so every call is atomic; values are
// copied in and out so callers can never change what is stored behind the store's back.
import { randomUUID } from 'node:crypto';
import { INITIAL_STATE, isOpen, nextState } from '../domain/handoff-machine.js';
import type { Handoff, HandoffEvent, Lead, Millis, Offer, SourceKind } from '../domain/model.js';
import type {
  AlertRow,
  ChangeResult,
  ChannelMessage,
  ClaimOptions,
  DueOffer,
  HandoffChange,
  HandoffPatch,
  IdentityKind,
  IngestInput,
  IngestResult,
  Job,
  JobState,
  NewEvent,
  NewJob,
  NewOffer,
  OfferPatch,
  OpenHandoffFilter,
  RepStatus,
  RotationEntry,
  RotationLedger,
  Store,
} from '../ports/store.js';
import { countInsertedOffer, countUpdatedOffer, emptyLoadDelta, offerSlot } from './load-counters.js';

interface LeadRecord {
  id: string;
  lead: Lead;
}

/** Copies through JSON, so values come back exactly as the SQL stores (JSON text columns) return them. */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function applyHandoffPatch(target: Handoff, set: HandoffPatch): void {
  for (const [key, value] of Object.entries(set)) {
    if (value !== undefined) (target as unknown as Record<string, unknown>)[key] = value;
  }
}

function applyOfferPatch(target: Offer, set: OfferPatch): void {
  for (const [key, value] of Object.entries(set)) {
    if (value !== undefined) (target as unknown as Record<string, unknown>)[key] = value;
  }
}

export function createMemoryStore(): Store {
  const leads = new Map<string, LeadRecord>();
  const leadIdByKey = new Map<string, string>();
  const handoffs = new Map<string, Handoff>();
  const handoffIdByKey = new Map<string, string>();
  const offers = new Map<string, Offer>();
  const events: HandoffEvent[] = [];
  const jobs = new Map<string, Job>();
  const jobIdByKey = new Map<string, string>();
  /** `${handoffId}\0${channel}` → the lead's message in that channel. */
  const channelMessages = new Map<string, ChannelMessage>();
  const cursors = new Map<string, string>();
  const rotation = new Map<string, RotationEntry>();
  const ledgerVersions = new Map<string, number>();
  // Load counters, kept by applyChange like the SQL stores keep theirs (no pruning: a test store is small).
  const openByRep = new Map<string, number>();
  const slotsByRep = new Map<string, Map<Millis, number>>();
  const repStatuses = new Map<string, RepStatus>();
  const identities = new Map<string, string>();
  const alerts = new Map<string, AlertRow>();
  const leases = new Map<string, { holder: string; expiresAt: Millis }>();
  let eventSeq = 0;
  let jobSeq = 0;

  const leadKey = (lead: Lead) => JSON.stringify([lead.source, lead.externalId]);
  const episodeKey = (lead: Lead) => JSON.stringify([lead.source, lead.externalId, lead.mqlAt]);

  function addEvents(handoffId: string, list: readonly NewEvent[], now: Millis): void {
    for (const e of list) {
      eventSeq += 1;
      events.push({ id: String(eventSeq), handoffId, at: now, type: e.type, actor: e.actor, data: copy(e.data ?? {}) });
    }
  }

  function addJobs(list: readonly NewJob[], now: Millis, defaultHandoffId: string | null): void {
    for (const j of list) {
      if (jobIdByKey.has(j.idempotencyKey)) continue;
      const handoffId = j.handoffId === undefined ? defaultHandoffId : j.handoffId;
      if (handoffId !== null && !handoffs.has(handoffId))
        throw new Error(`job ${j.idempotencyKey}: unknown hand-off ${handoffId}`);
      jobSeq += 1;
      const id = String(jobSeq);
      jobs.set(id, {
        id,
        kind: j.kind,
        payload: copy(j.payload),
        idempotencyKey: j.idempotencyKey,
        runAt: j.runAt,
        handoffId,
        state: 'pending',
        attempts: 0,
        lastError: null,
        lockedBy: null,
        leaseUntil: null,
        claimToken: null,
        createdAt: now,
        updatedAt: now,
      });
      jobIdByKey.set(j.idempotencyKey, id);
    }
  }

  function putRotationEntries(entries: readonly RotationEntry[]): void {
    for (const e of entries) rotation.set(JSON.stringify([e.teamId, e.repId]), copy(e));
  }

  function newOffer(o: NewOffer, handoffId: string): Offer {
    return {
      id: o.id ?? randomUUID(),
      handoffId,
      repId: o.repId,
      seq: o.seq,
      state: o.state,
      offeredAt: o.offeredAt,
      dueAt: o.dueAt,
      remindAt: o.remindAt,
      remindedAt: null,
      decidedAt: null,
      slackChannel: null,
      slackTs: null,
      ownerMatch: o.ownerMatch,
      trace: copy(o.trace ?? null),
    };
  }

  function sortedHandoffs(list: Iterable<Handoff>): Handoff[] {
    return [...list].sort((a, b) => a.mqlAt - b.mqlAt || compareIds(a.id, b.id));
  }

  /** The job if it still runs under this claim (the fence every settling call checks). */
  function claimedJob(id: string, claimToken: string): Job | undefined {
    const job = jobs.get(id);
    return job !== undefined && job.state === 'running' && job.claimToken === claimToken ? job : undefined;
  }

  const store: Store = {
    dialect: 'memory',

    migrate: () => Promise.resolve(),
    close: () => Promise.resolve(),

    // --- hand-offs ------------------------------------------------------------------------------

    async ingest(input: IngestInput, now: Millis): Promise<IngestResult> {
      const { lead } = input;
      let leadId = leadIdByKey.get(leadKey(lead));
      if (leadId === undefined) {
        leadId = randomUUID();
        leadIdByKey.set(leadKey(lead), leadId);
        leads.set(leadId, { id: leadId, lead: copy(lead) });
      } else {
        const record = leads.get(leadId);
        if (record !== undefined && record.lead.modifiedAt <= lead.modifiedAt) record.lead = copy(lead);
      }
      const existingId = handoffIdByKey.get(episodeKey(lead));
      const existing = existingId === undefined ? undefined : handoffs.get(existingId);
      if (existing !== undefined) return { created: false, handoff: copy(existing) };
      const handoff: Handoff = {
        id: randomUUID(),
        leadId,
        source: lead.source,
        externalId: lead.externalId,
        mqlAt: lead.mqlAt,
        state: input.state ?? INITIAL_STATE,
        version: 1,
        hot: input.hot,
        imported: input.imported,
        email: lead.email,
        channel: lead.fields.channel ?? null,
        campaign: lead.fields.campaign ?? null,
        teamId: null,
        repId: null,
        offerCount: 0,
        dueAt: null,
        escalatedAt: null,
        escalationReason: null,
        decidedAt: input.decidedAt ?? null,
        decidedBy: input.decidedBy ?? null,
        reasonId: input.reasonId ?? null,
        note: null,
        createdAt: now,
        updatedAt: now,
      };
      handoffs.set(handoff.id, handoff);
      handoffIdByKey.set(episodeKey(lead), handoff.id);
      addEvents(handoff.id, input.events ?? [], now);
      addJobs(input.jobs ?? [], now, handoff.id);
      return { created: true, handoff: copy(handoff) };
    },

    async applyChange(change: HandoffChange, now: Millis): Promise<ChangeResult> {
      const current = handoffs.get(change.handoffId);
      if (current === undefined) return { ok: false, current: null };
      if (current.version !== change.expectVersion) return { ok: false, current: copy(current) };
      // The transition table decides whether the action may start here and where it leads.
      const move = change.action === null ? null : nextState(current.state, change.action);
      if (move !== null && !move.ok) return { ok: false, current: copy(current) };
      // Stage every offer change first; nothing is written unless all compare-and-sets hold.
      const staged = new Map<string, Offer>();
      const touched: Offer[] = [];
      const seqs = new Set([...offers.values()].filter((o) => o.handoffId === change.handoffId).map((o) => o.seq));
      for (const o of change.insertOffers ?? []) {
        const offer = newOffer(o, change.handoffId);
        if (offers.has(offer.id) || staged.has(offer.id)) throw new Error(`offer ${offer.id} already exists`);
        if (seqs.has(offer.seq)) throw new Error(`hand-off ${change.handoffId} already has offer #${offer.seq}`);
        seqs.add(offer.seq);
        staged.set(offer.id, offer);
        touched.push(offer);
      }
      for (const u of change.updateOffers ?? []) {
        const base = staged.get(u.id) ?? offers.get(u.id);
        if (base === undefined || base.handoffId !== change.handoffId || base.state !== u.expectState) {
          return { ok: false, current: copy(current) };
        }
        const next = copy(base);
        applyOfferPatch(next, u.set);
        staged.set(next.id, next);
        touched.push(next);
      }
      const expected = new Map((change.expectLedger ?? []).map((e) => [e.teamId, e.version] as const));
      for (const r of change.rotation ?? []) {
        if (!expected.has(r.teamId))
          throw new Error(`rotation rows for team ${r.teamId} without the ledger version routing read (expectLedger)`);
      }
      for (const [teamId, version] of expected) {
        if ((ledgerVersions.get(teamId) ?? 0) !== version)
          return { ok: false, current: copy(current), ledgerConflict: true };
      }
      const load = emptyLoadDelta();
      for (const o of change.insertOffers ?? []) countInsertedOffer(load, o);
      for (const u of change.updateOffers ?? []) {
        const base = offers.get(u.id) ?? staged.get(u.id);
        if (base !== undefined) countUpdatedOffer(load, base.repId, u.expectState, u.set.state ?? u.expectState);
      }
      for (const [repId, n] of load.open) openByRep.set(repId, (openByRep.get(repId) ?? 0) + n);
      for (const [repId, slots] of load.slots) {
        const mine = slotsByRep.get(repId) ?? new Map<Millis, number>();
        for (const [slot, n] of slots) mine.set(slot, (mine.get(slot) ?? 0) + n);
        slotsByRep.set(repId, mine);
      }
      for (const teamId of expected.keys()) ledgerVersions.set(teamId, (ledgerVersions.get(teamId) ?? 0) + 1);
      const next = copy(current);
      applyHandoffPatch(next, change.set);
      if (move !== null) next.state = move.to;
      next.version = current.version + 1;
      next.updatedAt = now;
      handoffs.set(next.id, next);
      for (const offer of staged.values()) offers.set(offer.id, offer);
      addEvents(change.handoffId, change.events, now);
      addJobs(change.jobs ?? [], now, change.handoffId);
      putRotationEntries(change.rotation ?? []);
      return { ok: true, handoff: copy(next), offers: touched.map(copy) };
    },

    async getHandoff(id: string): Promise<Handoff | null> {
      const h = handoffs.get(id);
      return h === undefined ? null : copy(h);
    },

    async getLead(leadId: string): Promise<Lead | null> {
      const record = leads.get(leadId);
      return record === undefined ? null : copy(record.lead);
    },

    async findHandoffsByRecord(source: SourceKind, externalId: string): Promise<Handoff[]> {
      return sortedHandoffs([...handoffs.values()].filter((h) => h.source === source && h.externalId === externalId))
        .reverse()
        .map(copy);
    },

    async findHandoffsByEmail(email: string): Promise<Handoff[]> {
      const wanted = email.trim().toLowerCase();
      return sortedHandoffs([...handoffs.values()].filter((h) => h.email?.toLowerCase() === wanted))
        .reverse()
        .map(copy);
    },

    async listOpenHandoffs(limit: number, filter?: OpenHandoffFilter): Promise<Handoff[]> {
      if (limit <= 0) return [];
      const f = filter ?? {};
      return sortedHandoffs(
        [...handoffs.values()].filter(
          (h) =>
            isOpen(h.state) &&
            !h.imported &&
            (f.team === undefined || h.teamId === f.team) &&
            (f.source === undefined || h.channel === f.source) &&
            (f.campaign === undefined || h.campaign === f.campaign) &&
            (f.hot === undefined || h.hot === f.hot),
        ),
      )
        .slice(0, limit)
        .map(copy);
    },

    async listHandoffsByMqlTime(from, to, limit, after) {
      if (limit <= 0) return [];
      return sortedHandoffs(
        [...handoffs.values()].filter(
          (h) =>
            h.mqlAt >= from &&
            h.mqlAt < to &&
            (after === undefined || h.mqlAt > after.mqlAt || (h.mqlAt === after.mqlAt && h.id > after.id)),
        ),
      )
        .slice(0, limit)
        .map(copy);
    },

    // --- offers ---------------------------------------------------------------------------------

    async getOffer(id: string): Promise<Offer | null> {
      const o = offers.get(id);
      return o === undefined ? null : copy(o);
    },

    async listOffers(handoffId: string): Promise<Offer[]> {
      return [...offers.values()]
        .filter((o) => o.handoffId === handoffId)
        .sort((a, b) => a.seq - b.seq)
        .map(copy);
    },

    async listOpenOffersForRep(repId: string): Promise<Offer[]> {
      return [...offers.values()]
        .filter((o) => o.repId === repId && o.state === 'open')
        .sort((a, b) => a.offeredAt - b.offeredAt || compareIds(a.id, b.id))
        .map(copy);
    },

    async listDueOffers(now: Millis, limit: number): Promise<DueOffer[]> {
      if (limit <= 0) return [];
      const due: { offer: Offer; due: 'timeout' | 'remind'; at: Millis; hot: boolean }[] = [];
      for (const o of offers.values()) {
        if (o.state !== 'open') continue;
        const hot = handoffs.get(o.handoffId)?.hot === true;
        if (o.dueAt <= now) due.push({ offer: o, due: 'timeout', at: o.dueAt, hot });
        else if (o.remindAt !== null && o.remindAt <= now && o.remindedAt === null)
          due.push({ offer: o, due: 'remind', at: o.remindAt, hot });
      }
      // Hot lanes first, then the oldest deadline.
      due.sort((a, b) => Number(b.hot) - Number(a.hot) || a.at - b.at || compareIds(a.offer.id, b.offer.id));
      return due.slice(0, limit).flatMap((d) => {
        const handoff = handoffs.get(d.offer.handoffId);
        return handoff === undefined ? [] : [{ offer: copy(d.offer), handoff: copy(handoff), due: d.due }];
      });
    },

    async countOpenOffersByRep(repIds?: readonly string[]): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      const wanted = repIds === undefined ? null : new Set(repIds);
      for (const [repId, n] of openByRep) if (n > 0 && (wanted === null || wanted.has(repId))) counts[repId] = n;
      return counts;
    },

    async countOffersByRepSince(since: Record<string, Millis>): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      for (const [repId, from] of Object.entries(since)) {
        let n = 0;
        if (offerSlot(from) === from) {
          for (const [slot, k] of slotsByRep.get(repId) ?? []) if (slot >= from) n += k;
        } else {
          for (const o of offers.values()) if (o.repId === repId && o.offeredAt >= from) n += 1;
        }
        counts[repId] = n;
      }
      return counts;
    },

    async setOfferMessage(offerId: string, message: { channel: string; ts: string }): Promise<void> {
      const o = offers.get(offerId);
      if (o === undefined) return;
      o.slackChannel = message.channel;
      o.slackTs = message.ts;
    },

    async setOfferChannel(offerId: string, channel: string): Promise<void> {
      const o = offers.get(offerId);
      if (o !== undefined && o.slackTs === null) o.slackChannel = channel;
    },

    // --- channel messages -------------------------------------------------------------------------

    async listChannelMessages(handoffId: string): Promise<ChannelMessage[]> {
      return [...channelMessages.values()].filter((m) => m.handoffId === handoffId).map(copy);
    },

    async noteChannelMessage(handoffId: string, channel: string, now: Millis): Promise<void> {
      const key = `${handoffId}\u0000${channel}`;
      const m = channelMessages.get(key);
      if (m === undefined)
        channelMessages.set(key, { handoffId, channel, ts: null, notedAt: now, steps: [], shown: null });
      else if (m.ts === null && m.notedAt === null) m.notedAt = now;
    },

    async setChannelMessageTs(
      handoffId: string,
      channel: string,
      ts: string,
      _now: Millis,
      shown?: string,
    ): Promise<void> {
      const key = `${handoffId}\u0000${channel}`;
      const m = channelMessages.get(key);
      if (m === undefined)
        channelMessages.set(key, { handoffId, channel, ts, notedAt: null, steps: [], shown: shown ?? null });
      else Object.assign(m, { ts, shown: shown ?? null });
    },

    async setChannelMessageShown(handoffId: string, channel: string, shown: string): Promise<void> {
      const m = channelMessages.get(`${handoffId}\u0000${channel}`);
      if (m !== undefined) m.shown = shown;
    },

    async addChannelMessageStep(handoffId: string, channel: string, step: string): Promise<void> {
      const m = channelMessages.get(`${handoffId}\u0000${channel}`);
      if (m !== undefined && !m.steps.includes(step)) m.steps.push(step);
    },

    // --- audit ----------------------------------------------------------------------------------

    async listEvents(handoffId: string): Promise<HandoffEvent[]> {
      return events.filter((e) => e.handoffId === handoffId).map(copy);
    },

    async appendEvent(handoffId: string, event: NewEvent, now: Millis): Promise<void> {
      if (!handoffs.has(handoffId)) throw new Error(`unknown hand-off ${handoffId}`);
      addEvents(handoffId, [event], now);
    },

    // --- outbox ---------------------------------------------------------------------------------

    async enqueueJobs(list: NewJob[], now: Millis): Promise<void> {
      addJobs(list, now, null);
    },

    async claimJobs(claim: ClaimOptions): Promise<Job[]> {
      if (claim.limit <= 0) return [];
      const kinds = claim.kinds === undefined ? null : new Set(claim.kinds);
      const notKinds = new Set(claim.notKinds ?? []);
      const picked = [...jobs.values()]
        .filter(
          (j) =>
            (kinds === null || kinds.has(j.kind)) &&
            !notKinds.has(j.kind) &&
            ((j.state === 'pending' && j.runAt <= claim.now) ||
              (j.state === 'running' && j.leaseUntil !== null && j.leaseUntil <= claim.now)),
        )
        .sort((a, b) => a.runAt - b.runAt || Number(a.id) - Number(b.id))
        .slice(0, claim.limit);
      const claimToken = randomUUID();
      for (const j of picked) {
        j.state = 'running';
        j.lockedBy = claim.workerId;
        j.leaseUntil = claim.now + claim.leaseMs;
        j.claimToken = claimToken;
        j.attempts += 1;
        j.updatedAt = claim.now;
      }
      return picked.map(copy);
    },

    async dueKinds(now: Millis, kinds: string[]): Promise<string[]> {
      const wanted = new Set(kinds);
      const found = new Set<string>();
      for (const j of jobs.values()) {
        if (!wanted.has(j.kind) || found.has(j.kind)) continue;
        const due =
          (j.state === 'pending' && j.runAt <= now) ||
          (j.state === 'running' && j.leaseUntil !== null && j.leaseUntil <= now);
        if (due) found.add(j.kind);
      }
      return kinds.filter((k) => found.has(k));
    },

    async renewJobLeases(claimTokens: string[], leaseUntil: Millis, now: Millis): Promise<number> {
      const tokens = new Set(claimTokens);
      let renewed = 0;
      for (const job of jobs.values()) {
        if (job.state !== 'running' || job.claimToken === null || !tokens.has(job.claimToken)) continue;
        job.leaseUntil = leaseUntil;
        job.updatedAt = now;
        renewed += 1;
      }
      return renewed;
    },

    async completeJob(id: string, claimToken: string, now: Millis): Promise<boolean> {
      const job = claimedJob(id, claimToken);
      if (job === undefined) return false;
      job.state = 'done';
      job.leaseUntil = null;
      job.claimToken = null;
      job.updatedAt = now;
      return true;
    },

    async retryJob(id: string, claimToken: string, retry: { runAt: Millis; error: string }, now: Millis) {
      const job = claimedJob(id, claimToken);
      if (job === undefined) return false;
      job.state = 'pending';
      job.runAt = retry.runAt;
      job.lastError = retry.error;
      job.lockedBy = null;
      job.leaseUntil = null;
      job.claimToken = null;
      job.updatedAt = now;
      return true;
    },

    async killJob(id: string, claimToken: string, error: string, now: Millis): Promise<boolean> {
      const job = claimedJob(id, claimToken);
      if (job === undefined) return false;
      job.state = 'dead';
      job.lastError = error;
      job.leaseUntil = null;
      job.claimToken = null;
      job.updatedAt = now;
      return true;
    },

    async deferJob(id: string, claimToken: string, runAt: Millis, now: Millis): Promise<boolean> {
      const job = claimedJob(id, claimToken);
      if (job === undefined) return false;
      job.state = 'pending';
      job.runAt = runAt;
      job.attempts = Math.max(0, job.attempts - 1);
      job.lockedBy = null;
      job.leaseUntil = null;
      job.claimToken = null;
      job.updatedAt = now;
      return true;
    },

    async requeueRunningJobs(now: Millis): Promise<number> {
      let n = 0;
      for (const job of jobs.values()) {
        if (job.state !== 'running') continue;
        job.state = 'pending';
        job.runAt = now;
        job.leaseUntil = null;
        job.lockedBy = null;
        job.claimToken = null;
        job.updatedAt = now;
        n += 1;
      }
      return n;
    },

    async getJob(id: string): Promise<Job | null> {
      const job = jobs.get(id);
      return job === undefined ? null : copy(job);
    },

    async listJobs(filter: { state?: JobState; kind?: string; handoffId?: string; limit?: number }): Promise<Job[]> {
      return [...jobs.values()]
        .filter(
          (j) =>
            (filter.state === undefined || j.state === filter.state) &&
            (filter.kind === undefined || j.kind === filter.kind) &&
            (filter.handoffId === undefined || j.handoffId === filter.handoffId),
        )
        .sort((a, b) => a.runAt - b.runAt || Number(a.id) - Number(b.id))
        .slice(0, filter.limit ?? 1000)
        .map(copy);
    },

    async countJobs(state: JobState): Promise<number> {
      let n = 0;
      for (const j of jobs.values()) if (j.state === state) n += 1;
      return n;
    },

    // --- cursors, leases ------------------------------------------------------------------------

    async getCursor(name: string): Promise<string | null> {
      return cursors.get(name) ?? null;
    },

    async setCursor(name: string, value: string): Promise<void> {
      cursors.set(name, value);
    },

    async tryAcquireLease(name: string, holder: string, ttlMs: Millis, now: Millis): Promise<boolean> {
      const lease = leases.get(name);
      if (lease !== undefined && lease.holder !== holder && lease.expiresAt > now) return false;
      leases.set(name, { holder, expiresAt: now + ttlMs });
      return true;
    },

    async releaseLease(name: string, holder: string): Promise<void> {
      if (leases.get(name)?.holder === holder) leases.delete(name);
    },

    async dropLeases(): Promise<number> {
      const n = leases.size;
      leases.clear();
      return n;
    },

    // --- rotation, rep status, identities, alerts -----------------------------------------------

    async getRotation(teamId: string): Promise<RotationEntry[]> {
      return [...rotation.values()]
        .filter((e) => e.teamId === teamId)
        .sort((a, b) => a.pass - b.pass || compareIds(a.repId, b.repId))
        .map(copy);
    },

    async getRotationLedgers(teamIds: readonly string[]): Promise<RotationLedger[]> {
      return teamIds.map((teamId) => ({
        teamId,
        version: ledgerVersions.get(teamId) ?? 0,
        entries: [...rotation.values()]
          .filter((e) => e.teamId === teamId)
          .sort((a, b) => a.pass - b.pass || compareIds(a.repId, b.repId))
          .map(copy),
      }));
    },

    async putRotation(entries: RotationEntry[]): Promise<void> {
      putRotationEntries(entries);
      for (const teamId of new Set(entries.map((e) => e.teamId)))
        ledgerVersions.set(teamId, (ledgerVersions.get(teamId) ?? 0) + 1);
    },

    async getRepStatuses(): Promise<RepStatus[]> {
      return [...repStatuses.values()].sort((a, b) => compareIds(a.repId, b.repId)).map(copy);
    },

    async setRepStatus(repId: string, status: Omit<RepStatus, 'repId'> | null): Promise<void> {
      if (status === null) repStatuses.delete(repId);
      else repStatuses.set(repId, { repId, awayUntil: status.awayUntil, since: status.since, note: status.note });
    },

    async getIdentity(repId: string, kind: IdentityKind): Promise<string | null> {
      return identities.get(JSON.stringify([repId, kind])) ?? null;
    },

    async setIdentity(repId: string, kind: IdentityKind, value: string): Promise<void> {
      identities.set(JSON.stringify([repId, kind]), value);
    },

    async getAlert(key: string): Promise<AlertRow | null> {
      const a = alerts.get(key);
      return a === undefined ? null : copy(a);
    },

    async putAlert(row: AlertRow): Promise<void> {
      alerts.set(row.key, copy(row));
    },

    async listAlerts(state?: AlertRow['state']): Promise<AlertRow[]> {
      return [...alerts.values()]
        .filter((a) => state === undefined || a.state === state)
        .sort((a, b) => a.firedAt - b.firedAt || compareIds(a.key, b.key))
        .map(copy);
    },
  };
  return store;
}
