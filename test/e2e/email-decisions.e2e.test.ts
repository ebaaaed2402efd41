// Reps and managers who decide by email, end to end on the built worker: the offer email's one-click links open a
// confirm page (a GET never decides), the page's POST decides; reject with a reason and a note; a timeout moves
// the lead on by email and escalates to the managers' inboxes, where "Assign to" links hand it to a rep.
import { afterEach, describe, expect, it } from 'vitest';
import { parseMail } from '../helpers/mime.js';
import { waitFor } from '../helpers/wait.js';
import { createWorld, MANAGER, mqlContact, postgresTestUrl, REPS, type World } from './helpers/world.js';

const engines = (['sqlite', 'postgres'] as const).filter((e) => e === 'sqlite' || postgresTestUrl() !== null);
const [ALICE, BRUNO, CHEN] = REPS as unknown as [(typeof REPS)[0], (typeof REPS)[0], (typeof REPS)[0]];
const LINK_SECRET = 'e2e-link-secret-0123456789-abcdefghij';

/** Everyone decides by email: no Slack at all; the managers' channel is their inboxes. */
function emailOnly(base: Record<string, unknown>): Record<string, unknown> {
  const { slack: _slack, ...rest } = base;
  return {
    ...rest,
    email: { ...(base.email as object), linkSecret: LINK_SECRET },
    reps: REPS.map(({ slackUserId: _s, ...r }) => ({ ...r, chat: 'email' })),
    managers: [{ id: MANAGER.id, name: MANAGER.name, email: MANAGER.email, chat: 'email' }],
    teams: [{ id: 'emea', members: ['alice', 'bruno', 'chen'], strategy: 'round-robin', manager: 'maria' }],
  };
}

interface Page {
  status: number;
  html: string;
  cookie: string | null;
}

/** The link labelled `label` in the newest mail to `to` whose subject matches. */
async function linkIn(world: World, to: string, subject: RegExp, label: string): Promise<string> {
  return waitFor(
    `"${label}" in a mail to ${to} (${String(subject)})`,
    () => {
      for (const m of [...world.mails].reverse()) {
        if (!m.to.includes(to)) continue;
        const mail = parseMail(m.raw, m.to);
        if (!subject.test(mail.subject)) continue;
        const line = mail.text.split(/\r?\n/).find((l) => l.startsWith(`${label}: `));
        if (line) return line.slice(label.length + 2).trim();
      }
      return undefined;
    },
    20_000,
  );
}

async function open(url: string): Promise<Page> {
  const res = await fetch(url);
  return { status: res.status, html: await res.text(), cookie: res.headers.getSetCookie()[0]?.split(';')[0] ?? null };
}

async function submit(world: World, page: Page, fields: Record<string, string> = {}): Promise<Page> {
  const t = /name="t" value="([^"]+)"/.exec(page.html)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1];
  if (!t || !csrf || !page.cookie) throw new Error(`no form on the page:\n${page.html.slice(0, 2000)}`);
  const res = await fetch(`http://127.0.0.1:${world.port}/email/decide`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: page.cookie },
    body: new URLSearchParams({ t, csrf, ...fields }).toString(),
  });
  return { status: res.status, html: await res.text(), cookie: null };
}

async function handoffOf(world: World, contactId: string) {
  const store = await world.openStore();
  try {
    const email = world.hubspot.control.getContact(contactId)!.properties.email as string;
    const [handoff] = await store.findHandoffsByEmail(email);
    const events = handoff ? await store.listEvents(handoff.id) : [];
    return { handoff, events };
  } finally {
    await store.close();
  }
}

