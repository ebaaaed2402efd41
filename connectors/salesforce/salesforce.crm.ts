// Write-back to Salesforce: owner ids by rep email (active users, cached), account-owner matching (Contact by
// email → its Account's owner; else an Account whose website matches the email domain), field updates through
// sObject Collections (≤ 200 records per call, allOrNone false, one result per record) and completed Tasks as
// notes. Records given by email (the lead came from HubSpot) are found first, Lead then Contact, batched with IN.
import type { Crm, CrmNote, CrmRecordRef, CrmUpdate, CrmWriteResult, OwnerMatch } from '../../src/ports/crm.js';
import type { Failure } from '../../src/ports/failure.js';
import { isConnectorError } from '../../src/ports/failure.js';
import { chunk } from '../../src/domain/chunk.js';
import type { Lead, Millis } from '../../src/domain/model.js';
import { soqlLikeString, soqlString } from './salesforce.connection.js';
import type { SalesforceConnection, SalesforceLogger } from './salesforce.connection.js';
import { classifySalesforceError, classifySaveErrors } from './salesforce.errors.js';
import type { SalesforceApiErrorItem } from './salesforce.errors.js';

export type SalesforceRecordObject = 'Lead' | 'Contact';

export interface SalesforceCrmOptions {
  /** Where a record given by email is looked for, in order. Default ['Lead', 'Contact']. */
  lookupObjects?: SalesforceRecordObject[];
  /** Records per sObject Collections call (Salesforce allows 200). Default 200. */
  batchSize?: number;
  /** Emails per `IN (…)` lookup. Default 100. */
  emailChunkSize?: number;
  /** How long a resolved owner id is reused. Default 1 h; an unknown email is asked again after 5 min. */
  ownerCacheTtlMs?: number;
  ownerMissTtlMs?: number;
}

export interface SalesforceCrmDeps {
  connection: SalesforceConnection;
  /** True for free-mail domains (gmail.com…), skipped by the account-domain match when asked to. */
  isFreeEmailDomain: (domain: string) => boolean;
  logger?: SalesforceLogger;
  now?: () => Millis;
}

interface SaveResult {
  id?: string;
  success: boolean;
  errors?: SalesforceApiErrorItem[];
}

interface Target {
  object: string;
  id: string;
}

type Resolved = { ok: true; target: Target } | { ok: false; failure: Failure };

const MAX_COLLECTION = 200;
const SUBJECT_MAX = 255;
const DESCRIPTION_MAX = 32_000;

function objectOfId(id: string): string | null {
  if (id.startsWith('00Q')) return 'Lead';
  if (id.startsWith('003')) return 'Contact';
  return null;
}

