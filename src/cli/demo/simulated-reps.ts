// Simulated people for the demo: they read their Slack DMs in the emulator and click the real buttons
// (signed requests to the worker), so accepts, rejections, timeouts and escalations all happen.
import type { SlackEmulatorControl, RecordedMessage } from '../../../connectors/slack/emulator/index.js';
import { ACTION, BLOCK } from '../../../connectors/slack/slack.blocks.js';
import { sleep } from '../../runtime/abortable-sleep.js';

export interface SimulatedRep {
  id: string;
  slackUserId: string;
}

export interface SimulationOptions {
  control: SlackEmulatorControl;
  reps: SimulatedRep[];
  reasons: { id: string; noteRequired: boolean }[];
  random: () => number;
  /** Delay range before a simulated rep acts, ms. */
  thinkMs: [number, number];
  /** Shares of accept / reject; the rest is ignored (times out). */
  acceptShare: number;
  rejectShare: number;
  onAction?: (line: string) => void;
}

interface Plan {
  at: number;
  action: 'accept' | 'reject' | 'ignore';
}

function hasButton(message: RecordedMessage, actionId: string): string | null {
  for (const block of message.blocks as {
    type?: string;
    block_id?: string;
    elements?: { action_id?: string; value?: string }[];
  }[]) {
    if (block.type !== 'actions') continue;
    for (const el of block.elements ?? []) if (el.action_id === actionId) return el.value ?? '';
  }
  return null;
}

/** Current blocks of a message (the emulator keeps earlier versions in `edits`). */
export function currentBlocks(message: RecordedMessage): unknown[] {
  return message.blocks;
}

/** What a simulated person does about each card, and when: drawn once per card from the shares. */
export function createActionPlanner(options: {
  random: () => number;
  thinkMs: [number, number];
  acceptShare: number;
  rejectShare: number;
}): { due(key: string, now: number): 'accept' | 'reject' | null } {
  const plans = new Map<string, Plan & { done: boolean }>();
  const { random } = options;
  const span = (): number => options.thinkMs[0] + random() * (options.thinkMs[1] - options.thinkMs[0]);
  return {
    due(key, now) {
      let plan = plans.get(key);
      if (!plan) {
        const r = random();
        const action =
          r < options.acceptShare ? 'accept' : r < options.acceptShare + options.rejectShare ? 'reject' : 'ignore';
        plan = { at: now + span(), action, done: false };
        plans.set(key, plan);
      }
      if (plan.done || plan.action === 'ignore' || now < plan.at) return null;
      plan.done = true;
      return plan.action;
    },
  };
}

export function startSimulatedReps(options: SimulationOptions): { tick(now: number): Promise<void> } {
  const { control, random } = options;
  const planner = createActionPlanner(options);

  async function act(rep: SimulatedRep, channel: string, ts: string, action: 'accept' | 'reject'): Promise<void> {
    if (action === 'accept') {
      await control.clickButton({ user: rep.slackUserId, channel, ts, actionId: ACTION.accept });
      options.onAction?.(`${rep.id} accepted a lead`);
      return;
    }
    await control.clickButton({ user: rep.slackUserId, channel, ts, actionId: ACTION.reject });
    // The app opens the modal right after its ack; give it a moment (bounded) like a person would.
    const until = Date.now() + 3_000;
    while (!control.views(rep.slackUserId).some((v) => v.type === 'modal' && !v.closed)) {
      if (Date.now() > until) return;
      await sleep(50);
    }
    const reason = options.reasons[Math.floor(random() * options.reasons.length)];
    if (!reason) return;
    await control.submitView({
      user: rep.slackUserId,
      values: {
        [BLOCK.rejectReason]: { [ACTION.rejectReason]: reason.id },
        [BLOCK.rejectNote]: { [ACTION.rejectNote]: reason.noteRequired ? 'Simulated: not a fit right now' : null },
      },
    });
    options.onAction?.(`${rep.id} rejected a lead (${reason.id})`);
  }

  return {
    async tick(now: number) {
      for (const rep of options.reps) {
        const dm = control.dmChannel(rep.slackUserId);
        if (!dm) continue;
        for (const message of control.messages(dm)) {
          if (message.threadTs) continue;
          if (hasButton({ ...message, blocks: currentBlocks(message) }, ACTION.accept) === null) continue;
          const action = planner.due(`${dm}:${message.ts}`, now);
          if (action !== null) await act(rep, dm, message.ts, action);
        }
      }
    },
  };
}
