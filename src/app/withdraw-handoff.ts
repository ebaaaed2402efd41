// withdrawHandoff: the lead is no longer ours to hand off (not MQL any more, merged, deleted, owned elsewhere).
import { nextState } from '../domain/handoff-machine.js';
import type { AppDeps } from './deps.js';
import { job } from './jobs.js';

export type WithdrawResult =
  | { kind: 'withdrawn' }
  | { kind: 'not_open' }
  | { kind: 'conflict' }
  | { kind: 'not_found' };

export async function withdrawHandoff(
  deps: AppDeps,
  input: { handoffId: string; why: string },
): Promise<WithdrawResult> {
  const { store, clock } = deps;
  const handoff = await store.getHandoff(input.handoffId);
  if (!handoff) return { kind: 'not_found' };
  if (!nextState(handoff.state, 'withdraw').ok) return { kind: 'not_open' };
  const now = clock.now();
  const open = (await store.listOffers(handoff.id)).filter((o) => o.state === 'open');
  const result = await store.applyChange(
    {
      handoffId: handoff.id,
      action: 'withdraw',
      expectVersion: handoff.version,
      set: { decidedAt: now, dueAt: null },
      updateOffers: open.map((o) => ({
        id: o.id,
        expectState: 'open' as const,
        set: { state: 'withdrawn' as const, decidedAt: now },
      })),
      events: [{ type: 'withdrawn', actor: null, data: { why: input.why } }],
      jobs: [
        ...open.map((o) =>
          job(
            'slack.close_offer',
            { offerId: o.id, outcome: { kind: 'withdrawn', at: now, why: input.why } },
            o.id,
            now,
            handoff.id,
          ),
        ),
        ...(handoff.state === 'escalated'
          ? [
              job(
                'slack.close_escalation',
                { handoffId: handoff.id, kind: 'withdrawn', by: null, to: null },
                `${handoff.id}:withdraw`,
                now,
                handoff.id,
              ),
            ]
          : []),
      ],
    },
    now,
  );
  if (!result.ok) return { kind: 'conflict' };
  deps.logger.info({ handoffId: handoff.id, why: input.why }, 'hand-off withdrawn');
  return { kind: 'withdrawn' };
}