/** The host of a website value, lower-case, without scheme, "www." or path. */
export function websiteHost(website: string): string | null {
  const trimmed = website.trim().toLowerCase();
  if (trimmed === '') return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`;
  try {
    return new URL(withScheme).hostname.replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

function failureOf(err: unknown): Failure {
  return isConnectorError(err) ? err.failure : classifySalesforceError(err);
}

/** A failure that will hit every further call too: stop sending the rest of the batch. */
function stopsEverything(f: Failure): boolean {
  return f.kind === 'auth' || f.kind === 'rate_limited';
}

export function createSalesforceCrm(options: SalesforceCrmOptions, deps: SalesforceCrmDeps): Crm {
  const sf = deps.connection;
  const log = deps.logger?.child({ component: 'salesforce-crm' });
  const now = deps.now ?? Date.now;
  const lookupObjects = options.lookupObjects ?? ['Lead', 'Contact'];
  const batchSize = Math.min(MAX_COLLECTION, Math.max(1, options.batchSize ?? MAX_COLLECTION));
  const emailChunkSize = options.emailChunkSize ?? 100;
  const hitTtl = options.ownerCacheTtlMs ?? 60 * 60_000;
  const missTtl = options.ownerMissTtlMs ?? 5 * 60_000;
  const ownerCache = new Map<string, { id: string | null; at: Millis }>();
  const ownerInFlight = new Map<string, Promise<string | null>>();

  async function queryAll<T>(soql: string): Promise<T[]> {
    let page = await sf.query<T>(soql);
    const out = [...page.records];
    while (!page.done && page.nextRecordsUrl) {
      const next = page.nextRecordsUrl;
      page = await sf.queryMore<T>(next);
      out.push(...page.records);
    }
    return out;
  }

  async function resolveOwnerId(rep: { email: string }): Promise<string | null> {
    const email = rep.email.trim().toLowerCase();
    const cached = ownerCache.get(email);
    if (cached && now() - cached.at < (cached.id === null ? missTtl : hitTtl)) return cached.id;
    const pending = ownerInFlight.get(email);
    if (pending) return pending;
    const lookup = (async () => {
      const users = await sf.query<{ Id: string }>(
        `SELECT Id FROM User WHERE Email = ${soqlString(email)} AND IsActive = true AND UserType = 'Standard' ORDER BY CreatedDate ASC LIMIT 1`,
      );
      const id = users.records[0]?.Id ?? null;
      ownerCache.set(email, { id, at: now() });
      return id;
    })();
    ownerInFlight.set(email, lookup);
    try {
      return await lookup;
    } finally {
      ownerInFlight.delete(email);
    }
  }

  async function findOwnerMatch(lead: Lead, opts: { skipFreeEmailDomains: boolean }): Promise<OwnerMatch | null> {
    const email = lead.email?.trim().toLowerCase();
    if (!email || !email.includes('@')) return null;
    const contacts = await sf.query<{
      Id: string;
      Account: { Name?: string | null; OwnerId?: string | null; Owner?: { IsActive?: boolean } | null } | null;
    }>(
      `SELECT Id, AccountId, Account.Name, Account.OwnerId, Account.Owner.IsActive FROM Contact ` +
        `WHERE Email = ${soqlString(email)} AND AccountId != null ORDER BY LastModifiedDate DESC LIMIT 10`,
    );
    for (const c of contacts.records) {
      const owner = c.Account?.OwnerId;
      if (owner && owner.startsWith('005') && c.Account?.Owner?.IsActive === true) {
        return {
          ownerId: owner,
          via: 'contact',
          detail: `contact ${c.Id} belongs to account "${c.Account?.Name ?? ''}", owned by ${owner}`,
        };
      }
    }
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (domain === '' || (opts.skipFreeEmailDomains && deps.isFreeEmailDomain(domain))) return null;
    const accounts = await sf.query<{
      Id: string;
      Name: string | null;
      Website: string | null;
      OwnerId: string | null;
      Owner: { IsActive?: boolean } | null;
    }>(
      `SELECT Id, Name, Website, OwnerId, Owner.IsActive FROM Account WHERE Website LIKE ${soqlLikeString(domain, '%', '%')} ` +
        `AND Owner.IsActive = true ORDER BY LastModifiedDate DESC LIMIT 50`,
    );
    for (const a of accounts.records) {
      const host = a.Website ? websiteHost(a.Website) : null;
      if (host === null || (host !== domain && !domain.endsWith(`.${host}`))) continue;
      if (!a.OwnerId || !a.OwnerId.startsWith('005') || a.Owner?.IsActive !== true) continue;
      return {
        ownerId: a.OwnerId,
        via: 'account',
        detail: `account "${a.Name ?? a.Id}" (${a.Website}) matches ${domain}, owned by ${a.OwnerId}`,
      };
    }
    return null;
  }

  /** Finds the Salesforce record of each ref: by id for Salesforce-sourced leads, else by email. */
  async function resolveTargets(refs: CrmRecordRef[]): Promise<Resolved[]> {
    const byEmail = new Map<string, Resolved>();
    const emails = [
      ...new Set(
        refs.filter((r) => r.source !== 'salesforce' && r.email).map((r) => (r.email as string).trim().toLowerCase()),
      ),
    ];
    let missing = emails;
    for (const object of lookupObjects) {
      if (missing.length === 0) break;
      const order = object === 'Lead' ? 'SystemModstamp DESC' : 'LastModifiedDate DESC';
      const extra = object === 'Lead' ? ' AND IsConverted = false' : '';
      for (const part of chunk(missing, emailChunkSize)) {
        try {
          const rows = await queryAll<{ Id: string; Email: string | null }>(
            `SELECT Id, Email FROM ${object} WHERE Email IN (${part.map(soqlString).join(', ')})${extra} ORDER BY ${order}`,
          );
          for (const row of rows) {
            const key = row.Email?.toLowerCase();
            if (key && !byEmail.has(key)) byEmail.set(key, { ok: true, target: { object, id: row.Id } });
          }
        } catch (err) {
          const failure = failureOf(err);
          for (const e of part) if (!byEmail.has(e)) byEmail.set(e, { ok: false, failure });
        }
      }
      missing = missing.filter((e) => !byEmail.has(e));
    }
    return refs.map((r): Resolved => {
      if (r.source === 'salesforce') {
        const object = objectOfId(r.externalId);
        return object
          ? { ok: true, target: { object, id: r.externalId } }
          : { ok: false, failure: { kind: 'invalid', reason: `not a Lead or Contact id: ${r.externalId}` } };
      }
      if (!r.email)
        return {
          ok: false,
          failure: { kind: 'not_found', reason: `no email to find ${r.source} record ${r.externalId} in Salesforce` },
        };
      return (
        byEmail.get(r.email.trim().toLowerCase()) ?? {
          ok: false,
          failure: { kind: 'not_found', reason: `no ${lookupObjects.join(' or ')} with this email in Salesforce` },
        }
      );
    });
  }

  /** Sends records through sObject Collections in chunks; one SaveResult (or a failure) per record. */
  async function sendCollections(
    method: 'PATCH' | 'POST',
    records: Array<Record<string, unknown>>,
  ): Promise<Array<{ ok: true } | { ok: false; failure: Failure }>> {
    const out: Array<{ ok: true } | { ok: false; failure: Failure }> = [];
    let stopped: Failure | null = null;
    for (const part of chunk(records, batchSize)) {
      if (stopped) {
        for (let i = 0; i < part.length; i += 1) out.push({ ok: false, failure: stopped });
        continue;
      }
      try {
        const results = await sf.request<SaveResult[]>(method, '/composite/sobjects', {
          allOrNone: false,
          records: part,
        });
        part.forEach((_r, i) => {
          const res = Array.isArray(results) ? results[i] : undefined;
          if (res === undefined)
            out.push({
              ok: false,
              failure: { kind: 'transient', reason: 'Salesforce returned fewer results than records' },
            });
          else if (res.success) out.push({ ok: true });
          else out.push({ ok: false, failure: classifySaveErrors(res.errors ?? []) });
        });
      } catch (err) {
        const failure = failureOf(err);
        log?.warn({ failure, records: part.length }, 'sObject Collections call failed');
        if (stopsEverything(failure)) stopped = failure;
        for (let i = 0; i < part.length; i += 1) out.push({ ok: false, failure });
      }
    }
    return out;
  }

  async function update(updates: CrmUpdate[]): Promise<CrmWriteResult[]> {
    if (updates.length === 0) return [];
    const resolved = await resolveTargets(updates.map((u) => u.record));
    const results = new Map<string, CrmWriteResult>();
    // One record per target: two updates of the same record in one batch are merged (later values win),
    // since a collection may not name the same id twice.
    const merged = new Map<string, { target: Target; properties: Record<string, unknown>; keys: string[] }>();
    updates.forEach((u, i) => {
      const r = resolved[i] as Resolved;
      if (!r.ok) {
        results.set(u.key, { key: u.key, ok: false, failure: r.failure });
        return;
      }
      const entry = merged.get(r.target.id) ?? { target: r.target, properties: {}, keys: [] };
      for (const [k, v] of Object.entries(u.properties)) entry.properties[k] = v === '' ? null : v;
      entry.keys.push(u.key);
      merged.set(r.target.id, entry);
    });
    const entries = [...merged.values()];
    const sent = await sendCollections(
      'PATCH',
      entries.map((e) => ({ attributes: { type: e.target.object }, id: e.target.id, ...e.properties })),
    );
    entries.forEach((e, i) => {
      const s = sent[i] as { ok: true } | { ok: false; failure: Failure };
      for (const key of e.keys) results.set(key, s.ok ? { key, ok: true } : { key, ok: false, failure: s.failure });
    });
    return updates.map((u) => results.get(u.key) as CrmWriteResult);
  }

  async function addNotes(notes: CrmNote[]): Promise<CrmWriteResult[]> {
    if (notes.length === 0) return [];
    const resolved = await resolveTargets(notes.map((n) => n.record));
    const today = new Date(now()).toISOString().slice(0, 10);
    const toSend: Array<{ key: string; record: Record<string, unknown> }> = [];
    const results = new Map<string, CrmWriteResult>();
    notes.forEach((n, i) => {
      const r = resolved[i] as Resolved;
      if (!r.ok) {
        results.set(n.key, { key: n.key, ok: false, failure: r.failure });
        return;
      }
      toSend.push({
        key: n.key,
        record: {
          attributes: { type: 'Task' },
          WhoId: r.target.id,
          Subject: n.subject.slice(0, SUBJECT_MAX),
          Description: n.body.slice(0, DESCRIPTION_MAX),
          Status: 'Completed',
          Priority: 'Normal',
          ActivityDate: today,
        },
      });
    });
    const sent = await sendCollections(
      'POST',
      toSend.map((t) => t.record),
    );
    toSend.forEach((t, i) => {
      const s = sent[i] as { ok: true } | { ok: false; failure: Failure };
      results.set(t.key, s.ok ? { key: t.key, ok: true } : { key: t.key, ok: false, failure: s.failure });
    });
    return notes.map((n) => results.get(n.key) as CrmWriteResult);
  }

  return { kind: 'salesforce', resolveOwnerId, findOwnerMatch, update, addNotes };
}
