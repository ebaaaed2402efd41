// Contacts: how a change lands on a record (property history, lifecycle-stage dates, lastmodifieddate, the search
// index, webhook events), archiving and merging, the contacts API (search, batch read, batch update with HubSpot's
// write validation) and the control methods that act as a user in HubSpot.
import { HUBSPOT_SCOPES } from '../hubspot.errors.js';
import { addProperty, checkValue } from './properties.js';
import type { Search } from './search.js';
import { isRecord, iso, newRecord, toStringValue, type EmulatorState, type StoredRecord } from './state.js';
import type { EmulatorContactSeed, HubspotEmulatorControl } from './types.js';
import type { Webhooks } from './webhooks.js';
import {
  batchInputs,
  batchResponse,
  errorBody,
  parseJson,
  publicObject,
  route,
  validation,
  type Reply,
  type Route,
} from './wire.js';

const DEFAULT_PROPERTIES = ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'];
/** HubSpot keeps this many values of a property's history. */
const HISTORY_LENGTH = 20;

function normalizeDate(v: string): string {
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isNaN(ms) ? v : iso(ms);
}

/** A failed write of one property, in HubSpot's batch error shape. */
function writeError(
  name: string,
  id: string,
  message: string,
  detail?: { message: string; code: string },
): Record<string, unknown> {
  return errorBody('VALIDATION_ERROR', message, {
    context: { propertyName: [name], ids: [id] },
    ...(detail ? { errors: [{ ...detail, context: { propertyName: [name] } }] } : {}),
  });
}

export interface Contacts {
  /** The live (or archived) contact behind `id`, following merges. */
  resolve(id: string, archived: boolean): StoredRecord | null;
  routes: Route[];
  control: Pick<
    HubspotEmulatorControl,
    | 'seedContacts'
    | 'createContact'
    | 'updateContact'
    | 'archiveContact'
    | 'mergeContacts'
    | 'getContact'
    | 'contactIds'
  >;
}

