// Builders with overrides for domain objects used across tests.
import type { HandoffAction } from '../../src/domain/handoff-machine.js';
import type { Lead, Rep, Team } from '../../src/domain/model.js';

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

/** How a seeded offer ends, as a move of the transition table; a timed-out offer leaves the hand-off offered. */
export const OFFER_END_ACTION = {
  accepted: 'accept',
  rejected: 'reject',
  withdrawn: 'withdraw',
  timed_out: null,
} as const satisfies Record<string, HandoffAction | null>;
