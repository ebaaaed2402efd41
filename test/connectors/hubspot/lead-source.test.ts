import { afterEach, describe, expect, it } from 'vitest';
import { startHubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import type { EmulatorContactSeed, HubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import { createHubspotLeadSource } from '../../../connectors/hubspot/hubspot.lead-source.js';
import type { HubspotLeadSourceOptions } from '../../../connectors/hubspot/hubspot.lead-source.js';
import type { LeadPage } from '../../../src/ports/lead-source.js';
import { TOKEN, collect, recordingLogger } from './helpers.js';
import { waitFor } from '../../helpers/wait.js';

const T0 = Date.parse('2026-11-02T09:00:00.000Z');
const SEARCH = 'POST /crm/v3/objects/contacts/search';
const BATCH_READ = 'POST /crm/v3/objects/contacts/batch/read';

let emulator: HubspotEmulator | null = null;
afterEach(async () => {
  await emulator?.close();
  emulator = null;
});

function mql(i: number, at: number, extra: EmulatorContactSeed['properties'] = {}): EmulatorContactSeed {
  return {
    properties: {
      email: `lead${i}@acme${i % 7}.example`,
      firstname: `First${i}`,
      lastname: `Last${i}`,
      lifecyclestage: 'marketingqualifiedlead',
      hs_lifecyclestage_marketingqualifiedlead_date: new Date(at - 5_000).toISOString(),
      hubspotscore: 40 + (i % 60),
      numberofemployees: 1000 + i,
      country: 'DE',
      lastmodifieddate: new Date(at).toISOString(),
      ...extra,
    },
  };
}

function source(em: HubspotEmulator, over: Partial<HubspotLeadSourceOptions> = {}) {
  return createHubspotLeadSource(
    {
      token: TOKEN,
      baseUrl: em.url,
      mql: { lifecycleStage: 'marketingqualifiedlead' },
      fields: { score: 'hubspotscore', employees: 'numberofemployees', country: 'country' },
      portalId: 4242,
      searchPerSecond: 1_000,
      rateLimitPer10s: 10_000,
      retry: { attempts: 1 },
      ...over,
    },
    { logger: recordingLogger() },
  );
}

function ids(pages: LeadPage[]): string[] {
  return pages.flatMap((p) => p.leads.map((l) => l.externalId));
}

describe('HubSpot lead source against the emulator', () => {
  it('reads two pages of MQLs oldest first and leaves out other stages and archived contacts', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const seeded = emulator.control.seedContacts(Array.from({ length: 250 }, (_, i) => mql(i, T0 + i * 1_000)));
    emulator.control.seedContacts([
      { properties: { email: 'sub@x.example', lifecyclestage: 'subscriber', lastmodifieddate: T0 + 5 } },
      { ...mql(999, T0 + 7), archived: true },
    ]);
    const pages = await collect(source(emulator).poll(null, { startFrom: T0 - 1 }));

    expect(pages.map((p) => p.leads.length)).toEqual([200, 50]);
    expect(ids(pages)).toEqual(seeded);
    expect(emulator.control.callCounts()[SEARCH]).toBe(2);
    const last = pages[1]!.leads.at(-1)!;
    expect(JSON.parse(pages[1]!.cursor)).toEqual({ modifiedAt: T0 + 249_000 });
    expect(last.mqlAt).toBe(T0 + 249_000 - 5_000);
    expect(last.fields).toEqual({ score: 40 + (249 % 60), employees: 1249, country: 'DE' });
    expect(last.recordUrl).toBe(`https://app.hubspot.com/contacts/4242/record/0-1/${last.externalId}`);
    expect(Object.keys(last.props).sort()).toEqual(
      [
        'country',
        'email',
        'firstname',
        'hs_lifecyclestage_marketingqualifiedlead_date',
        'hs_merged_object_ids',
        'hubspot_owner_id',
        'hubspotscore',
        'lastmodifieddate',
        'lastname',
        'lifecyclestage',
        'numberofemployees',
      ].sort(),
    );
  });

  it('falls back to lastmodifieddate for the MQL time and keeps minScore', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const [low, high] = emulator.control.seedContacts([
      mql(1, T0, { hubspotscore: 10 }),
      mql(2, T0 + 10, { hubspotscore: 80, hs_lifecyclestage_marketingqualifiedlead_date: null }),
    ]);
    const pages = await collect(
      source(emulator, { mql: { lifecycleStage: 'marketingqualifiedlead', minScore: 50 } }).poll(null, {
        startFrom: T0 - 1,
      }),
    );
    expect(ids(pages)).toEqual([high]);
    expect(ids(pages)).not.toContain(low);
    expect(pages[0]!.leads[0]!.mqlAt).toBe(T0 + 10);
  });

  it('re-anchors past the 10,000-result cap without a 400 and hands out every contact once', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const n = 10_450;
    emulator.control.seedContacts(Array.from({ length: n }, (_, i) => mql(i, T0 + i)));
    const pages = await collect(source(emulator).poll(null, { startFrom: T0 - 1 }));
    const all = ids(pages);
    expect(all.length).toBe(n);
    expect(new Set(all).size).toBe(n);
    // Every page starts at the last timestamp seen (keyset paging; its boundary record is read again and dropped),
    // so the 10,000-result cap is never reached: 10,450 contacts in pages of 200 that each bring 199 new.
    expect(emulator.control.callCounts()[SEARCH]).toBe(53);
  }, 60_000);

  it('skips none when contacts already handed out change while the walk goes on (a write-back mid-poll)', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const seeded = emulator.control.seedContacts(Array.from({ length: 500 }, (_, i) => mql(i, T0 + i)));
    const seen: string[] = [];
    let first = true;
    for await (const page of source(emulator, { pageSize: 100 }).poll(null, { startFrom: T0 - 1 })) {
      seen.push(...page.leads.map((l) => l.externalId));
      if (!first) continue;
      first = false;
      // The first page's leads are accepted and written back: they move to the end of the modified order. Paging
      // by offset would now skip the 50 that slid into the first page's places.
      for (const id of seeded.slice(0, 50))
        emulator.control.updateContact(id, {
          hs_lead_status: 'OPEN',
          lastmodifieddate: new Date(T0 + 10_000).toISOString(),
        });
    }
    expect(new Set(seen)).toEqual(new Set(seeded));
  });

  it('walks a crowd of contacts that share one timestamp by id when it exceeds the cap', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const same = Array.from({ length: 10_300 }, (_, i) => mql(i, T0));
    const later = Array.from({ length: 20 }, (_, i) => mql(20_000 + i, T0 + 1 + i));
    const seeded = emulator.control.seedContacts([...same, ...later]);
    const pages = await collect(source(emulator).poll(null, { startFrom: T0 - 1 }));
    const all = ids(pages);
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all)).toEqual(new Set(seeded));
  }, 60_000);

  it('starts each poll an overlap window before the cursor; the overlap repeats only recent leads', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    emulator.control.seedContacts(Array.from({ length: 30 }, (_, i) => mql(i, T0 + i * 10_000)));
    const src = source(emulator, { overlapMs: 60_000 });
    const first = await collect(src.poll(null, { startFrom: T0 - 1 }));
    const cursor = first.at(-1)!.cursor;
    expect(JSON.parse(cursor)).toEqual({ modifiedAt: T0 + 290_000 });

    const [fresh] = emulator.control.seedContacts([mql(100, T0 + 300_000)]);
    const second = await collect(src.poll(cursor, { startFrom: T0 - 1 }));
    const again = second.flatMap((p) => p.leads);
    // Everything modified at or after cursor - 60 s: 7 already known (T0+230 s … T0+290 s) plus the new one.
    expect(again.every((l) => l.modifiedAt >= T0 + 230_000)).toBe(true);
    expect(again.map((l) => l.externalId)).toContain(fresh);
    const known = new Set(first.flatMap((p) => p.leads.map((l) => `${l.externalId}:${l.mqlAt}`)));
    const newOnes = again.filter((l) => !known.has(`${l.externalId}:${l.mqlAt}`));
    expect(newOnes.map((l) => l.externalId)).toEqual([fresh]);
  });

  it('does not see a fresh MQL until the search index catches up, then does', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false, indexDelayMs: 300 });
    const src = source(emulator);
    const id = emulator.control.createContact({ email: 'late@x.example', lifecyclestage: 'marketingqualifiedlead' });
    const startFrom = Date.now() - 60_000;
    const before = await collect(src.poll(null, { startFrom }));
    expect(ids(before)).toEqual([]);
    const seen = await waitFor(
      'the indexed contact',
      async () => {
        const pages = await collect(src.poll(null, { startFrom }));
        return ids(pages).includes(id) ? pages : undefined;
      },
      5_000,
    );
    expect(ids(seen)).toEqual([id]);
    // A batch read sees the record at once; only search lags.
    emulator.control.updateContact(id, { lifecyclestage: 'salesqualifiedlead' });
    const [status] = await src.checkLeads([id]);
    expect(status!.mql).toBe(false);
    expect(ids(await collect(src.poll(null, { startFrom })))).toEqual([id]);
  });

  it('fetches webhook ids in batches of 100 and drops contacts that are not MQL', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const mqls = emulator.control.seedContacts(Array.from({ length: 140 }, (_, i) => mql(i, T0 + i)));
    const [other] = emulator.control.seedContacts([{ properties: { email: 'o@x.example', lifecyclestage: 'lead' } }]);
    const leads = await source(emulator).fetchLeads([...mqls, other!, '999999', mqls[0]!]);
    expect(leads.map((l) => l.externalId).sort()).toEqual([...mqls].sort());
    expect(emulator.control.callCounts()[BATCH_READ]).toBe(2);
  });

  it('reports withdrawn reasons: stage moved on, archived, merged, owner set, unknown', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const [still, moved, archived, mergedAway, primary, owned] = emulator.control.seedContacts(
      Array.from({ length: 6 }, (_, i) => mql(i, T0 + i)),
    );
    emulator.control.updateContact(moved!, { lifecyclestage: 'salesqualifiedlead' });
    emulator.control.archiveContact(archived!);
    emulator.control.mergeContacts(primary!, mergedAway!);
    emulator.control.updateContact(owned!, { hubspot_owner_id: '555' });
    const statuses = await source(emulator).checkLeads([still!, moved!, archived!, mergedAway!, owned!, '424242']);
    expect(statuses).toEqual([
      { externalId: still, exists: true, mql: true, ownerId: null, mergedInto: null },
      { externalId: moved, exists: true, mql: false, ownerId: null, mergedInto: null },
      { externalId: archived, exists: false, mql: false, ownerId: null, mergedInto: null },
      { externalId: mergedAway, exists: true, mql: true, ownerId: null, mergedInto: primary },
      { externalId: owned, exists: true, mql: true, ownerId: '555', mergedInto: null },
      { externalId: '424242', exists: false, mql: false, ownerId: null, mergedInto: null },
    ]);
    expect(emulator.control.callCounts()[BATCH_READ]).toBe(1);
  });
});
