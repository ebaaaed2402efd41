// Withdrawal check: open hand-offs whose lead is no longer MQL, was merged or deleted, or got an owner
// from someone else are withdrawn. Batched (100 records a call) so it stays cheap on API limits.
import type { Handoff } from '../domain/model.js';
import type { LeadSource } from '../ports/lead-source.js';
import type { AppDeps } from './deps.js';
import { withdrawHandoff } from './withdraw-handoff.js';

export async function checkOpenHandoffs(
  deps: AppDeps,
  source: LeadSource,
  options: { batch?: number; limit?: number } = {},
): Promise<{ checked: number; withdrawn: number }> {
  const batch = options.batch ?? 100;
  const open = (await deps.store.listOpenHandoffs(options.limit ?? 1_000)).filter(
    (h) => h.source === source.kind && !h.imported,
  );
  const ourOwners = new Set<string>();
  for (const rep of deps.settings.reps) {
    if (rep.crmOwnerId) ourOwners.add(rep.crmOwnerId);
    const cached = await deps.store.getIdentity(rep.id, 'crm');
    if (cached) ourOwners.add(cached);
  }
  let withdrawn = 0;
  for (let i = 0; i < open.length; i += batch) {
    const slice = open.slice(i, i + batch);
    const statuses = await source.checkLeads(slice.map((h) => h.externalId));
    const byId = new Map(statuses.map((s) => [s.externalId, s]));
    for (const handoff of slice) {
      const why = reasonToWithdraw(handoff, byId.get(handoff.externalId), ourOwners);
      if (!why) continue;
      const result = await withdrawHandoff(deps, { handoffId: handoff.id, why });
      if (result.kind === 'withdrawn') withdrawn += 1;
    }
  }
  return { checked: open.length, withdrawn };
}

function reasonToWithdraw(
  handoff: Handoff,
  status: Awaited<ReturnType<LeadSource['checkLeads']>>[number] | undefined,
  ourOwners: Set<string>,
): string | null {
  if (!status || !status.exists) return 'the record was deleted or archived in the CRM';
  if (status.mergedInto) return `the record was merged into ${status.mergedInto}`;
  if (!status.mql) return 'the lead is no longer an MQL';
  if (status.ownerId && !ourOwners.has(status.ownerId) && handoff.state !== 'escalated') {
    return `the lead got an owner outside the hand-off (${status.ownerId})`;
  }
  return null;
}
