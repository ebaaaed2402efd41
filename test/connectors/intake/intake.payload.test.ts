import { describe, expect, it } from 'vitest';
import { parseGenericIntake, parseMauticWebhook, valueAt } from '../../../connectors/intake/intake.payload.js';
import { MAUTIC_DEFAULT_FIELDS, type IntakeSourceConfig } from '../../../src/config/schema.js';

const NOW = Date.UTC(2026, 11, 7, 9, 0, 0);

function source(overrides: Partial<IntakeSourceConfig> = {}): IntakeSourceConfig {
  return {
    id: 'forms',
    preset: 'generic',
    secret: 's',
    idempotencyKey: { field: 'id' },
    fields: { email: 'contact.email', firstName: 'contact.first', score: 'score', employees: 'org.size', mqlAt: 'at' },
    mql: { kind: 'compare', field: 'score', op: 'gte', value: 80 },
    threshold: null,
    callback: null,
    maxBatch: 3,
    ...overrides,
  };
}
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const lead = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  contact: { email: ` Ada@Example.COM `, first: 'Ada' },
  score: 90,
  org: { size: '120' },
  ...extra,
});

describe('valueAt', () => {
  it('follows object keys and list indexes', () => {
    expect(valueAt({ a: { b: [{ c: 1 }] } }, 'a.b.0.c')).toBe(1);
    expect(valueAt({ a: 1 }, 'a.b')).toBeUndefined();
    expect(valueAt({ a: [1] }, 'a.x')).toBeUndefined();
  });
});

describe('generic intake payload', () => {
  it('maps one lead: dotted paths, numbers from numeric text, email normalised, key in the external id', () => {
    const r = parseGenericIntake(source(), json(lead('e1', { at: '2026-12-07T08:00:00Z' })), {}, NOW);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [item] = r.items;
    expect(item).toMatchObject({ kind: 'lead', key: 'e1' });
    if (item?.kind !== 'lead') return;
    expect(item.lead).toMatchObject({
      source: 'intake',
      externalId: 'forms:e1',
      email: 'ada@example.com',
      firstName: 'Ada',
      fields: { score: 90, employees: 120 },
      mqlAt: Date.parse('2026-12-07T08:00:00Z'),
      modifiedAt: NOW,
    });
    expect(item.lead.props).toMatchObject({ intake_source: 'forms', intake_key: 'e1' });
  });

  it('leaves leads that fail the mql condition out, as not_mql', () => {
    const r = parseGenericIntake(source(), json([lead('a'), lead('b', { score: 10 })]), {}, NOW);
    expect(r.ok && r.items.map((i) => i.kind)).toEqual(['lead', 'not_mql']);
  });

  it('epoch seconds and milliseconds both read as times; no mqlAt means now', () => {
    for (const at of [1_765_000_000, 1_765_000_000_000]) {
      const r = parseGenericIntake(source(), json(lead('t', { at })), {}, NOW);
      expect(r.ok && r.items[0]?.kind === 'lead' && r.items[0].lead.mqlAt).toBe(1_765_000_000_000);
    }
    const r = parseGenericIntake(source(), json(lead('t')), {}, NOW);
    expect(r.ok && r.items[0]?.kind === 'lead' && r.items[0].lead.mqlAt).toBe(NOW);
  });

  it('takes the key from a header (batch items get :<index>)', () => {
    const s = source({ idempotencyKey: { header: 'Idempotency-Key' } });
    const one = parseGenericIntake(s, json(lead('x')), { 'idempotency-key': 'K1' }, NOW);
    expect(one.ok && one.items.map((i) => i.key)).toEqual(['K1']);
    const two = parseGenericIntake(s, json([lead('x'), lead('y')]), { 'idempotency-key': 'K2' }, NOW);
    expect(two.ok && two.items.map((i) => i.key)).toEqual(['K2:0', 'K2:1']);
    expect(parseGenericIntake(s, json(lead('x')), {}, NOW)).toMatchObject({ ok: false, status: 400 });
  });

  it.each([
    ['not JSON', Buffer.from('{'), 400, undefined],
    ['an empty batch', json([]), 400, undefined],
    ['a batch over maxBatch', json([lead('1'), lead('2'), lead('3'), lead('4')]), 413, undefined],
    ['a key twice', json([lead('1'), lead('1')]), 422, 'leads[1].idempotencyKey'],
    ['no key', json(lead('')), 422, 'leads[0].idempotencyKey'],
    ['no email', json({ ...lead('1'), contact: {} }), 422, 'leads[0].email'],
    ['an email that is no address', json({ ...lead('1'), contact: { email: 'nope' } }), 422, 'leads[0].email'],
    ['no score (the condition needs it)', json({ ...lead('1'), score: null }), 422, 'leads[0].score'],
    ['a score that is text', json(lead('1', { score: 'high' })), 422, 'leads[0].score'],
    [
      'a first name that is an object',
      json({ ...lead('1'), contact: { email: 'a@b.c', first: {} } }),
      422,
      'leads[0].firstName',
    ],
    ['a bad date', json(lead('1', { at: 'soon' })), 422, 'leads[0].mqlAt'],
    ['an MQL time a day ahead', json(lead('1', { at: NOW + 86_400_000 })), 422, 'leads[0].mqlAt'],
    ['an item that is no object', json([lead('1'), 7]), 422, 'leads[1]'],
  ])('refuses %s', (_label, raw, status, field) => {
    const r = parseGenericIntake(source(), raw, {}, NOW);
    expect(r).toMatchObject({ ok: false, status });
    if (field !== undefined) expect(r).toMatchObject({ field });
  });
});

