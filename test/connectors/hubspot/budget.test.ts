// Acceptance: 1,000 MQLs detected exactly once across repeated polls and duplicate webhooks, then written back
// (owner + status for every one of them), counting HubSpot calls against the budget of 20.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubspotApi } from '../../../connectors/hubspot/hubspot.client.js';
import { createHubspotCrm } from '../../../connectors/hubspot/hubspot.crm.js';
import { startHubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import type { HubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import { createHubspotLeadSource } from '../../../connectors/hubspot/hubspot.lead-source.js';
import { createHubspotWebhookHandler } from '../../../connectors/hubspot/hubspot.webhooks.js';
import type { Lead } from '../../../src/domain/model.js';
import { TOKEN, recordingLogger } from './helpers.js';
import { waitFor } from '../../helpers/wait.js';

const SECRET = 'budget-secret';
let emulator: HubspotEmulator | null = null;
let server: http.Server | null = null;
afterEach(async () => {
  await emulator?.close();
  emulator = null;
  if (server) await new Promise((r) => server!.close(r));
  server = null;
});

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('1,000 MQLs: detection and write-back call budget', () => {
  it('detects each MQL once across polls and duplicate webhooks and writes all back in ≤ 20 calls', async () => {
    // The worker's side: a webhook endpoint that only queues ids, and an ingest keyed like the store's unique key.
    const queued = new Set<string>();
    let deliveriesSeen = 0;
    const handler = createHubspotWebhookHandler({
      clientSecret: SECRET,
      logger: recordingLogger(),
      onContactIds: (ids) => {
        deliveriesSeen++;
        for (const id of ids) queued.add(id);
      },
    });
    server = http.createServer(handler);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot`;

    emulator = await startHubspotEmulator({
      webhook: { url: hookUrl, clientSecret: SECRET, signatureVersion: 'v3', duplicateEvery: 3 },
    });
    const reps = ['ana', 'bo', 'cy', 'di'].map((n) => ({ email: `${n}@corp.example`, firstName: n }));
    emulator.control.seedOwners(reps);
    const start = Date.now() - 30 * 60_000;
    const ids = emulator.control.seedContacts(
      Array.from({ length: 1_000 }, (_, i) => ({
        properties: {
          email: `mql${i}@company${i % 50}.example`,
          lifecyclestage: 'marketingqualifiedlead',
          hubspotscore: 50 + (i % 50),
          lastmodifieddate: start + i * 1_500,
        },
      })),
    );

    const logger = recordingLogger();
    const api = createHubspotApi({ token: TOKEN, baseUrl: emulator.url, retry: { attempts: 1 } }, { logger });
    const options = {
      token: TOKEN,
      baseUrl: emulator.url,
      mql: { lifecycleStage: 'marketingqualifiedlead' },
      fields: { score: 'hubspotscore' },
    };
    const source = createHubspotLeadSource(options, { logger, api });
    const crm = createHubspotCrm({ token: TOKEN, baseUrl: emulator.url }, { logger, api });

    const stored = new Map<string, Lead>();
    const ingest = (leads: Lead[]): number => {
      let created = 0;
      for (const lead of leads) {
        const key = `${lead.source}:${lead.externalId}:${lead.mqlAt}`;
        if (stored.has(key)) continue;
        stored.set(key, lead);
        created++;
      }
      return created;
    };

    // Detection by polling (first run).
    emulator.control.resetCallCounts();
    let cursor: string | null = null;
    let createdByPoll = 0;
    for await (const page of source.poll(null, { startFrom: start - 1 })) {
      createdByPoll += ingest(page.leads);
      cursor = page.cursor;
    }
    const pollCalls = emulator.control.callCounts();

    // Webhooks: 2,000 property-change events (stage + score) in batches of 100, every third delivery sent twice.
    await emulator.control.flushWebhooks();
    const deliveries = emulator.control.webhookDeliveries();
    expect(deliveries.every((d) => d.status === 200)).toBe(true);
    expect(deliveries.some((d) => d.duplicate)).toBe(true);
    await waitFor('every delivery handled', () => (deliveriesSeen === deliveries.length ? true : undefined), 5_000);
    emulator.control.resetCallCounts();
    const createdByWebhook = ingest(await source.fetchLeads([...queued]));
    const webhookCalls = emulator.control.callCounts();

    // A second poll (the reconciliation sweep) repeats the overlap window and finds nothing new.
    emulator.control.resetCallCounts();
    let createdByRepoll = 0;
    for await (const page of source.poll(cursor, { startFrom: start - 1 })) createdByRepoll += ingest(page.leads);
    const repollCalls = emulator.control.callCounts();

    expect(createdByPoll).toBe(1_000);
    expect(createdByWebhook).toBe(0);
    expect(createdByRepoll).toBe(0);
    expect(new Set([...stored.values()].map((l) => l.externalId))).toEqual(new Set(ids));

    // Write-back: the owner at offer plus the status, one update per lead, as the outbox would hand them over.
    emulator.control.resetCallCounts();
    const leads = [...stored.values()];
    const owners = new Map<string, string>();
    for (const rep of reps) {
      const id = await crm.resolveOwnerId({ email: rep.email });
      expect(id).not.toBeNull();
      owners.set(rep.email, id!);
    }
    const updates = leads.flatMap((lead, i) => {
      const record = { source: 'hubspot' as const, externalId: lead.externalId, email: lead.email };
      return [
        { key: `owner-${i}`, record, properties: { hubspot_owner_id: owners.get(reps[i % reps.length]!.email)! } },
        { key: `status-${i}`, record, properties: { hs_lead_status: 'IN_PROGRESS', handoff_status: 'offered' } },
      ];
    });
    emulator.control.defineProperty({
      name: 'handoff_status',
      type: 'enumeration',
      options: ['offered', 'accepted'].map((v) => ({ label: v, value: v })),
      hubspotDefined: false,
    });
    const written = await crm.update(updates);
    expect(written.every((r) => r.ok)).toBe(true);
    const writeCalls = emulator.control.callCounts();
    for (const id of ids.slice(0, 5).concat(ids.slice(-5))) {
      expect(emulator.control.getContact(id)!.properties).toMatchObject({
        hs_lead_status: 'IN_PROGRESS',
        handoff_status: 'offered',
        hubspot_owner_id: expect.any(String),
      });
    }
    expect(ids.every((id) => emulator!.control.getContact(id)!.properties['hubspot_owner_id'])).toBe(true);

    const detection = total(pollCalls);
    const writeBack = total(writeCalls);
    console.log(
      [
        'HubSpot calls for 1,000 MQLs:',
        `  detection by polling: ${detection} ${JSON.stringify(pollCalls)}`,
        `  write-back (owner + status): ${writeBack} ${JSON.stringify(writeCalls)}`,
        `  detection + write-back: ${detection + writeBack} (budget 20)`,
        `  webhook path instead of polling: ${total(webhookCalls)} ${JSON.stringify(webhookCalls)} for ${queued.size} ids from ${deliveries.length} deliveries`,
        `  repeated poll (overlap sweep): ${total(repollCalls)} ${JSON.stringify(repollCalls)}`,
      ].join('\n'),
    );
    // 1,000 MQLs in pages of 200: each page after the first starts at the last one's timestamp (keyset paging,
    // so records changed during the walk are never skipped) and re-reads its boundary record: 6 searches, not 5.
    expect(detection).toBe(6);
    expect(writeBack).toBe(11);
    expect(detection + writeBack).toBeLessThanOrEqual(20);
    expect(total(webhookCalls)).toBe(10);
    expect(total(repollCalls)).toBe(1);
  }, 60_000);
});
