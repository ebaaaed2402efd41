// The emulator must behave like HubSpot where we depend on it: limits, error bodies, rate-limit headers, history.
import { afterEach, describe, expect, it } from 'vitest';
import { startHubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import type { HubspotEmulator } from '../../../connectors/hubspot/emulator/index.js';
import { TOKEN } from './helpers.js';

let emulator: HubspotEmulator | null = null;
afterEach(async () => {
  await emulator?.close();
  emulator = null;
});

async function call(path: string, body?: unknown, init: { method?: string; token?: string } = {}) {
  const res = await fetch(`${emulator!.url}${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${init.token ?? TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
}

const filter = (i: number) => ({ propertyName: 'email', operator: 'NEQ', value: `x${i}@y.example` });

describe('HubSpot emulator', () => {
  it('setIndexDelay: changes made after it reach search that much later; earlier ones keep their delay', async () => {
    let clock = Date.parse('2026-12-01T10:00:00Z');
    emulator = await startHubspotEmulator({ rateLimits: false, now: () => clock });
    const found = async (email: string): Promise<number> =>
      (
        await call('/crm/v3/objects/contacts/search', {
          filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: email }] }],
        })
      ).json['total'] as number;
    emulator.control.createContact({ email: 'now@x.example' });
    emulator.control.setIndexDelay(800);
    emulator.control.createContact({ email: 'lagging@x.example' });
    expect(await found('now@x.example')).toBe(1);
    expect(await found('lagging@x.example')).toBe(0);
    clock += 799;
    expect(await found('lagging@x.example')).toBe(0);
    clock += 1;
    expect(await found('lagging@x.example')).toBe(1);
    expect(() => emulator!.control.setIndexDelay(-1)).toThrow();
  });

  it('enforces the search limits with 400 VALIDATION_ERROR', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const search = (body: unknown) => call('/crm/v3/objects/contacts/search', body);
    expect((await search({ limit: 201 })).status).toBe(400);
    expect((await search({ limit: 200, after: '9900' })).status).toBe(400);
    expect((await search({ limit: 200, after: '9800' })).status).toBe(200);
    expect((await search({ after: 'abc' })).status).toBe(400);
    expect(
      (await search({ filterGroups: Array.from({ length: 6 }, (_, i) => ({ filters: [filter(i)] })) })).status,
    ).toBe(400);
    expect((await search({ filterGroups: [{ filters: Array.from({ length: 7 }, (_, i) => filter(i)) }] })).status).toBe(
      400,
    );
    const nineteen = {
      filterGroups: [6, 6, 6, 1].map((n, g) => ({ filters: Array.from({ length: n }, (_, i) => filter(g * 10 + i)) })),
    };
    expect((await search(nineteen)).json['category']).toBe('VALIDATION_ERROR');
    expect((await search({ sorts: [{ propertyName: 'email' }, { propertyName: 'createdate' }] })).status).toBe(400);
    const big = await search({ query: 'x'.repeat(3_000) });
    expect(big.status).toBe(400);
    expect(big.json).toMatchObject({
      status: 'error',
      category: 'VALIDATION_ERROR',
      correlationId: expect.any(String),
    });
  });

  it('supports the filter operators we use', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const [a, b, c] = emulator.control.seedContacts([
      { properties: { email: 'A@x.example', hubspotscore: 10, lifecyclestage: 'lead', lastmodifieddate: 1_000 } },
      {
        properties: {
          email: 'b@x.example',
          hubspotscore: 50,
          lifecyclestage: 'marketingqualifiedlead',
          lastmodifieddate: 2_000,
          hubspot_owner_id: '7',
        },
      },
      {
        properties: {
          email: 'c@x.example',
          hubspotscore: 90,
          lifecyclestage: 'marketingqualifiedlead',
          lastmodifieddate: 3_000,
        },
      },
    ]);
    const ids = async (filters: unknown[], sort = 'ASCENDING') =>
      (
        (
          await call('/crm/v3/objects/contacts/search', {
            filterGroups: [{ filters }],
            sorts: [{ propertyName: 'lastmodifieddate', direction: sort }],
          })
        ).json['results'] as Array<{ id: string }>
      ).map((r) => r.id);
    expect(await ids([{ propertyName: 'email', operator: 'EQ', value: 'a@x.example' }])).toEqual([a]);
    expect(await ids([{ propertyName: 'lifecyclestage', operator: 'EQ', value: 'MarketingQualifiedLead' }])).toEqual(
      [],
    );
    expect(await ids([{ propertyName: 'lifecyclestage', operator: 'NEQ', value: 'lead' }])).toEqual([b, c]);
    expect(await ids([{ propertyName: 'hubspotscore', operator: 'GT', value: '10' }])).toEqual([b, c]);
    expect(await ids([{ propertyName: 'hubspotscore', operator: 'LTE', value: '50' }])).toEqual([a, b]);
    expect(await ids([{ propertyName: 'lastmodifieddate', operator: 'GTE', value: '2000' }], 'DESCENDING')).toEqual([
      c,
      b,
    ]);
    expect(
      await ids([{ propertyName: 'lastmodifieddate', operator: 'LT', value: new Date(2_000).toISOString() }]),
    ).toEqual([a]);
    expect(await ids([{ propertyName: 'hubspotscore', operator: 'BETWEEN', value: '20', highValue: '90' }])).toEqual([
      b,
      c,
    ]);
    expect(await ids([{ propertyName: 'email', operator: 'IN', values: ['a@x.example', 'c@x.example'] }])).toEqual([
      a,
      c,
    ]);
    expect(await ids([{ propertyName: 'email', operator: 'NOT_IN', values: ['a@x.example'] }])).toEqual([b, c]);
    expect(await ids([{ propertyName: 'hubspot_owner_id', operator: 'HAS_PROPERTY' }])).toEqual([b]);
    expect(await ids([{ propertyName: 'hubspot_owner_id', operator: 'NOT_HAS_PROPERTY' }])).toEqual([a, c]);
  });

  it('answers 401 and 403 with HubSpot-shaped bodies', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const denied = await call('/crm/v3/owners', undefined, { token: 'nope' });
    expect(denied.status).toBe(401);
    expect(denied.json).toMatchObject({ status: 'error', category: 'EXPIRED_AUTHENTICATION' });
    emulator.control.setScopes(['crm.objects.contacts.read']);
    const scope = await call('/crm/v3/owners');
    expect(scope.status).toBe(403);
    expect(scope.json).toMatchObject({
      category: 'MISSING_SCOPES',
      errors: [{ context: { requiredGranularScopes: ['crm.objects.owners.read'] } }],
    });
  });

  it('rate-limits search per second and general calls per 10 s, with the headers only on general calls', async () => {
    emulator = await startHubspotEmulator({ rateLimits: { searchPerSecond: 2, generalPer10s: 3 } });
    const s = [];
    for (let i = 0; i < 3; i++) s.push(await call('/crm/v3/objects/contacts/search', {}));
    expect(s.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(s[2]!.json).toMatchObject({ message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT' });
    expect(s[0]!.headers.get('x-hubspot-ratelimit-max')).toBeNull();
    const g = [];
    for (let i = 0; i < 4; i++) g.push(await call('/crm/v3/owners'));
    expect(g.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(g[0]!.headers.get('x-hubspot-ratelimit-max')).toBe('3');
    expect(g[0]!.headers.get('x-hubspot-ratelimit-remaining')).toBe('2');
    expect(g[0]!.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
    expect(g[3]!.json).toMatchObject({ policyName: 'TEN_SECONDLY_ROLLING', errorType: 'RATE_LIMIT' });
  });

  it('refuses batches over 100 and duplicate ids; records stage dates and modification times', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const [id] = emulator.control.seedContacts([
      { properties: { email: 'h@x.example', lifecyclestage: 'lead', lastmodifieddate: 1_000 } },
    ]);
    const tooMany = await call('/crm/v3/objects/contacts/batch/read', {
      inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i) })),
      properties: [],
    });
    expect(tooMany.status).toBe(400);
    const dupes = await call('/crm/v3/objects/contacts/batch/update', {
      inputs: [
        { id, properties: {} },
        { id, properties: {} },
      ],
    });
    expect(dupes.status).toBe(400);
    const before = Date.now();
    const ok = await call('/crm/v3/objects/contacts/batch/update', {
      inputs: [{ id, properties: { lifecyclestage: 'marketingqualifiedlead' } }],
    });
    expect(ok.status).toBe(200);
    const props = emulator.control.getContact(id!)!.properties;
    expect(Date.parse(props['hs_lifecyclestage_marketingqualifiedlead_date']!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(props['lastmodifieddate']!)).toBeGreaterThanOrEqual(before);
    const readOnly = await call('/crm/v3/objects/contacts/batch/update', {
      inputs: [{ id, properties: { lastmodifieddate: '1' } }],
    });
    expect(readOnly.status).toBe(207);
    expect(readOnly.json['errors'][0]).toMatchObject({ category: 'VALIDATION_ERROR', context: { ids: [id] } });
    const history = await call('/crm/v3/objects/contacts/batch/read', {
      inputs: [{ id }],
      properties: ['lifecyclestage'],
      propertiesWithHistory: ['lifecyclestage'],
    });
    expect(
      history.json['results'][0].propertiesWithHistory.lifecyclestage.map((h: { value: string }) => h.value),
    ).toEqual(['marketingqualifiedlead', 'lead']);
  });

  it('pages owners, filters them by email and hides archived ones', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    emulator.control.seedOwners([
      ...Array.from({ length: 3 }, (_, i) => ({ email: `o${i}@x.example` })),
      { email: 'old@x.example', archived: true },
    ]);
    const first = await call('/crm/v3/owners?limit=2');
    expect(first.json['results']).toHaveLength(2);
    const second = await call(`/crm/v3/owners?limit=2&after=${first.json['paging'].next.after}`);
    expect(second.json['results']).toHaveLength(1);
    expect(second.json['paging']).toBeUndefined();
    expect((await call('/crm/v3/owners?email=O1@x.example')).json['results']).toHaveLength(1);
    expect((await call('/crm/v3/owners?email=old@x.example')).json['results']).toHaveLength(0);
    expect((await call('/crm/v3/owners?archived=true')).json['results']).toHaveLength(1);
  });

  it('defines custom text properties in the contact information group, as an admin would', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    emulator.control.defineTextProperties(['campaign', 'handoff_status']);
    const campaign = await call('/crm/v3/properties/contacts/campaign');
    expect(campaign.status).toBe(200);
    expect(campaign.json).toMatchObject({
      name: 'campaign',
      label: 'campaign',
      type: 'string',
      fieldType: 'text',
      groupName: 'contactinformation',
    });
    expect(emulator.control.propertyNames()).toEqual(expect.arrayContaining(['campaign', 'handoff_status']));
  });

  it('serves the control API over HTTP for the demo, and injects faults', async () => {
    emulator = await startHubspotEmulator({ rateLimits: false });
    const created = await fetch(`${emulator.url}/__control/createContact`, {
      method: 'POST',
      body: JSON.stringify({ email: 'demo@x.example' }),
    });
    const { result: id } = (await created.json()) as { result: string };
    expect(emulator.control.getContact(id)!.properties['email']).toBe('demo@x.example');
    await fetch(`${emulator.url}/__control/updateContact`, {
      method: 'POST',
      body: JSON.stringify({ args: [id, { lifecyclestage: 'marketingqualifiedlead' }] }),
    });
    expect(emulator.control.getContact(id)!.properties['lifecyclestage']).toBe('marketingqualifiedlead');
    emulator.control.setFault({ kind: 'status', status: 500, count: 1 });
    expect((await call('/crm/v3/owners')).status).toBe(500);
    expect((await call('/crm/v3/owners')).status).toBe(200);
    const counts = (await (await fetch(`${emulator.url}/__control/callCounts`)).json()) as {
      result: Record<string, number>;
    };
    expect(counts.result['GET /crm/v3/owners']).toBe(2);
  });
});
