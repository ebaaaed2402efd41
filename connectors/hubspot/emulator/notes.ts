// Notes: created one at a time or in batches, each associated with contacts (type 202, note to contact).
import { HUBSPOT_SCOPES } from '../hubspot.errors.js';
import type { Contacts } from './contacts.js';
import { isRecord, iso, type EmulatorState } from './state.js';
import type { HubspotEmulatorControl } from './types.js';
import { HttpFailure, batchInputs, batchResponse, errorBody, parseJson, route, type Route } from './wire.js';

const NOTE_TO_CONTACT = 202;

interface StoredNote {
  id: string;
  props: Record<string, string>;
  contactIds: string[];
  createdAt: number;
}

function noteJson(n: StoredNote): Record<string, unknown> {
  return {
    id: n.id,
    properties: { ...n.props, hs_object_id: n.id },
    createdAt: iso(n.createdAt),
    updatedAt: iso(n.createdAt),
    archived: false,
  };
}

export interface Notes {
  routes: Route[];
  control: Pick<HubspotEmulatorControl, 'notes'>;
}

export function createNotes(state: EmulatorState, contacts: Pick<Contacts, 'resolve'>): Notes {
  const { now } = state;
  const notes = new Map<string, StoredNote>();
  let nextNoteId = 90001;

  function createNote(
    input: Record<string, unknown>,
  ): { note: Record<string, unknown> } | { error: Record<string, unknown> } {
    const trace = typeof input['objectWriteTraceId'] === 'string' ? input['objectWriteTraceId'] : undefined;
    const traceCtx = trace ? { objectWriteTraceId: [trace] } : {};
    const props = isRecord(input['properties']) ? input['properties'] : {};
    if (props['hs_timestamp'] === undefined || props['hs_timestamp'] === '') {
      return {
        error: errorBody('VALIDATION_ERROR', 'Property values were not valid: hs_timestamp is required', {
          context: { propertyName: ['hs_timestamp'], ...traceCtx },
        }),
      };
    }
    const contactIds: string[] = [];
    const assocs = Array.isArray(input['associations']) ? input['associations'] : [];
    for (const a of assocs) {
      if (!isRecord(a) || !isRecord(a['to']))
        return { error: errorBody('VALIDATION_ERROR', 'association.to is required', { context: traceCtx }) };
      const types = Array.isArray(a['types']) ? a['types'].filter(isRecord) : [];
      const toId = String(a['to']['id'] ?? '');
      if (!types.some((t) => Number(t['associationTypeId']) === NOTE_TO_CONTACT)) {
        return {
          error: errorBody('VALIDATION_ERROR', `Unsupported association type for note ${JSON.stringify(types)}`, {
            context: traceCtx,
          }),
        };
      }
      const rec = contacts.resolve(toId, false);
      if (!rec)
        return {
          error: errorBody('VALIDATION_ERROR', `Invalid association: contact ${toId} does not exist`, {
            context: { ids: [toId], ...traceCtx },
          }),
        };
      contactIds.push(rec.id);
    }
    const id = String(nextNoteId++);
    const stored: StoredNote = {
      id,
      props: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, String(v)])),
      contactIds,
      createdAt: now(),
    };
    notes.set(id, stored);
    const out = noteJson(stored);
    if (trace) out['objectWriteTraceId'] = trace;
    return { note: out };
  }

  const { contactsWrite } = HUBSPOT_SCOPES;
  return {
    routes: [
      route('POST', '/crm/v3/objects/notes', contactsWrite, (_p, raw) => {
        const r = createNote(parseJson(raw));
        if ('error' in r) throw new HttpFailure(400, r.error);
        return { status: 201, body: r.note };
      }),
      route('POST', '/crm/v3/objects/notes/batch/create', contactsWrite, (_p, raw) => {
        const results: unknown[] = [];
        const errors: Array<Record<string, unknown>> = [];
        for (const input of batchInputs(parseJson(raw))) {
          const r = createNote(input);
          if ('error' in r) errors.push(r.error);
          else results.push(r.note);
        }
        return batchResponse(now(), results, errors, true);
      }),
    ],
    control: {
      notes: () =>
        [...notes.values()].map((n) => ({ id: n.id, properties: { ...n.props }, contactIds: [...n.contactIds] })),
    },
  };
}