describe('Mautic points webhook', () => {
  const mautic = source({
    id: 'mautic',
    preset: 'mautic',
    idempotencyKey: null,
    mql: null,
    threshold: 100,
    fields: MAUTIC_DEFAULT_FIELDS,
    maxBatch: 100,
  });
  const event = (id: number, oldPoints: number, newPoints: number) => ({
    contact: {
      id,
      points: newPoints,
      fields: {
        core: {
          email: { alias: 'email', value: `c${id}@m.example` },
          firstname: { value: 'Mia' },
          lastname: { value: 'M' },
          company: { value: 'OSS' },
          position: { value: 'CTO' },
        },
      },
    },
    points: { old_points: oldPoints, new_points: newPoints },
    timestamp: '2026-12-07T08:59:00+00:00',
  });

  it('makes an MQL only of a contact whose points cross the threshold upward (old < t <= new)', () => {
    const body = json({
      'mautic.lead_points_change': [event(1, 99, 100), event(2, 100, 140), event(3, 120, 80), event(4, 10, 99)],
      'mautic.lead_post_save_update': [{}],
      timestamp: '2026-12-07T09:00:00+00:00',
    });
    const r = parseMauticWebhook(mautic, body, NOW);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.items.map((i) => i.kind)).toEqual(['lead', 'not_mql', 'not_mql', 'not_mql']);
    expect(r.ignoredEvents).toBe(1);
    const first = r.items[0];
    if (first?.kind !== 'lead') return;
    const at = Date.parse('2026-12-07T08:59:00Z');
    expect(first.key).toBe(`1:${at}`);
    expect(first.lead).toMatchObject({
      externalId: `mautic:1:${at}`,
      email: 'c1@m.example',
      firstName: 'Mia',
      fields: { score: 100, company: 'OSS', title: 'CTO' },
      mqlAt: at,
    });
  });

  it('reads Mautic\'s "YYYY-MM-DD hh:mm:ss" times as UTC', () => {
    const e = { ...event(5, 0, 200), timestamp: '2026-12-07 08:59:00' };
    const r = parseMauticWebhook(mautic, json({ 'mautic.lead_points_change': [e] }), NOW);
    expect(r.ok && r.items[0]?.kind === 'lead' && r.items[0].lead.mqlAt).toBe(Date.parse('2026-12-07T08:59:00Z'));
  });

  it.each([
    ['not an object', json([1]), 400],
    ['events that are not a list', json({ 'mautic.lead_points_change': {} }), 422],
    [
      'points as text',
      json({ 'mautic.lead_points_change': [{ ...event(1, 0, 1), points: { old_points: 'a', new_points: 1 } }] }),
      422,
    ],
    ['no contact id', json({ 'mautic.lead_points_change': [{ ...event(1, 0, 200), contact: {} }] }), 422],
  ])('refuses %s', (_label, raw, status) => {
    expect(parseMauticWebhook(mautic, raw, NOW)).toMatchObject({ ok: false, status });
  });
});
