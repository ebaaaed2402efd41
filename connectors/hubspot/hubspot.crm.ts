// Write-back to HubSpot (the Crm port): owner ids from the owners API, owner-match lookups, batched property
// updates with per-record results, and timeline notes associated to the contact.
import type { SimplePublicObjectBatchInput } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import type { Filter, FilterGroup } from '@hubspot/api-client/lib/codegen/crm/companies/index.js';
import type { SimplePublicObjectBatchInputForCreate } from '@hubspot/api-client/lib/codegen/crm/objects/notes/index.js';
import { chunk } from '../../src/domain/chunk.js';
import { escapeHtml } from '../../src/domain/escape-html.js';
import type { Lead } from '../../src/domain/model.js';
import type { Crm, CrmNote, CrmRecordRef, CrmUpdate, CrmWriteResult, OwnerMatch } from '../../src/ports/crm.js';
import type { Failure } from '../../src/ports/failure.js';
import { isConnectorError } from '../../src/ports/failure.js';
import { createHubspotApi } from './hubspot.client.js';
import type { HubspotApi, HubspotClientDeps, HubspotClientOptions } from './hubspot.client.js';
import { classifyHubspotError } from './hubspot.errors.js';
import { batchResult, expectShape, ownerPage, searchPage } from './hubspot.shapes.js';
import type { BatchError } from './hubspot.shapes.js';

export interface HubspotCrmOptions extends HubspotClientOptions {
  /** How long the owners list is trusted (default 10 min); an unknown email refreshes it at most once a minute. */
  ownerCacheTtlMs?: number;
  /** lifecyclestage only moves forward through the API: clear it before setting it (recycling). Default true. */
  clearLifecycleStageFirst?: boolean;
}

export interface HubspotCrmDeps extends HubspotClientDeps {
  api?: HubspotApi;
  /** gmail.com and friends: a company found by such a domain is not the lead's company. */
  isFreeEmailDomain?: (domain: string) => boolean;
}

const NOTE_TO_CONTACT = 202;

interface OwnerEntry {
  id: string;
  email: string;
  name: string;
}

function failureOf(err: unknown): Failure {
  return isConnectorError(err) ? err.failure : classifyHubspotError(err);
}

/** One entry of a batch answer's errors[] as a Failure. */
export function failureFromBatchError(e: BatchError): Failure {
  const message = e.message ?? 'rejected by HubSpot';
  switch (e.category) {
    case 'OBJECT_NOT_FOUND':
      return { kind: 'not_found', reason: message };
    case 'RATE_LIMITS':
      return { kind: 'rate_limited', retryAfterMs: 10_000, reason: message };
    case 'INTERNAL_ERROR':
    case 'SERVICE_UNAVAILABLE':
      return { kind: 'transient', reason: message };
    default:
      return { kind: 'invalid', reason: `${e.category ?? 'ERROR'}: ${message}` };
  }
}

