// Owners: the users a contact or company can be assigned to, listed with email filter and paging, or read one by id.
import { HUBSPOT_SCOPES } from '../hubspot.errors.js';
import { iso, type EmulatorState } from './state.js';
import type { HubspotEmulatorControl } from './types.js';
import { HttpFailure, errorBody, route, type Reply, type Route } from './wire.js';

interface StoredOwner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  userId: number;
  archived: boolean;
  type: 'PERSON' | 'QUEUE';
  teams: Array<{ id: string; name: string; primary: boolean }>;
  createdAt: number;
  updatedAt: number;
}

function ownerJson(o: StoredOwner): Record<string, unknown> {
  return {
    id: o.id,
    email: o.email,
    type: o.type,
    firstName: o.firstName,
    lastName: o.lastName,
    userId: o.userId,
    userIdIncludingInactive: o.userId,
    createdAt: iso(o.createdAt),
    updatedAt: iso(o.updatedAt),
    archived: o.archived,
    teams: o.teams,
  };
}

export interface Owners {
  routes: Route[];
  control: Pick<HubspotEmulatorControl, 'seedOwners'>;
}

export function createOwners(state: EmulatorState): Owners {
  const { now } = state;
  const owners = new Map<string, StoredOwner>();
  let nextOwnerId = 70001;

  function listOwners(query: URLSearchParams): Reply {
    const archived = query.get('archived') === 'true';
    const email = query.get('email')?.toLowerCase();
    const limit = Math.min(500, Math.max(1, Number(query.get('limit') ?? 100) || 100));
    const after = query.get('after');
    let list = [...owners.values()].filter(
      (o) => o.archived === archived && (email === undefined || o.email.toLowerCase() === email),
    );
    list.sort((a, b) => Number(a.id) - Number(b.id));
    if (after !== null) list = list.filter((o) => Number(o.id) > Number(after));
    const page = list.slice(0, limit);
    const out: Record<string, unknown> = { results: page.map(ownerJson) };
    const last = page[page.length - 1];
    if (list.length > limit && last) out['paging'] = { next: { after: last.id, link: `?after=${last.id}` } };
    return { status: 200, body: out };
  }

  const { ownersRead } = HUBSPOT_SCOPES;
  return {
    routes: [
      // The SDK asks for the list with a trailing slash.
      {
        ...route('GET', '/crm/v3/owners', ownersRead, (_p, _b, query) => listOwners(query)),
        pattern: /^\/crm\/v3\/owners\/?$/,
      },
      route('GET', '/crm/v3/owners/{ownerId}', ownersRead, ([ownerId = ''], _b, query) => {
        const o = owners.get(ownerId);
        const archived = query.get('archived') === 'true';
        if (!o || o.archived !== archived) throw new HttpFailure(404, errorBody('OBJECT_NOT_FOUND', 'Owner not found'));
        return { status: 200, body: ownerJson(o) };
      }),
    ],
    control: {
      seedOwners(list) {
        return list.map((o) => {
          const id = o.id ?? String(nextOwnerId++);
          const t = now();
          owners.set(id, {
            id,
            email: o.email,
            firstName: o.firstName ?? '',
            lastName: o.lastName ?? '',
            userId: o.userId ?? Number(id) + 1_000_000,
            archived: o.archived ?? false,
            type: o.type ?? 'PERSON',
            teams: o.teams ?? [],
            createdAt: t,
            updatedAt: t,
          });
          return id;
        });
      },
    },
  };
}
