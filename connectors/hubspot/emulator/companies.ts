// Companies: seeded by the control API and found by search (the connector looks up a contact's company by domain).
import { HUBSPOT_SCOPES } from '../hubspot.errors.js';
import { addProperty } from './properties.js';
import type { Search } from './search.js';
import { iso, newRecord, toStringValue, type EmulatorState } from './state.js';
import type { HubspotEmulatorControl } from './types.js';
import { route, type Route } from './wire.js';

const DEFAULT_PROPERTIES = ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'];

export interface Companies {
  routes: Route[];
  control: Pick<HubspotEmulatorControl, 'seedCompanies'>;
}

export function createCompanies(state: EmulatorState, search: Search): Companies {
  const { companies, companyProps, now } = state;
  let nextCompanyId = 5001;
  return {
    routes: [
      route(
        'POST',
        '/crm/v3/objects/companies/search',
        HUBSPOT_SCOPES.companiesRead,
        (_p, raw) => ({ status: 200, body: search.search(companies, companyProps, raw, DEFAULT_PROPERTIES) }),
        'search',
      ),
    ],
    control: {
      seedCompanies(list) {
        return list.map((c) => {
          const id = c.id ?? String(nextCompanyId++);
          const t = now();
          const props: Record<string, string> = { hs_object_id: id, createdate: iso(t), hs_lastmodifieddate: iso(t) };
          for (const [k, v] of Object.entries(c.properties)) {
            const s = toStringValue(v);
            if (s !== null) props[k] = s;
            if (!companyProps.has(k))
              addProperty(companyProps, { name: k, groupName: 'companyinformation', hubspotDefined: false }, now());
          }
          const rec = newRecord(id, props, t, t);
          companies.set(id, rec);
          search.snapshot(rec);
          return id;
        });
      },
    },
  };
}
