// The property catalogue: HubSpot's built-in contact and company properties, what a property type means for
// comparing and validating values, and the properties API that setup uses (property groups and properties).
import { HUBSPOT_SCOPES } from '../hubspot.errors.js';
import {
  isRecord,
  iso,
  type EmulatorState,
  type StoredGroup,
  type StoredOption,
  type StoredProperty,
} from './state.js';
import type { EmulatorPropertyDef, HubspotEmulatorControl } from './types.js';
import { HttpFailure, errorBody, route, validation, parseJson, type Reply, type Route } from './wire.js';

const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
];
const LEAD_STATUSES = [
  'NEW',
  'OPEN',
  'IN_PROGRESS',
  'OPEN_DEAL',
  'UNQUALIFIED',
  'ATTEMPTED_TO_CONTACT',
  'CONNECTED',
  'BAD_TIMING',
];
const ANALYTICS_SOURCES = [
  'ORGANIC_SEARCH',
  'PAID_SEARCH',
  'EMAIL_MARKETING',
  'SOCIAL_MEDIA',
  'REFERRALS',
  'OTHER_CAMPAIGNS',
  'DIRECT_TRAFFIC',
  'OFFLINE',
  'PAID_SOCIAL',
];
/** Built-in contact text properties, name → label. */
const CONTACT_TEXT_PROPERTIES: Record<string, string> = {
  email: 'Email',
  firstname: 'First Name',
  lastname: 'Last Name',
  jobtitle: 'Job Title',
  company: 'Company Name',
  country: 'Country/Region',
  industry: 'Industry',
};
const TYPES = new Set(['string', 'number', 'datetime', 'date', 'enumeration', 'bool']);

function choices(values: string[]): NonNullable<EmulatorPropertyDef['options']> {
  return values.map((v) => ({ label: v, value: v }));
}

const BUILTIN_CONTACT_PROPERTIES: EmulatorPropertyDef[] = [
  ...Object.entries(CONTACT_TEXT_PROPERTIES).map(([name, label]) => ({ name, label })),
  { name: 'numberofemployees', label: 'Number of Employees', type: 'number' },
  { name: 'hubspotscore', label: 'HubSpot Score', type: 'number', readOnly: true },
  {
    name: 'hs_analytics_source',
    label: 'Original Source',
    type: 'enumeration',
    readOnly: true,
    options: choices(ANALYTICS_SOURCES),
  },
  { name: 'lifecyclestage', label: 'Lifecycle Stage', type: 'enumeration', options: choices(LIFECYCLE_STAGES) },
  { name: 'hs_lead_status', label: 'Lead Status', type: 'enumeration', options: choices(LEAD_STATUSES) },
  { name: 'hubspot_owner_id', label: 'Contact owner', type: 'enumeration' },
  { name: 'lastmodifieddate', label: 'Last Modified Date', type: 'datetime', readOnly: true },
  { name: 'createdate', label: 'Create Date', type: 'datetime', readOnly: true },
  { name: 'hs_object_id', label: 'Record ID', type: 'number', readOnly: true },
  { name: 'hs_merged_object_ids', label: 'Merged Contact IDs', readOnly: true },
  ...LIFECYCLE_STAGES.map(
    (s): EmulatorPropertyDef => ({
      name: `hs_lifecyclestage_${s}_date`,
      label: `Became a ${s} Date`,
      type: 'datetime',
      readOnly: true,
    }),
  ),
];

const BUILTIN_COMPANY_PROPERTIES: EmulatorPropertyDef[] = [
  { name: 'domain', label: 'Company Domain Name' },
  { name: 'name', label: 'Name' },
  { name: 'hubspot_owner_id', label: 'Company owner', type: 'enumeration' },
  { name: 'hs_object_id', label: 'Record ID', type: 'number', readOnly: true },
  { name: 'hs_lastmodifieddate', label: 'Last Modified Date', type: 'datetime', readOnly: true },
  { name: 'createdate', label: 'Create Date', type: 'datetime', readOnly: true },
];

