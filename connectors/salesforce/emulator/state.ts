// The emulated org's records and the writes every API area shares: ids with the object's prefix, inserts that
// fill the system fields, LastModifiedDate/SystemModstamp on change, and Lead.Status field history.
import { DEFAULT_LEAD_STATUSES, ID_PREFIX, STANDARD_FIELDS, SYSTEM_FIELDS } from './schema.js';
import type { EmulatedObject, EmulatorFieldDef, SeedRecord, SfRecord, SfValue } from './schema.js';
import { parseSalesforceDateTime } from './soql.js';

export interface ObjectState {
  fields: Map<string, EmulatorFieldDef>; // lower-case name → def
  records: Map<string, SfRecord>;
  updateable: boolean;
  createable: boolean;
}

export interface Org {
  /** The User that client-credentials tokens run as and that seeds are written by. */
  readonly integrationUserId: string;
  obj(name: EmulatedObject): ObjectState;
  /** The object of an API name, whatever its case (null when the org has no such object). */
  objectByName(name: string): EmulatedObject | null;
  /** The object an id belongs to, by its prefix. */
  objectOfId(id: string): EmulatedObject | null;
  newId(name: EmulatedObject): string;
  findRecord(id: string | null | undefined): { object: EmulatedObject; record: SfRecord } | null;
  /** Stores a record as given (unknown fields throw), filling Id, the system dates and the actor fields. */
  insert(name: EmulatedObject, seed: SeedRecord, actor: string | null): SfRecord;
  /** A change: LastModifiedDate and SystemModstamp now, LastModifiedById the actor. */
  touch(rec: SfRecord, actor: string | null): void;
  /** Field history tracking on Lead.Status: a LeadHistory row per change. */
  trackLeadStatus(rec: SfRecord, next: SfValue | undefined, actor: string | null): void;
  addLeadStatus(apiName: string, converted: boolean, isDefault?: boolean): void;
  /** The values a picklist allows (Lead.Status: the org's LeadStatus rows). */
  picklistValues(name: EmulatedObject, def: EmulatorFieldDef): string[];
}

/** Salesforce's dateTime format: second precision (as stored), "+0000" offset. */
export function sfDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('Z', '+0000');
}

export function createOrg(now: () => number): Org {
  let idCounter = 0;
  const objects = new Map<EmulatedObject, ObjectState>();
  for (const name of Object.keys(STANDARD_FIELDS) as EmulatedObject[]) {
    const fields = new Map<string, EmulatorFieldDef>();
    for (const f of [...SYSTEM_FIELDS, ...STANDARD_FIELDS[name]]) fields.set(f.name.toLowerCase(), { ...f });
    objects.set(name, { fields, records: new Map(), updateable: true, createable: true });
  }
  const obj = (name: EmulatedObject): ObjectState => objects.get(name) as ObjectState;
  const objectByName = (name: string): EmulatedObject | null => {
    for (const k of objects.keys()) if (k.toLowerCase() === name.toLowerCase()) return k;
    return null;
  };
  const objectOfId = (id: string): EmulatedObject | null => {
    for (const [k, p] of Object.entries(ID_PREFIX) as Array<[EmulatedObject, string]>) if (id.startsWith(p)) return k;
    return null;
  };
  const newId = (name: EmulatedObject): string => {
    idCounter += 1;
    return `${ID_PREFIX[name]}${String(idCounter).padStart(12, '0')}AAA`;
  };
  const findRecord = (id: string | null | undefined): { object: EmulatedObject; record: SfRecord } | null => {
    if (typeof id !== 'string') return null;
    const o = objectOfId(id);
    if (o === null) return null;
    const r = obj(o).records.get(id);
    return r ? { object: o, record: r } : null;
  };

  function insert(name: EmulatedObject, seed: SeedRecord, actor: string | null): SfRecord {
    const t = sfDateTime(now());
    const rec: SfRecord = {};
    for (const f of obj(name).fields.values()) rec[f.name] = f.type === 'boolean' ? false : null;
    for (const [k, v] of Object.entries(seed)) {
      if (v === undefined) continue;
      const def = obj(name).fields.get(k.toLowerCase());
      if (!def) throw new Error(`emulator: ${name} has no field ${k}`);
      rec[def.name] = def.type === 'datetime' && typeof v === 'string' ? sfDateTime(parseSalesforceDateTime(v)) : v;
    }
    rec['Id'] = typeof seed['Id'] === 'string' ? seed['Id'] : newId(name);
    rec['CreatedDate'] ??= t;
    rec['LastModifiedDate'] ??= t;
    rec['SystemModstamp'] ??= rec['LastModifiedDate'];
    rec['CreatedById'] ??= actor;
    rec['LastModifiedById'] ??= actor;
    obj(name).records.set(rec['Id'] as string, rec);
    return rec;
  }

  function touch(rec: SfRecord, actor: string | null): void {
    const t = sfDateTime(now());
    rec['LastModifiedDate'] = t;
    rec['SystemModstamp'] = t;
    if (actor !== null) rec['LastModifiedById'] = actor;
  }

  function trackLeadStatus(rec: SfRecord, next: SfValue | undefined, actor: string | null): void {
    if (next === undefined || next === rec['Status']) return;
    insert(
      'LeadHistory',
      { LeadId: rec['Id'], Field: 'Status', OldValue: rec['Status'] ?? null, NewValue: next },
      actor,
    );
  }

  // The org starts with an integration user (client-credentials "run as" user) and the lead statuses.
  const integrationUser = insert(
    'User',
    {
      Username: 'integration@emulator.invalid',
      Email: 'integration@emulator.invalid',
      FirstName: 'Integration',
      LastName: 'User',
      Name: 'Integration User',
      IsActive: true,
      UserType: 'Standard',
    },
    null,
  );
  const integrationUserId = integrationUser['Id'] as string;
  const addLeadStatus = (apiName: string, converted: boolean, isDefault = false): void => {
    const existing = [...obj('LeadStatus').records.values()].some((r) => r['ApiName'] === apiName);
    if (existing) return;
    insert(
      'LeadStatus',
      {
        ApiName: apiName,
        MasterLabel: apiName,
        IsConverted: converted,
        IsDefault: isDefault,
        SortOrder: obj('LeadStatus').records.size + 1,
      },
      integrationUserId,
    );
  };
  for (const s of DEFAULT_LEAD_STATUSES) addLeadStatus(s.name, s.converted, s.isDefault ?? false);

  const picklistValues = (name: EmulatedObject, def: EmulatorFieldDef): string[] => {
    if (name === 'Lead' && def.name === 'Status') {
      return [...obj('LeadStatus').records.values()].map((r) => String(r['ApiName']));
    }
    return def.picklistValues ?? [];
  };

  return {
    integrationUserId,
    obj,
    objectByName,
    objectOfId,
    newId,
    findRecord,
    insert,
    touch,
    trackLeadStatus,
    addLeadStatus,
    picklistValues,
  };
}
