// Write-back to Marketo itself (crm.kind: marketo): lead fields through Sync Leads (action updateOnly,
// lookupField id, at most 300 records a call, one result per record). Leads that came from another source
// are found by email first (Get Leads filterType email). Marketo has no owners of its own: an owner is the
// rep's email, written to marketo.ownerField when one is configured (the write-back settings name it as the
// owner property; an empty name means "no owner field" and the owner is dropped). Marketo keeps no notes on
// leads; the config refuses `note: true` for it, and addNotes answers `invalid` should one arrive anyway.
import { chunk } from '../../src/domain/chunk.js';
import type { Lead } from '../../src/domain/model.js';
import type { Crm, CrmNote, CrmRecordRef, CrmUpdate, CrmWriteResult, OwnerMatch } from '../../src/ports/crm.js';
import type { Failure } from '../../src/ports/failure.js';
import type { MarketoApi } from './marketo.client.js';
import { classifyMarketoError, failureOfReasons } from './marketo.errors.js';
import { MAX_IDS_PER_CALL } from './marketo.lead-source.js';

export interface MarketoCrmOptions {
  /** Records per Sync Leads call (Marketo: at most 300). Default 300. */
  batchSize?: number;
}

interface SyncResult {
  id?: number;
  status?: string;
  reasons?: Array<{ code?: unknown; message?: unknown }>;
}

/**
 * Emails per Get Leads call: Marketo takes 300 filter values, but a GET over 8 KB is refused (414), and 300
 * emails can pass that.
 */
const EMAILS_PER_CALL = 100;

type Resolved = { ok: true; id: string } | { ok: false; failure: Failure };

/** A failure every further call would hit too: stop sending the rest of the batch. */
const stopsEverything = (f: Failure): boolean => f.kind === 'auth' || f.kind === 'rate_limited';

export function createMarketoCrm(options: MarketoCrmOptions, deps: { api: MarketoApi }): Crm {
  const { api } = deps;
  const log = api.logger.child({ component: 'marketo-crm' });
  const batchSize = Math.min(MAX_IDS_PER_CALL, Math.max(1, options.batchSize ?? MAX_IDS_PER_CALL));

  /** Marketo lead ids of refs: the id for Marketo-sourced leads, else the lead with this email. */
  async function resolve(refs: CrmRecordRef[]): Promise<Resolved[]> {
    const emails = [
      ...new Set(
        refs.filter((r) => r.source !== 'marketo' && r.email).map((r) => (r.email as string).trim().toLowerCase()),
      ),
    ];
    const byEmail = new Map<string, Resolved>();
    for (const part of chunk(emails, EMAILS_PER_CALL)) {
      try {
        const env = await api.get<{ id: number; email?: string | null; updatedAt?: string }>(
          'get leads by email',
          '/rest/v1/leads.json',
          { filterType: 'email', filterValues: part.join(','), fields: 'id,email,updatedAt' },
        );
        // Several leads may share an email: the most recently updated one gets the outcome.
        const rows = [...(env.result ?? [])].sort((a, b) => (b.updatedAt ?? '').localeCompare(a.updatedAt ?? ''));
        for (const r of rows) {
          const key = r.email?.toLowerCase();
          if (key && !byEmail.has(key)) byEmail.set(key, { ok: true, id: String(r.id) });
        }
      } catch (err) {
        const failure = classifyMarketoError(err);
        for (const e of part) if (!byEmail.has(e)) byEmail.set(e, { ok: false, failure });
      }
    }
    return refs.map((r): Resolved => {
      if (r.source === 'marketo')
        return /^\d+$/.test(r.externalId)
          ? { ok: true, id: r.externalId }
          : {
              ok: false,
              failure: { kind: 'invalid', reason: `not a Marketo lead id: ${r.externalId}` },
            };
      if (!r.email)
        return {
          ok: false,
          failure: { kind: 'not_found', reason: `no email to find ${r.source} record ${r.externalId} in Marketo` },
        };
      return (
        byEmail.get(r.email.trim().toLowerCase()) ?? {
          ok: false,
          failure: { kind: 'not_found', reason: 'no Marketo lead with this email' },
        }
      );
    });
  }

  async function update(updates: CrmUpdate[]): Promise<CrmWriteResult[]> {
    if (updates.length === 0) return [];
    const resolved = await resolve(updates.map((u) => u.record));
    const results = new Map<string, CrmWriteResult>();
    // One record per lead: two updates of the same lead in one batch are merged (later values win).
    const merged = new Map<string, { properties: Record<string, string | null>; keys: string[] }>();
    updates.forEach((u, i) => {
      const r = resolved[i] as Resolved;
      if (!r.ok) {
        results.set(u.key, { key: u.key, ok: false, failure: r.failure });
        return;
      }
      const entry = merged.get(r.id) ?? { properties: {}, keys: [] };
      for (const [k, v] of Object.entries(u.properties)) {
        // '' as a field name is the owner property when marketo.ownerField is not set: nothing to write.
        if (k === '') continue;
        entry.properties[k] = v === '' ? null : v;
      }
      entry.keys.push(u.key);
      merged.set(r.id, entry);
    });
    const entries = [...merged.entries()];
    let stopped: Failure | null = null;
    for (const part of chunk(entries, batchSize)) {
      const toSend = part.filter(([, e]) => Object.keys(e.properties).length > 0);
      for (const [, e] of part)
        if (Object.keys(e.properties).length === 0) for (const key of e.keys) results.set(key, { key, ok: true });
      if (toSend.length === 0) continue;
      const fail = (f: Failure): void => {
        for (const [, e] of toSend) for (const key of e.keys) results.set(key, { key, ok: false, failure: f });
      };
      if (stopped) {
        fail(stopped);
        continue;
      }
      try {
        const env = await api.post<SyncResult>('sync leads', '/rest/v1/leads.json', {
          action: 'updateOnly',
          lookupField: 'id',
          input: toSend.map(([id, e]) => ({ id: Number(id), ...e.properties })),
        });
        toSend.forEach(([, e], i) => {
          const r = env.result?.[i];
          const ok = r?.status === 'updated' || r?.status === 'created';
          const failure: Failure | null = ok
            ? null
            : r === undefined
              ? { kind: 'transient', reason: 'Marketo returned fewer results than records' }
              : failureOfReasons(r.reasons);
          for (const key of e.keys)
            results.set(key, failure === null ? { key, ok: true } : { key, ok: false, failure });
        });
      } catch (err) {
        const failure = classifyMarketoError(err);
        log.warn({ failure, records: toSend.length }, 'Sync Leads call failed');
        if (stopsEverything(failure)) stopped = failure;
        fail(failure);
      }
    }
    return updates.map(
      (u) =>
        results.get(u.key) ?? {
          key: u.key,
          ok: false,
          failure: { kind: 'transient', reason: 'no result for this update' },
        },
    );
  }

  return {
    kind: 'marketo',
    // The owner "id" is the rep's email; it is written only when marketo.ownerField is configured.
    resolveOwnerId: (rep) => Promise.resolve(rep.email.trim().toLowerCase() || null),
    // Marketo keeps no account ownership to match against.
    findOwnerMatch: (_lead: Lead): Promise<OwnerMatch | null> => Promise.resolve(null),
    update,
    addNotes: (notes: CrmNote[]) =>
      Promise.resolve(
        notes.map((n) => ({
          key: n.key,
          ok: false as const,
          failure: { kind: 'invalid' as const, reason: 'Marketo keeps no notes on leads (set note: false)' },
        })),
      ),
  };
}
