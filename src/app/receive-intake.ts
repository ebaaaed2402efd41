// receiveIntakeLeads: leads pushed to POST /intake/<id> are stored once per delivery key, and a person who
// already has an open hand-off (from intake or from the CRM source, found by email) gets no second one. Deliveries are taken one at a time per process, so
// two copies of a delivery arriving together cannot both pass the check.
import { isOpen } from '../domain/handoff-machine.js';
import type { Lead } from '../domain/model.js';
import type { AppDeps } from './deps.js';
import { ingestLeads } from './ingest-leads.js';

export interface IntakeStored {
  status: 'stored' | 'duplicate' | 'already_open';
  handoffId: string | null;
}

export function createIntakeReceiver(deps: AppDeps): (leads: Lead[]) => Promise<IntakeStored[]> {
  let queue: Promise<unknown> = Promise.resolve();
  const receive = async (leads: Lead[]): Promise<IntakeStored[]> => {
    const out: IntakeStored[] = [];
    for (const lead of leads) {
      const [same] = await deps.store.findHandoffsByRecord(lead.source, lead.externalId);
      if (same) {
        out.push({ status: 'duplicate', handoffId: same.id });
        continue;
      }
      if (lead.email !== null) {
        const open = (await deps.store.findHandoffsByEmail(lead.email)).find((h) => isOpen(h.state) && !h.imported);
        if (open) {
          deps.logger.info({ handoffId: open.id }, 'intake lead already has an open hand-off');
          out.push({ status: 'already_open', handoffId: open.id });
          continue;
        }
      }
      const summary = await ingestLeads(deps, [lead]);
      const id = summary.handoffIds[0];
      out.push(id !== undefined ? { status: 'stored', handoffId: id } : { status: 'duplicate', handoffId: null });
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
