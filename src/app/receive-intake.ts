// receiveIntakeLeads: leads pushed to POST /intake/<id> are stored once per delivery key, and a person who already
// has an open hand-off (from intake or from the CRM source, found by email) gets no second one. Deliveries are taken
// one at a time per process, and each key is held by a short store lease while it is checked and stored, so two
// copies of a delivery arriving together — on one replica or on two — cannot both pass the check.
import { isOpen } from '../domain/handoff-machine.js';
import type { Lead } from '../domain/model.js';
import type { AppDeps } from './deps.js';
import { ingestLeads } from './ingest-leads.js';

export interface IntakeStored {
  /** in_progress: another replica is storing this key right now; the sender should try again shortly. */
  status: 'stored' | 'duplicate' | 'already_open' | 'in_progress';
  handoffId: string | null;
}

/** How long a key stays held when the replica holding it dies mid-way. */
const KEY_LEASE_MS = 60_000;

export function intakeKeyLease(externalId: string): string {
  return `intake:${externalId}`;
}

export function createIntakeReceiver(deps: AppDeps): (leads: Lead[]) => Promise<IntakeStored[]> {
  const { store } = deps;
  let queue: Promise<unknown> = Promise.resolve();

  async function receiveOne(lead: Lead): Promise<IntakeStored> {
    const [same] = await store.findHandoffsByRecord(lead.source, lead.externalId);
    if (same) return { status: 'duplicate', handoffId: same.id };
    if (lead.email !== null) {
      const open = (await store.findHandoffsByEmail(lead.email)).find((h) => isOpen(h.state) && !h.imported);
      if (open) {
        deps.logger.info({ handoffId: open.id }, 'intake lead already has an open hand-off');
        return { status: 'already_open', handoffId: open.id };
      }
    }
    const summary = await ingestLeads(deps, [lead]);
    const id = summary.handoffIds[0];
    return id !== undefined ? { status: 'stored', handoffId: id } : { status: 'duplicate', handoffId: null };
  }

  const receive = async (leads: Lead[]): Promise<IntakeStored[]> => {
    const out: IntakeStored[] = [];
    for (const lead of leads) {
      const lease = intakeKeyLease(lead.externalId);
      const holder = deps.newId();
      if (!(await store.tryAcquireLease(lease, holder, KEY_LEASE_MS, deps.clock.now()))) {
        out.push({ status: 'in_progress', handoffId: null });
        continue;
      }
      try {
        out.push(await receiveOne(lead));
      } finally {
        await store.releaseLease(lease, holder);
      }
    }
    if (out.some((r) => r.status === 'stored')) deps.wake?.();
    return out;
  };
  return (leads) => {
    const run = queue.then(() => receive(leads));
    queue = run.catch(() => undefined);
    return run;
  };
}
