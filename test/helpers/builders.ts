// Builders with overrides for domain objects used across tests.
import type { HandoffAction } from '../../src/domain/handoff-machine.js';
import type { Handoff, Lead, Rep, Team } from '../../src/domain/model.js';
import type { MessageDoc } from '../../src/ports/message-doc.js';
import type { ExportRow } from '../../src/ports/metrics.js';

let counter = 0;

export function makeLead(overrides: Partial<Lead> & { fields?: Lead['fields'] } = {}): Lead {
  counter += 1;
  return {
    source: 'hubspot',
    externalId: `c${counter}`,
    email: `lead${counter}@acme-${counter}.com`,
    firstName: 'Jane',
    lastName: `Doe ${counter}`,
    fields: {
      company: 'Acme',
      country: 'DE',
      employees: 250,
      score: 70,
      title: 'CTO',
      channel: 'ORGANIC_SEARCH',
      campaign: 'spring',
    },
    props: {},
    mqlAt: Date.UTC(2026, 10, 23, 9, 0, 0),
    modifiedAt: Date.UTC(2026, 10, 23, 9, 0, 0),
    ownerId: null,
    recordUrl: null,
    ...overrides,
  };
}

export function makeRep(overrides: Partial<Rep> & { id: string }): Rep {
  return {
    name: overrides.id[0]?.toUpperCase() + overrides.id.slice(1),
    email: `${overrides.id}@example.com`,
    chat: 'slack',
    slackUserId: `U_${overrides.id.toUpperCase()}`,
    timezone: 'UTC',
    hours: { windows: [{ days: [0, 1, 2, 3, 4, 5, 6], start: 0, end: 0 }] },
    capacity: {},
    weight: 1,
    away: [],
    active: true,
    ...overrides,
  };
}

export function makeTeam(overrides: Partial<Team> & { id: string; members: string[] }): Team {
  return { strategy: 'round-robin', ...overrides };
}

/** A digest-like document with every part filled, and text that needs escaping in Slack and HTML. */
export function makeDoc(overrides: Partial<MessageDoc> = {}): MessageDoc {
  return {
    title: '📊 Lead hand-off, 2026-11-03',
    subject: '[handoff] Daily digest 2026-11-03: 2 MQLs, 0.0% MQL→SAL',
    intro: ['MQLs of 2026-11-03 & what became of them <so far>.'],
    facts: [
      { label: 'MQLs', value: '2' },
      { label: 'SLA compliance', value: '50.0% (1 of 2)' },
    ],
    tables: [
      {
        title: 'Per rep',
        head: ['rep', 'MQLs', 'SALs', 'resp. p50', 'SLA'],
        rows: [
          ['Bruno Keller', '1', '0', '5m 00s', '100.0%'],
          ['Carl Diaz', '10', '0', '40m 00s', '0.0%'],
        ],
        numeric: [1, 2, 3, 4],
      },
      { title: 'Nobody here', head: ['campaign', 'MQLs'], rows: [], numeric: [1] },
    ],
    notes: { title: 'Sample notes', items: ['Other: “student” (PAID / fall)', 'a <b> & "c"'] },
    link: { url: 'https://handoff.example.com/dashboard?a=1&b=2', label: 'Open the dashboard' },
    footer: 'MQL→SAL = accepted / all MQLs of the period.',
    ...overrides,
  };
}

/** A hand-off as the store returns it: offered once, undecided, unless overridden. */
export function makeHandoff(overrides: Partial<Handoff> & { id: string }): Handoff {
  return {
    leadId: `lead-${overrides.id}`,
    source: 'hubspot',
    externalId: overrides.id,
    mqlAt: 0,
    state: 'offered',
    version: 1,
    hot: false,
    imported: false,
    email: null,
    channel: null,
    campaign: null,
    teamId: null,
    repId: null,
    offerCount: 1,
    dueAt: null,
    escalatedAt: null,
    escalationReason: null,
    decidedAt: null,
    decidedBy: null,
    reasonId: null,
    note: null,
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}

/** A row of the hand-off export: makeHandoff's columns, no names, company or offers, unless overridden. */
export function makeExportRow(overrides: Partial<ExportRow> & { id: string }): ExportRow {
  const {
    leadId: _leadId,
    version: _version,
    offerCount: _offerCount,
    dueAt: _dueAt,
    createdAt: _createdAt,
    updatedAt: _updatedAt,
    ...columns
  } = makeHandoff({ id: overrides.id });
  return { ...columns, firstName: null, lastName: null, company: null, offers: [], ...overrides };
}

/** How a seeded offer ends, as a move of the transition table; a timed-out offer leaves the hand-off offered. */
export const OFFER_END_ACTION = {
  accepted: 'accept',
  rejected: 'reject',
  withdrawn: 'withdraw',
  timed_out: null,
} as const satisfies Record<string, HandoffAction | null>;
