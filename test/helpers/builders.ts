// Builders with overrides for domain objects used across tests.
import type { Handoff, Lead, Rep, Team } from '../../src/domain/model.js';

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
