// `handoff demo` in-process: cards appear on the /demo page, and Accept there (the real signed path)
// makes the hand-off accepted. Run for both emulated CRMs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDemo, type DemoOptions, type RunningDemo } from '../../src/cli/demo/demo.js';
import type { CliIo } from '../../src/cli/context.js';
import { waitFor } from '../helpers/wait.js';

/** The demo in this process, detached, fast, quiet, in its own data directory; what it printed. */
async function startDemo(dir: string, options: DemoOptions): Promise<{ demo: RunningDemo; printed: string }> {
  const out: string[] = [];
  const io: CliIo = {
    out: (t) => void out.push(t),
    err: (t) => void out.push(t),
    env: { ...process.env, LOG_LEVEL: 'error' },
    cwd: dir,
    isTty: false,
  };
  const demo = await runDemo(io, {
    ...options,
    port: 0,
    slackPort: 0,
    every: '1s',
    detached: true,
    dataDir: join(dir, 'data'),
    seed: 7,
    logLevel: 'error',
  });
  return { demo, printed: out.join('') };
}

describe.each(['hubspot', 'salesforce'] as const)('handoff demo (--crm %s)', (crm) => {
  let demo: RunningDemo | null = null;
  let dir = '';
  afterEach(async () => {
    await demo?.stop();
    demo = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows live cards on /demo, and Accept there makes the hand-off accepted', async () => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-demo-'));
    const started = await startDemo(dir, { crm });
    demo = started.demo;
    expect(started.printed).toContain(`${demo.demoUrl}`);

    // Alice is played by the person: her cards stay live until someone clicks.
    const form = await waitFor(
      'an Accept button for Alice on the page',
      async () => {
        const html = await (await fetch(demo!.demoUrl)).text();
        const m =
          /<form method="post" action="\/demo\/click" class="inline">(<input type="hidden" name="channel" value="([^"]+)"><input type="hidden" name="ts" value="([^"]+)"><input type="hidden" name="actionId" value="handoff_accept">.*?<input type="hidden" name="user" value="U0ALICE">)/.exec(
            html,
          );
        return m ? { channel: m[2] as string, ts: m[3] as string } : null;
      },
      45_000,
      250,
    );
    const before = await demo.worker.store.listOpenHandoffs(500);
    const res = await fetch(`${demo.demoUrl}/click`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        channel: form.channel,
        ts: form.ts,
        actionId: 'handoff_accept',
        value: '',
        user: 'U0ALICE',
      }).toString(),
    });
    expect(res.status).toBe(303);
    const offerId = await waitFor('the offer behind the card', async () => {
      for (const h of before)
        for (const o of await demo!.worker.store.listOffers(h.id)) if (o.slackTs === form.ts) return o;
      return null;
    });
    await waitFor('the hand-off accepted by Alice', async () => {
      const h = await demo!.worker.store.getHandoff(offerId.handoffId);
      return h?.state === 'accepted' && h.decidedBy === 'alice';
    });
  }, 90_000);
});

/** Alice as config/demo.yaml has her. */
const DEMO_ALICE_EMAIL = 'alice@demo.example';

describe('handoff demo (--chat teams)', () => {
  let demo: RunningDemo | null = null;
  let dir = '';
  afterEach(async () => {
    await demo?.stop();
    demo = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders the Adaptive Cards on /demo, and Accept there (a signed invoke) makes the hand-off accepted', async () => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-demo-teams-'));
    const started = await startDemo(dir, { chat: 'teams' });
    demo = started.demo;
    expect(started.printed).toContain('Microsoft Teams');
    const alice = { id: 'alice', email: DEMO_ALICE_EMAIL };
    // Alice is played by the person: her card's Accept form posts her signed invoke.
    const form = await waitFor(
      'an Accept form for Alice on the page',
      async () => {
        const html = await (await fetch(demo!.demoUrl)).text();
        for (const m of html.matchAll(/<form [^>]*action="\/demo\/teams\/act"[^>]*>(.*?)<\/form>/gs)) {
          const fields = Object.fromEntries(
            [...(m[1] as string).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((f) => [
              f[1] as string,
              (f[2] as string).replace(/&quot;/g, '"').replace(/&amp;/g, '&'),
            ]),
          );
          if (fields.verb === 'accept' && fields.user === alice.email) return fields;
        }
        return null;
      },
      45_000,
      250,
    );
    const res = await fetch(`${demo.demoUrl.replace(/\/demo$/, '')}/demo/teams/act`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    expect(res.status).toBe(303);
    const { offerId } = JSON.parse(form.data ?? '{}') as { offerId: string };
    await waitFor('the hand-off accepted by Alice in Teams', async () => {
      const offer = await demo!.worker.store.getOffer(offerId);
      const h = offer ? await demo!.worker.store.getHandoff(offer.handoffId) : null;
      return h?.state === 'accepted' && h.decidedBy === alice.id;
    });
  }, 90_000);
});