export function createContacts(state: EmulatorState, search: Search, webhooks: Webhooks): Contacts {
  const { contacts, contactProps, now } = state;
  let nextContactId = 1001;

  function setProp(rec: StoredRecord, name: string, value: string | null, t: number, sourceType: string): boolean {
    const before = rec.props[name] ?? null;
    const after = value === null || value === '' ? null : value;
    if (before === after) return false;
    if (after === null) delete rec.props[name];
    else rec.props[name] = after;
    const h = (rec.history[name] ??= []);
    h.unshift({ value: after ?? '', timestamp: t, sourceType });
    if (h.length > HISTORY_LENGTH) h.length = HISTORY_LENGTH;
    return true;
  }

  /** Applies a set of property values as one change: lastmodifieddate, stage dates, history, webhooks, index. */
  function applyChange(
    rec: StoredRecord,
    values: Record<string, string | null>,
    sourceType: string,
    explicitModified?: string,
  ): void {
    const t = now();
    const changed: string[] = [];
    for (const [k, v] of Object.entries(values)) if (setProp(rec, k, v, t, sourceType)) changed.push(k);
    if (changed.length === 0 && explicitModified === undefined) return;
    if (changed.includes('lifecyclestage') && rec.props['lifecyclestage'] !== undefined) {
      const stage = rec.props['lifecyclestage'];
      if (values[`hs_lifecyclestage_${stage}_date`] === undefined)
        setProp(rec, `hs_lifecyclestage_${stage}_date`, iso(t), t, 'CALCULATED');
    }
    const modified = explicitModified ?? iso(t);
    setProp(rec, 'lastmodifieddate', modified, t, 'CALCULATED');
    rec.updatedAt = Date.parse(modified);
    search.snapshot(rec);
    for (const name of changed) {
      if (!webhooks.notifies(name)) continue;
      webhooks.queue({
        objectId: Number(rec.id),
        propertyName: name,
        propertyValue: rec.props[name] ?? '',
        changeSource: sourceType === 'API' ? 'INTEGRATION' : 'CRM_UI',
        subscriptionType: 'contact.propertyChange',
      });
    }
  }

  /**
   * Values set as a user or an import would: read-only properties included, unknown ones defined on the way, and
   * the dates named in `skip` left for the caller. Returns the values and the lastmodifieddate asked for, if any.
   */
  function userValues(
    properties: EmulatorContactSeed['properties'],
    skip: string[],
  ): { values: Record<string, string | null>; modified: string | undefined } {
    const values: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(properties)) {
      if (skip.includes(k)) continue;
      if (!contactProps.has(k)) addProperty(contactProps, { name: k, hubspotDefined: false }, now());
      values[k] = toStringValue(v);
    }
    const explicit = toStringValue(properties['lastmodifieddate']);
    return { values, modified: explicit === null ? undefined : normalizeDate(explicit) };
  }

  function newContact(seed: EmulatorContactSeed, sourceType: string): StoredRecord {
    const id = seed.id ?? String(nextContactId++);
    if (seed.id !== undefined && Number(seed.id) >= nextContactId) nextContactId = Number(seed.id) + 1;
    if (contacts.has(id)) throw new Error(`contact ${id} already exists`);
    const t = now();
    const created = toStringValue(seed.properties['createdate']) ?? iso(t);
    const rec = newRecord(id, { hs_object_id: id, createdate: created }, Date.parse(created), t);
    contacts.set(id, rec);
    const { values, modified } = userValues(seed.properties, ['lastmodifieddate', 'createdate']);
    applyChange(rec, values, sourceType, modified ?? iso(t));
    if (seed.archived) archive(rec);
    return rec;
  }

  function archive(rec: StoredRecord): void {
    if (rec.archived) return;
    rec.archived = true;
    rec.archivedAt = now();
    search.snapshot(rec);
    webhooks.queue({ objectId: Number(rec.id), subscriptionType: 'contact.deletion', changeSource: 'CRM_UI' });
  }

  function resolve(id: string, archived: boolean): StoredRecord | null {
    let rec = contacts.get(id);
    for (let hops = 0; rec && rec.mergedInto !== null && hops < 10; hops++) rec = contacts.get(rec.mergedInto);
    if (!rec || rec.archived !== archived) return null;
    return rec;
  }

  function findByEmail(email: string, archived: boolean): StoredRecord | null {
    const wanted = email.toLowerCase();
    for (const rec of contacts.values()) {
      if (rec.mergedInto === null && rec.archived === archived && (rec.props['email'] ?? '').toLowerCase() === wanted)
        return rec;
    }
    return null;
  }

  function checkWrite(
    rec: StoredRecord,
    properties: Record<string, unknown>,
  ): { error: Record<string, unknown> } | { values: Record<string, string | null> } {
    const values: Record<string, string | null> = {};
    for (const [name, raw] of Object.entries(properties)) {
      const value = raw === null || raw === undefined ? '' : String(raw);
      const def = contactProps.get(name);
      if (!def) {
        return {
          error: writeError(name, rec.id, `Property "${name}" does not exist`, {
            message: `Property "${name}" does not exist`,
            code: 'PROPERTY_DOESNT_EXIST',
          }),
        };
      }
      if (def.readOnly) {
        return {
          error: writeError(name, rec.id, `${name} is a read only property; its value cannot be set.`, {
            message: `${name} is a read only property`,
            code: 'READ_ONLY_VALUE',
          }),
        };
      }
      const problem = checkValue(def, value);
      if (problem) {
        return {
          error: writeError(name, rec.id, `Property values were not valid: ${problem}`, {
            message: problem,
            code: 'INVALID_OPTION',
          }),
        };
      }
      if (name === 'lifecyclestage' && value !== '') {
        const current = rec.props['lifecyclestage'];
        const order = (s: string | undefined): number =>
          s === undefined ? -1 : (def.options.find((o) => o.value === s)?.displayOrder ?? -1);
        if (current !== undefined && order(value) < order(current)) {
          return {
            error: writeError(
              name,
              rec.id,
              `lifecyclestage can only move forward (${current} → ${value}); clear it first`,
            ),
          };
        }
      }
      values[name] = value;
    }
    return { values };
  }

  function batchRead(body: Record<string, unknown>, archived: boolean): Reply {
    const inputs = batchInputs(body);
    const idProperty = typeof body['idProperty'] === 'string' ? body['idProperty'] : 'hs_object_id';
    const props =
      Array.isArray(body['properties']) && body['properties'].length > 0
        ? body['properties'].map(String)
        : DEFAULT_PROPERTIES;
    const withHistory = Array.isArray(body['propertiesWithHistory']) ? body['propertiesWithHistory'].map(String) : [];
    const results: unknown[] = [];
    const seen = new Set<string>();
    const missing: string[] = [];
    for (const input of inputs) {
      const key = String(input['id'] ?? '');
      const rec =
        idProperty === 'email'
          ? findByEmail(key, archived)
          : idProperty === 'hs_object_id'
            ? resolve(key, archived)
            : null;
      if (!rec) {
        missing.push(key);
        continue;
      }
      if (seen.has(rec.id)) continue;
      seen.add(rec.id);
      const out = publicObject(rec, rec.props, props, contactProps);
      if (withHistory.length > 0) {
        out['propertiesWithHistory'] = Object.fromEntries(
          withHistory.map((n) => [
            n,
            (rec.history[n] ?? []).map((h) => ({
              value: h.value,
              timestamp: iso(h.timestamp),
              sourceType: h.sourceType,
            })),
          ]),
        );
      }
      results.push(out);
    }
    const errors =
      missing.length > 0
        ? [
            {
              category: 'OBJECT_NOT_FOUND',
              message:
                'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
              context: { ids: missing },
            },
          ]
        : [];
    return batchResponse(now(), results, errors);
  }

  function batchUpdate(body: Record<string, unknown>): Reply {
    const inputs = batchInputs(body);
    const ids = inputs.map((i) => String(i['id'] ?? ''));
    const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (dupes.length > 0)
      throw validation(`Duplicate IDs found in batch input: [${[...new Set(dupes)].join(', ')}]. IDs must be unique`);
    const results: unknown[] = [];
    const errors: Array<Record<string, unknown>> = [];
    for (const input of inputs) {
      const id = String(input['id'] ?? '');
      const rec = input['idProperty'] === 'email' ? findByEmail(id, false) : resolve(id, false);
      if (!rec) {
        errors.push({
          category: 'OBJECT_NOT_FOUND',
          message: `Object not found. objectId are usually numeric.`,
          context: { ids: [id] },
        });
        continue;
      }
      const properties = isRecord(input['properties']) ? input['properties'] : {};
      const checked = checkWrite(rec, properties);
      if ('error' in checked) {
        const ctx = isRecord(checked.error['context']) ? checked.error['context'] : {};
        errors.push({ ...checked.error, context: { ...ctx, ids: [id] } });
        continue;
      }
      applyChange(rec, checked.values, 'API');
      results.push(publicObject(rec, rec.props, Object.keys(properties), contactProps));
    }
    return batchResponse(now(), results, errors);
  }

  const { contactsRead, contactsWrite } = HUBSPOT_SCOPES;
  return {
    resolve,
    routes: [
      route(
        'POST',
        '/crm/v3/objects/contacts/search',
        contactsRead,
        (_p, raw) => ({ status: 200, body: search.search(contacts, contactProps, raw, DEFAULT_PROPERTIES) }),
        'search',
      ),
      route('POST', '/crm/v3/objects/contacts/batch/read', contactsRead, (_p, raw, query) =>
        batchRead(parseJson(raw), query.get('archived') === 'true'),
      ),
      route('POST', '/crm/v3/objects/contacts/batch/update', contactsWrite, (_p, raw) => batchUpdate(parseJson(raw))),
    ],
    control: {
      seedContacts: (list) => list.map((seed) => newContact(seed, 'IMPORT').id),
      createContact: (properties) => newContact({ properties }, 'CRM_UI').id,
      updateContact(id, properties) {
        const rec = contacts.get(id);
        if (!rec) throw new Error(`no contact ${id}`);
        const { values, modified } = userValues(properties, ['lastmodifieddate']);
        applyChange(rec, values, 'CRM_UI', modified);
      },
      archiveContact(id) {
        const rec = contacts.get(id);
        if (!rec) throw new Error(`no contact ${id}`);
        archive(rec);
      },
      mergeContacts(primaryId, secondaryId) {
        const primary = contacts.get(primaryId);
        const secondary = contacts.get(secondaryId);
        if (!primary || !secondary) throw new Error(`cannot merge ${secondaryId} into ${primaryId}`);
        secondary.mergedInto = primaryId;
        search.snapshot(secondary);
        const merged = new Set((primary.props['hs_merged_object_ids'] ?? '').split(';').filter(Boolean));
        merged.add(secondaryId);
        applyChange(primary, { hs_merged_object_ids: [...merged].join(';') }, 'CRM_UI');
        webhooks.queue({
          objectId: Number(primaryId),
          subscriptionType: 'contact.merge',
          primaryObjectId: Number(primaryId),
          mergedObjectIds: [Number(secondaryId)],
          newObjectId: Number(primaryId),
          changeSource: 'CRM_UI',
        });
      },
      getContact(id) {
        const rec = contacts.get(id);
        if (!rec) return undefined;
        return {
          id: rec.id,
          properties: { ...rec.props },
          archived: rec.archived,
          mergedInto: rec.mergedInto,
          createdAt: rec.createdAt,
          updatedAt: rec.updatedAt,
        };
      },
      contactIds: () => [...contacts.keys()],
    },
  };
}