describe.each(engines)('decisions by email end to end (%s)', (engine) => {
  let world: World;
  afterEach(async () => {
    await world?.close();
  });

  it('offer email → GET shows a confirm page and decides nothing → POST accepts → HubSpot written', async () => {
    world = await createWorld({ engine, config: emailOnly });
    await world.startWorker();
    const contactId = world.hubspot.control.createContact(mqlContact({ firstname: 'Ada', lastname: 'Byron' }));
    const accept = await linkIn(world, ALICE.email, /Ada Byron/, 'Accept');
    // A mail scanner fetching the link twice changes nothing.
    const scanned = await open(accept);
    await open(accept);
    expect(scanned.status).toBe(200);
    expect(scanned.html).toContain('Ada Byron');
    expect((await handoffOf(world, contactId)).handoff?.state).toBe('offered');
    // A POST without the page's cookie is refused.
    const forged = await submit(world, { ...scanned, cookie: 'handoff_email_x=y' });
    expect(forged.status).toBe(403);
    const done = await submit(world, scanned);
    expect(done.status).toBe(200);
    expect(done.html).toMatch(/accepted/i);
    await waitFor('owner and status written to HubSpot', () => {
      const c = world.hubspot.control.getContact(contactId);
      return c?.properties.hubspot_owner_id === '501' && c.properties.hs_lead_status === 'OPEN';
    });
    const { handoff, events } = await handoffOf(world, contactId);
    expect(handoff).toMatchObject({ state: 'accepted', decidedBy: 'alice' });
    expect(events.find((e) => e.type === 'accepted')?.data).toMatchObject({ via: 'email' });
    // Replaying the link and the form: says what happened, changes nothing.
    const again = await open(accept);
    expect(again.html).toMatch(/Accepted by Alice Martin/);
    expect((await submit(world, scanned)).html).toMatch(/already/i);
  }, 90_000);

  it('reject with a reason and a note (the note is required for "Other")', async () => {
    world = await createWorld({ engine, config: emailOnly });
    await world.startWorker();
    const contactId = world.hubspot.control.createContact(mqlContact({ firstname: 'Rita', lastname: 'Levi' }));
    const reject = await linkIn(world, ALICE.email, /Rita Levi/, 'Reject…');
    const page = await open(reject);
    expect(page.html).toContain('Bad timing');
    const missing = await submit(world, page, { reason: 'other', note: '' });
    expect(missing.status).toBe(400);
    expect((await handoffOf(world, contactId)).handoff?.state).toBe('offered');
    const done = await submit(world, page, { reason: 'bad_timing', note: 'Budget opens in Q3' });
    expect(done.status).toBe(200);
    await waitFor('the rejection written back', () => {
      const c = world.hubspot.control.getContact(contactId);
      return c?.properties.hs_lead_status === 'UNQUALIFIED' && c.properties.handoff_rejection_reason === 'bad_timing';
    });
    expect((await handoffOf(world, contactId)).handoff).toMatchObject({
      state: 'rejected',
      reasonId: 'bad_timing',
      note: 'Budget opens in Q3',
    });
  }, 90_000);

  it('timeout → next rep by email → escalation to the managers inbox → "Assign to" → the rep accepts', async () => {
    world = await createWorld({ engine, config: emailOnly });
    await world.startWorker();
    const contactId = world.hubspot.control.createContact(mqlContact({ firstname: 'Tim', lastname: 'Out' }));
    await linkIn(world, ALICE.email, /Tim Out/, 'Accept');
    // Alice lets it time out (6 s SLA): Bruno gets it, then nobody answers and it escalates (maxOffers 2).
    await linkIn(world, BRUNO.email, /Tim Out/, 'Accept');
    const assign = await linkIn(world, MANAGER.email, /Tim Out/, `Assign to ${CHEN.name}`);
    const page = await open(assign);
    expect(page.html).toContain(CHEN.name);
    expect((await submit(world, page)).status).toBe(200);
    const accept = await waitFor(
      'a fresh offer email to Chen',
      async () => {
        const { handoff } = await handoffOf(world, contactId);
        if (handoff?.repId !== 'chen' || handoff.state !== 'offered') return undefined;
        return linkIn(world, CHEN.email, /Tim Out/, 'Accept');
      },
      30_000,
    );
    expect((await submit(world, await open(accept))).status).toBe(200);
    await waitFor('accepted by Chen', async () => (await handoffOf(world, contactId)).handoff?.state === 'accepted');
    const { events } = await handoffOf(world, contactId);
    expect(events.find((e) => e.type === 'assigned')).toMatchObject({ actor: 'maria', data: { via: 'email' } });
  }, 120_000);
});
