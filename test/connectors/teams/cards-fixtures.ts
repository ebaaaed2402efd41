// Shared by the Teams card and notifier tests: people, reasons, an offer card, an escalation, and walkers that
// pull texts, facts, inputs and actions out of an Adaptive Card.
import type { RejectionReason } from '../../../src/domain/model.js';
import type { EscalationPost, OfferCard, Person } from '../../../src/ports/rep-notifier.js';
import type { AdaptiveCard, CardAction, CardElement } from '../../../connectors/teams/teams.cards.js';
import { makeLead } from '../../helpers/builders.js';

export const ALICE: Person = {
  id: 'alice',
  name: 'Alice Martin',
  chat: 'teams',
  teamsUserId: 'aad-alice',
  timezone: 'Europe/Berlin',
};
export const BRUNO: Person = {
  id: 'bruno',
  name: 'Bruno Costa',
  chat: 'teams',
  teamsUserId: 'aad-bruno',
  timezone: 'America/New_York',
};
export const MARIA: Person = { id: 'maria', name: 'Maria Ruiz', chat: 'teams', teamsUserId: 'aad-maria' };
export const PEOPLE = [ALICE, BRUNO, MARIA];

export const REASONS: RejectionReason[] = [
  { id: 'not_icp', label: 'Not our ideal customer', recycle: false, noteRequired: false },
  { id: 'bad_timing', label: 'Bad timing', recycle: true, noteRequired: false },
  { id: 'other', label: 'Other', recycle: false, noteRequired: true },
];

/** 14:30 in Berlin, 08:30 in New York. */
export const DUE = Date.UTC(2026, 10, 25, 13, 30);

export function offerCard(overrides: Partial<OfferCard> = {}): OfferCard {
  return {
    handoffId: 'h1',
    offerId: 'offer-123',
    lead: makeLead({
      firstName: 'Jane',
      lastName: 'Doe',
      recordUrl: 'https://app.hubspot.com/contacts/42/record/0-1/101',
      fields: {
        title: 'VP Sales',
        company: 'Acme <GmbH>',
        country: 'DE',
        employees: 250,
        industry: 'Software',
        score: 92,
        channel: 'PAID_SEARCH',
        campaign: 'q4-launch',
        need: 'Routing for 40 reps',
        budget: '',
      },
      mqlAt: Date.UTC(2026, 10, 25, 12, 0),
    }),
    rep: ALICE,
    hot: false,
    dueAt: DUE,
    why: { rule: 'EMEA', team: 'emea', strategy: 'round-robin', ownerMatch: null },
    seq: 1,
    ...overrides,
  };
}

export function escalation(overrides: Partial<EscalationPost> = {}): EscalationPost {
  return {
    handoffId: 'h9',
    lead: offerCard().lead,
    hot: true,
    reason: 'no_next_rep',
    history: [
      { rep: ALICE, outcome: 'timed_out', at: Date.UTC(2026, 10, 25, 13, 30) },
      { rep: BRUNO, outcome: 'rejected', at: Date.UTC(2026, 10, 25, 14, 0), reason: 'Bad timing' },
    ],
    team: { id: 'emea', channel: 'teams:19:emea@thread.tacv2' },
    assignable: [BRUNO, MARIA],
    ...overrides,
  };
}

/** Every element of a card's body, depth first (containers and columns opened; ShowCards not). */
export function elements(card: AdaptiveCard): CardElement[] {
  const out: CardElement[] = [];
  const walk = (items: CardElement[]): void => {
    for (const el of items) {
      out.push(el);
      if (el.type === 'Container') walk(el.items);
      if (el.type === 'ColumnSet') for (const c of el.columns) walk(c.items);
    }
  };
  walk(card.body);
  return out;
}

export function texts(card: AdaptiveCard): string[] {
  return elements(card).flatMap((el) => (el.type === 'TextBlock' ? [el.text] : []));
}

export function facts(card: AdaptiveCard): Record<string, string> {
  return Object.fromEntries(
    elements(card).flatMap((el) => (el.type === 'FactSet' ? el.facts.map((f) => [f.title, f.value]) : [])),
  );
}

export function actions(card: AdaptiveCard): CardAction[] {
  return card.actions ?? [];
}

export function action<T extends CardAction['type']>(
  card: AdaptiveCard,
  type: T,
  title: string,
): Extract<CardAction, { type: T }> {
  const found = actions(card).find((a) => a.type === type && a.title === title);
  if (found === undefined) throw new Error(`no ${type} "${title}" in the card`);
  return found as Extract<CardAction, { type: T }>;
}