export function createHubspotCrm(options: HubspotCrmOptions, deps: HubspotCrmDeps): Crm {
  const api = deps.api ?? createHubspotApi(options, deps);
  const log = api.logger.child({ component: 'hubspot-crm' });
  const now = deps.now ?? Date.now;
  const ttl = options.ownerCacheTtlMs ?? 10 * 60_000;
  const clearStageFirst = options.clearLifecycleStageFirst ?? true;

  let owners: { byEmail: Map<string, OwnerEntry>; byId: Map<string, OwnerEntry>; at: number } | null = null;
  let loading: Promise<void> | null = null;

  async function loadOwners(): Promise<void> {
    const byEmail = new Map<string, OwnerEntry>();
    const byId = new Map<string, OwnerEntry>();
    let after: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const raw = await api.call('general', 'owners.getPage', (c) =>
        c.crm.owners.ownersApi.getPage(undefined, after, 500, false),
      );
      const page = expectShape(ownerPage, raw, 'owners.getPage');
      for (const o of page.results) {
        if (o.archived) continue;
        const entry = {
          id: o.id,
          email: (o.email ?? '').toLowerCase(),
          name: [o.firstName, o.lastName].filter(Boolean).join(' ') || (o.email ?? o.id),
        };
        byId.set(o.id, entry);
        if (entry.email) byEmail.set(entry.email, entry);
      }
      after = page.paging?.next?.after;
      if (after === undefined) break;
    }
    owners = { byEmail, byId, at: now() };
    log.debug({ owners: byId.size }, 'hubspot owners loaded');
  }

  /** The active owners, refreshed when stale, or when `miss` and the list is older than a minute. */
  async function activeOwners(miss: boolean): Promise<NonNullable<typeof owners>> {
    const age = owners ? now() - owners.at : Infinity;
    if (owners === null || age > ttl || (miss && age > 60_000)) {
      loading ??= loadOwners().finally(() => {
        loading = null;
      });
      await loading;
    }
    if (owners === null) throw new Error('owners not loaded');
    return owners;
  }

  async function ownerById(id: string): Promise<OwnerEntry | null> {
    const first = await activeOwners(false);
    const hit = first.byId.get(id);
    if (hit) return hit;
    return (await activeOwners(true)).byId.get(id) ?? null;
  }

  /** Contact ids for record references: the id itself for HubSpot records, an email look-up for the others. */
  async function resolveIds(refs: CrmRecordRef[]): Promise<Map<CrmRecordRef, string | Failure>> {
    const out = new Map<CrmRecordRef, string | Failure>();
    const byEmail = new Map<string, CrmRecordRef[]>();
    for (const ref of refs) {
      if (ref.source === 'hubspot') out.set(ref, ref.externalId);
      else if (!ref.email)
        out.set(ref, {
          kind: 'not_found',
          reason: `no email on ${ref.source} record ${ref.externalId} to find its HubSpot contact`,
        });
      else {
        const key = ref.email.toLowerCase();
        const list = byEmail.get(key) ?? [];
        list.push(ref);
        byEmail.set(key, list);
      }
    }
    for (const emails of chunk([...byEmail.keys()], 100)) {
      try {
        const raw = await api.call('general', 'contacts.batchReadByEmail', (c) =>
          c.crm.contacts.batchApi.read(
            {
              idProperty: 'email',
              inputs: emails.map((id) => ({ id })),
              properties: ['email'],
              propertiesWithHistory: [],
            },
            false,
          ),
        );
        const res = expectShape(batchResult, raw, 'contacts.batchReadByEmail');
        const found = new Map(res.results.map((r) => [(r.properties['email'] ?? '').toLowerCase(), r.id]));
        for (const email of emails) {
          const id = found.get(email);
          for (const ref of byEmail.get(email) ?? [])
            out.set(ref, id ?? { kind: 'not_found', reason: `no HubSpot contact with email ${email}` });
        }
      } catch (err) {
        const failure = failureOf(err);
        for (const email of emails) for (const ref of byEmail.get(email) ?? []) out.set(ref, failure);
      }
    }
    return out;
  }

  async function batchUpdate(inputs: SimplePublicObjectBatchInput[]): Promise<Map<string, true | Failure>> {
    const outcome = new Map<string, true | Failure>();
    try {
      const raw = await api.call('general', 'contacts.batchUpdate', (c) => c.crm.contacts.batchApi.update({ inputs }));
      const res = expectShape(batchResult, raw, 'contacts.batchUpdate');
      const done = new Set(res.results.map((r) => r.id));
      const errors = res.errors ?? [];
      const unmatchedResults = res.results.filter((r) => !inputs.some((i) => i.id === r.id)).length;
      for (const input of inputs) {
        if (done.has(input.id)) {
          outcome.set(input.id, true);
          continue;
        }
        const err =
          errors.find((e) => e.context?.['ids']?.includes(input.id)) ??
          errors.find((e) => e.context?.['ids'] === undefined);
        if (err) outcome.set(input.id, failureFromBatchError(err));
        // A merged-away id is written on the record it was merged into, which answers under its own id.
        else if (unmatchedResults > 0) outcome.set(input.id, true);
        else outcome.set(input.id, { kind: 'transient', reason: `HubSpot did not answer for contact ${input.id}` });
      }
    } catch (err) {
      const failure = failureOf(err);
      for (const input of inputs) outcome.set(input.id, failure);
    }
    return outcome;
  }

  return {
    kind: 'hubspot',

    async resolveOwnerId(rep) {
      const email = rep.email.toLowerCase();
      const first = await activeOwners(false);
      const hit = first.byEmail.get(email) ?? (await activeOwners(true)).byEmail.get(email);
      return hit?.id ?? null;
    },

    async findOwnerMatch(lead: Lead, matchOptions): Promise<OwnerMatch | null> {
      if (lead.ownerId) {
        const owner = await ownerById(lead.ownerId);
        if (owner) return { ownerId: owner.id, via: 'contact', detail: `contact owner ${owner.name}` };
      }
      const domain = lead.email?.split('@')[1]?.trim().toLowerCase();
      if (!domain) return null;
      if (matchOptions.skipFreeEmailDomains && deps.isFreeEmailDomain?.(domain)) return null;
      const raw = await api.call('search', 'companies.search', (c) =>
        c.crm.companies.searchApi.doSearch({
          filterGroups: [
            {
              filters: [{ propertyName: 'domain', operator: 'EQ' as Filter['operator'], value: domain }],
            } as FilterGroup,
          ],
          properties: ['domain', 'name', 'hubspot_owner_id'],
          limit: 10,
        }),
      );
      const page = expectShape(searchPage, raw, 'companies.search');
      for (const company of page.results) {
        const ownerId = company.properties['hubspot_owner_id'];
        if (!ownerId) continue;
        const owner = await ownerById(ownerId);
        if (owner) {
          return {
            ownerId: owner.id,
            via: 'company',
            detail: `owner of company ${company.properties['name'] || domain} (${domain}): ${owner.name}`,
          };
        }
      }
      return null;
    },

    async update(updates: CrmUpdate[]): Promise<CrmWriteResult[]> {
      const ids = await resolveIds(updates.map((u) => u.record));
      const results = new Map<string, CrmWriteResult>();
      // One input per contact: HubSpot rejects duplicate ids in a batch; later updates win per property.
      const merged = new Map<string, { properties: Record<string, string>; keys: string[] }>();
      for (const u of updates) {
        const id = ids.get(u.record);
        if (id === undefined || typeof id !== 'string') {
          results.set(u.key, {
            key: u.key,
            ok: false,
            failure: id ?? { kind: 'not_found', reason: 'record not resolved' },
          });
          continue;
        }
        const entry = merged.get(id) ?? { properties: {}, keys: [] };
        Object.assign(entry.properties, u.properties);
        entry.keys.push(u.key);
        merged.set(id, entry);
      }
      for (const part of chunk([...merged.entries()], 100)) {
        const failedFirst = new Map<string, Failure>();
        if (clearStageFirst) {
          const clearing = part
            .filter(([, e]) => (e.properties['lifecyclestage'] ?? '') !== '')
            .map(([id]) => ({ id, properties: { lifecyclestage: '' } }));
          if (clearing.length > 0) {
            for (const [id, r] of await batchUpdate(clearing)) if (r !== true) failedFirst.set(id, r);
          }
        }
        const inputs = part.filter(([id]) => !failedFirst.has(id)).map(([id, e]) => ({ id, properties: e.properties }));
        const outcome = inputs.length > 0 ? await batchUpdate(inputs) : new Map<string, true | Failure>();
        for (const [id, e] of part) {
          const r = failedFirst.get(id) ?? outcome.get(id) ?? { kind: 'transient' as const, reason: 'not written' };
          for (const key of e.keys) results.set(key, r === true ? { key, ok: true } : { key, ok: false, failure: r });
          if (r !== true) log.warn({ contactId: id, kind: r.kind, reason: r.reason }, 'hubspot contact update failed');
        }
      }
      return updates.map(
        (u) => results.get(u.key) ?? { key: u.key, ok: false, failure: { kind: 'transient', reason: 'not written' } },
      );
    },

    async addNotes(notes: CrmNote[]): Promise<CrmWriteResult[]> {
      const ids = await resolveIds(notes.map((n) => n.record));
      const results = new Map<string, CrmWriteResult>();
      const inputs: Array<SimplePublicObjectBatchInputForCreate & { objectWriteTraceId: string }> = [];
      for (const n of notes) {
        const id = ids.get(n.record);
        if (typeof id !== 'string') {
          results.set(n.key, {
            key: n.key,
            ok: false,
            failure: id ?? { kind: 'not_found', reason: 'record not resolved' },
          });
          continue;
        }
        const body = `<p><strong>${escapeHtml(n.subject)}</strong></p>${n.body
          .split('\n')
          .map((line) => `<p>${escapeHtml(line)}</p>`)
          .join('')}`;
        inputs.push({
          objectWriteTraceId: n.key,
          properties: { hs_timestamp: new Date(now()).toISOString(), hs_note_body: body },
          associations: [
            {
              to: { id },
              types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: NOTE_TO_CONTACT }],
            },
          ],
        });
      }
      for (const part of chunk(inputs, 100)) {
        try {
          const raw = await api.call('general', 'notes.batchCreate', (c) =>
            c.crm.objects.notes.batchApi.create({ inputs: part }),
          );
          const res = expectShape(batchResult, raw, 'notes.batchCreate');
          const created = new Set(
            res.results.map((r) => r.objectWriteTraceId).filter((t): t is string => t !== undefined),
          );
          const errors = res.errors ?? [];
          for (const input of part) {
            const key = input.objectWriteTraceId;
            const err = errors.find((e) => e.context?.['objectWriteTraceId']?.includes(key));
            if (err) results.set(key, { key, ok: false, failure: failureFromBatchError(err) });
            else if (created.has(key) || (errors.length === 0 && res.results.length === part.length))
              results.set(key, { key, ok: true });
            else
              results.set(key, {
                key,
                ok: false,
                failure: { kind: 'transient', reason: 'HubSpot did not confirm this note' },
              });
          }
        } catch (err) {
          const failure = failureOf(err);
          for (const input of part)
            results.set(input.objectWriteTraceId, { key: input.objectWriteTraceId, ok: false, failure });
        }
      }
      return notes.map(
        (n) => results.get(n.key) ?? { key: n.key, ok: false, failure: { kind: 'transient', reason: 'not written' } },
      );
    },
  };
}
