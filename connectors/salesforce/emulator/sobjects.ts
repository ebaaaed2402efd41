// The sObject resources: describe, single-record create (POST sobjects/{type}) and sObject Collections
// (composite/sobjects: create with POST, update with PATCH, at most 200 records, allOrNone) with per-record
// SaveResults; values are checked and coerced by field type, access and picklist the way Salesforce does.
import { NOT_FOUND, SfApiError } from './http.js';
import type { Answer } from './http.js';
import type { EmulatedObject, EmulatorFieldDef, SfRecord, SfValue } from './schema.js';
import { parseSalesforceDateTime } from './soql.js';
import { sfDateTime } from './state.js';
import type { Org } from './state.js';

interface SaveError {
  statusCode: string;
  message: string;
  fields: string[];
}

interface SaveOutcome {
  result: { id?: string; success: boolean; errors: SaveError[] };
  apply?: () => void;
}

export interface SObjectsApi {
  /** composite/sobjects: PATCH updates, POST creates. */
  collection(method: 'PATCH' | 'POST', body: unknown, actor: string): Answer;
  /** POST sobjects/{type}. */
  create(objectName: string, body: unknown, actor: string): Answer;
  /** GET sobjects/{type}/describe. */
  describe(objectName: string): Answer;
}

export function createSObjectsApi(org: Org): SObjectsApi {
  const { obj, objectByName, objectOfId, findRecord, picklistValues } = org;

  function coerce(
    def: EmulatorFieldDef,
    value: unknown,
    object: EmulatedObject,
  ): { ok: true; value: SfValue } | { ok: false; error: SaveError } {
    const bad = (statusCode: string, message: string): { ok: false; error: SaveError } => ({
      ok: false,
      error: { statusCode, message, fields: [def.name] },
    });
    if (value === null || value === '') {
      if (def.type === 'boolean') return { ok: true, value: false };
      if (def.type === 'picklist' && def.restricted && def.name === 'Status')
        return bad(
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${def.name}: bad value for restricted picklist field: ${String(value)}`,
        );
      return { ok: true, value: null };
    }
    switch (def.type) {
      case 'boolean':
        if (typeof value === 'boolean') return { ok: true, value };
        if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
        return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type: ${String(value)}`);
      case 'int':
      case 'double':
      case 'currency':
      case 'percent': {
        const n =
          typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
        if (Number.isNaN(n) || (def.type === 'int' && !Number.isInteger(n)))
          return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type: ${String(value)}`);
        return { ok: true, value: n };
      }
      case 'datetime':
        try {
          return { ok: true, value: sfDateTime(parseSalesforceDateTime(String(value))) };
        } catch {
          return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type: ${String(value)}`);
        }
      case 'date':
        if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return { ok: true, value };
        return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type: ${String(value)}`);
      case 'picklist': {
        const s = String(value);
        if (def.restricted && !picklistValues(object, def).includes(s)) {
          return bad(
            'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
            `${def.name}: bad value for restricted picklist field: ${s}`,
          );
        }
        return { ok: true, value: s };
      }
      case 'reference':
      case 'id': {
        const s = String(value);
        const target = findRecord(s);
        if (!target || !(def.referenceTo ?? []).includes(target.object) || target.record['IsDeleted'] === true) {
          return bad('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`);
        }
        if (target.object === 'User' && target.record['IsActive'] !== true) {
          return bad('INACTIVE_OWNER_OR_USER', `operation performed with inactive user [${s}] as owner of ${object}`);
        }
        return { ok: true, value: s };
      }
      default: {
        const s =
          typeof value === 'string'
            ? value
            : typeof value === 'number' || typeof value === 'boolean'
              ? String(value)
              : null;
        if (s === null) return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type`);
        if (def.length !== undefined && s.length > def.length) {
          return bad(
            'STRING_TOO_LONG',
            `${def.name}: data value too large: ${s.slice(0, 40)} (max length=${def.length})`,
          );
        }
        return { ok: true, value: s };
      }
    }
  }

  /** Validates one record's fields; returns the coerced changes or the errors. */
  function prepare(
    object: EmulatedObject,
    input: Record<string, unknown>,
    mode: 'create' | 'update',
  ): { changes: SfRecord; errors: SaveError[] } {
    const changes: SfRecord = {};
    const errors: SaveError[] = [];
    for (const [key, value] of Object.entries(input)) {
      if (key === 'attributes' || (mode === 'update' && key.toLowerCase() === 'id')) continue;
      const def = obj(object).fields.get(key.toLowerCase());
      if (!def) {
        errors.push({
          statusCode: 'INVALID_FIELD',
          message: `No such column '${key}' on sobject of type ${object}`,
          fields: [key],
        });
        continue;
      }
      const allowed = mode === 'update' ? def.updateable !== false : def.createable !== false;
      if (!allowed) {
        errors.push({
          statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
          message: `Unable to create/update fields: ${def.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          fields: [def.name],
        });
        continue;
      }
      const c = coerce(def, value, object);
      if (c.ok) changes[def.name] = c.value;
      else errors.push(c.error);
    }
    return { changes, errors };
  }

  function planUpdate(input: Record<string, unknown>, actor: string): SaveOutcome {
    const fail = (e: SaveError): SaveOutcome => ({ result: { success: false, errors: [e] } });
    const attrs = input['attributes'] as { type?: unknown } | undefined;
    const object = typeof attrs?.type === 'string' ? objectByName(attrs.type) : null;
    if (object === null)
      return fail({ statusCode: 'INVALID_TYPE', message: 'sObject type not given or not supported', fields: [] });
    const id = input['id'] ?? input['Id'];
    if (typeof id !== 'string' || id === '')
      return fail({ statusCode: 'MISSING_ARGUMENT', message: 'Id not specified in an update call', fields: [] });
    if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id) || objectOfId(id) !== object) {
      return fail({
        statusCode: 'MALFORMED_ID',
        message: `${object} ID: id value of incorrect type: ${id}`,
        fields: ['Id'],
      });
    }
    const rec = obj(object).records.get(id);
    if (!rec)
      return fail({ statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: [] });
    if (rec['IsDeleted'] === true)
      return fail({ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] });
    if (!obj(object).updateable) {
      return fail({
        statusCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
        message: 'insufficient access rights on object id',
        fields: [],
      });
    }
    const { changes, errors } = prepare(object, input, 'update');
    if (errors.length > 0) return { result: { success: false, errors } };
    return {
      result: { id, success: true, errors: [] },
      apply: () => {
        if (object === 'Lead') org.trackLeadStatus(rec, changes['Status'], actor);
        Object.assign(rec, changes);
        org.touch(rec, actor);
      },
    };
  }

  function planCreate(input: Record<string, unknown>, fallbackType: EmulatedObject | null, actor: string): SaveOutcome {
    const fail = (e: SaveError): SaveOutcome => ({ result: { success: false, errors: [e] } });
    const attrs = input['attributes'] as { type?: unknown } | undefined;
    const object = typeof attrs?.type === 'string' ? objectByName(attrs.type) : fallbackType;
    if (object === null)
      return fail({ statusCode: 'INVALID_TYPE', message: 'sObject type not given or not supported', fields: [] });
    if (input['id'] !== undefined || input['Id'] !== undefined) {
      return fail({ statusCode: 'INVALID_FIELD', message: 'cannot specify Id in an insert call', fields: ['Id'] });
    }
    if (!obj(object).createable) {
      return fail({
        statusCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
        message: `insufficient access rights to create ${object}`,
        fields: [],
      });
    }
    const { changes, errors } = prepare(object, input, 'create');
    if (object === 'Task' && changes['OwnerId'] === undefined) changes['OwnerId'] = actor;
    if (errors.length > 0) return { result: { success: false, errors } };
    const id = org.newId(object);
    return {
      result: { id, success: true, errors: [] },
      apply: () => {
        org.insert(object, { ...changes, Id: id }, actor);
      },
    };
  }

  function runCollection(outcomes: SaveOutcome[], allOrNone: boolean): SaveOutcome['result'][] {
    const anyFailed = outcomes.some((o) => !o.result.success);
    if (allOrNone && anyFailed) {
      return outcomes.map((o) =>
        o.result.success
          ? {
              success: false,
              errors: [
                {
                  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                  message:
                    'Record rolled back because not all records were valid and the request was using AllOrNone header',
                  fields: [],
                },
              ],
            }
          : o.result,
      );
    }
    for (const o of outcomes) o.apply?.();
    return outcomes.map((o) => o.result);
  }

  function describeObject(object: EmulatedObject): Record<string, unknown> {
    const state = obj(object);
    return {
      name: object,
      label: object,
      custom: false,
      queryable: true,
      createable: state.createable,
      updateable: state.updateable,
      deletable: state.updateable,
      fields: [...state.fields.values()].map((f) => {
        const updateable = state.updateable && f.updateable !== false;
        return {
          name: f.name,
          label: f.label ?? f.name,
          type: f.type,
          custom: f.name.endsWith('__c'),
          length: f.length ?? 0,
          nillable: f.name !== 'Id' && f.name !== 'LastName',
          updateable,
          createable: state.createable && f.createable !== false,
          restrictedPicklist: f.restricted === true,
          referenceTo: f.referenceTo ?? [],
          picklistValues:
            f.type === 'picklist'
              ? picklistValues(object, f).map((v) => ({ value: v, label: v, active: true, defaultValue: false }))
              : [],
        };
      }),
    };
  }

  const knownObject = (name: string): EmulatedObject => {
    const object = objectByName(name);
    if (object === null) throw new SfApiError(404, 'NOT_FOUND', NOT_FOUND);
    return object;
  };

  return {
    collection(method, body, actor) {
      const b = body as { allOrNone?: unknown; records?: unknown } | undefined;
      if (!b || !Array.isArray(b.records)) throw new SfApiError(400, 'JSON_PARSER_ERROR', 'records must be an array');
      if (b.records.length > 200) {
        throw new SfApiError(
          400,
          'EXCEEDED_ID_LIMIT',
          'record limit reached. cannot submit more than 200 records into this call',
        );
      }
      const outcomes = (b.records as Array<Record<string, unknown>>).map((r) =>
        method === 'PATCH' ? planUpdate(r, actor) : planCreate(r, null, actor),
      );
      return { status: 200, body: runCollection(outcomes, b.allOrNone === true) };
    },
    create(objectName, body, actor) {
      const object = knownObject(objectName);
      const outcome = planCreate((body ?? {}) as Record<string, unknown>, object, actor);
      if (!outcome.result.success) {
        return {
          status: 400,
          body: outcome.result.errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })),
        };
      }
      outcome.apply?.();
      return { status: 201, body: outcome.result };
    },
    describe: (objectName) => ({ status: 200, body: describeObject(knownObject(objectName)) }),
  };
}
