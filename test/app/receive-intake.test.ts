// Intake leads: one hand-off per delivery key, none while the person has an open intake hand-off; decisions on them
// go to the callback, and with crm: none nowhere else.
import { describe, expect, it } from 'vitest';
import { createIntakeReceiver } from '../../src/app/receive-intake.js';
import { decisionJobs, intakeSourceOf } from '../../src/app/write-back.js';
import type { AppDeps } from '../../src/app/deps.js';
import { silentLogger } from '../../src/ports/logger.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { baseSettings } from '../helpers/app-harness.js';
import { makeHandoff, makeLead, makeRep } from '../helpers/builders.js';

function deps(): AppDeps {
  let now = Date.UTC(2026, 11, 7, 9);
  let n = 0;
  return {
    store: createMemoryStore(),
    clock: { now: () => (now += 1_000) },
    settings: baseSettings(),
    route: () => Promise.reject(new Error('not routed here')),
    logger: silentLogger,
    newId: () => `id-${++n}`,
    deadlineFor: () => ({ dueAt: now + 60_000, remindAt: null }),
  };
}

const intakeLead = (key: string, email: string, mqlAt: number) =>
  makeLead({ source: 'intake', externalId: `forms:${key}`, email, mqlAt, modifiedAt: mqlAt });

describe('receiving intake leads', () => {
  it('stores a delivery key once, whatever its MQL time says the second time', async () => {
    const d = deps();
    const receive = createIntakeReceiver(d);
    const [first] = await receive([intakeLead('k1', 'a@x.example', 1_000)]);
    expect(first?.status).toBe('stored');
    // Concurrent copies of the same delivery (a sender's retry racing the first attempt).
    const again = await Promise.all([
      receive([intakeLead('k1', 'a@x.example', 2_000)]),
      receive([intakeLead('k1', 'a@x.example', 3_000)]),
    ]);
    expect(again.flat().map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(again.flat().every((r) => r.handoffId === first?.handoffId)).toBe(true);
    expect(await d.store.findHandoffsByEmail('a@x.example')).toHaveLength(1);
  });

  it('gives a person with an open hand-off (intake or CRM source) no second one', async () => {
    const d = deps();
    const receive = createIntakeReceiver(d);
    await receive([intakeLead('k1', 'b@x.example', 1_000)]);
    const [second] = await receive([intakeLead('k2', 'b@x.example', 5_000)]);
    expect(second?.status).toBe('already_open');
    const [other] = await receive([intakeLead('k3', 'c@x.example', 5_000)]);
    expect(other?.status).toBe('stored');
    await d.store.ingest(
      {
        lead: makeLead({ source: 'hubspot', externalId: '77', email: 'D@x.example', mqlAt: 1_000 }),
        hot: false,
        imported: false,
      },
      2_000,
    );
    const [fromCrm] = await receive([intakeLead('k4', 'd@x.example', 5_000)]);
    expect(fromCrm?.status).toBe('already_open');
  });
});

describe('two replicas receiving the same delivery at once', () => {
  it('one stores it; the other is told to retry (in_progress) or sees the duplicate; one hand-off', async () => {
    const d = deps();
    const replicaA = createIntakeReceiver(d);
    const replicaB = createIntakeReceiver(d);
    const results = await Promise.all([
      replicaA([intakeLead('race', 'r@x.example', 1_000)]),
      replicaB([intakeLead('race', 'r@x.example', 2_000)]),
    ]);
    const statuses = results.flat().map((r) => r.status);
    expect(statuses.filter((s) => s === 'stored')).toHaveLength(1);
    expect(statuses.some((s) => s === 'in_progress' || s === 'duplicate')).toBe(true);
    expect(await d.store.findHandoffsByEmail('r@x.example')).toHaveLength(1);
    // The key is free again: the retry is answered as a duplicate.
    const [retry] = await replicaB([intakeLead('race', 'r@x.example', 3_000)]);
    expect(retry?.status).toBe('duplicate');
  });
});

describe('decisions on intake leads', () => {
  const handoff = makeHandoff({ id: 'h1', source: 'intake', externalId: 'forms:evt-9', email: 'a@x.example' });
  const input = {
    decision: 'rejected' as const,
    rep: makeRep({ id: 'alice' }),
    reasonId: 'not_icp',
    note: 'too small',
    at: Date.UTC(2026, 11, 7, 9),
    key: 'offer-1',
  };

  it('reads the source id from the external id', () => {
    expect(intakeSourceOf(handoff)).toBe('forms');
    expect(intakeSourceOf(makeHandoff({ id: 'h2', source: 'hubspot', externalId: '12:3' }))).toBeNull();
  });

  it('crm none with a callback: only the callback job, carrying the decision', () => {
    const settings = baseSettings({ intakeCallbacks: ['forms'] });
    settings.crm = { ...settings.crm, kind: 'none' };
    const jobs = decisionJobs(settings, handoff, input);
    expect(jobs.map((j) => j.kind)).toEqual(['intake.callback']);
    expect(jobs[0]?.payload).toMatchObject({
      sourceId: 'forms',
      body: {
        decision: 'rejected',
        key: 'evt-9',
        reason: { id: 'not_icp', label: 'Not our ideal customer' },
        note: 'too small',
        rep: { id: 'alice' },
      },
    });
  });

  it('crm none without a callback: nothing to send; a CRM with a callback: both', () => {
    const none = baseSettings();
    none.crm = { ...none.crm, kind: 'none' };
    expect(decisionJobs(none, handoff, input)).toEqual([]);
    const both = decisionJobs(baseSettings({ intakeCallbacks: ['forms'] }), handoff, input).map((j) => j.kind);
    expect(both).toContain('intake.callback');
    expect(both).toContain('crm.update');
  });
});