/** Adds (or replaces) a property in a catalogue, filling HubSpot's defaults. */
export function addProperty(target: Map<string, StoredProperty>, def: EmulatorPropertyDef, at: number): void {
  const type = def.type ?? 'string';
  target.set(def.name, {
    name: def.name,
    label: def.label ?? def.name,
    type,
    fieldType:
      def.fieldType ??
      (type === 'enumeration' ? 'select' : type === 'number' ? 'number' : type === 'datetime' ? 'date' : 'text'),
    groupName: def.groupName ?? 'contactinformation',
    description: def.description ?? '',
    options: (def.options ?? []).map((o, i) => ({
      label: o.label,
      value: o.value,
      displayOrder: o.displayOrder ?? i,
      hidden: o.hidden ?? false,
    })),
    readOnly: def.readOnly ?? false,
    hubspotDefined: def.hubspotDefined ?? true,
    createdAt: at,
    updatedAt: at,
  });
}

/** A date value as milliseconds: HubSpot takes epoch milliseconds or an ISO string. */
function dateMs(v: string): number {
  return /^-?\d+$/.test(v) ? Number(v) : Date.parse(v);
}

/** Orders two stored values by the property's type. */
export function compareValues(type: string, a: string, b: string): number {
  if (type === 'number') return Number(a) - Number(b);
  if (type === 'datetime' || type === 'date') return dateMs(a) - dateMs(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Why `value` cannot be written to the property, or null when it can ('' clears it). */
export function checkValue(def: StoredProperty, value: string): string | null {
  if (value === '') return null;
  if (def.type === 'number' && Number.isNaN(Number(value))) return `${value} is not a valid number`;
  if ((def.type === 'datetime' || def.type === 'date') && Number.isNaN(dateMs(value)))
    return `${value} is not a valid date`;
  if (def.type === 'enumeration' && def.options.length > 0) {
    const parts = def.fieldType === 'checkbox' ? value.split(';') : [value];
    for (const p of parts)
      if (!def.options.some((o) => o.value === p))
        return `${p} was not one of the allowed options: [${def.options.map((o) => o.value).join(', ')}]`;
  }
  return null;
}

function groupJson(g: StoredGroup): Record<string, unknown> {
  return { name: g.name, label: g.label, displayOrder: g.displayOrder, archived: false };
}

function propertyJson(p: StoredProperty): Record<string, unknown> {
  return {
    name: p.name,
    label: p.label,
    type: p.type,
    fieldType: p.fieldType,
    groupName: p.groupName,
    description: p.description,
    options: p.options,
    displayOrder: -1,
    calculated: false,
    externalOptions: false,
    hasUniqueValue: false,
    hidden: false,
    hubspotDefined: p.hubspotDefined,
    formField: !p.readOnly,
    modificationMetadata: {
      archivable: !p.hubspotDefined,
      readOnlyDefinition: p.hubspotDefined,
      readOnlyValue: p.readOnly,
    },
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    archived: false,
  };
}

function readOptions(raw: unknown): StoredOption[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isRecord).map((o, i) => ({
    label: String(o['label'] ?? o['value'] ?? ''),
    value: String(o['value'] ?? ''),
    displayOrder: typeof o['displayOrder'] === 'number' ? o['displayOrder'] : i,
    hidden: o['hidden'] === true,
  }));
}

/** The `name` of a group or property to create: a lowercase letter, then lowercase letters, digits or '_'. */
function internalName(b: Record<string, unknown>, what: 'group' | 'property'): string {
  const name = typeof b['name'] === 'string' ? b['name'] : '';
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw validation(`Invalid ${what} name "${name}"`);
  return name;
}

function propertyNotFound(name: string): HttpFailure {
  return new HttpFailure(
    404,
    errorBody('OBJECT_NOT_FOUND', `Unable to find property ${name} for object type contacts`),
  );
}

export interface Properties {
  routes: Route[];
  control: Pick<HubspotEmulatorControl, 'defineProperty' | 'defineTextProperties' | 'propertyNames' | 'groupNames'>;
}

/** Seeds the built-in catalogue into `state` and serves the contact properties API. */
export function createProperties(state: EmulatorState): Properties {
  const { contactProps, companyProps, groups, now } = state;
  groups.set('contactinformation', { name: 'contactinformation', label: 'Contact information', displayOrder: -1 });
  for (const def of BUILTIN_CONTACT_PROPERTIES) addProperty(contactProps, def, now());
  for (const def of BUILTIN_COMPANY_PROPERTIES)
    addProperty(companyProps, { ...def, groupName: 'companyinformation' }, now());

  function createGroup(b: Record<string, unknown>): Reply {
    const name = internalName(b, 'group');
    if (groups.has(name))
      throw new HttpFailure(
        409,
        errorBody('OBJECT_ALREADY_EXISTS', `A property group named '${name}' already exists.`),
      );
    const g = {
      name,
      label: typeof b['label'] === 'string' ? b['label'] : name,
      displayOrder: typeof b['displayOrder'] === 'number' ? b['displayOrder'] : -1,
    };
    groups.set(name, g);
    return { status: 201, body: groupJson(g) };
  }

  function createProperty(b: Record<string, unknown>): Reply {
    const name = internalName(b, 'property');
    if (contactProps.has(name))
      throw new HttpFailure(
        409,
        errorBody('OBJECT_ALREADY_EXISTS', `Property named '${name}' already exists.`, { context: { name: [name] } }),
      );
    const type = String(b['type'] ?? '');
    if (!TYPES.has(type)) throw validation(`Invalid property type "${type}"`);
    const groupName = String(b['groupName'] ?? '');
    if (!groups.has(groupName)) throw validation(`Property group "${groupName}" does not exist`);
    if (typeof b['fieldType'] !== 'string' || typeof b['label'] !== 'string')
      throw validation('label and fieldType are required');
    const options = readOptions(b['options']);
    if (
      type === 'enumeration' &&
      options.length === 0 &&
      b['fieldType'] !== 'select' &&
      b['fieldType'] !== 'radio' &&
      b['fieldType'] !== 'checkbox'
    ) {
      throw validation('enumeration properties need a select, radio or checkbox fieldType');
    }
    addProperty(
      contactProps,
      {
        name,
        label: b['label'],
        type: type as NonNullable<EmulatorPropertyDef['type']>,
        fieldType: b['fieldType'],
        groupName,
        description: typeof b['description'] === 'string' ? b['description'] : '',
        options,
        hubspotDefined: false,
      },
      now(),
    );
    const p = contactProps.get(name);
    return { status: 201, body: p ? propertyJson(p) : {} };
  }

  function updateProperty(name: string, b: Record<string, unknown>): Reply {
    const p = contactProps.get(name);
    if (!p) throw propertyNotFound(name);
    if (p.hubspotDefined && b['options'] !== undefined && p.readOnly) throw validation(`Property ${name} is read only`);
    if (typeof b['label'] === 'string') p.label = b['label'];
    if (typeof b['description'] === 'string') p.description = b['description'];
    if (typeof b['groupName'] === 'string') {
      if (!groups.has(b['groupName'])) throw validation(`Property group "${b['groupName']}" does not exist`);
      p.groupName = b['groupName'];
    }
    if (b['options'] !== undefined) p.options = readOptions(b['options']);
    p.updatedAt = now();
    return { status: 200, body: propertyJson(p) };
  }

  function defineProperty(def: EmulatorPropertyDef): void {
    if (def.groupName !== undefined && !groups.has(def.groupName))
      groups.set(def.groupName, { name: def.groupName, label: def.groupName, displayOrder: -1 });
    addProperty(contactProps, def, now());
  }

  const { schemasRead, schemasWrite } = HUBSPOT_SCOPES;
  return {
    // The groups routes come first: /groups would also match /{name}.
    routes: [
      route('GET', '/crm/v3/properties/contacts/groups', schemasRead, () => ({
        status: 200,
        body: { results: [...groups.values()].map(groupJson) },
      })),
      route('POST', '/crm/v3/properties/contacts/groups', schemasWrite, (_p, raw) => createGroup(parseJson(raw))),
      route('GET', '/crm/v3/properties/contacts', schemasRead, () => ({
        status: 200,
        body: { results: [...contactProps.values()].map(propertyJson) },
      })),
      route('POST', '/crm/v3/properties/contacts', schemasWrite, (_p, raw) => createProperty(parseJson(raw))),
      route('GET', '/crm/v3/properties/contacts/{name}', schemasRead, ([name = '']) => {
        const p = contactProps.get(name);
        if (!p) throw propertyNotFound(name);
        return { status: 200, body: propertyJson(p) };
      }),
      route('PATCH', '/crm/v3/properties/contacts/{name}', schemasWrite, ([name = ''], raw) =>
        updateProperty(name, parseJson(raw)),
      ),
    ],
    control: {
      defineProperty,
      defineTextProperties(names) {
        for (const name of names)
          defineProperty({ name, label: name, type: 'string', fieldType: 'text', groupName: 'contactinformation' });
      },
      propertyNames: () => [...contactProps.keys()],
      groupNames: () => [...groups.keys()],
    },
  };
}
